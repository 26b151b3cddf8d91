/*-------------------------------------------------------------------------
 *
 * audit.c
 *	  Audit triggers in C and the tamper-evident hash chain.
 *
 * ci.audit(tbl) attaches two triggers: an AFTER row trigger that records
 * each INSERT, UPDATE and DELETE in backend memory (old and new values as
 * jsonb built directly, for an UPDATE only the columns that changed,
 * protected columns as stored: the envelope of an encrypted one, the mask
 * of one kept in clear, never its plaintext; the actor: session and
 * current user, application, client address; the session's purpose), and
 * an AFTER TRUNCATE statement trigger.  A transaction's records go into
 * ci.audit_log just before it commits (a batch whenever AUDIT_BATCH are
 * waiting), straight into the log's heap and indexes as COPY writes, with
 * no SQL to plan or run, and no statement trigger to fire per statement.
 * Records of a subtransaction that rolls back are dropped with it.
 *
 * ci.audit_log is append-only.  ci.audit_seal() links the rows written
 * since the last seal, changes and clear reads (ci.read_audit) alike,
 * into a SHA-256 chain, in ci.audit_chain (append-only too): each link
 * hashes the previous link's hash, its sequence number, its source table
 * and a canonical, length-prefixed encoding of the row.  Writers never
 * wait for it: they only insert; the sealer takes the rows committed so
 * far (a row of a transaction still in progress is invisible to it and is
 * sealed by a later run, further down the chain), one sealer at a time.
 * ci.audit_verify() recomputes the chain, or a range of it, and names the
 * first broken link; ci.audit_head() gives the last link, to keep outside
 * the database and verify against later.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/xid8.h"

#include "access.h"
#include "audit.h"
#include "keys.h"
#include "views.h"

static void audit_purge_guc_init(void);

/* Records waiting to be written, and how many go to the log at a time. */
#define AUDIT_BATCH		1000

/*
 * One change, waiting for its transaction's commit (or a full batch).  Its
 * strings are taken when it is made (the table or a role may be renamed or
 * dropped before the commit) and shared by the records that follow while
 * they stay the same.
 */
typedef struct AuditRecord
{
	SubTransactionId subid;
	Oid			relid;
	char		op;				/* I U D T (truncate) X (detach) Z (triggers off) */
	TimestampTz at;
	const char *table_name;		/* schema-qualified, as it was called */
	const char *user_name;		/* the current user at the change */
	const char *session_name;	/* the session user */
	const char *purpose;		/* the session's purpose ("" if none) */
	const char *appname;		/* application_name */
	Datum		row_key;		/* jsonb, or 0 */
	Datum		changed;		/* text[], UPDATE only, or 0 */
	Datum		old_values;		/* jsonb, or 0 */
	Datum		new_values;		/* jsonb, or 0 */
} AuditRecord;

static MemoryContext audit_cxt = NULL;	/* the records and their values */
static AuditRecord *pending = NULL;
static int	npending = 0;
static int	maxpending = 0;
static int	nheld = 0;			/* of them, held for an enclosing subtransaction */
static int	nwritten = 0;		/* written since audit_cxt was last emptied */

/* what the last record took, to share (pointers into audit_cxt) */
static AuditRecord last_record;
static Oid	last_userid = InvalidOid;
static Oid	last_session_userid = InvalidOid;
static uint64 last_names_generation = 0;

/* How the columns of the table being recorded are shown */
typedef struct AuditDesc
{
	Oid			relid;
	uint64		generation;
	int			natts;
	char	   *forms;
	AttrNumber *mask_attnums;
	bool	   *excluded;
	FmgrInfo   *output;			/* each column's output function */
	bool		log_unchanged;
} AuditDesc;

/* the last table's description, kept across transactions until the policy changes */
static AuditDesc *last_desc = NULL;
static MemoryContext desc_cxt = NULL;

static void write_records(void);

static void
forget_last_record(void)
{
	memset(&last_record, 0, sizeof(last_record));
	last_userid = last_session_userid = InvalidOid;
}

static void
audit_reset(void)
{
	pending = NULL;
	npending = maxpending = nheld = nwritten = 0;
	forget_last_record();
	if (audit_cxt != NULL)
		MemoryContextReset(audit_cxt);
}

static void
audit_xact_callback(XactEvent event, void *arg pg_attribute_unused())
{
	/* the transaction's records go into the log just before it commits */
	if ((event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PRE_PREPARE) && npending > 0)
		write_records();
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_COMMIT ||
		event == XACT_EVENT_PARALLEL_ABORT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PREPARE)
		audit_reset();
}

/*
 * A rolled-back subtransaction takes its records along: those made in it
 * or in the subtransactions it had (whose ids are all at least its own).
 */
static void
audit_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid pg_attribute_unused(),
					   void *arg pg_attribute_unused())
{
	int			kept = 0;

	/*
	 * A subtransaction about to commit writes its own records, so that
	 * records of many small subtransactions (a loop with an exception
	 * block, a driver's savepoint per statement) never pile up behind
	 * deeper ones.
	 */
	if (event == SUBXACT_EVENT_PRE_COMMIT_SUB)
	{
		/* its records are the newest (deeper ones wrote theirs already) */
		if (npending > 0 && pending[npending - 1].subid >= mySubid)
			write_records();
		return;
	}
	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	for (int i = 0; i < npending; i++)
		if (pending[i].subid < mySubid)
			pending[kept++] = pending[i];
	npending = kept;
	nheld = Min(nheld, npending);
}

/*
 * ci.audit_log and its id sequence, looked up once, and the slots its rows
 * are written through (over a copy of its row type, so that they need no
 * pin and last across transactions): all forgotten when either changes.
 * The invalidation callback only marks them stale: it can run in the
 * middle of a write, which goes on with what it has.
 */
static Oid	log_relid = InvalidOid;
static Oid	log_seq_relid = InvalidOid;
static Oid	log_owner = InvalidOid;
static bool log_slots_stale = true;
static MemoryContext log_cxt = NULL;
static TupleDesc log_tupdesc = NULL;
static TupleTableSlot **log_slots = NULL;
static int	log_nslots = 0;

static void
audit_relcache_callback(Datum arg pg_attribute_unused(), Oid relid)
{
	if (!OidIsValid(relid) || relid == log_relid || relid == log_seq_relid)
	{
		log_relid = log_seq_relid = InvalidOid;
		log_slots_stale = true;
	}
}

static void
lookup_log(void)
{
	Oid			ci_ns;

	if (OidIsValid(log_relid))
		return;
	ci_ns = get_namespace_oid("ci", false);
	log_seq_relid = get_relname_relid("audit_log_audit_id_seq", ci_ns);
	log_relid = get_relname_relid("audit_log", ci_ns);
	if (!OidIsValid(log_relid) || !OidIsValid(log_seq_relid))
	{
		log_relid = log_seq_relid = InvalidOid;
		elog(ERROR, "table ci.audit_log is missing");
	}
	log_owner = ci_relation_owner(log_relid);
}

/*
 * Names every log row repeats (the table's, the users'), kept until the
 * catalogs change: the invalidation callback only marks them stale, and
 * callers copy what they get.
 */
typedef struct CachedName
{
	Oid			oid;
	char	   *name;
} CachedName;

static CachedName table_name_cache = {InvalidOid, NULL};
static CachedName user_name_cache[2] = {{InvalidOid, NULL}, {InvalidOid, NULL}};

static uint64 names_generation = 1;	/* goes up whenever they may change */

static void
audit_names_callback(Datum arg pg_attribute_unused(), int cacheid,
					 uint32 hashvalue pg_attribute_unused())
{
	if (cacheid == AUTHOID)
		user_name_cache[0].oid = user_name_cache[1].oid = InvalidOid;
	else
		table_name_cache.oid = InvalidOid;
	names_generation++;
}

static void
cache_name(CachedName *c, Oid oid, const char *name)
{
	char	   *copy = MemoryContextStrdup(TopMemoryContext, name);

	if (c->name != NULL)
		pfree(c->name);
	c->name = copy;
	c->oid = oid;
}

/* The table's schema-qualified name (valid until the next lookup). */
static const char *
table_name(Oid relid)
{
	if (table_name_cache.oid != relid)
	{
		char	   *relname = get_rel_name(relid);
		char	   *nspname = get_namespace_name(get_rel_namespace(relid));

		if (relname == NULL || nspname == NULL)
			elog(ERROR, "cache lookup failed for relation %u", relid);
		cache_name(&table_name_cache, relid, quote_qualified_identifier(nspname, relname));
	}
	return table_name_cache.name;
}

