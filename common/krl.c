/* krl.c: the KRL encoding.  See jkrl.h and PROTOCOL.krl. */
#include <stdlib.h>
#include <string.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jkey.h"
#include "jkrl.h"

#define KRL_MAGIC			0x5353484b524c0a00ULL
#define KRL_FORMAT_VERSION		1
#define KRL_SECTION_CERTIFICATES	1
#define KRL_CERT_SERIAL_LIST		0x20
#define KRL_CERT_SERIAL_RANGE		0x21
#define KRL_CERT_SERIAL_BITMAP		0x22
#define KRL_CERT_KEY_ID			0x23

/*
 * Sizes in bytes, for choosing the encoding.  A subsection is a type byte
 * and a string (4-byte length); a list holds 8 bytes a serial; a range
 * subsection holds exactly one range (OpenSSH's parser takes no more); a
 * bitmap holds its first serial and an mpint with a bit per serial.  A
 * bitmap spans at most BITMAP_MAX_BITS serials, well inside the 2,048-byte
 * mpint OpenSSH reads, and bounds the work of the search below.
 */
#define SUB_HEAD		5
#define COST_SERIAL		8
#define COST_RANGE		(SUB_HEAD + 16)
#define BITMAP_MAX_BITS		8192

enum seg_kind { SEG_LIST, SEG_RANGE, SEG_BITMAP };

/* One subsection of the plan: runs first..last (inclusive) in one form. */
struct seg {
	enum seg_kind	kind;
	size_t		first, last;
};

/* A run of consecutive serials. */
struct run {
	uint64_t	lo, hi;
};

static size_t
bitmap_cost(uint64_t span)
{
	/* The top bit is the last serial; a set top bit needs a zero byte. */
	return SUB_HEAD + 8 + 4 + (size_t)((span + 7) / 8) +
	    (span % 8 == 0 ? 1 : 0);
}

/*
 * Splits the sorted serials into runs and chooses, by dynamic programming
 * over the runs, the subsections that make the smallest encoding: done[k]
 * is the least cost of runs 0..k-1 with every subsection closed, list[k]
 * the least with a list still open after run k-1 (its head counted).
 * Consecutive runs share a list or a bitmap; a range holds one run.
 * On success *segsp holds *nsegsp subsections in serial order.
 */
static int
plan_serials(const uint64_t *serials, size_t nserials, struct run **runsp,
    struct seg **segsp, size_t *nsegsp)
{
	struct run *runs = NULL;
	struct seg *segs = NULL;
	size_t *done = NULL, *list = NULL, *from = NULL, m = 0, i, k, n;
	unsigned char *list_new = NULL;
	int in_list, r = JIT_ERR_ALLOC;

