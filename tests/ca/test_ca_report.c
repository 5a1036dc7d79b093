/*
 * test_ca_report.c: the access review over a week of history written at
 * chosen times through the store's own calls (requests, approvals,
 * issuances, revocations, recorded sessions), with business hours in New
 * York: every finding kind appears exactly where the history puts it and
 * nowhere else; review.exclude leaves one out and says so; the figures
 * are the history's; the JSON is the same bytes twice, its digest is the
 * one the report event records, and the report event itself is not
 * reviewed.  With $JIT_TEST_PG on PostgreSQL too (test_store_pg).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "jit-err.h"
#include "jpolicy.h"
#include "jstore.h"
#include "report.h"
#include "store_fixture.h"

TestSuite(ca_report, .init = store_setup, .fini = store_teardown);

/* Monday 2026-11-02 00:00 UTC; New York is UTC-5 that week. */
#define T0	1793577600ULL
#define DAY	86400ULL
#define H	3600ULL
#define M	60ULL

static const char policy[] =
"users:\n"
"  alice: { keys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMCn1LQcI4soOqdInb2gbOwbrw6nuyiosMbgBrktAe3q\"], groups: [dev] }\n"
"  bob:   { keys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMPM3L1+Sn0sklVte9Uvv1aRHAitWN1oyMk12jNO4mAV\"], groups: [dev, leads] }\n"
"  carol: { keys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDktCyHS+5PlB0Y+mTF4AhhXT4Wa3IA34ilhsNXTX061\"], groups: [dev, leads] }\n"
"  dave:  { keys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINJMPJfa1s1VKc7cBW32rrJ/PizmkFNXJwQ3vW2reGlH\"], groups: [dev] }\n"
"  erin:  { keys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPVYORbVFlsOHaGZLKnahML22gmIN3fjXLJxrLLgi5Rj\"], groups: [dev] }\n"
"  frank: { keys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINmG2RsyR7D7PqMtmsDO9Vj7jBIbLR8gMJ/1qP1hYSiE\"], groups: [dev] }\n"
"  idle:  { keys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC13YsOd0PmlXecIfYTlxasdpQwMm/ZKin+BU6zW1lvF\"], groups: [dev] }\n"
"roles:\n"
"  dev:   { groups: [dev], principals: [\"{user}\"], mfa: optional, ttl: 1h, max_ttl: 1h }\n"
"  prod:  { groups: [dev], principals: [root], mfa: optional, approval: { groups: [leads] } }\n"
"  emerg: { groups: [dev], principals: [root], mfa: optional, break_glass: true }\n"
"  never: { groups: [dev], principals: [root], mfa: optional }\n"
"review:\n"
"  business_hours: [\"Mon-Fri 09:00-17:00\"]\n"
"  timezone: America/New_York\n"
"  min_review: 30s\n"
"  standing_after: 8h\n"
"  krl_refresh: 5m\n"
"  refused_spike: 10\n"
"  exclude: [{ kind: out-of-hours, user: erin }]\n";

static struct jstore *st;
static struct jpolicy *pol;
static unsigned nsession;

static void
setup_all(void)
{
	char *err = NULL;

	cr_assert_eq(jpolicy_load("policy", (const unsigned char *)policy,
	    strlen(policy), &pol, &err), 0, "%s", err ? err : "");
	st = open_store(0);
}

static uint64_t
issue_at(const char *user, const char *role, uint64_t t, uint64_t ttl,
    int break_glass)
{
	struct jstore_event ev[2];
	uint64_t serial;

	cr_assert_eq(jstore_next_serial(st, &serial), 0);
	ev[0] = issue_event(user, role, serial, t);
	ev[0].valid_after = t;
	ev[0].valid_before = t + ttl;
	ev[1] = ev[0];
	ev[1].event = "break-glass";
	ev[1].reason = "db down";
	cr_assert_eq(jstore_append(st, ev, break_glass ? 2 : 1), 0);
	return serial;
}