/* A role's name (valid until the next lookup). */
static const char *
user_name(Oid roleid)
{
	CachedName *c;

	if (user_name_cache[0].oid == roleid)
		return user_name_cache[0].name;
	if (user_name_cache[1].oid == roleid)
		return user_name_cache[1].name;
	c = OidIsValid(user_name_cache[0].oid) ? &user_name_cache[1] : &user_name_cache[0];
	cache_name(c, roleid, GetUserNameFromId(roleid, false));
	return c->name;
}

void
ci_audit_init(void)
{
	RegisterXactCallback(audit_xact_callback, NULL);
	RegisterSubXactCallback(audit_subxact_callback, NULL);
	CacheRegisterRelcacheCallback(audit_relcache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(RELOID, audit_names_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, audit_names_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, audit_names_callback, (Datum) 0);
	audit_purge_guc_init();
}

/* The table's audit settings and column forms (cached until the policy changes). */
static AuditDesc *
audit_desc(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	TupleDesc	tupdesc = RelationGetDescr(rel);
	AuditDesc  *d;
	CiUserSwitch sw;
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};
	MemoryContext old;
	bool		found;

	if (last_desc != NULL && last_desc->relid == relid &&
		last_desc->generation == ci_policy_generation() &&
		last_desc->natts == tupdesc->natts)
		return last_desc;
	if (desc_cxt == NULL)
		desc_cxt = AllocSetContextCreate(TopMemoryContext, "customer_info audit tables",
										 ALLOCSET_SMALL_SIZES);
	last_desc = NULL;
	MemoryContextReset(desc_cxt);
	old = MemoryContextSwitchTo(desc_cxt);
	d = palloc0(sizeof(AuditDesc));
	d->relid = relid;
	d->generation = ci_policy_generation();
	d->natts = tupdesc->natts;
	d->forms = palloc(d->natts);
	d->mask_attnums = palloc(sizeof(AttrNumber) * d->natts);
	d->excluded = palloc0(sizeof(bool) * d->natts);
	d->output = palloc0(sizeof(FmgrInfo) * d->natts);
	MemoryContextSwitchTo(old);
	ci_audit_column_forms(relid, d->natts, d->forms, d->mask_attnums);
	for (int i = 0; i < d->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		Oid			typoutput;
		bool		varlena;

		if (att->attisdropped)
			continue;
		getTypeOutputInfo(att->atttypid, &typoutput, &varlena);
		fmgr_info_cxt(typoutput, &d->output[i], desc_cxt);
	}

	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT excluded, log_unchanged FROM ci.audit_table"
							  " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
							  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ci.audit_table");
	found = SPI_processed == 1;
	if (found)
	{
		bool		isnull;
		bool		unchanged_null;
		Datum		arr = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		d->log_unchanged = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
													  SPI_tuptable->tupdesc, 2, &unchanged_null));
		if (!isnull)
		{
			Datum	   *names;
			int			n;

			deconstruct_array(DatumGetArrayTypeP(arr), NAMEOID, NAMEDATALEN, false,
							  TYPALIGN_CHAR, &names, NULL, &n);
			for (int i = 0; i < n; i++)
			{
				int			attnum = SPI_fnumber(tupdesc, NameStr(*DatumGetName(names[i])));

				if (attnum > 0)
					d->excluded[attnum - 1] = true;
			}
		}
	}
	SPI_finish();
	ci_restore_user(&sw);
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("table \"%s\" is not audited", RelationGetRelationName(rel)),
				 errhint("ci.audit_trigger() fires only on tables attached with ci.audit().")));
	last_desc = d;
	return d;
}

/* A column's value as the log shows it: its text, or JSON null. */
static void
json_value(JsonbValue *v, AuditDesc *d, TupleDesc tupdesc, HeapTuple tuple, int i)
{
	AttrNumber	attnum = i + 1;
	bool		isnull;
	Datum		value;
	char	   *s;

	if (d->forms[i] == CI_AUDIT_MASKED)
	{
		/* a protected column kept in clear: its masked form */
		attnum = d->mask_attnums[i];
		if (attnum <= 0)
		{
			v->type = jbvNull;
			return;
		}
	}
	value = heap_getattr(tuple, attnum, tupdesc, &isnull);
	if (isnull)
	{
		v->type = jbvNull;
		return;
	}
	s = OutputFunctionCall(&d->output[attnum - 1], value);
	v->type = jbvString;
	v->val.string.val = s;
	v->val.string.len = strlen(s);
}

/*
 * {"col": "value", ...} of the columns the mask selects (all if NULL), as
 * jsonb built directly (no JSON text to parse).
 */
static Datum
json_row(AuditDesc *d, TupleDesc tupdesc, HeapTuple tuple, const bool *only)
{
	JsonbParseState *state = NULL;
	JsonbValue *result;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		JsonbValue	key;
		JsonbValue	value;

		if (att->attisdropped || d->forms[i] == CI_AUDIT_SKIP || d->excluded[i] ||
			(only != NULL && !only[i]))
			continue;
		key.type = jbvString;
		key.val.string.val = NameStr(att->attname);
		key.val.string.len = strlen(NameStr(att->attname));
		pushJsonbValue(&state, WJB_KEY, &key);
		json_value(&value, d, tupdesc, tuple, i);
		pushJsonbValue(&state, WJB_VALUE, &value);
	}
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbPGetDatum(JsonbValueToJsonb(result));
}

/* The row's primary key (or, without one, its ctid) as jsonb. */
static Datum
json_key(Relation rel, AuditDesc *d, HeapTuple tuple)
{
	Bitmapset  *pk = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_PRIMARY_KEY);
	bool	   *only;
	int			attno = -1;

	if (pk == NULL)
	{
		JsonbParseState *state = NULL;
		JsonbValue	key;
		JsonbValue	value;

		key.type = jbvString;
		key.val.string.val = "ctid";
		key.val.string.len = 4;
		value.type = jbvString;
		value.val.string.val = psprintf("(%u,%u)", ItemPointerGetBlockNumber(&tuple->t_self),
										ItemPointerGetOffsetNumber(&tuple->t_self));
		value.val.string.len = strlen(value.val.string.val);
		pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
		pushJsonbValue(&state, WJB_KEY, &key);
		pushJsonbValue(&state, WJB_VALUE, &value);
		return JsonbPGetDatum(JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL)));
	}
	only = palloc0(sizeof(bool) * RelationGetDescr(rel)->natts);
	while ((attno = bms_next_member(pk, attno)) >= 0)
		only[attno + FirstLowInvalidHeapAttributeNumber - 1] = true;
	return json_row(d, RelationGetDescr(rel), tuple, only);
}

/* The string to keep for a record: the last record's, or a copy. */
static const char *
share_string(const char *last, const char *now)
{
	if (last != NULL && strcmp(last, now) == 0)
		return last;
	return pstrdup(now);
}

