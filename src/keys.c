/*-------------------------------------------------------------------------
 *
 * keys.c
 *	  The root key and the data keys it wraps.
 *
 * The root key comes from outside the database, once, when the postmaster
 * loads the library: customer_info.key_command is run and must print 64
 * hex digits, or customer_info.key_file names a file holding them.  Both
 * settings are PGC_POSTMASTER and superuser-only.  The key then lives only
 * in process memory (backends inherit it through fork()); it is never
 * written to a table, a setting, the log or an error.  If it cannot be
 * read, the server starts anyway: the cause is logged once, and every
 * operation that needs it fails with an error naming the settings.
 *
 * Data keys are random 256-bit keys, stored in ci.data_key wrapped (an
 * envelope, see envelope.h) under a key derived from the root key with
 * HKDF.  Each backend keeps the unwrapped keys in a cache that a relcache
 * invalidation of ci.data_key empties (and wipes), so a rotation committed
 * elsewhere is seen by the next statement.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/uuid.h"

#include "keys.h"
#include "views.h"

#define ROOT_KEY_HEX_LEN	(2 * CI_KEY_LEN)
#define MAX_DATA_KEYS		1024

static char *key_command = NULL;
static char *key_file = NULL;
static char *previous_key_command = NULL;
static char *previous_key_file = NULL;

/* A root key as read at start; problem never contains key material. */
typedef struct RootKey
{
	bool		loaded;
	const char *problem;
	const char *fix;			/* a hint for the log, or NULL */
	uint8		key[CI_KEY_LEN];
} RootKey;

static RootKey root;
/* The root key before a rotation, while ci.rewrap_keys() has not run. */
static RootKey previous;

/* The backend's cache of unwrapped data keys. */
static CiDataKey *key_cache = NULL;
static int	key_cache_count = 0;
static bool key_cache_valid = false;
static Oid	data_key_relid = InvalidOid;

