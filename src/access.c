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
 * changes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "access.h"
#include "keys.h"

PG_FUNCTION_INFO_V1(ci_grant_level);
PG_FUNCTION_INFO_V1(ci_revoke_level);

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
ci_access_level(Oid relid, const char *attname, const char *category)
{
	CiUserSwitch sw;
	Oid			user = GetUserId();
	Oid			argtypes[3] = {OIDOID, TEXTOID, TEXTOID};
	Datum		values[3];
	int			column_level = -1;
	int			category_level = -1;

	ci_become_owner(&sw);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	values[0] = ObjectIdGetDatum(relid);
	values[1] = CStringGetTextDatum(attname);
	values[2] = CStringGetTextDatum(category);
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
	SPI_finish();
	ci_restore_user(&sw);
	if (column_level >= 0)
		return (CiAccessLevel) column_level;
	if (category_level >= 0)
		return (CiAccessLevel) category_level;
	return CI_LEVEL_MASKED;
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
		(SPI_execute_with_args("SELECT FROM ci.protected_column"
							   " WHERE relid OPERATOR(pg_catalog.=) $4::pg_catalog.regclass"
							   " AND attname OPERATOR(pg_catalog.=) $5::pg_catalog.name",
							   5, argtypes, values, nulls, true, 1) != SPI_OK_SELECT ||
		 SPI_processed == 0))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of table \"%s\" is not protected",
						NameStr(*PG_GETARG_NAME(3 + argoff)),
						get_rel_name(PG_GETARG_OID(2 + argoff)))));
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
