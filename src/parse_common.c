/*-------------------------------------------------------------------------
 *
 * parse_common.c
 *	  Helpers shared by the identifier parsers (no PostgreSQL dependency).
 *
 *-------------------------------------------------------------------------
 */
#include "ident_parse.h"

void
ci_trim_space(const char **str, size_t *len)
{
	const char *s = *str;
	size_t		n = *len;

	while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
	{
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
					 s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	*str = s;
	*len = n;
}

int
ci_char_position(const char *str, size_t i)
{
	int			pos = 1;

	for (size_t k = 0; k < i; k++)
		if (((unsigned char) str[k] & 0xC0) != 0x80)
			pos++;
	return pos;
}
