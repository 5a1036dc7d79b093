/* Store: appending, reading back, filters, bad events, queries across indexed and recent events. */
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
#include "store_fixture.h"

TestSuite(store_log, .init = store_setup, .fini = store_teardown);

Test(store_log, append_query_reopen)
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

Test(store_log, every_field_round_trips)
{
	struct jstore *s = open_store(0);
	struct jstore_event ev = issue_event("alice", "dev", 9, 1700000000);

	cr_assert_eq(jstore_append(s, &ev, 1), 0);
	cr_assert_eq(jstore_query(s, NULL, check_fields, NULL), 0);
	jstore_close(s);
}

Test(store_log, filters_and_limit)
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

Test(store_log, bad_events_change_nothing)
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

/* Indexes catch up in batches: queries must join index and recent tail. */
Test(store_log, queries_span_indexed_and_recent_events)
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

struct walk_order {
	uint64_t last, n, stop_at;
};

static int
in_order(const struct jstore_event *ev, void *arg)
{
	struct walk_order *w = arg;

	cr_assert_gt(ev->seq, w->last, "seq %llu after %llu",
	    (unsigned long long)ev->seq, (unsigned long long)w->last);
	w->last = ev->seq;
	if (++w->n == w->stop_at)
		return 7;
	return 0;
}

/*
 * A walk longer than one read (PostgreSQL reads 10,000 rows at a time):
 * every event once, in order, across the pages; a callback's stop ends
 * it there.
 */
Test(store_log, long_walks_see_every_event_once)
{
	struct jstore *s = open_store(0);
	struct jstore_event evs[1000];
	struct walk_order w;
	struct jstore_filter f;
	size_t i, k;

	for (k = 0; k < 25; k++) {
		for (i = 0; i < 1000; i++)
			evs[i] = issue_event("alice", "dev", 0, 1700000000 +
			    k * 1000 + i);
		cr_assert_eq(jstore_append(s, evs, 1000), 0);
	}
	evs[0] = issue_event("bob", "dev", 0, 1700100000);
	cr_assert_eq(jstore_append(s, evs, 1), 0);
	memset(&w, 0, sizeof(w));
	cr_assert_eq(jstore_query(s, NULL, in_order, &w), 0);
	cr_assert_eq(w.n, 25001);
	memset(&f, 0, sizeof(f));
	f.since = 1700000000 + 5000;
	memset(&w, 0, sizeof(w));
	cr_assert_eq(jstore_query(s, &f, in_order, &w), 0);
	cr_assert_eq(w.n, 20001);
	memset(&w, 0, sizeof(w));
	w.stop_at = 15000;
	cr_assert_eq(jstore_query(s, NULL, in_order, &w), 7);
	cr_assert_eq(w.n, 15000);
	jstore_close(s);
}