void
ci_keys_init(void)
{
	DefineCustomStringVariable("customer_info.key_command",
							   "Command that prints the root key (64 hex digits).",
							   "Run once by the postmaster at start.",
							   &key_command, NULL, PGC_POSTMASTER,
							   GUC_SUPERUSER_ONLY, NULL, NULL, NULL);
	DefineCustomStringVariable("customer_info.key_file",
							   "File holding the root key (64 hex digits).",
							   "Read once by the postmaster at start.",
							   &key_file, NULL, PGC_POSTMASTER,
							   GUC_SUPERUSER_ONLY, NULL, NULL, NULL);
	DefineCustomStringVariable("customer_info.previous_key_command",
							   "Command that prints the previous root key, during a root key rotation.",
							   "Keys wrapped under it still open until ci.rewrap_keys() re-wraps them.",
							   &previous_key_command, NULL, PGC_POSTMASTER,
							   GUC_SUPERUSER_ONLY, NULL, NULL, NULL);
	DefineCustomStringVariable("customer_info.previous_key_file",
							   "File holding the previous root key, during a root key rotation.",
							   "Keys wrapped under it still open until ci.rewrap_keys() re-wraps them.",
							   &previous_key_file, NULL, PGC_POSTMASTER,
							   GUC_SUPERUSER_ONLY, NULL, NULL, NULL);
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse 64 hex digits (surrounding white space allowed) into rk. */
static bool
parse_root_key(const char *buf, size_t len, RootKey *rk)
{
	size_t		start = 0;
	uint8		key[CI_KEY_LEN];

	while (start < len && isspace((unsigned char) buf[start]))
		start++;
	while (len > start && isspace((unsigned char) buf[len - 1]))
		len--;
	if (len - start != ROOT_KEY_HEX_LEN)
	{
		rk->problem = "the key is not 64 hexadecimal digits long";
		return false;
	}
	for (size_t i = 0; i < CI_KEY_LEN; i++)
	{
		int			hi = hex_value(buf[start + 2 * i]);
		int			lo = hex_value(buf[start + 2 * i + 1]);

		if (hi < 0 || lo < 0)
		{
			explicit_bzero(key, sizeof(key));
			rk->problem = "the key contains characters that are not hexadecimal digits";
			return false;
		}
		key[i] = (uint8) (hi << 4 | lo);
	}
	memcpy(rk->key, key, CI_KEY_LEN);
	explicit_bzero(key, sizeof(key));
	rk->loaded = true;
	return true;
}

/*
 * A key file must be as private as the server's TLS key (the rule the
 * server applies to ssl_key_file): a regular file owned by the server's
 * user with no access for group or others, or owned by root and at most
 * readable by the group (0640).  Otherwise the key is not used, and the
 * problem and its fix are set for the log.  Checked on the open file, so
 * that what is checked is what is read.
 */
static bool
key_file_exposed(FILE *fh, const char *file, const char *file_name, RootKey *rk)
{
	struct stat st;

	/* the problem reaches clients' errors too: the path only in the hint */
	if (fstat(fileno(fh), &st) != 0)
	{
		rk->problem = psprintf("%s could not be examined", file_name);
		return true;
	}
	if (!S_ISREG(st.st_mode))
	{
		rk->problem = psprintf("%s is not a regular file", file_name);
		rk->fix = psprintf("Point %s at a regular file; \"%s\" is not one.",
						   file_name, file);
		return true;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0)
	{
		rk->problem = psprintf("%s is owned neither by the database server's user nor by root",
							   file_name);
		rk->fix = psprintf("Give \"%s\" to the user the server runs as (chown), then run chmod 0600 on it.",
						   file);
		return true;
	}
	if (st.st_uid == geteuid() ?
		(st.st_mode & (S_IRWXG | S_IRWXO)) != 0 :
		(st.st_mode & (S_IWGRP | S_IXGRP | S_IRWXO)) != 0)
	{
		rk->problem = psprintf("%s can be accessed by group or others, so the key was not used",
							   file_name);
		rk->fix = psprintf("The file \"%s\" has permissions %04o: run chmod 0600 \"%s\" (a file owned by root may be 0640, readable by the server's group), then restart the server.",
						   file, (unsigned int) (st.st_mode & 07777), file);
		return true;
	}
	return false;
}

/*
 * Read a root key from a command or a file (one of them set); the names of
 * the two settings are for messages.  Returns where it came from, or NULL.
 */
static const char *
read_root_key(const char *command, const char *file,
			  const char *command_name, const char *file_name, RootKey *rk)
{
	char		buf[ROOT_KEY_HEX_LEN + 64];
	size_t		len = 0;
	const char *source = NULL;

	if (command && command[0] && file && file[0])
		rk->problem = psprintf("both %s and %s are set", command_name, file_name);
	else if (command && command[0])
	{
		FILE	   *fh = OpenPipeStream(command, "r");

		source = command_name;
		if (fh == NULL)
			rk->problem = psprintf("%s could not be run", command_name);
		else
		{
			len = fread(buf, 1, sizeof(buf), fh);
			if (ClosePipeStream(fh) != 0)
				rk->problem = psprintf("%s failed", command_name);
			else
				parse_root_key(buf, len, rk);
		}
	}
	else if (file && file[0])
	{
		FILE	   *fh = AllocateFile(file, "r");

		source = file_name;
		if (fh == NULL)
			rk->problem = psprintf("%s could not be read", file_name);
		else if (key_file_exposed(fh, file, file_name, rk))
			FreeFile(fh);
		else
		{
			len = fread(buf, 1, sizeof(buf), fh);
			FreeFile(fh);
			parse_root_key(buf, len, rk);
		}
	}
	else
		rk->problem = psprintf("neither %s nor %s is set", command_name, file_name);
	explicit_bzero(buf, sizeof(buf));
	return source;
}

/*
 * Read the root key, and the previous one during a rotation.  Called by
 * the postmaster from _PG_init; the outcome (never a key) is logged.
 */
void
ci_keys_load_root(void)
{
	const char *source;

	source = read_root_key(key_command, key_file, "customer_info.key_command",
						   "customer_info.key_file", &root);
	if (root.loaded)
		ereport(LOG,
				(errmsg("customer_info: root key loaded from %s", source)));
	else
		ereport(WARNING,
				(errmsg("customer_info: no root key, encryption is unavailable"),
				 errdetail("The cause: %s.", root.problem),
				 root.fix ? errhint("%s", root.fix) : 0));

	if ((previous_key_command && previous_key_command[0]) ||
		(previous_key_file && previous_key_file[0]))
	{
		source = read_root_key(previous_key_command, previous_key_file,
							   "customer_info.previous_key_command",
							   "customer_info.previous_key_file", &previous);
		if (previous.loaded)
			ereport(LOG,
					(errmsg("customer_info: previous root key loaded from %s", source),
					 errhint("Run SELECT ci.rewrap_keys() to re-wrap every key under the new root key, then remove the setting.")));
		else
			ereport(WARNING,
					(errmsg("customer_info: the previous root key could not be read"),
					 errdetail("The cause: %s.", previous.problem),
					 previous.fix ? errhint("%s", previous.fix) : 0));
	}
}

static const uint8 *
get_root_key(void)
{
	if (!root.loaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("customer_info has no root key"),
				 errdetail("The root key was not loaded at server start: %s.",
						   root.problem ? root.problem : "unknown cause"),
				 errhint("Set customer_info.key_command or customer_info.key_file in postgresql.conf and restart the server.")));
	return root.key;
}

