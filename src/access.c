/*-------------------------------------------------------------------------
 *
 * access.c
 *	  Access levels of roles to protected columns: clear, masked, none.
 *
 * ci.grant_level() gives a role a level for a JR/T 0171-2020 category
 * (C1, C2, C3) or for one protected column; a column grant wins over a
 * category grant.  A role holds the highest level among the roles whose
 * privileges it has (so NOINHERIT is honoured); with no grant it is
 * 'masked'.  The levels live in ci.access_level; reading and writing it
 * needs no privilege on it, only membership in customer_info_admin for
 * changes.  C3 data is never granted "clear" for good: it is revealed only
 * through temporary access.
 *
 * Temporary access: a role asks (ci.request_access) for a level on a
 * category or column, for a purpose, a time window and a reason; a member
 * of customer_info_approver who is not the requester (and cannot act as
 * it) approves or rejects; an approved request counts, while its window
 * is open and the session declares its purpose, from the approver's
 * commit; it can be revoked early.  Everything stays in
 * ci.access_request.  Temporary means temporary: a window has a finite
 * end, starts no earlier than the request, and lasts at most what the
 * superuser settings customer_info.max_access_window_c1/c2/c3 allow for
 * its category (checked at request, and again at approval for the part
 * still to come, in case a setting was lowered meanwhile).
 *
 * Purposes: customer_info.purpose declares the session's purpose of use.
 * A role for which ci.role_purpose lists purposes must declare one of
 * them to read protected data (checked when data is read).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/guc.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "access.h"
#include "keys.h"

PG_FUNCTION_INFO_V1(ci_grant_level);
PG_FUNCTION_INFO_V1(ci_revoke_level);
PG_FUNCTION_INFO_V1(ci_request_access);
PG_FUNCTION_INFO_V1(ci_approve_access);
PG_FUNCTION_INFO_V1(ci_revoke_access);
PG_FUNCTION_INFO_V1(ci_allow_purpose);
PG_FUNCTION_INFO_V1(ci_disallow_purpose);

static char *session_purpose = NULL;

/* The longest window of temporary access, per category (C1, C2, C3). */
static char *max_window_setting[3];
static Interval max_window[3];

/*
 * An interval setting: true if s is an interval none of whose parts is
 * negative (check hooks must not raise errors, hence no interval_in).
 */
bool
ci_parse_interval_setting(const char *s, Interval *result)
{
	char		workbuf[MAXDATELEN + MAXDATEFIELDS];
	char		isobuf[MAXDATELEN + 1];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf;
	int			dtype;
	struct pg_itm_in itm_in;

	if (s == NULL || strlen(s) > MAXDATELEN)
		return false;
	if (ParseDateTime(s, workbuf, sizeof(workbuf), field, ftype,
					  MAXDATEFIELDS, &nf) != 0 ||
		DecodeInterval(field, ftype, nf, INTERVAL_FULL_RANGE, &dtype, &itm_in) != 0)
	{
		strlcpy(isobuf, s, sizeof(isobuf));
		if (DecodeISO8601Interval(isobuf, &dtype, &itm_in) != 0)
			return false;
	}
	if (dtype != DTK_DELTA || itmin2interval(&itm_in, result) != 0)
		return false;
	return result->month >= 0 && result->day >= 0 && result->time >= 0;
}

/*
 * The check hook of an interval setting: parsed once, kept as the
 * setting's extra (malloc'd, as the GUC machinery frees it); "detail" says
 * what the setting expects.
 */
bool
ci_check_interval_setting(char **newval, void **extra, const char *detail)
{
	Interval	parsed;
	Interval   *copy;

	if (!ci_parse_interval_setting(*newval, &parsed))
	{
		GUC_check_errdetail("%s", detail);
		return false;
	}
	copy = (Interval *) malloc(sizeof(Interval));
	if (copy == NULL)
		return false;
	*copy = parsed;
	*extra = copy;
	return true;
}

static bool
check_max_window(char **newval, void **extra, GucSource source pg_attribute_unused())
{
	return ci_check_interval_setting(newval, extra,
									 "The longest window of temporary access is an interval that is not negative, such as '30 days'.");
}

static void
assign_max_window_c1(const char *newval pg_attribute_unused(), void *extra)
{
	max_window[0] = *(Interval *) extra;
}

static void
assign_max_window_c2(const char *newval pg_attribute_unused(), void *extra)
{
	max_window[1] = *(Interval *) extra;
}

static void
assign_max_window_c3(const char *newval pg_attribute_unused(), void *extra)
{
	max_window[2] = *(Interval *) extra;
}

