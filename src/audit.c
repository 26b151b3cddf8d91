/*-------------------------------------------------------------------------
 *
 * audit.c
 *	  Audit triggers in C and the tamper-evident hash chain.
 *
 * ci.audit(tbl) attaches two triggers: an AFTER row trigger that records
 * each INSERT, UPDATE and DELETE in backend memory (old and new values as
 * JSON, for an UPDATE only the columns that changed, protected columns as
 * stored: the envelope of an encrypted one, the mask of one kept in clear,
 * never its plaintext), and an AFTER statement trigger that writes the
 * statement's records into ci.audit_log with one INSERT, with the actor
 * (session and current user, application, client address) and the
 * session's purpose; it also records TRUNCATE.  Records of a
 * subtransaction that rolls back are dropped with it.
 *
 * ci.audit_log is append-only.  ci.audit_seal() links the rows written
 * since the last seal into a SHA-256 chain, in ci.audit_chain (append-only
 * too): each link hashes the previous link's hash, its sequence number and
 * a canonical, length-prefixed encoding of the row.  Writers never wait
 * for it: they only insert; the sealer takes the rows committed so far (a
 * row of a transaction still in progress is invisible to it and is sealed
 * by a later run, further down the chain), one sealer at a time.
 * ci.audit_verify() recomputes the chain, or a range of it, and names the
 * first broken link; ci.audit_head() gives the last link, to keep outside
 * the database and verify against later.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "access.h"
#include "audit.h"
#include "keys.h"
#include "views.h"

#define AUDIT_FIELDS	5		/* arrays per statement: see flush_records() */

/* One change, waiting for its statement's end. */
typedef struct AuditRecord
{
	SubTransactionId subid;
	Oid			relid;
	char		op;				/* I, U, D */
	char	   *row_key;		/* JSON texts */
	char	   *changed;		/* text[] literal, UPDATE only */
	char	   *old_values;
	char	   *new_values;
} AuditRecord;

static MemoryContext audit_cxt = NULL;
static List *pending = NIL;		/* of AuditRecord, in audit_cxt */
static SPIPlanPtr insert_plan = NULL;	/* a statement's records, as arrays */
static SPIPlanPtr insert_one_plan = NULL;	/* one record (most statements) */

/* How the columns of the table being recorded are shown, per statement */
typedef struct AuditDesc
{
	Oid			relid;
	uint64		generation;
	int			natts;
	char	   *forms;
	AttrNumber *mask_attnums;
	bool	   *excluded;
	bool		log_unchanged;
} AuditDesc;

/* the last table's description, kept across transactions until the policy changes */
static AuditDesc *last_desc = NULL;
static MemoryContext desc_cxt = NULL;

static void
audit_reset(void)
{
	pending = NIL;
	if (audit_cxt != NULL)
		MemoryContextReset(audit_cxt);
}

static void
audit_xact_callback(XactEvent event, void *arg pg_attribute_unused())
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_COMMIT ||
		event == XACT_EVENT_PARALLEL_ABORT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PREPARE)
		audit_reset();
}

/* A rolled-back subtransaction takes its records along. */
static void
audit_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid pg_attribute_unused(),
					   void *arg pg_attribute_unused())
{
	ListCell   *lc;
	List	   *kept = NIL;
	MemoryContext old;

	if (event != SUBXACT_EVENT_ABORT_SUB || pending == NIL)
		return;
	old = MemoryContextSwitchTo(audit_cxt);
	foreach(lc, pending)
	{
		AuditRecord *r = lfirst(lc);

		if (r->subid < mySubid)
			kept = lappend(kept, r);
	}
	list_free(pending);
	pending = kept;
	MemoryContextSwitchTo(old);
}

void
ci_audit_init(void)
{
	RegisterXactCallback(audit_xact_callback, NULL);
	RegisterSubXactCallback(audit_subxact_callback, NULL);
}

/* The table's audit settings and column forms (cached per statement). */
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
	MemoryContextSwitchTo(old);
	ci_audit_column_forms(relid, d->natts, d->forms, d->mask_attnums);

	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT excluded, log_unchanged FROM ci.audit_table"
							  " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
							  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ci.audit_table");
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		arr = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		d->log_unchanged = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
													  SPI_tuptable->tupdesc, 2, &isnull));
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
	last_desc = d;
	return d;
}

