/*-------------------------------------------------------------------------
 *
 * consent.c
 *	  Consent: ci.has_consent(), the consent filter of masked views, consent
 *	  guards on tables, and the customer column of tables.
 *
 * The ledger (ci.consent_event) and the current state the server derives
 * from it (ci.consent_state) are SQL; this file answers questions about
 * them fast.  Each backend keeps, per purpose and partner, a map of the
 * customers it has asked about, filled by point lookups; after
 * CONSENT_FULL_LOAD misses (a scan, not a point query) it loads every
 * current consent of that purpose at once and answers the rest from
 * memory.  Every change of ci.consent_state (or ci.purpose) invalidates
 * the maps in every backend at its commit; a backend takes invalidations
 * in at the start of each statement, and the maps are read with a fresh
 * snapshot (not the transaction's: a REPEATABLE READ transaction must not
 * go on using a consent withdrawn meanwhile), so a withdrawal holds for
 * every statement that starts after its commit.
 *
 * Answers for a past time come from the ledger itself, uncached.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "access.h"
#include "consent.h"
#include "keys.h"
#include "views.h"

#define CONSENT_FULL_LOAD	256		/* misses before a map loads in full */
#define CONSENT_MAPS		16		/* purposes and partners kept at once */

/* One customer's consent, as a map holds it. */
typedef struct ConsentEntry
{
	char	   *customer;
	uint32		hash;
	char		status;			/* for simplehash */
	bool		granted;
	TimestampTz expires_at;		/* DT_NOEND if none */
} ConsentEntry;

#define SH_PREFIX consentmap
#define SH_ELEMENT_TYPE ConsentEntry
#define SH_KEY_TYPE char *
#define SH_KEY customer
#define SH_HASH_KEY(tb, key) hash_bytes((const unsigned char *) (key), strlen(key))
#define SH_EQUAL(tb, a, b) (strcmp(a, b) == 0)
#define SH_SCOPE static inline
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) a->hash
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

typedef struct ConsentMap
{
	char		purpose[NAMEDATALEN];
	char	   *partner;		/* "" if none */
	consentmap_hash *map;
	bool		complete;		/* every current consent is in it */
	int			misses;

	/*
	 * A complete map whose customer keys are mostly integers also has two
	 * bitmaps over [int_base, int_base + int_span): consent that does not
	 * expire, and keys the hash holds with an expiry.  An integer key is
	 * then answered with a bit test, not a hash probe (a scan of a large
	 * table would miss the CPU caches on every probe).
	 */
	int64		int_base;
	uint64		int_span;		/* 0: no bitmaps */
	uint8	   *forever_bits;
	uint8	   *expiring_bits;
} ConsentMap;

#define CONSENT_MAX_SPAN	(INT64CONST(64) * 1024 * 1024)	/* bits: 8 MB each */

/* A purpose of ci.purpose, as the cache holds it. */
typedef struct PurposeBasis
{
	char		purpose[NAMEDATALEN];
	bool		consent_based;
} PurposeBasis;

static MemoryContext consent_cxt = NULL;
static ConsentMap maps[CONSENT_MAPS];
static int	nmaps = 0;
static int	map_next = 0;
static int	last_map = 0;
static PurposeBasis *purposes = NULL;
static int	npurposes = -1;		/* -1: not loaded */
static bool callbacks_registered = false;
static TimestampTz checked_statement = 0;
static SPIPlanPtr point_plan = NULL;

/* the session purpose's basis, for the filter: valid for this generation */
static char filter_purpose[NAMEDATALEN];
static bool filter_consent_based;
static uint64 filter_generation = 0;
static TimestampTz filter_statement = 0;
static uint64 consent_generation = 1;

static void
consent_forget(void)
{
	nmaps = 0;
	map_next = 0;
	npurposes = -1;
	purposes = NULL;
	consent_generation++;
	if (consent_cxt != NULL)
		MemoryContextReset(consent_cxt);
}

