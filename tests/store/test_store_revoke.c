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