/* A recorded session of serial on web1 from start to end (0: running). */
static void
session(uint64_t serial, const char *user, uint64_t start, uint64_t end)
{
	struct jstore_event ev;
	char sid[32], acct[64];

	snprintf(sid, sizeof(sid), "s-%016x", ++nsession);
	snprintf(acct, sizeof(acct), "%s@web1", user);
	memset(&ev, 0, sizeof(ev));
	ev.time = start + 1;
	ev.serial = serial;
	ev.request_id = sid;
	ev.principals = acct;
	ev.source = "192.0.2.1";
	ev.reason = "shell";
	ev.valid_after = start;
	cr_assert_eq(jstore_session_start(st, "web1", &ev, "hdr\n", 4), 0);
	if (end == 0)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.time = end + 1;
	ev.reason = "exit, exit status 0";
	ev.valid_before = end;
	cr_assert_eq(jstore_session_end(st, sid, "web1", &ev), 0);
}

static void
plain(const char *kind, const char *user, const char *source, uint64_t t)
{
	struct jstore_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.time = t;
	ev.event = kind;
	ev.user = user;
	ev.source = source;
	ev.reason = "unknown user or key";
	cr_assert_eq(jstore_append(st, &ev, 1), 0);
}

/* A prod request of alice at t, approved by approver after wait. */
static void
approved(uint64_t t, const char *approver, uint64_t wait)
{
	struct jstore_request rq = new_request("alice", t + 900);
	enum jstore_request_state state;
	struct jstore_event ev;
	char id[JSTORE_REQUEST_ID_LEN + 1];
	uint64_t serial;

	rq.role = "prod";
	rq.quorum = 1;
	rq.fingerprint = other_key((int)(t % 50));
	cr_assert_eq(jstore_request_create(st, &rq, t, 10, id), 0);
	cr_assert_eq(jstore_request_approve(st, id, approver, NULL, t + wait, 1,
	    &state), 0);
	cr_assert_eq(state, JSTORE_REQ_APPROVED);
	cr_assert_eq(jstore_next_serial(st, &serial), 0);
	ev = issue_event("alice", "prod", serial, t + wait + 10);
	ev.valid_before = t + wait + 10 + 900;
	ev.request_id = id;
	ev.approvers = approver;
	cr_assert_eq(jstore_request_issue(st, id, t + wait + 10, &ev, 1), 0);
	session(serial, "alice", t + wait + 20, t + wait + 120);
}

