/*
 * rtab.c: the access review's tables (rtab.h).
 */
#include <stdlib.h>
#include <string.h>

#include "jit-err.h"
#include "rtab.h"


uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

uint64_t
hash_str(const char *s, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static int
map_grow(struct map *m)
{
	struct map n = { NULL, NULL, m->cap ? m->cap * 2 : 64, 0 };
	size_t i, j;

	if ((n.keys = calloc(n.cap, sizeof(*n.keys))) == NULL ||
	    (n.vals = calloc(n.cap, sizeof(*n.vals))) == NULL) {
		free(n.keys);
		return JIT_ERR_ALLOC;
	}
	for (i = 0; i < m->cap; i++) {
		if (m->vals[i] == 0)
			continue;
		for (j = mix(m->keys[i]) & (n.cap - 1); n.vals[j] != 0;
		    j = (j + 1) & (n.cap - 1))
			;
		n.keys[j] = m->keys[i];
		n.vals[j] = m->vals[i];
		n.n++;
	}
	free(m->keys);
	free(m->vals);
	*m = n;
	return 0;
}

/* The slot for key, or -1. */
long
map_get(const struct map *m, uint64_t key)
{
	size_t j;

	if (m->cap == 0)
		return -1;
	for (j = mix(key) & (m->cap - 1); m->vals[j] != 0;
	    j = (j + 1) & (m->cap - 1))
		if (m->keys[j] == key)
			return (long)m->vals[j] - 1;
	return -1;
}

int
map_put(struct map *m, uint64_t key, uint32_t slot)
{
	size_t j;
	int r;

	if ((m->n + 1) * 2 > m->cap && (r = map_grow(m)) != 0)
		return r;
	for (j = mix(key) & (m->cap - 1); m->vals[j] != 0;
	    j = (j + 1) & (m->cap - 1))
		if (m->keys[j] == key)
			break;
	if (m->vals[j] == 0)
		m->n++;
	m->keys[j] = key;
	m->vals[j] = slot + 1;
	return 0;
}

/* Removes key, moving later entries of its run back (no tombstones). */
void
map_del(struct map *m, uint64_t key)
{
	size_t i, j, k;

	if (m->cap == 0)
		return;
	for (i = mix(key) & (m->cap - 1); m->vals[i] != 0;
	    i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == key)
			break;
	if (m->vals[i] == 0)
		return;
	m->vals[i] = 0;
	m->n--;
	for (j = (i + 1) & (m->cap - 1); m->vals[j] != 0;
	    j = (j + 1) & (m->cap - 1)) {
		k = mix(m->keys[j]) & (m->cap - 1);
		/* Stays when its home lies cyclically in (i, j]. */
		if ((i < j) ? (k > i && k <= j) : (k > i || k <= j))
			continue;
		m->keys[i] = m->keys[j];
		m->vals[i] = m->vals[j];
		m->vals[j] = 0;
		i = j;
	}
}

void
map_free(struct map *m)
{
	free(m->keys);
	free(m->vals);
}


long
pool_take(struct pool *p)
{
	size_t i;
	void *t;

	if (p->nfree > 0)
		i = p->free[--p->nfree];
	else {
		if (p->n == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 64;

			if ((t = realloc(p->items, cap * p->size)) == NULL)
				return -1;
			p->items = t;
			if ((t = realloc(p->free, cap * sizeof(*p->free))) ==
			    NULL)
				return -1;
			p->free = t;
			p->cap = cap;
		}
		i = p->n++;
	}
	memset(p->items + i * p->size, 0, p->size);
	return (long)i;
}

void *
pool_at(const struct pool *p, long i)
{
	return p->items + (size_t)i * p->size;
}

void
pool_give(struct pool *p, long i)
{
	p->free[p->nfree++] = (uint32_t)i;
}


int
hist_add(struct hist *h, uint64_t v)
{
	if (h->sec == NULL &&
	    ((h->sec = calloc(HIST_SECS, sizeof(*h->sec))) == NULL ||
	    (h->hour = calloc(HIST_HOURS, sizeof(*h->hour))) == NULL))
		return JIT_ERR_ALLOC;
	if (v < HIST_SECS)
		h->sec[v]++;
	else
		h->hour[v / 3600 < HIST_HOURS ? v / 3600 : HIST_HOURS - 1]++;
	h->n++;
	if (v > h->max)
		h->max = v;
	return 0;
}

/* The smallest v with at least q percent of the values at or below it. */
uint64_t
hist_pct(const struct hist *h, unsigned q)
{
	uint64_t want = (h->n * q + 99) / 100, seen = 0;
	size_t i;

	if (h->n == 0)
		return 0;
	if (want == 0)
		want = 1;
	for (i = 0; i < HIST_SECS; i++)
		if ((seen += h->sec[i]) >= want)
			return i;
	for (i = 0; i < HIST_HOURS; i++)
		if ((seen += h->hour[i]) >= want)
			return i * 3600 + 3599 < h->max ? i * 3600 + 3599 : h->max;
	return h->max;
}

/* How many values fall in [lo, hi). */
uint64_t
hist_range(const struct hist *h, uint64_t lo, uint64_t hi)
{
	uint64_t n = 0, v;

	if (h->n == 0)
		return 0;
	for (v = lo; v < hi && v < HIST_SECS; v++)
		n += h->sec[v];
	for (v = lo > HIST_SECS ? lo / 3600 : HIST_SECS / 3600;
	    hi > HIST_SECS && v < HIST_HOURS && v * 3600 < hi; v++)
		n += h->hour[v];
	return n;
}


void *
pool_keyed(struct pool *p, struct map *m, uint64_t key, int *madep)
{
	long i;

	*madep = 0;
	if ((i = map_get(m, key)) >= 0)
		return pool_at(p, i);
	if ((i = pool_take(p)) < 0)
		return NULL;
	if (map_put(m, key, (uint32_t)i) != 0) {
		pool_give(p, i);
		return NULL;
	}
	*madep = 1;
	return pool_at(p, i);
}

void
pool_free(struct pool *p)
{
	free(p->items);
	free(p->free);
}

void
hist_free(struct hist *h)
{
	free(h->sec);
	free(h->hour);
}
