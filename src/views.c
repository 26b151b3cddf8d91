/*-------------------------------------------------------------------------
 *
 * views.c
 *	  Masked views: one per protected table, in customer_info.masked_schema.
 *
 * The view of table s.t is <masked_schema>.t: the table's columns in their
 * order (without the extension's <col>_mask and <col>_bidx), each protected
 * column shown at the level the reading role holds -- the plaintext (from
 * ci.reveal), the masked form the trigger stored beside the value (no
 * decryption), or NULL.  The level is read once per query (an InitPlan).
 * C3 data is never shown clear in a view.  The view is security_barrier and
 * owned by the NOLOGIN role customer_info_views, which alone is granted
 * SELECT on the table: reporting roles get the view, not the table.
 *
 * Columns classified but stored in clear are shown as text in clear.
 *
 * A ProcessUtility hook keeps views and policy in step with DDL, in the
 * same transaction, for statements of the table's owner: ALTER TABLE
 * (columns added, dropped, retyped), renaming a table or a column (the
 * policy follows a renamed protected column and its helper columns),
 * dropping a table, a schema or a protected column.  It refuses to retype
 * a protected column or to change the primary key (envelopes are bound to
 * it).  Grants on a view survive its regeneration.  The view's SQL is
 * built from catalog names, always quoted, and table references are
 * regclass constants.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/dependency.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_rewrite.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/rel.h"
#include "utils/relcache.h"

#include "access.h"
#include "audit.h"
#include "consent.h"
#include "keys.h"
#include "views.h"

PG_FUNCTION_INFO_V1(ci_level);
PG_FUNCTION_INFO_V1(ci_refresh_masked_view);
PG_FUNCTION_INFO_V1(ci_check_purpose_gate);

#define VIEW_OWNER "customer_info_views"

static char *masked_schema = NULL;
static ProcessUtility_hook_type prev_utility_hook = NULL;

/*
 * The statement the extension is running on a table of its own accord:
 * the hook stands aside for that statement only (not for what a user's
 * trigger might run meanwhile).
 */
const char *ci_internal_sql = NULL;

static void ci_utility(PlannedStmt *pstmt, const char *queryString,
					   bool readOnlyTree, ProcessUtilityContext context,
					   ParamListInfo params, QueryEnvironment *queryEnv,
					   DestReceiver *dest, QueryCompletion *qc);

static bool
check_masked_schema(char **newval, void **extra pg_attribute_unused(),
					GucSource source pg_attribute_unused())
{
	if (*newval == NULL || (*newval)[0] == '\0' ||
		strlen(*newval) >= NAMEDATALEN)
	{
		GUC_check_errdetail("The masked schema must be a name of 1 to %d bytes.",
							NAMEDATALEN - 1);
		return false;
	}
	return true;
}

void
ci_views_init(void)
{
	DefineCustomStringVariable("customer_info.masked_schema",
							   "Schema of the masked views.",
							   "Each protected table gets a view of the same name there.",
							   &masked_schema, "masked", PGC_SIGHUP, 0,
							   check_masked_schema, NULL, NULL);
	prev_utility_hook = ProcessUtility_hook;
	ProcessUtility_hook = ci_utility;
}

/* Run fixed SQL (no user text but quoted names) as a role. */
static void
run_as(Oid role, const char *sql)
{
	CiUserSwitch sw;
	const char *volatile saved_sql;

	ci_become_role(role, &sw);
	saved_sql = ci_internal_sql;
	ci_internal_sql = sql;
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute(sql, false, 0) < 0)
			elog(ERROR, "could not run: %s", sql);
		SPI_finish();
	}
	PG_FINALLY();
	{
		ci_internal_sql = saved_sql;
	}
	PG_END_TRY();
	ci_restore_user(&sw);
}

static Oid
namespace_owner(Oid nsp)
{
	HeapTuple	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for schema %u", nsp);
	owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	return owner;
}

/* the owner of the extension's tables (the superuser who created it) */
static Oid
extension_owner(void)
{
	return ci_relation_owner(get_relname_relid("protected_column", get_namespace_oid("ci", false)));
}

/*
 * The protected columns of a table, as (attname, mask_attname,
 * index_attname, category) rows in the caller's memory; NIL if none.
 */
typedef struct PolicyColumn
{
	char	   *attname;
	char	   *mask_attname;
	char	   *index_attname;	/* NULL unless searchable */
	char		category[3];
	bool		encrypted;
} PolicyColumn;

static List *
policy_columns(Oid relid)
{
	CiUserSwitch sw;
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};
	List	   *result = NIL;
	MemoryContext caller = CurrentMemoryContext;

	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT attname::pg_catalog.text, mask_attname::pg_catalog.text,"
							  " index_attname::pg_catalog.text, category, encrypted"
							  " FROM ci.protected_column"
							  " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
							  1, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read ci.protected_column");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(caller);
		PolicyColumn *pc = palloc0(sizeof(PolicyColumn));
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *idx = SPI_getvalue(tup, desc, 3);

		pc->attname = pstrdup(SPI_getvalue(tup, desc, 1));
		pc->mask_attname = pstrdup(SPI_getvalue(tup, desc, 2));
		pc->index_attname = idx ? pstrdup(idx) : NULL;
		strlcpy(pc->category, SPI_getvalue(tup, desc, 4), sizeof(pc->category));
		pc->encrypted = strcmp(SPI_getvalue(tup, desc, 5), "t") == 0;
		result = lappend(result, pc);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	ci_restore_user(&sw);
	return result;
}

static PolicyColumn *
policy_column_named(List *cols, const char *name)
{
	ListCell   *lc;

	foreach(lc, cols)
	{
		PolicyColumn *pc = lfirst(lc);

		if (strcmp(pc->attname, name) == 0)
			return pc;
	}
	return NULL;
}

