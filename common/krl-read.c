/*
 * krl-read.c: reading a KRL (PROTOCOL.krl) to ask whether a certificate is
 * revoked: one pass over the bytes, every length checked, nothing kept.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "jbuf.h"
#include "jcert.h"
#include "jit-err.h"
#include "jkey.h"
#include "jkrl.h"

#define KRL_MAGIC		"SSHKRL\n"	/* and a NUL: 8 bytes */
#define KRL_FORMAT_VERSION	1
#define SEC_CERTIFICATES	1
#define SEC_EXPLICIT_KEY	2
#define SEC_FINGERPRINT_SHA1	3
#define SEC_SIGNATURE		4
#define SEC_FINGERPRINT_SHA256	5
#define CERT_SERIAL_LIST	0x20
#define CERT_SERIAL_RANGE	0x21
#define CERT_SERIAL_BITMAP	0x22
#define CERT_KEY_ID		0x23
#define BITMAP_MAX_BYTES	(16 * 1024 * 1024)

/* What is asked about: the certificate's serial, key id and key blobs. */
struct ask {
	uint64_t serial;
	const char *key_id;
	struct jbuf *key, *ca;		/* public key blobs */
	unsigned char key1[20], ca1[20], key256[32], ca256[32];
};

static int
bad(void)
{
	return JIT_ERR_INVALID_FORMAT;
}

/* The next string of b as a sub-buffer view (p, n). */
static int
take(struct jbuf *b, const unsigned char **p, size_t *n)
{
	return jbuf_get_string_direct(b, p, n) != 0 ? bad() : 0;
}

static int
blob_is(const unsigned char *p, size_t n, const struct jbuf *blob)
{
	return blob != NULL && n == jbuf_len(blob) &&
	    memcmp(p, jbuf_ptr(blob), n) == 0;
}

/* One certificate subsection; *hitp set when it revokes a. */
static int
cert_sub(uint8_t type, const unsigned char *p, size_t n, const struct ask *a,
    int *hitp)
{
	struct jbuf *b = jbuf_from(p, n);
	const unsigned char *s;
	uint64_t lo, hi;
	size_t sn;
	int r = 0;

	if (b == NULL)
		return JIT_ERR_ALLOC;
	switch (type) {
	case CERT_SERIAL_LIST:
		while (r == 0 && jbuf_len(b) > 0) {
			if (jbuf_get_u64(b, &lo) != 0)
				r = bad();
			else if (a != NULL && lo == a->serial)
				*hitp = 1;
		}
		break;
	case CERT_SERIAL_RANGE:
		if (jbuf_get_u64(b, &lo) != 0 || jbuf_get_u64(b, &hi) != 0 ||
		    lo > hi || jbuf_len(b) != 0)
			r = bad();
		else if (a != NULL && a->serial >= lo && a->serial <= hi)
			*hitp = 1;
		break;
	case CERT_SERIAL_BITMAP:
		/* Offset, then an mpint whose bit i is serial offset + i. */
		if (jbuf_get_u64(b, &lo) != 0 || take(b, &s, &sn) != 0 ||
		    jbuf_len(b) != 0 || sn > BITMAP_MAX_BYTES ||
		    (sn > 0 && (s[0] & 0x80) != 0))
			r = bad();
		else if (a != NULL && a->serial >= lo &&
		    a->serial - lo < (uint64_t)sn * 8) {
			hi = a->serial - lo;
			if (s[sn - 1 - hi / 8] & (1u << (hi % 8)))
				*hitp = 1;
		}
		break;
	case CERT_KEY_ID:
		while (r == 0 && jbuf_len(b) > 0) {
			if (take(b, &s, &sn) != 0)
				r = bad();
			else if (a != NULL && a->key_id != NULL &&
			    strlen(a->key_id) == sn &&
			    memcmp(a->key_id, s, sn) == 0)
				*hitp = 1;
		}
		break;
	default:
		r = bad();
	}
	jbuf_free(b);
	return r;
}

/* A certificates section: CA key, reserved, subsections. */
static int
cert_section(struct jbuf *b, const struct ask *a, int *hitp)
{
	const unsigned char *ca, *res, *p;
	size_t can, resn, n;
	uint8_t type;
	int r, mine;

	if (take(b, &ca, &can) != 0 || take(b, &res, &resn) != 0)
		return bad();
	/* An empty CA key stands for every CA. */
	mine = a != NULL && (can == 0 || blob_is(ca, can, a->ca));
	while (jbuf_len(b) > 0) {
		if (jbuf_get_u8(b, &type) != 0 || take(b, &p, &n) != 0)
			return bad();
		if ((r = cert_sub(type, p, n, mine ? a : NULL, hitp)) != 0)
			return r;
	}
	return 0;
}

