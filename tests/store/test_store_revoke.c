/* Store: revocation, the KRL list, the per-user cap on live certificates. */
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

TestSuite(store_revoke, .init = store_setup, .fini = store_teardown);

Test(store_revoke, revocation)
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

Test(store_revoke, revoked_list_drops_expired_certificates)
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

/* Issue 12, defect 9: a per-user cap on live certificates, counted from
 * an index of them (expired ones pruned, revoked ones removed). */
Test(store_revoke, live_certificates_are_capped_per_user)
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

/*
 * Many writers at once, their appends sharing commits: the cap holds
 * exactly (a refused writer does not take the others of its batch with
 * it), the chain and the live index verify.
 */
struct cap_writer {
	struct jstore *s;
	uint64_t serial, t;
	int result;
};

static void *
cap_main(void *arg)
{
	struct cap_writer *w = arg;
	struct jstore_event ev = issue_event("bob", "dev", w->serial, w->t);

	w->result = jstore_append(w->s, &ev, 1);
	return NULL;
}

Test(store_revoke, the_cap_holds_under_concurrent_issuance)
{
	struct jstore *s = open_store(0);
	struct cap_writer w[24];
	pthread_t th[24];
	uint64_t t = (uint64_t)time(NULL), n = 0, bad = 0;
	size_t nbad = 9;
	int i, ok = 0, capped = 0;

	jstore_set_live_cap(s, 5);
	jstore_set_clients(s, 64);	/* leaders wait: batches are shared */
	for (i = 0; i < 24; i++) {
		w[i] = (struct cap_writer){ s, 0, t, -1 };
		cr_assert_eq(jstore_next_serial(s, &w[i].serial), 0);
	}
	for (i = 0; i < 24; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, cap_main, &w[i]), 0);
	for (i = 0; i < 24; i++) {
		pthread_join(th[i], NULL);
		ok += w[i].result == 0;
		capped += w[i].result == JIT_ERR_CERT_CAP;
	}
	cr_assert_eq(ok, 5, "%d issued under a cap of 5", ok);
	cr_assert_eq(capped, 19, "%d refused by the cap", capped);
	cr_assert_eq(jstore_verify(s, &n, &bad, NULL), 0);
	cr_assert_eq(n, 5);
	cr_assert_eq(jstore_verify_state(s, verify_quiet, NULL, &nbad), 0);
	cr_assert_eq(nbad, 0);
	jstore_close(s);
}

/*
 * The CA's clock stepped back: an entry pruned from the live index while
 * the clock was ahead (its certificate had expired then) is not "removed
 * behind the log's back" once the clock is right again.  audit verify
 * judges liveness by the later of now and the newest event's time.
 */
Test(store_revoke, a_clock_stepped_back_is_not_tampering)
{
	struct jstore *s = open_store(0);
	uint64_t t = (uint64_t)time(NULL), serial[2];
	struct jstore_event ev;
	size_t nbad = 9;

	cr_assert_eq(jstore_next_serial(s, &serial[0]), 0);
	cr_assert_eq(jstore_next_serial(s, &serial[1]), 0);
	jstore_set_live_cap(s, 5);
	/* Two hours ahead: issued, and 30 min later (expired) pruned. */
	ev = issue_event("bob", "dev", serial[0], t + 7200);
	cr_assert_eq(jstore_append(s, &ev, 1), 0);
	ev = issue_event("bob", "dev", serial[1], t + 9000);
	cr_assert_eq(jstore_append(s, &ev, 1), 0);
	/* The clock is back to now: both certificates look valid again. */
	cr_assert_eq(jstore_verify_state(s, verify_quiet, NULL, &nbad), 0);
	cr_assert_eq(nbad, 0, "%zu problems on an untampered store", nbad);
	jstore_close(s);
}