void
ci_access_init(void)
{
	DefineCustomStringVariable("customer_info.purpose",
							   "The session's purpose of use of customer data.",
							   "A role with allowed purposes (ci.allow_purpose) must declare one of them to read protected data.",
							   &session_purpose, "", PGC_USERSET, 0,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("customer_info.max_access_window_c1",
							   "The longest window of temporary access to C1 data.",
							   "Requests for a longer window are refused, at request and at approval.",
							   &max_window_setting[0], "90 days", PGC_SUSET,
							   GUC_SUPERUSER_ONLY,
							   check_max_window, assign_max_window_c1, NULL);
	DefineCustomStringVariable("customer_info.max_access_window_c2",
							   "The longest window of temporary access to C2 data.",
							   "Requests for a longer window are refused, at request and at approval.",
							   &max_window_setting[1], "90 days", PGC_SUSET,
							   GUC_SUPERUSER_ONLY,
							   check_max_window, assign_max_window_c2, NULL);
	DefineCustomStringVariable("customer_info.max_access_window_c3",
							   "The longest window of temporary access to C3 data.",
							   "Requests for a longer window are refused, at request and at approval.",
							   &max_window_setting[2], "30 days", PGC_SUSET,
							   GUC_SUPERUSER_ONLY,
							   check_max_window, assign_max_window_c3, NULL);
}

const char *
ci_session_purpose(void)
{
	return session_purpose ? session_purpose : "";
}

/* Run SQL on the extension's tables as their owner; SPI stays connected. */
static void
owner_spi_begin(CiUserSwitch *sw)
{
	ci_become_owner(sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

static void
owner_spi_end(CiUserSwitch *sw)
{
	SPI_finish();
	ci_restore_user(sw);
}

/*
 * The session's purpose must be one the role may declare, if any purposes
 * are listed for it (or for roles whose privileges it has).  The role is
 * the current user and, unless a superuser, the session user: SET ROLE
 * does not shed the restrictions of the person who logged in.
 */
static void
check_purpose_of(Oid user, const char *purpose)
{
	CiUserSwitch sw;
	bool		restricted = false;
	bool		allowed = false;
	StringInfoData list;

	initStringInfo(&list);
	owner_spi_begin(&sw);
	if (SPI_execute("SELECT role::pg_catalog.oid, purpose FROM ci.role_purpose ORDER BY purpose",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read ci.role_purpose");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Oid			role = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
														  SPI_tuptable->tupdesc, 1, &isnull));
		char	   *p = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);

		if (!has_privs_of_role(user, role))
			continue;
		restricted = true;
		if (strcmp(p, purpose) == 0)
			allowed = true;
		appendStringInfo(&list, "%s%s", list.len > 0 ? ", " : "", p);
	}
	owner_spi_end(&sw);
	if (restricted && !allowed)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 purpose[0] == '\0' ?
				 errmsg("role \"%s\" must declare its purpose of use to read protected data",
						GetUserNameFromId(user, false)) :
				 errmsg("role \"%s\" may not use customer data for purpose \"%s\"",
						GetUserNameFromId(user, false), purpose),
				 errhint("SET customer_info.purpose to one of: %s.", list.data)));
}

void
ci_check_purpose(void)
{
	const char *purpose = ci_session_purpose();

	if (superuser())
		return;
	check_purpose_of(GetUserId(), purpose);
	if (GetSessionUserId() != GetUserId() && !superuser_arg(GetSessionUserId()))
		check_purpose_of(GetSessionUserId(), purpose);
}

static CiAccessLevel
level_from_name(const char *name)
{
	if (strcmp(name, "clear") == 0)
		return CI_LEVEL_CLEAR;
	if (strcmp(name, "masked") == 0)
		return CI_LEVEL_MASKED;
	if (strcmp(name, "none") == 0)
		return CI_LEVEL_NONE;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown access level \"%s\"", name),
			 errhint("The levels are clear, masked and none.")));
	return CI_LEVEL_NONE;		/* keep compiler quiet */
}