	*runsp = NULL;
	*segsp = NULL;
	*nsegsp = 0;
	if (nserials == 0)
		return 0;
	if ((runs = calloc(nserials, sizeof(*runs))) == NULL)
		goto out;
	for (i = 0; i < nserials; i++) {
		if (m > 0 && serials[i] == runs[m - 1].hi + 1) {
			runs[m - 1].hi = serials[i];
		} else {
			runs[m].lo = runs[m].hi = serials[i];
			m++;
		}
	}
	/* from[k]: how done[k] ends: SIZE_MAX a list, m a range, else the
	 * first run of a bitmap. */
	if ((done = calloc(m + 1, sizeof(*done))) == NULL ||
	    (list = calloc(m + 1, sizeof(*list))) == NULL ||
	    (from = calloc(m + 1, sizeof(*from))) == NULL ||
	    (list_new = calloc(m + 1, 1)) == NULL ||
	    (segs = calloc(m, sizeof(*segs))) == NULL)
		goto out;
	done[0] = 0;
	list[0] = SIZE_MAX;
	for (k = 0; k < m; k++) {
		size_t count = (size_t)(runs[k].hi - runs[k].lo) + 1, best;

		/* Open a list here, or go on with the one before. */
		list_new[k + 1] = list[k] == SIZE_MAX ||
		    done[k] + SUB_HEAD <= list[k];
		list[k + 1] = (list_new[k + 1] ? done[k] + SUB_HEAD : list[k]) +
		    count * COST_SERIAL;
		best = list[k + 1];
		from[k + 1] = SIZE_MAX;
		if (done[k] + COST_RANGE < best) {
			best = done[k] + COST_RANGE;
			from[k + 1] = m;
		}
		for (i = k + 1; i-- > 0;) {
			uint64_t span = runs[k].hi - runs[i].lo;

			if (span >= BITMAP_MAX_BITS)
				break;
			if (done[i] + bitmap_cost(span + 1) < best) {
				best = done[i] + bitmap_cost(span + 1);
				from[k + 1] = i;
			}
		}
		done[k + 1] = best;
	}
	/* Walk back from the end, then put the subsections in order. */
	n = 0;
	in_list = 0;
	for (k = m; k > 0;) {
		if (in_list) {
			if (list_new[k]) {
				segs[n - 1].first = k - 1;
				in_list = 0;
			}
			k--;
		} else if (from[k] == SIZE_MAX) {
			segs[n].kind = SEG_LIST;
			segs[n++].last = k - 1;
			in_list = 1;
		} else if (from[k] == m) {
			segs[n].kind = SEG_RANGE;
			segs[n].first = segs[n].last = k - 1;
			n++;
			k--;
		} else {
			segs[n].kind = SEG_BITMAP;
			segs[n].first = from[k];
			segs[n++].last = k - 1;
			k = from[k];
		}
	}
	for (i = 0; i < n / 2; i++) {
		struct seg t = segs[i];

		segs[i] = segs[n - 1 - i];
		segs[n - 1 - i] = t;
	}
	*runsp = runs;
	*segsp = segs;
	*nsegsp = n;
	runs = NULL;
	segs = NULL;
	r = 0;
 out:
	free(runs);
	free(segs);
	free(done);
	free(list);
	free(from);
	free(list_new);
	return r;
}

/* Appends one subsection of the plan to sub (its body only). */
static int
put_seg(struct jbuf *sub, const struct run *runs, const struct seg *s)
{
	unsigned char *bits = NULL;
	uint64_t v, span, off;
	size_t i, nbytes;
	int r = 0;

	switch (s->kind) {
	case SEG_LIST:
		for (i = s->first; r == 0 && i <= s->last; i++)
			for (v = runs[i].lo; r == 0; v++) {
				r = jbuf_put_u64(sub, v);
				if (v == runs[i].hi)
					break;
			}
		return r;
	case SEG_RANGE:
		if ((r = jbuf_put_u64(sub, runs[s->first].lo)) != 0 ||
		    (r = jbuf_put_u64(sub, runs[s->first].hi)) != 0)
			return r;
		return 0;
	case SEG_BITMAP:
		break;
	}
	/* Bit n (from the least significant end) is serial lo + n. */
	span = runs[s->last].hi - runs[s->first].lo + 1;
	nbytes = (size_t)((span + 7) / 8);
	if ((bits = calloc(nbytes, 1)) == NULL)
		return JIT_ERR_ALLOC;
	for (i = s->first; i <= s->last; i++)
		for (v = runs[i].lo;; v++) {
			off = v - runs[s->first].lo;
			bits[nbytes - 1 - off / 8] |= (unsigned char)(1u << (off % 8));
			if (v == runs[i].hi)
				break;
		}
	if ((r = jbuf_put_u64(sub, runs[s->first].lo)) == 0)
		r = jbuf_put_mpint(sub, bits, nbytes);
	free(bits);
	return r;
}

