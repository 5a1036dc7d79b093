/* Store: every operation, reopen, concurrency, a full map, foreign files. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "jit-err.h"
#include "jstore.h"

static char dir[64];

/* dir is TMP/store inside a fresh temporary directory. */
static void
setup(void)
{
	strcpy(dir, "/tmp/jit-store-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	strcat(dir, "/store");
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %.*s", (int)(strlen(dir) - 6), dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(store, .init = setup, .fini = teardown);

static struct jstore *
open_store(int flags)
{
	struct jstore *s = NULL;
	int r = jstore_open(dir, flags, 0, &s);

	cr_assert_eq(r, 0, "open: %s", jit_strerror(r));
	return s;
}

static struct jstore_event
issue_event(const char *user, const char *role, uint64_t serial, uint64_t t)
{
	static char ids[64][64];
	static int n;
	struct jstore_event ev;
	char *id = ids[n++ % 64];

	snprintf(id, 64, "jit:%s:%s:%llu", user, role, (unsigned long long)serial);
	memset(&ev, 0, sizeof(ev));
	ev.time = t;
	ev.event = "issue";
	ev.user = user;
	ev.role = role;
	ev.serial = serial;
	ev.key_id = id;
	ev.principals = "root,deploy";
	ev.valid_after = t - 30;
	ev.valid_before = t + 600;
	ev.fingerprint = "SHA256:Rs2gRNuUq3Ps0ImMiyYXBTQQwDTo8KLTjO5embQ3C0Y";
	ev.source = "10.0.0.1";
	ev.reason = "incident 7";
	return ev;
}

struct collected {
	uint64_t seq[64], serial[64];
	char user[64][32], event[64][16];
	size_t n;
};

static int
collect(const struct jstore_event *ev, void *arg)
{
	struct collected *c = arg;

	cr_assert_lt(c->n, 64);
	c->seq[c->n] = ev->seq;
	c->serial[c->n] = ev->serial;
	snprintf(c->user[c->n], 32, "%s", ev->user);
	snprintf(c->event[c->n], 16, "%s", ev->event);
	c->n++;
	return 0;
}

Test(store, append_query_reopen)
{
	struct jstore *s = open_store(0);
	struct jstore_event ev = issue_event("alice", "dev", 1, 1700000000);
	struct jstore_filter f;
	struct collected c;
	uint64_t n, bad;

	cr_assert_eq(jstore_append(s, &ev, 1), 0);
	cr_assert_eq(ev.seq, 1);
	jstore_close(s);

	s = open_store(0);
	ev = issue_event("bob", "prod", 2, 1700000100);
	cr_assert_eq(jstore_append(s, &ev, 1), 0);
	cr_assert_eq(ev.seq, 2, "sequence continues after reopen");
	memset(&c, 0, sizeof(c));
	cr_assert_eq(jstore_query(s, NULL, collect, &c), 0);
	cr_assert_eq(c.n, 2);
	cr_assert_str_eq(c.user[0], "alice");
	cr_assert_str_eq(c.user[1], "bob");
	memset(&f, 0, sizeof(f));
	f.user = "bob";
	memset(&c, 0, sizeof(c));
	cr_assert_eq(jstore_query(s, &f, collect, &c), 0);
	cr_assert_eq(c.n, 1);
	cr_assert_eq(c.serial[0], 2);
	cr_assert_eq(jstore_verify(s, &n, &bad, NULL), 0);
	cr_assert_eq(n, 2);
	jstore_close(s);
}

static int
check_fields(const struct jstore_event *ev, void *arg)
{
	(void)arg;
	cr_assert_eq(ev->time, 1700000000);
	cr_assert_str_eq(ev->event, "issue");
	cr_assert_str_eq(ev->user, "alice");
	cr_assert_str_eq(ev->role, "dev");
	cr_assert_eq(ev->serial, 9);
	cr_assert_str_eq(ev->key_id, "jit:alice:dev:9");
	cr_assert_str_eq(ev->principals, "root,deploy");
	cr_assert_eq(ev->valid_after, 1700000000 - 30);
	cr_assert_eq(ev->valid_before, 1700000600);
	cr_assert_str_eq(ev->fingerprint,
	    "SHA256:Rs2gRNuUq3Ps0ImMiyYXBTQQwDTo8KLTjO5embQ3C0Y");
	cr_assert_str_eq(ev->source, "10.0.0.1");
	cr_assert_str_eq(ev->reason, "incident 7");
	cr_assert_str_eq(ev->request_id, "");
	return 0;
}

Test(store, every_field_round_trips)
{
	struct jstore *s = open_store(0);
	struct jstore_event ev = issue_event("alice", "dev", 9, 1700000000);

	cr_assert_eq(jstore_append(s, &ev, 1), 0);
	cr_assert_eq(jstore_query(s, NULL, check_fields, NULL), 0);
	jstore_close(s);
}

Test(store, filters_and_limit)
{
	struct jstore *s = open_store(0);
	struct jstore_event evs[10];
	struct jstore_filter f;
	struct collected c;
	size_t i;

	for (i = 0; i < 10; i++)
		evs[i] = issue_event(i % 2 ? "bob" : "alice", i < 5 ? "dev" : "prod",
		    100 + i, 1700000000 + i * 3600);
	evs[3].event = "revoke";
	cr_assert_eq(jstore_append(s, evs, 10), 0);

	memset(&f, 0, sizeof(f));
	f.role = "prod";
	memset(&c, 0, sizeof(c));
	cr_assert_eq(jstore_query(s, &f, collect, &c), 0);
	cr_assert_eq(c.n, 5);
	cr_assert_eq(c.serial[0], 105);

	memset(&f, 0, sizeof(f));
	f.event = "revoke";
	memset(&c, 0, sizeof(c));
	cr_assert_eq(jstore_query(s, &f, collect, &c), 0);
	cr_assert_eq(c.n, 1);
	cr_assert_eq(c.serial[0], 103);

	memset(&f, 0, sizeof(f));
	f.serial = 107;
	memset(&c, 0, sizeof(c));
	cr_assert_eq(jstore_query(s, &f, collect, &c), 0);
	cr_assert_eq(c.n, 1);
	cr_assert_str_eq(c.user[0], "bob");

	/* Time range [02:00, 05:00] after the first event's hour. */
	memset(&f, 0, sizeof(f));
	f.since = 1700000000 + 2 * 3600;
	f.until = 1700000000 + 5 * 3600;
	memset(&c, 0, sizeof(c));
	cr_assert_eq(jstore_query(s, &f, collect, &c), 0);
	cr_assert_eq(c.n, 4);
	cr_assert_eq(c.serial[0], 102);
	cr_assert_eq(c.serial[3], 105);

	/* The newest 3 of alice's, shown oldest first. */
	memset(&f, 0, sizeof(f));
	f.user = "alice";
	f.limit = 3;
	memset(&c, 0, sizeof(c));
	cr_assert_eq(jstore_query(s, &f, collect, &c), 0);
	cr_assert_eq(c.n, 3);
	cr_assert_eq(c.serial[0], 104);
	cr_assert_eq(c.serial[1], 106);
	cr_assert_eq(c.serial[2], 108);

	/* Newest 2 in a time range, and by fingerprint. */
	memset(&f, 0, sizeof(f));
	f.until = 1700000000 + 5 * 3600;
	f.limit = 2;
	memset(&c, 0, sizeof(c));
	cr_assert_eq(jstore_query(s, &f, collect, &c), 0);
	cr_assert_eq(c.n, 2);
	cr_assert_eq(c.serial[1], 105);
	memset(&f, 0, sizeof(f));
	f.fingerprint = "SHA256:Rs2gRNuUq3Ps0ImMiyYXBTQQwDTo8KLTjO5embQ3C0Y";
	memset(&c, 0, sizeof(c));
	cr_assert_eq(jstore_query(s, &f, collect, &c), 0);
	cr_assert_eq(c.n, 10);
	f.user = "nobody";
	memset(&c, 0, sizeof(c));
	cr_assert_eq(jstore_query(s, &f, collect, &c), 0);
	cr_assert_eq(c.n, 0);
	jstore_close(s);
}

Test(store, bad_events_change_nothing)
{
	struct jstore *s = open_store(0);
	struct jstore_event evs[2];
	char *big = malloc(JSTORE_FIELD_MAX + 2);
	uint64_t n, bad;

	memset(big, 'x', JSTORE_FIELD_MAX + 1);
	big[JSTORE_FIELD_MAX + 1] = '\0';
	evs[0] = issue_event("alice", "dev", 1, 1700000000);
	evs[1] = issue_event("alice", "dev", 2, 1700000000);
	evs[1].event = "party";
	cr_assert_eq(jstore_append(s, evs, 2), JIT_ERR_INVALID_ARGUMENT);
	cr_assert_eq(evs[0].seq, 0);
	evs[1] = issue_event("alice", "dev", 2, 1700000000);
	evs[1].reason = big;
	cr_assert_eq(jstore_append(s, evs, 2), JIT_ERR_STRING_TOO_LARGE);
	evs[1].reason = NULL;
	evs[1].fingerprint = "not a fingerprint";
	cr_assert_eq(jstore_append(s, evs, 2), JIT_ERR_INVALID_ARGUMENT);
	cr_assert_eq(jstore_verify(s, &n, &bad, NULL), 0);
	cr_assert_eq(n, 0, "a refused batch writes none of its events");
	free(big);
	jstore_close(s);
}

Test(store, serials_are_unique_increasing_never_zero)
{
	struct jstore *s = open_store(0), *t;
	uint64_t a, b, prev = 0;
	int i;

	for (i = 0; i < 600; i++) {
		cr_assert_eq(jstore_next_serial(s, &a), 0);
		cr_assert_gt(a, prev);
		prev = a;
	}
	/* A second handle (another process) never gets the same numbers. */
	t = open_store(JSTORE_ONESHOT);
	cr_assert_eq(jstore_next_serial(t, &b), 0);
	cr_assert_gt(b, 768 - 1, "must be past the blocks the first handle holds");
	cr_assert_eq(jstore_next_serial(t, &a), 0);
	cr_assert_eq(a, b + 1, "one-shot handles reserve one at a time");
	jstore_close(t);
	jstore_close(s);
	s = open_store(0);
	cr_assert_eq(jstore_next_serial(s, &a), 0);
	cr_assert_gt(a, b + 1);
	jstore_close(s);
}

struct writer {
	struct jstore *s;
	int id, n, failed;
};

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct jstore_event ev;
	char user[16];
	uint64_t serial;
	int i;

	snprintf(user, sizeof(user), "u%d", w->id);
	for (i = 0; i < w->n; i++) {
		if (jstore_next_serial(w->s, &serial) != 0) {
			w->failed++;
			continue;
		}
		ev = issue_event(user, "dev", serial, 1700000000 + (uint64_t)i);
		if (jstore_append(w->s, &ev, 1) != 0 || ev.seq == 0)
			w->failed++;
	}
	return NULL;
}

struct reader {
	struct jstore *s;
	volatile int stop;
	int runs, failed;
};

static int
count_cb(const struct jstore_event *ev, void *arg)
{
	(void)ev;
	(*(size_t *)arg)++;
	return 0;
}

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	size_t n, last = 0;
	uint64_t cnt, bad;

	while (!r->stop) {
		n = 0;
		if (jstore_query(r->s, NULL, count_cb, &n) != 0 || n < last)
			r->failed++;
		last = n;
		if (jstore_verify(r->s, &cnt, &bad, NULL) != 0)
			r->failed++;
		r->runs++;
	}
	return NULL;
}