static bool
is_helper_column(List *cols, const char *name)
{
	ListCell   *lc;

	foreach(lc, cols)
	{
		PolicyColumn *pc = lfirst(lc);

		if (strcmp(pc->mask_attname, name) == 0 ||
			(pc->index_attname && strcmp(pc->index_attname, name) == 0))
			return true;
	}
	return false;
}

/* Does view viewid read table relid?  (its rule depends on the table) */
static bool
view_reads(Oid viewid, Oid relid)
{
	CiUserSwitch sw;
	Oid			argtypes[2] = {OIDOID, OIDOID};
	Datum		values[2] = {ObjectIdGetDatum(viewid), ObjectIdGetDatum(relid)};
	bool		found;

	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT FROM pg_catalog.pg_rewrite r"
							  " JOIN pg_catalog.pg_depend d"
							  "   ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass"
							  "  AND d.objid OPERATOR(pg_catalog.=) r.oid"
							  " WHERE r.ev_class OPERATOR(pg_catalog.=) $1"
							  "   AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
							  "   AND d.refobjid OPERATOR(pg_catalog.=) $2"
							  "   AND d.refobjid OPERATOR(pg_catalog.<>) r.ev_class"
							  "   AND d.deptype OPERATOR(pg_catalog.=) 'n'",
							  2, argtypes, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_rewrite");
	found = SPI_processed > 0;
	SPI_finish();
	ci_restore_user(&sw);
	return found;
}

/*
 * The masked view of table relid (named relname), if there is one.  A
 * relation of that name that is not ours, or ours for another table of the
 * same name in another schema, is an error: its grants must not pass to
 * this table's data.
 */
static Oid
find_masked_view(Oid relid, const char *relname, bool strict)
{
	Oid			nsp = get_namespace_oid(masked_schema, true);
	Oid			viewid;

	/* only a table has a masked view (a view named like one is not it) */
	if (!OidIsValid(nsp) || relname == NULL || get_rel_relkind(relid) != RELKIND_RELATION)
		return InvalidOid;
	viewid = get_relname_relid(relname, nsp);
	if (!OidIsValid(viewid))
		return InvalidOid;
	if (get_rel_relkind(viewid) != RELKIND_VIEW ||
		ci_relation_owner(viewid) != get_role_oid(VIEW_OWNER, false) ||
		!view_reads(viewid, relid))
	{
		if (!strict)
			return InvalidOid;
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("relation \"%s.%s\" exists and is not the masked view of table \"%s\"",
						masked_schema, relname, get_rel_name(relid)),
				 errdetail("Each protected table gets a masked view of its own name, so protected tables need distinct names."),
				 errhint("Rename or drop that relation, or rename the table.")));
	}
	return viewid;
}

static Oid
masked_view_of(Oid relid, const char *relname)
{
	return find_masked_view(relid, relname, true);
}

/*
 * Drop a masked view, returning what was granted on it: a list of
 * (privilege, quoted grantee or PUBLIC, grant option clause).
 */
static List *
drop_masked_view(Oid viewid)
{
	List	   *grants = NIL;
	char	   *qview = quote_qualified_identifier(get_namespace_name(get_rel_namespace(viewid)),
												   get_rel_name(viewid));
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(viewid)};
	MemoryContext caller = CurrentMemoryContext;
	CiUserSwitch sw;

	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'"
							  "  ELSE pg_catalog.quote_ident(r.rolname) END,"
							  " a.privilege_type, a.is_grantable"
							  " FROM pg_catalog.pg_class c,"
							  "  pg_catalog.aclexplode(c.relacl) a"
							  "  LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee"
							  " WHERE c.oid OPERATOR(pg_catalog.=) $1"
							  "   AND a.grantee OPERATOR(pg_catalog.<>) c.relowner",
							  1, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the grants of a masked view");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		MemoryContext old = MemoryContextSwitchTo(caller);

		/* the privilege and grantee, applied by refresh_view() */
		grants = lappend(grants,
						 list_make3(pstrdup(SPI_getvalue(tup, desc, 2)),
									pstrdup(SPI_getvalue(tup, desc, 1)),
									pstrdup(strcmp(SPI_getvalue(tup, desc, 3), "t") == 0 ?
											" WITH GRANT OPTION" : "")));
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	ci_restore_user(&sw);
	run_as(get_role_oid(VIEW_OWNER, false), psprintf("DROP VIEW %s", qview));
	return grants;
}

/*
 * A table with row-level security enabled or forced cannot have a masked
 * view: its policies would apply to the view's owner, but their functions
 * (the table owner's code) would run with the rights of each reader of the
 * view.  Masked views replace row-level security for these tables.
 */
void
ci_refuse_row_security(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	bool		rls;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	rls = ((Form_pg_class) GETSTRUCT(tup))->relrowsecurity ||
		((Form_pg_class) GETSTRUCT(tup))->relforcerowsecurity;
	ReleaseSysCache(tup);
	if (rls)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("table \"%s\" has row-level security enabled",
						get_rel_name(relid)),
				 errdetail("Readers of its masked view would run the table's policies, code of its owner's, with their own rights."),
				 errhint("Masked views replace row-level security for the tables customer_info manages: ALTER TABLE ... NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY first.")));
}

/*
 * (Re)create the masked view of a table from its catalog entry and policy,
 * or drop it if the table has no protected column left.  grants (as
 * drop_masked_view() returns them) are applied besides those the old view
 * had.
 */
