/*-------------------------------------------------------------------------
 *
 * mask_core.h
 *	  Display masks for personal data, on UTF-8 byte strings.
 *
 * Like ident_parse.h this layer has no PostgreSQL dependency so that the
 * fuzz targets can drive it directly; mask.c wraps it for SQL.  Every
 * function writes at most CI_MASK_BUFSIZE(len) bytes, NUL included, and
 * returns the number of bytes written before the NUL.  Invalid UTF-8 is
 * treated byte by byte; ASCII control characters in a kept part become '?'.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CI_MASK_CORE_H
#define CI_MASK_CORE_H

#include <stddef.h>

/* Output bound for an input of len bytes (the widest mask adds "***@"). */
#define CI_MASK_BUFSIZE(len)	((len) + 8)

extern size_t ci_mask_keep(const char *s, size_t len, int head, int tail,
						   int max_stars, char *out);
extern size_t ci_mask_name(const char *s, size_t len, char *out);
extern size_t ci_mask_email(const char *s, size_t len, char *out);
extern size_t ci_mask_address(const char *s, size_t len, char *out);

#endif							/* CI_MASK_CORE_H */