/* ci.consent_state and ci.purpose, looked up in a transaction */
static Oid	state_relid = InvalidOid;
static Oid	purpose_relid = InvalidOid;

/*
 * A relcache invalidation: of the two tables the maps come from, or of
 * every relation, empties them.  No catalog access here (an invalidation
 * can arrive outside a transaction).
 */
static bool consent_stale = false;

static void
consent_invalidate(Datum arg pg_attribute_unused(), Oid relid)
{
	/*
	 * Only a flag: the callback can run inside a lookup (its SPI query
	 * takes in invalidations), whose map must stay valid; the maps are
	 * emptied at the next safe point, and a lookup that saw the flag go up
	 * keeps its answer out of them.
	 */
	if (!OidIsValid(relid) || !OidIsValid(state_relid) ||
		relid == state_relid || relid == purpose_relid)
		consent_stale = true;
}

/*
 * Once per statement: take in the invalidations committed meanwhile (a
 * statement that reads only tables it has locked already would not).
 */
static void
consent_enter(void)
{
	TimestampTz stmt = GetCurrentStatementStartTimestamp();

	if (!callbacks_registered)
	{
		consent_cxt = AllocSetContextCreate(TopMemoryContext, "customer_info consent",
											ALLOCSET_DEFAULT_SIZES);
		CacheRegisterRelcacheCallback(consent_invalidate, (Datum) 0);
		callbacks_registered = true;
	}
	if (stmt != checked_statement)
	{
		AcceptInvalidationMessages();
		checked_statement = stmt;
	}
	if (consent_stale)
	{
		consent_stale = false;
		consent_forget();
		state_relid = purpose_relid = InvalidOid;
	}
	if (!OidIsValid(state_relid))
	{
		Oid			nsp = get_namespace_oid("ci", false);

		state_relid = get_relname_relid("consent_state", nsp);
		purpose_relid = get_relname_relid("purpose", nsp);
	}
}

/* Run a query on the extension's tables as their owner. */
static void
owner_query(const char *sql, int nargs, Oid *argtypes, Datum *values, const char *nulls)
{
	if (SPI_execute_with_args(sql, nargs, argtypes, values, nulls, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the consent tables");
}

/* A query on ci.consent_state with the latest snapshot. */
static void
latest_query(const char *sql, int nargs, Oid *argtypes, Datum *values, long tcount)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, argtypes);

	if (plan == NULL)
		elog(ERROR, "could not prepare a consent query");
	if (SPI_execute_snapshot(plan, values, NULL, GetLatestSnapshot(), InvalidSnapshot,
							 true, false, tcount) != SPI_OK_SELECT)
		elog(ERROR, "could not read ci.consent_state");
}

static void
load_purposes(void)
{
	CiUserSwitch sw;
	MemoryContext old;

	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	owner_query("SELECT purpose, legal_basis OPERATOR(pg_catalog.=) 'consent' FROM ci.purpose",
				0, NULL, NULL, NULL);
	old = MemoryContextSwitchTo(consent_cxt);
	purposes = palloc0(sizeof(PurposeBasis) * Max(SPI_processed, 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		strlcpy(purposes[i].purpose, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1),
				NAMEDATALEN);
		purposes[i].consent_based =
			DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
	}
	npurposes = (int) SPI_processed;
	MemoryContextSwitchTo(old);
	SPI_finish();
	ci_restore_user(&sw);
}

/* The purpose's entry, NULL if it is not in ci.purpose. */
static PurposeBasis *
find_purpose(const char *purpose)
{
	if (npurposes < 0)
		load_purposes();
	for (int i = 0; i < npurposes; i++)
		if (strcmp(purposes[i].purpose, purpose) == 0)
			return &purposes[i];
	return NULL;
}

static PurposeBasis *
known_purpose(const char *purpose)
{
	PurposeBasis *pb = find_purpose(purpose);

	if (pb == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown purpose \"%s\"", purpose),
				 errhint("The purposes are listed in ci.purpose.")));
	return pb;
}

