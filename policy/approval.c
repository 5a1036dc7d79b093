/*
 * approval.c: a role's approval: groups, quorum, waiting and pickup windows, reminders, escalation, auto-approval.
 */
#include <arpa/inet.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "jbuf.h"
#include "jcert.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jpolicy.h"
#include "jyaml.h"
#include "policy-impl.h"
#include "schema.h"

static int
may_approve(const struct puser *u, const struct prole *role)
{
	size_t j;

	for (j = 0; j < role->approval_groups.n; j++)
		if (pstrv_has(&u->groups, role->approval_groups.v[j]))
			return 1;
	for (j = 0; j < role->escalate_groups.n; j++)
		if (pstrv_has(&u->groups, role->escalate_groups.v[j]))
			return 1;
	return 0;
}

/*
 * The approvers of a request are recorded as one comma-separated field:
 * the quorum's longest names (escalation approvers included) must fit
 * JPOLICY_APPROVERS_MAX, or every approval would pass and the pickup fail.
 */
static int
check_approvers_fit(struct ctx *c, const struct jyaml_node *qn,
    const struct prole *role)
{
	const struct jpolicy *p = c->p;
	size_t i, k, longest[QUORUM_MAX], n = 0, len, total;

	if (role->quorum == 0 || role->quorum > QUORUM_MAX)
		return 0;	/* refused where the quorum is read */
	for (i = 0; i < p->nusers; i++) {
		if (!may_approve(&p->users[i], role))
			continue;
		len = strlen(p->users[i].name);
		/* Keep the quorum longest, longest first. */
		for (k = n < role->quorum ? n++ : n; k > 0 &&
		    longest[k - 1] < len; k--)
			if (k < role->quorum)
				longest[k] = longest[k - 1];
		if (k < role->quorum)
			longest[k] = len;
	}
	for (i = 0, total = 0; i < n; i++)
		total += longest[i] + (i > 0 ? 1 : 0);
	if (total > JPOLICY_APPROVERS_MAX)
		return schema_err(c, qn, "role '%s': quorum %u of these approvers "
		    "is %zu bytes of names, more than the log's %d for a "
		    "request's approvers: lower the quorum or shorten the names",
		    role->name, role->quorum, total, JPOLICY_APPROVERS_MAX);
	return 0;
}

/*
 * The quorum must be reachable by every possible requester: approvers
 * other than the requester must be at least quorum.
 */
static int
check_quorum(struct ctx *c, const struct jyaml_node *qn, struct prole *role)
{
	const struct jpolicy *p = c->p;
	size_t i, j, napprovers = 0, pool;
	int requester_approves;

	/* Approvers the identity provider brings cannot be counted here. */
	for (j = 0; j < role->approval_groups.n; j++)
		if (pstrv_has(&p->sso.groups, role->approval_groups.v[j]) ||
		    p->sso.nmaps > 0)
			return check_approvers_fit(c, qn, role);
	for (i = 0; i < p->nusers; i++)
		for (j = 0; j < role->approval_groups.n; j++)
			if (pstrv_has(&p->users[i].groups,
			    role->approval_groups.v[j])) {
				napprovers++;
				break;
			}
	for (i = 0; i < p->nusers; i++) {
		const struct puser *u = &p->users[i];

		for (j = 0; j < role->groups.n; j++)
			if (pstrv_has(&u->groups, role->groups.v[j]))
				break;
		if (j == role->groups.n)
			continue;	/* cannot request the role */
		requester_approves = 0;
		for (j = 0; j < role->approval_groups.n; j++)
			if (pstrv_has(&u->groups, role->approval_groups.v[j]))
				requester_approves = 1;
		pool = napprovers - (size_t)requester_approves;
		if (pool < role->quorum)
			return schema_err(c, qn, "role '%s': quorum %u cannot be met "
			    "when %s requests it: only %zu approver(s) besides "
			    "the requester", role->name, role->quorum, u->name,
			    pool);
	}
	return check_approvers_fit(c, qn, role);
}

/* approval.escalate: { after: D, groups: [...] }, before the wait ends. */
static int
load_escalate(struct ctx *c, const struct jyaml_node *n, struct prole *role)
{
	static const char *const keys[] = { "after", "groups", NULL };
	const struct jyaml_node *v;
	int r;

	if ((r = schema_want(c, n, JYAML_MAP, "approval.escalate")) != 0 ||
	    (r = schema_check_keys(c, n, "approval.escalate", keys)) != 0)
		return r;
	if ((v = jyaml_get(n, "after")) == NULL)
		return schema_err(c, n, "approval.escalate needs after (how long a "
		    "request waits before more people may approve)");
	if ((r = schema_get_duration(c, v, "approval.escalate.after",
	    &role->escalate_after)) != 0)
		return r;
	if (role->escalate_after >= role->pending_ttl)
		return schema_err(c, v, "approval.escalate.after must be shorter "
		    "than pending_ttl, or it never happens");
	if ((v = jyaml_get(n, "groups")) == NULL)
		return schema_err(c, n, "approval.escalate needs groups (who may "
		    "approve too from then on)");
	if ((r = schema_get_list(c, v, "approval.escalate.groups",
	    schema_check_known_group, &role->escalate_groups)) != 0)
		return r;
	if (role->escalate_groups.n == 0)
		return schema_err(c, v, "approval.escalate.groups must not be empty");
	return 0;
}

#define REASON_RE_MAX	512