static void
history(void)
{
	uint64_t s, t;
	int i;

	plain("host-enroll", NULL, "offline", T0 - DAY);
	/* Monday: alice in hours (10:00 New York), bob before them (08:00). */
	s = issue_at("alice", "dev", T0 + 15 * H, H, 0);
	session(s, "alice", T0 + 15 * H + 60, T0 + 15 * H + 600);
	issue_at("bob", "dev", T0 + 13 * H, H, 0);	/* never used */
	/* Tuesday: four prod requests, one approved in 5 s. */
	approved(T0 + DAY + 15 * H, "carol", 5);
	approved(T0 + DAY + 16 * H, "carol", 600);
	approved(T0 + DAY + 17 * H, "carol", 600);
	approved(T0 + DAY + 18 * H, "bob", 600);
	/* Wednesday: break-glass, recorded (frank) and not (erin). */
	s = issue_at("frank", "emerg", T0 + 2 * DAY + 15 * H, 30 * M, 1);
	session(s, "frank", T0 + 2 * DAY + 15 * H + 60, T0 + 2 * DAY + 15 * H +
	    300);
	issue_at("erin", "emerg", T0 + 2 * DAY + 16 * H, 30 * M, 1);
	/* Thursday: dave holds dev for 8h30 through ten certificates; erin
	 * twice with four hours between. */
	for (i = 0; i < 10; i++) {
		t = T0 + 3 * DAY + 14 * H + (uint64_t)i * 50 * M;
		s = issue_at("dave", "dev", t, H, 0);
		session(s, "dave", t + 30, t + 600);
	}
	for (i = 0; i < 2; i++) {
		t = T0 + 3 * DAY + 15 * H + (uint64_t)i * 4 * H;
		s = issue_at("erin", "dev", t, H, 0);
		session(s, "erin", t + 30, t + 600);
	}
	/* Friday: refusals: a burst from one address, a few spread out, a
	 * lockout. */
	for (i = 0; i < 12; i++)
		plain("auth-fail", "mallory", "203.0.113.9", T0 + 4 * DAY + 15 *
		    H + (uint64_t)i * 60);
	for (i = 0; i < 3; i++)
		plain("auth-fail", "alice", "198.51.100.7", T0 + 4 * DAY +
		    (uint64_t)(12 + 2 * i) * H);
	plain("lockout", "frank", "198.51.100.8", T0 + 4 * DAY + 16 * H);
	/* Closure: a session outliving its certificate (frank); one starting
	 * after the revocation reached hosts (alice); one ended in time. */
	t = T0 + 4 * DAY + 15 * H;
	s = issue_at("frank", "dev", t, 10 * M, 0);
	session(s, "frank", t + 60, t + 30 * M);
	t = T0 + 4 * DAY + 16 * H;
	s = issue_at("alice", "dev", t, H, 0);
	cr_assert_eq(jstore_revoke(st, s, "carol", "left", t + 5 * M), 0);
	session(s, "alice", t + 20 * M, t + 25 * M);
	t = T0 + 4 * DAY + 17 * H;
	s = issue_at("alice", "dev", t, H, 0);
	session(s, "alice", t + 60, 0);
	cr_assert_eq(jstore_revoke(st, s, "carol", "left", t + 10 * M), 0);
	{
		struct jstore_event ev;
		char sid[32];

		/* That session ends 2 minutes after the revocation. */
		snprintf(sid, sizeof(sid), "s-%016x", nsession);
		memset(&ev, 0, sizeof(ev));
		ev.time = t + 12 * M + 1;
		ev.reason = "revoked, exit status 0";
		ev.valid_before = t + 12 * M;
		cr_assert_eq(jstore_session_end(st, sid, "web1", &ev), 0);
	}
	/* Saturday: erin out of hours (left out by review.exclude). */
	s = issue_at("erin", "dev", T0 + 5 * DAY + 20 * H, H, 0);
	session(s, "erin", T0 + 5 * DAY + 20 * H + 30, T0 + 5 * DAY + 21 * H);
}

static json_t *
build(void)
{
	struct ca_report_opts o = { T0 - DAY, T0 + 7 * DAY, CA_REPORT_JSON,
	    "carol", "192.0.2.9" };
	json_t *m = NULL;

	cr_assert_eq(ca_report_build(st, pol, &o, &m), 0);
	return m;
}

/* "kind who role" of each finding, one per line, in the report's order. */
static void
keys_of(const json_t *m, char *out, size_t len)
{
	const json_t *f, *who;
	size_t i, n = 0;

	out[0] = '\0';
	json_array_foreach(json_object_get(m, "findings"), i, f) {
		who = json_object_get(f, "users");
		if (json_array_size(who) == 0)
			who = json_object_get(f, "addresses");
		n += (size_t)snprintf(out + n, len - n, "%s %s %s\n",
		    json_string_value(json_object_get(f, "kind")),
		    json_array_size(who) ? json_string_value(json_array_get(who,
		    0)) : "-", json_array_size(json_object_get(f, "roles")) ?
		    json_string_value(json_array_get(json_object_get(f, "roles"),
		    0)) : "-");
		cr_assert_lt(n, len);
	}
}

static const json_t *
finding(const json_t *m, const char *kind, const char *who)
{
	const json_t *f, *w;
	size_t i;

	json_array_foreach(json_object_get(m, "findings"), i, f) {
		w = json_object_get(f, "users");
		if (json_array_size(w) == 0)
			w = json_object_get(f, "addresses");
		if (strcmp(json_string_value(json_object_get(f, "kind")), kind) ==
		    0 && strcmp(json_string_value(json_array_get(w, 0)), who) == 0)
			return f;
	}
	return NULL;
}