static ConsentMap *
get_map(const char *purpose, const char *partner)
{
	ConsentMap *cm;

	if (nmaps > 0 && last_map < nmaps && strcmp(maps[last_map].purpose, purpose) == 0 &&
		strcmp(maps[last_map].partner, partner) == 0)
		return &maps[last_map];
	for (int i = 0; i < nmaps; i++)
		if (strcmp(maps[i].purpose, purpose) == 0 && strcmp(maps[i].partner, partner) == 0)
		{
			last_map = i;
			return &maps[i];
		}
	if (nmaps < CONSENT_MAPS)
		cm = &maps[nmaps++];
	else
	{
		cm = &maps[map_next];
		map_next = (map_next + 1) % CONSENT_MAPS;
		consentmap_destroy(cm->map);
	}
	strlcpy(cm->purpose, purpose, NAMEDATALEN);
	cm->partner = MemoryContextStrdup(consent_cxt, partner);
	cm->map = consentmap_create(consent_cxt, 1024, NULL);
	cm->complete = false;
	cm->misses = 0;
	cm->int_span = 0;
	cm->forever_bits = cm->expiring_bits = NULL;
	last_map = cm - maps;
	return cm;
}

static void
remember(ConsentMap *cm, const char *customer, bool granted, bool expires_null,
		 TimestampTz expires_at)
{
	bool		found;
	ConsentEntry *e;
	char	   *key;

	if (consent_stale)
		return;					/* read before a change committed: not kept */
	key = MemoryContextStrdup(consent_cxt, customer);
	e = consentmap_insert(cm->map, key, &found);
	if (found)
		pfree(key);
	e->granted = granted;
	e->expires_at = expires_null ? DT_NOEND : expires_at;
}

/* A customer key that is an integer's canonical text: true and *v. */
static bool
canonical_int(const char *s, int64 *v)
{
	char		buf[MAXINT8LEN + 1];
	char	   *end;

	errno = 0;
	*v = strtoi64(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s)
		return false;
	pg_lltoa(*v, buf);
	return strcmp(buf, s) == 0;
}

#define BIT_SET(bits, i)	((bits)[(i) >> 3] |= (uint8) (1 << ((i) & 7)))
#define BIT_TEST(bits, i)	(((bits)[(i) >> 3] >> ((i) & 7)) & 1)

/* The bitmaps of a complete map, if its integer keys span little enough. */
static void
build_bitmaps(ConsentMap *cm)
{
	consentmap_iterator it;
	ConsentEntry *e;
	int64		lo = PG_INT64_MAX;
	int64		hi = PG_INT64_MIN;
	int64		v;
	uint64		ints = 0;

	consentmap_start_iterate(cm->map, &it);
	while ((e = consentmap_iterate(cm->map, &it)) != NULL)
		if (canonical_int(e->customer, &v))
		{
			lo = Min(lo, v);
			hi = Max(hi, v);
			ints++;
		}
	if (ints == 0 || (uint64) hi - (uint64) lo >= (uint64) CONSENT_MAX_SPAN)
		return;
	cm->int_base = lo;
	cm->int_span = (uint64) hi - (uint64) lo + 1;
	cm->forever_bits = MemoryContextAllocZero(consent_cxt, cm->int_span / 8 + 1);
	cm->expiring_bits = MemoryContextAllocZero(consent_cxt, cm->int_span / 8 + 1);
	consentmap_start_iterate(cm->map, &it);
	while ((e = consentmap_iterate(cm->map, &it)) != NULL)
		if (e->granted && canonical_int(e->customer, &v))
		{
			uint64		i = (uint64) v - (uint64) lo;

			if (e->expires_at == DT_NOEND)
				BIT_SET(cm->forever_bits, i);
			else
				BIT_SET(cm->expiring_bits, i);
		}
}

