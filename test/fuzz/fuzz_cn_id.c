/*-------------------------------------------------------------------------
 *
 * fuzz_cn_id.c
 *	  libFuzzer target for ci_parse_cn_id() and ci_format_cn_id().
 *
 * Canonical text: 17 digits and a check character 0-9 or X.
 *
 * Oracle (fuzz_oracle.h): an accepted 18-character input must be the
 * canonical text (x upper-cased) and carry the MOD 11-2 check character
 * computed apart from the parser; an accepted 15-digit one must become
 * its 18-character form with the check character added; a refusal for
 * the check character must concern an input whose check character is
 * indeed wrong, and name the one expected.
 *
 *-------------------------------------------------------------------------
 */
#include "fuzz_ident.h"
#include "fuzz_oracle.h"

static bool
cn_id_canonical(const char *text, int len)
{
	return len == CI_CN_ID_LEN &&
		fuzz_all_digits(text, 17) &&
		(fuzz_all_digits(text + 17, 1) || text[17] == 'X');
}

static void
cn_id_oracle(const uint8_t *data, size_t size)
{
	const char *in = (const char *) data;
	size_t		n = size;
	CiIdentValue value;
	CiParseError err;
	char		text[CI_IDENT_BUFSIZE];
	bool		accepted;

	memset(&value, 0, sizeof(value));
	accepted = ci_parse_cn_id(in, size, &value, &err);
	oracle_trim(&in, &n);
	if (accepted)
	{
		FUZZ_ASSERT(ci_format_cn_id(&value, text) == CI_CN_ID_LEN);
		FUZZ_ASSERT(text[17] == oracle_cn_id_check(text));
		if (n == 18)
		{
			for (int i = 0; i < 18; i++)
				FUZZ_ASSERT(text[i] == oracle_upper(in[i]));
		}
		else
		{
			FUZZ_ASSERT(n == 15);
			FUZZ_ASSERT(memcmp(text, in, 6) == 0 && memcmp(text + 6, "19", 2) == 0 &&
						memcmp(text + 8, in + 6, 9) == 0);
		}
	}
	else if (err.status == CI_ERR_CHECK)
	{
		FUZZ_ASSERT(n == 18 && fuzz_all_digits(in, 17));
		FUZZ_ASSERT(oracle_upper(in[17]) != oracle_cn_id_check(in));
		FUZZ_ASSERT(err.expected == oracle_cn_id_check(in));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ident_round_trip(data, size, ci_parse_cn_id, ci_format_cn_id,
						  sizeof(int64_t), cn_id_canonical);
	cn_id_oracle(data, size);
	return 0;
}