CiSuite
ci_suite_from_name(const char *name)
{
	if (strcmp(name, "aes-256-gcm") == 0)
		return CI_SUITE_AES_GCM;
	if (strcmp(name, "sm4-sm3") == 0)
		return CI_SUITE_SM4_SM3;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown cipher suite \"%s\"", name),
			 errhint("The suites are \"aes-256-gcm\" and \"sm4-sm3\".")));
	return CI_SUITE_AES_GCM;	/* keep compiler quiet */
}

const char *
ci_suite_name(CiSuite suite)
{
	return suite == CI_SUITE_SM4_SM3 ? "sm4-sm3" : "aes-256-gcm";
}

/* The key that wraps secrets for purpose, derived from a root key. */
static void
wrapping_key(CiSuite suite, const uint8 *root_key, const char *purpose,
			 uint8 *out)
{
	char	   *info = psprintf("customer_info wrap %s", purpose);

	if (!ci_hkdf(suite, root_key, CI_KEY_LEN, (const uint8 *) info,
				 strlen(info), out, CI_KEY_LEN))
		elog(ERROR, "HKDF failed");
	pfree(info);
}

bytea *
ci_wrap_secret(CiSuite suite, const uint8 *secret, const char *purpose)
{
	uint8		wkey[CI_KEY_LEN];
	bytea	   *result = palloc(VARHDRSZ + CI_ENVELOPE_OVERHEAD + CI_KEY_LEN);
	bool		ok;

	wrapping_key(suite, get_root_key(), purpose, wkey);
	ok = ci_envelope_seal(suite, 0, wkey, (const uint8 *) purpose,
						  strlen(purpose), secret, CI_KEY_LEN,
						  (uint8 *) VARDATA(result));
	explicit_bzero(wkey, sizeof(wkey));
	if (!ok)
		elog(ERROR, "could not wrap a key");
	SET_VARSIZE(result, VARHDRSZ + CI_ENVELOPE_OVERHEAD + CI_KEY_LEN);
	return result;
}