static void
refresh_view(Oid relid, List *grants)
{
	char	   *relname = get_rel_name(relid);
	List	   *cols;
	Oid			viewid;
	Oid			owner;
	Relation	rel;
	TupleDesc	desc;
	Bitmapset  *pkattrs;
	StringInfoData pkargs;
	StringInfoData sql;
	char	   *qview;
	char	   *qrel;
	char	   *customer_col;
	int			attno;
	ListCell   *lc;

	if (relname == NULL)
		return;
	cols = policy_columns(relid);
	viewid = masked_view_of(relid, relname);
	if (OidIsValid(viewid))
		grants = list_concat(drop_masked_view(viewid), grants);
	if (cols == NIL)
		return;
	ci_refuse_row_security(relid);

	owner = get_role_oid(VIEW_OWNER, false);
	if (!OidIsValid(get_namespace_oid(masked_schema, true)))
		run_as(extension_owner(),
			   psprintf("CREATE SCHEMA %s AUTHORIZATION %s",
						quote_identifier(masked_schema), VIEW_OWNER));

	qrel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), relname);
	qview = quote_qualified_identifier(masked_schema, relname);

	rel = table_open(relid, AccessShareLock);
	desc = RelationGetDescr(rel);
	pkattrs = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_PRIMARY_KEY);
	initStringInfo(&pkargs);
	attno = -1;
	while ((attno = bms_next_member(pkattrs, attno)) >= 0)
	{
		AttrNumber	pkatt = attno + FirstLowInvalidHeapAttributeNumber;

		appendStringInfo(&pkargs, ", t.%s",
						 quote_identifier(NameStr(TupleDescAttr(desc, pkatt - 1)->attname)));
	}

	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE VIEW %s WITH (security_barrier) AS SELECT ", qview);
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		const char *name = NameStr(att->attname);
		const char *qname = quote_identifier(name);
		PolicyColumn *pc;

		if (att->attisdropped || is_helper_column(cols, name))
			continue;
		if (sql.data[sql.len - 1] != ' ')
			appendStringInfoString(&sql, ", ");
		pc = policy_column_named(cols, name);
		if (pc == NULL)
		{
			appendStringInfo(&sql, "t.%s", qname);
			continue;
		}
		/*
		 * The levels are InitPlans: evaluated once per query.  In clear, the
		 * value goes through ci.reveal(), which opens an encrypted one and
		 * records the read of a C2 or C3 one (read audit).
		 */
		appendStringInfo(&sql,
						 "CASE WHEN (SELECT ci.level(%u::pg_catalog.oid::pg_catalog.regclass,"
						 " %s::pg_catalog.name, true) OPERATOR(pg_catalog.=) 'clear') THEN ",
						 relid, quote_literal_cstr(name));
		appendStringInfo(&sql,
						 "ci.reveal(%u::pg_catalog.oid::pg_catalog.regclass,"
						 " %s::pg_catalog.name, t.%s%s%s)",
						 relid, quote_literal_cstr(name), qname,
						 pc->encrypted ? "" : "::pg_catalog.text", pkargs.data);
		appendStringInfo(&sql,
						 " WHEN (SELECT ci.level(%u::pg_catalog.oid::pg_catalog.regclass,"
						 " %s::pg_catalog.name, true) OPERATOR(pg_catalog.=) 'masked')"
						 " THEN t.%s END AS %s",
						 relid, quote_literal_cstr(name),
						 quote_identifier(pc->mask_attname), qname);
	}
	/*
	 * The purpose gate, a one-time filter: a role limited to some purposes
	 * that declares another one (or none) is refused at its first read,
	 * whatever columns it selects.
	 */
	appendStringInfo(&sql, " FROM %s t WHERE (SELECT ci.check_purpose())", qrel);

	/*
	 * Only the customers who consent to the session's purpose, if it needs
	 * it.  The column goes to the filter as it is: no cast, which could be
	 * the table owner's function run with the reader's rights.
	 */
	customer_col = ci_customer_attname(relid);
	if (customer_col != NULL)
		appendStringInfo(&sql, " AND ci.consent_filter(t.%s)",
						 quote_identifier(customer_col));
	table_close(rel, AccessShareLock);

	/* the view owner reads the table; nobody else needs to */
	run_as(namespace_owner(get_rel_namespace(relid)),
		   psprintf("GRANT USAGE ON SCHEMA %s TO %s",
					quote_identifier(get_namespace_name(get_rel_namespace(relid))),
					VIEW_OWNER));
	run_as(ci_relation_owner(relid), psprintf("GRANT SELECT ON %s TO %s", qrel, VIEW_OWNER));
	run_as(owner, sql.data);
	foreach(lc, grants)
	{
		List	   *g = lfirst(lc);

		run_as(owner, psprintf("GRANT %s ON %s TO %s%s",
							   (char *) linitial(g), qview, (char *) lsecond(g),
							   (char *) lthird(g)));
	}
}

/*
 * For the policy functions: ci_detach_view() drops a table's masked view
 * before they change the table (a view pins the columns it reads) and
 * returns its grants; ci_attach_view() makes it again from the new policy.
 */
List *
ci_detach_view(Oid relid)
{
	Oid			viewid = masked_view_of(relid, get_rel_name(relid));

	return OidIsValid(viewid) ? drop_masked_view(viewid) : NIL;
}

void
ci_attach_view(Oid relid, List *grants)
{
	CommandCounterIncrement();
	refresh_view(relid, grants);
	CommandCounterIncrement();
}

/*
 * ci.refresh_masked_view(tbl): regenerate a table's masked view (the hook
 * and the policy functions do it by themselves; this is for a view dropped
 * by hand, or after customer_info.masked_schema changed).
 */
