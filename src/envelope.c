/*-------------------------------------------------------------------------
 *
 * envelope.c
 *	  Authenticated encryption of field values, key derivation and blind
 *	  indexes; see envelope.h for the formats.
 *
 * Speed matters here (every protected write and every reveal passes
 * through), so the algorithm objects are fetched once per process and the
 * cipher and MAC contexts are reused across calls: each call re-initialises
 * them completely, so a call that failed half-way (or an error raised by
 * the caller between calls) cannot leave state behind that a later call
 * would use.  They live as long as the process, like pgcrypto's digest
 * providers, and hold no key between calls longer than the next call.
 *
 * Nonces are 96 random bits, taken from a buffer that OpenSSL's CSPRNG
 * fills 4 kB at a time.  A fork handler empties the buffer in the child, so
 * a process forked with a partly used buffer (the postmaster never fills
 * one, but other code might fork) cannot hand out the bytes its parent
 * does.  (Checking getpid() per nonce would cost a system call per value.)  With random nonces, the probability that two
 * of 2^32 encryptions under one key share a nonce is below 2^-32 (NIST SP
 * 800-38D, 8.3); keys are rotated long before that many values.
 *
 *-------------------------------------------------------------------------
 */
#include "envelope.h"

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#define NONCE_BUFFER_SIZE	4096

static uint8_t nonce_buffer[NONCE_BUFFER_SIZE];
static size_t nonce_used = NONCE_BUFFER_SIZE;	/* empty */

static EVP_CIPHER *aes_gcm;
static EVP_CIPHER *sm4_ctr;
static EVP_MAC *hmac;
static EVP_KDF *hkdf;
static EVP_MAC_CTX *mac_ctx;

/*
 * Keyed cipher contexts, one per (cipher, direction, key) recently used,
 * so that operations that alternate between a few keys (the columns of a
 * row) skip the key schedule; cipher_init() points cipher_ctx at the one
 * in use.  And the SM suite's subkeys of the last key, so that HKDF runs
 * once per key rather than once per value.
 */
#define CIPHER_SLOTS 8

typedef struct CipherSlot
{
	EVP_CIPHER_CTX *ctx;
	const EVP_CIPHER *cipher;	/* NULL: not keyed */
	int			encrypting;
	uint64_t	hint;			/* the key's first bytes: a quick mismatch */
	uint8_t		key[CI_KEY_LEN];
} CipherSlot;

static CipherSlot cipher_slots[CIPHER_SLOTS];
static int	cipher_next = 0;
static EVP_CIPHER_CTX *cipher_ctx;
static int	mac_suite;			/* digest mac_ctx is set up for, or 0 */
static bool sm_cached;
static uint8_t sm_key[CI_KEY_LEN];
static uint8_t sm_enc_key[16];
static uint8_t sm_mac_key[32];

bool
ci_suite_valid(int suite)
{
	return suite == CI_SUITE_AES_GCM || suite == CI_SUITE_SM4_SM3;
}

/* In a forked child: forget the parent's nonces. */
static void
nonce_buffer_reset(void)
{
	OPENSSL_cleanse(nonce_buffer, sizeof(nonce_buffer));
	nonce_used = NONCE_BUFFER_SIZE;
}

/* Fetch the algorithms and allocate the contexts, once per process. */
static bool
crypto_init(void)
{
	static bool atfork_done = false;

	if (mac_ctx != NULL)
		return true;
	if (!atfork_done)
	{
		if (pthread_atfork(NULL, NULL, nonce_buffer_reset) != 0)
			return false;
		atfork_done = true;
	}
	if (aes_gcm == NULL)
		aes_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	if (sm4_ctr == NULL)
		sm4_ctr = EVP_CIPHER_fetch(NULL, "SM4-CTR", NULL);
	if (hmac == NULL)
		hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (hkdf == NULL)
		hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	for (int i = 0; i < CIPHER_SLOTS; i++)
	{
		if (cipher_slots[i].ctx == NULL)
			cipher_slots[i].ctx = EVP_CIPHER_CTX_new();
		if (cipher_slots[i].ctx == NULL)
			return false;
	}
	if (aes_gcm == NULL || sm4_ctr == NULL || hmac == NULL || hkdf == NULL)
		return false;
	mac_ctx = EVP_MAC_CTX_new(hmac);
	return mac_ctx != NULL;
}