/* Every current consent of the map's purpose and partner. */
static void
load_map(ConsentMap *cm)
{
	CiUserSwitch sw;
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];

	values[0] = CStringGetTextDatum(cm->purpose);
	values[1] = CStringGetTextDatum(cm->partner);
	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	latest_query("SELECT customer, expires_at FROM ci.consent_state"
				 " WHERE purpose OPERATOR(pg_catalog.=) $1 AND scope OPERATOR(pg_catalog.=) $2"
				 " AND granted",
				 2, argtypes, values, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		no_expiry;
		bool		isnull;
		Datum		exp = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &no_expiry);
		text	   *cust = DatumGetTextPP(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));

		remember(cm, text_to_cstring(cust), true, no_expiry,
				 no_expiry ? 0 : DatumGetTimestampTz(exp));
	}
	cm->complete = !consent_stale;
	SPI_finish();
	ci_restore_user(&sw);
	if (cm->complete)
		build_bitmaps(cm);
}

/* One customer's current consent, looked up and remembered. */
static ConsentEntry *
lookup_one(ConsentMap *cm, const char *customer, bool *answer)
{
	CiUserSwitch sw;
	Oid			argtypes[3] = {TEXTOID, TEXTOID, TEXTOID};
	Datum		values[3];
	bool		granted = false;
	bool		expires_null = true;
	TimestampTz expires_at = 0;

	values[0] = CStringGetTextDatum(cm->purpose);
	values[1] = CStringGetTextDatum(cm->partner);
	values[2] = CStringGetTextDatum(customer);
	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (point_plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare("SELECT granted, expires_at FROM ci.consent_state"
									   " WHERE purpose OPERATOR(pg_catalog.=) $1"
									   " AND scope OPERATOR(pg_catalog.=) $2"
									   " AND customer OPERATOR(pg_catalog.=) $3",
									   3, argtypes);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "could not prepare the consent lookup");
		point_plan = plan;
	}
	if (SPI_execute_snapshot(point_plan, values, NULL, GetLatestSnapshot(), InvalidSnapshot,
							 true, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ci.consent_state");
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		exp;

		granted = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		exp = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &expires_null);
		if (!expires_null)
			expires_at = DatumGetTimestampTz(exp);
	}
	SPI_finish();
	ci_restore_user(&sw);
	remember(cm, customer, granted, expires_null, expires_at);
	*answer = granted && (expires_null || GetCurrentStatementStartTimestamp() < expires_at);
	return consentmap_lookup(cm->map, (char *) customer);
}

/* Current consent, from the backend's map. */
static bool
consent_now(const char *customer, const char *purpose, const char *partner)
{
	ConsentMap *cm = get_map(purpose, partner);
	ConsentEntry *e = consentmap_lookup(cm->map, (char *) customer);
	bool		answer;

	if (e == NULL)
	{
		if (cm->complete)
			return false;
		if (++cm->misses > CONSENT_FULL_LOAD && !consent_stale)
		{
			load_map(cm);
			if (cm->complete)
			{
				e = consentmap_lookup(cm->map, (char *) customer);
				return e != NULL && e->granted &&
					GetCurrentStatementStartTimestamp() < e->expires_at;
			}
		}
		(void) lookup_one(cm, customer, &answer);
		return answer;
	}
	return e->granted && GetCurrentStatementStartTimestamp() < e->expires_at;
}

/* Current consent for an integer customer key. */
static bool
consent_now_int(int64 customer, const char *purpose, const char *partner)
{
	ConsentMap *cm = get_map(purpose, partner);
	char		buf[MAXINT8LEN + 1];

	if (cm->int_span > 0)
	{
		uint64		i = (uint64) customer - (uint64) cm->int_base;

		if (i >= cm->int_span)
			return false;
		if (BIT_TEST(cm->forever_bits, i))
			return true;
		if (!BIT_TEST(cm->expiring_bits, i))
			return false;
	}
	pg_lltoa(customer, buf);
	return consent_now(buf, purpose, partner);
}

