/* Policy decisions: one test per decision path. */
#include <criterion/criterion.h>

#include "jit-err.h"
#include "jpolicy.h"
#include "policy_fixture.h"

/* Sat 2023-11-18 02:00:00 UTC, inside db-maint's window. */
#define SAT_0200	1700272800ULL
/* Wed 2023-11-15 12:00:00 UTC. */
#define WED_1200	1700049600ULL

static struct jpolicy *policy;

static void
setup(void)
{
	char *err = NULL;

	cr_assert_eq(jpolicy_load("p", (const unsigned char *)design_policy,
	    strlen(design_policy), &policy, &err), 0, "%s", err);
}

static void
teardown(void)
{
	jpolicy_free(policy);
}

static struct jpolicy_request
req(const char *user, const char *role)
{
	struct jpolicy_request r = {
		.user = user, .role = role, .ttl = 0, .mfa_done = 1,
		.reason = NULL, .address = "10.1.2.3",
		.key_type = JKEY_ED25519, .now = WED_1200,
	};
	return r;
}

static struct jpolicy_decision *
eval(const struct jpolicy_request *r)
{
	struct jpolicy_decision *d = NULL;

	cr_assert_eq(jpolicy_evaluate(policy, r, &d), 0);
	cr_assert_not_null(d);
	return d;
}

static void
expect_deny(const struct jpolicy_request *r, const char *needle)
{
	struct jpolicy_decision *d = eval(r);

	cr_assert_eq(jpolicy_decision_verdict(d), JPOLICY_DENY);
	cr_assert_not_null(jpolicy_decision_reason(d));
	cr_assert_not_null(strstr(jpolicy_decision_reason(d), needle),
	    "want '%s' in '%s'", needle, jpolicy_decision_reason(d));
	jpolicy_decision_free(d);
}

TestSuite(policy_eval, .init = setup, .fini = teardown);

Test(policy_eval, allowed_with_expanded_principals_and_defaults)
{
	struct jpolicy_request r = req("alice", "dev");
	struct jpolicy_decision *d = eval(&r);

	cr_assert_eq(jpolicy_decision_verdict(d), JPOLICY_ALLOW);
	cr_assert_null(jpolicy_decision_reason(d));
	cr_assert_eq(jpolicy_decision_nprincipals(d), 2);
	cr_assert_str_eq(jpolicy_decision_principal(d, 0), "alice");
	cr_assert_str_eq(jpolicy_decision_principal(d, 1), "deploy");
	cr_assert_eq(jpolicy_decision_ttl(d), 600, "role default ttl 10m");
	cr_assert_not(jpolicy_decision_ttl_capped(d));
	cr_assert_eq(jpolicy_decision_valid_after(d), WED_1200 - 30);
	cr_assert_eq(jpolicy_decision_valid_before(d), WED_1200 + 600);
	cr_assert_eq(jpolicy_decision_nextensions(d), 2);
	cr_assert_str_eq(jpolicy_decision_extension(d, 0), "permit-port-forwarding");
	cr_assert_str_eq(jpolicy_decision_extension(d, 1), "permit-pty");
	cr_assert_null(jpolicy_decision_force_command(d));
	cr_assert_null(jpolicy_decision_source_address(d));
	cr_assert_not(jpolicy_decision_break_glass(d));
	jpolicy_decision_free(d);
}

Test(policy_eval, unknown_user_and_role)
{
	struct jpolicy_request r = req("mallory", "dev");

	expect_deny(&r, "unknown user 'mallory'");
	r = req("alice", "root-everywhere");
	expect_deny(&r, "no role 'root-everywhere'");
}

Test(policy_eval, wrong_group)
{
	struct jpolicy_request r = req("alice", "prod-root");

	expect_deny(&r, "alice is not in a group that may request role prod-root (sre)");
}

Test(policy_eval, mfa_missing)
{
	struct jpolicy_request r = req("alice", "dev");

	r.mfa_done = 0;
	expect_deny(&r, "requires MFA");
	/* A role with mfa: optional does not care. */
	r = req("alice", "ci");
	r.mfa_done = 0;
	r.address = "10.1.0.9";
	{
		struct jpolicy_decision *d = eval(&r);

		cr_assert_eq(jpolicy_decision_verdict(d), JPOLICY_ALLOW);
		jpolicy_decision_free(d);
	}
}