/* Keep a record (its values copied into audit_cxt). */
static void
add_record(Oid relid, char op, Datum row_key, Datum changed, Datum old_values,
		   Datum new_values)
{
	AuditRecord *r;
	MemoryContext old;
	Oid			userid = GetUserId();
	Oid			session_userid = GetSessionUserId();
	bool		renamed;

	if (audit_cxt == NULL)
		audit_cxt = AllocSetContextCreate(TopMemoryContext, "customer_info audit",
										  ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(audit_cxt);
	if (npending == maxpending)
	{
		maxpending = maxpending == 0 ? 64 : maxpending * 2;
		pending = pending == NULL ? palloc(sizeof(AuditRecord) * maxpending) :
			repalloc(pending, sizeof(AuditRecord) * maxpending);
	}
	/* names and settings change seldom: records share one copy */
	renamed = names_generation != last_names_generation;
	last_names_generation = names_generation;
	if (renamed || relid != last_record.relid || last_record.table_name == NULL)
		last_record.table_name = share_string(last_record.table_name, table_name(relid));
	if (renamed || userid != last_userid || last_record.user_name == NULL)
		last_record.user_name = share_string(last_record.user_name, user_name(userid));
	if (renamed || session_userid != last_session_userid || last_record.session_name == NULL)
		last_record.session_name = share_string(last_record.session_name,
												user_name(session_userid));
	last_record.purpose = share_string(last_record.purpose, ci_session_purpose());
	last_record.appname = share_string(last_record.appname,
									   application_name ? application_name : "");
	last_record.relid = relid;
	last_userid = userid;
	last_session_userid = session_userid;

	r = &pending[npending++];
	*r = last_record;
	r->subid = GetCurrentSubTransactionId();
	r->op = op;
	r->at = GetCurrentTimestamp();
	r->row_key = row_key ? datumCopy(row_key, false, -1) : (Datum) 0;
	r->changed = changed ? datumCopy(changed, false, -1) : (Datum) 0;
	r->old_values = old_values ? datumCopy(old_values, false, -1) : (Datum) 0;
	r->new_values = new_values ? datumCopy(new_values, false, -1) : (Datum) 0;
	MemoryContextSwitchTo(old);
}

/* A copy of a kept record's strings and values, in the current context. */
static void
copy_record(AuditRecord *to, const AuditRecord *from, const AuditRecord *prev_from,
			const AuditRecord *prev_to)
{
#define COPY_STRING(f) \
	(to->f = (prev_from != NULL && from->f == prev_from->f) ? prev_to->f : pstrdup(from->f))
#define COPY_DATUM(f) \
	(to->f = from->f ? datumCopy(from->f, false, -1) : (Datum) 0)

	*to = *from;
	COPY_STRING(table_name);
	COPY_STRING(user_name);
	COPY_STRING(session_name);
	COPY_STRING(purpose);
	COPY_STRING(appname);
	COPY_DATUM(row_key);
	COPY_DATUM(changed);
	COPY_DATUM(old_values);
	COPY_DATUM(new_values);
#undef COPY_STRING
#undef COPY_DATUM
}

/*
 * After a write, the records held for an enclosing subtransaction move to
 * a fresh context once enough was written around them, so that the memory
 * of the written ones goes.
 */
static void
keep_held_records(int kept)
{
	MemoryContext fresh;
	MemoryContext old;
	AuditRecord *moved;

	npending = nheld = kept;
	if (kept == 0)
	{
		audit_reset();
		return;
	}
	if (nwritten < AUDIT_BATCH)
		return;
	fresh = AllocSetContextCreate(TopMemoryContext, "customer_info audit",
								  ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(fresh);
	moved = palloc(sizeof(AuditRecord) * Max(kept, 64));
	for (int i = 0; i < kept; i++)
		copy_record(&moved[i], &pending[i], i > 0 ? &pending[i - 1] : NULL,
					i > 0 ? &moved[i - 1] : NULL);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(audit_cxt);
	audit_cxt = fresh;
	pending = moved;
	maxpending = Max(kept, 64);
	nwritten = 0;
	forget_last_record();
}

/*
 * Rows written straight into one of the extension's tables, as COPY
 * writes them: batches of heap tuples, then their index entries.  The
 * values are all made by this file (the tables' CHECK and NOT NULL
 * constraints describe them; evaluating them per write would cost more
 * than the write), and the tables have no row triggers for INSERT.
 */
typedef struct DirectInsert
{
	Relation	rel;
	EState	   *estate;
	ResultRelInfo *rri;
	CommandId	cid;
	BulkInsertState bistate;
} DirectInsert;

static void
direct_begin(DirectInsert *di, Oid relid, int natts, bool bulk)
{
	di->rel = table_open(relid, RowExclusiveLock);
	if (RelationGetDescr(di->rel)->natts != natts)
		elog(ERROR, "table \"%s\" does not have the columns of this version of customer_info",
			 RelationGetRelationName(di->rel));
	di->estate = CreateExecutorState();
	di->cid = di->estate->es_output_cid = GetCurrentCommandId(true);
	di->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(di->rri, di->rel, 0, NULL, 0);
	ExecOpenIndices(di->rri, false);
	di->bistate = bulk ? GetBulkInsertState() : NULL;
}

static void
direct_insert(DirectInsert *di, TupleTableSlot **slots, int n)
{
	table_multi_insert(di->rel, slots, n, di->cid, 0, di->bistate);
	for (int k = 0; k < n; k++)
	{
		ResetPerTupleExprContext(di->estate);
		list_free(ExecInsertIndexTuples(di->rri, slots[k], di->estate, false, false, NULL, NIL));
	}
}

static void
direct_end(DirectInsert *di)
{
	if (di->bistate != NULL)
		FreeBulkInsertState(di->bistate);
	table_finish_bulk_insert(di->rel, 0);
	ExecCloseIndices(di->rri);
	FreeExecutorState(di->estate);
	table_close(di->rel, NoLock);
}

/* The columns of ci.audit_log, in order (see the install script). */
enum
{
	LOG_AUDIT_ID,
	LOG_LOGGED_AT,
	LOG_TXID,
	LOG_RELID,
	LOG_TABLE_NAME,
	LOG_OPERATION,
	LOG_ROW_KEY,
	LOG_CHANGED,
	LOG_OLD_VALUES,
	LOG_NEW_VALUES,
	LOG_SESSION_USER,
	LOG_CURRENT_USER,
	LOG_APPLICATION,
	LOG_CLIENT_ADDR,
	LOG_PURPOSE,
	LOG_NATTS
};

static const char *
operation_name(char op)
{
	switch (op)
	{
		case 'I':
			return "INSERT";
		case 'U':
			return "UPDATE";
		case 'D':
			return "DELETE";
		case 'T':
			return "TRUNCATE";
		case 'X':
			return "UNAUDIT";
		default:
			return "AUDIT TRIGGER OFF";
	}
}

/*
 * n slots for the log's rows (made once, kept in log_cxt), for the log as
 * it is now: called with the log open, after any invalidation its opening
 * brought in, and before any slot is in use.
 */
static TupleTableSlot **
log_slots_for(Relation rel, int n)
{
	MemoryContext old;

	Assert(n <= AUDIT_BATCH);
	if (log_slots_stale || log_tupdesc == NULL)
	{
		if (log_cxt == NULL)
			log_cxt = AllocSetContextCreate(TopMemoryContext, "customer_info audit log",
											ALLOCSET_SMALL_SIZES);
		MemoryContextReset(log_cxt);
		log_nslots = 0;
		log_slots_stale = false;
		old = MemoryContextSwitchTo(log_cxt);
		log_tupdesc = CreateTupleDescCopy(RelationGetDescr(rel));
		log_slots = palloc0(sizeof(TupleTableSlot *) * AUDIT_BATCH);
		MemoryContextSwitchTo(old);
	}
	old = MemoryContextSwitchTo(log_cxt);
	while (log_nslots < n)
		log_slots[log_nslots++] = MakeSingleTupleTableSlot(log_tupdesc, &TTSOpsHeapTuple);
	MemoryContextSwitchTo(old);
	return log_slots;
}

/* A string of the records as text, made again only when it changes. */
typedef struct SharedText
{
	const char *str;
	Datum		text;
} SharedText;

static Datum
shared_text(SharedText *t, const char *str)
{
	if (t->str != str)
	{
		t->str = str;
		t->text = CStringGetTextDatum(str);
	}
	return t->text;
}

/*
 * The client's address as inet_client_addr() gives it (NULL: a local
 * socket), worked out once per session.
 */
static Datum
client_addr(bool *isnull)
{
	static bool known = false;
	static bool addr_null = true;
	static Datum addr = (Datum) 0;

	if (!known)
	{
		LOCAL_FCINFO(fcinfo, 0);
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		InitFunctionCallInfoData(*fcinfo, NULL, 0, InvalidOid, NULL, NULL);
		addr = inet_client_addr(fcinfo);
		addr_null = fcinfo->isnull;
		MemoryContextSwitchTo(old);
		known = true;
	}
	*isnull = addr_null;
	return addr;
}

/*
 * Write the pending records that belong to the current subtransaction (or
 * to subtransactions it has released), as the log's owner, straight into
 * ci.audit_log (see DirectInsert; row triggers added to the log would not
 * fire, the README says so).  Records of an enclosing subtransaction stay
 * pending: written here, they would go if this subtransaction rolled back
 * while their changes stay.
 */
static void
write_records(void)
{
	SubTransactionId subid = GetCurrentSubTransactionId();
	Oid			log_oid;
	Oid			seq_oid;
	Oid			owner;
	Oid			save_userid;
	int			save_sec;
	DirectInsert di;
	TupleTableSlot **slots;
	int			nslots;
	int			kept = 0;
	int			nwrite = 0;
	Datum		common[LOG_NATTS];
	bool		common_null[LOG_NATTS];
	SharedText	texts[6];
	MemoryContext write_cxt;
	MemoryContext caller_cxt;

	for (int i = 0; i < npending; i++)
		if (pending[i].subid >= subid)
			nwrite++;
	if (nwrite == 0)
		return;
	lookup_log();
	log_oid = log_relid;		/* an invalidation may reset the cache */
	seq_oid = log_seq_relid;
	owner = log_owner;

	/* all of it in a context of its own (the caller's may live long) */
	write_cxt = AllocSetContextCreate(CurrentMemoryContext, "customer_info audit write",
									  ALLOCSET_DEFAULT_SIZES);
	caller_cxt = MemoryContextSwitchTo(write_cxt);
	memset(texts, 0, sizeof(texts));
	memset(common, 0, sizeof(common));
	memset(common_null, false, sizeof(common_null));
	common[LOG_TXID] = FullTransactionIdGetDatum(GetTopFullTransactionId());
	common[LOG_CLIENT_ADDR] = client_addr(&common_null[LOG_CLIENT_ADDR]);

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		int			i = 0;

		direct_begin(&di, log_oid, LOG_NATTS, nwrite >= 100);
		nslots = Min(nwrite, AUDIT_BATCH);
		slots = log_slots_for(di.rel, nslots);

		while (i < npending)
		{
			int			n = 0;

			for (; i < npending && n < nslots; i++)
			{
				const AuditRecord *r = &pending[i];
				TupleTableSlot *slot;
				Datum	   *v;
				bool	   *isnull;

				if (r->subid < subid)
					continue;	/* an enclosing subtransaction's: held */
				slot = slots[n++];
				ExecClearTuple(slot);
				v = slot->tts_values;
				isnull = slot->tts_isnull;
				memcpy(v, common, sizeof(common));
				memcpy(isnull, common_null, sizeof(common_null));
				v[LOG_AUDIT_ID] = Int64GetDatum(nextval_internal(seq_oid, false));
				v[LOG_LOGGED_AT] = TimestampTzGetDatum(r->at);
				v[LOG_RELID] = ObjectIdGetDatum(r->relid);
				/* records share their strings: each text is made once */
				v[LOG_TABLE_NAME] = shared_text(&texts[0], r->table_name);
				v[LOG_CURRENT_USER] = shared_text(&texts[1], r->user_name);
				v[LOG_SESSION_USER] = shared_text(&texts[2], r->session_name);
				v[LOG_APPLICATION] = shared_text(&texts[3], r->appname);
				isnull[LOG_PURPOSE] = r->purpose[0] == '\0';
				v[LOG_PURPOSE] = isnull[LOG_PURPOSE] ? (Datum) 0 : shared_text(&texts[4], r->purpose);
				v[LOG_OPERATION] = shared_text(&texts[5], operation_name(r->op));
				v[LOG_ROW_KEY] = r->row_key;
				isnull[LOG_ROW_KEY] = r->row_key == (Datum) 0;
				v[LOG_CHANGED] = r->changed;
				isnull[LOG_CHANGED] = r->changed == (Datum) 0;
				v[LOG_OLD_VALUES] = r->old_values;
				isnull[LOG_OLD_VALUES] = r->old_values == (Datum) 0;
				v[LOG_NEW_VALUES] = r->new_values;
				isnull[LOG_NEW_VALUES] = r->new_values == (Datum) 0;
				ExecStoreVirtualTuple(slot);
			}
			if (n == 0)
				break;
			direct_insert(&di, slots, n);
		}
		for (int k = 0; k < nslots; k++)
			ExecClearTuple(slots[k]);
		direct_end(&di);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec);
		MemoryContextSwitchTo(caller_cxt);
		MemoryContextDelete(write_cxt);
	}
	PG_END_TRY();

	/* all written: only now do the held records move up (an error left them all) */
	for (int i = 0; i < npending; i++)
		if (pending[i].subid < subid)
			pending[kept++] = pending[i];
	nwritten += nwrite;
	keep_held_records(kept);
}

