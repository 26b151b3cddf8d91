/*-------------------------------------------------------------------------
 *
 * log_scrub.c
 *	  Keeping plaintext of protected tables out of the server log.
 *
 * PostgreSQL writes the text a failing statement came with into the
 * server log: the STATEMENT line, the CONTEXT of COPY (the whole input
 * line), details such as "Failing row contains (...)" or "Key (...)=(...)
 * already exists", the QUERY of an internal statement.  For a table with
 * protected columns that text holds the plaintext the protect trigger was
 * about to encrypt.  An emit_log_hook (chained, as pgaudit and
 * pg_stat_statements chain theirs) scrubs the server's copy of every
 * message of a statement that
 *	- writes a protected table: INSERT, UPDATE, DELETE and MERGE as the
 *	  executor sees them (after rewriting, so through views, functions and
 *	  prepared statements too), COPY FROM as ProcessUtility sees it, and
 *	  every statement as parse analysis sees it; or
 *	- names a protected table in its text, its internal query or its
 *	  context: this covers errors raised before the statement is analysed
 *	  (syntax errors, a literal of the wrong type in VALUES).
 * Scrubbing hides STATEMENT and CONTEXT from the server log only
 * (hide_stmt, hide_ctx: the client still gets its context), replaces the
 * server's copy of the detail (detail_log), drops the internal query (the
 * one field the client loses: PostgreSQL has no server-only switch for
 * it) and cuts the statement's text out of a message that repeats it
 * (log_statement, log_min_duration_statement, auto_explain's query text).
 *
 * A protected table is one with a trigger calling ci.protect_trigger().
 * Their names and OIDs are cached per backend and rebuilt at the next
 * top-level statement after any relcache invalidation (never inside a
 * nested statement: the scan takes a lock, which processes pending
 * invalidations under code that may not expect it); the hook itself only reads
 * that cache and the statement's flag: it never touches the catalog,
 * never throws, and allocates only the replacement detail, in the error
 * context and without failing on out-of-memory.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/analyze.h"
#include "parser/parsetree.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/elog.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "log_scrub.h"

/* The server log's detail of a scrubbed message. */
#define SCRUBBED_DETAIL \
	"Values are not logged for statements on tables protected by customer_info."
/* What replaces a statement's text inside a message that repeats it. */
#define SCRUBBED_STATEMENT "(statement on a protected table not logged)"

typedef struct ProtectedRel
{
	Oid			relid;
	char	   *name;
	size_t		len;
} ProtectedRel;

static emit_log_hook_type prev_emit_log_hook = NULL;
static post_parse_analyze_hook_type prev_post_parse_analyze_hook = NULL;
static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/* The protected tables of this database, as of the last rebuild. */
static MemoryContext rels_cxt = NULL;
static ProtectedRel *rels = NULL;
static int	nrels = 0;
static bool rels_built = false;
static uint64 inval_count = 0;	/* relcache invalidations seen */
static uint64 rels_built_at = 0;	/* inval_count of the last rebuild */

/* The statement (by its start time) that writes a protected table. */
static bool stmt_writes = false;
static TimestampTz stmt_writes_start = 0;

static bool warned_log_statement = false;

/* The message about log_statement, which explains itself unscrubbed. */
#define LOG_STATEMENT_MSG \
	"customer_info: log_statement = %s can write plaintext of protected columns to the server log"

static void
rels_invalidate(Datum arg pg_attribute_unused(), Oid relid pg_attribute_unused())
{
	inval_count++;
}

/* OID of ci.protect_trigger(), or InvalidOid where the extension is absent. */
static Oid
protect_trigger_fn(void)
{
	Oid			nsp = get_namespace_oid("ci", true);
	oidvector  *noargs;

	if (!OidIsValid(nsp))
		return InvalidOid;
	noargs = buildoidvector(NULL, 0);
	return GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid,
						   CStringGetDatum("protect_trigger"),
						   PointerGetDatum(noargs),
						   ObjectIdGetDatum(nsp));
}

/*
 * Rebuild the cache of protected tables if a relcache invalidation came
 * since the last rebuild (a protect or unprotect, a rename).  Called only
 * where catalog access is safe: in the hooks before a statement runs.
 * The new cache is built in a context of the statement's and kept only
 * once complete, so an error halfway leaves the previous one in place.
 */
