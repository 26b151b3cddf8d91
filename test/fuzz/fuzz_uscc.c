/*-------------------------------------------------------------------------
 *
 * fuzz_uscc.c
 *	  libFuzzer target for ci_parse_uscc() and ci_format_uscc().
 *
 * Canonical text: 18 characters from the USCC alphabet (digits and capital
 * letters but I, O, S, V and Z), characters 3-8 digits.  The packed value
 * is compared on its 9 bytes.
 *
 *-------------------------------------------------------------------------
 */
#include "fuzz_ident.h"

static bool
uscc_canonical(const char *text, int len)
{
	if (len != CI_USCC_LEN || !fuzz_all_digits(text + 2, 6))
		return false;
	for (int i = 0; i < len; i++)
		if (text[i] == '\0' ||
			strchr("0123456789ABCDEFGHJKLMNPQRTUWXY", text[i]) == NULL)
			return false;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ident_round_trip(data, size, ci_parse_uscc, ci_format_uscc,
						  CI_USCC_PACKED_LEN, uscc_canonical);
	return 0;
}
