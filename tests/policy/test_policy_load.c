/* Policy loading: the design's example loads; every kind of mistake is
 * refused with file:line:column. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "jit-err.h"
#include "jpolicy.h"
#include "policy_fixture.h"

static struct jpolicy *
load_ok(const char *yaml)
{
	struct jpolicy *p = NULL;
	char *err = NULL;
	int r = jpolicy_load("policy.yaml", (const unsigned char *)yaml,
	    strlen(yaml), &p, &err);

	cr_assert_eq(r, 0, "policy refused: %s", err != NULL ? err : "?");
	cr_assert_null(err);
	return p;
}

/* Asserts the load fails with "policy.yaml:LINE:COL: ...needle...". */
static void
expect_error(const char *yaml, unsigned line, unsigned col, const char *needle)
{
	struct jpolicy *p = (struct jpolicy *)1;
	char *err = NULL, prefix[64];
	int r = jpolicy_load("policy.yaml", (const unsigned char *)yaml,
	    strlen(yaml), &p, &err);

	cr_assert_eq(r, JIT_ERR_POLICY, "accepted:\n%s", yaml);
	cr_assert_null(p);
	cr_assert_not_null(err);
	snprintf(prefix, sizeof(prefix), "policy.yaml:%u:%u: ", line, col);
	cr_assert_eq(strncmp(err, prefix, strlen(prefix)), 0,
	    "want %s..., got: %s", prefix, err);
	cr_assert_not_null(strstr(err, needle), "want '%s' in: %s", needle, err);
	free(err);
}

#define ROLE(body) USERS "roles:\n  r:\n    groups: [dev]\n" body

Test(policy_load, design_example_loads)
{
	struct jpolicy *p = load_ok(design_policy);
	struct jpolicy_role_info info;

	cr_assert_eq(jpolicy_nroles(p), 5);
	cr_assert_str_eq(jpolicy_role_name(p, 0), "breakglass");
	cr_assert(jpolicy_user_exists(p, "alice"));
	cr_assert_not(jpolicy_user_exists(p, "mallory"));
	cr_assert(jpolicy_user_in_group(p, "bob", "sre"));
	cr_assert(jpolicy_is_auditor(p, "dana"));
	cr_assert_not(jpolicy_is_auditor(p, "alice"));
	cr_assert(jpolicy_can_approve(p, "prod-root", "carol"));
	cr_assert_not(jpolicy_can_approve(p, "prod-root", "bob"));
	cr_assert_not(jpolicy_can_approve(p, "dev", "carol"));
	cr_assert_eq(jpolicy_clock_skew(p), 30);
	cr_assert_eq(jpolicy_mfa_grace(p), 0);
	cr_assert_str_eq(jpolicy_notify_argv(p)[0], "/usr/local/bin/page-approvers");
	cr_assert_null(jpolicy_notify_argv(p)[1]);
	cr_assert_eq(jpolicy_role_info(p, "dev", &info), 0);
	cr_assert_eq(info.ttl, 600);
	cr_assert_eq(info.max_ttl, 3600);
	cr_assert_eq(info.mfa_required, 1);
	cr_assert_eq(jpolicy_role_info(p, "prod-root", &info), 0);
	cr_assert_eq(info.ttl, 300, "default ttl 5m applies");
	cr_assert_eq(info.quorum, 1);
	cr_assert_eq(info.reason_required, 1);
	cr_assert_eq(jpolicy_role_info(p, "breakglass", &info), 0);
	cr_assert_eq(info.break_glass, 1);
	cr_assert_eq(info.mfa_required, 1, "mfa defaults to required");
	cr_assert_eq(jpolicy_role_info(p, "nope", &info), JIT_ERR_NOT_FOUND);
	jpolicy_free(p);
}

Test(policy_load, user_keys_are_matched)
{
	struct jpolicy *p = load_ok(design_policy);
	struct jkey *ed = NULL, *ec = NULL;

	cr_assert_eq(jkey_parse_line(KEY_ED, &ed, NULL), 0);
	cr_assert_eq(jkey_parse_line(KEY_EC, &ec, NULL), 0);
	cr_assert(jpolicy_user_has_key(p, "alice", ed));
	cr_assert_not(jpolicy_user_has_key(p, "alice", ec));
	cr_assert(jpolicy_user_has_key(p, "bob", ec));
	cr_assert_not(jpolicy_user_has_key(p, "mallory", ed));
	jkey_free(ed);
	jkey_free(ec);
	jpolicy_free(p);
}

