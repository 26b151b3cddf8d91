/*-------------------------------------------------------------------------
 *
 * cn_mobile.c
 *	  ci.cn_mobile, a mainland China mobile number.
 *
 * Stored as int8 (the 11 digits, country code dropped), compared with the
 * built-in int8 functions.  Parsing is in parse_cn_mobile.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "ident.h"

const CiIdentType ci_cn_mobile_type = {
	.typname = "ci.cn_mobile",
	.noun = "mainland mobile number",
	.length_rule = "11 digits after an optional country code +86",
	.charset_rule = "only digits, an optional leading +, and single spaces or hyphens between digits are allowed",
	.check_name = "check digit",
	.mask_head = 3,
	.min_length = 11,
	.mask_tail = 4,
	.byval = true,
	.parse = ci_parse_cn_mobile,
	.format = ci_format_cn_mobile,
};

CI_IDENT_SQL_FUNCTIONS(cn_mobile, ci_cn_mobile_type)
