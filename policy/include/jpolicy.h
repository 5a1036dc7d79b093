/*
 * jpolicy.h: the role policy (policy.yaml), loaded strictly into an opaque,
 * immutable object, and evaluated as a pure function of (policy, request).
 *
 * Loading refuses anything whose meaning could differ from its author's
 * intent; every error names "file:line:column: message".  Evaluation reads
 * no clock and does no I/O: the time is part of the request.
 * All int functions return 0 or a JIT_ERR_* code.
 */
#ifndef JIT_JPOLICY_H
#define JIT_JPOLICY_H

#include <stddef.h>
#include <stdint.h>

#include "jkey.h"

struct jpolicy;
struct jpolicy_decision;

#define JPOLICY_FILE_MAX	(8u * 1024 * 1024)
#define JPOLICY_ERR_MAX		512
/* A role's principals joined by commas, expanded: at most this long. */
#define JPOLICY_PRINCIPALS_TEXT_MAX	4095
/* A request's approvers, comma-separated, as the log records them. */
#define JPOLICY_APPROVERS_MAX		4096

/*
 * Loads a policy from len bytes of YAML; name is used in error messages.
 * On a validation error returns JIT_ERR_POLICY and, when errp is not NULL,
 * a new string in *errp (caller frees): every problem found (up to 100),
 * one "name:line:column: message" line each, in file order.
 */
int jpolicy_load(const char *name, const unsigned char *yaml, size_t len,
    struct jpolicy **pp, char **errp);

/* Reads path (at most JPOLICY_FILE_MAX bytes) and loads it. */
int jpolicy_load_file(const char *path, struct jpolicy **pp, char **errp);

/*
 * A policy never changes once loaded, so threads may share it: each
 * jpolicy_ref() (which returns p) is matched by a jpolicy_free(), and the
 * last one frees it.  Both NULL-safe.
 */
struct jpolicy *jpolicy_ref(struct jpolicy *p);
void jpolicy_free(struct jpolicy *p);

/* Defaults, in seconds. */
uint64_t jpolicy_clock_skew(const struct jpolicy *p);
uint64_t jpolicy_mfa_grace(const struct jpolicy *p);
/* defaults.max_live_certs: unexpired, unrevoked certificates per user. */
unsigned jpolicy_max_live_certs(const struct jpolicy *p);

/* The notify command as argv (NULL-terminated), or NULL when none. */
char *const *jpolicy_notify_argv(const struct jpolicy *p);

/* Users. */
int jpolicy_user_exists(const struct jpolicy *p, const char *user);
/* The policy's users, sorted by name: i from 0 to jpolicy_nusers() - 1. */
size_t jpolicy_nusers(const struct jpolicy *p);
const char *jpolicy_user_name(const struct jpolicy *p, size_t i);
/* 1 when k is one of user's keys. */
int jpolicy_user_has_key(const struct jpolicy *p, const char *user,
    const struct jkey *k);
size_t jpolicy_user_ngroups(const struct jpolicy *p, const char *user);
const char *jpolicy_user_group(const struct jpolicy *p, const char *user,
    size_t i);
int jpolicy_user_in_group(const struct jpolicy *p, const char *user,
    const char *group);
/* 1 when user is in one of the auditors groups. */
int jpolicy_is_auditor(const struct jpolicy *p, const char *user);
/* 1 when user is in one of role's approval groups. */
int jpolicy_can_approve(const struct jpolicy *p, const char *role,
    const char *user);
/*
 * The same for a request that has waited age seconds: from
 * approval.escalate.after on, the escalation groups may approve too.
 */
int jpolicy_can_approve_at(const struct jpolicy *p, const char *role,
    const char *user, uint64_t age);

/* 1 when user is in one of the groups that may request role. */
int jpolicy_user_may_request(const struct jpolicy *p, const char *user,
    const char *role);

/*
 * A principal template with every "{user}" replaced by user: a new string
 * (caller frees), NULL when out of memory or longer than a principal.
 */
char *jpolicy_expand_principal(const char *tmpl, const char *user);

/* Roles, in name order. */
size_t jpolicy_nroles(const struct jpolicy *p);
const char *jpolicy_role_name(const struct jpolicy *p, size_t i);
int jpolicy_role_exists(const struct jpolicy *p, const char *role);

/* What a requester asks for, and everything the decision may depend on. */
struct jpolicy_request {
	const char *user;
	const char *role;
	uint64_t ttl;		/* requested seconds; 0: the role's default */
	int mfa_done;		/* the session completed a TOTP check */
	const char *reason;	/* NULL or "" when none given */
	const char *address;	/* client IP address as text, or NULL */
	enum jkey_type key_type;	/* type of the key to certify */
	uint64_t now;		/* seconds since the epoch */
};