Datum
ci_refresh_masked_view(PG_FUNCTION_ARGS)
{
	ci_require_admin("regenerate masked views");
	if (get_rel_relkind(PG_GETARG_OID(0)) != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("relation with OID %u is not a table", PG_GETARG_OID(0))));
	ci_attach_view(PG_GETARG_OID(0), NIL);
	PG_RETURN_VOID();
}

/*
 * ci.level(tbl, col [, for_view]): the level the current role holds on a
 * column: 'clear', 'masked' or 'none'; 'clear' for a column that is not
 * protected.  For views, C3 data is at most 'masked'.
 *
 * A view asks once per query and column; answers are kept per backend
 * (for the role, the declared purpose, until the next invalidation and no
 * longer than temporary access lasts), so that point queries on a view do
 * not read the policy tables every time.
 */
#define LEVEL_SLOTS 64
#define LEVEL_PURPOSE_LEN 64

typedef struct LevelSlot
{
	Oid			relid;			/* InvalidOid: empty */
	NameData	attname;
	bool		for_view;
	Oid			userid;
	Oid			session_userid;
	uint64		generation;
	TimestampTz until;
	char		purpose[LEVEL_PURPOSE_LEN];
	CiAccessLevel level;
} LevelSlot;

static LevelSlot level_slots[LEVEL_SLOTS];
static int	level_next = 0;

static CiAccessLevel
level_of(Oid relid, const char *attname, bool for_view)
{
	Oid			userid = GetUserId();
	const char *purpose = ci_session_purpose();
	uint64		generation;
	List	   *cols;
	PolicyColumn *pc;
	CiAccessLevel level;
	TimestampTz until = DT_NOEND;
	LevelSlot  *slot;

	/* see any revoke or policy change committed meanwhile */
	AcceptInvalidationMessages();
	generation = ci_policy_generation();
	for (int i = 0; i < LEVEL_SLOTS; i++)
	{
		slot = &level_slots[i];
		if (slot->relid == relid && slot->for_view == for_view &&
			slot->userid == userid && slot->session_userid == GetSessionUserId() &&
			slot->generation == generation &&
			GetCurrentStatementStartTimestamp() < slot->until &&
			strcmp(NameStr(slot->attname), attname) == 0 &&
			strcmp(slot->purpose, purpose) == 0)
			return slot->level;
	}

	cols = policy_columns(relid);
	pc = policy_column_named(cols, attname);
	if (pc == NULL)
		level = CI_LEVEL_CLEAR;
	else if (superuser())
		level = CI_LEVEL_CLEAR;
	else
	{
		ci_check_purpose();
		level = ci_access_level(relid, attname, pc->category, &until);
	}
	if (pc != NULL && for_view && level == CI_LEVEL_CLEAR && strcmp(pc->category, "C3") == 0)
		level = CI_LEVEL_MASKED;

	if (strlen(purpose) < LEVEL_PURPOSE_LEN && generation == ci_policy_generation())
	{
		slot = &level_slots[level_next];
		level_next = (level_next + 1) % LEVEL_SLOTS;
		slot->relid = relid;
		namestrcpy(&slot->attname, attname);
		slot->for_view = for_view;
		slot->userid = userid;
		slot->session_userid = GetSessionUserId();
		slot->generation = generation;
		slot->until = until;
		strlcpy(slot->purpose, purpose, LEVEL_PURPOSE_LEN);
		slot->level = level;
	}
	return level;
}

Datum
ci_level(PG_FUNCTION_ARGS)
{
	CiAccessLevel level = level_of(PG_GETARG_OID(0), NameStr(*PG_GETARG_NAME(1)),
								   PG_GETARG_BOOL(2));

	PG_RETURN_TEXT_P(cstring_to_text(level == CI_LEVEL_CLEAR ? "clear" :
									 level == CI_LEVEL_MASKED ? "masked" : "none"));
}

/*
 * ci.check_purpose(): true if the current role (and the session user) may
 * use customer data for the declared purpose, an error otherwise.  Every
 * masked view asks it once per query (an InitPlan in its WHERE clause).
 */
Datum
ci_check_purpose_gate(PG_FUNCTION_ARGS pg_attribute_unused())
{
	/* the last answer, as level_of() keeps its own: point queries ask often */
	static Oid	passed_userid = InvalidOid;
	static Oid	passed_session_userid = InvalidOid;
	static uint64 passed_generation = 0;
	static char passed_purpose[LEVEL_PURPOSE_LEN];
	const char *purpose = ci_session_purpose();
	uint64		generation;

	/* see any change of the allowed purposes committed meanwhile */
	AcceptInvalidationMessages();
	generation = ci_policy_generation();
	if (OidIsValid(passed_userid) && passed_userid == GetUserId() &&
		passed_session_userid == GetSessionUserId() &&
		passed_generation == generation &&
		strcmp(passed_purpose, purpose) == 0)
		PG_RETURN_BOOL(true);
	passed_userid = InvalidOid;
	ci_check_purpose();
	if (strlen(purpose) < LEVEL_PURPOSE_LEN && generation == ci_policy_generation())
	{
		passed_session_userid = GetSessionUserId();
		passed_generation = generation;
		strlcpy(passed_purpose, purpose, LEVEL_PURPOSE_LEN);
		passed_userid = GetUserId();
	}
	PG_RETURN_BOOL(true);
}

/*
 * The hook.  Before the statement: the masked views a statement would
 * break or rename are dropped (their grants kept), and the policy of
 * tables being dropped removed.  After it: the policy follows renamed and
 * dropped columns, and the views are created again.
 */
typedef struct PendingView
{
	Oid			relid;
	List	   *grants;
} PendingView;

static bool
has_policy(Oid relid)
{
	return OidIsValid(relid) && policy_columns(relid) != NIL;
}

