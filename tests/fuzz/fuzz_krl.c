/*
 * Fuzz target: the KRL encoder, checked by a decoder written here from
 * PROTOCOL.krl (not from common/krl.c): the input, raw, goes to our
 * reader (jkrl_check); then it becomes a revocation set
 * (serials in runs and jumps, near 2^64 too, and key ids); jkrl_encode()
 * writes it; the KRL read back must hold exactly that set.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jbuf.h"
#include "jkey.h"
#include "jkrl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

#define MAX_SERIALS	4000
#define MAX_IDS		16

struct rd {
	const uint8_t *p;
	size_t n;
};

static int
get(struct rd *r, void *v, size_t len)
{
	if (r->n < len)
		return -1;
	memcpy(v, r->p, len);
	r->p += len;
	r->n -= len;
	return 0;
}

static int
u32(struct rd *r, uint32_t *v)
{
	uint8_t b[4];

	if (get(r, b, 4) != 0)
		return -1;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return 0;
}

static int
u64(struct rd *r, uint64_t *v)
{
	uint32_t hi, lo;

	if (u32(r, &hi) != 0 || u32(r, &lo) != 0)
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

static int
str(struct rd *r, struct rd *s)
{
	uint32_t len;

	if (u32(r, &len) != 0 || r->n < len)
		return -1;
	s->p = r->p;
	s->n = len;
	r->p += len;
	r->n -= len;
	return 0;
}

struct set {
	uint64_t s[MAX_SERIALS * 2];
	size_t n;
	char ids[MAX_IDS][40];
	size_t nids;
};

static int
add(struct set *st, uint64_t v)
{
	if (st->n == sizeof(st->s) / sizeof(st->s[0]))
		return -1;
	st->s[st->n++] = v;
	return 0;
}

/* One certificates section's subsections into st. */
static int
decode_certs(struct rd *sec, struct set *st)
{
	struct rd key, res, sub;
	uint64_t a, b, off;
	uint8_t type;
	size_t i;

	if (str(sec, &key) != 0 || key.n == 0 || str(sec, &res) != 0)
		return -1;
	while (sec->n > 0) {
		if (get(sec, &type, 1) != 0 || str(sec, &sub) != 0)
			return -1;
		switch (type) {
		case 0x20:	/* serial list */
			while (sub.n > 0)
				if (u64(&sub, &a) != 0 || add(st, a) != 0)
					return -1;
			break;
		case 0x21:	/* serial range */
			if (u64(&sub, &a) != 0 || u64(&sub, &b) != 0 || a > b ||
			    b - a > MAX_SERIALS || sub.n != 0)
				return -1;
			for (; ; a++) {
				if (add(st, a) != 0)
					return -1;
				if (a == b)
					break;
			}
			break;
		case 0x22:	/* bitmap: offset, mpint; bit i is offset + i */
			if (u64(&sub, &off) != 0 || str(&sub, &res) != 0 ||
			    sub.n != 0 || res.n > 2048)
				return -1;
			for (i = 0; i < res.n * 8; i++)
				if (res.p[res.n - 1 - i / 8] & (1u << (i % 8)))
					if (add(st, off + i) != 0)
						return -1;
			break;
		case 0x23:	/* key ids */
			while (sub.n > 0) {
				if (str(&sub, &res) != 0 || st->nids == MAX_IDS ||
				    res.n >= sizeof(st->ids[0]))
					return -1;
				memcpy(st->ids[st->nids], res.p, res.n);
				st->ids[st->nids++][res.n] = '\0';
			}
			break;
		default:
			return -1;
		}
	}
	return 0;
}

static int
decode(const uint8_t *p, size_t n, struct set *st)
{
	struct rd r = { p, n }, s;
	uint64_t magic, v;
	uint32_t fmt;
	uint8_t type;

	if (u64(&r, &magic) != 0 || magic != 0x5353484b524c0a00ULL ||
	    u32(&r, &fmt) != 0 || fmt != 1 || u64(&r, &v) != 0 ||
	    u64(&r, &v) != 0 || u64(&r, &v) != 0 || str(&r, &s) != 0 ||
	    str(&r, &s) != 0)
		return -1;
	while (r.n > 0) {
		if (get(&r, &type, 1) != 0 || str(&r, &s) != 0)
			return -1;
		if (type == 1 && decode_certs(&s, st) != 0)
			return -1;
	}
	return 0;
}

static int
cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts and drops repeats. */
static void
tidy(struct set *st)
{
	size_t i, k = 0;

	qsort(st->s, st->n, sizeof(st->s[0]), cmp64);
	for (i = 0; i < st->n; i++)
		if (k == 0 || st->s[k - 1] != st->s[i])
			st->s[k++] = st->s[i];
	st->n = k;
}

/* The set the input describes: a base, then steps (runs, gaps, jumps). */
static void
make_set(const uint8_t *data, size_t len, struct set *st)
{
	uint64_t v = 1, step;
	size_t i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < 8 && i < len; i++)
		v = v << 8 | data[i];
	if (v == 0)
		v = 1;
	for (; i < len && st->n < MAX_SERIALS; i++) {
		if (data[i] == 0xff) {	/* key ids from here on */
			i++;
			break;
		}
		if (add(st, v) != 0)
			break;
		/* Mostly small steps (runs), sometimes gaps, rarely jumps. */
		step = data[i] < 160 ? 1 : data[i] < 240 ?
		    (uint64_t)(data[i] - 158) * 3 : (uint64_t)data[i] << 20;
		if (v > UINT64_MAX - step)
			break;
		v += step;
	}
	for (; i < len && st->nids < MAX_IDS; i += 3, st->nids++)
		snprintf(st->ids[st->nids], sizeof(st->ids[0]), "jit:u:r:%u-%zu",
		    data[i], st->nids);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct jkey *ca;
	struct set *in = calloc(1, sizeof(*in)), *back = calloc(1, sizeof(*back));
	char *ids[MAX_IDS];
	const struct jkey *cas[1];
	struct jbuf *out = jbuf_new();
	size_t i;

	if (in == NULL || back == NULL || out == NULL)
		abort();
	if (ca == NULL && jkey_generate(JKEY_ED25519, 0, &ca) != 0)
		abort();
	cas[0] = ca;
	(void)jkrl_check(data, len, NULL, NULL);	/* the reader: any bytes */
	make_set(data, len, in);
	for (i = 0; i < in->nids; i++)
		ids[i] = in->ids[i];
	if (jkrl_encode(cas, 1, in->s, in->n, ids, in->nids, 1, 1700000000,
	    "fuzz", out) != 0)
		abort();	/* a valid set always encodes */
	if (decode(jbuf_ptr(out), jbuf_len(out), back) != 0)
		abort();	/* ... into a KRL that reads */
	if (jkrl_check(jbuf_ptr(out), jbuf_len(out), NULL, NULL) != 0)
		abort();	/* ... by our reader too */
	tidy(back);
	if (back->n != in->n || memcmp(back->s, in->s, in->n *
	    sizeof(in->s[0])) != 0 || back->nids != in->nids)
		abort();	/* ... holding exactly the set */
	for (i = 0; i < in->nids; i++)
		if (strcmp(back->ids[i], in->ids[i]) != 0)
			abort();
	jbuf_free(out);
	free(in);
	free(back);
	return 0;
}
