/*-------------------------------------------------------------------------
 *
 * fuzz.h
 *	  What every fuzz target under test/fuzz needs.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CI_FUZZ_H
#define CI_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Crash, so that libFuzzer reports the input, when a property fails. */
#define FUZZ_ASSERT(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "%s:%d: property failed: %s\n", \
					__FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

extern int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif							/* CI_FUZZ_H */