void
ci_unwrap_secret(bytea *wrapped, const char *purpose, uint8 *secret)
{
	CiEnvelopeHeader header;
	uint8		wkey[CI_KEY_LEN];
	const uint8 *env = (const uint8 *) VARDATA_ANY(wrapped);
	size_t		envlen = VARSIZE_ANY_EXHDR(wrapped);
	CiOpenStatus status;

	if (envlen != CI_ENVELOPE_OVERHEAD + CI_KEY_LEN ||
		ci_envelope_header(env, envlen, &header) != CI_OPEN_OK)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("wrapped key for %s is malformed", purpose)));
	wrapping_key(header.suite, get_root_key(), purpose, wkey);
	status = ci_envelope_open(wkey, (const uint8 *) purpose, strlen(purpose),
							  env, envlen, secret);
	if (status == CI_OPEN_AUTH_FAILED && previous.loaded)
	{
		/* during a root key rotation: wrapped under the previous key? */
		wrapping_key(header.suite, previous.key, purpose, wkey);
		status = ci_envelope_open(wkey, (const uint8 *) purpose, strlen(purpose),
								  env, envlen, secret);
	}
	explicit_bzero(wkey, sizeof(wkey));
	if (status != CI_OPEN_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PASSWORD),
				 errmsg("the key for %s cannot be unwrapped with this server's root key", purpose),
				 errhint("The server was started with a different root key than the one these keys were made under.")));
}

/*
 * What a column's blind-index key is wrapped for: it names the column by
 * its id, which survives renames and dump/restore.
 */
char *
index_key_purpose(const uint8 *column_id)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "blind index of column ");
	for (int i = 0; i < UUID_LEN; i++)
		appendStringInfo(&buf, "%02x", column_id[i]);
	return buf.data;
}

/*
 * Role checks.  Privileged entry points say which role is missing.
 */
void
ci_require_admin(const char *what)
{
	Oid			admin = get_role_oid("customer_info_admin", true);

	if (superuser())
		return;
	if (!OidIsValid(admin) || !has_privs_of_role(GetUserId(), admin))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s", what),
				 errdetail("Only members of role customer_info_admin may %s.", what)));
}

/*
 * The extension's tables are read and written as their owner (the
 * superuser who created the extension), so that callers need no privileges
 * on them; the SQL that runs then is fixed text with parameters, and no
 * user code can run under that identity.
 */