Test(policy_load, empty_file_names_what_is_missing)
{
	expect_error("", 1, 1, "needs a 'users' mapping");
	expect_error("users: {}\n", 1, 1, "needs a 'roles' mapping");
}

Test(policy_load, unknown_keys)
{
	expect_error(USERS "roles: {}\nbogus: 1\n", 4, 1, "unknown key 'bogus'");
	expect_error(ROLE("    principals: [x]\n    tll: 5m\n"), 7, 5,
	    "unknown key 'tll'");
	expect_error("defaults: { ttl: 5m, maxttl: 1h }\n" USERS "roles: {}\n",
	    1, 22, "unknown key 'maxttl'");
	expect_error("users:\n  alice: { keys: [\"" KEY_ED "\"], group: [dev] }\n"
	    "roles: {}\n", 2, (unsigned)strlen("  alice: { keys: [\"" KEY_ED "\"], g"),
	    "unknown key 'group'");
}

Test(policy_load, wrong_types)
{
	expect_error(USERS "roles: [dev]\n", 3, 8, "roles must be a mapping");
	expect_error(ROLE("    principals: root\n"), 6, 17,
	    "principals must be a list");
	expect_error(ROLE("    principals: [x]\n    mfa: [required]\n"), 7, 10,
	    "mfa must be a value");
	expect_error(ROLE("    principals: [x]\n    break_glass: yes\n"), 7, 18,
	    "must be true or false");
	expect_error(ROLE("    principals: [x]\n    mfa: maybe\n"), 7, 10,
	    "'required' or 'optional'");
}

Test(policy_load, duplicate_keys_and_roles)
{
	expect_error(USERS "roles:\n  r:\n    groups: [dev]\n    principals: [a]\n"
	    "  r:\n    groups: [dev]\n    principals: [b]\n", 7, 3,
	    "duplicate key 'r'");
	expect_error(ROLE("    principals: [x]\n    ttl: 5m\n    ttl: 6m\n"), 8, 5,
	    "duplicate key 'ttl'");
	expect_error("users:\n  alice: { keys: [\"" KEY_ED "\"] }\n"
	    "  alice: { keys: [\"" KEY_ED "\"] }\nroles: {}\n", 3, 3,
	    "duplicate key 'alice'");
	expect_error(ROLE("    principals: [x, x]\n"), 6, 21, "listed twice");
}

Test(policy_load, unknown_groups)
{
	expect_error(USERS "roles:\n  r:\n    groups: [ops]\n    principals: [x]\n",
	    5, 14, "unknown group 'ops'");
	expect_error(USERS "roles: {}\nauditors: [audit]\n", 4, 12,
	    "unknown group 'audit'");
	expect_error(ROLE("    principals: [x]\n    approval: { groups: [leads] }\n"),
	    7, 26, "unknown group 'leads'");
}

Test(policy_load, principals)
{
	expect_error(ROLE("    principals: []\n"), 6, 17, "must not be empty");
	expect_error(ROLE("    principals: [\"\"]\n"), 6, 18,
	    "a principal must not be empty");
	expect_error(ROLE("    principals: [\"a b\"]\n"), 6, 18, "whitespace");
	expect_error(ROLE("    principals: [\"a,b\"]\n"), 6, 18, "a comma");
	expect_error(ROLE("    principals: [\"{host}\"]\n"), 6, 18,
	    "unknown placeholder");
	expect_error(ROLE("    principals: [\"x}\"]\n"), 6, 18, "stray '}'");
	expect_error(ROLE(""), 4, 3, "needs principals");
}