/* A column's value as the log shows it, as a JSON value. */
static void
json_value(StringInfo buf, AuditDesc *d, TupleDesc tupdesc, HeapTuple tuple, int i)
{
	Form_pg_attribute att = TupleDescAttr(tupdesc, i);
	AttrNumber	attnum = i + 1;
	bool		isnull;
	Datum		v;
	Oid			typoutput;
	bool		varlena;
	char	   *s;

	if (d->forms[i] == CI_AUDIT_MASKED)
	{
		/* a protected column kept in clear: its masked form */
		attnum = d->mask_attnums[i];
		if (attnum <= 0)
		{
			appendStringInfoString(buf, "null");
			return;
		}
		att = TupleDescAttr(tupdesc, attnum - 1);
	}
	v = heap_getattr(tuple, attnum, tupdesc, &isnull);
	if (isnull)
	{
		appendStringInfoString(buf, "null");
		return;
	}
	getTypeOutputInfo(att->atttypid, &typoutput, &varlena);
	s = OidOutputFunctionCall(typoutput, v);
	escape_json(buf, s);
	pfree(s);
}

/* {"col": value, ...} of the columns the mask selects (all if NULL). */
static char *
json_row(AuditDesc *d, TupleDesc tupdesc, HeapTuple tuple, const bool *only)
{
	StringInfoData buf;
	bool		first = true;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (att->attisdropped || d->forms[i] == CI_AUDIT_SKIP || d->excluded[i] ||
			(only != NULL && !only[i]))
			continue;
		if (!first)
			appendStringInfoString(&buf, ", ");
		first = false;
		escape_json(&buf, NameStr(att->attname));
		appendStringInfoString(&buf, ": ");
		json_value(&buf, d, tupdesc, tuple, i);
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* The row's primary key (or, without one, its ctid) as JSON. */
static char *
json_key(Relation rel, AuditDesc *d, HeapTuple tuple)
{
	Bitmapset  *pk = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_PRIMARY_KEY);
	bool	   *only = palloc0(sizeof(bool) * RelationGetDescr(rel)->natts);
	int			attno = -1;

	if (pk == NULL)
		return psprintf("{\"ctid\": \"(%u,%u)\"}",
						ItemPointerGetBlockNumber(&tuple->t_self),
						ItemPointerGetOffsetNumber(&tuple->t_self));
	while ((attno = bms_next_member(pk, attno)) >= 0)
		only[attno + FirstLowInvalidHeapAttributeNumber - 1] = true;
	return json_row(d, RelationGetDescr(rel), tuple, only);
}

#define AUDIT_INSERT \
	"INSERT INTO ci.audit_log (txid, relid, table_name, operation, row_key, changed," \
	" old_values, new_values, session_user_name, current_user_name, application_name," \
	" client_addr, purpose)"

/* A kept plan of the log's insert, prepared as the extension's owner. */
static SPIPlanPtr
prepare_as_owner(const char *sql, Oid *argtypes)
{
	CiUserSwitch sw;
	SPIPlanPtr	plan;

	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(sql, AUDIT_FIELDS + 6, argtypes);
	if (plan == NULL || SPI_keepplan(plan) != 0)
		elog(ERROR, "could not prepare the audit insert");
	SPI_finish();
	ci_restore_user(&sw);
	return plan;
}

