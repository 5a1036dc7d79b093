/* totp.c: RFC 4226 / RFC 6238 over OpenSSL's HMAC.  See jtotp.h. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "jit-err.h"
#include "jtotp.h"

int
jtotp_hotp(const unsigned char *secret, size_t len, uint64_t counter,
    unsigned digits, uint32_t *codep)
{
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, off;
	uint32_t bin, mod = 1;
	int i;

	*codep = 0;
	if (secret == NULL || len == 0 || len > 64 || digits < 6 || digits > 8)
		return JIT_ERR_INVALID_ARGUMENT;
	for (i = 7; i >= 0; i--, counter >>= 8)
		msg[i] = (unsigned char)counter;
	if (HMAC(EVP_sha1(), secret, (int)len, msg, sizeof(msg), mac,
	    &maclen) == NULL || maclen != 20)
		return JIT_ERR_LIBCRYPTO;
	/* Dynamic truncation (RFC 4226 section 5.3). */
	off = mac[19] & 0x0f;
	bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
	    (uint32_t)mac[off + 2] << 8 | (uint32_t)mac[off + 3];
	while (digits-- > 0)
		mod *= 10;
	*codep = bin % mod;
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

int
jtotp_verify(const unsigned char *secret, size_t len, const char *code,
    uint64_t now, uint64_t *stepp)
{
	char want[JTOTP_DIGITS + 1], got[JTOTP_DIGITS + 1];
	uint64_t step = now / JTOTP_STEP, s, match = 0;
	uint32_t v;
	unsigned found = 0, eq;
	size_t i;
	int r;

	*stepp = 0;
	if (code == NULL || strlen(code) != JTOTP_DIGITS)
		return JIT_ERR_INVALID_FORMAT;
	for (i = 0; i < JTOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return JIT_ERR_INVALID_FORMAT;
	memcpy(got, code, sizeof(got));
	for (s = step == 0 ? 0 : step - 1; s <= step + 1; s++) {
		if ((r = jtotp_hotp(secret, len, s, JTOTP_DIGITS, &v)) != 0)
			goto out;
		for (i = JTOTP_DIGITS; i-- > 0; v /= 10)
			want[i] = (char)('0' + v % 10);
		want[JTOTP_DIGITS] = '\0';
		/* No early exit: every step is computed and compared. */
		eq = CRYPTO_memcmp(want, got, JTOTP_DIGITS) == 0;
		match = eq && !found ? s : match;
		found |= eq;
	}
	if (!found) {
		r = JIT_ERR_SIGNATURE_INVALID;
		goto out;
	}
	*stepp = match;
	r = 0;
 out:
	OPENSSL_cleanse(want, sizeof(want));
	OPENSSL_cleanse(got, sizeof(got));
	return r;
}

int
jtotp_base32(const unsigned char *data, size_t len, char **outp)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	char *out;
	size_t i, o = 0;
	unsigned buf = 0, bits = 0;

	*outp = NULL;
	if (len > 1024)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((out = malloc((len * 8 + 4) / 5 + 1)) == NULL)
		return JIT_ERR_ALLOC;
	for (i = 0; i < len; i++) {
		buf = buf << 8 | data[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = alphabet[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(buf << (5 - bits)) & 31];
	out[o] = '\0';
	*outp = out;
	return 0;
}
