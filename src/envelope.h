/*-------------------------------------------------------------------------
 *
 * envelope.h
 *	  Authenticated encryption of field values, key derivation and blind
 *	  indexes, through OpenSSL's EVP interface.
 *
 * No PostgreSQL dependency: keys.c and protect.c supply keys and turn
 * failures into errors, and a fuzz target can open arbitrary envelopes.
 *
 * Envelope (all integers big-endian):
 *	0		format version (CI_ENVELOPE_VERSION)
 *	1		suite (CiSuite)
 *	2..5	data key id
 *	6..17	nonce, 96 bits
 *	18..	ciphertext, as long as the plaintext
 *	last 16	tag
 * The header (bytes 0..17) is authenticated with the caller's associated
 * data, so a changed version, suite, key id or nonce fails like a changed
 * ciphertext.
 *
 * Suites:
 *	AES-256-GCM			the default
 *	SM4-CTR + HMAC-SM3	the national suite (GB/T 39786): encrypt-then-MAC;
 *						the 32-byte key is split by HKDF-SM3 into an SM4
 *						key and an HMAC-SM3 key; the tag is the first 16
 *						bytes of HMAC-SM3(header || aad length || aad ||
 *						ciphertext), compared in constant time.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CI_ENVELOPE_H
#define CI_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CI_ENVELOPE_VERSION		1
#define CI_KEY_LEN				32
#define CI_NONCE_LEN			12
#define CI_TAG_LEN				16
#define CI_ENVELOPE_HEADER_LEN	(2 + 4 + CI_NONCE_LEN)
#define CI_ENVELOPE_OVERHEAD	(CI_ENVELOPE_HEADER_LEN + CI_TAG_LEN)
#define CI_BLIND_INDEX_LEN		32

typedef enum CiSuite
{
	CI_SUITE_AES_GCM = 1,
	CI_SUITE_SM4_SM3 = 2
} CiSuite;

/* Results of ci_envelope_open(), for precise error messages. */
typedef enum CiOpenStatus
{
	CI_OPEN_OK = 0,
	CI_OPEN_TOO_SHORT,			/* shorter than header + tag */
	CI_OPEN_BAD_VERSION,		/* unknown format version */
	CI_OPEN_BAD_SUITE,			/* unknown suite */
	CI_OPEN_AUTH_FAILED,		/* tag mismatch: tampered, moved or wrong key */
	CI_OPEN_CRYPTO_ERROR		/* OpenSSL failed */
} CiOpenStatus;

typedef struct CiEnvelopeHeader
{
	int			version;
	CiSuite		suite;
	uint32_t	key_id;
} CiEnvelopeHeader;

extern bool ci_suite_valid(int suite);

/* Fill buf with len bytes from OpenSSL's CSPRNG; false if it failed. */
extern bool ci_random_bytes(uint8_t *buf, size_t len);
/* Wipe the keyed contexts and subkeys kept for speed. */
extern void ci_envelope_forget_keys(void);

/*
 * Encrypt pt under key (CI_KEY_LEN bytes) into out, which must hold
 * CI_ENVELOPE_OVERHEAD + ptlen bytes.  False if OpenSSL failed.
 */
extern bool ci_envelope_seal(CiSuite suite, uint32_t key_id,
							 const uint8_t *key,
							 const uint8_t *aad, size_t aadlen,
							 const uint8_t *pt, size_t ptlen, uint8_t *out);

/* Read the header of env without authenticating it. */
extern CiOpenStatus ci_envelope_header(const uint8_t *env, size_t envlen,
									   CiEnvelopeHeader *header);

/*
 * Authenticate and decrypt env under key into pt (envlen -
 * CI_ENVELOPE_OVERHEAD bytes).  Nothing is written to pt unless the
 * envelope is authentic.
 */
extern CiOpenStatus ci_envelope_open(const uint8_t *key,
									 const uint8_t *aad, size_t aadlen,
									 const uint8_t *env, size_t envlen,
									 uint8_t *pt);

/*
 * Base64 (RFC 4648, with padding) of the stored text form.  Encoding
 * writes CI_B64_ENC_LEN(len) bytes; decoding returns the number of bytes
 * written (at most 3 * len / 4) or -1 for anything but canonical base64.
 */
#define CI_B64_ENC_LEN(len)	(((len) + 2) / 3 * 4)
extern size_t ci_b64_encode(const uint8_t *src, size_t len, char *dst);
extern long ci_b64_decode(const char *src, size_t len, uint8_t *dst);

/* HKDF (RFC 5869) with SHA-256, or SM3 for the national suite. */
extern bool ci_hkdf(CiSuite suite, const uint8_t *ikm, size_t ikmlen,
					const uint8_t *info, size_t infolen,
					uint8_t *out, size_t outlen);

/* Keyed blind index: HMAC-SHA256, or HMAC-SM3 for the national suite. */
extern bool ci_blind_index(CiSuite suite, const uint8_t *key,
						   const uint8_t *msg, size_t len,
						   uint8_t *out);

#endif							/* CI_ENVELOPE_H */