CiAccessLevel
ci_access_level(Oid relid, const char *attname, const char *category,
				TimestampTz *until)
{
	CiUserSwitch sw;
	Oid			user = GetUserId();
	Oid			argtypes[4] = {OIDOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[4];
	int			column_level = -1;
	int			category_level = -1;
	int			temporary_level = -1;
	int			standing;

	*until = DT_NOEND;
	owner_spi_begin(&sw);
	values[0] = ObjectIdGetDatum(relid);
	values[1] = CStringGetTextDatum(attname);
	values[2] = CStringGetTextDatum(category);
	values[3] = CStringGetTextDatum(ci_session_purpose());
	if (SPI_execute_with_args("SELECT role::pg_catalog.oid, level, relid IS NOT NULL,"
							  " granted_by::pg_catalog.oid"
							  " FROM ci.access_level"
							  " WHERE (relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
							  "        AND attname OPERATOR(pg_catalog.=) $2::pg_catalog.name)"
							  "    OR (relid IS NULL AND category OPERATOR(pg_catalog.=) $3)",
							  3, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read ci.access_level");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Oid			role = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		int			level = level_from_name(TextDatumGetCString(SPI_getbinval(tup, desc, 2, &isnull)));
		bool		for_column = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull));
		Oid			grantor = DatumGetObjectId(SPI_getbinval(tup, desc, 4, &isnull));

		if (!has_privs_of_role(user, role))
			continue;
		/*
		 * A grant counts only for others than its grantor: whoever gave a
		 * level and then joined the role (or acts as the grantor) gets
		 * nothing from it.
		 */
		if (is_member_of_role_nosuper(user, grantor) ||
			(!superuser_arg(GetSessionUserId()) &&
			 is_member_of_role_nosuper(GetSessionUserId(), grantor)))
			continue;
		if (for_column)
			column_level = Max(column_level, level);
		else
			category_level = Max(category_level, level);
	}

	/*
	 * Approved temporary access open now, for the purpose the session
	 * declared; the level holds until the first of them ends.
	 */
	if (SPI_execute_with_args("SELECT role::pg_catalog.oid, level, valid_until,"
							  " decided_by::pg_catalog.oid, valid_from,"
							  " valid_from OPERATOR(pg_catalog.>) pg_catalog.statement_timestamp()"
							  " FROM ci.access_request"
							  " WHERE status OPERATOR(pg_catalog.=) 'approved'"
							  "   AND purpose OPERATOR(pg_catalog.=) $4"
							  "   AND valid_until OPERATOR(pg_catalog.>) pg_catalog.statement_timestamp()"
							  "   AND ((relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
							  "         AND attname OPERATOR(pg_catalog.=) $2::pg_catalog.name)"
							  "        OR (relid IS NULL AND category OPERATOR(pg_catalog.=) $3))",
							  4, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read ci.access_request");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Oid			role = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		int			tlevel = level_from_name(TextDatumGetCString(SPI_getbinval(tup, desc, 2, &isnull)));
		TimestampTz end = DatumGetTimestampTz(SPI_getbinval(tup, desc, 3, &isnull));
		Oid			approver = DatumGetObjectId(SPI_getbinval(tup, desc, 4, &isnull));
		TimestampTz start = DatumGetTimestampTz(SPI_getbinval(tup, desc, 5, &isnull));
		bool		upcoming = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));

		if (!has_privs_of_role(user, role))
			continue;
		/* not open yet: whoever remembers the answer must ask again then */
		if (upcoming)
		{
			if (start < *until)
				*until = start;
			continue;
		}
		/* nor does an approval count for its approver */
		if (is_member_of_role_nosuper(user, approver) ||
			(!superuser_arg(GetSessionUserId()) &&
			 is_member_of_role_nosuper(GetSessionUserId(), approver)))
			continue;
		temporary_level = Max(temporary_level, tlevel);
		if (end < *until)
			*until = end;
	}
	owner_spi_end(&sw);

	standing = column_level >= 0 ? column_level :
		category_level >= 0 ? category_level : CI_LEVEL_MASKED;
	return (CiAccessLevel) Max(standing, temporary_level);
}

static void
c3_clear_refused(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("C3 data cannot be granted the level \"clear\""),
			 errdetail("JR/T 0171-2020 C3 data is never shown in clear in views, and is revealed only through temporary access that an approver granted."),
			 errhint("Request it with ci.request_access(); a member of customer_info_approver approves it with ci.approve_access().")));
}

/*
 * ci.grant_level(role, level, category [, tbl, col]) and
 * ci.revoke_level(role, category [, tbl, col]): with tbl and col the grant
 * is for that column, otherwise for the category.
 */