PG_FUNCTION_INFO_V1(ci_audit_trigger);

/*
 * ci.audit_trigger(): the row trigger records a change (written with the
 * transaction's others when it commits, or in a batch once AUDIT_BATCH
 * are waiting); the statement trigger records a TRUNCATE and writes it at
 * once, with what is waiting.
 */
Datum
ci_audit_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	tupdesc;
	AuditDesc  *d;
	Datum		changed = (Datum) 0;
	Datum		old_values = (Datum) 0;
	Datum		new_values = (Datum) 0;
	Datum		key;
	char		op;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("ci.audit_trigger() must be an AFTER trigger")));
	rel = td->tg_relation;
	if (TRIGGER_FIRED_FOR_STATEMENT(td->tg_event))
	{
		if (!TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
			ereport(ERROR,
					(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					 errmsg("ci.audit_trigger() records only TRUNCATE per statement")));
		(void) audit_desc(rel); /* an audited table */
		add_record(RelationGetRelid(rel), 'T', (Datum) 0, (Datum) 0, (Datum) 0, (Datum) 0);
		write_records();
		return PointerGetDatum(NULL);
	}

	tupdesc = RelationGetDescr(rel);
	d = audit_desc(rel);
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		HeapTuple	oldt = td->tg_trigtuple;
		HeapTuple	newt = td->tg_newtuple;
		bool	   *diff = palloc0(sizeof(bool) * tupdesc->natts);
		Datum	   *names = palloc(sizeof(Datum) * tupdesc->natts);
		int			nchanged = 0;

		for (int i = 0; i < tupdesc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(tupdesc, i);
			bool		n1,
						n2;
			Datum		v1,
						v2;

			if (att->attisdropped || d->forms[i] == CI_AUDIT_SKIP || d->excluded[i])
				continue;
			v1 = heap_getattr(oldt, i + 1, tupdesc, &n1);
			v2 = heap_getattr(newt, i + 1, tupdesc, &n2);
			if (n1 == n2 && (n1 || datumIsEqual(v1, v2, att->attbyval, att->attlen)))
				continue;
			diff[i] = true;
			names[nchanged++] = CStringGetTextDatum(NameStr(att->attname));
		}
		if (nchanged == 0 && !d->log_unchanged)
			return PointerGetDatum(NULL);
		changed = PointerGetDatum(construct_array(names, nchanged, TEXTOID, -1,
												  false, TYPALIGN_INT));
		old_values = json_row(d, tupdesc, oldt, diff);
		new_values = json_row(d, tupdesc, newt, diff);
		key = json_key(rel, d, newt);
		op = 'U';
	}
	else if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
	{
		new_values = json_row(d, tupdesc, td->tg_trigtuple, NULL);
		key = json_key(rel, d, td->tg_trigtuple);
		op = 'I';
	}
	else
	{
		old_values = json_row(d, tupdesc, td->tg_trigtuple, NULL);
		key = json_key(rel, d, td->tg_trigtuple);
		op = 'D';
	}
	add_record(RelationGetRelid(rel), op, key, changed, old_values, new_values);
	/* a large transaction goes out in batches */
	if (npending - nheld >= AUDIT_BATCH)
		write_records();
	return PointerGetDatum(NULL);
}

/* ---- the chain ---- */

/* A field of the canonical encoding: its length (or NULL's), its bytes. */
static void
add_bytes(pg_cryptohash_ctx *ctx, const void *data, uint32 n, bool isnull)
{
	uint8		len[4];

	if (isnull)
		n = 0xFFFFFFFF;
	len[0] = n >> 24;
	len[1] = n >> 16;
	len[2] = n >> 8;
	len[3] = n;
	if (pg_cryptohash_update(ctx, len, 4) < 0 ||
		(!isnull && pg_cryptohash_update(ctx, data, n) < 0))
		elog(ERROR, "could not hash an audit row");
}

/*
 * A column of a sealed row in the canonical encoding: bigints and times as
 * 8 bytes big-endian (integers and oids as 4), text and jsonb as their stored bytes
 * (jsonb's binary form is canonical: equal values, equal bytes), anything
 * else as its type's output.
 */
static void
add_field(pg_cryptohash_ctx *ctx, HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);
	Oid			typ = SPI_gettypeid(desc, col);
	uint8		buf[8];

	if (isnull)
	{
		add_bytes(ctx, NULL, 0, true);
		return;
	}
	switch (typ)
	{
		case INT8OID:
		case TIMESTAMPTZOID:
		case XID8OID:
			{
				uint64		v = (uint64) DatumGetInt64(d);

				for (int i = 0; i < 8; i++)
					buf[i] = (uint8) (v >> (56 - 8 * i));
				add_bytes(ctx, buf, 8, false);
				break;
			}
		case OIDOID:
		case INT4OID:
			{
				uint32		v = DatumGetUInt32(d);

				for (int i = 0; i < 4; i++)
					buf[i] = (uint8) (v >> (24 - 8 * i));
				add_bytes(ctx, buf, 4, false);
				break;
			}
		case TEXTOID:
		case JSONBOID:
			{
				struct varlena *v = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(d));

				add_bytes(ctx, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), false);
				break;
			}
		default:
			{
				char	   *s = SPI_getvalue(tup, desc, col);

				add_bytes(ctx, s, strlen(s), false);
				break;
			}
	}
}

/*
 * The chain seals the rows of two tables: the change log and the read
 * audit.  Each link names its source; these are the fields each source's
 * rows are hashed with, in this order.
 */