/* Write the pending records of a table with one INSERT, as the log's owner. */
static void
flush_records(Oid relid, char op_truncate)
{
	Datum	   *cols[AUDIT_FIELDS];
	bool	   *nulls[AUDIT_FIELDS];
	int			n = 0;
	int			total = list_length(pending) + (op_truncate ? 1 : 0);
	List	   *others = NIL;
	MemoryContext old;
	ListCell   *lc;
	Oid			argtypes[AUDIT_FIELDS + 6];
	Datum		values[AUDIT_FIELDS + 6];
	char		argnulls[AUDIT_FIELDS + 6];
	const char *appname;
	const char *purpose = ci_session_purpose();
	char	   *current_user = GetUserNameFromId(GetUserId(), false);
	char	   *session_user = GetUserNameFromId(GetSessionUserId(), false);
	char	   *relname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
													 get_rel_name(relid));

	Oid			save_userid;
	int			save_sec;
	SPIPlanPtr	plan_now;
	Oid			log_relid = get_relname_relid("audit_log", get_namespace_oid("ci", false));

	if (total == 0)
		return;
	if (!OidIsValid(log_relid))
		elog(ERROR, "table ci.audit_log is missing");
	for (int f = 0; f < AUDIT_FIELDS; f++)
	{
		cols[f] = palloc(sizeof(Datum) * total);
		nulls[f] = palloc0(sizeof(bool) * total);
	}
	/* this table's records leave the list; the others stay, in order */
	old = MemoryContextSwitchTo(audit_cxt);
	foreach(lc, pending)
	{
		AuditRecord *r = lfirst(lc);
		char		op[2] = {r->op, '\0'};

		if (r->relid != relid)
		{
			others = lappend(others, r);
			continue;
		}
		cols[0][n] = CStringGetTextDatum(op[0] == 'I' ? "INSERT" : op[0] == 'U' ? "UPDATE" :
										 op[0] == 'D' ? "DELETE" : op[0] == 'X' ? "UNAUDIT" :
										 "AUDIT TRIGGER OFF");
		cols[1][n] = CStringGetTextDatum(r->row_key);
		nulls[2][n] = r->changed == NULL;
		cols[2][n] = r->changed ? CStringGetTextDatum(r->changed) : (Datum) 0;
		nulls[3][n] = r->old_values == NULL;
		cols[3][n] = r->old_values ? CStringGetTextDatum(r->old_values) : (Datum) 0;
		nulls[4][n] = r->new_values == NULL;
		cols[4][n] = r->new_values ? CStringGetTextDatum(r->new_values) : (Datum) 0;
		n++;
	}
	list_free(pending);
	pending = others;
	MemoryContextSwitchTo(old);
	if (op_truncate)
	{
		cols[0][n] = CStringGetTextDatum("TRUNCATE");
		nulls[1][n] = nulls[2][n] = nulls[3][n] = nulls[4][n] = true;
		n++;
	}
	if (n == 0)
		return;
	memset(argnulls, ' ', sizeof(argnulls));
	for (int f = 0; f < AUDIT_FIELDS; f++)
	{
		int			dims[1] = {n};
		int			lbs[1] = {1};

		if (n == 1)
		{
			/* one record: plain values, no arrays to build and unnest */
			argtypes[f] = TEXTOID;
			values[f] = cols[f][0];
			if (nulls[f][0])
				argnulls[f] = 'n';
			continue;
		}
		argtypes[f] = TEXTARRAYOID;
		values[f] = PointerGetDatum(construct_md_array(cols[f], nulls[f], 1, dims, lbs,
													   TEXTOID, -1, false, TYPALIGN_INT));
	}
	argtypes[5] = OIDOID;
	values[5] = ObjectIdGetDatum(relid);
	argtypes[6] = TEXTOID;
	values[6] = CStringGetTextDatum(relname);
	argtypes[7] = TEXTOID;
	values[7] = CStringGetTextDatum(session_user);
	argtypes[8] = TEXTOID;
	values[8] = CStringGetTextDatum(current_user);
	argtypes[9] = TEXTOID;
	appname = GetConfigOption("application_name", true, false);
	values[9] = CStringGetTextDatum(appname ? appname : "");
	argtypes[10] = TEXTOID;
	values[10] = CStringGetTextDatum(purpose);
	if (purpose[0] == '\0')
		argnulls[10] = 'n';

	/* the plans are made once, under the full switch (search_path pinned) */
	if (n == 1 && insert_one_plan == NULL)
		insert_one_plan = prepare_as_owner(AUDIT_INSERT
										   " VALUES (pg_catalog.pg_current_xact_id(), $6, $7, $1,"
										   "        $2::pg_catalog.jsonb, $3::pg_catalog.name[],"
										   "        $4::pg_catalog.jsonb, $5::pg_catalog.jsonb, $8, $9,"
										   "        $10, pg_catalog.inet_client_addr(), $11)",
										   argtypes);
	if (n > 1 && insert_plan == NULL)
		insert_plan = prepare_as_owner(AUDIT_INSERT
									   " SELECT pg_catalog.pg_current_xact_id(), $6, $7, o,"
									   "        k::pg_catalog.jsonb, c::pg_catalog.name[],"
									   "        ov::pg_catalog.jsonb, nv::pg_catalog.jsonb, $8, $9, $10,"
									   "        pg_catalog.inet_client_addr(), $11"
									   "   FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2),"
									   "        pg_catalog.unnest($3), pg_catalog.unnest($4),"
									   "        pg_catalog.unnest($5)) AS x(o, k, c, ov, nv)",
									   argtypes);

	/*
	 * Then, per statement, only the user changes (to the log's owner, in a
	 * security-restricted operation): the plan names everything with its
	 * schema and keeps the search_path it was made with.
	 */
	plan_now = n == 1 ? insert_one_plan : insert_plan;
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(ci_relation_owner(log_relid), save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute_plan(plan_now, values, argnulls, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not write the audit log");
		SPI_finish();
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	PG_END_TRY();
}

PG_FUNCTION_INFO_V1(ci_audit_trigger);

/*
 * ci.audit_trigger(): the row trigger records a change; the statement
 * trigger writes the statement's records (and records a TRUNCATE).
 */
Datum
ci_audit_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	tupdesc;
	AuditDesc  *d;
	AuditRecord *r;
	MemoryContext old;
	char	   *changed = NULL;
	char	   *old_values = NULL;
	char	   *new_values = NULL;
	char	   *key;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("ci.audit_trigger() must be an AFTER trigger")));
	if (audit_cxt == NULL)
		audit_cxt = AllocSetContextCreate(TopMemoryContext, "customer_info audit",
										  ALLOCSET_DEFAULT_SIZES);
	rel = td->tg_relation;
	if (TRIGGER_FIRED_FOR_STATEMENT(td->tg_event))
	{
		flush_records(RelationGetRelid(rel), TRIGGER_FIRED_BY_TRUNCATE(td->tg_event));
		return PointerGetDatum(NULL);
	}

	tupdesc = RelationGetDescr(rel);
	d = audit_desc(rel);
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		HeapTuple	oldt = td->tg_trigtuple;
		HeapTuple	newt = td->tg_newtuple;
		bool	   *diff = palloc0(sizeof(bool) * tupdesc->natts);
		bool		any = false;
		StringInfoData cols;

		initStringInfo(&cols);
		appendStringInfoChar(&cols, '{');
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
			if (any)
				appendStringInfoChar(&cols, ',');
			appendStringInfoString(&cols, quote_identifier(NameStr(att->attname)));
			any = true;
		}
		appendStringInfoChar(&cols, '}');
		if (!any && !d->log_unchanged)
			return PointerGetDatum(NULL);
		changed = cols.data;
		old_values = json_row(d, tupdesc, oldt, diff);
		new_values = json_row(d, tupdesc, newt, diff);
		key = json_key(rel, d, newt);
	}
	else if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
	{
		new_values = json_row(d, tupdesc, td->tg_trigtuple, NULL);
		key = json_key(rel, d, td->tg_trigtuple);
	}
	else
	{
		old_values = json_row(d, tupdesc, td->tg_trigtuple, NULL);
		key = json_key(rel, d, td->tg_trigtuple);
	}

	old = MemoryContextSwitchTo(audit_cxt);
	r = palloc(sizeof(AuditRecord));
	r->subid = GetCurrentSubTransactionId();
	r->relid = RelationGetRelid(rel);
	r->op = TRIGGER_FIRED_BY_INSERT(td->tg_event) ? 'I' :
		TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? 'U' : 'D';
	r->row_key = pstrdup(key);
	r->changed = changed ? pstrdup(changed) : NULL;
	r->old_values = old_values ? pstrdup(old_values) : NULL;
	r->new_values = new_values ? pstrdup(new_values) : NULL;
	pending = lappend(pending, r);
	MemoryContextSwitchTo(old);
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
 * A column of a log row in the canonical encoding: integers and times as
 * 8 bytes big-endian (an oid as 4), text and jsonb as their stored bytes
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
			{
				uint32		v = DatumGetObjectId(d);

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

/* The fields of a log row as the chain hashes them, in this order. */
#define CHAIN_ROW_SQL \
	"a.audit_id, a.logged_at, a.txid, a.relid, a.table_name, a.operation, a.row_key," \
	" a.changed, a.old_values, a.new_values, a.session_user_name, a.current_user_name," \
	" a.application_name, a.client_addr, a.purpose"
#define CHAIN_ROW_FIELDS 15

/* The hash of link seq over the row at SPI result row i, after prev. */
static void
link_hash(const uint8 *prev, int64 seq, HeapTuple tup, TupleDesc desc, int first_col,
		  uint8 *out)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	uint8		seqbuf[8];

	for (int i = 0; i < 8; i++)
		seqbuf[i] = (uint8) (seq >> (56 - 8 * i));
	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) "customer_info audit", 19) < 0 ||
		pg_cryptohash_update(ctx, prev, PG_SHA256_DIGEST_LENGTH) < 0 ||
		pg_cryptohash_update(ctx, seqbuf, 8) < 0)
		elog(ERROR, "could not hash an audit row");
	for (int f = 0; f < CHAIN_ROW_FIELDS; f++)
		add_field(ctx, tup, desc, first_col + f);
	if (pg_cryptohash_final(ctx, out, PG_SHA256_DIGEST_LENGTH) < 0)
		elog(ERROR, "could not hash an audit row");
	pg_cryptohash_free(ctx);
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