/* Consent at a past (or any) time, from the ledger. */
static bool
consent_at(const char *customer, const char *purpose, const char *partner, TimestampTz at)
{
	CiUserSwitch sw;
	Oid			argtypes[4] = {TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID};
	Datum		values[4];
	bool		result = false;

	values[0] = CStringGetTextDatum(customer);
	values[1] = CStringGetTextDatum(purpose);
	values[2] = CStringGetTextDatum(partner);
	values[3] = TimestampTzGetDatum(at);
	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	owner_query("SELECT action OPERATOR(pg_catalog.=) 'grant'"
				"       AND (expires_at IS NULL OR expires_at OPERATOR(pg_catalog.>) $4)"
				"  FROM ci.consent_event"
				" WHERE customer OPERATOR(pg_catalog.=) $1 AND purpose OPERATOR(pg_catalog.=) $2"
				"   AND scope OPERATOR(pg_catalog.=) $3 AND occurred_at OPERATOR(pg_catalog.<=) $4"
				" ORDER BY event_id DESC LIMIT 1",
				4, argtypes, values, NULL);
	if (SPI_processed == 1)
	{
		bool		isnull;

		result = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_finish();
	ci_restore_user(&sw);
	return result;
}

/* A customer key argument as text (integers without fmgr). */
static char *
customer_arg(FunctionCallInfo fcinfo, int argno, char *buf)
{
	if (get_fn_expr_argtype(fcinfo->flinfo, argno) == INT8OID)
	{
		pg_lltoa(PG_GETARG_INT64(argno), buf);
		return buf;
	}
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

bool
ci_has_consent_cstring(const char *customer, const char *purpose, const char *partner)
{
	consent_enter();
	if (!known_purpose(purpose)->consent_based)
		return true;
	return consent_now(customer, purpose, partner ? partner : "");
}

PG_FUNCTION_INFO_V1(ci_has_consent);
PG_FUNCTION_INFO_V1(ci_consent_filter);
PG_FUNCTION_INFO_V1(ci_consent_guard);
PG_FUNCTION_INFO_V1(ci_require_consent);
PG_FUNCTION_INFO_V1(ci_customer_column);

/*
 * ci.has_consent(customer, purpose [, at] [, partner]): true if the
 * customer consents to the purpose (with partner: to sharing with that
 * partner) now, or at the time given; true for purposes that do not rest
 * on consent.
 */
Datum
ci_has_consent(PG_FUNCTION_ARGS)
{
	char		buf[MAXINT8LEN + 1];
	char	   *customer;
	char	   *purpose;
	const char *partner;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	consent_enter();
	purpose = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (!known_purpose(purpose)->consent_based)
		PG_RETURN_BOOL(true);
	partner = PG_ARGISNULL(3) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(3));
	if (PG_ARGISNULL(2) && get_fn_expr_argtype(fcinfo->flinfo, 0) == INT8OID)
		PG_RETURN_BOOL(consent_now_int(PG_GETARG_INT64(0), purpose, partner));
	customer = customer_arg(fcinfo, 0, buf);
	if (!PG_ARGISNULL(2))
		PG_RETURN_BOOL(consent_at(customer, purpose, partner, PG_GETARG_TIMESTAMPTZ(2)));
	PG_RETURN_BOOL(consent_now(customer, purpose, partner));
}

/*
 * ci.consent_filter(customer "any"): the row filter of masked views.  True
 * unless the session declares a purpose that rests on consent and the
 * customer has not given it (or it expired, or was withdrawn).
 *
 * The view passes the customer column as it is, without a cast: a cast
 * from a type of the table owner's would run the owner's function with the
 * reader's rights.  The key becomes text here through its type's output
 * function, chosen by OID (ci.customer_column() admits only built-in and
 * ci types, whose output functions are built in); integer keys take the
 * consent map's bitmaps without any conversion.  A single "any" signature
 * leaves name resolution no other candidate to pick.
 *
 * Once per statement it also checks the declared purpose against the
 * role's allowed ones (the view's purpose gate does it too).
 */
static Oid	filter_userid = InvalidOid;

/*
 * Is typoutput an output function of the server's or of customer_info's?
 * (the last one accepted is remembered: a scan asks once per row)
 */
static bool
filter_output_checked(Oid typoutput)
{
	static Oid	accepted = InvalidOid;
	Oid			nsp;

	if (typoutput == accepted)
		return true;
	nsp = get_func_namespace(typoutput);
	if (nsp != PG_CATALOG_NAMESPACE && nsp != get_namespace_oid("ci", false))
		return false;
	accepted = typoutput;
	return true;
}

Datum
ci_consent_filter(PG_FUNCTION_ARGS)
{
	Oid			argtype;
	Datum		value;

	consent_enter();
	/* the purpose is read once per statement: set_config() mid-scan is ignored */
	if (filter_generation != consent_generation || filter_statement != checked_statement ||
		filter_userid != GetUserId())
	{
		const char *purpose = ci_session_purpose();

		ci_check_purpose();
		strlcpy(filter_purpose, purpose, NAMEDATALEN);
		filter_consent_based = false;
		if (purpose[0] != '\0')
			filter_consent_based = known_purpose(purpose)->consent_based;
		filter_generation = consent_generation;
		filter_statement = checked_statement;
		filter_userid = GetUserId();
	}
	if (!filter_consent_based)
		PG_RETURN_BOOL(true);
	argtype = get_fn_expr_argtype(fcinfo->flinfo, 0);
	value = PG_GETARG_DATUM(0);
	switch (argtype)
	{
		case INT8OID:
			PG_RETURN_BOOL(consent_now_int(DatumGetInt64(value), filter_purpose, ""));
		case INT4OID:
			PG_RETURN_BOOL(consent_now_int((int64) DatumGetInt32(value), filter_purpose, ""));
		case INT2OID:
			PG_RETURN_BOOL(consent_now_int((int64) DatumGetInt16(value), filter_purpose, ""));
		case TEXTOID:
		case VARCHAROID:
			PG_RETURN_BOOL(consent_now(TextDatumGetCString(value), filter_purpose, ""));
		case BPCHAROID:
			{
				/* as its cast to text does: without the trailing blanks */
				char	   *key = TextDatumGetCString(value);
				size_t		len = strlen(key);

				while (len > 0 && key[len - 1] == ' ')
					key[--len] = '\0';
				PG_RETURN_BOOL(consent_now(key, filter_purpose, ""));
			}
		case InvalidOid:
			elog(ERROR, "could not determine the type of the customer key");
			break;
		default:
			{
				Oid			typoutput;
				bool		varlena;

				getTypeOutputInfo(argtype, &typoutput, &varlena);
				if (!filter_output_checked(typoutput))
					ereport(ERROR,
							(errcode(ERRCODE_DATATYPE_MISMATCH),
							 errmsg("customer key of type %s cannot be filtered by consent",
									format_type_be(argtype)),
							 errdetail("The consent filter converts only built-in and customer_info types.")));
				PG_RETURN_BOOL(consent_now(OidOutputFunctionCall(typoutput, value),
										   filter_purpose, ""));
			}
	}
	PG_RETURN_BOOL(false);		/* keep compiler quiet */
}

/*
 * ci.consent_guard(): BEFORE INSERT OR UPDATE row trigger with arguments
 * (customer column, purpose [, partner]): a row whose customer has not
 * consented is refused.
 */
Datum
ci_consent_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Trigger    *trigger;
	HeapTuple	row;
	TupleDesc	desc;
	int			attnum;
	bool		isnull;
	Datum		value;
	Oid			typoutput;
	bool		varlena;
	const char *partner;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("ci.consent_guard() must be a BEFORE row trigger")));
	trigger = trigdata->tg_trigger;
	if (trigger->tgnargs < 2)
		elog(ERROR, "ci.consent_guard() needs a column and a purpose");
	row = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple :
		trigdata->tg_trigtuple;
	desc = RelationGetDescr(trigdata->tg_relation);
	attnum = SPI_fnumber(desc, trigger->tgargs[0]);
	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("consent guard of table \"%s\": column \"%s\" does not exist",
						RelationGetRelationName(trigdata->tg_relation), trigger->tgargs[0])));
	partner = trigger->tgnargs > 2 ? trigger->tgargs[2] : "";
	value = heap_getattr(row, attnum, desc, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("row of table \"%s\" names no customer",
						RelationGetRelationName(trigdata->tg_relation)),
				 errdetail("Column \"%s\" is null; the table requires consent to \"%s\".",
						   trigger->tgargs[0], trigger->tgargs[1])));
	getTypeOutputInfo(TupleDescAttr(desc, attnum - 1)->atttypid, &typoutput, &varlena);
	if (!ci_has_consent_cstring(OidOutputFunctionCall(typoutput, value), trigger->tgargs[1],
								partner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("customer of this row of table \"%s\" has not consented to \"%s\"%s%s",
						RelationGetRelationName(trigdata->tg_relation), trigger->tgargs[1],
						partner[0] ? " with partner " : "", partner),
				 errdetail("The customer in column \"%s\" never consented, withdrew the consent, or let it expire.",
						   trigger->tgargs[0]),
				 errhint("Record the customer's consent with ci.give_consent() first.")));
	return PointerGetDatum(row);
}