#define LOG_ROW_SQL \
	"a.audit_id, a.logged_at, a.txid, a.relid, a.table_name, a.operation, a.row_key," \
	" a.changed, a.old_values, a.new_values, a.session_user_name, a.current_user_name," \
	" a.application_name, a.client_addr, a.purpose"
#define LOG_ROW_FIELDS 15
#define READ_ROW_SQL \
	"r.record_id, r.statement_start, r.role_name, r.session_user_name, r.purpose, r.relid," \
	" r.table_name, r.column_name, r.row_count, r.row_keys, r.backend_pid, r.recorded_at"
#define READ_ROW_FIELDS 12

/*
 * The hash of link seq over a row of source (its fields from first_col),
 * after prev; ctx is a SHA-256 context the caller made (reset here).
 */
static void
link_hash(pg_cryptohash_ctx *ctx, const uint8 *prev, int64 seq, const char *source,
		  HeapTuple tup, TupleDesc desc, int first_col, int nfields, uint8 *out)
{
	uint8		seqbuf[8];

	for (int i = 0; i < 8; i++)
		seqbuf[i] = (uint8) (seq >> (56 - 8 * i));
	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) "customer_info audit", 19) < 0 ||
		pg_cryptohash_update(ctx, prev, PG_SHA256_DIGEST_LENGTH) < 0 ||
		pg_cryptohash_update(ctx, seqbuf, 8) < 0)
		elog(ERROR, "could not hash an audit row");
	add_bytes(ctx, source, strlen(source), false);
	for (int f = 0; f < nfields; f++)
		add_field(ctx, tup, desc, first_col + f);
	if (pg_cryptohash_final(ctx, out, PG_SHA256_DIGEST_LENGTH) < 0)
		elog(ERROR, "could not hash an audit row");
}

static const uint8 zero_hash[PG_SHA256_DIGEST_LENGTH] = {0};

/*
 * Work on the chain as the extension's owner, SPI connected, alone: the
 * sealer and the purge take the same transaction-level lock.
 */
static void
chain_begin(CiUserSwitch *sw)
{
	ci_become_owner(sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('customer_info audit seal'))",
					false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not lock the audit chain");
}

/* The links a sealer is making: arrays for one INSERT into the chain. */
typedef struct SealBatch
{
	uint8		prev[PG_SHA256_DIGEST_LENGTH];
	int64		seq;
	int			n;
	Datum	   *seqs;
	Datum	   *ids;
	Datum	   *prevs;
	Datum	   *hashes;
	Datum	   *sources;
	pg_cryptohash_ctx *ctx;		/* SHA-256, made once per run */
} SealBatch;

#define HASH_DATUM_SIZE (VARHDRSZ + PG_SHA256_DIGEST_LENGTH)