/* Policy-table SQL with parameters $1 (the table), $2 and $3 (names). */
static void
policy_sql(const char *sql, int nargs, Oid relid, const char *a, const char *b)
{
	CiUserSwitch sw;
	Oid			argtypes[3] = {OIDOID, NAMEOID, NAMEOID};
	Datum		values[3];

	values[0] = ObjectIdGetDatum(relid);
	values[1] = a ? CStringGetDatum(a) : (Datum) 0;
	values[2] = b ? CStringGetDatum(b) : (Datum) 0;
	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(sql, nargs, argtypes, values, NULL, false, 0) < 0)
		elog(ERROR, "could not update the customer_info policy");
	SPI_finish();
	ci_restore_user(&sw);
}

/* The protected tables of a schema. */
static List *
protected_tables_in(Oid nsp)
{
	CiUserSwitch sw;
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(nsp)};
	List	   *result = NIL;
	MemoryContext caller = CurrentMemoryContext;

	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT DISTINCT p.relid::pg_catalog.oid"
							  " FROM (SELECT relid FROM ci.protected_column"
							  "       UNION SELECT relid FROM ci.customer_table"
							  "       UNION SELECT relid FROM ci.review_table"
							  "       UNION SELECT relid FROM ci.audit_table) p"
							  " JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.relid"
							  " WHERE c.relnamespace OPERATOR(pg_catalog.=) $1",
							  1, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read ci.protected_column");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		MemoryContext old = MemoryContextSwitchTo(caller);

		result = lappend_oid(result,
							 DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
															SPI_tuptable->tupdesc, 1, &isnull)));
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	ci_restore_user(&sw);
	return result;
}

/*
 * The hook acts only for a table the current user owns (anyone else's
 * statement fails in the server's own permission check, untouched).
 */
static bool
ours_to_handle(Oid relid)
{
	return OidIsValid(relid) && get_rel_relkind(relid) == RELKIND_RELATION &&
		pg_class_ownercheck(relid, GetUserId()) && has_policy(relid);
}

/* Forget a table's policy and drop its masked view (it is being dropped). */
static void
forget_table(Oid relid)
{
	Oid			viewid = find_masked_view(relid, get_rel_name(relid), false);

	if (OidIsValid(viewid))
		(void) drop_masked_view(viewid);
	policy_sql("DELETE FROM ci.protected_column"
			   " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
			   1, relid, NULL, NULL);
	policy_sql("DELETE FROM ci.access_level"
			   " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
			   1, relid, NULL, NULL);
	/* temporary access to its columns, whatever its state: the OID may return */
	policy_sql("DELETE FROM ci.access_request"
			   " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
			   1, relid, NULL, NULL);
	policy_sql("DELETE FROM ci.customer_table"
			   " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
			   1, relid, NULL, NULL);
	/* review scheduling: the schedule goes, the tasks are closed */
	policy_sql("DELETE FROM ci.review_table"
			   " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
			   1, relid, NULL, NULL);
	policy_sql("DELETE FROM ci.review_schedule"
			   " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
			   1, relid, NULL, NULL);
	policy_sql("DELETE FROM ci.watch_rule"
			   " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
			   1, relid, NULL, NULL);
	policy_sql("DELETE FROM ci.audit_table"
			   " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
			   1, relid, NULL, NULL);
	policy_sql("UPDATE ci.review_task SET status = 'closed', completed_at = pg_catalog.now(),"
			   " notes = 'table dropped'"
			   " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
			   " AND status OPERATOR(pg_catalog.=) 'open'",
			   1, relid, NULL, NULL);
}

/* Is the table in one of the extension's lists (customer, review, audit)? */
static bool
listed_table(Oid relid)
{
	CiUserSwitch sw;
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};
	bool		found;

	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT FROM ci.review_table"
							  " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
							  " UNION ALL SELECT FROM ci.customer_table"
							  " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
							  " UNION ALL SELECT FROM ci.audit_table"
							  " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
							  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the extension's tables");
	found = SPI_processed > 0;
	SPI_finish();
	ci_restore_user(&sw);
	return found;
}

/*
 * An ALTER TABLE must not change a protected table's primary key: every
 * envelope is bound to its row's key, and would no longer open.
 */
static void
check_primary_key_kept(Oid relid, AlterTableCmd *cmd)
{
	Relation	rel = table_open(relid, AccessShareLock);
	Bitmapset  *pkattrs = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_PRIMARY_KEY);
	Oid			pkindex = RelationGetPrimaryKeyIndex(rel);
	bool		touches = false;

	if (cmd->name != NULL &&
		(cmd->subtype == AT_AlterColumnType || cmd->subtype == AT_DropColumn))
	{
		AttrNumber	attnum = get_attnum(relid, cmd->name);

		touches = attnum != InvalidAttrNumber &&
			bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber, pkattrs);
	}
	if (cmd->name != NULL && cmd->subtype == AT_DropConstraint && OidIsValid(pkindex))
	{
		char	   *pkname = get_rel_name(pkindex);

		touches = pkname != NULL && strcmp(pkname, cmd->name) == 0;
	}
	table_close(rel, AccessShareLock);
	if (touches)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot change the primary key of protected table \"%s\"",
						get_rel_name(relid)),
				 errdetail("Encrypted values are bound to their row's primary key."),
				 errhint("Remove the protection with ci.unprotect() first, and protect again after.")));
}

/*
 * A protected table takes no part in inheritance or partitioning: a
 * child's rows would bypass its trigger, and DDL on a parent would reach
 * it unseen by this hook.
 */
static void
refuse_inheritance(Oid relid)
{
	if (OidIsValid(relid) && has_policy(relid))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("protected table \"%s\" cannot take part in inheritance or partitioning",
						get_rel_name(relid)),
				 errdetail("Rows of a child table would bypass its protection, and DDL on a parent would change it unseen."),
				 errhint("Remove its protection with ci.unprotect() first.")));
}