static void
change_level(FunctionCallInfo fcinfo, bool grant)
{
	Oid			role = PG_ARGISNULL(0) ? InvalidOid : PG_GETARG_OID(0);
	int			argoff = grant ? 1 : 0;
	char	   *level = (grant && !PG_ARGISNULL(1)) ? text_to_cstring(PG_GETARG_TEXT_PP(1)) : NULL;
	char	   *category = PG_ARGISNULL(1 + argoff) ? NULL :
		text_to_cstring(PG_GETARG_TEXT_PP(1 + argoff));
	bool		for_column = !PG_ARGISNULL(2 + argoff);
	CiUserSwitch sw;
	Oid			argtypes[6] = {OIDOID, TEXTOID, TEXTOID, OIDOID, TEXTOID, OIDOID};
	Datum		values[6];
	char		nulls[6] = "      ";

	ci_require_admin(grant ? "grant access levels" : "revoke access levels");
	if (PG_ARGISNULL(0) || (grant && PG_ARGISNULL(1)))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("role and level must not be null")));
	if (grant)
		level_from_name(level);

	/*
	 * Separation of duties: whoever declares policy does not give the
	 * level "clear" to a role whose privileges they hold (themselves
	 * included), nor to the policy role.
	 */
	if (!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(role)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role with OID %u does not exist", role)));
	if (grant && strcmp(level, "clear") == 0 && !superuser() &&
		(is_member_of_role_nosuper(GetUserId(), role) ||
		 (!superuser_arg(GetSessionUserId()) &&
		  is_member_of_role_nosuper(GetSessionUserId(), role)) ||
		 role == get_role_oid("customer_info_admin", true)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to grant the level \"clear\" to role \"%s\"",
						GetUserNameFromId(role, false)),
				 errdetail("A member of customer_info_admin cannot give \"clear\" to a role it is, or may become, a member of.")));
	if (for_column && PG_ARGISNULL(3 + argoff))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a column grant needs both the table and the column")));
	if (!for_column && category == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a grant is for a category or for a column")));
	if (category && strcmp(category, "C1") != 0 && strcmp(category, "C2") != 0 &&
		strcmp(category, "C3") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown category \"%s\"", category),
				 errhint("JR/T 0171-2020 categories are C1, C2 and C3.")));
	if (grant && strcmp(level, "clear") == 0 && category && strcmp(category, "C3") == 0)
		c3_clear_refused();

	values[0] = ObjectIdGetDatum(role);
	/* the person, not a role they set: SET ROLE must not hide who it was */
	values[5] = ObjectIdGetDatum(GetSessionUserId());
	if (grant)
		values[1] = CStringGetTextDatum(level);
	else
		nulls[1] = 'n';
	if (for_column)
	{
		nulls[2] = 'n';
		values[3] = PG_GETARG_DATUM(2 + argoff);
		values[4] = CStringGetTextDatum(NameStr(*PG_GETARG_NAME(3 + argoff)));
	}
	else
	{
		values[2] = CStringGetTextDatum(category);
		nulls[3] = nulls[4] = 'n';
	}

	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (grant && for_column &&
		(SPI_execute_with_args("SELECT category FROM ci.protected_column"
							   " WHERE relid OPERATOR(pg_catalog.=) $4::pg_catalog.regclass"
							   " AND attname OPERATOR(pg_catalog.=) $5::pg_catalog.name",
							   5, argtypes, values, nulls, true, 1) != SPI_OK_SELECT ||
		 SPI_processed == 0))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of table \"%s\" is not protected",
						NameStr(*PG_GETARG_NAME(3 + argoff)),
						get_rel_name(PG_GETARG_OID(2 + argoff)))));
	if (grant && for_column && strcmp(level, "clear") == 0 &&
		strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), "C3") == 0)
		c3_clear_refused();
	if (SPI_execute_with_args("DELETE FROM ci.access_level"
							  " WHERE role OPERATOR(pg_catalog.=) $1::pg_catalog.regrole"
							  " AND relid IS NOT DISTINCT FROM $4::pg_catalog.regclass"
							  " AND attname IS NOT DISTINCT FROM $5::pg_catalog.name"
							  " AND category IS NOT DISTINCT FROM $3",
							  5, argtypes, values, nulls, false, 0) != SPI_OK_DELETE ||
		(grant &&
		 SPI_execute_with_args("INSERT INTO ci.access_level"
							   " (role, level, category, relid, attname, granted_by)"
							   " VALUES ($1, $2, $3, $4, $5::pg_catalog.name, $6)",
							   6, argtypes, values, nulls, false, 0) != SPI_OK_INSERT))
		elog(ERROR, "could not update ci.access_level");
	SPI_finish();
	ci_restore_user(&sw);
}

Datum
ci_grant_level(PG_FUNCTION_ARGS)
{
	change_level(fcinfo, true);
	PG_RETURN_VOID();
}

Datum
ci_revoke_level(PG_FUNCTION_ARGS)
{
	change_level(fcinfo, false);
	PG_RETURN_VOID();
}

static void
check_category(const char *category)
{
	if (strcmp(category, "C1") != 0 && strcmp(category, "C2") != 0 &&
		strcmp(category, "C3") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown category \"%s\"", category),
				 errhint("JR/T 0171-2020 categories are C1, C2 and C3.")));
}

static bool
is_role_member(Oid user, const char *rolname)
{
	Oid			role = get_role_oid(rolname, true);

	return OidIsValid(role) && has_privs_of_role(user, role);
}

/*
 * Is the purpose in ci.purpose?  Run connected to SPI as the extension's
 * owner.  A request for a purpose that is not catalogued could be approved
 * and used through ci.reveal, while the masked views refuse the purpose:
 * refused at request and at approval (a purpose may be removed between).
 */
static bool
purpose_exists(const char *purpose)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(purpose)};

	if (SPI_execute_with_args("SELECT FROM ci.purpose WHERE purpose OPERATOR(pg_catalog.=) $1",
							  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read ci.purpose");
	return SPI_processed > 0;
}

/*
 * Does a window of temporary access for category, from start (no earlier
 * than now) to until, fit the longest window allowed for the category?
 * An error otherwise: at request (request_id 0) the request is refused,
 * at approval the approval is.
 */
static void
check_window(const char *category, TimestampTz start, TimestampTz until,
			 int64 request_id)
{
	int			c = category[1] - '1';
	TimestampTz limit;
	char	   *setting;

	if (c < 0 || c > 2)
		elog(ERROR, "unknown category \"%s\"", category);
	setting = psprintf("customer_info.max_access_window_c%c", category[1]);
	/* at approval, a window without end is too long like any other */
	if (TIMESTAMP_NOT_FINITE(until) && request_id == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("temporary access must end at a finite time"),
				 errdetail("Access without an end would be standing access; a window for %s data lasts at most %s (%s).",
						   category, max_window_setting[c], setting),
				 errhint("Give valid_until at most %s after valid_from.", max_window_setting[c])));
	limit = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
													TimestampTzGetDatum(start),
													IntervalPGetDatum(&max_window[c])));
	if (until > limit)
	{
		if (request_id == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the window of temporary access to %s data may last at most %s",
							category, max_window_setting[c]),
					 errdetail("%s is %s; only a superuser can change it.",
							   setting, max_window_setting[c]),
					 errhint("Ask for a shorter window, and again when it ends if the work needs more time.")));
		else
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("access request %lld asks for a window longer than %s",
							(long long) request_id, max_window_setting[c]),
					 errdetail("%s is %s, counted from the later of the window's start and now; only a superuser can change it.",
							   setting, max_window_setting[c]),
					 errhint("Reject the request (approve => false); the requester may ask again for a shorter window.")));
	}
}

