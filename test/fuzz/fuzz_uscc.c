/*-------------------------------------------------------------------------
 *
 * fuzz_uscc.c
 *	  libFuzzer target for ci_parse_uscc() and ci_format_uscc().
 *
 * Canonical text: 18 characters from the USCC alphabet (digits and capital
 * letters but I, O, S, V and Z), characters 3-8 digits.  The packed value
 * is compared on its 9 bytes.
 *
 * Oracle (fuzz_oracle.h): an accepted input must be the canonical text
 * (upper-cased) and carry the GB 11714 organisation code check (character
 * 17) and the GB 32100 MOD 31 check (character 18) computed apart from the
 * parser; a refusal for either check must concern an input where that
 * check is indeed wrong, and name the character expected.
 *
 *-------------------------------------------------------------------------
 */
#include "fuzz_ident.h"
#include "fuzz_oracle.h"

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

static void
uscc_oracle(const uint8_t *data, size_t size)
{
	const char *in = (const char *) data;
	size_t		n = size;
	CiIdentValue value;
	CiParseError err;
	char		text[CI_IDENT_BUFSIZE];
	bool		accepted;
	bool		alphabet_ok = true;

	memset(&value, 0, sizeof(value));
	accepted = ci_parse_uscc(in, size, &value, &err);
	oracle_trim(&in, &n);
	for (size_t i = 0; i < n && i < 18; i++)
		alphabet_ok = alphabet_ok && oracle_uscc_value(in[i]) >= 0;
	if (accepted)
	{
		FUZZ_ASSERT(n == 18 && alphabet_ok);
		FUZZ_ASSERT(ci_format_uscc(&value, text) == CI_USCC_LEN);
		for (int i = 0; i < 18; i++)
			FUZZ_ASSERT(text[i] == oracle_upper(in[i]));
		FUZZ_ASSERT(oracle_upper(in[16]) == oracle_orgcode_check(in + 8));
		FUZZ_ASSERT(oracle_upper(in[17]) == oracle_uscc_check(in));
	}
	else if (err.status == CI_ERR_ORG_CHECK)
	{
		FUZZ_ASSERT(n == 18 && alphabet_ok);
		FUZZ_ASSERT(oracle_upper(in[16]) != oracle_orgcode_check(in + 8));
		FUZZ_ASSERT(err.expected == oracle_orgcode_check(in + 8));
	}
	else if (err.status == CI_ERR_CHECK)
	{
		FUZZ_ASSERT(n == 18 && alphabet_ok);
		FUZZ_ASSERT(oracle_upper(in[17]) != oracle_uscc_check(in));
		FUZZ_ASSERT(err.expected == oracle_uscc_check(in));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ident_round_trip(data, size, ci_parse_uscc, ci_format_uscc,
						  CI_USCC_PACKED_LEN, uscc_canonical);
	uscc_oracle(data, size);
	return 0;
}