static void
check_inheritance(Node *parsetree)
{
	ListCell   *lc;

	if (IsA(parsetree, CreateStmt))
	{
		foreach(lc, ((CreateStmt *) parsetree)->inhRelations)
			refuse_inheritance(RangeVarGetRelid(lfirst_node(RangeVar, lc), NoLock, true));
		return;
	}
	foreach(lc, ((AlterTableStmt *) parsetree)->cmds)
	{
		AlterTableCmd *cmd = lfirst(lc);

		if (cmd->subtype == AT_AddInherit)
		{
			refuse_inheritance(RangeVarGetRelid(((AlterTableStmt *) parsetree)->relation,
												NoLock, true));
			refuse_inheritance(RangeVarGetRelid((RangeVar *) cmd->def, NoLock, true));
		}
		else if (cmd->subtype == AT_AttachPartition)
			refuse_inheritance(RangeVarGetRelid(((PartitionCmd *) cmd->def)->name,
												NoLock, true));
	}
}

/*
 * The audited table whose audit triggers the statement disables (ALTER
 * TABLE ... DISABLE TRIGGER) or drops (DROP TRIGGER customer_info_audit*),
 * or InvalidOid.
 */
static Oid
audit_triggers_switched_off(Node *parsetree)
{
	if (IsA(parsetree, AlterTableStmt))
	{
		AlterTableStmt *stmt = (AlterTableStmt *) parsetree;
		ListCell   *lc;

		foreach(lc, stmt->cmds)
		{
			AlterTableCmd *cmd = lfirst(lc);

			if (cmd->subtype == AT_DisableTrig || cmd->subtype == AT_DisableTrigAll ||
				cmd->subtype == AT_DisableTrigUser)
			{
				Oid			relid = RangeVarGetRelid(stmt->relation, NoLock, true);

				if (OidIsValid(relid) && ci_audited(relid) &&
					(cmd->subtype != AT_DisableTrig ||
					 strncmp(cmd->name, "customer_info_audit", 19) == 0))
					return relid;
			}
		}
	}
	else if (IsA(parsetree, DropStmt) &&
			 ((DropStmt *) parsetree)->removeType == OBJECT_TRIGGER)
	{
		ListCell   *lc;

		foreach(lc, ((DropStmt *) parsetree)->objects)
		{
			List	   *names = lfirst(lc);
			char	   *trigger = strVal(llast(names));
			RangeVar   *rv = makeRangeVarFromNameList(list_truncate(list_copy(names),
																	 list_length(names) - 1));
			Oid			relid = RangeVarGetRelid(rv, NoLock, true);

			if (strncmp(trigger, "customer_info_audit", 19) == 0 && OidIsValid(relid) &&
				ci_audited(relid))
				return relid;
		}
	}
	return InvalidOid;
}

/*
 * Owner code the extension's readers would run: the statements that put it
 * on a table customer_info manages (protected, or in one of its lists) are
 * refused, for anyone.
 *
 * - Row-level security (CREATE/ALTER POLICY, ALTER TABLE ... ENABLE or
 *   FORCE ROW LEVEL SECURITY): readers of the masked view would run the
 *   policies' functions with their own rights.
 * - Rules (CREATE RULE): on PostgreSQL 15 a rule can still turn an empty
 *   table into a view, whose functions would run as whoever reads it.
 * - Retyping the customer column: its type must stay one whose casts and
 *   operators are the server's (ci.customer_column()).
 */
static bool
managed_table(Oid relid)
{
	return OidIsValid(relid) && (has_policy(relid) || listed_table(relid));
}

static void
refuse_owner_code(Oid relid, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot %s table \"%s\"", what, get_rel_name(relid)),
			 errdetail("customer_info manages the table: readers of its masked view, exports and reports would run the code with their own rights."),
			 errhint("Masked views replace row-level security and rules for these tables: grant the masked view, not the table.")));
}

static void
check_owner_code(Node *parsetree)
{
	if (IsA(parsetree, CreatePolicyStmt))
	{
		Oid			relid = RangeVarGetRelid(((CreatePolicyStmt *) parsetree)->table, NoLock, true);

		if (managed_table(relid))
			refuse_owner_code(relid, "create a row-level security policy on");
	}
	else if (IsA(parsetree, AlterPolicyStmt))
	{
		Oid			relid = RangeVarGetRelid(((AlterPolicyStmt *) parsetree)->table, NoLock, true);

		if (managed_table(relid))
			refuse_owner_code(relid, "alter a row-level security policy of");
	}
	else if (IsA(parsetree, RuleStmt))
	{
		Oid			relid = RangeVarGetRelid(((RuleStmt *) parsetree)->relation, NoLock, true);

		if (managed_table(relid))
			refuse_owner_code(relid, "create a rule on");
	}
	else if (IsA(parsetree, AlterTableStmt))
	{
		AlterTableStmt *stmt = (AlterTableStmt *) parsetree;
		Oid			relid = InvalidOid;
		bool		looked = false;
		char	   *customer_col = NULL;
		ListCell   *lc;

		foreach(lc, stmt->cmds)
		{
			AlterTableCmd *cmd = lfirst(lc);

			if (cmd->subtype != AT_EnableRowSecurity && cmd->subtype != AT_ForceRowSecurity &&
				cmd->subtype != AT_AlterColumnType)
				continue;
			if (!looked)
			{
				relid = RangeVarGetRelid(stmt->relation, NoLock, true);
				if (OidIsValid(relid) && get_rel_relkind(relid) == RELKIND_RELATION)
					customer_col = ci_customer_attname(relid);
				else
					relid = InvalidOid;
				looked = true;
			}
			if (!OidIsValid(relid))
				break;
			if (cmd->subtype == AT_AlterColumnType)
			{
				if (customer_col != NULL && cmd->name != NULL &&
					strcmp(cmd->name, customer_col) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("cannot change the type of column \"%s\" of table \"%s\"",
									cmd->name, get_rel_name(relid)),
							 errdetail("It holds the table's customer key: its type must stay one whose casts and operators are the server's or customer_info's."),
							 errhint("Forget the customer column with ci.customer_column(table, NULL) first.")));
			}
			else if (managed_table(relid))
				refuse_owner_code(relid, cmd->subtype == AT_EnableRowSecurity ?
								  "enable row-level security on" :
								  "force row-level security on");
		}
	}
}

