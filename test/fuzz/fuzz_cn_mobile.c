/*-------------------------------------------------------------------------
 *
 * fuzz_cn_mobile.c
 *	  libFuzzer target for ci_parse_cn_mobile() and ci_format_cn_mobile().
 *
 * Canonical text: 11 digits, no country code or separators.
 *
 *-------------------------------------------------------------------------
 */
#include "fuzz_ident.h"

static bool
cn_mobile_canonical(const char *text, int len)
{
	return len == CI_CN_MOBILE_LEN && fuzz_all_digits(text, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ident_round_trip(data, size, ci_parse_cn_mobile, ci_format_cn_mobile,
						  sizeof(int64_t), cn_mobile_canonical);
	return 0;
}