/*
 * ci.request_access(level, purpose, reason, valid_until [, category | tbl,
 * col] [, valid_from]): a request by the current role for itself.
 */
Datum
ci_request_access(PG_FUNCTION_ARGS)
{
	char	   *level;
	char	   *purpose;
	char	   *reason;
	TimestampTz valid_until;
	TimestampTz valid_from;
	bool		for_column = !PG_ARGISNULL(5) || !PG_ARGISNULL(6);
	CiUserSwitch sw;
	Oid			argtypes[10] = {OIDOID, TEXTOID, TEXTOID, OIDOID, NAMEOID, TEXTOID,
	TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID, OIDOID};
	Datum		values[10];
	char		nulls[10] = "          ";
	int64		id;
	bool		isnull;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) ||
		PG_ARGISNULL(7))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a request needs a level, a purpose, a reason and a time window")));
	level = text_to_cstring(PG_GETARG_TEXT_PP(0));
	purpose = text_to_cstring(PG_GETARG_TEXT_PP(1));
	reason = text_to_cstring(PG_GETARG_TEXT_PP(2));
	valid_until = PG_GETARG_TIMESTAMPTZ(3);
	valid_from = PG_GETARG_TIMESTAMPTZ(7);
	if (level_from_name(level) == CI_LEVEL_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("temporary access is for the level \"clear\" or \"masked\"")));
	if (purpose[0] == '\0' || reason[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a request needs a purpose and a reason")));
	if (valid_until <= valid_from || valid_until <= GetCurrentTransactionStartTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the window of a request must end after it starts, and in the future")));
	if (valid_from < GetCurrentTransactionStartTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the window of a request cannot start in the past"),
				 errdetail("Temporary access counts from its approval on, never for the time before the request."),
				 errhint("Leave valid_from out to start now, or give a time to come.")));
	if (for_column == !PG_ARGISNULL(4) ||
		(for_column && (PG_ARGISNULL(5) || PG_ARGISNULL(6))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a request is for a category or for one protected column (table and column)")));
	if (!for_column)
		check_category(text_to_cstring(PG_GETARG_TEXT_PP(4)));
	/* a person asks for itself: a request made as a group would serve all its members */
	if (GetUserId() != GetSessionUserId())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("temporary access is requested by the person who needs it"),
				 errdetail("The request would be for role \"%s\", not for the session's role \"%s\".",
						   GetUserNameFromId(GetUserId(), false),
						   GetUserNameFromId(GetSessionUserId(), false)),
				 errhint("RESET ROLE, then request again.")));

	values[0] = ObjectIdGetDatum(GetUserId());
	values[1] = CStringGetTextDatum(level);
	if (for_column)
	{
		nulls[2] = 'n';
		values[3] = PG_GETARG_DATUM(5);
		values[4] = PG_GETARG_DATUM(6);
	}
	else
	{
		values[2] = PG_GETARG_DATUM(4);
		nulls[3] = nulls[4] = 'n';
	}
	values[5] = CStringGetTextDatum(purpose);
	values[6] = TimestampTzGetDatum(valid_from);
	values[7] = TimestampTzGetDatum(valid_until);
	values[8] = CStringGetTextDatum(reason);
	values[9] = ObjectIdGetDatum(GetSessionUserId());

	owner_spi_begin(&sw);
	if (!purpose_exists(purpose))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown purpose \"%s\"", purpose),
				 errdetail("Temporary access is for a purpose of use listed in ci.purpose."),
				 errhint("Choose one of ci.purpose, or ask a member of customer_info_admin to add the purpose there first.")));
	if (for_column &&
		(SPI_execute_with_args("SELECT category FROM ci.protected_column"
							   " WHERE relid OPERATOR(pg_catalog.=) $4::pg_catalog.regclass"
							   " AND attname OPERATOR(pg_catalog.=) $5",
							   5, argtypes, values, nulls, true, 1) != SPI_OK_SELECT ||
		 SPI_processed == 0))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of table \"%s\" is not protected",
						NameStr(*PG_GETARG_NAME(6)), get_rel_name(PG_GETARG_OID(5)))));
	check_window(for_column ?
				 SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1) :
				 text_to_cstring(PG_GETARG_TEXT_PP(4)),
				 valid_from, valid_until, 0);
	if (SPI_execute_with_args("INSERT INTO ci.access_request"
							  " (role, level, category, relid, attname, purpose, valid_from,"
							  "  valid_until, reason, requested_by)"
							  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
							  " RETURNING request_id",
							  10, argtypes, values, nulls, false, 0) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "could not record the request");
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	owner_spi_end(&sw);
	PG_RETURN_INT64(id);
}

