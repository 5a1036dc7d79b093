/*
 * The approval lifecycle, decided by the remote commands and the sweeper
 * without an SSH connection, on a real CA (LMDB; PostgreSQL when
 * $JIT_TEST_PG names a cluster: test_store_pg runs this program there
 * too), with the fixture's clock: nothing here waits for real time.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca_fixture.h"
#include "jbuf.h"
#include "jstore.h"
#include "sweep.h"

#define POLICY "defaults: { max_live_certs: 2 }\n" \
	"users:\n" \
	"  alice: { keys: [\"%s\"], groups: [dev] }\n" \
	"  bob: { keys: [\"%s\"], groups: [leads] }\n" \
	"  carol: { keys: [\"%s\"], groups: [leads, sre] }\n" \
	"roles:\n" \
	"  dev: { groups: [dev], principals: [deploy], mfa: optional, " \
	"ttl: 5m }\n" \
	"  prod:\n    groups: [dev]\n    principals: [root]\n" \
	"    mfa: optional\n" \
	"    approval: { groups: [leads], quorum: %s, pending_ttl: 10m, " \
	"pickup_ttl: 2m }\n" \
	"  esc:\n    groups: [dev]\n    principals: [esc]\n" \
	"    mfa: optional\n" \
	"    approval: { groups: [sre], pending_ttl: 10m, remind_after: 3m, " \
	"escalate: { after: 5m, groups: [leads] } }\n" \
	"  auto:\n    groups: [dev]\n    principals: [auto]\n" \
	"    mfa: optional\n" \
	"    approval: { groups: [leads], auto: { groups: [dev] } }\n" \
	"  glass: { groups: [dev], principals: [root], mfa: optional, " \
	"reason: required, break_glass: true }\n" \
	"auditors: [leads]\n"

static char policy[4096];

/* The policy with prod's quorum q. */
static const char *
with_quorum(const char *q)
{
	const char *at = strstr(POLICY, "quorum: %s");
	size_t n = (size_t)(at - POLICY);

	snprintf(policy, sizeof(policy), "%.*squorum: %s%s", (int)n, POLICY, q,
	    at + strlen("quorum: %s"));
	return policy;
}

static void
setup(void)
{
	ca_fixture_setup(with_quorum("1"));
}

TestSuite(ca_lifecycle, .init = setup, .fini = ca_fixture_teardown);

static struct jbuf *
key_in(int k)
{
	struct jbuf *in = jbuf_new();

	cr_assert_not_null(in);
	cr_assert_eq(jbuf_put(in, ca_keyline[k], strlen(ca_keyline[k])), 0);
	return in;
}

/* Runs line as user: its status; its output in o. */
static int
run(const char *user, struct out *o, struct jbuf *in, const char *line)
{
	struct rpc r;

	ca_fixture_ctx(&r, o, in, user);
	return rpc_run(&r, line);
}

/* alice asks for role with key k: the waiting context, in r. */
static void
ask(struct rpc *r, struct out *o, struct jbuf *in, const char *role)
{
	char line[64];

	ca_fixture_ctx(r, o, in, "alice");
	snprintf(line, sizeof(line), "login --role %s", role);
	cr_assert_eq(rpc_run(r, line), RPC_WAIT, "%s", o->text);
	cr_assert_not_null(r->waiting);
}

/* The waiter looks again now (as the session does each second). */
static int
look(struct rpc *r)
{
	r->wait_changes = 0;
	r->wait_read = 0;
	return rpc_poll(r);
}

static void
decide(const char *who, const char *verb, const char *id, int want)
{
	struct out o;
	char line[128];

	snprintf(line, sizeof(line), "%s %s --comment 'looked at it'", verb, id);
	cr_assert_eq(run(who, &o, NULL, line), want, "%s: %s", line, o.text);
}

