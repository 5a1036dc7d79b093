/* jbuf.c: the bounds-checked SSH wire buffer.  See jbuf.h. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "jbuf.h"
#include "jit-err.h"

struct jbuf {
	unsigned char *d;	/* memory block (not owned by views) */
	size_t off;		/* first unread byte */
	size_t size;		/* end of data */
	size_t alloc;		/* bytes allocated at d (0 for views) */
	size_t max_size;	/* limit on size - off for growable buffers */
	int readonly;
};

struct jbuf *
jbuf_new(void)
{
	struct jbuf *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->max_size = JBUF_SIZE_MAX;
	return b;
}

struct jbuf *
jbuf_from(const void *data, size_t len)
{
	struct jbuf *b;

	if ((data == NULL && len != 0) || len > JBUF_SIZE_MAX)
		return NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	/* Views never write through d: readonly guards every putter. */
	b->d = (unsigned char *)(uintptr_t)data;
	b->size = len;
	b->max_size = len;
	b->readonly = 1;
	return b;
}

void
jbuf_free(struct jbuf *b)
{
	if (b == NULL)
		return;
	if (!b->readonly && b->d != NULL) {
		OPENSSL_cleanse(b->d, b->alloc);
		free(b->d);
	}
	OPENSSL_cleanse(b, sizeof(*b));
	free(b);
}

void
jbuf_reset(struct jbuf *b)
{
	if (b == NULL || b->readonly)
		return;
	if (b->d != NULL)
		OPENSSL_cleanse(b->d, b->alloc);
	b->off = b->size = 0;
}

size_t
jbuf_len(const struct jbuf *b)
{
	return b == NULL ? 0 : b->size - b->off;
}

const unsigned char *
jbuf_ptr(const struct jbuf *b)
{
	if (b == NULL || b->d == NULL)
		return (const unsigned char *)"";
	return b->d + b->off;
}

int
jbuf_set_max_size(struct jbuf *b, size_t max_size)
{
	if (b == NULL || b->readonly || max_size > JBUF_SIZE_MAX)
		return JIT_ERR_INVALID_ARGUMENT;
	if (max_size < jbuf_len(b))
		return JIT_ERR_NO_BUFFER_SPACE;
	b->max_size = max_size;
	return 0;
}