enum jpolicy_verdict {
	JPOLICY_DENY = 0,
	JPOLICY_ALLOW,
	JPOLICY_NEEDS_APPROVAL,
};

/*
 * Evaluates req.  Always returns a decision on success (0), including a
 * denial with its reason; errors are only for bad arguments or memory.
 */
int jpolicy_evaluate(const struct jpolicy *p, const struct jpolicy_request *req,
    struct jpolicy_decision **dp);

void jpolicy_decision_free(struct jpolicy_decision *d);

enum jpolicy_verdict jpolicy_decision_verdict(const struct jpolicy_decision *d);
/*
 * Why it was denied, in words for a person (every failing condition,
 * joined with "; "); NULL unless denied.  Each condition alone: reason_at.
 */
const char *jpolicy_decision_reason(const struct jpolicy_decision *d);
size_t jpolicy_decision_nreasons(const struct jpolicy_decision *d);
/* Which conditions failed, as JPOLICY_DENY_* bits (0 unless denied). */
#define JPOLICY_DENY_USER	0x001	/* not a user of the policy */
#define JPOLICY_DENY_ROLE	0x002	/* no such role */
#define JPOLICY_DENY_GROUP	0x004	/* not in a group that may request it */
#define JPOLICY_DENY_KEY_TYPE	0x008
#define JPOLICY_DENY_FROM	0x010	/* the address is outside `from` */
#define JPOLICY_DENY_WINDOW	0x020	/* outside the role's windows */
#define JPOLICY_DENY_MFA	0x040	/* no verification code in the session */
#define JPOLICY_DENY_REASON	0x080	/* a reason is required */
#define JPOLICY_DENY_ADDRESS	0x100	/* source_address: requester, unknown */
unsigned jpolicy_decision_denials(const struct jpolicy_decision *d);
const char *jpolicy_decision_reason_at(const struct jpolicy_decision *d,
    size_t i);

/* Certificate parameters (meaningful unless denied); strings live with d. */
size_t jpolicy_decision_nprincipals(const struct jpolicy_decision *d);
const char *jpolicy_decision_principal(const struct jpolicy_decision *d,
    size_t i);
uint64_t jpolicy_decision_ttl(const struct jpolicy_decision *d);
int jpolicy_decision_ttl_capped(const struct jpolicy_decision *d);
uint64_t jpolicy_decision_valid_after(const struct jpolicy_decision *d);
uint64_t jpolicy_decision_valid_before(const struct jpolicy_decision *d);
/* NULL when absent. */
const char *jpolicy_decision_force_command(const struct jpolicy_decision *d);
const char *jpolicy_decision_source_address(const struct jpolicy_decision *d);
/* Sorted and unique. */
size_t jpolicy_decision_nextensions(const struct jpolicy_decision *d);
const char *jpolicy_decision_extension(const struct jpolicy_decision *d,
    size_t i);
int jpolicy_decision_break_glass(const struct jpolicy_decision *d);
/*
 * Approval: groups, quorum, seconds a request may wait for its decision,
 * seconds an approved request may wait to be picked up.
 */
size_t jpolicy_decision_napprover_groups(const struct jpolicy_decision *d);
const char *jpolicy_decision_approver_group(const struct jpolicy_decision *d,
    size_t i);
unsigned jpolicy_decision_quorum(const struct jpolicy_decision *d);
uint64_t jpolicy_decision_pending_ttl(const struct jpolicy_decision *d);
uint64_t jpolicy_decision_pickup_ttl(const struct jpolicy_decision *d);
/*
 * 1 when the role needs approval but approval.auto's conditions all hold:
 * the verdict is then JPOLICY_ALLOW, and the issuance is recorded as
 * approved by "policy:auto".
 */
int jpolicy_decision_auto_approved(const struct jpolicy_decision *d);
/* When approval.auto did not approve: the condition that failed, in words
 * ("approval.auto.from: the address is outside it"); else NULL. */
const char *jpolicy_decision_auto_refusal(const struct jpolicy_decision *d);

/*
 * Static facts about a role for `roles` and `policy explain`:
 * max ttl, default ttl, mfa required, reason required, approval quorum
 * (0 when none), break-glass.  Returns JIT_ERR_NOT_FOUND for no such role.
 */
struct jpolicy_role_info {
	uint64_t ttl, max_ttl;
	int mfa_required, reason_required, break_glass;
	unsigned quorum;
	size_t nwindows, nfrom;
	uint64_t pending_ttl;
	uint64_t remind_after;		/* 0: none */
	uint64_t escalate_after;	/* 0: none */
	int auto_approval;		/* approval.auto is set */
};
int jpolicy_role_info(const struct jpolicy *p, const char *role,
    struct jpolicy_role_info *info);