/* 1 when the audit log holds an event of kind for request id. */
static int
audited(const char *kind, const char *id)
{
	struct out o;
	char line[128];

	snprintf(line, sizeof(line), "audit --json --event %s --request %s",
	    kind, id);
	cr_assert_eq(run("bob", &o, NULL, line), RPC_OK, "%s", o.text);
	return strstr(o.text, id) != NULL;
}

Test(ca_lifecycle, approve_then_issue)
{
	struct rpc r;
	struct out o;
	struct jbuf *in = key_in(3);
	char id[32];

	ask(&r, &o, in, "prod");
	snprintf(id, sizeof(id), "%s", r.wait_id);
	cr_assert_eq(look(&r), RPC_WAIT);
	decide("alice", "approve", id, RPC_DENIED);	/* never self */
	decide("bob", "approve", id, RPC_OK);
	cr_assert_eq(look(&r), RPC_OK, "%s", o.text);
	cr_assert_not_null(strstr(o.text, "-cert-v01@openssh.com"), "%s", o.text);
	cr_assert(audited("issue", id));
	jbuf_free(in);
}

Test(ca_lifecycle, deny_says_who_and_why)
{
	struct rpc r;
	struct out o;
	struct jbuf *in = key_in(3);

	ask(&r, &o, in, "prod");
	decide("bob", "deny", r.wait_id, RPC_OK);
	cr_assert_eq(look(&r), RPC_DENIED);
	cr_assert_not_null(strstr(o.text, "denied by bob: looked at it"), "%s",
	    o.text);
	jbuf_free(in);
}

Test(ca_lifecycle, withdraw_is_a_deny_by_the_requester)
{
	struct rpc r;
	struct out o;
	struct jbuf *in = key_in(3);
	char id[32];

	ask(&r, &o, in, "prod");
	snprintf(id, sizeof(id), "%s", r.wait_id);
	cr_assert_eq(rpc_withdraw(&r), RPC_DENIED);
	cr_assert_null(r.waiting);
	decide("bob", "approve", id, RPC_DENIED);	/* decided already */
	cr_assert(audited("deny", id));
	jbuf_free(in);
}

Test(ca_lifecycle, a_request_expires_at_its_pending_ttl)
{
	struct rpc r;
	struct out o;
	struct jbuf *in = key_in(3);

	char id[32];

	ask(&r, &o, in, "prod");
	snprintf(id, sizeof(id), "%s", r.wait_id);
	ca_clock += 9 * 60;
	cr_assert_eq(look(&r), RPC_WAIT);
	ca_clock += 2 * 60;
	cr_assert_eq(look(&r), RPC_DENIED);
	cr_assert_not_null(strstr(o.text, "expired without approval"), "%s",
	    o.text);
	cr_assert(audited("expire", id));
	jbuf_free(in);
}

Test(ca_lifecycle, an_approved_request_waits_its_pickup_window_only)
{
	struct rpc r, again;
	struct out o, o2;
	struct jbuf *in = key_in(3);
	uint64_t last = 0;

	ask(&r, &o, in, "prod");
	decide("bob", "approve", r.wait_id, RPC_OK);
	ca_clock += 3 * 60;	/* pickup_ttl 2m */
	cr_assert_eq(look(&r), RPC_DENIED);
	cr_assert_not_null(strstr(o.text, "not picked up in time"), "%s",
	    o.text);
	sweep_requests(&ca_svc, 0, &last);
	/* The same key asks again: a new request, told why. */
	ca_fixture_ctx(&again, &o2, in, "alice");
	cr_assert_eq(rpc_run(&again, "login --role prod"), RPC_WAIT, "%s",
	    o2.text);
	cr_assert_not_null(strstr(o2.text, "expired; asking again"), "%s",
	    o2.text);
	jbuf_free(in);
}