Test(policy_eval, reason_missing)
{
	struct jpolicy_request r = req("bob", "breakglass");

	expect_deny(&r, "requires a reason");
	r.reason = "";
	expect_deny(&r, "requires a reason");
}

Test(policy_eval, ttl_capped_to_max)
{
	struct jpolicy_request r = req("alice", "dev");
	struct jpolicy_decision *d;

	r.ttl = 5 * 3600;
	d = eval(&r);
	cr_assert_eq(jpolicy_decision_verdict(d), JPOLICY_ALLOW);
	cr_assert_eq(jpolicy_decision_ttl(d), 3600);
	cr_assert(jpolicy_decision_ttl_capped(d));
	cr_assert_eq(jpolicy_decision_valid_before(d), WED_1200 + 3600);
	jpolicy_decision_free(d);
	r.ttl = 120;
	d = eval(&r);
	cr_assert_eq(jpolicy_decision_ttl(d), 120);
	cr_assert_not(jpolicy_decision_ttl_capped(d));
	jpolicy_decision_free(d);
}

Test(policy_eval, key_type_refused)
{
	struct jpolicy_request r = req("alice", "ci");

	r.key_type = JKEY_RSA;
	r.address = "10.1.0.9";
	expect_deny(&r, "does not accept rsa keys (allowed: ed25519)");
	r.key_type = JKEY_ECDSA_P384;
	expect_deny(&r, "does not accept ecdsa keys");
}

Test(policy_eval, approval_needed)
{
	struct jpolicy_request r = req("bob", "prod-root");
	struct jpolicy_decision *d;

	r.reason = "incident 42";
	d = eval(&r);
	cr_assert_eq(jpolicy_decision_verdict(d), JPOLICY_NEEDS_APPROVAL);
	cr_assert_eq(jpolicy_decision_quorum(d), 1);
	cr_assert_eq(jpolicy_decision_napprover_groups(d), 1);
	cr_assert_str_eq(jpolicy_decision_approver_group(d, 0), "sre-leads");
	cr_assert_eq(jpolicy_decision_pending_ttl(d), 900);
	cr_assert_eq(jpolicy_decision_ttl(d), 300);
	/* source_address: requester binds the cert to the client address. */
	cr_assert_str_eq(jpolicy_decision_source_address(d), "10.1.2.3/32");
	cr_assert_str_eq(jpolicy_decision_principal(d, 0), "root");
	jpolicy_decision_free(d);
	r.address = NULL;
	expect_deny(&r, "address, which is unknown");
	r.address = "2001:db8::7";
	d = eval(&r);
	cr_assert_str_eq(jpolicy_decision_source_address(d), "2001:db8::7/128");
	jpolicy_decision_free(d);
}

Test(policy_eval, break_glass)
{
	struct jpolicy_request r = req("bob", "breakglass");
	struct jpolicy_decision *d;

	r.reason = "db on fire";
	d = eval(&r);
	cr_assert_eq(jpolicy_decision_verdict(d), JPOLICY_ALLOW);
	cr_assert(jpolicy_decision_break_glass(d));
	cr_assert_eq(jpolicy_decision_quorum(d), 0);
	jpolicy_decision_free(d);
}

Test(policy_eval, windows_and_from)
{
	struct jpolicy_request r = req("alice", "db-maint");
	struct jpolicy_decision *d;

	expect_deny(&r, "only be requested during Sat 01:00-05:00 UTC");
	r.now = SAT_0200;
	r.ttl = 2 * 3600;
	d = eval(&r);
	cr_assert_eq(jpolicy_decision_verdict(d), JPOLICY_ALLOW);
	cr_assert_eq(jpolicy_decision_valid_before(d), SAT_0200 + 2 * 3600);
	cr_assert_not(jpolicy_decision_ttl_capped(d));
	jpolicy_decision_free(d);
	/* At 04:00 a 2h request ends at the window's end (05:00), not later. */
	r.now = SAT_0200 + 2 * 3600;
	d = eval(&r);
	cr_assert_eq(jpolicy_decision_verdict(d), JPOLICY_ALLOW);
	cr_assert_eq(jpolicy_decision_valid_before(d), SAT_0200 + 3 * 3600);
	cr_assert_eq(jpolicy_decision_ttl(d), 3600);
	cr_assert(jpolicy_decision_ttl_capped(d));
	jpolicy_decision_free(d);
	r.address = "172.16.0.1";
	expect_deny(&r, "only be requested from 10.0.0.0/8,192.168.0.0/16");
	r.address = "192.168.77.1";
	d = eval(&r);
	cr_assert_eq(jpolicy_decision_verdict(d), JPOLICY_ALLOW);
	jpolicy_decision_free(d);
	r.address = "not-an-address";
	expect_deny(&r, "only be requested from");
	r.address = "192.168.77.1";
	r.now = SAT_0200 + 3 * 3600;	/* 05:00: the window has closed */
	expect_deny(&r, "during");
}