/* The column attname of relid, an error if it does not exist. */
static void
check_column(Oid relid, const char *attname)
{
	if (get_attnum(relid, attname) == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of table \"%s\" does not exist",
						attname, get_rel_name(relid))));
}

/*
 * ci.require_consent(tbl, customer_col, purpose [, partner]): attach a
 * consent guard (purpose NULL: detach every guard of the table).
 */
Datum
ci_require_consent(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *qrel;

	ci_require_admin("attach consent guards");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table and customer column must not be null")));
	relid = PG_GETARG_OID(0);
	ci_require_table(relid);
	qrel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
	if (PG_ARGISNULL(2))
	{
		CiUserSwitch sw;
		Oid			argtypes[1] = {OIDOID};
		Datum		values[1] = {ObjectIdGetDatum(relid)};
		List	   *names = NIL;
		ListCell   *lc;

		ci_become_owner(&sw);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		owner_query("SELECT tgname FROM pg_catalog.pg_trigger"
					" WHERE tgrelid OPERATOR(pg_catalog.=) $1"
					" AND tgfoid OPERATOR(pg_catalog.=) 'ci.consent_guard()'::pg_catalog.regprocedure",
					1, argtypes, values, NULL);
		for (uint64 i = 0; i < SPI_processed; i++)
			names = lappend(names, MemoryContextStrdup(TopTransactionContext,
													   SPI_getvalue(SPI_tuptable->vals[i],
																	SPI_tuptable->tupdesc, 1)));
		SPI_finish();
		ci_restore_user(&sw);
		foreach(lc, names)
			ci_run_as_table_owner(relid, psprintf("DROP TRIGGER %s ON %s",
												  quote_identifier(lfirst(lc)), qrel));
		PG_RETURN_VOID();
	}
	{
		char	   *col = NameStr(*PG_GETARG_NAME(1));
		char	   *purpose = text_to_cstring(PG_GETARG_TEXT_PP(2));
		char	   *partner = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
		PurposeBasis *pb;

		check_column(relid, col);
		consent_enter();
		pb = known_purpose(purpose);
		if (!pb->consent_based)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("purpose \"%s\" does not rest on consent", purpose),
					 errdetail("Data is used for it without a consent record: a guard would refuse nothing.")));
		if (partner != NULL && strcmp(purpose, "third_party_sharing") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("only consent to third_party_sharing names a partner")));
		ci_run_as_table_owner(relid,
							  psprintf("CREATE TRIGGER %s BEFORE INSERT OR UPDATE ON %s"
									   " FOR EACH ROW EXECUTE FUNCTION ci.consent_guard(%s, %s%s%s)",
									   quote_identifier(psprintf("customer_info_consent_%s%s%s",
																 purpose, partner ? "_" : "",
																 partner ? partner : "")),
									   qrel, quote_literal_cstr(col), quote_literal_cstr(purpose),
									   partner ? ", " : "",
									   partner ? quote_literal_cstr(partner) : ""));
	}
	PG_RETURN_VOID();
}

