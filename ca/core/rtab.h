/*
 * rtab.h: the tables the access review keeps while it walks the log
 * (report.c): a hash table from 64-bit keys to slots, a pool of fixed-size
 * items with a free list, and a histogram of seconds (exact to the second
 * up to a day, to the hour beyond) with percentiles.
 */
#ifndef JIT_CA_RTAB_H
#define JIT_CA_RTAB_H

#include <stddef.h>
#include <stdint.h>

#define HIST_SECS	86400
#define HIST_HOURS	9600	/* 400 days */

/* An open-addressing table: 64-bit key to 32-bit slot (linear probing). */
struct map {
	uint64_t *keys;
	uint32_t *vals;		/* slot + 1; 0: empty */
	size_t cap, n;
};

/* A grown array of fixed-size items with a free list. */
struct pool {
	unsigned char *items;
	size_t size, n, cap;
	uint32_t *free;
	size_t nfree;
};

/* Seconds, counted exactly up to a day and by the hour beyond. */
struct hist {
	uint32_t *sec, *hour;
	uint64_t n, max;
};

uint64_t mix(uint64_t x);
uint64_t hash_str(const char *s, uint64_t seed);
/* The slot for key, or -1. */
long map_get(const struct map *m, uint64_t key);
int map_put(struct map *m, uint64_t key, uint32_t slot);
void map_del(struct map *m, uint64_t key);
void map_free(struct map *m);
/* A new zeroed item's index, or -1 when out of memory. */
long pool_take(struct pool *p);
void *pool_at(const struct pool *p, long i);
void pool_give(struct pool *p, long i);
void pool_free(struct pool *p);
/*
 * The item of key in p, found through m, or made (zeroed; *madep set to 1)
 * when m has no such key; NULL when out of memory.
 */
void *pool_keyed(struct pool *p, struct map *m, uint64_t key, int *madep);
int hist_add(struct hist *h, uint64_t v);
uint64_t hist_pct(const struct hist *h, unsigned q);
uint64_t hist_range(const struct hist *h, uint64_t lo, uint64_t hi);
void hist_free(struct hist *h);

#endif /* JIT_CA_RTAB_H */