/* Explicit keys or key hashes: a list of strings. */
static int
key_section(uint8_t type, struct jbuf *b, const struct ask *a, int *hitp)
{
	const unsigned char *p;
	size_t n, want = type == SEC_FINGERPRINT_SHA1 ? 20 : 32;

	while (jbuf_len(b) > 0) {
		if (take(b, &p, &n) != 0)
			return bad();
		if (type != SEC_EXPLICIT_KEY && n != want)
			return bad();
		if (a == NULL)
			continue;
		if (type == SEC_EXPLICIT_KEY)
			*hitp |= blob_is(p, n, a->key) || blob_is(p, n, a->ca);
		else if (type == SEC_FINGERPRINT_SHA1)
			*hitp |= memcmp(p, a->key1, 20) == 0 ||
			    memcmp(p, a->ca1, 20) == 0;
		else
			*hitp |= memcmp(p, a->key256, 32) == 0 ||
			    memcmp(p, a->ca256, 32) == 0;
	}
	return 0;
}

static int
sections(struct jbuf *b, const struct ask *a, int *hitp)
{
	const unsigned char *p;
	struct jbuf *sec;
	uint8_t type;
	size_t n;
	int r;

	while (jbuf_len(b) > 0) {
		if (jbuf_get_u8(b, &type) != 0 || take(b, &p, &n) != 0)
			return bad();
		if (type == SEC_SIGNATURE)
			return 0;	/* signatures come last */
		if ((sec = jbuf_from(p, n)) == NULL)
			return JIT_ERR_ALLOC;
		if (type == SEC_CERTIFICATES)
			r = cert_section(sec, a, hitp);
		else if (type == SEC_EXPLICIT_KEY ||
		    type == SEC_FINGERPRINT_SHA1 ||
		    type == SEC_FINGERPRINT_SHA256)
			r = key_section(type, sec, a, hitp);
		else
			r = bad();
		jbuf_free(sec);
		if (r != 0)
			return r;
	}
	return 0;
}

static int
hashes(struct ask *a)
{
	unsigned int n;

	if (EVP_Digest(jbuf_ptr(a->key), jbuf_len(a->key), a->key1, &n,
	    EVP_sha1(), NULL) != 1 ||
	    EVP_Digest(jbuf_ptr(a->ca), jbuf_len(a->ca), a->ca1, &n,
	    EVP_sha1(), NULL) != 1 ||
	    EVP_Digest(jbuf_ptr(a->key), jbuf_len(a->key), a->key256, &n,
	    EVP_sha256(), NULL) != 1 ||
	    EVP_Digest(jbuf_ptr(a->ca), jbuf_len(a->ca), a->ca256, &n,
	    EVP_sha256(), NULL) != 1)
		return JIT_ERR_LIBCRYPTO;
	return 0;
}

int
jkrl_check(const unsigned char *krl, size_t len, const struct jcert *c,
    uint64_t *versionp)
{
	struct ask a, *ap = NULL;
	struct jbuf *b = NULL;
	const unsigned char *p;
	uint64_t version, date, flags;
	uint32_t format;
	size_t n;
	int hit = 0, r;

	memset(&a, 0, sizeof(a));
	if (krl == NULL || len < 8 || memcmp(krl, KRL_MAGIC, 8) != 0)
		return bad();
	if (c != NULL) {
		ap = &a;
		a.serial = jcert_serial(c);
		a.key_id = jcert_key_id(c);
		if ((a.key = jbuf_new()) == NULL || (a.ca = jbuf_new()) == NULL) {
			r = JIT_ERR_ALLOC;
			goto out;
		}
		if ((r = jkey_put_public(jcert_key(c), a.key)) != 0 ||
		    (r = jkey_put_public(jcert_signature_key(c), a.ca)) != 0 ||
		    (r = hashes(&a)) != 0)
			goto out;
	}
	if ((b = jbuf_from(krl + 8, len - 8)) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if (jbuf_get_u32(b, &format) != 0 || format != KRL_FORMAT_VERSION ||
	    jbuf_get_u64(b, &version) != 0 || jbuf_get_u64(b, &date) != 0 ||
	    jbuf_get_u64(b, &flags) != 0 || take(b, &p, &n) != 0 ||
	    take(b, &p, &n) != 0) {
		r = bad();
		goto out;
	}
	if ((r = sections(b, ap, &hit)) != 0)
		goto out;
	if (versionp != NULL)
		*versionp = version;
	r = hit;
 out:
	jbuf_free(b);
	jbuf_free(a.key);
	jbuf_free(a.ca);
	return r;
}