Test(ca_lifecycle, remind_then_escalate)
{
	struct rpc r;
	struct out o;
	struct jbuf *in = key_in(3);
	uint64_t last = 0;

	ask(&r, &o, in, "esc");
	decide("bob", "approve", r.wait_id, RPC_DENIED);	/* not yet his */
	ca_clock += 4 * 60;
	sweep_requests(&ca_svc, 0, &last);
	cr_assert(audited("remind", r.wait_id));
	cr_assert(!audited("escalate", r.wait_id));
	ca_clock += 2 * 60;
	sweep_requests(&ca_svc, 0, &last);
	cr_assert(audited("escalate", r.wait_id));
	decide("bob", "approve", r.wait_id, RPC_OK);	/* escalated to him */
	cr_assert_eq(look(&r), RPC_OK, "%s", o.text);
	jbuf_free(in);
}

Test(ca_lifecycle, auto_approval_issues_at_once)
{
	struct out o;
	struct jbuf *in = key_in(3);

	cr_assert_eq(run("alice", &o, in, "login --role auto --json"), RPC_OK,
	    "%s", o.text);
	cr_assert_not_null(strstr(o.text, "approved by the policy"), "%s",
	    o.text);
	cr_assert_not_null(strstr(o.text, "\"approvers\":[\"policy:auto\"]"),
	    "%s", o.text);
	jbuf_free(in);
}

Test(ca_lifecycle, a_quorum_raised_while_waiting_cancels_at_issuance)
{
	struct rpc r;
	struct out o;
	struct jbuf *in = key_in(3);

	ask(&r, &o, in, "prod");
	decide("bob", "approve", r.wait_id, RPC_OK);
	ca_fixture_reload(with_quorum("2"));
	cr_assert_eq(look(&r), RPC_DENIED);
	cr_assert_not_null(strstr(o.text, "now needs 2 approval(s) and 1 of "
	    "them still count"), "%s", o.text);
	jbuf_free(in);
}

Test(ca_lifecycle, a_locked_user_gets_nothing_and_decides_nothing)
{
	struct rpc r;
	struct out o;
	struct jbuf *in = key_in(3);

	ask(&r, &o, in, "prod");
	cr_assert_eq(jstore_lock(ca_svc.store, "bob", ca_clock + 300,
	    "operator", "on leave", ca_clock), 0);
	decide("bob", "approve", r.wait_id, RPC_DENIED);
	cr_assert_eq(jstore_lock(ca_svc.store, "alice", 0, "operator", "gone",
	    ca_clock), 0);
	cr_assert_eq(run("alice", &o, in, "login --role dev"), RPC_DENIED);
	cr_assert_not_null(strstr(o.text, "alice is locked until unlocked"),
	    "%s", o.text);
	/* bob's lock ends with the clock (before the request's). */
	ca_clock += 301;
	decide("bob", "approve", r.wait_id, RPC_OK);
	jbuf_free(in);
}

Test(ca_lifecycle, the_live_certificate_cap_counts_by_the_clock)
{
	struct out o;
	struct jbuf *in[3] = { key_in(3), key_in(4), key_in(5) };
	int i;

	for (i = 0; i < 2; i++)
		cr_assert_eq(run("alice", &o, in[i], "login --role dev"), RPC_OK,
		    "%s", o.text);
	cr_assert_eq(run("alice", &o, in[2], "login --role dev"), RPC_DENIED);
	cr_assert_not_null(strstr(o.text, "login: "), "%s", o.text);
	ca_clock += 6 * 60;	/* the two have expired */
	cr_assert_eq(run("alice", &o, in[2], "login --role dev"), RPC_OK, "%s",
	    o.text);
	for (i = 0; i < 3; i++)
		jbuf_free(in[i]);
}

Test(ca_lifecycle, break_glass_needs_a_reason_and_is_audited)
{
	struct out o;
	struct jbuf *in = key_in(3);

	cr_assert_eq(run("alice", &o, in, "login --role glass"), RPC_DENIED);
	cr_assert_eq(run("alice", &o, in, "login --role glass --reason "
	    "'incident 42'"), RPC_OK, "%s", o.text);
	cr_assert_eq(run("bob", &o, NULL, "audit --json --event break-glass"),
	    RPC_OK);
	cr_assert_not_null(strstr(o.text, "incident 42"), "%s", o.text);
	jbuf_free(in);
}
