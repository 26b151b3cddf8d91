/*-------------------------------------------------------------------------
 *
 * fuzz_bank_card.c
 *	  libFuzzer target for ci_parse_bank_card() and ci_format_bank_card().
 *
 * Canonical text: 12 to 19 digits, no separators.
 *
 * Oracle (fuzz_oracle.h): an accepted input must be its digits (spaces
 * and hyphens dropped) and pass the Luhn check computed apart from the
 * parser; a refusal for the check digit must concern digits that indeed
 * fail it.
 *
 *-------------------------------------------------------------------------
 */
#include "fuzz_ident.h"
#include "fuzz_oracle.h"

static bool
bank_card_canonical(const char *text, int len)
{
	return len >= CI_BANK_CARD_MINLEN && len <= CI_BANK_CARD_MAXLEN &&
		fuzz_all_digits(text, len);
}

static void
bank_card_oracle(const uint8_t *data, size_t size)
{
	const char *in = (const char *) data;
	size_t		n = size;
	CiIdentValue value;
	CiParseError err;
	char		text[CI_IDENT_BUFSIZE];
	char		digits[CI_BANK_CARD_MAXLEN + 1];
	int			nd = 0;
	bool		accepted;

	memset(&value, 0, sizeof(value));
	accepted = ci_parse_bank_card(in, size, &value, &err);
	oracle_trim(&in, &n);
	/* the digits of the input, when they are few enough to be a card */
	for (size_t i = 0; i < n && nd <= CI_BANK_CARD_MAXLEN; i++)
		if (in[i] >= '0' && in[i] <= '9')
		{
			if (nd < CI_BANK_CARD_MAXLEN)
				digits[nd] = in[i];
			nd++;
		}
	if (accepted)
	{
		int			len = ci_format_bank_card(&value, text);

		FUZZ_ASSERT(len == nd && nd <= CI_BANK_CARD_MAXLEN);
		FUZZ_ASSERT(memcmp(text, digits, (size_t) nd) == 0);
		FUZZ_ASSERT(oracle_luhn_ok(digits, nd));
	}
	else if (err.status == CI_ERR_CHECK)
	{
		FUZZ_ASSERT(nd >= CI_BANK_CARD_MINLEN && nd <= CI_BANK_CARD_MAXLEN);
		FUZZ_ASSERT(!oracle_luhn_ok(digits, nd));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ident_round_trip(data, size, ci_parse_bank_card, ci_format_bank_card,
						  sizeof(int64_t), bank_card_canonical);
	bank_card_oracle(data, size);
	return 0;
}
