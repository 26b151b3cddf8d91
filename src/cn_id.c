/*-------------------------------------------------------------------------
 *
 * cn_id.c
 *	  ci.cn_id, the resident identity card number (GB 11643-1999).
 *
 * Stored as int8 (the first 17 digits; the check character is derived), so
 * comparison, hashing and sorting use the built-in int8 functions and the
 * order is that of the text.  Parsing is in parse_cn_id.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"

#include "ident.h"

const CiIdentType ci_cn_id_type = {
	.typname = "ci.cn_id",
	.noun = "resident ID number",
	.length_rule = "18 characters, or 15 digits in the legacy format",
	.charset_rule = "the first 17 characters are digits and the last is a digit or X",
	.check_name = "check character",
	.mask_head = 6,
	.min_length = 15,
	.mask_tail = 4,
	.byval = true,
	.parse = ci_parse_cn_id,
	.format = ci_format_cn_id,
};

CI_IDENT_SQL_FUNCTIONS(cn_id, ci_cn_id_type)

PG_FUNCTION_INFO_V1(cn_id_birth_date);
PG_FUNCTION_INFO_V1(cn_id_gender);
PG_FUNCTION_INFO_V1(cn_id_region_code);
PG_FUNCTION_INFO_V1(cn_id_age);
PG_FUNCTION_INFO_V1(cn_id_is_residence_permit);

/* Packed values hold digits 1-17; these pick parts of them. */
#define CN_ID_REGION(v)		((v) / INT64CONST(100000000000))
#define CN_ID_SEQUENCE(v)	((v) % 1000)

Datum
cn_id_birth_date(PG_FUNCTION_ARGS)
{
	int			year,
				month,
				day;

	ci_cn_id_birth(PG_GETARG_INT64(0), &year, &month, &day);
	PG_RETURN_DATEADT(date2j(year, month, day) - POSTGRES_EPOCH_JDATE);
}

/* 'M' or 'F': the 17th digit is odd for men, even for women. */
Datum
cn_id_gender(PG_FUNCTION_ARGS)
{
	int64		v = PG_GETARG_INT64(0);

	PG_RETURN_TEXT_P(cstring_to_text(CN_ID_SEQUENCE(v) % 2 ? "M" : "F"));
}

Datum
cn_id_region_code(PG_FUNCTION_ARGS)
{
	int64		v = PG_GETARG_INT64(0);

	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%06d", (int) CN_ID_REGION(v))));
}

/*
 * Age in completed years on the given date; NULL if the date is before the
 * birth date or not finite.  Someone born on 29 February becomes a year
 * older on 1 March in common years.
 */
Datum
cn_id_age(PG_FUNCTION_ARGS)
{
	int64		v = PG_GETARG_INT64(0);
	DateADT		at = PG_GETARG_DATEADT(1);
	int			by,
				bm,
				bd,
				ay,
				am,
				ad;
	int			age;

	if (DATE_NOT_FINITE(at))
		PG_RETURN_NULL();
	ci_cn_id_birth(v, &by, &bm, &bd);
	j2date(at + POSTGRES_EPOCH_JDATE, &ay, &am, &ad);
	age = ay - by;
	if (am < bm || (am == bm && ad < bd))
		age--;
	if (age < 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(age);
}

/* Residence permits of Hong Kong, Macau and Taiwan residents. */
Datum
cn_id_is_residence_permit(PG_FUNCTION_ARGS)
{
	int64		region = CN_ID_REGION(PG_GETARG_INT64(0));

	PG_RETURN_BOOL(region == 810000 || region == 820000 || region == 830000);
}
