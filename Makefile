# customer_info — PGXS build
#
#   make [WERROR=1]        build (WERROR=1 turns warnings into errors)
#   make install           install into the server found by PG_CONFIG
#   test/check.sh          build, install and run every test suite

EXTENSION = customer_info
MODULE_big = customer_info
DATA = sql/customer_info--0.1.sql
PGFILEDESC = "customer_info - customer-information policy inside PostgreSQL"

OBJS = \
	src/customer_info.o \
	src/ident.o \
	src/mask.o \
	src/mask_core.o \
	src/cn_id.o \
	src/uscc.o \
	src/cn_mobile.o \
	src/bank_card.o \
	src/envelope.o \
	src/keys.o \
	src/access.o \
	src/protect.o \
	src/views.o \
	src/read_audit.o \
	src/consent.o \
	src/review.o \
	src/audit.o \
	src/log_scrub.o \
	src/parse_common.o \
	src/parse_cn_id.o \
	src/parse_uscc.o \
	src/parse_cn_mobile.o \
	src/parse_bank_card.o

# pg_regress: sql/<name>.sql against expected/<name>.out, in a temporary
# instance whose configuration preloads the library.
REGRESS = identifiers cn_id uscc cn_mobile bank_card masks synthetic protect migrate masked access read_audit consent review audit adversarial limits owner_views owner_code
REGRESS_OPTS = --temp-config=$(srcdir)/test/regress.conf \
	--load-extension=pgcrypto --load-extension=customer_info

# Isolation specs: test/isolation/specs/<name>.spec.
ISOLATION = unique_identity reencrypt migrate consent review_sweep audit_seal
ISOLATION_OPTS = --inputdir=$(srcdir)/test/isolation \
	--temp-config=$(srcdir)/test/regress.conf

# Server headers as system headers: -Wextra then judges our code only.
PG_CPPFLAGS = -I$(srcdir)/src -isystem $(includedir_server)
PG_CFLAGS = -Wall -Wextra $(if $(WERROR),-Werror)

# OpenSSL's libcrypto, as contrib/pgcrypto links it.
SHLIB_LINK += $(filter -lcrypto, $(LIBS))

EXTRA_CLEAN = results regression.diffs regression.out tmp_check tmp_check_iso \
	output_iso log test/fuzz/bin

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: rebuild everything when one changes.
$(OBJS) $(OBJS:.o=.bc): $(wildcard $(srcdir)/src/*.h)

# Run one kind of suite alone (test/check.sh uses these).
installcheck-regress-only:
	$(pg_regress_installcheck) $(REGRESS_OPTS) $(REGRESS)

installcheck-isolation-only:
	$(pg_isolation_regress_installcheck) $(ISOLATION_OPTS) $(ISOLATION)

.PHONY: installcheck-regress-only installcheck-isolation-only

# The value of a variable, for test/check.sh: make -s print-REGRESS
print-%:
	@echo '$($*)'