/*
 * The customer column of a table (NULL if none is declared), in the
 * caller's memory.
 */
char *
ci_customer_attname(Oid relid)
{
	CiUserSwitch sw;
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};
	char	   *result = NULL;
	MemoryContext caller = CurrentMemoryContext;

	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* not read-only: the policy functions see what they just changed */
	if (SPI_execute_with_args("SELECT attname::pg_catalog.text FROM ci.customer_table"
							  " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
							  1, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read ci.customer_table");
	if (SPI_processed == 1)
		result = MemoryContextStrdup(caller, SPI_getvalue(SPI_tuptable->vals[0],
														  SPI_tuptable->tupdesc, 1));
	SPI_finish();
	ci_restore_user(&sw);
	return result;
}

/*
 * The customer column's type must be one whose conversions and comparisons
 * are the server's or customer_info's own: a type of the table owner's (an
 * enum, a domain, a composite) could carry a cast or an operator the owner
 * wrote, which the views, exports and customer-rights functions of every
 * reader would then run.
 */
static Oid
type_namespace(Oid typid)
{
	HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	Oid			nsp;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for type %u", typid);
	nsp = ((Form_pg_type) GETSTRUCT(tup))->typnamespace;
	ReleaseSysCache(tup);
	return nsp;
}

static void
check_customer_type(Oid relid, const char *attname)
{
	Oid			typid = get_atttype(relid, get_attnum(relid, attname));

	switch (typid)
	{
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case NUMERICOID:
		case UUIDOID:
			return;
		default:
			if (get_typ_typrelid(typid) == InvalidOid &&
				get_typtype(typid) == TYPTYPE_BASE &&
				get_element_type(typid) == InvalidOid &&
				type_namespace(typid) == get_namespace_oid("ci", false))
				return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("column \"%s\" of table \"%s\" has type %s, which cannot hold customer keys",
					attname, get_rel_name(relid), format_type_be(typid)),
			 errdetail("A customer key is text, varchar, char, smallint, integer, bigint, numeric, uuid or an identifier type of customer_info; other types may carry casts and operators of the table's owner, which every reader of its masked view would run."),
			 errhint("Store the customer key in a column of one of these types.")));
}