static void
writers_and_readers(struct jstore *s)
{
	struct writer w[8];
	struct reader rd = { s, 0, 0, 0 };
	pthread_t wt[8], rt;
	uint64_t n, bad;
	int i;

	cr_assert_eq(pthread_create(&rt, NULL, reader_main, &rd), 0);
	for (i = 0; i < 8; i++) {
		w[i] = (struct writer){ s, i, 100, 0 };
		cr_assert_eq(pthread_create(&wt[i], NULL, writer_main, &w[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(wt[i], NULL);
		cr_assert_eq(w[i].failed, 0);
	}
	rd.stop = 1;
	pthread_join(rt, NULL);
	cr_assert_eq(rd.failed, 0, "readers saw an error or a shrinking log");
	cr_assert_gt(rd.runs, 0);
	cr_assert_eq(jstore_verify(s, &n, &bad, NULL), 0);
	cr_assert_eq(n, 800);
}

Test(store, concurrent_writers_and_readers)
{
	struct jstore *s = open_store(0);

	writers_and_readers(s);
	jstore_close(s);
}

/*
 * A server with many clients makes leaders wait (up to 8 ms) for bigger
 * batches: with only 8 writers that wait always runs out, and every write
 * must still land once, in order, answered.  Then the clients leave and a
 * lone writer goes on.
 */
Test(store, busy_server_gathering_loses_nothing)
{
	struct jstore *s = open_store(0);
	struct writer lone = { s, 99, 5, 0 };
	uint64_t n, bad;

	jstore_set_clients(s, 64);
	writers_and_readers(s);
	jstore_set_clients(s, 0);
	writer_main(&lone);
	cr_assert_eq(lone.failed, 0);
	cr_assert_eq(jstore_verify(s, &n, &bad, NULL), 0);
	cr_assert_eq(n, 805);
	jstore_close(s);
}

Test(store, full_map_is_a_clear_error_and_writes_nothing_half)
{
	struct jstore *s = NULL;
	struct jstore_event evs[50];
	uint64_t n = 0, bad, before;
	size_t i;
	int r = 0, rounds = 0;

	cr_assert_eq(jstore_open(dir, 0, 256 * 1024, &s), 0);
	while (r == 0 && rounds < 10000) {
		for (i = 0; i < 50; i++)
			evs[i] = issue_event("alice", "dev", (uint64_t)rounds * 50 + i + 1,
			    1700000000);
		r = jstore_append(s, evs, 50);
		rounds++;
	}
	cr_assert_eq(r, JIT_ERR_STORE_FULL, "got %s", jit_strerror(r));
	cr_assert_eq(evs[0].seq, 0);
	cr_assert_eq(jstore_verify(s, &before, &bad, NULL), 0);
	cr_assert_eq(before % 50, 0, "only whole batches were written");
	jstore_close(s);
	/* Reopened, the same map is still full but intact. */
	cr_assert_eq(jstore_open(dir, 0, 256 * 1024, &s), 0);
	cr_assert_eq(jstore_verify(s, &n, &bad, NULL), 0);
	cr_assert_eq(n, before);
	jstore_close(s);
	/* A bigger map takes more. */
	cr_assert_eq(jstore_open(dir, 0, 8 * 1024 * 1024, &s), 0);
	cr_assert_eq(jstore_append(s, evs, 50), 0);
	jstore_close(s);
}

Test(store, foreign_and_corrupted_files_are_refused)
{
	struct jstore *s = (struct jstore *)1;
	char path[128], cmd[512];
	FILE *f;
	int i;

	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	cr_assert_not_null(f = fopen(path, "w"));
	for (i = 0; i < 100; i++)
		fputs("this is not an lmdb file at all, just text\n", f);
	fclose(f);
	cr_assert_eq(jstore_open(dir, 0, 0, &s), JIT_ERR_STORE_FOREIGN);
	cr_assert_null(s);
	/* A real LMDB environment that belongs to somebody else. */
	snprintf(cmd, sizeof(cmd), "rm -f %s/data.mdb && printf 'VERSION=3\\n"
	    "format=print\\ntype=btree\\nHEADER=END\\n k\\n v\\nDATA=END\\n' | "
	    "mdb_load %s", dir, dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(jstore_open(dir, 0, 0, &s), JIT_ERR_STORE_FOREIGN);
	/* A file where the directory should be. */
	snprintf(cmd, sizeof(cmd), "rm -rf %s && touch %s", dir, dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(jstore_open(dir, 0, 0, &s), JIT_ERR_STORE_FOREIGN);
	cr_assert_eq(unlink(dir), 0);
	/* Read-only open of a missing store does not create it. */
	cr_assert_eq(jstore_open(dir, JSTORE_RDONLY, 0, &s), JIT_ERR_NOT_FOUND);
	cr_assert_eq(access(dir, F_OK), -1);
}

Test(store, revocation)
{
	struct jstore *s = open_store(0);
	struct jstore_event evs[3];
	uint64_t *serials = NULL, now = 1700000100;
	char key_id[64], role[16];
	uint64_t vb;
	size_t n;

	evs[0] = issue_event("alice", "dev", 1, 1700000000);
	evs[1] = issue_event("alice", "dev", 2, 1700000000);
	evs[2] = issue_event("bob", "dev", 3, 1700000000);
	evs[1].valid_before = 1700000050;	/* already expired at now */
	cr_assert_eq(jstore_append(s, evs, 3), 0);
	cr_assert_eq(jstore_cert_info(s, 3, key_id, sizeof(key_id), &vb, role,
	    sizeof(role)), 0);
	cr_assert_str_eq(key_id, "jit:bob:dev:3");
	cr_assert_str_eq(role, "dev");
	cr_assert_eq(jstore_user_serials(s, "alice", now, &serials, &n), 0);
	cr_assert_eq(n, 1, "the expired one is not counted");
	cr_assert_eq(serials[0], 1);
	free(serials);
	cr_assert_eq(jstore_revoke(s, 1, "operator", "lost laptop", now), 0);
	cr_assert_eq(jstore_revoke(s, 1, "operator", NULL, now), JIT_ERR_EXISTS);
	cr_assert_eq(jstore_revoke(s, 42, "operator", NULL, now), JIT_ERR_NOT_FOUND);
	cr_assert_eq(jstore_revoke(s, 2, "operator", NULL, now), 0);
	{
		struct collected c;
		struct jstore_filter f;

		memset(&f, 0, sizeof(f));
		f.event = "revoke";
		memset(&c, 0, sizeof(c));
		cr_assert_eq(jstore_query(s, &f, collect, &c), 0);
		cr_assert_eq(c.n, 2);
		cr_assert_str_eq(c.user[0], "alice");
	}
	jstore_close(s);
}

static int
revoked_cb(uint64_t serial, const char *key_id, void *arg)
{
	struct collected *c = arg;

	c->serial[c->n] = serial;
	snprintf(c->user[c->n], 32, "%s", key_id);
	c->n++;
	return 0;
}

Test(store, revoked_list_drops_expired_certificates)
{
	struct jstore *s = open_store(0);
	struct jstore_event evs[2];
	struct collected c;
	uint64_t version = 0;

	evs[0] = issue_event("alice", "dev", 5, 1700000000);
	evs[1] = issue_event("alice", "dev", 6, 1700000000);
	evs[1].valid_before = 1700000200;
	cr_assert_eq(jstore_append(s, evs, 2), 0);
	cr_assert_eq(jstore_revoke(s, 5, "op", NULL, 1700000100), 0);
	cr_assert_eq(jstore_revoke(s, 6, "op", NULL, 1700000100), 0);
	memset(&c, 0, sizeof(c));
	cr_assert_eq(jstore_revoked(s, 1700000100, revoked_cb, &c, &version), 0);
	cr_assert_eq(c.n, 2);
	cr_assert_eq(version, 4);
	cr_assert_str_eq(c.user[0], "jit:alice:dev:5");
	memset(&c, 0, sizeof(c));
	cr_assert_eq(jstore_revoked(s, 1700000300, revoked_cb, &c, NULL), 0);
	cr_assert_eq(c.n, 1, "serial 6 expired: no longer listed");
	cr_assert_eq(c.serial[0], 5);
	jstore_close(s);
}

/* A stand-in for the CA's code check: the "code" is the step it matches,
 * 0 never matches. */
static int
verify_step(const unsigned char *sealed, size_t len, void *arg,
    uint64_t *stepp)
{
	(void)sealed;
	(void)len;
	*stepp = *(const uint64_t *)arg;
	return *stepp == 0 ? JIT_ERR_DENIED : 0;
}

static int
check_ex(struct jstore *s, const char *user, uint64_t now, uint64_t step,
    struct jstore_totp_check *c)
{
	memset(c, 0, sizeof(*c));
	c->now = now;
	c->max_failures = 5;
	c->source = "127.0.0.1";
	c->verify = verify_step;
	c->arg = &step;	/* used only during the call */
	return jstore_totp_check(s, user, c);
}

static int
check(struct jstore *s, const char *user, uint64_t now, uint64_t step)
{
	struct jstore_totp_check c;

	return check_ex(s, user, now, step, &c);
}

struct guesser {
	struct jstore *s;
	int checked, locked;
};

static int
count_verify(const unsigned char *sealed, size_t len, void *arg,
    uint64_t *stepp)
{
	(void)sealed;
	(void)len;
	(void)stepp;
	__atomic_fetch_add((int *)arg, 1, __ATOMIC_RELAXED);
	return JIT_ERR_DENIED;
}

static void *
guesser_main(void *arg)
{
	struct guesser *g = arg;
	struct jstore_totp_check c;
	int i, r;

	for (i = 0; i < 10; i++) {
		memset(&c, 0, sizeof(c));
		c.now = 1700000000;
		c.max_failures = 5;
		c.source = "127.0.0.2";
		c.verify = count_verify;
		c.arg = &g->checked;
		r = jstore_totp_check(g->s, "alice", &c);
		if (r == JIT_ERR_TOTP_LOCKED)
			__atomic_fetch_add(&g->locked, 1, __ATOMIC_RELAXED);
		else
			cr_assert_eq(r, JIT_ERR_TOTP_WRONG);
	}
	return NULL;
}

/* 60 parallel guessers (the review's attack): 5 codes checked, no more. */
Test(store, parallel_code_guesses_are_counted_one_by_one)
{
	struct jstore *s = open_store(0);
	struct guesser g = { s, 0, 0 };
	pthread_t th[60];
	size_t i;

	cr_assert_eq(jstore_totp_enroll(s, "alice", (const unsigned char *)
	    "12345678901234567890", 20, 1700000000), 0);
	jstore_set_clients(s, 60);
	for (i = 0; i < 60; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, guesser_main, &g), 0);
	for (i = 0; i < 60; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(g.checked, 5, "%d codes checked", g.checked);
	cr_assert_eq(g.locked, 600 - 5);
	jstore_close(s);
}

Test(store, totp_state)
{
	struct jstore *s = open_store(0);
	struct jstore_totp t;
	struct jstore_totp_check c;
	static const unsigned char secret[20] = "12345678901234567890";
	uint32_t fails = 0;

	cr_assert_eq(jstore_totp_get(s, "alice", &t), JIT_ERR_NOT_FOUND);
	cr_assert_eq(jstore_totp_enroll(s, "alice", secret, 20, 1700000000), 0);
	cr_assert_eq(jstore_totp_get(s, "alice", &t), 0);
	cr_assert_eq(t.secret_len, 20);
	cr_assert_eq(memcmp(t.secret, secret, 20), 0);
	cr_assert_eq(t.last_step, 0);
	cr_assert_eq(check(s, "alice", 1700000000, 1000), 0);
	cr_assert_eq(check(s, "alice", 1700000000, 1000), JIT_ERR_TOTP_REPLAY);
	cr_assert_eq(check(s, "alice", 1700000000, 999), JIT_ERR_TOTP_REPLAY);
	cr_assert_eq(check(s, "alice", 1700000000, 0), JIT_ERR_TOTP_WRONG);
	cr_assert_eq(jstore_totp_get(s, "alice", &t), 0);
	cr_assert_eq(t.failures, 3, "replays and wrong codes count");
	cr_assert_eq(t.last_step, 1000);
	cr_assert_eq(check(s, "alice", 1700000000, 1001), 0);
	cr_assert_eq(jstore_totp_get(s, "alice", &t), 0);
	cr_assert_eq(t.failures, 0, "a good code resets the failure count");
	/* The fifth failure in a row locks for 1 min, the sixth for 2, ... */
	for (fails = 0; fails < 4; fails++)
		cr_assert_eq(check(s, "alice", 1700000000, 0), JIT_ERR_TOTP_WRONG);
	cr_assert_eq(check_ex(s, "alice", 1700000000, 0, &c), JIT_ERR_TOTP_WRONG);
	cr_assert(c.locked_now);
	cr_assert_eq(c.locked_until, 1700000060);
	cr_assert_eq(check_ex(s, "alice", 1700000059, 1002, &c),
	    JIT_ERR_TOTP_LOCKED, "a right code is not even checked");
	cr_assert_eq(c.locked_until, 1700000060);
	cr_assert_eq(check_ex(s, "alice", 1700000060, 0, &c), JIT_ERR_TOTP_WRONG);
	cr_assert_eq(c.locked_until, 1700000180, "the back-off grows");
	cr_assert_eq(check(s, "alice", 1700000180, 1002), 0);
	cr_assert_eq(jstore_totp_get(s, "alice", &t), 0);
	cr_assert_eq(t.locked_until, 0);
	{
		struct collected ev;
		struct jstore_filter f;

		memset(&f, 0, sizeof(f));
		f.event = "lockout";
		memset(&ev, 0, sizeof(ev));
		cr_assert_eq(jstore_query(s, &f, collect, &ev), 0);
		cr_assert_eq(ev.n, 2, "each lockout is on record");
		f.event = "mfa-fail";
		memset(&ev, 0, sizeof(ev));
		cr_assert_eq(jstore_query(s, &f, collect, &ev), 0);
		cr_assert_eq(ev.n, 9, "each failure is on record");
	}
	/* Re-enrolling replaces the secret and the state, and is audited. */
	cr_assert_eq(jstore_totp_enroll(s, "alice", (const unsigned char *)
	    "abcdefghijabcdefghij", 20, 1700001000), 0);
	cr_assert_eq(jstore_totp_get(s, "alice", &t), 0);
	cr_assert_eq(memcmp(t.secret, "abcdefghij", 10), 0);
	cr_assert_eq(t.last_step, 0);
	cr_assert_eq(check(s, "bob", 1700000000, 5), JIT_ERR_NOT_FOUND);
	cr_assert_eq(jstore_totp_enroll(s, "", secret, 20, 1), JIT_ERR_INVALID_ARGUMENT);
	cr_assert_eq(jstore_totp_enroll(s, "x", secret, 65, 1), JIT_ERR_INVALID_ARGUMENT);
	{
		struct collected ev;
		struct jstore_filter f;

		memset(&f, 0, sizeof(f));
		f.event = "enroll";
		memset(&ev, 0, sizeof(ev));
		cr_assert_eq(jstore_query(s, &f, collect, &ev), 0);
		cr_assert_eq(ev.n, 2);
	}
	jstore_close(s);
}

static struct jstore_request
new_request(const char *user, uint64_t expires)
{
	struct jstore_request r;

	memset(&r, 0, sizeof(r));
	r.user = (char *)(uintptr_t)user;
	r.role = "prod-root";
	r.principals = "root";
	r.pubkey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEbMhFiYiyK4jkOMvf4kA8W9m6wdWQR6NmZDIj86Hkmc";
	r.fingerprint = "SHA256:Rs2gRNuUq3Ps0ImMiyYXBTQQwDTo8KLTjO5embQ3C0Y";
	r.reason = "incident 42";
	r.source = "10.0.0.7";
	r.approver_groups = "sre-leads";
	r.ttl = 900;
	r.quorum = 2;
	r.expires = expires;
	return r;
}

Test(store, approval_requests)
{
	struct jstore *s = open_store(0);
	struct jstore_request in = new_request("bob", 1700000900), *r = NULL;
	enum jstore_request_state st = 0;
	char id[JSTORE_REQUEST_ID_LEN + 1], id2[JSTORE_REQUEST_ID_LEN + 1];
	char id3[JSTORE_REQUEST_ID_LEN + 1];
	struct collected c;
	struct jstore_filter f;

	cr_assert_eq(jstore_request_create(s, &in, 1700000000, 2, id), 0);
	cr_assert_eq(strlen(id), JSTORE_REQUEST_ID_LEN);
	cr_assert_eq(strncmp(id, "r-", 2), 0);
	cr_assert_eq(jstore_request_get(s, id, &r), 0);
	cr_assert_eq(r->state, JSTORE_REQ_PENDING);
	cr_assert_str_eq(r->user, "bob");
	cr_assert_str_eq(r->principals, "root");
	cr_assert_eq(r->ttl, 900);
	cr_assert_str_eq(r->approvers, "");
	jstore_request_free(r);

	/* Nobody approves their own request; one approver counts once. */
	cr_assert_eq(jstore_request_approve(s, id, "bob", NULL, 1700000010, 0, &st),
	    JIT_ERR_REQUEST_SELF);
	cr_assert_eq(jstore_request_approve(s, id, "carol", "ok", 1700000020, 0, &st), 0);
	cr_assert_eq(st, JSTORE_REQ_PENDING, "quorum 2 is not met by one");
	cr_assert_eq(jstore_request_approve(s, id, "carol", NULL, 1700000030, 0, &st),
	    JIT_ERR_EXISTS);
	cr_assert_eq(jstore_request_approve(s, id, "erin", NULL, 1700000040, 0, &st), 0);
	cr_assert_eq(st, JSTORE_REQ_APPROVED);
	cr_assert_eq(jstore_request_get(s, id, &r), 0);
	cr_assert_str_eq(r->approvers, "carol,erin");
	jstore_request_free(r);
	/* Decided requests take no more decisions. */
	cr_assert_eq(jstore_request_approve(s, id, "frank", NULL, 1700000050, 0, &st),
	    JIT_ERR_REQUEST_DECIDED);
	cr_assert_eq(jstore_request_deny(s, id, "frank", NULL, 1700000050),
	    JIT_ERR_REQUEST_DECIDED);
	{
		struct jstore_event ev = issue_event("bob", "prod-root", 77,
		    1700000060);

		ev.request_id = id;
		cr_assert_eq(jstore_request_issue(s, id, 1700000060, &ev, 1), 0);
		ev.serial = 78;
		cr_assert_eq(jstore_request_issue(s, id, 1700000061, &ev, 1),
		    JIT_ERR_REQUEST_DECIDED, "one certificate per request");
	}
	cr_assert_eq(jstore_request_get(s, id, &r), 0);
	cr_assert_eq(r->state, JSTORE_REQ_ISSUED);
	cr_assert_eq(r->serial, 77);
	jstore_request_free(r);

	/* Deny, and the per-user limit on pending requests. */
	cr_assert_eq(jstore_request_create(s, &in, 1700000100, 2, id), 0);
	cr_assert_eq(jstore_request_create(s, &in, 1700000100, 2, id2), 0);
	cr_assert_eq(jstore_request_create(s, &in, 1700000100, 2, id3),
	    JIT_ERR_NO_BUFFER_SPACE);
	cr_assert_str_eq(id3, "", "no id for a refused request");
	cr_assert_eq(jstore_request_deny(s, id, "carol", "not now", 1700000200), 0);
	cr_assert_eq(jstore_request_get(s, id, &r), 0);
	cr_assert_eq(r->state, JSTORE_REQ_DENIED);
	jstore_request_free(r);
	cr_assert_eq(jstore_request_get(s, "r-nope", &r), JIT_ERR_NOT_FOUND);

	/* Expiry: deciding late is refused and marks the request expired. */
	cr_assert_eq(jstore_request_approve(s, id2, "carol", NULL, 1700000900, 0, &st),
	    JIT_ERR_REQUEST_EXPIRED);
	cr_assert_eq(jstore_request_get(s, id2, &r), 0);
	cr_assert_eq(r->state, JSTORE_REQ_EXPIRED);
	jstore_request_free(r);

	memset(&f, 0, sizeof(f));
	f.request_id = id2;
	memset(&c, 0, sizeof(c));
	cr_assert_eq(jstore_query(s, &f, collect, &c), 0);
	cr_assert_eq(c.n, 2);
	cr_assert_str_eq(c.event[0], "request");
	cr_assert_str_eq(c.event[1], "expire");
	jstore_close(s);
}

struct claim_arg {
	struct jstore *s;
	const char *id;
	uint64_t serial;
	int result;
};

static void *
claim_thread(void *arg)
{
	struct claim_arg *a = arg;
	struct jstore_event ev = issue_event("bob", "prod-root", a->serial,
	    1700000100);

	ev.request_id = a->id;
	a->result = jstore_request_issue(a->s, a->id, 1700000100, &ev, 1);
	return NULL;
}

static int
count_issue(const struct jstore_event *ev, void *arg)
{
	if (strcmp(ev->event, "issue") == 0)
		(*(int *)arg)++;
	return 0;
}

/* Regression: two waiters on one approved request both got a certificate. */
Test(store, an_approved_request_is_issued_once_under_a_race)
{
	struct jstore *s = open_store(0);
	struct jstore_request in = new_request("bob", 1700000900), *r = NULL;
	enum jstore_request_state st = 0;
	char id[JSTORE_REQUEST_ID_LEN + 1];
	struct claim_arg a[8];
	pthread_t t[8];
	struct jstore_filter f;
	int i, won = 0, issues = 0;

	in.quorum = 1;
	cr_assert_eq(jstore_request_create(s, &in, 1700000000, 5, id), 0);
	cr_assert_eq(jstore_request_approve(s, id, "carol", NULL, 1700000050, 0,
	    &st), 0);
	cr_assert_eq(st, JSTORE_REQ_APPROVED);
	for (i = 0; i < 8; i++) {
		a[i] = (struct claim_arg){ s, id, (uint64_t)(100 + i), -1 };
		cr_assert_eq(pthread_create(&t[i], NULL, claim_thread, &a[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		if (a[i].result == 0)
			won++;
		else
			cr_assert_eq(a[i].result, JIT_ERR_REQUEST_DECIDED);
	}
	cr_assert_eq(won, 1, "exactly one claim wins, not %d", won);
	memset(&f, 0, sizeof(f));
	f.request_id = id;
	cr_assert_eq(jstore_query(s, &f, count_issue, &issues), 0);
	cr_assert_eq(issues, 1, "exactly one issue event, not %d", issues);
	cr_assert_eq(jstore_request_get(s, id, &r), 0);
	cr_assert_eq(r->state, JSTORE_REQ_ISSUED);
	jstore_request_free(r);
	jstore_close(s);
}

/* Regression: an approved request could be picked up at any time later. */
Test(store, an_approval_lapses_after_its_pickup_window)
{
	struct jstore *s = open_store(0);
	struct jstore_request in = new_request("bob", 1700000900), *r = NULL;
	enum jstore_request_state st = 0;
	char id[JSTORE_REQUEST_ID_LEN + 1], id2[JSTORE_REQUEST_ID_LEN + 1];
	struct jstore_event ev = issue_event("bob", "prod-root", 5, 1700000400);
	struct jstore_filter f;
	int issues = 0;
	unsigned n = 0;

	in.quorum = 1;
	in.pickup_ttl = 60;
	cr_assert_eq(jstore_request_create(s, &in, 1700000000, 5, id), 0);
	cr_assert_eq(jstore_request_create(s, &in, 1700000000, 5, id2), 0);
	cr_assert_eq(jstore_request_approve(s, id, "carol", NULL, 1700000300, 0,
	    &st), 0);
	cr_assert_eq(jstore_request_approve(s, id2, "carol", NULL, 1700000300, 0,
	    &st), 0);
	cr_assert_eq(jstore_request_get(s, id, &r), 0);
	cr_assert_eq(r->expires, 1700000360, "approved: pick up within 60 s");
	jstore_request_free(r);
	ev.request_id = id;
	cr_assert_eq(jstore_request_issue(s, id, 1700000360, &ev, 1),
	    JIT_ERR_REQUEST_EXPIRED);
	cr_assert_eq(jstore_request_get(s, id, &r), 0);
	cr_assert_eq(r->state, JSTORE_REQ_EXPIRED);
	jstore_request_free(r);
	memset(&f, 0, sizeof(f));
	f.request_id = id;
	cr_assert_eq(jstore_query(s, &f, count_issue, &issues), 0);
	cr_assert_eq(issues, 0, "nothing issued after the window");
	/* The bulk sweep expires lapsed approvals too. */
	cr_assert_eq(jstore_request_expire(s, 1700000361, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(jstore_request_get(s, id2, &r), 0);
	cr_assert_eq(r->state, JSTORE_REQ_EXPIRED);
	jstore_request_free(r);
	/* A raised quorum counts at the next approval. */
	in.quorum = 1;
	cr_assert_eq(jstore_request_create(s, &in, 1700000000, 5, id), 0);
	cr_assert_eq(jstore_request_approve(s, id, "carol", NULL, 1700000010, 2,
	    &st), 0);
	cr_assert_eq(st, JSTORE_REQ_PENDING, "the policy now asks for two");
	cr_assert_eq(jstore_request_approve(s, id, "erin", NULL, 1700000011, 2,
	    &st), 0);
	cr_assert_eq(st, JSTORE_REQ_APPROVED);
	/* Cancel reaches an approved request; then it cannot be issued. */
	cr_assert_eq(jstore_request_cancel(s, id, "policy", "changed",
	    1700000012), 0);
	ev.request_id = id;
	cr_assert_eq(jstore_request_issue(s, id, 1700000013, &ev, 1),
	    JIT_ERR_REQUEST_DECIDED);
	jstore_close(s);
}

static int
count_req(const struct jstore_request *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

Test(store, requests_survive_reopen_and_expire_in_bulk)
{
	struct jstore *s = open_store(0);
	struct jstore_request in = new_request("bob", 1700000300);
	char id[JSTORE_REQUEST_ID_LEN + 1];
	unsigned n = 0;
	int pending = 0, expired = 0;

	cr_assert_eq(jstore_request_create(s, &in, 1700000000, 5, id), 0);
	in.expires = 1700009999;
	cr_assert_eq(jstore_request_create(s, &in, 1700000000, 5, id), 0);
	jstore_close(s);
	s = open_store(0);
	cr_assert_eq(jstore_request_list(s, JSTORE_REQ_PENDING, count_req,
	    &pending), 0);
	cr_assert_eq(pending, 2);
	cr_assert_eq(jstore_request_expire(s, 1700000400, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(jstore_request_list(s, JSTORE_REQ_EXPIRED, count_req,
	    &expired), 0);
	cr_assert_eq(expired, 1);
	/* Bad input changes nothing. */
	in.quorum = 0;
	cr_assert_eq(jstore_request_create(s, &in, 1700000000, 5, id),
	    JIT_ERR_INVALID_ARGUMENT);
	in.quorum = 1;
	in.expires = 1;
	cr_assert_eq(jstore_request_create(s, &in, 1700000000, 5, id),
	    JIT_ERR_INVALID_ARGUMENT);
	jstore_close(s);
}

/* Indexes catch up in batches: queries must join index and recent tail. */
Test(store, queries_span_indexed_and_recent_events)
{
	struct jstore *s = open_store(0);
	struct jstore_event ev;
	struct jstore_filter f;
	struct collected c;
	uint64_t i, total = 1100, prev;
	char users[3][8] = { "ann", "ben", "cid" };

	for (i = 1; i <= total; i++) {
		ev = issue_event(users[i % 3], i % 2 ? "odd" : "even", i,
		    1700000000 + i);
		cr_assert_eq(jstore_append(s, &ev, 1), 0);
	}
	/* ben: i % 3 == 1 -> 367 events; the newest 40 straddle the boundary. */
	memset(&f, 0, sizeof(f));
	f.user = "ben";
	f.limit = 40;
	memset(&c, 0, sizeof(c));
	cr_assert_eq(jstore_query(s, &f, collect, &c), 0);
	cr_assert_eq(c.n, 40);
	for (i = 0, prev = 0; i < c.n; i++) {
		cr_assert_gt(c.seq[i], prev, "oldest first, no repeats");
		cr_assert_str_eq(c.user[i], "ben");
		prev = c.seq[i];
	}
	cr_assert_eq(c.serial[39], 1099, "the newest of ben's is in the tail");
	cr_assert_lt(c.serial[0], 1024, "the oldest shown is in the index");
	/* Without a limit, a callback-counted walk sees all 367 once. */
	{
		size_t n = 0;

		f.limit = 0;
		cr_assert_eq(jstore_query(s, &f, count_cb, &n), 0);
		cr_assert_eq(n, 367);
		memset(&f, 0, sizeof(f));
		f.since = 1700000000 + 1000;
		f.until = 1700000000 + 1050;
		n = 0;
		cr_assert_eq(jstore_query(s, &f, count_cb, &n), 0);
		cr_assert_eq(n, 51, "a time range across the boundary");
	}
	/* Serial lookups in both parts. */
	cr_assert_eq(jstore_revoke(s, 10, "op", NULL, 1700000000), 0);
	cr_assert_eq(jstore_revoke(s, 1090, "op", NULL, 1700000000), 0);
	cr_assert_eq(jstore_revoke(s, 1101, "op", NULL, 1700000000),
	    JIT_ERR_NOT_FOUND);
	memset(&f, 0, sizeof(f));
	f.serial = 1090;
	memset(&c, 0, sizeof(c));
	cr_assert_eq(jstore_query(s, &f, collect, &c), 0);
	cr_assert_eq(c.n, 2);
	cr_assert_str_eq(c.event[1], "revoke");
	jstore_close(s);
}

struct open_seen {
	int n, pending, approved;
	uint64_t last_expires;
	int sorted;
};

static int
seen_open(const struct jstore_request *r, void *arg)
{
	struct open_seen *o = arg;

	o->n++;
	o->pending += r->state == JSTORE_REQ_PENDING;
	o->approved += r->state == JSTORE_REQ_APPROVED;
	if (r->expires < o->last_expires)
		o->sorted = 0;
	o->last_expires = r->expires;
	return 0;
}

static void
verify_quiet(const char *what, void *arg)
{
	(void)arg;
	cr_log_error("verify: %s", what);
}

/*
 * Regression (issue 12, defect 14): the per-user cap and the expiry sweep
 * walked every request ever made under the write lock.  They read the
 * index of open requests now; it follows every state change.
 */
Test(store, open_requests_are_indexed_through_every_change)
{
	struct jstore *s = open_store(0);
	struct jstore_request in = new_request("bob", 1700000600);
	char id[6][JSTORE_REQUEST_ID_LEN + 1];
	struct jstore_event ev = issue_event("bob", "prod-root", 9, 1700000100);
	struct open_seen o;
	enum jstore_request_state st;
	unsigned n = 0;
	size_t nbad = 0;
	int i;

	in.quorum = 1;
	in.pickup_ttl = 1000;
	for (i = 0; i < 200; i++) {	/* history: decided long ago */
		cr_assert_eq(jstore_request_create(s, &in, 1700000000, 5, id[0]), 0);
		cr_assert_eq(jstore_request_deny(s, id[0], "bob", NULL,
		    1700000001), 0);
	}
	for (i = 0; i < 5; i++) {
		in.expires = 1700000600 - (uint64_t)i * 100;
		cr_assert_eq(jstore_request_create(s, &in, 1700000000, 5, id[i]), 0);
	}
	cr_assert_eq(jstore_request_create(s, &in, 1700000000, 5, id[5]),
	    JIT_ERR_NO_BUFFER_SPACE, "5 pending: the cap holds");
	in.user = "erin";
	cr_assert_eq(jstore_request_create(s, &in, 1700000000, 5, id[5]), 0,
	    "another user's cap is their own");
	memset(&o, 0, sizeof(o));
	o.sorted = 1;
	cr_assert_eq(jstore_request_list_open(s, "bob", seen_open, &o), 0);
	cr_assert_eq(o.n, 5);
	memset(&o, 0, sizeof(o));
	o.sorted = 1;
	cr_assert_eq(jstore_request_list_open(s, NULL, seen_open, &o), 0);
	cr_assert_eq(o.n, 6);
	cr_assert(o.sorted, "everybody's: soonest expiry first");
	/* Approved: still open, not pending (the cap frees a place). */
	cr_assert_eq(jstore_request_approve(s, id[0], "carol", NULL, 1700000010,
	    0, &st), 0);
	cr_assert_eq(st, JSTORE_REQ_APPROVED);
	in.user = "bob";
	in.expires = 1700000900;
	cr_assert_eq(jstore_request_create(s, &in, 1700000000, 5, id[5]), 0);
	/* Issued and denied leave the index. */
	cr_assert_eq(jstore_next_serial(s, &ev.serial), 0);
	ev.request_id = id[0];
	cr_assert_eq(jstore_request_issue(s, id[0], 1700000020, &ev, 1), 0);
	cr_assert_eq(jstore_request_deny(s, id[1], "carol", NULL, 1700000021), 0);
	memset(&o, 0, sizeof(o));
	cr_assert_eq(jstore_request_list_open(s, "bob", seen_open, &o), 0);
	cr_assert_eq(o.n, 4);
	cr_assert_eq(o.pending, 4);
	/* The sweep takes exactly what is due: bob's 400, 300, 200, erin's. */
	cr_assert_eq(jstore_request_expire(s, 1700000400, &n), 0);
	cr_assert_eq(n, 4);
	cr_assert_eq(jstore_request_expire(s, 1700000400, &n), 0);
	cr_assert_eq(n, 0, "nothing twice");
	memset(&o, 0, sizeof(o));
	cr_assert_eq(jstore_request_list_open(s, NULL, seen_open, &o), 0);
	cr_assert_eq(o.n, 1, "bob's last one (expires 1700000900)");
	cr_assert_eq(jstore_verify_state(s, verify_quiet, NULL, &nbad), 0);
	cr_assert_eq(nbad, 0);
	jstore_close(s);
}

static int
count_kind(const struct jstore_event *ev, void *arg)
{
	(void)ev;
	(*(int *)arg)++;
	return 0;
}

/* A reminder or an escalation happens once per request, and only while
 * it is pending; the flags survive an approval and are in verify. */
Test(store, reminders_and_escalations_happen_once)
{
	struct jstore *s = open_store(0);
	struct jstore_request in = new_request("bob", 1700000600), *r = NULL;
	char id[JSTORE_REQUEST_ID_LEN + 1];
	enum jstore_request_state st;
	struct jstore_filter f;
	size_t nbad = 9;
	int n = 0;

	in.quorum = 1;
	cr_assert_eq(jstore_request_create(s, &in, 1700000000, 5, id), 0);
	cr_assert_eq(jstore_request_mark(s, id, JSTORE_REQ_REMINDED,
	    "not decided after 5m", 1700000300), 0);
	cr_assert_eq(jstore_request_mark(s, id, JSTORE_REQ_REMINDED, "again",
	    1700000301), JIT_ERR_EXISTS);
	cr_assert_eq(jstore_request_mark(s, id, JSTORE_REQ_ESCALATED,
	    "now managers too", 1700000400), 0);
	cr_assert_eq(jstore_request_mark(s, id, 4, "bad flag", 1700000400),
	    JIT_ERR_INVALID_ARGUMENT);
	cr_assert_eq(jstore_request_mark(s, "r-nope", JSTORE_REQ_REMINDED,
	    NULL, 1700000400), JIT_ERR_NOT_FOUND);
	cr_assert_eq(jstore_request_approve(s, id, "carol", NULL, 1700000410, 0,
	    &st), 0);
	cr_assert_eq(jstore_request_get(s, id, &r), 0);
	cr_assert_eq(r->flags, JSTORE_REQ_REMINDED | JSTORE_REQ_ESCALATED);
	jstore_request_free(r);
	cr_assert_eq(jstore_request_mark(s, id, JSTORE_REQ_REMINDED, NULL,
	    1700000411), JIT_ERR_REQUEST_DECIDED, "approved: no reminder");
	memset(&f, 0, sizeof(f));
	f.request_id = id;
	f.event = "remind";
	cr_assert_eq(jstore_query(s, &f, count_kind, &n), 0);
	f.event = "escalate";
	cr_assert_eq(jstore_query(s, &f, count_kind, &n), 0);
	cr_assert_eq(n, 2, "one remind and one escalate event");
	cr_assert_eq(jstore_verify_state(s, verify_quiet, NULL, &nbad), 0);
	cr_assert_eq(nbad, 0);
	jstore_close(s);
}

/* Issue 12, defect 9: a per-user cap on live certificates, counted from
 * an index of them (expired ones pruned, revoked ones removed). */
Test(store, live_certificates_are_capped_per_user)
{
	struct jstore *s = open_store(0);
	uint64_t t = (uint64_t)time(NULL), serial[7];
	struct jstore_event ev;
	size_t nbad = 9;
	int i;

	for (i = 0; i < 7; i++)
		cr_assert_eq(jstore_next_serial(s, &serial[i]), 0);
	jstore_set_live_cap(s, 2);
	/* Two from long ago, expired by now (600 s): pruned, not counted. */
	ev = issue_event("bob", "dev", serial[0], t - 1000);
	cr_assert_eq(jstore_append(s, &ev, 1), 0);
	ev = issue_event("bob", "dev", serial[1], t - 1000);
	cr_assert_eq(jstore_append(s, &ev, 1), 0);
	ev = issue_event("bob", "dev", serial[2], t);
	cr_assert_eq(jstore_append(s, &ev, 1), 0);
	ev = issue_event("bob", "dev", serial[3], t);
	cr_assert_eq(jstore_append(s, &ev, 1), 0);
	ev = issue_event("bob", "dev", serial[4], t);
	cr_assert_eq(jstore_append(s, &ev, 1), JIT_ERR_CERT_CAP, "third live");
	ev = issue_event("erin", "dev", serial[4], t);
	cr_assert_eq(jstore_append(s, &ev, 1), 0, "another user's own cap");
	cr_assert_eq(jstore_revoke(s, serial[2], "operator", NULL, t), 0);
	ev = issue_event("bob", "dev", serial[5], t);
	cr_assert_eq(jstore_append(s, &ev, 1), 0, "a revocation frees a place");
	cr_assert_eq(jstore_verify_state(s, verify_quiet, NULL, &nbad), 0);
	cr_assert_eq(nbad, 0);
	jstore_set_live_cap(s, 0);	/* none */
	ev = issue_event("bob", "dev", serial[6], t);
	cr_assert_eq(jstore_append(s, &ev, 1), 0, "no cap");
	jstore_close(s);
}
