/*-------------------------------------------------------------------------
 *
 * parse_cn_mobile.c
 *	  Mainland China mobile numbers.
 *
 * Eleven digits starting 13 to 19 (the numbering plan of the Ministry of
 * Industry and Information Technology).  A country prefix +86, 0086 or 86
 * is accepted and dropped, and spaces or hyphens between digit groups are
 * ignored: "+86 138-0013-8000" is stored as 13800138000.
 *
 *-------------------------------------------------------------------------
 */
#include "ident_parse.h"

#include <string.h>

bool
ci_parse_cn_mobile(const char *str, size_t len, CiIdentValue *result,
				   CiParseError *err)
{
	char		d[24];
	int			n = 0;
	size_t		i = 0;
	bool		plus = false;
	int64_t		v = 0;

	memset(err, 0, sizeof(*err));
	ci_trim_space(&str, &len);

	if (len > 0 && str[0] == '+')
	{
		plus = true;
		i = 1;
	}

	/* Collect digits, allowing single separators between them. */
	for (; i < len; i++)
	{
		char		c = str[i];

		if (c >= '0' && c <= '9')
		{
			if (n < (int) sizeof(d))
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

	/* Strip a country code: +86, 0086 or 86 in front of 11 digits. */
	if (plus)
	{
		if (n < 2 || d[0] != '8' || d[1] != '6')
		{
			err->status = CI_ERR_COUNTRY;
			return false;
		}
		memmove(d, d + 2, sizeof(d) - 2);
		n -= 2;
	}
	else if (n == 15 && memcmp(d, "0086", 4) == 0)
	{
		memmove(d, d + 4, sizeof(d) - 4);
		n -= 4;
	}
	else if (n == 13 && d[0] == '8' && d[1] == '6')
	{
		memmove(d, d + 2, sizeof(d) - 2);
		n -= 2;
	}

	if (n != CI_CN_MOBILE_LEN)
	{
		err->status = CI_ERR_LENGTH;
		err->length = n;
		return false;
	}
	if (d[0] != '1' || d[1] < '3')
	{
		err->status = CI_ERR_PREFIX;
		err->position = 1;
		return false;
	}

	for (int k = 0; k < CI_CN_MOBILE_LEN; k++)
		v = v * 10 + (d[k] - '0');
	result->i64 = v;
	return true;
}

int
ci_format_cn_mobile(const CiIdentValue *value, char *buf)
{
	uint64_t	v = (uint64_t) value->i64;

	for (int i = CI_CN_MOBILE_LEN - 1; i >= 0; i--)
	{
		buf[i] = (char) ('0' + v % 10);
		v /= 10;
	}
	buf[CI_CN_MOBILE_LEN] = '\0';
	return CI_CN_MOBILE_LEN;
}