size_t jpolicy_role_nprincipals(const struct jpolicy *p, const char *role);
const char *jpolicy_role_principal(const struct jpolicy *p, const char *role,
    size_t i);
size_t jpolicy_role_ngroups(const struct jpolicy *p, const char *role);
const char *jpolicy_role_group(const struct jpolicy *p, const char *role,
    size_t i);
/* A role's time windows as written (i < info.nwindows), and its `from`
 * networks joined with commas (NULL when none). */
const char *jpolicy_role_window(const struct jpolicy *p, const char *role,
    size_t i);
const char *jpolicy_role_from(const struct jpolicy *p, const char *role);
/* approval.escalate.groups: who may approve too after escalate.after. */
size_t jpolicy_role_nescalate_groups(const struct jpolicy *p, const char *role);
const char *jpolicy_role_escalate_group(const struct jpolicy *p,
    const char *role, size_t i);

/* Formats a number of seconds as "90s", "5m", "1h30m", "2d" into buf. */
void jpolicy_format_duration(uint64_t secs, char *buf, size_t len);

/* Parses "90s", "5m", "1h", "1h30m", "2d" (> 0).  JIT_ERR_INVALID_FORMAT. */
int jpolicy_parse_duration(const char *s, uint64_t *secsp);


/*
 * review: what the access review report (jit-ssh-ca report) reads.
 * Business hours are windows like roles' windows, in the section's time
 * zone (default Mon-Fri 09:00-17:00 UTC); jpolicy_review_in_hours() is 1
 * when t falls inside them.  jpolicy_review_kind(i) names the finding
 * kinds (NULL past the last); jpolicy_review_excluded() is 1 when
 * review.exclude leaves a finding of kind, for user and role (either may
 * be NULL), out.
 */
const char *jpolicy_review_kind(size_t i);
int jpolicy_review_in_hours(const struct jpolicy *p, uint64_t t);
/* 1 when local weekday wday (0: Sunday) at minute (of the day) is inside. */
int jpolicy_review_hours_at(const struct jpolicy *p, unsigned wday,
    unsigned minute);
long jpolicy_review_tz_offset(const struct jpolicy *p, uint64_t t);
const char *jpolicy_review_timezone(const struct jpolicy *p);
size_t jpolicy_review_nhours(const struct jpolicy *p);
const char *jpolicy_review_hours(const struct jpolicy *p, size_t i);
uint64_t jpolicy_review_min_review(const struct jpolicy *p);
uint64_t jpolicy_review_standing_after(const struct jpolicy *p);
uint64_t jpolicy_review_krl_refresh(const struct jpolicy *p);
unsigned jpolicy_review_refused_spike(const struct jpolicy *p);
int jpolicy_review_excluded(const struct jpolicy *p, const char *kind,
    const char *user, const char *role);

/*
 * sso: sign-in with the company's identity provider.  jpolicy_sso() is 1
 * and fills cfg when the policy has the section; jpolicy_user_sso() is 1
 * for a name that signs in there (not in users:, or sso: true there).
 */
struct jpolicy_sso_cfg {
	const char *issuer, *client_id, *client_secret_file, *ca_file, *scope;
	uint64_t skew;
};
int jpolicy_sso(const struct jpolicy *p, struct jpolicy_sso_cfg *cfg);
int jpolicy_user_sso(const struct jpolicy *p, const char *user);

/* Who a verified ID token says the user is. */
struct jpolicy_sso_id {
	char user[65];
	char sub[257], iss[257];
	char **groups;
	size_t ngroups;
	char sources[1024];	/* "dev (groups), leads (department=sre)" */
	int mfa;		/* an amr value of sso.mfa_amr */
};
struct json_t;

/*
 * Maps verified claims (a JSON object) to a user name (username_claim),
 * groups (groups_claim, claims_to_groups, and the policy's own for an
 * sso: true user) and MFA (amr).  JIT_ERR_DENIED with err saying why: no
 * usable name, a name that signs in with a key, text with control
 * characters, too many groups.  jpolicy_sso_id_clear() frees it.
 */
int jpolicy_sso_map(const struct jpolicy *p, const struct json_t *claims,
    struct jpolicy_sso_id *id, char *err, size_t errlen);
void jpolicy_sso_id_clear(struct jpolicy_sso_id *id);

/*
 * p with id's user in it (its groups id's): what a signed-in SSO user's
 * requests, approvals and lookups are judged by.  Freed with
 * jpolicy_free(); NULL when out of memory.
 */
struct jpolicy *jpolicy_with_sso_user(struct jpolicy *p,
    const struct jpolicy_sso_id *id);

#endif /* JIT_JPOLICY_H */