static void
rels_refresh(void)
{
	uint64		seen = inval_count;
	MemoryContext cxt;
	MemoryContext old;
	ProtectedRel *arr;
	int			n = 0;
	int			cap = 8;
	Oid			fn;

	if (rels_built && rels_built_at == seen)
		return;
	if (!IsTransactionState() || !OidIsValid(MyDatabaseId))
		return;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "customer_info log scrub",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	arr = palloc(sizeof(ProtectedRel) * cap);
	fn = protect_trigger_fn();
	if (OidIsValid(fn))
	{
		Relation	tgrel = table_open(TriggerRelationId, AccessShareLock);
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple	tup;

		ScanKeyInit(&key, Anum_pg_trigger_tgfoid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(fn));
		scan = systable_beginscan(tgrel, InvalidOid, false, NULL, 1, &key);
		while (HeapTupleIsValid(tup = systable_getnext(scan)))
		{
			Oid			relid = ((Form_pg_trigger) GETSTRUCT(tup))->tgrelid;
			char	   *name = get_rel_name(relid);

			if (name == NULL)
				continue;
			if (n == cap)
			{
				cap *= 2;
				arr = repalloc(arr, sizeof(ProtectedRel) * cap);
			}
			arr[n].relid = relid;
			arr[n].name = name;
			arr[n].len = strlen(name);
			n++;
		}
		systable_endscan(scan);
		table_close(tgrel, AccessShareLock);
	}
	MemoryContextSwitchTo(old);

	MemoryContextSetParent(cxt, TopMemoryContext);
	old = rels_cxt;
	rels = arr;
	nrels = n;
	rels_cxt = cxt;
	rels_built = true;
	rels_built_at = seen;
	if (old != NULL)
		MemoryContextDelete(old);
}

static bool
rel_is_protected(Oid relid)
{
	for (int i = 0; i < nrels; i++)
		if (rels[i].relid == relid)
			return true;
	return false;
}

/*
 * Say once per session that log_statement logs statements before this
 * module knows what they write.
 */
static void
warn_log_statement(void)
{
	if (warned_log_statement || log_statement < LOGSTMT_MOD)
		return;
	warned_log_statement = true;
	ereport(LOG,
			(errmsg(LOG_STATEMENT_MSG,
					log_statement == LOGSTMT_ALL ? "all" : "mod"),
			 errdetail("Statements are logged before they run: the text of a statement that names a protected table is scrubbed, but one that writes a protected table through a function, a view or a prepared statement is logged in full."),
			 errhint("Set log_statement to \"none\" or \"ddl\"."),
			 errhidestmt(true)));
}

/* The current statement writes relid: mark it if relid is protected. */
static void
note_write(Oid relid)
{
	if (!OidIsValid(relid) || !rel_is_protected(relid))
		return;
	stmt_writes = true;
	stmt_writes_start = GetCurrentStatementStartTimestamp();
	warn_log_statement();
}

static void
note_copy(CopyStmt *stmt)
{
	if (stmt->is_from && stmt->relation != NULL)
		note_write(RangeVarGetRelid(stmt->relation, NoLock, true));
}

static void
note_query(Query *query)
{
	ListCell   *lc;

	if (query->commandType == CMD_UTILITY)
	{
		if (query->utilityStmt != NULL && IsA(query->utilityStmt, CopyStmt))
			note_copy((CopyStmt *) query->utilityStmt);
		return;
	}
	if (query->resultRelation > 0 &&
		(query->commandType == CMD_INSERT || query->commandType == CMD_UPDATE ||
		 query->commandType == CMD_DELETE || query->commandType == CMD_MERGE))
		note_write(rt_fetch(query->resultRelation, query->rtable)->relid);
	foreach(lc, query->cteList)
	{
		CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

		if (cte->ctequery != NULL && IsA(cte->ctequery, Query))
			note_query((Query *) cte->ctequery);
	}
}

static void
scrub_post_parse_analyze(ParseState *pstate, Query *query, JumbleState *jstate)
{
	if (prev_post_parse_analyze_hook)
		prev_post_parse_analyze_hook(pstate, query, jstate);
	if (pstate->p_sourcetext == debug_query_string)
		rels_refresh();
	note_query(query);
}

static void
scrub_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	ListCell   *lc;

	if (queryDesc->sourceText == debug_query_string)
		rels_refresh();
	foreach(lc, queryDesc->plannedstmt->resultRelations)
	{
		RangeTblEntry *rte = rt_fetch(lfirst_int(lc),
									  queryDesc->plannedstmt->rtable);

		note_write(rte->relid);
	}
	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

