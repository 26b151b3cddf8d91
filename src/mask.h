/*-------------------------------------------------------------------------
 *
 * mask.h
 *	  Masks of values in the database encoding (mask.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CI_MASK_H
#define CI_MASK_H

#include "postgres.h"

/* Keep the first head and last tail characters; see ci_mask_keep(). */
extern text *ci_mask_keep_text(const char *str, size_t len, int head,
							   int tail, int max_stars);

/* A mask_core.h mask applied to a value in the database encoding. */
extern text *ci_mask_apply_text(size_t (*mask) (const char *s, size_t len, char *out),
								const char *str, size_t len);

#endif							/* CI_MASK_H */