static void
switch_user(Oid role, CiUserSwitch *sw)
{
	GetUserIdAndSecContext(&sw->save_userid, &sw->save_sec);
	SetUserIdAndSecContext(role, sw->save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	/* as REFRESH MATERIALIZED VIEW does: nothing set here outlives us */
	sw->save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	/* a row-level security policy must make us fail, not skip rows */
	(void) set_config_option("row_security", "off",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
}

Oid
ci_relation_owner(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

void
ci_become_owner(CiUserSwitch *sw)
{
	Oid			relid = get_relname_relid("data_key", get_namespace_oid("ci", false));

	if (!OidIsValid(relid))
		elog(ERROR, "table ci.data_key is missing");
	switch_user(ci_relation_owner(relid), sw);
}

void
ci_become_table_owner(Oid relid, CiUserSwitch *sw)
{
	switch_user(ci_relation_owner(relid), sw);
}

void
ci_become_role(Oid role, CiUserSwitch *sw)
{
	switch_user(role, sw);
}

void
ci_restore_user(CiUserSwitch *sw)
{
	AtEOXact_GUC(false, sw->save_nestlevel);
	SetUserIdAndSecContext(sw->save_userid, sw->save_sec);
}

/* Run the SQL in cmd on a user table as its owner, restricted. */
void
ci_run_as_table_owner(Oid relid, const char *cmd)
{
	CiUserSwitch sw;
	const char *volatile saved_sql;

	ci_become_table_owner(relid, &sw);
	saved_sql = ci_internal_sql;
	ci_internal_sql = cmd;
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute(cmd, false, 0) < 0)
			elog(ERROR, "could not run: %s", cmd);
		SPI_finish();
	}
	PG_FINALLY();
	{
		ci_internal_sql = saved_sql;
	}
	PG_END_TRY();
	ci_restore_user(&sw);
}

/* A table argument of a policy function: an error unless a plain table. */
void
ci_require_table(Oid relid)
{
	char		relkind = get_rel_relkind(relid);

	if (relkind == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (relkind != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", get_rel_name(relid))));
}

PG_FUNCTION_INFO_V1(ci_require_table_sql);

/*
 * ci.require_table(tbl): the same check for the PL/pgSQL entry points,
 * made before they read the relation: a view, a foreign table or a
 * partitioned table passed by name would run code its owner wrote.
 */
Datum
ci_require_table_sql(PG_FUNCTION_ARGS)
{
	ci_require_table(PG_GETARG_OID(0));
	PG_RETURN_VOID();
}

static uint64 key_generation = 0;

uint64
ci_key_cache_generation(void)
{
	return key_generation;
}

static void
key_cache_reset(void)
{
	key_generation++;
	ci_envelope_forget_keys();
	if (key_cache != NULL)
		explicit_bzero(key_cache, sizeof(CiDataKey) * MAX_DATA_KEYS);
	key_cache_count = 0;
	key_cache_valid = false;
}

static void
key_cache_invalidate(Datum arg pg_attribute_unused(), Oid relid)
{
	if (relid == InvalidOid || relid == data_key_relid)
		key_cache_reset();
}

/* Unwrap every data key into the cache. */
static void
key_cache_load(void)
{
	static bool registered = false;
	CiUserSwitch sw;
	int			ret;

	if (key_cache_valid)
		return;
	if (!registered)
	{
		CacheRegisterRelcacheCallback(key_cache_invalidate, (Datum) 0);
		registered = true;
	}
	if (key_cache == NULL)
		key_cache = MemoryContextAllocZero(TopMemoryContext,
										   sizeof(CiDataKey) * MAX_DATA_KEYS);
	key_cache_reset();
	data_key_relid = get_relname_relid("data_key", get_namespace_oid("ci", false));

	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute("SELECT key_id, suite, status OPERATOR(pg_catalog.=) 'active', wrapped"
					  " FROM ci.data_key WHERE status OPERATOR(pg_catalog.<>) 'retired'"
					  " ORDER BY key_id", false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read ci.data_key");
	if (SPI_processed > MAX_DATA_KEYS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many data keys in use (%d at most)", MAX_DATA_KEYS),
				 errhint("Re-encrypt the columns and retire old keys.")));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		CiDataKey  *k = &key_cache[i];
		char	   *purpose;

		k->key_id = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
		k->suite = ci_suite_from_name(TextDatumGetCString(SPI_getbinval(tup, desc, 2, &isnull)));
		k->active = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull));
		purpose = psprintf("data key %d", k->key_id);
		ci_unwrap_secret(DatumGetByteaPP(SPI_getbinval(tup, desc, 4, &isnull)),
						 purpose, k->key);
		key_cache_count++;
	}
	SPI_finish();
	ci_restore_user(&sw);
	key_cache_valid = true;
}

bool
ci_has_active_data_key(void)
{
	key_cache_load();
	for (int i = 0; i < key_cache_count; i++)
		if (key_cache[i].active)
			return true;
	return false;
}

const CiDataKey *
ci_active_data_key(void)
{
	key_cache_load();
	for (int i = 0; i < key_cache_count; i++)
		if (key_cache[i].active)
			return &key_cache[i];
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("customer_info has no active data key"),
			 errhint("A member of customer_info_admin creates one with SELECT ci.rotate_key().")));
	return NULL;				/* keep compiler quiet */
}

const CiDataKey *
ci_data_key(int32 key_id)
{
	key_cache_load();
	for (int i = 0; i < key_cache_count; i++)
		if (key_cache[i].key_id == key_id)
			return &key_cache[i];
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("data key %d does not exist or is retired", key_id)));
	return NULL;				/* keep compiler quiet */
}

