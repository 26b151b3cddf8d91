/*-------------------------------------------------------------------------
 *
 * parse_bank_card.c
 *	  Payment card numbers (ISO/IEC 7812): 12 to 19 digits, Luhn check.
 *
 * Spaces or hyphens between digit groups are ignored ("6222 0200 ...").
 *
 * Packed form: the digits before the Luhn digit, left-aligned to 18 digits
 * (so cards sort by issuer prefix), times 8, plus (length - 12).  The Luhn
 * digit is derived.  Numbers of different lengths with the same leading
 * digits sort shorter first; that is the only way the order differs from
 * the order of the text.
 *
 *-------------------------------------------------------------------------
 */
#include "ident_parse.h"

#include <string.h>

static const int64_t pow10_table[19] = {
	INT64_C(1), INT64_C(10), INT64_C(100), INT64_C(1000), INT64_C(10000),
	INT64_C(100000), INT64_C(1000000), INT64_C(10000000),
	INT64_C(100000000), INT64_C(1000000000), INT64_C(10000000000),
	INT64_C(100000000000), INT64_C(1000000000000),
	INT64_C(10000000000000), INT64_C(100000000000000),
	INT64_C(1000000000000000), INT64_C(10000000000000000),
	INT64_C(100000000000000000), INT64_C(1000000000000000000)
};

/* Luhn check digit for the n digits of body. */
static char
luhn_digit(const char *body, int n)
{
	int			sum = 0;
	bool		dbl = true;

	for (int i = n - 1; i >= 0; i--)
	{
		int			v = body[i] - '0';

		if (dbl)
		{
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
		dbl = !dbl;
	}
	return (char) ('0' + (10 - sum % 10) % 10);
}

bool
ci_parse_bank_card(const char *str, size_t len, CiIdentValue *result,
				   CiParseError *err)
{
	char		d[CI_BANK_CARD_MAXLEN];
	int			n = 0;
	int64_t		body = 0;
	char		check;

	memset(err, 0, sizeof(*err));
	ci_trim_space(&str, &len);

	for (size_t i = 0; i < len; i++)
	{
		char		c = str[i];

		if (c >= '0' && c <= '9')
		{
			if (n < CI_BANK_CARD_MAXLEN)
				d[n] = c;
			n++;
		}
		else if ((c == ' ' || c == '-') && n > 0 && i + 1 < len &&
				 str[i + 1] >= '0' && str[i + 1] <= '9')
			continue;
		else
		{
			err->status = CI_ERR_CHARSET;
			err->position = ci_char_position(str, i);
			err->length = (int) len;
			return false;
		}
	}
	err->length = n;

	if (n < CI_BANK_CARD_MINLEN || n > CI_BANK_CARD_MAXLEN)
	{
		err->status = CI_ERR_LENGTH;
		return false;
	}

	check = luhn_digit(d, n - 1);
	if (d[n - 1] != check)
	{
		err->status = CI_ERR_CHECK;
		err->position = n;
		err->found = d[n - 1];
		err->expected = check;
		return false;
	}

	for (int i = 0; i < n - 1; i++)
		body = body * 10 + (d[i] - '0');
	result->i64 = body * pow10_table[19 - n] * 8 + (n - CI_BANK_CARD_MINLEN);
	return true;
}

int
ci_format_bank_card(const CiIdentValue *value, char *buf)
{
	uint64_t	v = (uint64_t) value->i64;
	int			n = (int) (v % 8) + CI_BANK_CARD_MINLEN;
	uint64_t	body = v / 8 / (uint64_t) pow10_table[19 - n];

	for (int i = n - 2; i >= 0; i--)
	{
		buf[i] = (char) ('0' + body % 10);
		body /= 10;
	}
	buf[n - 1] = luhn_digit(buf, n - 1);
	buf[n] = '\0';
	return n;
}