int
jbuf_consume(struct jbuf *b, size_t len)
{
	if (b == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if (len > jbuf_len(b))
		return JIT_ERR_MESSAGE_INCOMPLETE;
	b->off += len;
	if (b->off == b->size && !b->readonly)
		b->off = b->size = 0;
	return 0;
}

/* Makes room for len more bytes and returns where they go in *dstp. */
static int
jbuf_reserve(struct jbuf *b, size_t len, unsigned char **dstp)
{
	size_t need, nalloc;
	unsigned char *n;

	*dstp = NULL;
	if (b == NULL || b->readonly)
		return JIT_ERR_INVALID_ARGUMENT;
	if (len == 0)
		return 0;
	if (len > b->max_size || jbuf_len(b) > b->max_size - len)
		return JIT_ERR_NO_BUFFER_SPACE;
	if (b->size + len > b->alloc && b->off > 0) {
		/* Reclaim the consumed head before growing. */
		memmove(b->d, b->d + b->off, b->size - b->off);
		b->size -= b->off;
		OPENSSL_cleanse(b->d + b->size, b->alloc - b->size);
		b->off = 0;
	}
	need = b->size + len;
	if (need > b->alloc) {
		nalloc = b->alloc < 256 ? 256 : b->alloc;
		while (nalloc < need)
			nalloc = nalloc > JBUF_SIZE_MAX / 2 ? JBUF_SIZE_MAX : nalloc * 2;
		if (nalloc < need)
			nalloc = need;
		/* No realloc(): the old block may hold secrets and must be wiped. */
		if ((n = calloc(1, nalloc)) == NULL)
			return JIT_ERR_ALLOC;
		if (b->d != NULL) {
			memcpy(n, b->d, b->size);
			OPENSSL_cleanse(b->d, b->alloc);
			free(b->d);
		}
		b->d = n;
		b->alloc = nalloc;
	}
	*dstp = b->d + b->size;
	b->size += len;
	return 0;
}

int
jbuf_put(struct jbuf *b, const void *data, size_t len)
{
	unsigned char *p;
	int r;

	if (data == NULL && len != 0)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((r = jbuf_reserve(b, len, &p)) != 0)
		return r;
	if (len != 0)
		memcpy(p, data, len);
	return 0;
}

int
jbuf_putb(struct jbuf *b, const struct jbuf *v)
{
	if (v == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	return jbuf_put(b, jbuf_ptr(v), jbuf_len(v));
}

int
jbuf_put_u8(struct jbuf *b, uint8_t v)
{
	return jbuf_put(b, &v, 1);
}

int
jbuf_put_u32(struct jbuf *b, uint32_t v)
{
	unsigned char p[4];

	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	return jbuf_put(b, p, sizeof(p));
}

int
jbuf_put_u64(struct jbuf *b, uint64_t v)
{
	int r;

	if ((r = jbuf_put_u32(b, (uint32_t)(v >> 32))) != 0)
		return r;
	if ((r = jbuf_put_u32(b, (uint32_t)v)) != 0) {
		b->size -= 4;	/* roll back the half written */
		return r;
	}
	return 0;
}

int
jbuf_put_string(struct jbuf *b, const void *v, size_t len)
{
	unsigned char *p;
	int r;

	if (len > JBUF_STRING_MAX)
		return JIT_ERR_STRING_TOO_LARGE;
	if (v == NULL && len != 0)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((r = jbuf_reserve(b, len + 4, &p)) != 0)
		return r;
	p[0] = (unsigned char)(len >> 24);
	p[1] = (unsigned char)(len >> 16);
	p[2] = (unsigned char)(len >> 8);
	p[3] = (unsigned char)len;
	if (len != 0)
		memcpy(p + 4, v, len);
	return 0;
}

int
jbuf_put_cstring(struct jbuf *b, const char *v)
{
	if (v == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	return jbuf_put_string(b, v, strlen(v));
}

int
jbuf_put_stringb(struct jbuf *b, const struct jbuf *v)
{
	if (v == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	return jbuf_put_string(b, jbuf_ptr(v), jbuf_len(v));
}

int
jbuf_put_mpint(struct jbuf *b, const unsigned char *mag, size_t len)
{
	unsigned char *p;
	size_t pad;
	int r;

	if (mag == NULL && len != 0)
		return JIT_ERR_INVALID_ARGUMENT;
	while (len > 0 && mag[0] == 0) {
		mag++;
		len--;
	}
	if (len > JBUF_MPINT_MAX_BYTES - 1)
		return JIT_ERR_BIGNUM_TOO_LARGE;
	pad = (len > 0 && (mag[0] & 0x80) != 0) ? 1 : 0;
	if ((r = jbuf_reserve(b, 4 + pad + len, &p)) != 0)
		return r;
	p[0] = (unsigned char)((len + pad) >> 24);
	p[1] = (unsigned char)((len + pad) >> 16);
	p[2] = (unsigned char)((len + pad) >> 8);
	p[3] = (unsigned char)(len + pad);
	if (pad)
		p[4] = 0;
	if (len != 0)
		memcpy(p + 4 + pad, mag, len);
	return 0;
}

int
jbuf_get(struct jbuf *b, void *v, size_t len)
{
	const unsigned char *p = jbuf_ptr(b);
	int r;

	if ((r = jbuf_consume(b, len)) != 0)
		return r;
	/* consume() never moves memory of a buffer being read. */
	if (v != NULL && len != 0)
		memcpy(v, p, len);
	return 0;
}

int
jbuf_get_u8(struct jbuf *b, uint8_t *v)
{
	return jbuf_get(b, v, 1);
}

int
jbuf_get_u32(struct jbuf *b, uint32_t *v)
{
	unsigned char p[4];
	int r;

	if ((r = jbuf_get(b, p, sizeof(p))) != 0)
		return r;
	if (v != NULL)
		*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | (uint32_t)p[3];
	return 0;
}

int
jbuf_get_u64(struct jbuf *b, uint64_t *v)
{
	unsigned char p[8];
	uint64_t x = 0;
	size_t i;
	int r;

	if ((r = jbuf_get(b, p, sizeof(p))) != 0)
		return r;
	for (i = 0; i < sizeof(p); i++)
		x = x << 8 | p[i];
	if (v != NULL)
		*v = x;
	return 0;
}

/*
 * The string at the read position, checked against the data: its body at
 * *pp, *lenp bytes (NULL and 0 on error).  Consumed only with consume set,
 * so a getter that refuses what it found leaves the buffer as it was.
 */
static int
string_at(struct jbuf *b, int consume, const unsigned char **pp,
    size_t *lenp)
{
	const unsigned char *p;
	size_t len;

	*pp = NULL;
	*lenp = 0;
	if (b == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	p = jbuf_ptr(b);
	if (jbuf_len(b) < 4)
		return JIT_ERR_MESSAGE_INCOMPLETE;
	len = (size_t)p[0] << 24 | (size_t)p[1] << 16 |
	    (size_t)p[2] << 8 | (size_t)p[3];
	if (len > JBUF_STRING_MAX)
		return JIT_ERR_STRING_TOO_LARGE;
	if (jbuf_len(b) - 4 < len)
		return JIT_ERR_MESSAGE_INCOMPLETE;
	if (consume)
		(void)jbuf_consume(b, 4 + len);
	*pp = p + 4;
	*lenp = len;
	return 0;
}

/*
 * The next string, copied and NUL-terminated into *valp (when not NULL);
 * with nul_ok 0, one with a NUL inside is refused.  Consumed on success.
 */
static int
string_copy(struct jbuf *b, int nul_ok, unsigned char **valp, size_t *lenp)
{
	const unsigned char *p;
	unsigned char *v = NULL;
	size_t len;
	int r;

	if (valp != NULL)
		*valp = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if ((r = string_at(b, 0, &p, &len)) != 0)
		return r;
	if (!nul_ok && len != 0 && memchr(p, '\0', len) != NULL)
		return JIT_ERR_EMBEDDED_NUL;
	if (valp != NULL) {
		if ((v = malloc(len + 1)) == NULL)
			return JIT_ERR_ALLOC;
		memcpy(v, p, len);
		v[len] = '\0';
		*valp = v;
	}
	(void)jbuf_consume(b, 4 + len);
	if (lenp != NULL)
		*lenp = len;
	return 0;
}

int
jbuf_get_string_direct(struct jbuf *b, const unsigned char **valp,
    size_t *lenp)
{
	const unsigned char *p;
	size_t len;
	int r = string_at(b, 1, &p, &len);

	if (valp != NULL)
		*valp = p;
	if (lenp != NULL)
		*lenp = len;
	return r;
}

int
jbuf_get_string(struct jbuf *b, unsigned char **valp, size_t *lenp)
{
	return string_copy(b, 1, valp, lenp);
}

int
jbuf_get_cstring(struct jbuf *b, char **valp, size_t *lenp)
{
	unsigned char *v = NULL;
	int r = string_copy(b, 0, valp != NULL ? &v : NULL, lenp);

	if (valp != NULL)
		*valp = (char *)v;
	return r;
}

int
jbuf_froms(struct jbuf *b, struct jbuf **subp)
{
	const unsigned char *p;
	size_t len;
	int r;

	if (subp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*subp = NULL;
	if ((r = string_at(b, 0, &p, &len)) != 0)
		return r;
	if ((*subp = jbuf_from(p, len)) == NULL)
		return JIT_ERR_ALLOC;
	(void)jbuf_consume(b, 4 + len);
	return 0;
}

int
jbuf_get_mpint_direct(struct jbuf *b, const unsigned char **valp,
    size_t *lenp)
{
	const unsigned char *p;
	size_t len;
	int r;

	if (valp != NULL)
		*valp = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if ((r = string_at(b, 0, &p, &len)) != 0)
		return r;
	if (len > JBUF_MPINT_MAX_BYTES)
		return JIT_ERR_BIGNUM_TOO_LARGE;
	if (len > 0 && (p[0] & 0x80) != 0)
		return JIT_ERR_BIGNUM_IS_NEGATIVE;
	/* One zero byte is allowed only to keep a set top bit positive. */
	if (len > 0 && p[0] == 0 && (len == 1 || (p[1] & 0x80) == 0))
		return JIT_ERR_INVALID_FORMAT;
	(void)jbuf_consume(b, 4 + len);
	if (len > 0 && p[0] == 0) {
		p++;
		len--;
	}
	if (valp != NULL)
		*valp = p;
	if (lenp != NULL)
		*lenp = len;
	return 0;
}

int
jbuf_expect_end(const struct jbuf *b)
{
	return jbuf_len(b) == 0 ? 0 : JIT_ERR_TRAILING_DATA;
}

int
jbuf_dtob64(const struct jbuf *b, char **outp)
{
	size_t len = jbuf_len(b), olen;
	char *out;

	if (outp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*outp = NULL;
	if (len > JBUF_SIZE_MAX || len > (size_t)INT32_MAX / 4 * 3 - 3)
		return JIT_ERR_NO_BUFFER_SPACE;
	olen = (len + 2) / 3 * 4 + 1;
	if ((out = malloc(olen)) == NULL)
		return JIT_ERR_ALLOC;
	if (EVP_EncodeBlock((unsigned char *)out, jbuf_ptr(b), (int)len) < 0) {
		free(out);
		return JIT_ERR_LIBCRYPTO;
	}
	*outp = out;
	return 0;
}

static int
b64_char_ok(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int
jbuf_b64tod(struct jbuf *b, const char *text, size_t len, int allow_newlines)
{
	unsigned char *clean = NULL, *dec = NULL;
	size_t i, n = 0, pad = 0, dlen;
	int r = JIT_ERR_INTERNAL, got;

	if (b == NULL || (text == NULL && len != 0))
		return JIT_ERR_INVALID_ARGUMENT;
	if (len > (size_t)INT32_MAX || len / 4 * 3 > JBUF_SIZE_MAX)
		return JIT_ERR_NO_BUFFER_SPACE;
	if ((clean = malloc(len + 1)) == NULL)
		return JIT_ERR_ALLOC;
	/*
	 * EVP_DecodeBlock() skips whitespace and turns padding into zero bytes;
	 * check the alphabet and the padding here so only canonical input
	 * reaches it.
	 */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (allow_newlines && (c == '\n' || c == '\r'))
			continue;
		if (c == '=') {
			pad++;
		} else if (pad != 0 || !b64_char_ok(c)) {
			r = JIT_ERR_INVALID_FORMAT;
			goto out;
		}
		clean[n++] = c;
	}
	if (n % 4 != 0 || pad > 2) {
		r = JIT_ERR_INVALID_FORMAT;
		goto out;
	}
	dlen = n / 4 * 3;
	if ((dec = malloc(dlen + 1)) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if (n != 0) {
		got = EVP_DecodeBlock(dec, clean, (int)n);
		if (got < 0 || (size_t)got != dlen) {
			r = JIT_ERR_INVALID_FORMAT;
			goto out;
		}
	}
	r = jbuf_put(b, dec, dlen - pad);
 out:
	if (clean != NULL) {
		OPENSSL_cleanse(clean, len + 1);
		free(clean);
	}
	if (dec != NULL) {
		OPENSSL_cleanse(dec, n / 4 * 3 + 1);
		free(dec);
	}
	return r;
}