/*
 * Read a request (locked); its requester role and status.  An error if it
 * does not exist.
 */
static void
read_request(int64 id, Oid *role, Oid *requested_by, char **status,
			 TimestampTz *valid_until, char **purpose)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(id)};
	bool		isnull;
	HeapTuple	tup;
	TupleDesc	desc;

	if (SPI_execute_with_args("SELECT role::pg_catalog.oid, requested_by::pg_catalog.oid,"
							  " status, valid_until, purpose FROM ci.access_request"
							  " WHERE request_id OPERATOR(pg_catalog.=) $1 FOR UPDATE",
							  1, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read ci.access_request");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("access request %lld does not exist", (long long) id)));
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	*role = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
	*requested_by = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull));
	*status = SPI_getvalue(tup, desc, 3);
	*valid_until = DatumGetTimestampTz(SPI_getbinval(tup, desc, 4, &isnull));
	*purpose = SPI_getvalue(tup, desc, 5);
}

/*
 * ci.approve_access(request_id [, approve [, note]]): a member of
 * customer_info_approver decides a pending request -- never the requester,
 * nor anyone who has the requester's privileges (who would get the access).
 */
Datum
ci_approve_access(PG_FUNCTION_ARGS)
{
	Oid			user = GetUserId();
	Oid			session = GetSessionUserId();
	CiUserSwitch sw;
	Oid			role;
	Oid			requested_by;
	char	   *status;
	TimestampTz valid_until;
	char	   *purpose;
	bool		approve;
	bool		isnull;
	Oid			argtypes[4] = {INT8OID, TEXTOID, OIDOID, TEXTOID};
	Datum		values[4];
	char		nulls[4] = "    ";

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("request id and decision must not be null")));
	approve = PG_GETARG_BOOL(1);
	if (!is_role_member(user, "customer_info_approver"))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to decide access requests"),
				 errdetail("Only members of role customer_info_approver may.")));

	owner_spi_begin(&sw);
	read_request(PG_GETARG_INT64(0), &role, &requested_by, &status, &valid_until,
				 &purpose);
	if (role == user || role == session || requested_by == session ||
		has_privs_of_role(user, role) ||
		(!superuser_arg(session) && has_privs_of_role(session, role)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("a request cannot be decided by its requester"),
				 errdetail("The approver must be another person, without the privileges of role \"%s\".",
						   GetUserNameFromId(role, false))));
	if (strcmp(status, "pending") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("access request %lld is %s, not pending",
						(long long) PG_GETARG_INT64(0), status)));
	if (approve && valid_until <= GetCurrentTransactionStartTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("access request %lld has expired", (long long) PG_GETARG_INT64(0))));
	if (approve)
	{
		Oid			t[1] = {INT8OID};
		Datum		v[1] = {PG_GETARG_DATUM(0)};
		TimestampTz valid_from;

		/*
		 * The window must still fit: a setting may have been lowered since
		 * the request.  A column counts with its category of now (strictest
		 * if it is no longer protected).
		 */
		if (SPI_execute_with_args("SELECT coalesce(p.category, r.category, 'C3'), r.valid_from"
								  " FROM ci.access_request r LEFT JOIN ci.protected_column p"
								  "   ON p.relid OPERATOR(pg_catalog.=) r.relid"
								  "  AND p.attname OPERATOR(pg_catalog.=) r.attname"
								  " WHERE r.request_id OPERATOR(pg_catalog.=) $1",
								  1, t, v, NULL, true, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "could not read ci.access_request");
		valid_from = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0],
													   SPI_tuptable->tupdesc, 2, &isnull));
		check_window(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1),
					 Max(valid_from, GetCurrentTransactionStartTimestamp()),
					 valid_until, PG_GETARG_INT64(0));
	}
	if (approve && !purpose_exists(purpose))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("access request %lld is for unknown purpose \"%s\"",
						(long long) PG_GETARG_INT64(0), purpose),
				 errdetail("The purpose is no longer listed in ci.purpose."),
				 errhint("Reject the request (approve => false); the requester may ask again for a purpose listed in ci.purpose.")));
	values[0] = PG_GETARG_DATUM(0);
	values[1] = CStringGetTextDatum(approve ? "approved" : "rejected");
	values[2] = ObjectIdGetDatum(session);
	if (PG_ARGISNULL(2))
		nulls[3] = 'n';
	else
		values[3] = PG_GETARG_DATUM(2);
	if (SPI_execute_with_args("UPDATE ci.access_request"
							  " SET status = $2, decided_by = $3, decided_at = pg_catalog.now(),"
							  "     decision_note = $4"
							  " WHERE request_id OPERATOR(pg_catalog.=) $1",
							  4, argtypes, values, nulls, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not record the decision");
	owner_spi_end(&sw);
	PG_RETURN_VOID();
}

/*
 * ci.revoke_access(request_id [, note]): ends a pending or approved request
 * now; for approvers, administrators and the requester.
 */
Datum
ci_revoke_access(PG_FUNCTION_ARGS)
{
	Oid			user = GetUserId();
	CiUserSwitch sw;
	Oid			role;
	Oid			requested_by;
	char	   *status;
	TimestampTz valid_until;
	char	   *purpose;
	Oid			argtypes[3] = {INT8OID, OIDOID, TEXTOID};
	Datum		values[3];
	char		nulls[3] = "   ";

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("request id must not be null")));
	owner_spi_begin(&sw);
	read_request(PG_GETARG_INT64(0), &role, &requested_by, &status, &valid_until,
				 &purpose);
	if (!superuser() && !has_privs_of_role(user, role) &&
		!is_role_member(user, "customer_info_approver") &&
		!is_role_member(user, "customer_info_admin"))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to revoke access request %lld",
						(long long) PG_GETARG_INT64(0))));
	if (strcmp(status, "pending") != 0 && strcmp(status, "approved") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("access request %lld is %s", (long long) PG_GETARG_INT64(0), status)));
	values[0] = PG_GETARG_DATUM(0);
	values[1] = ObjectIdGetDatum(GetSessionUserId());
	if (PG_ARGISNULL(1))
		nulls[2] = 'n';
	else
		values[2] = PG_GETARG_DATUM(1);
	if (SPI_execute_with_args("UPDATE ci.access_request"
							  " SET status = 'revoked', revoked_by = $2, revoked_at = pg_catalog.now(),"
							  "     decision_note = coalesce($3, decision_note)"
							  " WHERE request_id OPERATOR(pg_catalog.=) $1",
							  3, argtypes, values, nulls, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not record the revocation");
	owner_spi_end(&sw);
	PG_RETURN_VOID();
}

static void
change_purpose(FunctionCallInfo fcinfo, bool allow)
{
	CiUserSwitch sw;
	Oid			argtypes[3] = {OIDOID, TEXTOID, OIDOID};
	Datum		values[3];
	char	   *purpose = text_to_cstring(PG_GETARG_TEXT_PP(1));

	ci_require_admin(allow ? "allow purposes" : "disallow purposes");
	if (purpose[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a purpose must not be empty")));
	values[0] = PG_GETARG_DATUM(0);
	values[1] = PG_GETARG_DATUM(1);
	values[2] = ObjectIdGetDatum(GetSessionUserId());
	owner_spi_begin(&sw);
	if (SPI_execute_with_args(allow ?
							  "INSERT INTO ci.role_purpose (role, purpose, allowed_by)"
							  " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING" :
							  "DELETE FROM ci.role_purpose"
							  " WHERE role OPERATOR(pg_catalog.=) $1::pg_catalog.regrole"
							  " AND purpose OPERATOR(pg_catalog.=) $2",
							  allow ? 3 : 2, argtypes, values, NULL, false, 0) < 0)
		elog(ERROR, "could not update ci.role_purpose");
	owner_spi_end(&sw);
}

Datum
ci_allow_purpose(PG_FUNCTION_ARGS)
{
	change_purpose(fcinfo, true);
	PG_RETURN_VOID();
}

Datum
ci_disallow_purpose(PG_FUNCTION_ARGS)
{
	change_purpose(fcinfo, false);
	PG_RETURN_VOID();
}

/*
 * Levels, purposes and requests name roles by OID, which the server does
 * not track: a dropped role's rows would stay behind.  So DROP ROLE of a
 * role that still holds any here is refused, as the server refuses it for
 * a role that holds privileges, and DROP OWNED BY takes them away (the
 * ProcessUtility hook calls these two).
 */
void
ci_check_role_droppable(Oid role)
{
	CiUserSwitch sw;
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(role)};
	bool		isnull;
	int64		levels;
	int64		purposes;
	int64		requests;

	owner_spi_begin(&sw);
	if (SPI_execute_with_args("SELECT (SELECT pg_catalog.count(*) FROM ci.access_level"
							  "         WHERE role OPERATOR(pg_catalog.=) $1::pg_catalog.regrole),"
							  "        (SELECT pg_catalog.count(*) FROM ci.role_purpose"
							  "         WHERE role OPERATOR(pg_catalog.=) $1::pg_catalog.regrole),"
							  "        (SELECT pg_catalog.count(*) FROM ci.access_request"
							  "         WHERE role OPERATOR(pg_catalog.=) $1::pg_catalog.regrole"
							  "           AND (status OPERATOR(pg_catalog.=) 'pending'"
							  "                OR (status OPERATOR(pg_catalog.=) 'approved'"
							  "                    AND valid_until OPERATOR(pg_catalog.>) pg_catalog.now())))",
							  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the levels of a role");
	levels = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	purposes = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	requests = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	owner_spi_end(&sw);
	if (levels + purposes + requests > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("role \"%s\" cannot be dropped because customer_info still names it",
						GetUserNameFromId(role, false)),
				 errdetail("It holds %lld access level(s), %lld purpose(s) of use and %lld pending or current temporary access request(s).",
						   (long long) levels, (long long) purposes, (long long) requests),
				 errhint("DROP OWNED BY the role first: it takes these away too.")));
}

void
ci_forget_role(Oid role)
{
	CiUserSwitch sw;
	Oid			argtypes[2] = {OIDOID, OIDOID};
	Datum		values[2] = {ObjectIdGetDatum(role), ObjectIdGetDatum(GetSessionUserId())};
	Oid			admin = get_role_oid("customer_info_admin", true);

	/*
	 * Anyone may DROP OWNED BY a role whose privileges they have, even
	 * their own: that takes away what widens access (levels other than
	 * none, temporary access), never a restriction (purposes, none), unless
	 * an admin runs it.
	 */
	bool		all = superuser() ||
		(OidIsValid(admin) && has_privs_of_role(GetUserId(), admin));

	owner_spi_begin(&sw);
	if (SPI_execute_with_args(all ? "DELETE FROM ci.access_level"
							  " WHERE role OPERATOR(pg_catalog.=) $1::pg_catalog.regrole" :
							  "DELETE FROM ci.access_level"
							  " WHERE role OPERATOR(pg_catalog.=) $1::pg_catalog.regrole"
							  " AND level OPERATOR(pg_catalog.<>) 'none'",
							  1, argtypes, values, NULL, false, 0) != SPI_OK_DELETE ||
		(all &&
		 SPI_execute_with_args("DELETE FROM ci.role_purpose"
							   " WHERE role OPERATOR(pg_catalog.=) $1::pg_catalog.regrole",
							   1, argtypes, values, NULL, false, 0) != SPI_OK_DELETE) ||
		SPI_execute_with_args("UPDATE ci.access_request"
							  " SET status = 'revoked', revoked_by = $2, revoked_at = pg_catalog.now(),"
							  "     decision_note = 'DROP OWNED BY the role'"
							  " WHERE role OPERATOR(pg_catalog.=) $1::pg_catalog.regrole"
							  " AND status OPERATOR(pg_catalog.=) 'approved'"
							  " AND valid_until OPERATOR(pg_catalog.>) pg_catalog.now()",
							  2, argtypes, values, NULL, false, 0) != SPI_OK_UPDATE ||
		SPI_execute_with_args("UPDATE ci.access_request"
							  " SET status = 'rejected', decided_by = $2, decided_at = pg_catalog.now(),"
							  "     decision_note = 'DROP OWNED BY the role'"
							  " WHERE role OPERATOR(pg_catalog.=) $1::pg_catalog.regrole"
							  " AND status OPERATOR(pg_catalog.=) 'pending'",
							  2, argtypes, values, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not take away the levels of a role");
	owner_spi_end(&sw);
}

/*
 * DROP ROLE, once ci_check_role_droppable() let it through: the role's
 * requests are all decided, revoked or expired.  They go with the role (a
 * later role given the same OID would otherwise find them as its own), and
 * where the role decided or revoked another role's request, its name is
 * kept in the note instead of its OID.
 */
void
ci_forget_dropped_role(Oid role)
{
	CiUserSwitch sw;
	Oid			argtypes[2] = {OIDOID, TEXTOID};
	Datum		values[2] = {ObjectIdGetDatum(role),
	CStringGetTextDatum(GetUserNameFromId(role, false))};

	owner_spi_begin(&sw);
	if (SPI_execute_with_args("DELETE FROM ci.access_request"
							  " WHERE role OPERATOR(pg_catalog.=) $1::pg_catalog.regrole"
							  " OR requested_by OPERATOR(pg_catalog.=) $1::pg_catalog.regrole",
							  1, argtypes, values, NULL, false, 0) != SPI_OK_DELETE ||
		SPI_execute_with_args("UPDATE ci.access_request"
							  " SET decided_by = NULL, decision_note = pg_catalog.concat_ws('; ',"
							  "     decision_note, 'decided by role ' OPERATOR(pg_catalog.||)"
							  "     pg_catalog.quote_ident($2) OPERATOR(pg_catalog.||) ', since dropped')"
							  " WHERE decided_by OPERATOR(pg_catalog.=) $1::pg_catalog.regrole",
							  2, argtypes, values, NULL, false, 0) != SPI_OK_UPDATE ||
		SPI_execute_with_args("UPDATE ci.access_request"
							  " SET revoked_by = NULL, decision_note = pg_catalog.concat_ws('; ',"
							  "     decision_note, 'revoked by role ' OPERATOR(pg_catalog.||)"
							  "     pg_catalog.quote_ident($2) OPERATOR(pg_catalog.||) ', since dropped')"
							  " WHERE revoked_by OPERATOR(pg_catalog.=) $1::pg_catalog.regrole",
							  2, argtypes, values, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not remove the requests of a dropped role");
	owner_spi_end(&sw);
}
