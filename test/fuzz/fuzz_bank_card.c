/*-------------------------------------------------------------------------
 *
 * fuzz_bank_card.c
 *	  libFuzzer target for ci_parse_bank_card() and ci_format_bank_card().
 *
 * Canonical text: 12 to 19 digits, no separators.
 *
 *-------------------------------------------------------------------------
 */
#include "fuzz_ident.h"

static bool
bank_card_canonical(const char *text, int len)
{
	return len >= CI_BANK_CARD_MINLEN && len <= CI_BANK_CARD_MAXLEN &&
		fuzz_all_digits(text, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ident_round_trip(data, size, ci_parse_bank_card, ci_format_bank_card,
						  sizeof(int64_t), bank_card_canonical);
	return 0;
}