bool
ci_random_bytes(uint8_t *buf, size_t len)
{
	return RAND_bytes(buf, (int) len) == 1;
}

static bool
next_nonce(uint8_t *nonce)
{
	if (nonce_used + CI_NONCE_LEN > NONCE_BUFFER_SIZE)
	{
		if (RAND_bytes(nonce_buffer, NONCE_BUFFER_SIZE) != 1)
			return false;
		nonce_used = 0;
	}
	memcpy(nonce, nonce_buffer + nonce_used, CI_NONCE_LEN);
	/* a nonce leaves the buffer once */
	OPENSSL_cleanse(nonce_buffer + nonce_used, CI_NONCE_LEN);
	nonce_used += CI_NONCE_LEN;
	return true;
}

static const char *
suite_digest(CiSuite suite)
{
	return suite == CI_SUITE_SM4_SM3 ? "SM3" : "SHA256";
}

bool
ci_hkdf(CiSuite suite, const uint8_t *ikm, size_t ikmlen,
		const uint8_t *info, size_t infolen, uint8_t *out, size_t outlen)
{
	EVP_KDF_CTX *kctx;
	OSSL_PARAM	params[4];
	bool		ok;

	if (!crypto_init())
		return false;
	kctx = EVP_KDF_CTX_new(hkdf);
	if (kctx == NULL)
		return false;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
												 (char *) suite_digest(suite), 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
												  (void *) ikm, ikmlen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
												  (void *) info, infolen);
	params[3] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(kctx, out, outlen, params) == 1;
	EVP_KDF_CTX_free(kctx);
	return ok;
}

/* HMAC over up to three pieces (NULL pieces are skipped). */
static bool
hmac_parts(CiSuite suite, const uint8_t *key, size_t keylen,
		   const uint8_t *p1, size_t l1, const uint8_t *p2, size_t l2,
		   const uint8_t *p3, size_t l3, uint8_t *out, size_t outlen)
{
	OSSL_PARAM	params[2];
	uint8_t		full[EVP_MAX_MD_SIZE];
	size_t		fulllen = 0;
	bool		ok;

	/* name the digest only when it changes: the lookup is not free */
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
												 (char *) suite_digest(suite), 0);
	params[1] = OSSL_PARAM_construct_end();
	if (mac_suite != (int) suite)
	{
		mac_suite = 0;
		if (EVP_MAC_CTX_set_params(mac_ctx, params) != 1)
			return false;
		mac_suite = (int) suite;
	}
	ok = EVP_MAC_init(mac_ctx, key, keylen, NULL) == 1 &&
		(p1 == NULL || EVP_MAC_update(mac_ctx, p1, l1) == 1) &&
		(p2 == NULL || EVP_MAC_update(mac_ctx, p2, l2) == 1) &&
		(p3 == NULL || EVP_MAC_update(mac_ctx, p3, l3) == 1) &&
		EVP_MAC_final(mac_ctx, full, &fulllen, sizeof(full)) == 1 &&
		fulllen >= outlen;
	if (ok)
		memcpy(out, full, outlen);
	OPENSSL_cleanse(full, sizeof(full));
	return ok;
}

bool
ci_blind_index(CiSuite suite, const uint8_t *key, const uint8_t *msg,
			   size_t len, uint8_t *out)
{
	if (!crypto_init())
		return false;
	return hmac_parts(suite, key, CI_KEY_LEN, msg, len, NULL, 0, NULL, 0,
					  out, CI_BLIND_INDEX_LEN);
}

/*
 * Point cipher_ctx at a context keyed for cipher and direction with key
 * (keying the least recently keyed one if none is), and set the IV.  Key
 * and IV lengths are the cipher's.
 */