Test(policy_eval, fixed_source_address_and_force_command)
{
	struct jpolicy_request r = req("alice", "ci");
	struct jpolicy_decision *d;

	r.mfa_done = 0;
	d = eval(&r);
	cr_assert_str_eq(jpolicy_decision_force_command(d), "/usr/local/bin/deploy");
	cr_assert_str_eq(jpolicy_decision_source_address(d), "10.1.0.0/16,10.2.0.0/16");
	cr_assert_eq(jpolicy_decision_ttl(d), 300);
	jpolicy_decision_free(d);
}

Test(policy_eval, same_inputs_same_decision)
{
	struct jpolicy_request r = req("alice", "dev");
	struct jpolicy_decision *a = eval(&r), *b = eval(&r);

	cr_assert_eq(jpolicy_decision_valid_before(a), jpolicy_decision_valid_before(b));
	cr_assert_eq(jpolicy_decision_valid_after(a), jpolicy_decision_valid_after(b));
	jpolicy_decision_free(a);
	jpolicy_decision_free(b);
}

Test(policy_eval, bad_arguments)
{
	struct jpolicy_decision *d = (struct jpolicy_decision *)1;
	struct jpolicy_request r = req(NULL, "dev");

	cr_assert_eq(jpolicy_evaluate(policy, &r, &d), JIT_ERR_INVALID_ARGUMENT);
	cr_assert_null(d);
}

/* A policy of its own for approval rules: remind, escalate, auto. */
static const char rules_policy[] =
    "users:\n"
    "  alice: { keys: [\"" KEY_ED "\"], groups: [dev, oncall] }\n"
    "  bob:   { keys: [\"" KEY_EC "\"], groups: [dev] }\n"
    "  carol: { keys: [\"" KEY_ED "\"], groups: [leads] }\n"
    "  dave:  { keys: [\"" KEY_ED "\"], groups: [managers] }\n"
    "roles:\n"
    "  prod:\n"
    "    groups: [dev]\n"
    "    principals: [root]\n"
    "    mfa: optional\n"
    "    approval:\n"
    "      groups: [leads]\n"
    "      pending_ttl: 30m\n"
    "      remind_after: 5m\n"
    "      escalate: { after: 10m, groups: [managers] }\n"
    "      auto:\n"
    "        windows: [\"Mon-Fri 09:00-17:00 UTC\"]\n"
    "        from: [10.0.0.0/8]\n"
    "        groups: [oncall]\n"
    "        reason_match: \"^INC-[0-9]+\"\n";

static struct jpolicy *
load_rules(void)
{
	struct jpolicy *p = NULL;
	char *err = NULL;

	cr_assert_eq(jpolicy_load("p", (const unsigned char *)rules_policy,
	    strlen(rules_policy), &p, &err), 0, "%s", err);
	return p;
}

static enum jpolicy_verdict
rules_verdict(struct jpolicy *p, struct jpolicy_request *r, int *autop)
{
	struct jpolicy_decision *d = NULL;
	enum jpolicy_verdict v;

	cr_assert_eq(jpolicy_evaluate(p, r, &d), 0);
	v = jpolicy_decision_verdict(d);
	*autop = jpolicy_decision_auto_approved(d);
	jpolicy_decision_free(d);
	return v;
}