static void
scrub_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
					 bool readOnlyTree, ProcessUtilityContext context,
					 ParamListInfo params, QueryEnvironment *queryEnv,
					 DestReceiver *dest, QueryCompletion *qc)
{
	if (IsA(pstmt->utilityStmt, CopyStmt))
	{
		if (context == PROCESS_UTILITY_TOPLEVEL)
			rels_refresh();
		note_copy((CopyStmt *) pstmt->utilityStmt);
	}
	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
							queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

static bool
ident_byte(unsigned char c)
{
	return c == '_' || c == '$' || IS_HIGHBIT_SET(c) ||
		(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9');
}

/* Does text name a protected table (a whole word, in any case)? */
static bool
names_protected(const char *text)
{
	if (text == NULL)
		return false;
	for (int i = 0; i < nrels; i++)
	{
		const char *name = rels[i].name;
		size_t		len = rels[i].len;

		for (const char *p = text; *p != '\0'; p++)
		{
			if (pg_ascii_tolower((unsigned char) *p) != pg_ascii_tolower((unsigned char) name[0]) ||
				pg_strncasecmp(p, name, len) != 0)
				continue;
			if ((p == text || !ident_byte((unsigned char) p[-1])) &&
				!ident_byte((unsigned char) p[len]))
				return true;
		}
	}
	return false;
}

static bool
must_scrub(ErrorData *edata)
{
	if (edata->message_id != NULL && strcmp(edata->message_id, LOG_STATEMENT_MSG) == 0)
		return false;
	if (stmt_writes && stmt_writes_start == GetCurrentStatementStartTimestamp())
		return true;
	if (names_protected(debug_query_string) ||
		names_protected(edata->internalquery) ||
		names_protected(edata->context))
		return true;
	/*
	 * A message of a statement that came before this session could learn
	 * its protected tables (the first statement's log_statement line, an
	 * error in its parser): scrubbed, as it may name one.
	 */
	return !rels_built && debug_query_string != NULL;
}

/* Cut the statement's text out of a message that repeats it, in place. */
static void
cut_statement(char *message)
{
	size_t		qlen;
	size_t		rlen = strlen(SCRUBBED_STATEMENT);
	char	   *p;

	if (message == NULL || debug_query_string == NULL)
		return;
	qlen = strlen(debug_query_string);
	if (qlen == 0 || (p = strstr(message, debug_query_string)) == NULL)
		return;
	if (rlen > qlen)
		rlen = 0;
	memcpy(p, SCRUBBED_STATEMENT, rlen);
	memmove(p + rlen, p + qlen, strlen(p + qlen) + 1);
}

static void
scrub(ErrorData *edata)
{
	edata->hide_stmt = true;
	edata->hide_ctx = true;
	if (edata->internalquery != NULL)
	{
		edata->internalquery = NULL;
		edata->internalpos = 0;
	}
	if (edata->detail != NULL || edata->detail_log != NULL)
	{
		size_t		len = strlen(SCRUBBED_DETAIL) + 1;

		if (edata->detail_log != NULL && strlen(edata->detail_log) + 1 >= len)
			memcpy(edata->detail_log, SCRUBBED_DETAIL, len);
		else
		{
			char	   *d = MemoryContextAllocExtended(edata->assoc_context
													   ? edata->assoc_context
													   : ErrorContext,
													   len, MCXT_ALLOC_NO_OOM);

			if (d == NULL)
			{
				/* nothing safe to log instead: log nothing */
				edata->output_to_server = false;
				return;
			}
			memcpy(d, SCRUBBED_DETAIL, len);
			edata->detail_log = d;
		}
	}
	cut_statement(edata->message);
}

static void
scrub_emit_log(ErrorData *edata)
{
	if (edata->output_to_server && must_scrub(edata))
		scrub(edata);
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

void
ci_log_scrub_init(void)
{
	CacheRegisterRelcacheCallback(rels_invalidate, (Datum) 0);
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = scrub_emit_log;
	prev_post_parse_analyze_hook = post_parse_analyze_hook;
	post_parse_analyze_hook = scrub_post_parse_analyze;
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = scrub_ExecutorStart;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = scrub_ProcessUtility;
}
