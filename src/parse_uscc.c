/*-------------------------------------------------------------------------
 *
 * parse_uscc.c
 *	  Unified social credit codes, GB 32100-2015.
 *
 * Layout of the 18 characters, each from a 31-character alphabet (digits
 * and capital letters except I, O, S, V and Z):
 *	1		registration authority
 *	2		organisation type
 *	3-8		administrative division code (digits)
 *	9-17	organisation code, GB 11714: 8 characters and a MOD 11 check
 *	18		check character, MOD 31 over characters 1-17
 *
 * Packed form: the first 16 characters (17 and 18 are derived) as a 70-bit
 * number, fields (1,2) in 10 bits, (3-8) in 20 bits, (9-16) in 40 bits,
 * stored big-endian in 9 bytes so that memcmp() orders like the text.
 *
 *-------------------------------------------------------------------------
 */
#include "ident_parse.h"

#include <string.h>

static const char uscc_alphabet[31] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* Weights 3^(i-1) mod 31 for characters 1..17. */
static const int uscc_weights[17] = {
	1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
};

/* GB 11714 weights for the 8 body characters of the organisation code. */
static const int orgcode_weights[8] = {3, 7, 9, 10, 5, 8, 4, 2};

/* Index of c in uscc_alphabet (lowercase accepted), or -1. */
static int
uscc_index(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		c = (char) (c - 'a' + 'A');
	for (int i = 10; i < 31; i++)
		if (uscc_alphabet[i] == c)
			return i;
	return -1;
}

/*
 * GB 11714 gives letters the values A=10 ... Z=35, which differs from their
 * index in the USCC alphabet (I, O, S, V, Z are skipped there).
 */
static int
orgcode_value(int uscc_idx)
{
	char		c = uscc_alphabet[uscc_idx];

	return (c <= '9') ? c - '0' : c - 'A' + 10;
}

static char
orgcode_check(const int *idx)
{
	int			sum = 0;
	int			c;

	for (int i = 0; i < 8; i++)
		sum += orgcode_value(idx[8 + i]) * orgcode_weights[i];
	c = 11 - sum % 11;
	if (c == 10)
		return 'X';
	if (c == 11)
		return '0';
	return (char) ('0' + c);
}

static int
uscc_check_index(const int *idx)
{
	int			sum = 0;

	for (int i = 0; i < 17; i++)
		sum += idx[i] * uscc_weights[i];
	return (31 - sum % 31) % 31;
}

static void
uscc_pack(const int *idx, uint8_t *out)
{
	uint64_t	hi = (uint64_t) (idx[0] * 31 + idx[1]);
	uint64_t	region = 0;
	uint64_t	body = 0;
	uint64_t	lo;

	for (int i = 2; i < 8; i++)
		region = region * 10 + (uint64_t) idx[i];
	for (int i = 8; i < 16; i++)
		body = body * 31 + (uint64_t) idx[i];
	lo = (region << 40) | body;

	out[0] = (uint8_t) (hi >> 4);
	out[1] = (uint8_t) (((hi & 0xF) << 4) | (lo >> 56));
	for (int i = 2; i < CI_USCC_PACKED_LEN; i++)
		out[i] = (uint8_t) (lo >> (8 * (CI_USCC_PACKED_LEN - 1 - i)));
}

bool
ci_parse_uscc(const char *str, size_t len, CiIdentValue *result,
			  CiParseError *err)
{
	int			idx[CI_USCC_LEN];
	char		check;

	memset(err, 0, sizeof(*err));
	ci_trim_space(&str, &len);
	err->length = (int) len;

	for (size_t i = 0; i < len; i++)
	{
		if (uscc_index(str[i]) < 0)
		{
			err->status = CI_ERR_CHARSET;
			err->position = ci_char_position(str, i);
			return false;
		}
	}
	if (len != CI_USCC_LEN)
	{
		err->status = CI_ERR_LENGTH;
		return false;
	}
	for (int i = 0; i < CI_USCC_LEN; i++)
		idx[i] = uscc_index(str[i]);
	for (int i = 2; i < 8; i++)
	{
		if (idx[i] > 9)
		{
			err->status = CI_ERR_REGION_DIGIT;
			err->position = i + 1;
			return false;
		}
	}

	check = orgcode_check(idx);
	if (uscc_alphabet[idx[16]] != check)
	{
		err->status = CI_ERR_ORG_CHECK;
		err->position = 17;
		err->found = uscc_alphabet[idx[16]];
		err->expected = check;
		return false;
	}

	check = uscc_alphabet[uscc_check_index(idx)];
	if (uscc_alphabet[idx[17]] != check)
	{
		err->status = CI_ERR_CHECK;
		err->position = 18;
		err->found = uscc_alphabet[idx[17]];
		err->expected = check;
		return false;
	}

	uscc_pack(idx, result->bytes);
	return true;
}

int
ci_format_uscc(const CiIdentValue *value, char *buf)
{
	const uint8_t *packed = value->bytes;
	int			idx[CI_USCC_LEN];
	uint64_t	hi = ((uint64_t) packed[0] << 4) | (packed[1] >> 4);
	uint64_t	lo = (uint64_t) (packed[1] & 0xF);
	uint64_t	region,
				body;
	char		oc;

	for (int i = 2; i < CI_USCC_PACKED_LEN; i++)
		lo = (lo << 8) | packed[i];
	region = lo >> 40;
	body = lo & ((UINT64_C(1) << 40) - 1);

	/* Values from ci_parse_uscc() are in range; clamp anything else. */
	idx[0] = (int) (hi / 31 % 31);
	idx[1] = (int) (hi % 31);
	for (int i = 7; i >= 2; i--)
	{
		idx[i] = (int) (region % 10);
		region /= 10;
	}
	for (int i = 15; i >= 8; i--)
	{
		idx[i] = (int) (body % 31);
		body /= 31;
	}
	oc = orgcode_check(idx);
	idx[16] = uscc_index(oc);
	idx[17] = uscc_check_index(idx);

	for (int i = 0; i < CI_USCC_LEN; i++)
		buf[i] = uscc_alphabet[idx[i]];
	buf[CI_USCC_LEN] = '\0';
	return CI_USCC_LEN;
}
