/*
 * bench_store: the store at audit scale.  Fills a store with N issuance
 * events (default 1,000,000: 1,000 users, 20 roles, over one year), then
 * reports bytes per event, one user's last 50 events, a 24 h time range,
 * `audit verify` speed, and durable issuances per second with 1 writer (the
 * baseline: one fsync per issuance) and with 32 concurrent writers (group
 * commit).  Medians over repeated queries.
 *
 *   bench_store [DIR] [EVENTS] [SECONDS_PER_WRITER_RUN]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "benchutil.h"
#include "jit-err.h"
#include "jstore.h"

#define USERS	1000
#define ROLES	20
#define T0	1700000000ULL
#define YEAR	(365ULL * 86400)

static void
die(const char *what, int r)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, jit_strerror(r));
	exit(1);
}

/* A fingerprint per event, as every issuance certifies a fresh key. */
static void
make_fp(uint64_t i, char *fp)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint64_t x = i * 0x9e3779b97f4a7c15ULL + 1;
	int k;

	memcpy(fp, "SHA256:", 7);
	for (k = 0; k < 43; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		fp[7 + k] = b64[x & 63];
	}
	fp[7 + 42] = 'A';	/* last character of 256 bits: low bits zero */
	fp[50] = '\0';
}

static void
make_event(struct jstore_event *ev, uint64_t i, uint64_t total, char *user,
    char *role, char *kid)
{
	snprintf(user, 16, "user%03llu", (unsigned long long)(i * 7919 % USERS));
	snprintf(role, 16, "role%02llu", (unsigned long long)(i % ROLES));
	snprintf(kid, 32, "jit:%s:%s:%llu", user, role,
	    (unsigned long long)(i + 1));
	make_fp(i, kid + 32);
	memset(ev, 0, sizeof(*ev));
	ev->time = T0 + i * YEAR / total;
	ev->event = "issue";
	ev->user = user;
	ev->role = role;
	ev->serial = i + 1;
	ev->key_id = kid;
	ev->principals = user;
	ev->valid_after = ev->time - 30;
	ev->valid_before = ev->time + 600;
	ev->fingerprint = kid + 32;
	ev->source = "10.20.30.40";
}

static int
count(const struct jstore_event *ev, void *arg)
{
	(void)ev;
	(*(unsigned long *)arg)++;
	return 0;
}

struct writer {
	struct jstore *s;
	double secs;
	unsigned long n;
	int id;
};

static void *
writer(void *arg)
{
	struct writer *w = arg;
	struct jstore_event ev;
	char user[16], role[16], kid[96];
	double t0 = bench_wall();
	uint64_t serial;
	int r;

	while (bench_wall() - t0 < w->secs) {
		if ((r = jstore_next_serial(w->s, &serial)) != 0)
			die("serial", r);
		make_event(&ev, serial, 1000000, user, role, kid);
		ev.time = 0;
		if ((r = jstore_append(w->s, &ev, 1)) != 0)
			die("append", r);
		w->n++;
	}
	return NULL;
}

static double
writers(struct jstore *s, int n, double secs)
{
	struct writer w[64];
	pthread_t t[64];
	unsigned long total = 0;
	double t0 = bench_wall();
	int i;

	for (i = 0; i < n; i++) {
		w[i] = (struct writer){ s, secs, 0, i };
		pthread_create(&t[i], NULL, writer, &w[i]);
	}
	for (i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		total += w[i].n;
	}
	return (double)total / (bench_wall() - t0);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp/jit-bench-store";
	uint64_t total = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
	double wsecs = argc > 3 ? atof(argv[3]) : 5;
	struct jstore_event evs[1000];
	char users[1000][16], roles[1000][16], kids[1000][96], path[512];
	struct jstore_filter f;
	struct jstore *s = NULL;
	struct stat st;
	double t, q[101], c1, c32;
	unsigned long n;
	uint64_t i, j, cnt, bad;
	int r, k;

	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		return 1;
	if ((r = jstore_open(dir, 0, 16ULL << 30, &s)) != 0)
		die("open", r);
	t = bench_wall();
	for (i = 0; i < total; i += 1000) {
		for (j = 0; j < 1000 && i + j < total; j++)
			make_event(&evs[j], i + j, total, users[j], roles[j], kids[j]);
		if ((r = jstore_append(s, evs, j)) != 0)
			die("fill", r);
	}
	printf("filled %llu events in %.1f s (batches of 1000 per commit)\n",
	    (unsigned long long)total, bench_wall() - t);
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (stat(path, &st) == 0)
		printf("bytes per event on disk:        %.0f (goal <= 600)\n",
		    (double)st.st_size / (double)total);

	/* One user's last 50 events. */
	for (k = 0; k < 101; k++) {
		char u[16];

		snprintf(u, sizeof(u), "user%03d", (k * 37) % USERS);
		memset(&f, 0, sizeof(f));
		f.user = u;
		f.limit = 50;
		n = 0;
		t = bench_wall();
		if ((r = jstore_query(s, &f, count, &n)) != 0 || n == 0)
			die("user query", r ? r : JIT_ERR_INTERNAL);
		q[k] = bench_wall() - t;
	}
	qsort(q, 101, sizeof(double), bench_cmp_double);
	printf("user's last 50 events:          median %.3f ms, p99 %.3f ms "
	    "(goal <= 2 ms)\n", q[50] * 1e3, q[99] * 1e3);

	/* A 24 h window: newest 50 in it, and all of it. */
	for (k = 0; k < 101; k++) {
		memset(&f, 0, sizeof(f));
		f.since = T0 + (uint64_t)(k * 3) * 86400;
		f.until = f.since + 86400 - 1;
		f.limit = 50;
		n = 0;
		t = bench_wall();
		if ((r = jstore_query(s, &f, count, &n)) != 0)
			die("time query", r);
		q[k] = bench_wall() - t;
	}
	qsort(q, 101, sizeof(double), bench_cmp_double);
	printf("24 h range, newest 50:          median %.3f ms, p99 %.3f ms\n",
	    q[50] * 1e3, q[99] * 1e3);
	for (k = 0; k < 21; k++) {
		memset(&f, 0, sizeof(f));
		f.since = T0 + (uint64_t)(k * 17) * 86400;
		f.until = f.since + 86400 - 1;
		n = 0;
		t = bench_wall();
		if ((r = jstore_query(s, &f, count, &n)) != 0)
			die("time query", r);
		q[k] = bench_wall() - t;
	}
	qsort(q, 21, sizeof(double), bench_cmp_double);
	printf("24 h range, all %lu events:   median %.3f ms\n", n, q[10] * 1e3);

	t = bench_wall();
	if ((r = jstore_verify(s, &cnt, &bad, NULL)) != 0)
		die("verify", r);
	t = bench_wall() - t;
	printf("audit verify:                   %.0f events/s (%llu events in "
	    "%.2f s; goal >= 500,000/s)\n", (double)cnt / t,
	    (unsigned long long)cnt, t);

	c1 = writers(s, 1, wsecs);
	c32 = writers(s, 32, wsecs);
	printf("durable issuances/s, 1 writer:  %.0f (baseline: one fsync each)\n",
	    c1);
	printf("durable issuances/s, 32 writers: %.0f (%.1fx; goal >= 5,000/s)\n",
	    c32, c32 / c1);
	jstore_close(s);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	return system(path) == 0 ? 0 : 1;
}
