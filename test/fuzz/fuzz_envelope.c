/*-------------------------------------------------------------------------
 *
 * fuzz_envelope.c
 *	  Stored envelopes as an attacker could write them: arbitrary text in
 *	  a protected column, arbitrary bytes after base64 decoding.
 *
 * Properties: ci_b64_decode() accepts only canonical base64 (what it
 * decodes encodes back to the input); ci_envelope_header() and
 * ci_envelope_open() never read out of bounds and never accept a forgery
 * (nothing here knows the key, so every open must fail) and never write
 * plaintext for a failed open.
 *
 *-------------------------------------------------------------------------
 */
#include "fuzz.h"

#include <string.h>

#include "envelope.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[CI_KEY_LEN] = {1, 2, 3};
	uint8_t    *decoded = malloc(size / 4 * 3 + 3);
	uint8_t    *pt = malloc(size + 1);
	char	   *again = malloc(CI_B64_ENC_LEN(size) + 1);
	long		n = ci_b64_decode((const char *) data, size, decoded);
	CiEnvelopeHeader header;

	if (n >= 0)
	{
		size_t		m = ci_b64_encode(decoded, (size_t) n, again);

		FUZZ_ASSERT(m == size && memcmp(again, data, size) == 0);
	}

	/* the raw bytes as an envelope: never opens under a key it was not made with */
	memset(pt, 0xAA, size + 1);
	if (ci_envelope_header(data, size, &header) == CI_OPEN_OK)
		FUZZ_ASSERT(size >= CI_ENVELOPE_OVERHEAD);
	FUZZ_ASSERT(ci_envelope_open(key, data, size > 8 ? 8 : size, data, size, pt) != CI_OPEN_OK);
	for (size_t i = 0; i < size; i++)
		FUZZ_ASSERT(pt[i] == 0xAA || pt[i] == 0);

	free(decoded);
	free(pt);
	free(again);
	return 0;
}