/*
 * approval.auto: { windows, from, groups, reason_match }: at least one;
 * a request meeting all of those given needs no approver.
 */
static int
load_auto(struct ctx *c, const struct jyaml_node *n, struct prole *role)
{
	static const char *const keys[] = { "windows", "from", "groups",
	    "reason_match", NULL };
	struct pauto *a = &role->autoapp;
	const struct jyaml_node *v;
	char msg[128];
	int r, rc;

	if ((r = schema_want(c, n, JYAML_MAP, "approval.auto")) != 0 ||
	    (r = schema_check_keys(c, n, "approval.auto", keys)) != 0)
		return r;
	if (n->n == 0)
		return schema_err(c, n, "approval.auto needs at least one condition "
		    "(windows, from, groups, reason_match); without any, the "
		    "role needs no approval at all: remove approval instead");
	a->set = 1;
	if ((v = jyaml_get(n, "windows")) != NULL &&
	    (r = schema_get_windows(c, v, "approval.auto.windows", &a->windows,
	    &a->nwindows)) != 0)
		return r;
	if ((v = jyaml_get(n, "from")) != NULL &&
	    (r = schema_get_cidrs(c, v, "approval.auto.from", &a->from, &a->nfrom,
	    &a->from_text)) != 0)
		return r;
	if ((v = jyaml_get(n, "groups")) != NULL) {
		if ((r = schema_get_list(c, v, "approval.auto.groups",
		    schema_check_known_group, &a->groups)) != 0)
			return r;
		if (a->groups.n == 0)
			return schema_err(c, v, "approval.auto.groups must not be "
			    "empty");
	}
	if ((v = jyaml_get(n, "reason_match")) != NULL) {
		if ((r = schema_want(c, v, JYAML_SCALAR, "approval.auto.reason_match")) != 0)
			return r;
		if (v->value[0] == '\0' || strlen(v->value) > REASON_RE_MAX)
			return schema_err(c, v, "approval.auto.reason_match must be a "
			    "regular expression of 1 to %d bytes", REASON_RE_MAX);
		if ((rc = regcomp(&a->reason_re, v->value,
		    REG_EXTENDED | REG_NOSUB)) != 0) {
			regerror(rc, NULL, msg, sizeof(msg));
			return schema_err(c, v, "approval.auto.reason_match: '%s' is "
			    "not an extended regular expression: %s", v->value,
			    msg);
		}
		a->has_reason_re = 1;
		if ((a->reason_text = strdup(v->value)) == NULL)
			return JIT_ERR_ALLOC;
	}
	return 0;
}

int
schema_load_approval(struct ctx *c, const struct jyaml_node *n, struct prole *role)
{
	static const char *const keys[] = { "groups", "quorum", "pending_ttl",
	    "pickup_ttl", "remind_after", "escalate", "auto", NULL };
	const struct jyaml_node *v, *qn;
	char *end;
	unsigned long q;
	int r;

	if ((r = schema_want(c, n, JYAML_MAP, "approval")) != 0 ||
	    (r = schema_check_keys(c, n, "approval", keys)) != 0)
		return r;
	role->has_approval = 1;
	role->quorum = 1;
	role->pending_ttl = c->p->pending_ttl;
	if ((v = jyaml_get(n, "groups")) == NULL)
		return schema_err(c, n, "approval needs groups (who may approve)");
	if ((r = schema_get_list(c, v, "approval.groups", schema_check_known_group,
	    &role->approval_groups)) != 0)
		return r;
	if (role->approval_groups.n == 0)
		return schema_err(c, v, "approval.groups must not be empty");
	if ((qn = jyaml_get(n, "quorum")) != NULL) {
		if ((r = schema_want(c, qn, JYAML_SCALAR, "approval.quorum")) != 0)
			return r;
		q = strtoul(qn->value, &end, 10);
		if (!qn->plain || *end != '\0' || qn->value[0] < '1' ||
		    qn->value[0] > '9' || q > QUORUM_MAX)
			return schema_err(c, qn, "approval.quorum must be a whole "
			    "number from 1 to %d, not '%s'", QUORUM_MAX,
			    qn->value);
		role->quorum = (unsigned)q;
	}
	if ((v = jyaml_get(n, "pending_ttl")) != NULL &&
	    (r = schema_get_duration(c, v, "approval.pending_ttl",
	    &role->pending_ttl)) != 0)
		return r;
	/* An approval is picked up within this long, or it lapses. */
	role->pickup_ttl = role->pending_ttl;
	if ((v = jyaml_get(n, "pickup_ttl")) != NULL &&
	    (r = schema_get_duration(c, v, "approval.pickup_ttl",
	    &role->pickup_ttl)) != 0)
		return r;
	if ((v = jyaml_get(n, "remind_after")) != NULL) {
		if ((r = schema_get_duration(c, v, "approval.remind_after",
		    &role->remind_after)) != 0)
			return r;
		if (role->remind_after >= role->pending_ttl)
			return schema_err(c, v, "approval.remind_after must be shorter "
			    "than pending_ttl, or it never happens");
	}
	if ((v = jyaml_get(n, "escalate")) != NULL &&
	    (r = load_escalate(c, v, role)) != 0)
		return r;
	if ((v = jyaml_get(n, "auto")) != NULL && (r = load_auto(c, v, role)) != 0)
		return r;
	return check_quorum(c, qn != NULL ? qn : n, role);
}
