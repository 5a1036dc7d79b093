/* policy-impl.h: the inside of struct jpolicy, for the files in policy/ only. */
#ifndef JIT_POLICY_IMPL_H
#define JIT_POLICY_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <regex.h>
#include <stdatomic.h>

#include "jkey.h"
#include "jpolicy.h"

struct pstrv {
	char **v;
	size_t n;
};

struct pcidr {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned bits;
};

struct pwindow {
	unsigned days;		/* bit d set: weekday d (0 = Sunday) */
	unsigned start, end;	/* minutes after 00:00 UTC; end <= start: next day */
	char *text;
};

struct puser {
	char *name;
	struct jkey **keys;
	size_t nkeys;
	struct pstrv groups;
	int sso;		/* signs in through the identity provider */
};

/*
 * approval.auto: a request that meets every condition given is approved
 * by the policy itself (audited with approvers "policy:auto").
 */
struct pauto {
	int set;
	struct pwindow *windows;
	size_t nwindows;
	struct pcidr *from;
	size_t nfrom;
	char *from_text;
	struct pstrv groups;		/* the requester is in one of them */
	int has_reason_re;
	regex_t reason_re;		/* POSIX ERE, matched anywhere */
	char *reason_text;
};

struct prole {
	char *name;
	struct pstrv groups;
	struct pstrv principals;	/* templates, "{user}" expanded later */
	uint64_t ttl, max_ttl;
	int mfa_required, reason_required, break_glass;
	int source_requester;
	char *source_address;		/* fixed list, comma-joined, or NULL */
	char *force_command;
	int record;			/* record: required */
	struct pstrv extensions;	/* sorted, unique */
	unsigned key_types;		/* KT_* bits */
	int has_approval;
	struct pstrv approval_groups;
	unsigned quorum;
	uint64_t pending_ttl, pickup_ttl;
	uint64_t remind_after;		/* 0: no reminder */
	uint64_t escalate_after;	/* 0: no escalation */
	struct pstrv escalate_groups;	/* approvers too from then on */
	struct pauto autoapp;
	struct pwindow *windows;
	size_t nwindows;
	struct pcidr *from;
	size_t nfrom;
	char *from_text;
};

struct jit_tz;

/* review.exclude: findings of kind (for user, for role, when set) left out. */
struct pexclude {
	char *kind, *user, *role;
};

/* review: what the access review report reads (policy/review.c). */
struct preview {
	struct pwindow *hours;		/* business hours, in tz */
	size_t nhours;
	struct jit_tz *tz;		/* NULL: UTC */
	uint64_t min_review, standing_after, krl_refresh;
	unsigned refused_spike;
	struct pexclude *exclude;
	size_t nexclude;
};

/* sso.claims_to_groups: a claim holding value brings groups. */
struct pclaimmap {
	char *claim, *value;
	struct pstrv groups;
};

/* sso: sign-in with the identity provider (policy/sso.c). */
struct psso {
	int set;
	char *issuer, *client_id, *client_secret_file, *ca_file, *scope;
	char *username_claim, *groups_claim;
	struct pstrv mfa_amr, groups;
	struct pclaimmap *maps;
	size_t nmaps;
	uint64_t skew;
};

void policy_sso_free(struct psso *s);
/* A user or group name as the policy takes them. */
int policy_name_ok(const char *s);

void policy_review_defaults(struct preview *rv);
int policy_review_finish(struct preview *rv);
void policy_review_free_hours(struct preview *rv);
void policy_review_free(struct preview *rv);

#define KT_ED25519	0x01
#define KT_ECDSA	0x02
#define KT_RSA		0x04
#define KT_ALL		(KT_ED25519 | KT_ECDSA | KT_RSA)

struct jpolicy {
	atomic_uint refs;	/* jpolicy_ref(); freed at the last free */
	uint64_t ttl, max_ttl, clock_skew, mfa_grace, pending_ttl;
	unsigned key_types;
	int mfa_required;
	unsigned max_live_certs;	/* per user */
	struct puser *users;	/* sorted by name */
	size_t nusers;
	struct prole *roles;	/* sorted by name */
	size_t nroles;
	struct pstrv auditors;
	char **notify_argv;	/* NULL-terminated, or NULL */
	struct preview review;
	struct psso sso;
	/*
	 * A signed-in SSO user's view (jpolicy_with_sso_user): everything is
	 * base's, borrowed, plus one user, found before base's own.
	 */
	struct jpolicy *base;
	struct puser *overlay;
};

/*
 * 1 when now is inside one of the windows; *endp is then the end of that
 * window (the latest end when several overlap).
 */
int policy_in_window(const struct pwindow *w, size_t n, uint64_t now,
    uint64_t *endp);

const struct puser *policy_find_user(const struct jpolicy *p, const char *name);
const struct prole *policy_find_role(const struct jpolicy *p, const char *name);
int pstrv_has(const struct pstrv *v, const char *s);
unsigned policy_key_type_bit(enum jkey_type t);

/* Parses "a.b.c.d/n", "x::y/n" or a bare address. */
int policy_parse_cidr(const char *s, struct pcidr *c);
/* 1 when the address text a is inside c. */
int policy_cidr_contains(const struct pcidr *c, const struct pcidr *a);

#endif /* JIT_POLICY_IMPL_H */