/* The OIDs of the roles of DROP ROLE or DROP OWNED that exist. */
static List *
role_oids(List *rolespecs)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, rolespecs)
	{
		Oid			role = get_rolespec_oid(lfirst(lc), true);

		if (OidIsValid(role))
			result = lappend_oid(result, role);
	}
	return result;
}

static void
ci_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
		   ProcessUtilityContext context, ParamListInfo params,
		   QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	List	   *pending = NIL;
	List	   *dropped_columns = NIL;	/* of pending->relid's table */
	char	   *renamed_from = NULL;
	char	   *renamed_to = NULL;
	Oid			renamed_rel = InvalidOid;
	List	   *owned_by = NIL;
	Oid			audit_off = InvalidOid;
	bool		active;

	active = !(ci_internal_sql != NULL && queryString != NULL &&
			   strcmp(queryString, ci_internal_sql) == 0) &&
		IsTransactionState() && !RecoveryInProgress() &&
		!creating_extension && OidIsValid(get_extension_oid("customer_info", true)) &&
		(IsA(parsetree, AlterTableStmt) || IsA(parsetree, RenameStmt) ||
		 IsA(parsetree, DropStmt) || IsA(parsetree, CreateStmt) ||
		 IsA(parsetree, DropRoleStmt) || IsA(parsetree, DropOwnedStmt) ||
		 IsA(parsetree, CreatePolicyStmt) || IsA(parsetree, AlterPolicyStmt) ||
		 IsA(parsetree, RuleStmt));

	if (active)
		check_owner_code(parsetree);

	/* switching an audited table's triggers off is itself recorded */
	if (active)
		audit_off = audit_triggers_switched_off(parsetree);

	if (active && (IsA(parsetree, CreateStmt) || IsA(parsetree, AlterTableStmt)))
		check_inheritance(parsetree);
	if (active && IsA(parsetree, DropRoleStmt))
	{
		ListCell   *lc;

		List	   *roles = role_oids(((DropRoleStmt *) parsetree)->roles);

		foreach(lc, roles)
			ci_check_role_droppable(lfirst_oid(lc));
		/* what is left names the role only in past requests: they go with it */
		foreach(lc, roles)
			ci_forget_dropped_role(lfirst_oid(lc));
	}
	else if (active && IsA(parsetree, DropOwnedStmt))
		owned_by = role_oids(((DropOwnedStmt *) parsetree)->roles);
	else if (active && IsA(parsetree, AlterTableStmt))
	{
		AlterTableStmt *stmt = (AlterTableStmt *) parsetree;
		Oid			relid = RangeVarGetRelid(stmt->relation, NoLock, true);

		if (stmt->objtype == OBJECT_TABLE && ours_to_handle(relid))
		{
			PendingView *pv = palloc0(sizeof(PendingView));
			Oid			viewid = masked_view_of(relid, get_rel_name(relid));
			ListCell   *lc;
			List	   *cols = policy_columns(relid);

			pv->relid = relid;
			if (OidIsValid(viewid))
				pv->grants = drop_masked_view(viewid);
			pending = lappend(pending, pv);
			foreach(lc, stmt->cmds)
			{
				AlterTableCmd *cmd = lfirst(lc);

				check_primary_key_kept(relid, cmd);
				if (cmd->subtype == AT_DropColumn && cmd->name &&
					policy_column_named(cols, cmd->name))
					dropped_columns = lappend(dropped_columns, policy_column_named(cols, cmd->name));
				if (cmd->subtype == AT_AlterColumnType && cmd->name &&
					(policy_column_named(cols, cmd->name) || is_helper_column(cols, cmd->name)))
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("cannot change the type of column \"%s\" of table \"%s\"",
									cmd->name, get_rel_name(relid)),
							 errdetail("It is a protected column or one customer_info keeps for one."),
							 errhint("Remove its protection with ci.unprotect() first.")));
			}
		}
	}
	else if (active && IsA(parsetree, RenameStmt))
	{
		RenameStmt *stmt = (RenameStmt *) parsetree;

		if ((stmt->renameType == OBJECT_TABLE ||
			 (stmt->renameType == OBJECT_COLUMN && stmt->relationType == OBJECT_TABLE)) &&
			stmt->relation != NULL)
		{
			Oid			relid = RangeVarGetRelid(stmt->relation, NoLock, true);

			if (ours_to_handle(relid))
			{
				PendingView *pv = palloc0(sizeof(PendingView));
				Oid			viewid = masked_view_of(relid, get_rel_name(relid));

				pv->relid = relid;
				if (OidIsValid(viewid))
					pv->grants = drop_masked_view(viewid);
				pending = lappend(pending, pv);
				if (stmt->renameType == OBJECT_COLUMN)
				{
					renamed_rel = relid;
					renamed_from = pstrdup(stmt->subname);
					renamed_to = pstrdup(stmt->newname);
				}
			}
		}
	}
	else if (active && IsA(parsetree, DropStmt) &&
			 ((DropStmt *) parsetree)->removeType == OBJECT_TABLE)
	{
		ListCell   *lc;

		foreach(lc, ((DropStmt *) parsetree)->objects)
		{
			RangeVar   *rv = makeRangeVarFromNameList((List *) lfirst(lc));
			Oid			relid = RangeVarGetRelid(rv, NoLock, true);

			/* its view goes first, even if the policy went before */
			if (OidIsValid(relid) && get_rel_relkind(relid) == RELKIND_RELATION &&
				pg_class_ownercheck(relid, GetUserId()) &&
				(has_policy(relid) || listed_table(relid) ||
				 OidIsValid(find_masked_view(relid, get_rel_name(relid), false))))
				forget_table(relid);
		}
		CommandCounterIncrement();
	}
	else if (active && IsA(parsetree, DropStmt) &&
			 ((DropStmt *) parsetree)->removeType == OBJECT_SCHEMA)
	{
		ListCell   *lc;

		/* the protected tables of a schema dropped with them */
		foreach(lc, ((DropStmt *) parsetree)->objects)
		{
			Oid			nsp = get_namespace_oid(strVal(lfirst(lc)), true);
			ListCell   *tc;

			if (!OidIsValid(nsp) || !pg_namespace_ownercheck(nsp, GetUserId()))
				continue;
			foreach(tc, protected_tables_in(nsp))
				forget_table(lfirst_oid(tc));
		}
		CommandCounterIncrement();
	}

	if (prev_utility_hook)
		prev_utility_hook(pstmt, queryString, readOnlyTree, context, params,
						  queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);

	if (OidIsValid(audit_off))
		ci_audit_triggers_off(audit_off);
	/* DROP OWNED BY (now known to be allowed) takes levels away too */
	if (owned_by != NIL)
	{
		ListCell   *lc;

		foreach(lc, owned_by)
			ci_forget_role(lfirst_oid(lc));
	}
	if (pending == NIL)
		return;
	CommandCounterIncrement();
	if (OidIsValid(renamed_rel))
	{
		/* the policy follows a protected column or a helper renamed */
		policy_sql("UPDATE ci.protected_column SET attname = $3"
				   " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
				   " AND attname OPERATOR(pg_catalog.=) $2",
				   3, renamed_rel, renamed_from, renamed_to);
		policy_sql("UPDATE ci.protected_column SET mask_attname = $3"
				   " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
				   " AND mask_attname OPERATOR(pg_catalog.=) $2",
				   3, renamed_rel, renamed_from, renamed_to);
		policy_sql("UPDATE ci.protected_column SET index_attname = $3"
				   " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
				   " AND index_attname OPERATOR(pg_catalog.=) $2",
				   3, renamed_rel, renamed_from, renamed_to);
		policy_sql("UPDATE ci.access_level SET attname = $3"
				   " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
				   " AND attname OPERATOR(pg_catalog.=) $2",
				   3, renamed_rel, renamed_from, renamed_to);
		policy_sql("UPDATE ci.access_request SET attname = $3"
				   " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
				   " AND attname OPERATOR(pg_catalog.=) $2",
				   3, renamed_rel, renamed_from, renamed_to);
		policy_sql("UPDATE ci.customer_table SET attname = $3"
				   " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
				   " AND attname OPERATOR(pg_catalog.=) $2",
				   3, renamed_rel, renamed_from, renamed_to);
	}
	if (dropped_columns != NIL)
	{
		PendingView *pv = linitial(pending);
		char	   *qrel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(pv->relid)),
													  get_rel_name(pv->relid));
		ListCell   *lc;

		/* a dropped protected column takes its policy and helpers along */
		foreach(lc, dropped_columns)
		{
			PolicyColumn *pc = lfirst(lc);

			policy_sql("DELETE FROM ci.protected_column"
					   " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
					   " AND attname OPERATOR(pg_catalog.=) $2",
					   2, pv->relid, pc->attname, NULL);
			policy_sql("DELETE FROM ci.access_level"
					   " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
					   " AND attname OPERATOR(pg_catalog.=) $2",
					   2, pv->relid, pc->attname, NULL);
			policy_sql("DELETE FROM ci.access_request"
					   " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
					   " AND attname OPERATOR(pg_catalog.=) $2",
					   2, pv->relid, pc->attname, NULL);
			CommandCounterIncrement();
			run_as(ci_relation_owner(pv->relid),
				   psprintf("ALTER TABLE %s DROP COLUMN IF EXISTS %s", qrel,
							quote_identifier(pc->mask_attname)));
			if (pc->index_attname)
				run_as(ci_relation_owner(pv->relid),
					   psprintf("ALTER TABLE %s DROP COLUMN IF EXISTS %s", qrel,
								quote_identifier(pc->index_attname)));
		}
		if (!has_policy(pv->relid))
			run_as(ci_relation_owner(pv->relid),
				   psprintf("DROP TRIGGER IF EXISTS zzz_customer_info_protect ON %s", qrel));
		CacheInvalidateRelcacheByRelid(pv->relid);
	}
	CommandCounterIncrement();
	{
		ListCell   *lc;

		foreach(lc, pending)
		{
			PendingView *pv = lfirst(lc);

			/* a dropped customer column is no longer the customer's */
			policy_sql("DELETE FROM ci.customer_table"
					   " WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
					   " AND NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a"
					   "  WHERE a.attrelid OPERATOR(pg_catalog.=) $1"
					   "  AND a.attname OPERATOR(pg_catalog.=) customer_table.attname"
					   "  AND NOT a.attisdropped)",
					   1, pv->relid, NULL, NULL);
			CommandCounterIncrement();
			refresh_view(pv->relid, pv->grants);
		}
	}
}
