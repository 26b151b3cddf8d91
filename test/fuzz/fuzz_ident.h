/*-------------------------------------------------------------------------
 *
 * fuzz_ident.h
 *	  Round-trip property shared by the identifier fuzz targets.
 *
 * Every parser in ident_parse.h either accepts a string, giving a packed
 * value whose canonical text is well formed, parses back to the same packed
 * value and formats to the same text again; or it refuses the string with a
 * status other than CI_OK.  Each target supplies its parser and formatter,
 * the number of significant bytes in its packed value and a check of the
 * length and characters of its canonical text.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CI_FUZZ_IDENT_H
#define CI_FUZZ_IDENT_H

#include "fuzz.h"
#include "ident_parse.h"

#include <string.h>

/* Is text (len bytes) a well-formed canonical value of the target's type? */
typedef bool (*CiCanonicalCheck) (const char *text, int len);

static inline void
fuzz_ident_round_trip(const uint8_t *data, size_t size,
					  CiParseFunc parse, CiFormatFunc format,
					  size_t packed_len, CiCanonicalCheck canonical_ok)
{
	CiIdentValue value;
	CiIdentValue again;
	CiParseError err;
	char		text[CI_IDENT_BUFSIZE];
	char		text2[CI_IDENT_BUFSIZE];
	int			len;

	memset(&value, 0, sizeof(value));
	memset(&again, 0, sizeof(again));

	if (!parse((const char *) data, size, &value, &err))
	{
		FUZZ_ASSERT(err.status != CI_OK);
		return;
	}
	FUZZ_ASSERT(err.status == CI_OK);

	len = format(&value, text);
	FUZZ_ASSERT(len > 0 && len < CI_IDENT_BUFSIZE);
	FUZZ_ASSERT(text[len] == '\0');
	FUZZ_ASSERT(canonical_ok(text, len));

	FUZZ_ASSERT(parse(text, (size_t) len, &again, &err));
	FUZZ_ASSERT(memcmp(&value, &again, packed_len) == 0);

	FUZZ_ASSERT(format(&again, text2) == len);
	FUZZ_ASSERT(memcmp(text, text2, (size_t) len + 1) == 0);
}

/* Are the n bytes at s all ASCII digits? */
static inline bool
fuzz_all_digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

#endif							/* CI_FUZZ_IDENT_H */
