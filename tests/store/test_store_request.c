/* Store: approval requests: decisions, races, pickup windows, the open index, reminders. */
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

TestSuite(store_request, .init = store_setup, .fini = store_teardown);

Test(store_request, approval_requests)
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

	/* Deny, and the per-user limit on pending requests (other keys: the
	 * same key joins the request it has). */
	cr_assert_eq(jstore_request_create(s, &in, 1700000100, 2, id), 0);
	in.fingerprint = "SHA256:Rs2gRNuUq3Ps0ImMiyYXBTQQwDTo8KLTjO5embQ3C0Z";
	cr_assert_eq(jstore_request_create(s, &in, 1700000100, 2, id2), 0);
	cr_assert_str_neq(id, id2);
	in.fingerprint = "SHA256:Rs2gRNuUq3Ps0ImMiyYXBTQQwDTo8KLTjO5embQ3C0X";
	cr_assert_eq(jstore_request_create(s, &in, 1700000100, 2, id3),
	    JIT_ERR_PENDING_CAP);
	in.fingerprint = "SHA256:Rs2gRNuUq3Ps0ImMiyYXBTQQwDTo8KLTjO5embQ3C0Y";
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

/* Regression: two waiters on one approved request both got a certificate. */
Test(store_request, an_approved_request_is_issued_once_under_a_race)
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
Test(store_request, an_approval_lapses_after_its_pickup_window)
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
	in.fingerprint = other_key(1);
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

Test(store_request, requests_survive_reopen_and_expire_in_bulk)
{
	struct jstore *s = open_store(0);
	struct jstore_request in = new_request("bob", 1700000300);
	char id[JSTORE_REQUEST_ID_LEN + 1];
	unsigned n = 0;
	int pending = 0, expired = 0;

	cr_assert_eq(jstore_request_create(s, &in, 1700000000, 5, id), 0);
	in.expires = 1700009999;
	in.fingerprint = other_key(1);
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

/*
 * Regression (issue 12, defect 14): the per-user cap and the expiry sweep
 * walked every request ever made under the write lock.  They read the
 * index of open requests now; it follows every state change.
 */
Test(store_request, open_requests_are_indexed_through_every_change)
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
		in.fingerprint = other_key(i);
		cr_assert_eq(jstore_request_create(s, &in, 1700000000, 5, id[i]), 0);
	}
	in.fingerprint = other_key(5);
	cr_assert_eq(jstore_request_create(s, &in, 1700000000, 5, id[5]),
	    JIT_ERR_PENDING_CAP, "5 pending: the cap holds");
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

/* A reminder or an escalation happens once per request, and only while
 * it is pending; the flags survive an approval and are in verify. */
Test(store_request, reminders_and_escalations_happen_once)
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

/*
 * Parallel logins of one user for one role with one key, on one CA or on
 * two sharing a PostgreSQL store: one request, which all of them join.
 */
struct create_arg {
	struct jstore *s;
	char id[JSTORE_REQUEST_ID_LEN + 1];
	int result;
};

static void *
create_thread(void *arg)
{
	struct create_arg *a = arg;
	struct jstore_request in = new_request("bob", 1700000900);

	a->result = jstore_request_create(a->s, &in, 1700000000, 5, a->id);
	return NULL;
}

static int
count_request(const struct jstore_event *ev, void *arg)
{
	(*(int *)arg) += strcmp(ev->event, "request") == 0;
	return 0;
}

Test(store_request, one_key_one_request_under_parallel_logins)
{
	struct jstore *s = open_store(0);
	/* LMDB: one handle per process; PostgreSQL: a second instance. */
	struct jstore *s2 = getenv("JIT_TEST_PG") != NULL ? open_store(0) : s;
	struct create_arg a[8];
	struct jstore_filter f;
	pthread_t t[8];
	int i, n = 0;

	for (i = 0; i < 8; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].s = i % 2 ? s2 : s;
		cr_assert_eq(pthread_create(&t[i], NULL, create_thread, &a[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(a[i].result, 0, "%s", jit_strerror(a[i].result));
		cr_assert_str_eq(a[i].id, a[0].id, "two requests for one key");
	}
	memset(&f, 0, sizeof(f));
	f.event = "request";
	cr_assert_eq(jstore_query(s, &f, count_request, &n), 0);
	cr_assert_eq(n, 1, "%d request events", n);
	if (s2 != s)
		jstore_close(s2);
	jstore_close(s);
}
