/*-------------------------------------------------------------------------
 *
 * fuzz_cn_id.c
 *	  libFuzzer target for ci_parse_cn_id() and ci_format_cn_id().
 *
 * Canonical text: 17 digits and a check character 0-9 or X.
 *
 *-------------------------------------------------------------------------
 */
#include "fuzz_ident.h"

static bool
cn_id_canonical(const char *text, int len)
{
	return len == CI_CN_ID_LEN &&
		fuzz_all_digits(text, 17) &&
		(fuzz_all_digits(text + 17, 1) || text[17] == 'X');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ident_round_trip(data, size, ci_parse_cn_id, ci_format_cn_id,
						  sizeof(int64_t), cn_id_canonical);
	return 0;
}