/*
 * ci.customer_column(tbl, col): declare (or with NULL, forget) the column
 * holding a table's customer key; its masked view is made again.
 */
Datum
ci_customer_column(PG_FUNCTION_ARGS)
{
	Oid			relid;
	CiUserSwitch sw;
	Oid			argtypes[2] = {OIDOID, NAMEOID};
	Datum		values[2];
	List	   *grants;

	ci_require_admin("declare customer columns");
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table must not be null")));
	relid = PG_GETARG_OID(0);
	ci_require_table(relid);
	if (!PG_ARGISNULL(1))
	{
		check_column(relid, NameStr(*PG_GETARG_NAME(1)));
		check_customer_type(relid, NameStr(*PG_GETARG_NAME(1)));
		ci_refuse_row_security(relid);
	}
	grants = ci_detach_view(relid);
	values[0] = ObjectIdGetDatum(relid);
	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("DELETE FROM ci.customer_table"
							  " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
							  1, argtypes, values, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not update ci.customer_table");
	if (!PG_ARGISNULL(1))
	{
		values[1] = PG_GETARG_DATUM(1);
		if (SPI_execute_with_args("INSERT INTO ci.customer_table (relid, attname)"
								  " VALUES ($1::pg_catalog.regclass, $2)",
								  2, argtypes, values, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not update ci.customer_table");
	}
	SPI_finish();
	ci_restore_user(&sw);
	CommandCounterIncrement();
	ci_attach_view(relid, grants);
	PG_RETURN_VOID();
}