static Datum
hash_datum(const uint8 *h)
{
	bytea	   *b = palloc(HASH_DATUM_SIZE);

	SET_VARSIZE(b, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	memcpy(VARDATA(b), h, PG_SHA256_DIGEST_LENGTH);
	return PointerGetDatum(b);
}

static TupleDesc seal_desc;		/* of the rows compare_row_ids() sorts */

/*
 * The unsealed rows a query finds among those of transactions from
 * from_txid on, at most limit of them (kept until SPI_finish).
 */
static SPITupleTable *
fetch_unsealed(const char *query, int limit, Datum from_txid, uint64 *n)
{
	Datum		args[2] = {Int32GetDatum(limit), from_txid};

	*n = 0;
	if (limit <= 0)
		return NULL;
	if (SPI_execute_with_args(query, 2, (Oid[]) {INT4OID, XID8OID}, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the rows to seal");
	*n = SPI_processed;
	return SPI_tuptable;
}

static int
compare_row_ids(const void *a, const void *b)
{
	bool		isnull;
	int64		x = DatumGetInt64(heap_getattr(*(HeapTuple const *) a, 1, seal_desc, &isnull));
	int64		y = DatumGetInt64(heap_getattr(*(HeapTuple const *) b, 1, seal_desc, &isnull));

	return (x > y) - (x < y);
}

/*
 * Link the rows of one source (their fields from the first column, the id
 * first), in the order of their ids (sorted here: the query does not sort
 * its wide rows).
 */
static void
link_rows(SealBatch *b, const char *source, SPITupleTable *tt, uint64 n, int nfields)
{
	Datum		src = CStringGetTextDatum(source);
	char	   *hashes;

	if (n == 0)
		return;
	seal_desc = tt->tupdesc;
	qsort(tt->vals, n, sizeof(HeapTuple), compare_row_ids);
	if (b->n == 0)
	{
		b->seqs = palloc(sizeof(Datum) * n);
		b->ids = palloc(sizeof(Datum) * n);
		b->prevs = palloc(sizeof(Datum) * n);
		b->hashes = palloc(sizeof(Datum) * n);
		b->sources = palloc(sizeof(Datum) * n);
	}
	else
	{
		Size		size = sizeof(Datum) * (b->n + n);

		b->seqs = repalloc(b->seqs, size);
		b->ids = repalloc(b->ids, size);
		b->prevs = repalloc(b->prevs, size);
		b->hashes = repalloc(b->hashes, size);
		b->sources = repalloc(b->sources, size);
	}
	/* the links' hashes, as bytea, in one block; a link's prev is the hash before */
	hashes = palloc(n * HASH_DATUM_SIZE);
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = tt->vals[i];
		bytea	   *h = (bytea *) (hashes + i * HASH_DATUM_SIZE);
		bool		isnull;

		b->seq++;
		SET_VARSIZE(h, HASH_DATUM_SIZE);
		link_hash(b->ctx, b->prev, b->seq, source, tup, tt->tupdesc, 1, nfields,
				  (uint8 *) VARDATA(h));
		b->seqs[b->n] = Int64GetDatum(b->seq);
		b->ids[b->n] = SPI_getbinval(tup, tt->tupdesc, 1, &isnull);
		b->prevs[b->n] = b->n > 0 ? b->hashes[b->n - 1] : hash_datum(b->prev);
		b->hashes[b->n] = PointerGetDatum(h);
		b->sources[b->n] = src;
		memcpy(b->prev, VARDATA(h), sizeof(b->prev));
		b->n++;
	}
}

/* The columns of ci.audit_chain, in order (see the install script). */
enum
{
	CHAIN_SEQ,
	CHAIN_AUDIT_ID,
	CHAIN_PREV_HASH,
	CHAIN_ROW_HASH,
	CHAIN_SEALED_AT,
	CHAIN_SOURCE,
	CHAIN_NATTS
};

/*
 * Add the new links to ci.audit_chain straight into its heap and indexes
 * (the sealer holds the chain's lock and runs as the extension's owner).
 */
static void
insert_links(const SealBatch *b)
{
	Oid			chain_oid = get_relname_relid("audit_chain", get_namespace_oid("ci", false));
	DirectInsert di;
	TupleTableSlot *slots[AUDIT_BATCH];
	int			nslots = Min(b->n, AUDIT_BATCH);
	Datum		sealed_at = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	int			i = 0;

	if (!OidIsValid(chain_oid))
		elog(ERROR, "table ci.audit_chain is missing");
	direct_begin(&di, chain_oid, CHAIN_NATTS, true);
	for (int s = 0; s < nslots; s++)
		slots[s] = MakeSingleTupleTableSlot(RelationGetDescr(di.rel), &TTSOpsHeapTuple);
	while (i < b->n)
	{
		int			n = 0;

		for (; i < b->n && n < nslots; i++, n++)
		{
			TupleTableSlot *slot = slots[n];

			ExecClearTuple(slot);
			memset(slot->tts_isnull, false, sizeof(bool) * CHAIN_NATTS);
			slot->tts_values[CHAIN_SEQ] = b->seqs[i];
			slot->tts_values[CHAIN_AUDIT_ID] = b->ids[i];
			slot->tts_values[CHAIN_PREV_HASH] = b->prevs[i];
			slot->tts_values[CHAIN_ROW_HASH] = b->hashes[i];
			slot->tts_values[CHAIN_SEALED_AT] = sealed_at;
			slot->tts_values[CHAIN_SOURCE] = b->sources[i];
			ExecStoreVirtualTuple(slot);
		}
		direct_insert(&di, slots, n);
	}
	/* newest first: each drop finds its resource owner entry at once */
	for (int s = nslots - 1; s >= 0; s--)
		ExecDropSingleTupleTableSlot(slots[s]);
	direct_end(&di);
}

PG_FUNCTION_INFO_V1(ci_audit_seal);

/*
 * ci.audit_seal(max_rows): link the committed rows not sealed yet into
 * the chain, the change log's first, then the read audit's, each in the
 * order of their ids; one sealer at a time (a second waits).  Returns how
 * many rows it sealed.
 */
Datum
ci_audit_seal(PG_FUNCTION_ARGS)
{
	int32		max_rows = PG_GETARG_INT32(0);
	CiUserSwitch sw;
	SealBatch	b;
	SPITupleTable *reads;
	SPITupleTable *changes;
	uint64		nreads;
	uint64		nchanges;
	int			read_limit;
	int			change_limit;
	Datum		bounds[3];		/* from_txid of the log, of the reads; xmin now */

	if (max_rows <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_rows must be positive")));
	chain_begin(&sw);
	/* the head: the last link, or the checkpoint a purge left */
	if (SPI_execute("SELECT chain_seq, row_hash FROM ci.audit_chain"
					" UNION ALL SELECT chain_seq, row_hash FROM ci.audit_checkpoint"
					" ORDER BY chain_seq DESC LIMIT 1",
					false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the audit chain");
	memset(&b, 0, sizeof(b));
	b.ctx = pg_cryptohash_create(PG_SHA256);
	if (SPI_processed == 1)
	{
		bool		isnull;
		bytea	   *h;

		b.seq = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		h = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		memcpy(b.prev, VARDATA_ANY(h), PG_SHA256_DIGEST_LENGTH);
	}
	/*
	 * Where to look: rows of transactions from each source's from_txid on
	 * (every committed row of an older one is sealed).  xmin, taken before
	 * the rows are read, is where the next run may start for a source
	 * whose rows this run takes all of: a transaction older than it had
	 * finished, so its rows are visible here.
	 */
	if (SPI_execute("SELECT (SELECT from_txid FROM ci.audit_seal_state"
					"         WHERE source OPERATOR(pg_catalog.=) 'audit_log'),"
					"       (SELECT from_txid FROM ci.audit_seal_state"
					"         WHERE source OPERATOR(pg_catalog.=) 'read_audit'),"
					"       pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())",
					false, 0) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read the sealer's state");
	for (int f = 0; f < 3; f++)
	{
		bool		isnull;

		bounds[f] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, f + 1, &isnull);
		if (isnull)
			elog(ERROR, "the sealer's state is missing");
	}

	/*
	 * Clear reads may take up to half of max_rows, changes the rest: a
	 * steady stream of either never keeps the other out of the chain.
	 * Changes are linked first, then reads.
	 */
	read_limit = Max(max_rows / 2, 1);
	reads = fetch_unsealed("SELECT " READ_ROW_SQL " FROM ci.read_audit r"
						   " WHERE r.txid OPERATOR(pg_catalog.>=) $2"
						   "   AND NOT EXISTS (SELECT FROM ci.audit_chain c"
						   "                    WHERE c.audit_id OPERATOR(pg_catalog.=) r.record_id"
						   "                      AND c.source OPERATOR(pg_catalog.=) 'read_audit')"
						   " LIMIT $1",
						   read_limit, bounds[1], &nreads);
	change_limit = max_rows - (int) nreads;
	changes = fetch_unsealed("SELECT " LOG_ROW_SQL " FROM ci.audit_log a"
							 " WHERE a.txid OPERATOR(pg_catalog.>=) $2"
							 "   AND NOT EXISTS (SELECT FROM ci.audit_chain c"
							 "                    WHERE c.audit_id OPERATOR(pg_catalog.=) a.audit_id"
							 "                      AND c.source OPERATOR(pg_catalog.=) 'audit_log')"
							 " LIMIT $1",
							 change_limit, bounds[0], &nchanges);
	link_rows(&b, "audit_log", changes, nchanges, LOG_ROW_FIELDS);
	link_rows(&b, "read_audit", reads, nreads, READ_ROW_FIELDS);
	/* a source whose rows were all taken starts at xmin next time */
	if (nchanges < (uint64) Max(change_limit, 0) || nreads < (uint64) read_limit)
	{
		Datum		args[3] = {bounds[2],
			BoolGetDatum(nchanges < (uint64) Max(change_limit, 0)),
		BoolGetDatum(nreads < (uint64) read_limit)};

		if (SPI_execute_with_args("UPDATE ci.audit_seal_state SET from_txid = $1"
								  " WHERE (source OPERATOR(pg_catalog.=) 'audit_log' AND $2)"
								  "    OR (source OPERATOR(pg_catalog.=) 'read_audit' AND $3)",
								  3, (Oid[]) {XID8OID, BOOLOID, BOOLOID}, args, NULL, false, 0)
			!= SPI_OK_UPDATE)
			elog(ERROR, "could not update the sealer's state");
	}
	if (b.n > 0)
		insert_links(&b);
	pg_cryptohash_free(b.ctx);
	SPI_finish();
	ci_restore_user(&sw);
	PG_RETURN_INT64((int64) b.n);
}

PG_FUNCTION_INFO_V1(ci_audit_verify);

/*
 * ci.audit_verify(from_seq, to_seq, head_seq, head_hash): recompute the
 * chain (or a range of it) and name the first broken link: a changed row,
 * a deleted one, one moved in the chain, a forged link, a tail cut short
 * of a head kept outside.  Returns (ok, checked, first_broken, problem,
 * unsealed): unsealed, for a verification up to the end of the chain, is
 * the number of committed rows not sealed yet (NULL for a bounded range).
 */
Datum
ci_audit_verify(PG_FUNCTION_ARGS)
{
	int64		from_seq = PG_ARGISNULL(0) ? 1 : PG_GETARG_INT64(0);
	int64		to_seq = PG_ARGISNULL(1) ? PG_INT64_MAX : PG_GETARG_INT64(1);
	TupleDesc	rdesc;
	Datum		result[5];
	bool		rnulls[5] = {false, false, true, true, true};
	int64		unsealed = -1;
	CiUserSwitch sw;
	uint8		prev[PG_SHA256_DIGEST_LENGTH];
	int64		expect;
	int64		checked = 0;
	char	   *problem = NULL;
	int64		broken = 0;
	Oid			argtypes[2] = {INT8OID, INT8OID};
	Datum		values[2];
	Portal		portal;
	SPIPlanPtr	plan;
	pg_cryptohash_ctx *ctx;

	if (get_call_result_type(fcinfo, NULL, &rdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	rdesc = BlessTupleDesc(rdesc);
	if (from_seq < 1)
		from_seq = 1;

	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* what a purge left: the chain verifies from its checkpoint on */
	if (SPI_execute("SELECT max(chain_seq) FROM ci.audit_checkpoint", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the audit checkpoints");
	{
		bool		isnull;
		Datum		cp = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull && from_seq <= DatumGetInt64(cp))
			from_seq = DatumGetInt64(cp) + 1;
	}
	/* the link before the range (or the start of the chain) */
	memcpy(prev, zero_hash, sizeof(prev));
	expect = from_seq;
	if (from_seq > 1)
	{
		values[0] = Int64GetDatum(from_seq - 1);
		if (SPI_execute_with_args("SELECT row_hash FROM ci.audit_chain"
								  " WHERE chain_seq OPERATOR(pg_catalog.=) $1"
								  " UNION ALL SELECT row_hash FROM ci.audit_checkpoint"
								  " WHERE chain_seq OPERATOR(pg_catalog.=) $1",
								  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read the audit chain");
		if (SPI_processed == 1)
		{
			bool		isnull;
			bytea	   *h = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0],
														  SPI_tuptable->tupdesc, 1, &isnull));

			memcpy(prev, VARDATA_ANY(h), PG_SHA256_DIGEST_LENGTH);
		}
		else
		{
			problem = psprintf("link %lld, before the range, is missing", (long long) (from_seq - 1));
			broken = from_seq - 1;
		}
	}
	values[0] = Int64GetDatum(from_seq);
	values[1] = Int64GetDatum(to_seq);
	plan = SPI_prepare("SELECT c.chain_seq, c.audit_id, c.prev_hash, c.row_hash, c.source,"
					   "       a.audit_id IS NULL AND r.record_id IS NULL, "
					   LOG_ROW_SQL ", " READ_ROW_SQL
					   " FROM ci.audit_chain c"
					   " LEFT JOIN ci.audit_log a ON c.source OPERATOR(pg_catalog.=) 'audit_log'"
					   "   AND a.audit_id OPERATOR(pg_catalog.=) c.audit_id"
					   " LEFT JOIN ci.read_audit r ON c.source OPERATOR(pg_catalog.=) 'read_audit'"
					   "   AND r.record_id OPERATOR(pg_catalog.=) c.audit_id"
					   " WHERE c.chain_seq OPERATOR(pg_catalog.>=) $1"
					   "   AND c.chain_seq OPERATOR(pg_catalog.<=) $2"
					   " ORDER BY c.chain_seq", 2, argtypes);
	if (plan == NULL)
		elog(ERROR, "could not prepare the verification");
	portal = SPI_cursor_open(NULL, plan, values, NULL, true);
	ctx = pg_cryptohash_create(PG_SHA256);
	while (problem == NULL)
	{
		SPI_cursor_fetch(portal, true, 10000);
		if (SPI_processed == 0)
			break;
		for (uint64 i = 0; i < SPI_processed && problem == NULL; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull;
			int64		seq = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
			bytea	   *p = DatumGetByteaPP(SPI_getbinval(tup, desc, 3, &isnull));
			bytea	   *h = DatumGetByteaPP(SPI_getbinval(tup, desc, 4, &isnull));
			char	   *source = TextDatumGetCString(SPI_getbinval(tup, desc, 5, &isnull));
			uint8		mine[PG_SHA256_DIGEST_LENGTH];

			if (seq != expect)
				problem = psprintf("link %lld is missing (the chain goes on at %lld)",
								   (long long) expect, (long long) seq);
			else if (VARSIZE_ANY_EXHDR(p) != PG_SHA256_DIGEST_LENGTH ||
					 memcmp(VARDATA_ANY(p), prev, PG_SHA256_DIGEST_LENGTH) != 0)
				problem = psprintf("link %lld does not follow link %lld", (long long) seq,
								   (long long) (seq - 1));
			else if (strcmp(source, "audit_log") != 0 && strcmp(source, "read_audit") != 0)
				problem = psprintf("link %lld names no known source", (long long) seq);
			else if (DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull)))
				problem = psprintf("the row of link %lld (%s %s) was deleted",
								   (long long) seq, source, SPI_getvalue(tup, desc, 2));
			else
			{
				if (source[0] == 'a')
					link_hash(ctx, prev, seq, source, tup, desc, 7, LOG_ROW_FIELDS, mine);
				else
					link_hash(ctx, prev, seq, source, tup, desc, 7 + LOG_ROW_FIELDS, READ_ROW_FIELDS,
							  mine);
				if (VARSIZE_ANY_EXHDR(h) != PG_SHA256_DIGEST_LENGTH ||
					memcmp(VARDATA_ANY(h), mine, PG_SHA256_DIGEST_LENGTH) != 0)
					problem = psprintf("the row of link %lld (%s %s) was changed, or the link forged",
									   (long long) seq, source, SPI_getvalue(tup, desc, 2));
			}
			if (problem != NULL)
				broken = seq;
			else
			{
				memcpy(prev, mine, sizeof(prev));
				expect++;
				checked++;
			}
		}
	}
	SPI_cursor_close(portal);
	pg_cryptohash_free(ctx);

	/* a head kept outside: the chain must reach it, with the same hash */
	if (problem == NULL && !PG_ARGISNULL(2))
	{
		int64		head_seq = PG_GETARG_INT64(2);

		if (expect - 1 < head_seq)
		{
			problem = psprintf("the chain ends at link %lld, before the head %lld: its tail was removed",
							   (long long) (expect - 1), (long long) head_seq);
			broken = expect;
		}
		else if (!PG_ARGISNULL(3))
		{
			values[0] = Int64GetDatum(head_seq);
			if (SPI_execute_with_args("SELECT row_hash FROM ci.audit_chain"
									  " WHERE chain_seq OPERATOR(pg_catalog.=) $1",
									  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
				elog(ERROR, "could not read the audit chain");
			if (SPI_processed != 1 ||
				!DatumGetBool(DirectFunctionCall2(byteaeq,
												  SPI_getbinval(SPI_tuptable->vals[0],
																SPI_tuptable->tupdesc, 1, &rnulls[0]),
												  PG_GETARG_DATUM(3))))
			{
				problem = psprintf("link %lld is not the head kept outside", (long long) head_seq);
				broken = head_seq;
			}
			rnulls[0] = false;
		}
	}

	/*
	 * Verification covers sealed rows only: on the whole chain, also say
	 * how many committed rows wait unsealed (not only those the sealer's
	 * bound would find: rows loaded from another cluster count too), so
	 * that "ok, 0 checked" is never taken for a verified log.
	 */
	if (PG_ARGISNULL(1))
	{
		bool		isnull;

		if (SPI_execute("SELECT (SELECT pg_catalog.count(*) FROM ci.audit_log a"
						"         WHERE NOT EXISTS (SELECT FROM ci.audit_chain c"
						"                           WHERE c.source OPERATOR(pg_catalog.=) 'audit_log'"
						"                             AND c.audit_id OPERATOR(pg_catalog.=) a.audit_id))"
						"     OPERATOR(pg_catalog.+)"
						"       (SELECT pg_catalog.count(*) FROM ci.read_audit r"
						"         WHERE NOT EXISTS (SELECT FROM ci.audit_chain c"
						"                           WHERE c.source OPERATOR(pg_catalog.=) 'read_audit'"
						"                             AND c.audit_id OPERATOR(pg_catalog.=) r.record_id))",
						true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not count the unsealed audit rows");
		unsealed = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
											   &isnull));
	}
	/* the problem's text was made in SPI's memory, which SPI_finish frees */
	if (problem != NULL)
		problem = strcpy(SPI_palloc(strlen(problem) + 1), problem);
	SPI_finish();
	ci_restore_user(&sw);
	if (unsealed > 0)
		ereport(NOTICE,
				(errmsg_plural("%lld audit row is not sealed yet",
							   "%lld audit rows are not sealed yet",
							   unsealed, (long long) unsealed),
				 errdetail("Verification covers sealed rows only."),
				 errhint("Run ci.audit_seal(), or list this database in customer_info.scheduler_databases so that the scheduler seals it.")));
	result[0] = BoolGetDatum(problem == NULL);
	result[1] = Int64GetDatum(checked);
	if (unsealed >= 0)
	{
		result[4] = Int64GetDatum(unsealed);
		rnulls[4] = false;
	}
	if (problem != NULL)
	{
		result[2] = Int64GetDatum(broken);
		result[3] = CStringGetTextDatum(problem);
		rnulls[2] = rnulls[3] = false;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(rdesc, result, rnulls)));
}

/* A record of an event on the table itself (no row), written at once. */
static void
note_event(Oid relid, char op)
{
	add_record(relid, op, (Datum) 0, (Datum) 0, (Datum) 0, (Datum) 0);
	write_records();
}

/* Does the table have its audit triggers already? */
static bool
has_audit_triggers(Oid relid)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};
	bool		found;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT FROM pg_catalog.pg_trigger WHERE tgrelid OPERATOR(pg_catalog.=) $1"
							  " AND tgname OPERATOR(pg_catalog.=) 'customer_info_audit'",
							  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_trigger");
	found = SPI_processed > 0;
	SPI_finish();
	return found;
}

PG_FUNCTION_INFO_V1(ci_audit_attach);

/*
 * ci.audit(tbl, exclude, log_unchanged) and ci.unaudit(tbl): attach or
 * detach the audit triggers, as the table's owner; a detach is itself
 * recorded in the log.
 */
Datum
ci_audit_attach(PG_FUNCTION_ARGS)
{
	Oid			relid;
	bool		attach = PG_GETARG_BOOL(3);
	char	   *qrel;
	CiUserSwitch sw;
	Oid			argtypes[3] = {OIDOID, NAMEARRAYOID, BOOLOID};
	Datum		values[3];

	ci_require_admin(attach ? "attach auditing" : "detach auditing");
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table must not be null")));
	relid = PG_GETARG_OID(0);
	ci_require_table(relid);
	if (get_rel_namespace(relid) == get_namespace_oid("ci", false))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("customer_info's own tables are not audited this way")));
	qrel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
	values[0] = ObjectIdGetDatum(relid);
	values[1] = PG_ARGISNULL(1) ? PointerGetDatum(construct_empty_array(NAMEOID)) : PG_GETARG_DATUM(1);
	values[2] = BoolGetDatum(!PG_ARGISNULL(2) && PG_GETARG_BOOL(2));
	if (attach && !PG_ARGISNULL(1))
	{
		Datum	   *names;
		int			n;

		deconstruct_array(PG_GETARG_ARRAYTYPE_P(1), NAMEOID, NAMEDATALEN, false,
						  TYPALIGN_CHAR, &names, NULL, &n);
		for (int i = 0; i < n; i++)
			if (get_attnum(relid, NameStr(*DatumGetName(names[i]))) == InvalidAttrNumber)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("column \"%s\" of table \"%s\" does not exist",
								NameStr(*DatumGetName(names[i])), get_rel_name(relid))));
	}
	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (attach)
	{
		if (SPI_execute_with_args("INSERT INTO ci.audit_table (relid, excluded, log_unchanged)"
								  " VALUES ($1::pg_catalog.regclass, $2, $3)"
								  " ON CONFLICT (relid) DO UPDATE"
								  " SET excluded = excluded.excluded, log_unchanged = excluded.log_unchanged",
								  3, argtypes, values, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not update ci.audit_table");
	}
	else if (SPI_execute_with_args("DELETE FROM ci.audit_table"
								   " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
								   1, argtypes, values, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not update ci.audit_table");
	SPI_finish();
	ci_restore_user(&sw);
	if (!attach || has_audit_triggers(relid))
	{
		ci_run_as_table_owner(relid, psprintf("DROP TRIGGER IF EXISTS customer_info_audit ON %s", qrel));
		ci_run_as_table_owner(relid, psprintf("DROP TRIGGER IF EXISTS customer_info_audit_stmt ON %s", qrel));
	}
	if (attach)
	{
		ci_run_as_table_owner(relid,
							  psprintf("CREATE TRIGGER customer_info_audit AFTER INSERT OR UPDATE OR DELETE"
									   " ON %s FOR EACH ROW EXECUTE FUNCTION ci.audit_trigger()", qrel));
		ci_run_as_table_owner(relid,
							  psprintf("CREATE TRIGGER customer_info_audit_stmt"
									   " AFTER TRUNCATE"
									   " ON %s FOR EACH STATEMENT EXECUTE FUNCTION ci.audit_trigger()",
									   qrel));
	}
	else
		note_event(relid, 'X');	/* the detach is on record */
	last_desc = NULL;
	PG_RETURN_VOID();
}

/* Is the table audited? */
bool
ci_audited(Oid relid)
{
	CiUserSwitch sw;
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};
	bool		found;

	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT FROM ci.audit_table"
							  " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
							  1, argtypes, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ci.audit_table");
	found = SPI_processed > 0;
	SPI_finish();
	ci_restore_user(&sw);
	return found;
}

/* The audit triggers of a table were disabled or dropped: on record. */
void
ci_audit_triggers_off(Oid relid)
{
	note_event(relid, 'Z');
}

bool		ci_audit_purging = false;

/*
 * customer_info.audit_min_retention: no purge removes records younger than
 * this (default 10 years, the AML Law's retention after a relationship
 * ends).  Superuser-only, so that whoever may purge cannot shorten it.
 */
static char *min_retention_setting = NULL;
static Interval min_retention;

static bool
check_min_retention(char **newval, void **extra, GucSource source pg_attribute_unused())
{
	return ci_check_interval_setting(newval, extra,
									 "The minimum retention of the audit trail is an interval that is not negative, such as '10 years'.");
}

static void
assign_min_retention(const char *newval pg_attribute_unused(), void *extra)
{
	min_retention = *(Interval *) extra;
}

static void
audit_purge_guc_init(void)
{
	DefineCustomStringVariable("customer_info.audit_min_retention",
							   "The audit trail's minimum retention: purges of younger records are refused.",
							   "Only a superuser can change it; ci.audit_purge() refuses an older_than below it.",
							   &min_retention_setting, "10 years", PGC_SUSET,
							   GUC_SUPERUSER_ONLY,
							   check_min_retention, assign_min_retention, NULL);
}

PG_FUNCTION_INFO_V1(ci_audit_purge);

/*
 * ci.audit_purge(older_than): remove the oldest sealed part of the chain
 * and its rows (changes and reads), as far as every row in it is older
 * than older_than, keeping a checkpoint (its last link) so that the rest
 * of the chain still verifies.  Returns how many rows went.
 */
Datum
ci_audit_purge(PG_FUNCTION_ARGS)
{
	Interval   *age = PG_GETARG_INTERVAL_P(0);
	CiUserSwitch sw;
	Oid			argtypes[1] = {INTERVALOID};
	Datum		values[1] = {PointerGetDatum(age)};
	int64		upto;
	int64		purged = 0;
	bool		isnull;

	ci_require_admin("purge the audit log");
	if (age->month < 0 || age->day < 0 || age->time < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("older_than must not be negative"),
				 errhint("Give the age of the youngest records to remove, such as interval '10 years'.")));
	/* compared as dates: now() - older_than must be no later than now() - floor */
	if (DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
												TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()),
												IntervalPGetDatum(age))) >
		DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
												TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()),
												IntervalPGetDatum(&min_retention))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("audit records younger than the minimum retention cannot be purged"),
				 errdetail("customer_info.audit_min_retention is %s; older_than must be at least that.",
						   min_retention_setting),
				 errhint("Purge with a longer older_than; only a superuser can lower customer_info.audit_min_retention.")));
	chain_begin(&sw);
	/* the sealed prefix whose rows are all old enough */
	if (SPI_execute_with_args("SELECT coalesce((SELECT min(c.chain_seq) OPERATOR(pg_catalog.-) 1"
							  "   FROM ci.audit_chain c"
							  "   LEFT JOIN ci.audit_log a ON c.source OPERATOR(pg_catalog.=) 'audit_log'"
							  "     AND a.audit_id OPERATOR(pg_catalog.=) c.audit_id"
							  "   LEFT JOIN ci.read_audit r ON c.source OPERATOR(pg_catalog.=) 'read_audit'"
							  "     AND r.record_id OPERATOR(pg_catalog.=) c.audit_id"
							  "  WHERE coalesce(a.logged_at, r.recorded_at)"
							  "        OPERATOR(pg_catalog.>=) (pg_catalog.now() OPERATOR(pg_catalog.-) $1)),"
							  "  (SELECT max(chain_seq) FROM ci.audit_chain), 0)",
							  1, argtypes, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the audit chain");
	upto = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (upto > 0)
	{
		Oid			vt[1] = {INT8OID};
		Datum		vv[1] = {Int64GetDatum(upto)};

		/* a broken segment is not purged: its checkpoint would hide the break */
		if (SPI_execute_with_args("SELECT ok, first_broken FROM ci.audit_verify(to_seq => $1)",
								  1, vt, vv, NULL, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "could not verify the audit chain");
		if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("the audit chain is broken at link %s",
							SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2)),
					 errdetail("Purging would replace the broken links with a checkpoint."),
					 errhint("See ci.audit_verify().")));
	}
	if (upto > 0)
	{
		Oid			t[1] = {INT8OID};
		Datum		v[1] = {Int64GetDatum(upto)};

		if (SPI_execute_with_args("INSERT INTO ci.audit_checkpoint (chain_seq, row_hash, purged_rows)"
								  " SELECT chain_seq, row_hash,"
								  "        (SELECT count(*) FROM ci.audit_chain WHERE chain_seq OPERATOR(pg_catalog.<=) $1)"
								  "   FROM ci.audit_chain WHERE chain_seq OPERATOR(pg_catalog.=) $1",
								  1, t, v, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not record the audit checkpoint");
		if (SPI_processed == 1)
		{
			ci_audit_purging = true;
			PG_TRY();
			{
				if (SPI_execute_with_args("DELETE FROM ci.audit_log a USING ci.audit_chain c"
										  " WHERE c.audit_id OPERATOR(pg_catalog.=) a.audit_id"
										  " AND c.source OPERATOR(pg_catalog.=) 'audit_log'"
										  " AND c.chain_seq OPERATOR(pg_catalog.<=) $1",
										  1, t, v, NULL, false, 0) != SPI_OK_DELETE)
					elog(ERROR, "could not purge the audit log");
				purged = SPI_processed;
				if (SPI_execute_with_args("DELETE FROM ci.read_audit r USING ci.audit_chain c"
										  " WHERE c.audit_id OPERATOR(pg_catalog.=) r.record_id"
										  " AND c.source OPERATOR(pg_catalog.=) 'read_audit'"
										  " AND c.chain_seq OPERATOR(pg_catalog.<=) $1",
										  1, t, v, NULL, false, 0) != SPI_OK_DELETE)
					elog(ERROR, "could not purge the read audit");
				purged += SPI_processed;
				if (SPI_execute_with_args("DELETE FROM ci.audit_chain"
										  " WHERE chain_seq OPERATOR(pg_catalog.<=) $1",
										  1, t, v, NULL, false, 0) != SPI_OK_DELETE)
					elog(ERROR, "could not purge the audit chain");
			}
			PG_FINALLY();
			{
				ci_audit_purging = false;
			}
			PG_END_TRY();
		}
	}
	SPI_finish();
	ci_restore_user(&sw);
	PG_RETURN_INT64(purged);
}