/* A template that a long user name would push past what a cert holds. */
Test(policy_load, principal_templates_fit_a_certificate)
{
	char pol[4096], princ[300], list[2400];
	size_t i;

	/* 230 bytes + {user} + {user}: 230 + 2 * 64 > 256. */
	memset(princ, 'a', 230);
	strcpy(princ + 230, "{user}{user}");
	snprintf(pol, sizeof(pol), ROLE("    principals: [\"%s\"]\n"), princ);
	expect_error(pol, 6, 18, "can expand to 358 bytes");
	/* 186 + {user} = 250 at most: fits. */
	memset(princ, 'a', 186);
	strcpy(princ + 186, "{user}");
	snprintf(pol, sizeof(pol), ROLE("    principals: [\"%s\"]\n"), princ);
	jpolicy_free(load_ok(pol));
	/* 257 principals: more than a certificate holds. */
	list[0] = '\0';
	for (i = 0; i < 257; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%sp%zu", i ? "," : "", i);
	snprintf(pol, sizeof(pol), ROLE("    principals: [%s]\n"), list);
	expect_error(pol, 6, 17, "257 principals");
}

/*
 * The whole list must fit the audit log's principals field: 30 names of
 * 152 bytes (4,589 with commas) were cut at issuance before; now refused.
 */
Test(policy_load, principal_lists_fit_the_audit_log)
{
	char pol[12000], list[9000], name[151];
	size_t i;

	memset(name, 'p', 150);
	name[150] = '\0';
	list[0] = '\0';
	for (i = 0; i < 30; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%s%02zu", i ? "," : "", name, i);
	snprintf(pol, sizeof(pol), ROLE("    principals: [%s]\n"), list);
	expect_error(pol, 6, 17, "principals can add up to 4589 bytes");
	/* 25 of them (3,824 bytes) fit. */
	list[25 * 153 - 1] = '\0';
	snprintf(pol, sizeof(pol), ROLE("    principals: [%s]\n"), list);
	jpolicy_free(load_ok(pol));
}

Test(policy_load, durations)
{
	expect_error(ROLE("    principals: [x]\n    ttl: 2h\n    max_ttl: 1h\n"), 7, 10,
	    "ttl is longer than max_ttl");
	expect_error(ROLE("    principals: [x]\n    ttl: 0m\n"), 7, 10,
	    "not a duration");
	expect_error(ROLE("    principals: [x]\n    ttl: -5m\n"), 7, 10,
	    "not a duration");
	expect_error(ROLE("    principals: [x]\n    ttl: 5x\n"), 7, 10,
	    "not a duration");
	expect_error(ROLE("    principals: [x]\n    ttl: 300\n"), 7, 10,
	    "not a duration");
	expect_error(ROLE("    principals: [x]\n    ttl: 30m1h\n"), 7, 10,
	    "not a duration");
	expect_error(ROLE("    principals: [x]\n    max_ttl: 999d\n"), 7, 14,
	    "not a duration");
	expect_error("defaults: { ttl: 1h, max_ttl: 5m }\n" USERS "roles: {}\n",
	    1, 18, "defaults.ttl is longer");
}

Test(policy_load, extensions_and_key_types)
{
	expect_error(ROLE("    principals: [x]\n    extensions: [permit-everything]\n"),
	    7, 18, "unknown extension 'permit-everything'");
	expect_error(ROLE("    principals: [x]\n    key_types: [dsa]\n"), 7, 17,
	    "unknown key type 'dsa'");
	expect_error(ROLE("    principals: [x]\n    key_types: []\n"), 7, 16,
	    "must not be empty");
}

Test(policy_load, quorum_must_be_reachable_without_the_requester)
{
	/* bob is in dev and in the only approver group: alone he cannot
	 * approve his own request, and nobody else can. */
	static const char yaml[] =
	    "users:\n"
	    "  alice: { keys: [\"" KEY_ED "\"], groups: [dev, leads] }\n"
	    "  bob: { keys: [\"" KEY_ED "\"], groups: [dev, leads] }\n"
	    "roles:\n"
	    "  r:\n"
	    "    groups: [dev]\n"
	    "    principals: [x]\n"
	    "    approval: { groups: [leads], quorum: 2 }\n";
	static const char ok[] =
	    "users:\n"
	    "  alice: { keys: [\"" KEY_ED "\"], groups: [dev, leads] }\n"
	    "  bob: { keys: [\"" KEY_ED "\"], groups: [dev, leads] }\n"
	    "roles:\n"
	    "  r:\n"
	    "    groups: [dev]\n"
	    "    principals: [x]\n"
	    "    approval: { groups: [leads], quorum: 1 }\n";

	expect_error(yaml, 8, 42, "quorum 2 cannot be met");
	jpolicy_free(load_ok(ok));
	expect_error(ROLE("    principals: [x]\n    approval: { groups: [dev], quorum: 0 }\n"),
	    7, 40, "whole number");
	expect_error(ROLE("    principals: [x]\n    approval: { quorum: 1 }\n"),
	    7, 15, "needs groups");
}

Test(policy_load, users)
{
	expect_error("users:\n  alice: { keys: [\"ssh-ed25519 AAAAnotakey\"] }\nroles: {}\n",
	    2, 19, "malformed public key");
	expect_error("users:\n  alice: { keys: [\"ssh-rsa " "AAAAB3NzaC1yc2EAAAADAQABAAABAQC\"] }\nroles: {}\n",
	    2, 19, "malformed public key");
	expect_error("users:\n  alice: { groups: [dev] }\nroles: {}\n", 2, 3,
	    "has no keys");
	expect_error("users:\n  alice: { keys: [], groups: [dev] }\nroles: {}\n",
	    2, 18, "has no keys");
	expect_error("users:\n  \"al ice\": { keys: [\"" KEY_ED "\"] }\nroles: {}\n",
	    2, 3, "not a valid name");
	expect_error("users:\n  \"a:b\": { keys: [\"" KEY_ED "\"] }\nroles: {}\n",
	    2, 3, "not a valid name");
}

Test(policy_load, anchors_and_aliases_are_refused)
{
	expect_error("users: &u\n  alice: { keys: [\"" KEY_ED "\"] }\nroles: *u\n",
	    1, 8, "anchors and aliases are not allowed");
	/* The classic billion laughs. */
	expect_error("a: &a [\"lol\",\"lol\"]\nb: &b [*a,*a,*a]\nc: [*b,*b,*b]\n",
	    1, 4, "anchors and aliases");
	expect_error("users: !!map {}\nroles: {}\n", 1, 8, "tags");
}

Test(policy_load, yaml_syntax_errors_have_positions)
{
	struct jpolicy *p = NULL;
	char *err = NULL;
	static const char bad[] = "users:\n  alice: { keys: [\n";

	cr_assert_eq(jpolicy_load("policy.yaml", (const unsigned char *)bad,
	    strlen(bad), &p, &err), JIT_ERR_POLICY);
	cr_assert_not_null(err);
	cr_assert_eq(strncmp(err, "policy.yaml:3:", 14), 0, "%s", err);
	cr_assert_not_null(strstr(err, "YAML syntax error"), "%s", err);
	free(err);
	expect_error("users: {}\nroles: {}\n---\nusers: {}\n", 3, 1,
	    "only one YAML document");
}

Test(policy_load, windows_cidrs_and_the_rest)
{
	expect_error(ROLE("    principals: [x]\n    windows: [\"Someday 01:00-05:00\"]\n"),
	    7, 15, "window 'Someday");
	expect_error(ROLE("    principals: [x]\n    windows: [\"Sat 01:00-25:00 UTC\"]\n"),
	    7, 15, "window");
	expect_error(ROLE("    principals: [x]\n    windows: [\"Sat 01:00-05:00 CET\"]\n"),
	    7, 15, "window");
	expect_error(ROLE("    principals: [x]\n    from: [10.0.0.0/33]\n"), 7, 12,
	    "not an address or CIDR");
	expect_error(ROLE("    principals: [x]\n    from: [10.1.2.3/8]\n"), 7, 12,
	    "host bits zero");
	expect_error(ROLE("    principals: [x]\n    source_address: anywhere\n"), 7, 21,
	    "'requester' or a list");
	expect_error(ROLE("    principals: [x]\n    break_glass: true\n"
	    "    approval: { groups: [dev] }\n"), 8, 15, "break_glass");
	expect_error(USERS "roles: {}\nnotify: { command: page-me }\n", 4, 20,
	    "absolute path");
}

Test(policy_load, file_errors_name_the_file)
{
	struct jpolicy *p = NULL;
	char *err = NULL;

	cr_assert_eq(jpolicy_load_file("/nonexistent/policy.yaml", &p, &err),
	    JIT_ERR_NOT_FOUND);
	cr_assert_not_null(strstr(err, "/nonexistent/policy.yaml"));
	free(err);
}

Test(policy_load, durations_parse_and_format)
{
	uint64_t s;
	char buf[32];

	cr_assert_eq(jpolicy_parse_duration("90s", &s), 0);
	cr_assert_eq(s, 90);
	cr_assert_eq(jpolicy_parse_duration("1h30m", &s), 0);
	cr_assert_eq(s, 5400);
	cr_assert_eq(jpolicy_parse_duration("2d", &s), 0);
	cr_assert_eq(s, 172800);
	cr_assert_neq(jpolicy_parse_duration("", &s), 0);
	cr_assert_neq(jpolicy_parse_duration("m", &s), 0);
	cr_assert_neq(jpolicy_parse_duration("1h1h", &s), 0);
	cr_assert_neq(jpolicy_parse_duration("99999999999999999999s", &s), 0);
	jpolicy_format_duration(5400, buf, sizeof(buf));
	cr_assert_str_eq(buf, "1h30m");
	jpolicy_format_duration(600, buf, sizeof(buf));
	cr_assert_str_eq(buf, "10m");
}

#define APPROVAL(body) USERS "  carol: { keys: [\"" KEY_ED "\"], groups: [leads] }\n" \
    "roles:\n  r:\n    groups: [dev]\n    principals: [x]\n" \
    "    approval:\n      groups: [leads]\n      pending_ttl: 10m\n" body

/* remind_after, escalate and auto are checked like everything else. */
Test(policy_load, approval_rules)
{
	jpolicy_free(load_ok(APPROVAL("      remind_after: 5m\n"
	    "      escalate: { after: 8m, groups: [dev] }\n"
	    "      auto: { groups: [dev], reason_match: \"^INC-[0-9]+$\" }\n")));
	expect_error(APPROVAL("      remind_after: 10m\n"), 11, 21,
	    "remind_after must be shorter than pending_ttl");
	expect_error(APPROVAL("      remind_after: soon\n"), 11, 21,
	    "approval.remind_after");
	expect_error(APPROVAL("      escalate: { groups: [dev] }\n"), 11, 17,
	    "escalate needs after");
	expect_error(APPROVAL("      escalate: { after: 1m }\n"), 11, 17,
	    "escalate needs groups");
	expect_error(APPROVAL("      escalate: { after: 1m, groups: [nope] }\n"),
	    11, 39, "nope");
	expect_error(APPROVAL("      escalate: { after: 11m, groups: [dev] }\n"),
	    11, 26, "escalate.after must be shorter than pending_ttl");
	expect_error(APPROVAL("      escalate: { after: 1m, groups: [dev], x: 1 }\n"),
	    11, 45, "unknown key 'x'");
	expect_error(APPROVAL("      auto: {}\n"), 11, 13,
	    "approval.auto needs at least one condition");
	expect_error(APPROVAL("      auto: { reason_match: \"(\" }\n"), 11, 29,
	    "not an extended regular expression");
	expect_error(APPROVAL("      auto: { from: [10.0.0.1/8] }\n"), 11, 22,
	    "approval.auto.from");
	expect_error(APPROVAL("      auto: { windows: [\"someday\"] }\n"), 11, 25,
	    "window 'someday'");
	expect_error(APPROVAL("      auto: { groups: [] }\n"), 11, 23,
	    "approval.auto.groups must not be empty");
	expect_error(APPROVAL("      auto: { when: always }\n"), 11, 15, "when");
}

/* defaults.max_live_certs: a whole number from 1 to 1,000,000. */
Test(policy_load, max_live_certs)
{
	struct jpolicy *p = load_ok("defaults: { max_live_certs: 7 }\n" USERS
	    "roles: {}\n");

	cr_assert_eq(jpolicy_max_live_certs(p), 7);
	jpolicy_free(p);
	p = load_ok(USERS "roles: {}\n");
	cr_assert_eq(jpolicy_max_live_certs(p), 100, "the default");
	jpolicy_free(p);
	expect_error("defaults: { max_live_certs: 0 }\n" USERS, 1, 29,
	    "max_live_certs must be a whole number from 1 to 1000000");
	expect_error("defaults: { max_live_certs: many }\n" USERS, 1, 29,
	    "not 'many'");
	expect_error("defaults: { max_live_certs: 1000001 }\n" USERS, 1, 29,
	    "max_live_certs");
	expect_error("defaults: { max_live_certs: \"5\" }\n" USERS, 1, 29,
	    "max_live_certs");
}

/* One run names every problem, each with its position, in file order. */
Test(policy_load, every_problem_in_one_run)
{
	static const char pol[] =
	    "defaults: { ttl: 5x }\n"
	    "users:\n"
	    "  alice: { keys: [\"ssh-ed25519 AAAAbad\"], groups: [dev] }\n"
	    "  bob: { keys: [\"" KEY_ED "\"], groups: [ops], color: red }\n"
	    "roles:\n"
	    "  dev: { groups: [devs], principals: [], ttl: 2h, max_ttl: 1h }\n"
	    "  ops: { groups: [ops], principals: [root], windows: [whenever] }\n"
	    "auditors: [nobody]\n";
	static const char *const want[] = { "p:1:18: defaults.ttl",
	    "p:3:19: user 'alice': malformed public key",
	    "unknown key 'color'", "p:6:19: groups: unknown group 'devs'",
	    "p:6:38: role 'dev': principals must not be empty",
	    "p:6:47: role 'dev': ttl is longer than max_ttl",
	    "p:7:55: window 'whenever'", "p:8:12: auditors: unknown group" };
	struct jpolicy *p = NULL;
	char *err = NULL, *line, *save = NULL;
	size_t i = 0;

	cr_assert_eq(jpolicy_load("p", (const unsigned char *)pol, strlen(pol),
	    &p, &err), JIT_ERR_POLICY);
	cr_assert_null(p);
	cr_assert_not_null(err);
	for (line = strtok_r(err, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), i++) {
		cr_assert_lt(i, sizeof(want) / sizeof(want[0]), "extra: %s", line);
		cr_assert_not_null(strstr(line, want[i]), "want '%s' in '%s'",
		    want[i], line);
	}
	cr_assert_eq(i, sizeof(want) / sizeof(want[0]), "%zu problems", i);
	free(err);
}

/* The quorum's longest approver names, comma-separated, must fit the log's
 * approvers field (quorum 64 of 64-byte names did not: every approval
 * passed, then the pickup failed). */
static char *
many_approvers(unsigned quorum, unsigned nleads, int leadlen, unsigned nmgr,
    int mgrlen)
{
	char *y = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&y, &len);
	unsigned i;

	cr_assert_not_null(f);
	fprintf(f, "users:\n  req: { keys: [\"" KEY_ED "\"], groups: [dev] }\n");
	for (i = 0; i < nleads + nmgr; i++)
		fprintf(f, "  %c%0*u: { keys: [\"" KEY_ED "\"], groups: [%s] }\n",
		    'a' + (char)(i % 26), (i < nleads ? leadlen : mgrlen) - 1, i,
		    i < nleads ? "leads" : "mgr");
	fprintf(f, "roles:\n  r:\n    groups: [dev]\n    principals: [x]\n"
	    "    approval:\n      groups: [leads]\n      quorum: %u\n", quorum);
	if (nmgr > 0)
		fprintf(f, "      escalate: { after: 1m, groups: [mgr] }\n");
	fclose(f);
	return y;
}

Test(policy_load, quorum_names_fit_the_log)
{
	char *y;

	y = many_approvers(64, 70, 64, 0, 0);	/* 64 * 64 + 63 = 4159 bytes */
	expect_error(y, 79, 15, "quorum 64 of these approvers is 4159 bytes");
	free(y);
	y = many_approvers(63, 70, 64, 0, 0);	/* 4094 */
	jpolicy_free(load_ok(y));
	free(y);
	y = many_approvers(64, 64, 63, 0, 0);	/* 4095 */
	jpolicy_free(load_ok(y));
	free(y);
	/* Escalation approvers count too: with 6 longer names, 4101. */
	y = many_approvers(64, 64, 63, 6, 64);
	expect_error(y, 79, 15, "4101 bytes");
	free(y);
}
