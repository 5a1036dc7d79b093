/*
 * report-impl.h: what the access review's walk (report.c) hands to the
 * model (report-model.c): the tables and counts of one run.
 */
#ifndef JIT_CA_REPORT_IMPL_H
#define JIT_CA_REPORT_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "jstore.h"
#include "rtab.h"

struct jpolicy;
struct ca_report_opts;

#define NAMES_MAX	100000	/* users, roles, approvers; then "(other)" */
#define DAY_ROLES_MAX	24	/* roles drawn per day; the rest "(other)" */
#define DAYS_MAX	3700	/* about ten years */
#define SEQS_MAX	20	/* evidence listed per finding */
#define REQS_MAX	8	/* requests named per finding */
#define EACH_MAX	200	/* findings of one use each, per kind */
#define SUBJECTS_MAX	10000	/* users and addresses tallied for refusals */
#define GRACE		3600	/* a recording may reach the CA this late */
#define CHAIN_GAP	900	/* back to back: the next within 15 minutes */
#define CLOCK_SLACK	60	/* host and CA clocks */
#define SWEEP_EVERY	300
#define RUBBER_MIN	4	/* a role's requests before "more than half" */

enum kind {
	K_OOH, K_RUBBER, K_BREAK, K_UNUSED_GRANT, K_STANDING, K_UNUSED_ROLE,
	K_INACTIVE, K_REFUSED, K_CLOSURE, K_N
};

/* Each kind's name (review.exclude, the model) and severity. */
extern const char *const kind_name[K_N];
extern const char *const kind_sev[K_N];

/* A finding, kept while the walk goes on. */
struct agg {
	int kind;
	uint32_t user, role;	/* names; UINT32_MAX: none */
	uint64_t count, min, max;
	uint64_t requests;	/* out-of-hours: how many were requests */
	uint64_t seqs[SEQS_MAX];
	size_t nseqs;
	char reqs[REQS_MAX][JSTORE_REQUEST_ID_LEN + 1];
	size_t nreqs;
	char text[320];		/* one finding per use: what it was */
};

struct cert {
	uint64_t serial, seq, bg_seq, issued, valid_before;
	uint64_t revoked_at, revoke_seq, first_use;
	uint32_t user, role, sessions;
	int late;		/* a session began after the revocation */
	uint64_t sess_seqs[4];
	char reason[160];
};

struct pending {
	char id[JSTORE_REQUEST_ID_LEN + 1];
	uint64_t time, seq, last_approval;
	uint32_t user, role;
};

struct chain {
	uint32_t user, role;
	uint64_t start, end, n;
	uint64_t seqs[SEQS_MAX];
	size_t nseqs;
};

struct subject {
	char key[80];		/* "user NAME" or "address ADDR" */
	uint64_t hour, in_hour, worst, worst_hour;
	uint64_t fails, lockouts, denied;
	uint64_t seqs[SEQS_MAX];
	size_t nseqs;
};

struct rep {
	struct jstore *st;
	const struct jpolicy *p;
	const struct ca_report_opts *o;
	int err;
	/* Names. */
	char **names;
	size_t nnames, capnames;
	struct map names_ix;
	unsigned char *active, *asked;	/* by name */
	uint64_t *role_issued, *role_requests;	/* by name */
	/* Counts. */
	uint64_t events, first_seq, last_seq;
	unsigned char last_hash[32];
	uint64_t requests, approvals, denials, withdrawals, expiries;
	uint64_t issuances, revocations, break_glass, sessions, fails;
	uint64_t lockouts, certs_done, certs_used;
	struct hist latency, first_use;
	uint64_t heat[7][24];		/* Monday first, local hours */
	/* Issuances per local day, for the first DAY_ROLES_MAX roles. */
	uint64_t day0, ndays;
	uint32_t day_role[DAY_ROLES_MAX];	/* name of column c */
	size_t nday_roles;
	uint32_t *days;			/* ndays x (DAY_ROLES_MAX + 1) */
	/* Tables. */
	struct pool certs, pend, chains, subjects, aggs, decided;
	struct map certs_ix, pend_ix, chains_ix, subjects_ix, aggs_ix;
	struct map decided_ix;
	uint64_t each[K_N];		/* findings of one use each, so far */
	uint64_t next_sweep, next_pend_sweep, untallied;
	int hosts_enrolled;
};

struct decided {
	uint32_t role, approver;
	uint64_t n;
	uint64_t seqs[SEQS_MAX];
	size_t nseqs;
};


#define NONE	UINT32_MAX

/* The index of name s (made when new), or NONE for none. */
uint32_t rep_name(struct rep *R, const char *s);
/* Name i, or NULL for NONE. */
const char *rep_name_str(const struct rep *R, uint32_t i);
/* The model of a finished walk: *mp, a JSON object. */
int rep_model(struct rep *R, json_t **mp);

#endif /* JIT_CA_REPORT_IMPL_H */
