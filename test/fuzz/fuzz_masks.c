/*-------------------------------------------------------------------------
 *
 * fuzz_masks.c
 *	  libFuzzer target for the display masks of mask_core.c.
 *
 * The first input byte chooses the parameters of ci_mask_keep (head in its
 * low three bits, tail in the next three, max_stars in the top two, 0 for
 * no limit); the rest is the value given to all four masks.  Each mask
 * writes into a heap buffer of exactly CI_MASK_BUFSIZE(len) bytes, so that
 * AddressSanitizer catches a write past the documented bound.  The output
 * must be NUL-terminated inside the buffer, contain no byte below 0x20
 * (control characters become '?'), and be valid UTF-8 if the input was.
 *
 *-------------------------------------------------------------------------
 */
#include "fuzz.h"
#include "mask_core.h"

#include <stdbool.h>
#include <string.h>

/*
 * Is s[0..len) well-formed UTF-8 (RFC 3629: shortest form, no surrogates,
 * nothing past U+10FFFF)?
 */
static bool
utf8_valid(const unsigned char *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		unsigned char c = s[i];
		unsigned char lo = 0x80;	/* range of the second byte */
		unsigned char hi = 0xBF;
		size_t		ncont;

		if (c < 0x80)
		{
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			ncont = 1;
		else if (c >= 0xE0 && c <= 0xEF)
		{
			ncont = 2;
			if (c == 0xE0)
				lo = 0xA0;		/* no overlong forms */
			else if (c == 0xED)
				hi = 0x9F;		/* no surrogates */
		}
		else if (c >= 0xF0 && c <= 0xF4)
		{
			ncont = 3;
			if (c == 0xF0)
				lo = 0x90;		/* no overlong forms */
			else if (c == 0xF4)
				hi = 0x8F;		/* nothing past U+10FFFF */
		}
		else
			return false;

		if (len - i - 1 < ncont || s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k <= ncont; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
		i += ncont + 1;
	}
	return true;
}

/* Check what a mask wrote into out (bufsize bytes) and returned. */
static void
check_output(const char *out, size_t ret, size_t bufsize, bool input_utf8)
{
	FUZZ_ASSERT(ret < bufsize);
	FUZZ_ASSERT(out[ret] == '\0');
	for (size_t i = 0; i < ret; i++)
		FUZZ_ASSERT((unsigned char) out[i] >= 0x20);
	if (input_utf8)
		FUZZ_ASSERT(utf8_valid((const unsigned char *) out, ret));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s;
	size_t		len;
	size_t		bufsize;
	char	   *out;
	int			head,
				tail,
				max_stars;
	bool		input_utf8;

	if (size < 1)
		return 0;
	head = data[0] & 0x07;
	tail = (data[0] >> 3) & 0x07;
	max_stars = data[0] >> 6;
	s = (const char *) data + 1;
	len = size - 1;
	input_utf8 = utf8_valid(data + 1, len);

	bufsize = CI_MASK_BUFSIZE(len);
	out = malloc(bufsize);
	if (out == NULL)
		abort();

	/* Fill with a non-NUL byte so that a missing terminator shows. */
	memset(out, 'U', bufsize);
	check_output(out, ci_mask_keep(s, len, head, tail, max_stars, out),
				 bufsize, input_utf8);
	memset(out, 'U', bufsize);
	check_output(out, ci_mask_name(s, len, out), bufsize, input_utf8);
	memset(out, 'U', bufsize);
	check_output(out, ci_mask_email(s, len, out), bufsize, input_utf8);
	memset(out, 'U', bufsize);
	check_output(out, ci_mask_address(s, len, out), bufsize, input_utf8);

	free(out);
	return 0;
}