static bool
cipher_init(const EVP_CIPHER *cipher, int enc, const uint8_t *key,
			size_t keylen, const uint8_t *iv, const OSSL_PARAM *params)
{
	CipherSlot *slot;
	uint64_t	hint;

	memcpy(&hint, key, sizeof(hint));
	for (int i = 0; i < CIPHER_SLOTS; i++)
	{
		slot = &cipher_slots[i];
		if (slot->cipher == cipher && slot->encrypting == enc && slot->hint == hint &&
			CRYPTO_memcmp(slot->key, key, keylen) == 0)
		{
			cipher_ctx = slot->ctx;
			return EVP_CipherInit_ex2(cipher_ctx, NULL, NULL, iv, enc, params) == 1;
		}
	}
	slot = &cipher_slots[cipher_next];
	cipher_next = (cipher_next + 1) % CIPHER_SLOTS;
	slot->cipher = NULL;
	OPENSSL_cleanse(slot->key, sizeof(slot->key));
	cipher_ctx = slot->ctx;
	if (EVP_CipherInit_ex2(cipher_ctx, cipher, key, iv, enc, params) != 1)
		return false;
	slot->cipher = cipher;
	slot->encrypting = enc;
	slot->hint = hint;
	memcpy(slot->key, key, keylen);
	return true;
}

/*
 * Forget every key held for speed: the keyed cipher contexts and the SM
 * suite's subkeys (when the data keys change, and they are wiped).
 */
void
ci_envelope_forget_keys(void)
{
	for (int i = 0; i < CIPHER_SLOTS; i++)
	{
		CipherSlot *slot = &cipher_slots[i];

		if (slot->ctx != NULL && slot->cipher != NULL)
			EVP_CIPHER_CTX_reset(slot->ctx);
		slot->cipher = NULL;
		slot->hint = 0;
		OPENSSL_cleanse(slot->key, sizeof(slot->key));
	}
	sm_cached = false;
	OPENSSL_cleanse(sm_key, sizeof(sm_key));
	OPENSSL_cleanse(sm_enc_key, sizeof(sm_enc_key));
	OPENSSL_cleanse(sm_mac_key, sizeof(sm_mac_key));
}

/* The SM suite's SM4 and HMAC-SM3 keys, from the 32-byte envelope key. */
static bool
sm_subkeys(const uint8_t *key, const uint8_t **enc_key, const uint8_t **mac_key)
{
	static const uint8_t info[] = "customer_info sm4-ctr hmac-sm3";
	uint8_t		both[16 + 32];

	if (!sm_cached || CRYPTO_memcmp(sm_key, key, CI_KEY_LEN) != 0)
	{
		sm_cached = false;
		if (!ci_hkdf(CI_SUITE_SM4_SM3, key, CI_KEY_LEN, info, sizeof(info) - 1,
					 both, sizeof(both)))
			return false;
		memcpy(sm_enc_key, both, 16);
		memcpy(sm_mac_key, both + 16, 32);
		OPENSSL_cleanse(both, sizeof(both));
		memcpy(sm_key, key, CI_KEY_LEN);
		sm_cached = true;
	}
	*enc_key = sm_enc_key;
	*mac_key = sm_mac_key;
	return true;
}

/* The SM suite's tag: HMAC-SM3 over header, aad length, aad, ciphertext. */
static bool
sm_tag(const uint8_t *mac_key, const uint8_t *header,
	   const uint8_t *aad, size_t aadlen,
	   const uint8_t *ct, size_t ctlen, uint8_t *tag)
{
	uint8_t		lenbuf[CI_ENVELOPE_HEADER_LEN + 8];

	memcpy(lenbuf, header, CI_ENVELOPE_HEADER_LEN);
	for (int i = 0; i < 8; i++)
		lenbuf[CI_ENVELOPE_HEADER_LEN + i] = (uint8_t) ((uint64_t) aadlen >> (56 - 8 * i));
	return hmac_parts(CI_SUITE_SM4_SM3, mac_key, 32, lenbuf, sizeof(lenbuf),
					  aad, aadlen, ct, ctlen, tag, CI_TAG_LEN);
}

/* SM4-CTR with a 16-byte counter block: nonce || 00000000. */
static bool
sm4_ctr_crypt(const uint8_t *enc_key, const uint8_t *nonce,
			  const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t		iv[16] = {0};
	int			outl;

	memcpy(iv, nonce, CI_NONCE_LEN);
	return cipher_init(sm4_ctr, 1, enc_key, 16, iv, NULL) &&
		EVP_EncryptUpdate(cipher_ctx, out, &outl, in, (int) len) == 1 &&
		(size_t) outl == len;
}

static void
write_header(uint8_t *env, CiSuite suite, uint32_t key_id)
{
	env[0] = CI_ENVELOPE_VERSION;
	env[1] = (uint8_t) suite;
	env[2] = (uint8_t) (key_id >> 24);
	env[3] = (uint8_t) (key_id >> 16);
	env[4] = (uint8_t) (key_id >> 8);
	env[5] = (uint8_t) key_id;
}