Test(ca_report, every_kind_where_the_history_puts_it)
{
	char keys[4096];
	const json_t *f, *s, *lat;
	json_t *m;

	setup_all();
	history();
	m = build();
	keys_of(m, keys, sizeof(keys));
	/* High, medium, low; by kind, then name. */
	cr_assert_str_eq(keys,
	    "break-glass erin emerg\n"
	    "break-glass frank emerg\n"
	    "standing-access dave dev\n"
	    "closure alice dev\n"
	    "closure frank dev\n"
	    "out-of-hours bob dev\n"
	    "rubber-stamp carol prod\n"
	    "rubber-stamp carol prod\n"
	    "refused 203.0.113.9 -\n"
	    "refused frank -\n"
	    "refused mallory -\n"
	    "unused-grant bob dev\n"
	    "unused-role - never\n"
	    "inactive-user idle -\n", "findings:\n%s", keys);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(m,
	    "verdict"), "text")), "Action needed: 5 high-severity findings");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(m,
	    "left_out"), "out-of-hours")), 1);
	/* What each says, and its evidence. */
	f = finding(m, "break-glass", "frank");
	cr_assert(strstr(json_string_value(json_object_get(f, "detail")),
	    "reason \"db down\": 1 recorded session") != NULL);
	f = finding(m, "break-glass", "erin");
	cr_assert(strstr(json_string_value(json_object_get(f, "detail")),
	    "no session recorded") != NULL);
	f = finding(m, "standing-access", "dave");
	cr_assert_str_eq(json_string_value(json_object_get(f, "detail")),
	    "held the role for 8h30m without a break, through 10 back-to-back "
	    "certificates");
	cr_assert_eq(json_array_size(json_object_get(f, "seqs")), 10);
	f = finding(m, "closure", "frank");
	cr_assert(strstr(json_string_value(json_object_get(f, "detail")),
	    "outlived its certificate") != NULL);
	f = finding(m, "closure", "alice");
	cr_assert(strstr(json_string_value(json_object_get(f, "detail")),
	    "began 15m after the revocation") != NULL,
	    "%s", json_string_value(json_object_get(f, "detail")));
	f = finding(m, "rubber-stamp", "carol");
	cr_assert(strstr(json_string_value(json_object_get(f, "detail")),
	    "1 approval given less than 30s after the request (the quickest "
	    "in 5s)") != NULL, "%s", json_string_value(json_object_get(f,
	    "detail")));
	cr_assert_eq(json_array_size(json_object_get(f, "requests")), 1);
	f = finding(m, "refused", "203.0.113.9");
	cr_assert(strstr(json_string_value(json_object_get(f, "detail")),
	    "12 auth failures, 0 lockouts, 0 denied requests; 12 in the worst "
	    "hour") != NULL);
	f = finding(m, "out-of-hours", "bob");
	cr_assert_str_eq(json_string_value(json_object_get(f, "detail")),
	    "1 issuance outside business hours");
	/* The figures. */
	s = json_object_get(m, "summary");
	cr_assert_eq(json_integer_value(json_object_get(s, "requests")), 4);
	cr_assert_eq(json_integer_value(json_object_get(s, "approvals")), 4);
	cr_assert_eq(json_integer_value(json_object_get(s, "break_glass")), 2);
	cr_assert_eq(json_integer_value(json_object_get(s, "issuances")), 24);
	cr_assert_eq(json_integer_value(json_object_get(s, "revocations")), 2);
	cr_assert_eq(json_integer_value(json_object_get(s, "auth_failures")), 15);
	cr_assert_eq(json_integer_value(json_object_get(s, "lockouts")), 1);
	lat = json_object_get(s, "approval_latency");
	cr_assert_eq(json_integer_value(json_object_get(lat, "count")), 4);
	cr_assert_eq(json_integer_value(json_object_get(lat, "median")), 600);
	cr_assert_eq(json_integer_value(json_object_get(lat, "max")), 600);
	lat = json_object_get(s, "time_to_first_use");
	cr_assert_eq(json_integer_value(json_object_get(lat, "median")), 30);
	/* The histogram: one approval under min_review, three at 5-15m. */
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(
	    json_object_get(m, "approval_latency_histogram"), 0), "count")), 1);
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(
	    json_object_get(m, "approval_latency_histogram"), 5), "count")), 3);
	/* The heat map is in New York: bob's 13:00 UTC Monday is 08:00. */
	cr_assert_eq(json_integer_value(json_array_get(json_array_get(
	    json_object_get(json_object_get(m, "access_by_hour"), "counts"), 0),
	    8)), 1);
	cr_assert(json_is_true(json_array_get(json_array_get(json_object_get(
	    json_object_get(m, "access_by_hour"), "business"), 0), 9)));
	cr_assert(json_is_false(json_array_get(json_array_get(json_object_get(
	    json_object_get(m, "access_by_hour"), "business"), 0), 8)));
	cr_assert(json_is_false(json_array_get(json_array_get(json_object_get(
	    json_object_get(m, "access_by_hour"), "business"), 5), 10)));
	json_decref(m);
	jstore_close(st);
	jpolicy_free(pol);
}

