/*-------------------------------------------------------------------------
 *
 * bank_card.c
 *	  ci.bank_card, a payment card number (ISO/IEC 7812, Luhn).
 *
 * Stored as int8 (see parse_bank_card.c), compared with the built-in int8
 * functions, so cards sort by issuer prefix.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "ident.h"

const CiIdentType ci_bank_card_type = {
	.typname = "ci.bank_card",
	.noun = "payment card number",
	.length_rule = "12 to 19 digits",
	.charset_rule = "only digits, and single spaces or hyphens between digits, are allowed",
	.check_name = "Luhn check digit",
	.mask_head = 6,
	.min_length = 12,
	.mask_tail = 4,
	.byval = true,
	.parse = ci_parse_bank_card,
	.format = ci_format_bank_card,
};

CI_IDENT_SQL_FUNCTIONS(bank_card, ci_bank_card_type)

PG_FUNCTION_INFO_V1(bank_card_bin);
PG_FUNCTION_INFO_V1(bank_card_is_unionpay);

/* The issuer identification number: the first 6 (or up to 8) digits. */
Datum
bank_card_bin(PG_FUNCTION_ARGS)
{
	CiIdentValue value;
	char		buf[CI_IDENT_BUFSIZE];
	int32		digits = PG_GETARG_INT32(1);

	if (digits < 6 || digits > 8)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an issuer identification number has 6 to 8 digits, not %d",
						digits)));
	value.i64 = PG_GETARG_INT64(0);
	ci_format_bank_card(&value, buf);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf, digits));
}

/* UnionPay issues cards in the IIN ranges starting 62 and 81. */
Datum
bank_card_is_unionpay(PG_FUNCTION_ARGS)
{
	CiIdentValue value;
	char		buf[CI_IDENT_BUFSIZE];

	value.i64 = PG_GETARG_INT64(0);
	ci_format_bank_card(&value, buf);
	PG_RETURN_BOOL((buf[0] == '6' && buf[1] == '2') ||
				   (buf[0] == '8' && buf[1] == '1'));
}