PG_FUNCTION_INFO_V1(ci_audit_seal);

/*
 * ci.audit_seal(max_rows): link the log rows not sealed yet into the
 * chain, in the order of their ids; one sealer at a time (a second waits).
 * Returns how many rows it sealed.
 */
Datum
ci_audit_seal(PG_FUNCTION_ARGS)
{
	int32		max_rows = PG_GETARG_INT32(0);
	CiUserSwitch sw;
	uint8		prev[PG_SHA256_DIGEST_LENGTH];
	int64		seq = 0;
	uint64		nrows;
	Datum	   *seqs;
	Datum	   *ids;
	Datum	   *prevs;
	Datum	   *hashes;
	Oid			argtypes[4] = {INT8ARRAYOID, INT8ARRAYOID, BYTEAARRAYOID, BYTEAARRAYOID};
	Datum		values[4];

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
	memcpy(prev, zero_hash, sizeof(prev));
	if (SPI_processed == 1)
	{
		bool		isnull;
		bytea	   *h;

		seq = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		h = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		memcpy(prev, VARDATA_ANY(h), PG_SHA256_DIGEST_LENGTH);
	}
	values[0] = Int32GetDatum(max_rows);
	if (SPI_execute_with_args("SELECT " CHAIN_ROW_SQL " FROM ci.audit_log a"
							  " WHERE NOT EXISTS (SELECT FROM ci.audit_chain c"
							  "                    WHERE c.audit_id OPERATOR(pg_catalog.=) a.audit_id)"
							  " ORDER BY a.audit_id LIMIT $1",
							  1, (Oid[]) {INT4OID}, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the audit log");
	nrows = SPI_processed;
	if (nrows == 0)
	{
		SPI_finish();
		ci_restore_user(&sw);
		PG_RETURN_INT64(0);
	}
	seqs = palloc(sizeof(Datum) * nrows);
	ids = palloc(sizeof(Datum) * nrows);
	prevs = palloc(sizeof(Datum) * nrows);
	hashes = palloc(sizeof(Datum) * nrows);
	for (uint64 i = 0; i < nrows; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		uint8		h[PG_SHA256_DIGEST_LENGTH];
		bytea	   *b;

		seq++;
		link_hash(prev, seq, tup, SPI_tuptable->tupdesc, 1, h);
		seqs[i] = Int64GetDatum(seq);
		{
			bool		isnull;

			ids[i] = SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull);
		}
		b = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
		SET_VARSIZE(b, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
		memcpy(VARDATA(b), prev, PG_SHA256_DIGEST_LENGTH);
		prevs[i] = PointerGetDatum(b);
		b = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
		SET_VARSIZE(b, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
		memcpy(VARDATA(b), h, PG_SHA256_DIGEST_LENGTH);
		hashes[i] = PointerGetDatum(b);
		memcpy(prev, h, sizeof(prev));
	}
	values[0] = PointerGetDatum(construct_array(seqs, nrows, INT8OID, 8, true, TYPALIGN_DOUBLE));
	values[1] = PointerGetDatum(construct_array(ids, nrows, INT8OID, 8, true, TYPALIGN_DOUBLE));
	values[2] = PointerGetDatum(construct_array(prevs, nrows, BYTEAOID, -1, false, TYPALIGN_INT));
	values[3] = PointerGetDatum(construct_array(hashes, nrows, BYTEAOID, -1, false, TYPALIGN_INT));
	if (SPI_execute_with_args("INSERT INTO ci.audit_chain (chain_seq, audit_id, prev_hash, row_hash)"
							  " SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2),"
							  "  pg_catalog.unnest($3), pg_catalog.unnest($4))",
							  4, argtypes, values, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not extend the audit chain");
	SPI_finish();
	ci_restore_user(&sw);
	PG_RETURN_INT64((int64) nrows);
}

PG_FUNCTION_INFO_V1(ci_audit_verify);

/*
 * ci.audit_verify(from_seq, to_seq, head_seq, head_hash): recompute the
 * chain (or a range of it) and name the first broken link: a changed row,
 * a deleted one, one moved in the chain, a forged link, a tail cut short
 * of a head kept outside.  Returns (ok, checked, first_broken, problem).
 */
Datum
ci_audit_verify(PG_FUNCTION_ARGS)
{
	int64		from_seq = PG_ARGISNULL(0) ? 1 : PG_GETARG_INT64(0);
	int64		to_seq = PG_ARGISNULL(1) ? PG_INT64_MAX : PG_GETARG_INT64(1);
	TupleDesc	rdesc;
	Datum		result[4];
	bool		rnulls[4] = {false, false, true, true};
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
	plan = SPI_prepare("SELECT c.chain_seq, c.audit_id, c.prev_hash, c.row_hash, a.audit_id IS NULL, "
					   CHAIN_ROW_SQL
					   " FROM ci.audit_chain c LEFT JOIN ci.audit_log a"
					   "   ON a.audit_id OPERATOR(pg_catalog.=) c.audit_id"
					   " WHERE c.chain_seq OPERATOR(pg_catalog.>=) $1"
					   "   AND c.chain_seq OPERATOR(pg_catalog.<=) $2"
					   " ORDER BY c.chain_seq", 2, argtypes);
	if (plan == NULL)
		elog(ERROR, "could not prepare the verification");
	portal = SPI_cursor_open(NULL, plan, values, NULL, true);
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
			uint8		mine[PG_SHA256_DIGEST_LENGTH];

			if (seq != expect)
				problem = psprintf("link %lld is missing (the chain goes on at %lld)",
								   (long long) expect, (long long) seq);
			else if (VARSIZE_ANY_EXHDR(p) != PG_SHA256_DIGEST_LENGTH ||
					 memcmp(VARDATA_ANY(p), prev, PG_SHA256_DIGEST_LENGTH) != 0)
				problem = psprintf("link %lld does not follow link %lld", (long long) seq,
								   (long long) (seq - 1));
			else if (DatumGetBool(SPI_getbinval(tup, desc, 5, &isnull)))
				problem = psprintf("the row of link %lld (audit_id %s) was deleted",
								   (long long) seq, SPI_getvalue(tup, desc, 2));
			else
			{
				link_hash(prev, seq, tup, desc, 6, mine);
				if (VARSIZE_ANY_EXHDR(h) != PG_SHA256_DIGEST_LENGTH ||
					memcmp(VARDATA_ANY(h), mine, PG_SHA256_DIGEST_LENGTH) != 0)
					problem = psprintf("the row of link %lld (audit_id %s) was changed, or the link forged",
									   (long long) seq, SPI_getvalue(tup, desc, 2));
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
	SPI_finish();
	ci_restore_user(&sw);
	result[0] = BoolGetDatum(problem == NULL);
	result[1] = Int64GetDatum(checked);
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
	AuditRecord *r;
	MemoryContext old;

	if (audit_cxt == NULL)
		audit_cxt = AllocSetContextCreate(TopMemoryContext, "customer_info audit",
										  ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(audit_cxt);
	r = palloc0(sizeof(AuditRecord));
	r->subid = GetCurrentSubTransactionId();
	r->relid = relid;
	r->op = op;
	r->row_key = pstrdup("{}");
	pending = lappend(pending, r);
	MemoryContextSwitchTo(old);
	flush_records(relid, false);
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
									   " AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
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

PG_FUNCTION_INFO_V1(ci_audit_purge);

/*
 * ci.audit_purge(older_than): remove the oldest sealed part of the log,
 * as far as every row in it is older than older_than, keeping a
 * checkpoint (its last link) so that the rest of the chain still
 * verifies.  Returns how many rows went.
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
	chain_begin(&sw);
	/* the sealed prefix whose rows are all old enough */
	if (SPI_execute_with_args("SELECT coalesce((SELECT min(c.chain_seq) OPERATOR(pg_catalog.-) 1"
							  "   FROM ci.audit_chain c JOIN ci.audit_log a USING (audit_id)"
							  "  WHERE a.logged_at OPERATOR(pg_catalog.>=) (pg_catalog.now() OPERATOR(pg_catalog.-) $1)),"
							  "  (SELECT max(chain_seq) FROM ci.audit_chain), 0)",
							  1, argtypes, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the audit chain");
	upto = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
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
										  " AND c.chain_seq OPERATOR(pg_catalog.<=) $1",
										  1, t, v, NULL, false, 0) != SPI_OK_DELETE)
					elog(ERROR, "could not purge the audit log");
				purged = SPI_processed;
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
