/*-------------------------------------------------------------------------
 *
 * uscc.c
 *	  ci.uscc, the unified social credit code (GB 32100-2015).
 *
 * Stored in 9 bytes (see parse_uscc.c) that compare with memcmp() in the
 * order of the text.  Unlike the other identifier types it is passed by
 * reference, so it has its own comparison and hash functions.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/builtins.h"

#include "ident.h"

const CiIdentType ci_uscc_type = {
	.typname = "ci.uscc",
	.noun = "unified social credit code",
	.length_rule = "18 characters",
	.charset_rule = "a unified social credit code uses digits and the capital letters other than I, O, S, V and Z",
	.check_name = "check character",
	.mask_head = 8,
	.min_length = 18,
	.mask_tail = 0,
	.byval = false,
	.parse = ci_parse_uscc,
	.format = ci_format_uscc,
};

CI_IDENT_SQL_FUNCTIONS(uscc, ci_uscc_type)

PG_FUNCTION_INFO_V1(uscc_eq);
PG_FUNCTION_INFO_V1(uscc_ne);
PG_FUNCTION_INFO_V1(uscc_lt);
PG_FUNCTION_INFO_V1(uscc_le);
PG_FUNCTION_INFO_V1(uscc_gt);
PG_FUNCTION_INFO_V1(uscc_ge);
PG_FUNCTION_INFO_V1(uscc_cmp);
PG_FUNCTION_INFO_V1(uscc_hash);
PG_FUNCTION_INFO_V1(uscc_hash_extended);
PG_FUNCTION_INFO_V1(uscc_registration_authority);
PG_FUNCTION_INFO_V1(uscc_organisation_type);
PG_FUNCTION_INFO_V1(uscc_region_code);
PG_FUNCTION_INFO_V1(uscc_organisation_code);

static inline int
uscc_compare(FunctionCallInfo fcinfo)
{
	return memcmp(PG_GETARG_POINTER(0), PG_GETARG_POINTER(1),
				  CI_USCC_PACKED_LEN);
}

Datum
uscc_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(uscc_compare(fcinfo) == 0);
}

Datum
uscc_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(uscc_compare(fcinfo) != 0);
}

Datum
uscc_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(uscc_compare(fcinfo) < 0);
}

Datum
uscc_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(uscc_compare(fcinfo) <= 0);
}

Datum
uscc_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(uscc_compare(fcinfo) > 0);
}

Datum
uscc_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(uscc_compare(fcinfo) >= 0);
}

Datum
uscc_cmp(PG_FUNCTION_ARGS)
{
	int			c = uscc_compare(fcinfo);

	PG_RETURN_INT32(c < 0 ? -1 : (c > 0 ? 1 : 0));
}

Datum
uscc_hash(PG_FUNCTION_ARGS)
{
	return hash_any((const unsigned char *) PG_GETARG_POINTER(0),
					CI_USCC_PACKED_LEN);
}

Datum
uscc_hash_extended(PG_FUNCTION_ARGS)
{
	return hash_any_extended((const unsigned char *) PG_GETARG_POINTER(0),
							 CI_USCC_PACKED_LEN, PG_GETARG_INT64(1));
}

/*
 * Registration authorities and organisation types of GB 32100-2015,
 * table 1.  Codes an authority may add later are answered with NULL.
 */
typedef struct UsccCode
{
	char		authority;
	char		type;			/* '\0' for the authority's own row */
	const char *name;
} UsccCode;

static const UsccCode uscc_codes[] = {
	{'1', '\0', "institutional establishment"},
	{'1', '1', "government agency"},
	{'1', '2', "public institution"},
	{'1', '3', "mass organisation"},
	{'1', '9', "other"},
	{'2', '\0', "foreign affairs"},
	{'2', '1', "resident office of a foreign news agency"},
	{'2', '9', "other"},
	{'3', '\0', "justice"},
	{'3', '1', "law firm"},
	{'3', '2', "notary office"},
	{'3', '3', "grassroots legal service office"},
	{'3', '4', "forensic expertise institution"},
	{'3', '5', "arbitration commission"},
	{'3', '9', "other"},
	{'4', '\0', "culture"},
	{'4', '1', "foreign cultural centre"},
	{'4', '9', "other"},
	{'5', '\0', "civil affairs"},
	{'5', '1', "social organisation"},
	{'5', '2', "private non-enterprise unit"},
	{'5', '3', "foundation"},
	{'5', '9', "other"},
	{'6', '\0', "tourism"},
	{'6', '1', "representative office of a foreign tourism authority"},
	{'6', '2', "representative office of a Hong Kong, Macau or Taiwan tourism authority"},
	{'6', '9', "other"},
	{'7', '\0', "religious affairs"},
	{'7', '1', "place of religious activity"},
	{'7', '2', "religious college"},
	{'7', '9', "other"},
	{'8', '\0', "trade unions"},
	{'8', '1', "grassroots trade union"},
	{'8', '9', "other"},
	{'9', '\0', "market regulation"},
	{'9', '1', "enterprise"},
	{'9', '2', "individual business"},
	{'9', '3', "farmers' cooperative"},
	{'A', '\0', "military establishment"},
	{'A', '1', "military public institution"},
	{'A', '9', "other"},
	{'N', '\0', "agriculture"},
	{'N', '1', "group-level collective economic organisation"},
	{'N', '2', "village-level collective economic organisation"},
	{'N', '3', "township-level collective economic organisation"},
	{'N', '9', "other"},
	{'Y', '\0', "other"},
	{'Y', '1', "other"},
};

static void
uscc_text(FunctionCallInfo fcinfo, char *buf)
{
	CiIdentValue value;

	ci_ident_get(&ci_uscc_type, PG_GETARG_DATUM(0), &value);
	ci_format_uscc(&value, buf);
}

static Datum
uscc_lookup(FunctionCallInfo fcinfo, bool want_type)
{
	char		buf[CI_IDENT_BUFSIZE];
	char		type;

	uscc_text(fcinfo, buf);
	type = want_type ? buf[1] : '\0';
	for (size_t i = 0; i < lengthof(uscc_codes); i++)
	{
		if (uscc_codes[i].authority == buf[0] && uscc_codes[i].type == type)
			PG_RETURN_TEXT_P(cstring_to_text(uscc_codes[i].name));
	}
	PG_RETURN_NULL();
}

Datum
uscc_registration_authority(PG_FUNCTION_ARGS)
{
	return uscc_lookup(fcinfo, false);
}

Datum
uscc_organisation_type(PG_FUNCTION_ARGS)
{
	return uscc_lookup(fcinfo, true);
}

Datum
uscc_region_code(PG_FUNCTION_ARGS)
{
	char		buf[CI_IDENT_BUFSIZE];

	uscc_text(fcinfo, buf);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf + 2, 6));
}

/* The embedded GB 11714 organisation code, characters 9 to 17. */
Datum
uscc_organisation_code(PG_FUNCTION_ARGS)
{
	char		buf[CI_IDENT_BUFSIZE];

	uscc_text(fcinfo, buf);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf + 8, 9));
}