/* approval.auto approves only when every condition it gives holds. */
Test(policy_eval, auto_approval_needs_every_condition)
{
	struct jpolicy *p = load_rules();
	struct jpolicy_request r = req("alice", "prod");
	struct jpolicy_role_info info;
	int a = 0;

	r.reason = "INC-42: disk full";
	cr_assert_eq(rules_verdict(p, &r, &a), JPOLICY_ALLOW);
	cr_assert(a, "all four hold: approved by the policy");
	r.now = SAT_0200;		/* outside the window */
	cr_assert_eq(rules_verdict(p, &r, &a), JPOLICY_NEEDS_APPROVAL);
	cr_assert_not(a);
	r.now = WED_1200;
	r.address = "192.168.1.1";	/* not from 10/8 */
	cr_assert_eq(rules_verdict(p, &r, &a), JPOLICY_NEEDS_APPROVAL);
	r.address = NULL;		/* unknown address */
	cr_assert_eq(rules_verdict(p, &r, &a), JPOLICY_NEEDS_APPROVAL);
	r.address = "10.1.2.3";
	r.reason = "see INC-42";	/* anchored: no match */
	cr_assert_eq(rules_verdict(p, &r, &a), JPOLICY_NEEDS_APPROVAL);
	r.reason = NULL;
	cr_assert_eq(rules_verdict(p, &r, &a), JPOLICY_NEEDS_APPROVAL);
	r = req("bob", "prod");		/* not oncall */
	r.reason = "INC-42";
	cr_assert_eq(rules_verdict(p, &r, &a), JPOLICY_NEEDS_APPROVAL);
	cr_assert_not(a);
	cr_assert_eq(jpolicy_role_info(p, "prod", &info), 0);
	cr_assert(info.auto_approval);
	cr_assert_eq(info.remind_after, 300);
	cr_assert_eq(info.escalate_after, 600);
	jpolicy_free(p);
}

/* Escalation widens the approvers after its delay, never the requester. */
Test(policy_eval, escalation_widens_approvers_after_its_delay)
{
	struct jpolicy *p = load_rules();

	cr_assert(jpolicy_can_approve_at(p, "prod", "carol", 0));
	cr_assert_not(jpolicy_can_approve_at(p, "prod", "dave", 599));
	cr_assert(jpolicy_can_approve_at(p, "prod", "dave", 600));
	cr_assert_not(jpolicy_can_approve(p, "prod", "dave"));
	cr_assert_not(jpolicy_can_approve_at(p, "prod", "bob", 10000));
	cr_assert_eq(jpolicy_role_nescalate_groups(p, "prod"), 1);
	cr_assert_str_eq(jpolicy_role_escalate_group(p, "prod", 0), "managers");
	jpolicy_free(p);
}

/* A policy shared by threads lives until its last reference goes. */
Test(policy_eval, a_referenced_policy_outlives_its_owner)
{
	struct jpolicy *p = load_rules(), *q = jpolicy_ref(p);

	cr_assert_eq(q, p);
	jpolicy_free(p);		/* the owner lets go (a reload) */
	cr_assert(jpolicy_can_approve(q, "prod", "carol"), "still whole");
	jpolicy_free(q);
}

/* A denial names every condition that fails, not only the first. */
Test(policy_eval, a_denial_names_every_failing_condition)
{
	struct jpolicy_request r = req("alice", "prod-root");
	struct jpolicy_decision *d;

	r.mfa_done = 0;
	r.address = NULL;
	d = eval(&r);
	cr_assert_eq(jpolicy_decision_verdict(d), JPOLICY_DENY);
	cr_assert_eq(jpolicy_decision_nreasons(d), 4, "%s",
	    jpolicy_decision_reason(d));
	cr_assert_not_null(strstr(jpolicy_decision_reason_at(d, 0),
	    "not in a group"));
	cr_assert_not_null(strstr(jpolicy_decision_reason_at(d, 1),
	    "requires MFA"));
	cr_assert_not_null(strstr(jpolicy_decision_reason_at(d, 2),
	    "requires a reason"));
	cr_assert_not_null(strstr(jpolicy_decision_reason_at(d, 3),
	    "requester's address"));
	cr_assert_not_null(strstr(jpolicy_decision_reason(d), "; "));
	jpolicy_decision_free(d);
	/* An unknown role names the roles the user may request. */
	r = req("alice", "nope");
	expect_deny(&r, "there is no role 'nope' (alice may request: ci, db-maint, dev)");
}