static int
last_event(const struct jstore_event *ev, void *arg)
{
	char *fp = arg;

	snprintf(fp, 64, "%s %s %s", ev->event, ev->user, ev->fingerprint);
	return 0;
}

Test(ca_report, the_run_is_recorded_and_reproducible)
{
	struct ca_report_opts o = { T0 - DAY, T0 + 7 * DAY, CA_REPORT_JSON,
	    "carol", "192.0.2.9" };
	char *a = NULL, *b = NULL, want[128], got[128];
	unsigned char d[32], b64[48];
	unsigned int n = 32;
	size_t alen = 0, blen = 0;
	struct jstore_filter f;
	const char *what;
	FILE *out;

	setup_all();
	history();
	cr_assert_not_null(out = open_memstream(&a, &alen));
	cr_assert_eq(ca_report_run(st, pol, &o, out, &what), 0);
	fclose(out);
	cr_assert_eq(EVP_Digest(a, alen, d, &n, EVP_sha256(), NULL), 1);
	EVP_EncodeBlock(b64, d, 32);
	snprintf(want, sizeof(want), "report carol SHA256:%.43s", b64);
	memset(&f, 0, sizeof(f));
	f.limit = 1;
	cr_assert_eq(jstore_query(st, &f, last_event, got), 0);
	cr_assert_str_eq(got, want);
	/* Again, with the first report event in the log: the same bytes. */
	cr_assert_not_null(out = open_memstream(&b, &blen));
	cr_assert_eq(ca_report_run(st, pol, &o, out, &what), 0);
	fclose(out);
	cr_assert_eq(alen, blen);
	cr_assert_eq(memcmp(a, b, alen), 0);
	free(a);
	free(b);
	jstore_close(st);
	jpolicy_free(pol);
}

Test(ca_report, an_empty_period)
{
	struct ca_report_opts o = { T0 + 30 * DAY, T0 + 31 * DAY,
	    CA_REPORT_TEXT, NULL, "offline" };
	json_t *m = NULL;
	char keys[1024];

	setup_all();
	history();
	cr_assert_eq(ca_report_build(st, pol, &o, &m), 0);
	keys_of(m, keys, sizeof(keys));
	/* Nothing happened: every role unused, every user inactive. */
	cr_assert_str_eq(keys,
	    "unused-role - dev\n"
	    "unused-role - emerg\n"
	    "unused-role - never\n"
	    "unused-role - prod\n"
	    "inactive-user alice -\n"
	    "inactive-user bob -\n"
	    "inactive-user carol -\n"
	    "inactive-user dave -\n"
	    "inactive-user erin -\n"
	    "inactive-user frank -\n"
	    "inactive-user idle -\n", "%s", keys);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(m,
	    "log"), "events")), 0);
	json_decref(m);
	/* until before since: refused. */
	o.since = T0 + 2 * DAY;
	o.until = T0 + DAY;
	cr_assert_eq(ca_report_build(st, pol, &o, &m), JIT_ERR_INVALID_ARGUMENT);
	jstore_close(st);
	jpolicy_free(pol);
}