int32
ci_create_data_key(CiSuite suite)
{
	uint8		key[CI_KEY_LEN];
	CiUserSwitch sw;
	int32		key_id;
	bool		isnull;
	bytea	   *wrapped;
	char	   *purpose;
	Oid			argtypes[3] = {INT4OID, TEXTOID, BYTEAOID};
	Datum		values[3];

	get_root_key();
	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* one rotation at a time; readers are not blocked */
	if (SPI_execute("LOCK TABLE ci.data_key IN SHARE ROW EXCLUSIVE MODE", false, 0) < 0 ||
		SPI_execute("SELECT COALESCE(pg_catalog.max(key_id), 0) OPERATOR(pg_catalog.+) 1"
					" FROM ci.data_key", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ci.data_key");
	key_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
										 SPI_tuptable->tupdesc, 1, &isnull));

	if (!ci_random_bytes(key, CI_KEY_LEN))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random key")));
	purpose = psprintf("data key %d", key_id);
	wrapped = ci_wrap_secret(suite, key, purpose);
	explicit_bzero(key, sizeof(key));

	values[0] = Int32GetDatum(key_id);
	values[1] = CStringGetTextDatum(ci_suite_name(suite));
	values[2] = PointerGetDatum(wrapped);
	if (SPI_execute("UPDATE ci.data_key SET status = 'retiring'"
					" WHERE status OPERATOR(pg_catalog.=) 'active'", false, 0) != SPI_OK_UPDATE ||
		SPI_execute_with_args("INSERT INTO ci.data_key (key_id, suite, status, wrapped)"
							  " VALUES ($1, $2, 'active', $3)",
							  3, argtypes, values, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not store the new data key");
	SPI_finish();
	ci_restore_user(&sw);
	key_cache_reset();
	return key_id;
}

/*
 * ci.rewrap_keys(): during a root key rotation (the new key in
 * customer_info.key_command or key_file, the old one in
 * customer_info.previous_key_command or previous_key_file), re-wrap every
 * data key and blind-index key under the new root key.  Rows are not
 * touched.  Returns the number of keys re-wrapped.
 */
PG_FUNCTION_INFO_V1(ci_rewrap_keys);

static int
rewrap_table(const char *select_sql, const char *update_sql, bool data_keys)
{
	int			n = 0;
	uint64		nrows;
	SPITupleTable *tuptable;

	if (SPI_execute(select_sql, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the wrapped keys");
	nrows = SPI_processed;
	tuptable = SPI_tuptable;
	for (uint64 i = 0; i < nrows; i++)
	{
		bool		isnull;
		Datum		id = SPI_getbinval(tuptable->vals[i], tuptable->tupdesc, 1, &isnull);
		bytea	   *wrapped = DatumGetByteaPP(SPI_getbinval(tuptable->vals[i],
															tuptable->tupdesc, 2, &isnull));
		char	   *purpose;
		uint8		secret[CI_KEY_LEN];
		Oid			argtypes[2];
		Datum		values[2];

		if (data_keys)
		{
			purpose = psprintf("data key %d", DatumGetInt32(id));
			argtypes[0] = INT4OID;
		}
		else
		{
			purpose = index_key_purpose(DatumGetUUIDP(id)->data);
			argtypes[0] = UUIDOID;
		}
		ci_unwrap_secret(wrapped, purpose, secret);
		values[0] = id;
		values[1] = PointerGetDatum(ci_wrap_secret((CiSuite) ((uint8 *) VARDATA_ANY(wrapped))[1],
												   secret, purpose));
		explicit_bzero(secret, sizeof(secret));
		argtypes[1] = BYTEAOID;
		if (SPI_execute_with_args(update_sql, 2, argtypes, values, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not store a re-wrapped key");
		n++;
	}
	return n;
}

Datum
ci_rewrap_keys(PG_FUNCTION_ARGS)
{
	CiUserSwitch sw;
	int			n;

	ci_require_admin("re-wrap keys");
	get_root_key();
	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	n = rewrap_table("SELECT key_id, wrapped FROM ci.data_key FOR UPDATE",
					 "UPDATE ci.data_key SET wrapped = $2"
					 " WHERE key_id OPERATOR(pg_catalog.=) $1", true);
	n += rewrap_table("SELECT column_id, index_key FROM ci.protected_column"
					  " WHERE index_key IS NOT NULL FOR UPDATE",
					  "UPDATE ci.protected_column SET index_key = $2"
					  " WHERE column_id OPERATOR(pg_catalog.=) $1", false);
	SPI_finish();
	ci_restore_user(&sw);
	key_cache_reset();
	PG_RETURN_INT32(n);
}

/*
 * ci.retire_keys(): mark 'retired' every retiring data key that no stored
 * value uses any more (as ci.key_usage() counts them, table by table);
 * retired keys are no longer unwrapped.  Returns how many were retired.
 * Usage of a retiring key only falls (new values are sealed under the
 * active key), so a key found unused stays unused.
 */
PG_FUNCTION_INFO_V1(ci_retire_keys);

Datum
ci_retire_keys(PG_FUNCTION_ARGS)
{
	CiUserSwitch sw;
	Datum		used;
	bool		isnull;
	Oid			argtypes[1] = {INT4ARRAYOID};
	Datum		values[1];
	char		nulls[1] = " ";
	int			n;

	ci_require_admin("retire keys");

	/*
	 * Writers still in progress may be storing values under a retiring key
	 * (their transaction began before the rotation): wait for them, and
	 * keep new ones out, with a SHARE lock on every protected table until
	 * we commit.
	 */
	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT relid::pg_catalog.oid FROM ci.protected_column"
					" GROUP BY 1 ORDER BY 1", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read ci.protected_column");
	{
		uint64		ntables = SPI_processed;
		Oid		   *tables = SPI_palloc(sizeof(Oid) * (ntables + 1));

		for (uint64 i = 0; i < ntables; i++)
		{
			bool		isnull2;

			tables[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
													   SPI_tuptable->tupdesc, 1,
													   &isnull2));
		}
		SPI_finish();
		ci_restore_user(&sw);
		for (uint64 i = 0; i < ntables; i++)
		{
			if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(tables[i])))
				continue;
			ci_become_table_owner(tables[i], &sw);
			if (SPI_connect() != SPI_OK_CONNECT)
				elog(ERROR, "SPI_connect failed");
			if (SPI_execute(psprintf("LOCK TABLE %s IN SHARE MODE",
									 quote_qualified_identifier(get_namespace_name(get_rel_namespace(tables[i])),
																get_rel_name(tables[i]))),
							false, 0) < 0)
				elog(ERROR, "could not lock a protected table");
			SPI_finish();
			ci_restore_user(&sw);
		}
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* counted as the caller: ci.key_usage() reads each table as its owner */
	if (SPI_execute("SELECT pg_catalog.array_agg(DISTINCT key_id)"
					" FROM ci.key_usage() WHERE key_id IS NOT NULL", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not count key usage");
	used = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		used = PointerGetDatum(construct_empty_array(INT4OID));
	else
		used = PointerGetDatum(DatumGetArrayTypePCopy(used));
	SPI_finish();

	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	values[0] = used;
	if (SPI_execute_with_args("UPDATE ci.data_key SET status = 'retired',"
							  " retired_at = pg_catalog.now()"
							  " WHERE status OPERATOR(pg_catalog.=) 'retiring'"
							  " AND key_id OPERATOR(pg_catalog.<>) ALL ($1)",
							  1, argtypes, values, nulls, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not retire keys");
	n = (int) SPI_processed;
	SPI_finish();
	ci_restore_user(&sw);
	key_cache_reset();
	PG_RETURN_INT32(n);
}