/* Appends the serial subsections of the plan and the key id one to sect. */
static int
put_cert_subsections(struct jbuf *sect, const struct run *runs,
    const struct seg *segs, size_t nsegs, const struct jbuf *ids)
{
	static const uint8_t type[] = {
		[SEG_LIST] = KRL_CERT_SERIAL_LIST,
		[SEG_RANGE] = KRL_CERT_SERIAL_RANGE,
		[SEG_BITMAP] = KRL_CERT_SERIAL_BITMAP,
	};
	struct jbuf *sub = NULL;
	size_t i;
	int r = JIT_ERR_ALLOC;

	if ((sub = jbuf_new()) == NULL)
		goto out;
	for (i = 0; i < nsegs; i++) {
		jbuf_reset(sub);
		if ((r = put_seg(sub, runs, &segs[i])) != 0 ||
		    (r = jbuf_put_u8(sect, type[segs[i].kind])) != 0 ||
		    (r = jbuf_put_stringb(sect, sub)) != 0)
			goto out;
	}
	r = 0;
	if (jbuf_len(ids) != 0 &&
	    ((r = jbuf_put_u8(sect, KRL_CERT_KEY_ID)) != 0 ||
	    (r = jbuf_put_stringb(sect, ids)) != 0))
		goto out;
 out:
	jbuf_free(sub);
	return r;
}

int
jkrl_encode(const struct jkey *const *cas, size_t ncas,
    const uint64_t *serials, size_t nserials,
    char *const *key_ids, size_t nkey_ids, uint64_t version, uint64_t date,
    const char *comment, struct jbuf *out)
{
	struct jbuf *krl = NULL, *sect = NULL, *ids = NULL, *cab = NULL;
	struct run *runs = NULL;
	struct seg *segs = NULL;
	size_t i, nsegs = 0;
	int r = JIT_ERR_INTERNAL;

	for (i = 0; i < ncas; i++)
		if (cas == NULL || cas[i] == NULL)
			return JIT_ERR_INVALID_ARGUMENT;
	if (ncas == 0 || out == NULL || (serials == NULL && nserials != 0) ||
	    (key_ids == NULL && nkey_ids != 0))
		return JIT_ERR_INVALID_ARGUMENT;
	for (i = 0; i < nserials; i++)
		if (serials[i] == 0 || (i > 0 && serials[i] <= serials[i - 1]))
			return JIT_ERR_INVALID_ARGUMENT;
	if ((krl = jbuf_new()) == NULL || (sect = jbuf_new()) == NULL ||
	    (ids = jbuf_new()) == NULL || (cab = jbuf_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = plan_serials(serials, nserials, &runs, &segs, &nsegs)) != 0)
		goto out;
	if ((r = jbuf_put_u64(krl, KRL_MAGIC)) != 0 ||
	    (r = jbuf_put_u32(krl, KRL_FORMAT_VERSION)) != 0 ||
	    (r = jbuf_put_u64(krl, version)) != 0 ||
	    (r = jbuf_put_u64(krl, date)) != 0 ||
	    (r = jbuf_put_u64(krl, 0)) != 0 ||		/* flags */
	    (r = jbuf_put_string(krl, NULL, 0)) != 0 ||	/* reserved */
	    (r = jbuf_put_cstring(krl, comment != NULL ? comment : "")) != 0)
		goto out;
	for (i = 0; i < nkey_ids; i++)
		if ((r = jbuf_put_cstring(ids, key_ids[i])) != 0)
			goto out;
	/* The same serials and ids under each CA key (serials are the CA's,
	 * whichever key signed). */
	for (i = 0; nserials + nkey_ids > 0 && i < ncas; i++) {
		jbuf_reset(sect);
		jbuf_reset(cab);
		if ((r = jkey_put_public(cas[i], cab)) != 0 ||
		    (r = jbuf_put_stringb(sect, cab)) != 0 ||
		    (r = jbuf_put_string(sect, NULL, 0)) != 0 ||	/* reserved */
		    (r = put_cert_subsections(sect, runs, segs, nsegs,
		    ids)) != 0 ||
		    (r = jbuf_put_u8(krl, KRL_SECTION_CERTIFICATES)) != 0 ||
		    (r = jbuf_put_stringb(krl, sect)) != 0)
			goto out;
	}
	r = jbuf_putb(out, krl);
 out:
	jbuf_free(krl);
	jbuf_free(sect);
	jbuf_free(ids);
	jbuf_free(cab);
	free(runs);
	free(segs);
	return r;
}