bool
ci_envelope_seal(CiSuite suite, uint32_t key_id, const uint8_t *key,
				 const uint8_t *aad, size_t aadlen,
				 const uint8_t *pt, size_t ptlen, uint8_t *out)
{
	uint8_t    *nonce = out + 6;
	uint8_t    *ct = out + CI_ENVELOPE_HEADER_LEN;
	uint8_t    *tag = ct + ptlen;
	int			outl;

	if (!crypto_init() || !ci_suite_valid(suite) || !next_nonce(nonce))
		return false;
	write_header(out, suite, key_id);

	if (suite == CI_SUITE_AES_GCM)
	{
		return cipher_init(aes_gcm, 1, key, CI_KEY_LEN, nonce, NULL) &&
			EVP_EncryptUpdate(cipher_ctx, NULL, &outl, out, CI_ENVELOPE_HEADER_LEN) == 1 &&
			(aadlen == 0 ||
			 EVP_EncryptUpdate(cipher_ctx, NULL, &outl, aad, (int) aadlen) == 1) &&
			EVP_EncryptUpdate(cipher_ctx, ct, &outl, pt, (int) ptlen) == 1 &&
			EVP_EncryptFinal_ex(cipher_ctx, ct + outl, &outl) == 1 &&
			EVP_CIPHER_CTX_ctrl(cipher_ctx, EVP_CTRL_GCM_GET_TAG, CI_TAG_LEN, tag) == 1;
	}
	else
	{
		const uint8_t *enc_key;
		const uint8_t *mac_key;

		return sm_subkeys(key, &enc_key, &mac_key) &&
			sm4_ctr_crypt(enc_key, nonce, pt, ptlen, ct) &&
			sm_tag(mac_key, out, aad, aadlen, ct, ptlen, tag);
	}
}

CiOpenStatus
ci_envelope_header(const uint8_t *env, size_t envlen, CiEnvelopeHeader *header)
{
	if (envlen < CI_ENVELOPE_OVERHEAD)
		return CI_OPEN_TOO_SHORT;
	header->version = env[0];
	header->suite = (CiSuite) env[1];
	header->key_id = ((uint32_t) env[2] << 24) | ((uint32_t) env[3] << 16) |
		((uint32_t) env[4] << 8) | env[5];
	if (header->version != CI_ENVELOPE_VERSION)
		return CI_OPEN_BAD_VERSION;
	if (!ci_suite_valid(env[1]))
		return CI_OPEN_BAD_SUITE;
	return CI_OPEN_OK;
}

CiOpenStatus
ci_envelope_open(const uint8_t *key, const uint8_t *aad, size_t aadlen,
				 const uint8_t *env, size_t envlen, uint8_t *pt)
{
	CiEnvelopeHeader header;
	CiOpenStatus status = ci_envelope_header(env, envlen, &header);
	const uint8_t *nonce = env + 6;
	const uint8_t *ct = env + CI_ENVELOPE_HEADER_LEN;
	size_t		ctlen;
	int			outl;

	if (status != CI_OPEN_OK)
		return status;
	if (!crypto_init())
		return CI_OPEN_CRYPTO_ERROR;
	ctlen = envlen - CI_ENVELOPE_OVERHEAD;

	if (header.suite == CI_SUITE_AES_GCM)
	{
		int			rc;
		OSSL_PARAM	tag[2];

		/* the expected tag goes in with the nonce: one parameter call */
		tag[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
												   (void *) (ct + ctlen), CI_TAG_LEN);
		tag[1] = OSSL_PARAM_construct_end();
		if (!cipher_init(aes_gcm, 0, key, CI_KEY_LEN, nonce, tag) ||
			EVP_DecryptUpdate(cipher_ctx, NULL, &outl, env, CI_ENVELOPE_HEADER_LEN) != 1 ||
			(aadlen > 0 &&
			 EVP_DecryptUpdate(cipher_ctx, NULL, &outl, aad, (int) aadlen) != 1) ||
			EVP_DecryptUpdate(cipher_ctx, pt, &outl, ct, (int) ctlen) != 1)
		{
			OPENSSL_cleanse(pt, ctlen);
			return CI_OPEN_CRYPTO_ERROR;
		}
		rc = EVP_DecryptFinal_ex(cipher_ctx, pt + outl, &outl);
		if (rc != 1)
		{
			/* GCM decrypts before it verifies: wipe what it wrote */
			OPENSSL_cleanse(pt, ctlen);
			return CI_OPEN_AUTH_FAILED;
		}
		return CI_OPEN_OK;
	}
	else
	{
		const uint8_t *enc_key;
		const uint8_t *mac_key;
		uint8_t		tag[CI_TAG_LEN];

		if (!sm_subkeys(key, &enc_key, &mac_key) ||
			!sm_tag(mac_key, env, aad, aadlen, ct, ctlen, tag))
			return CI_OPEN_CRYPTO_ERROR;
		if (CRYPTO_memcmp(tag, ct + ctlen, CI_TAG_LEN) != 0)
			return CI_OPEN_AUTH_FAILED;
		if (!sm4_ctr_crypt(enc_key, nonce, ct, ctlen, pt))
			return CI_OPEN_CRYPTO_ERROR;
		return CI_OPEN_OK;
	}
}

