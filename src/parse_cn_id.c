/*-------------------------------------------------------------------------
 *
 * parse_cn_id.c
 *	  Resident identity card numbers, GB 11643-1999.
 *
 * Layout of the 18 characters:
 *	1-6		administrative division code of the place of registration
 *	7-14	birth date YYYYMMDD
 *	15-17	sequence code; the 17th is odd for men, even for women
 *	18		ISO 7064 MOD 11-2 check character, 0-9 or X
 *
 * The legacy 15-digit numbers (before 1999) have a two-digit year, always
 * 19xx, and no check character; they are converted on input.  Residence
 * permits for Hong Kong, Macau and Taiwan residents use the same layout with
 * division codes 810000, 820000 and 830000.
 *
 *-------------------------------------------------------------------------
 */
#include "ident_parse.h"

#include <string.h>

/* Weights 2^(17-i) mod 11 of ISO 7064 MOD 11-2, for characters 1..17. */
static const int cn_id_weights[17] = {
	7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2
};

/* Check character for (sum mod 11). */
static const char cn_id_check_chars[11] = {
	'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'
};

static bool
is_leap_year(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int
days_in_month(int year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (month == 2 && is_leap_year(year))
		return 29;
	return days[month - 1];
}

/*
 * Is the two-digit province code one GB/T 2260 assigns, or one of the
 * residence-permit codes 81/82/83 (which must be followed by 0000)?
 * Taiwan's 71 is a division code but no resident ID numbers carry it.
 */
static bool
cn_id_region_ok(const char *d)
{
	int			p = (d[0] - '0') * 10 + (d[1] - '0');

	switch (p)
	{
		case 11: case 12: case 13: case 14: case 15:
		case 21: case 22: case 23:
		case 31: case 32: case 33: case 34: case 35: case 36: case 37:
		case 41: case 42: case 43: case 44: case 45: case 46:
		case 50: case 51: case 52: case 53: case 54:
		case 61: case 62: case 63: case 64: case 65:
			return true;
		case 81: case 82: case 83:
			return memcmp(d + 2, "0000", 4) == 0;
		default:
			return false;
	}
}

char
ci_cn_id_check_char(const char *digits17)
{
	int			sum = 0;

	for (int i = 0; i < 17; i++)
		sum += (digits17[i] - '0') * cn_id_weights[i];
	return cn_id_check_chars[sum % 11];
}

/*
 * Parse a resident ID number.  On success store the packed value (the first
 * 17 digits as an integer) and return true; otherwise fill *err.
 */
bool
ci_parse_cn_id(const char *str, size_t len, CiIdentValue *result,
			   CiParseError *err)
{
	char		d[CI_CN_ID_LEN];
	int			year,
				month,
				day;
	char		check;
	int64_t		v = 0;

	memset(err, 0, sizeof(*err));
	ci_trim_space(&str, &len);
	err->length = (int) len;

	/* Foreign characters first: "１１０…" is a character error, not a length. */
	for (size_t i = 0; i < len; i++)
	{
		if (!((str[i] >= '0' && str[i] <= '9') || str[i] == 'X' || str[i] == 'x'))
		{
			err->status = CI_ERR_CHARSET;
			err->position = ci_char_position(str, i);
			return false;
		}
	}

	if (len == 15)
	{
		/* Legacy format: all digits, two-digit year in 19xx. */
		for (size_t i = 0; i < 15; i++)
		{
			if (str[i] < '0' || str[i] > '9')
			{
				err->status = CI_ERR_CHARSET;
				err->position = (int) i + 1;
				return false;
			}
		}
		memcpy(d, str, 6);
		d[6] = '1';
		d[7] = '9';
		memcpy(d + 8, str + 6, 9);
		d[17] = ci_cn_id_check_char(d);
	}
	else if (len == CI_CN_ID_LEN)
	{
		for (int i = 0; i < 17; i++)
		{
			if (str[i] < '0' || str[i] > '9')
			{
				err->status = CI_ERR_CHARSET;
				err->position = i + 1;
				return false;
			}
		}
		check = str[17];
		if (check == 'x')
			check = 'X';
		if (!((check >= '0' && check <= '9') || check == 'X'))
		{
			err->status = CI_ERR_CHARSET;
			err->position = 18;
			return false;
		}
		memcpy(d, str, 17);
		d[17] = check;
	}
	else
	{
		err->status = CI_ERR_LENGTH;
		return false;
	}

	if (!cn_id_region_ok(d))
	{
		err->status = CI_ERR_REGION;
		err->position = 1;
		return false;
	}

	year = (d[6] - '0') * 1000 + (d[7] - '0') * 100 + (d[8] - '0') * 10 + (d[9] - '0');
	month = (d[10] - '0') * 10 + (d[11] - '0');
	day = (d[12] - '0') * 10 + (d[13] - '0');
	if (year < CI_CN_ID_MIN_YEAR || year > CI_CN_ID_MAX_YEAR)
	{
		err->status = CI_ERR_YEAR;
		err->position = 7;
		return false;
	}
	if (month < 1 || month > 12)
	{
		err->status = CI_ERR_MONTH;
		err->position = 11;
		return false;
	}
	if (day < 1 || day > days_in_month(year, month))
	{
		err->status = CI_ERR_DAY;
		err->position = 13;
		return false;
	}

	check = ci_cn_id_check_char(d);
	if (d[17] != check)
	{
		err->status = CI_ERR_CHECK;
		err->position = 18;
		err->found = d[17];
		err->expected = check;
		return false;
	}

	for (int i = 0; i < 17; i++)
		v = v * 10 + (d[i] - '0');
	result->i64 = v;
	return true;
}

int
ci_format_cn_id(const CiIdentValue *value, char *buf)
{
	uint64_t	v = (uint64_t) value->i64;

	for (int i = 16; i >= 0; i--)
	{
		buf[i] = (char) ('0' + v % 10);
		v /= 10;
	}
	buf[17] = ci_cn_id_check_char(buf);
	buf[18] = '\0';
	return CI_CN_ID_LEN;
}

/* Birth date of a packed (hence valid) ID number. */
void
ci_cn_id_birth(int64_t packed, int *year, int *month, int *day)
{
	/* digits 7-14 of 17: drop the 3-digit sequence, keep 8 digits */
	int64_t		ymd = (packed / 1000) % 100000000;

	*year = (int) (ymd / 10000);
	*month = (int) (ymd / 100 % 100);
	*day = (int) (ymd % 100);
}