static const char b64_chars[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
ci_b64_encode(const uint8_t *src, size_t len, char *dst)
{
	size_t		o = 0;
	size_t		i = 0;

	for (; i + 3 <= len; i += 3)
	{
		uint32_t	v = (uint32_t) src[i] << 16 | (uint32_t) src[i + 1] << 8 | src[i + 2];

		dst[o++] = b64_chars[v >> 18];
		dst[o++] = b64_chars[(v >> 12) & 63];
		dst[o++] = b64_chars[(v >> 6) & 63];
		dst[o++] = b64_chars[v & 63];
	}
	if (i < len)
	{
		uint32_t	v = (uint32_t) src[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t) src[i + 1] << 8;
		dst[o++] = b64_chars[v >> 18];
		dst[o++] = b64_chars[(v >> 12) & 63];
		dst[o++] = i + 1 < len ? b64_chars[(v >> 6) & 63] : '=';
		dst[o++] = '=';
	}
	return o;
}

/* 0..63 for a base64 character, 64 for '=', 255 for anything else */
static uint8_t b64_values[256];
static bool b64_ready = false;

long
ci_b64_decode(const char *src, size_t len, uint8_t *dst)
{
	size_t		o = 0;

	if (!b64_ready)
	{
		memset(b64_values, 255, sizeof(b64_values));
		for (int i = 0; i < 64; i++)
			b64_values[(unsigned char) b64_chars[i]] = (uint8_t) i;
		b64_values['='] = 64;
		b64_ready = true;
	}
	if (len % 4 != 0 || len == 0)
		return len == 0 ? 0 : -1;
	/* every quad but the last: four characters of the alphabet */
	for (size_t i = 0; i + 4 < len; i += 4)
	{
		uint8_t		a = b64_values[(unsigned char) src[i]];
		uint8_t		b = b64_values[(unsigned char) src[i + 1]];
		uint8_t		c = b64_values[(unsigned char) src[i + 2]];
		uint8_t		d = b64_values[(unsigned char) src[i + 3]];

		if (((a | b | c | d) & 0xC0) != 0)
			return -1;
		dst[o] = (uint8_t) (a << 2 | b >> 4);
		dst[o + 1] = (uint8_t) (b << 4 | c >> 2);
		dst[o + 2] = (uint8_t) (c << 6 | d);
		o += 3;
	}
	/* the last quad, which may end in padding */
	{
		const char *q = src + len - 4;
		uint8_t		a = b64_values[(unsigned char) q[0]];
		uint8_t		b = b64_values[(unsigned char) q[1]];
		uint8_t		c = b64_values[(unsigned char) q[2]];
		uint8_t		d = b64_values[(unsigned char) q[3]];

		if (a > 63 || b > 63 || c == 255 || d == 255 || (c == 64 && d != 64))
			return -1;
		/* canonical only: the bits that padding drops must be zero */
		if ((c == 64 && (b & 15) != 0) || (c != 64 && d == 64 && (c & 3) != 0))
			return -1;
		dst[o++] = (uint8_t) (a << 2 | b >> 4);
		if (c != 64)
			dst[o++] = (uint8_t) (b << 4 | c >> 2);
		if (d != 64)
			dst[o++] = (uint8_t) (c << 6 | d);
	}
	return (long) o;
}
