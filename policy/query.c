/* query.c: read-only questions about a loaded policy.  See jpolicy.h. */
#include <string.h>

#include "jit-err.h"
#include "policy-impl.h"

uint64_t
jpolicy_clock_skew(const struct jpolicy *p)
{
	return p == NULL ? 0 : p->clock_skew;
}

uint64_t
jpolicy_mfa_grace(const struct jpolicy *p)
{
	return p == NULL ? 0 : p->mfa_grace;
}

unsigned
jpolicy_max_live_certs(const struct jpolicy *p)
{
	return p == NULL ? 0 : p->max_live_certs;
}

char *const *
jpolicy_notify_argv(const struct jpolicy *p)
{
	return p == NULL ? NULL : p->notify_argv;
}

int
jpolicy_user_exists(const struct jpolicy *p, const char *user)
{
	return policy_find_user(p, user) != NULL;
}

int
jpolicy_user_has_key(const struct jpolicy *p, const char *user,
    const struct jkey *k)
{
	const struct puser *u = policy_find_user(p, user);
	size_t i;

	if (u == NULL || k == NULL)
		return 0;
	for (i = 0; i < u->nkeys; i++)
		if (jkey_equal_public(u->keys[i], k))
			return 1;
	return 0;
}

size_t
jpolicy_user_ngroups(const struct jpolicy *p, const char *user)
{
	const struct puser *u = policy_find_user(p, user);

	return u == NULL ? 0 : u->groups.n;
}

const char *
jpolicy_user_group(const struct jpolicy *p, const char *user, size_t i)
{
	const struct puser *u = policy_find_user(p, user);

	return u == NULL || i >= u->groups.n ? NULL : u->groups.v[i];
}

int
jpolicy_user_in_group(const struct jpolicy *p, const char *user,
    const char *group)
{
	const struct puser *u = policy_find_user(p, user);

	return u != NULL && group != NULL && pstrv_has(&u->groups, group);
}

size_t
jpolicy_nusers(const struct jpolicy *p)
{
	return p->nusers;
}

const char *
jpolicy_user_name(const struct jpolicy *p, size_t i)
{
	return i < p->nusers ? p->users[i].name : NULL;
}

int
jpolicy_is_auditor(const struct jpolicy *p, const char *user)
{
	const struct puser *u = policy_find_user(p, user);
	size_t i;

	if (u == NULL)
		return 0;
	for (i = 0; i < p->auditors.n; i++)
		if (pstrv_has(&u->groups, p->auditors.v[i]))
			return 1;
	return 0;
}

int
jpolicy_can_approve_at(const struct jpolicy *p, const char *role,
    const char *user, uint64_t age)
{
	const struct prole *r = policy_find_role(p, role);
	const struct puser *u = policy_find_user(p, user);
	size_t i;

	if (r == NULL || u == NULL || !r->has_approval)
		return 0;
	for (i = 0; i < r->approval_groups.n; i++)
		if (pstrv_has(&u->groups, r->approval_groups.v[i]))
			return 1;
	if (r->escalate_after == 0 || age < r->escalate_after)
		return 0;
	for (i = 0; i < r->escalate_groups.n; i++)
		if (pstrv_has(&u->groups, r->escalate_groups.v[i]))
			return 1;
	return 0;
}

int
jpolicy_can_approve(const struct jpolicy *p, const char *role,
    const char *user)
{
	return jpolicy_can_approve_at(p, role, user, 0);
}

size_t
jpolicy_nroles(const struct jpolicy *p)
{
	return p == NULL ? 0 : p->nroles;
}

const char *
jpolicy_role_name(const struct jpolicy *p, size_t i)
{
	return p == NULL || i >= p->nroles ? NULL : p->roles[i].name;
}

int
jpolicy_role_exists(const struct jpolicy *p, const char *role)
{
	return policy_find_role(p, role) != NULL;
}

int
jpolicy_role_info(const struct jpolicy *p, const char *role,
    struct jpolicy_role_info *info)
{
	const struct prole *r = policy_find_role(p, role);

	if (info == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	memset(info, 0, sizeof(*info));
	if (r == NULL)
		return JIT_ERR_NOT_FOUND;
	info->ttl = r->ttl;
	info->max_ttl = r->max_ttl;
	info->mfa_required = r->mfa_required;
	info->reason_required = r->reason_required;
	info->break_glass = r->break_glass;
	info->quorum = r->has_approval ? r->quorum : 0;
	info->nwindows = r->nwindows;
	info->nfrom = r->nfrom;
	if (r->has_approval) {
		info->pending_ttl = r->pending_ttl;
		info->remind_after = r->remind_after;
		info->escalate_after = r->escalate_after;
		info->auto_approval = r->autoapp.set;
	}
	return 0;
}

size_t
jpolicy_role_nprincipals(const struct jpolicy *p, const char *role)
{
	const struct prole *r = policy_find_role(p, role);

	return r == NULL ? 0 : r->principals.n;
}

const char *
jpolicy_role_principal(const struct jpolicy *p, const char *role, size_t i)
{
	const struct prole *r = policy_find_role(p, role);

	return r == NULL || i >= r->principals.n ? NULL : r->principals.v[i];
}

size_t
jpolicy_role_ngroups(const struct jpolicy *p, const char *role)
{
	const struct prole *r = policy_find_role(p, role);

	return r == NULL ? 0 : r->groups.n;
}

const char *
jpolicy_role_group(const struct jpolicy *p, const char *role, size_t i)
{
	const struct prole *r = policy_find_role(p, role);

	return r == NULL || i >= r->groups.n ? NULL : r->groups.v[i];
}

size_t
jpolicy_role_nescalate_groups(const struct jpolicy *p, const char *role)
{
	const struct prole *r = policy_find_role(p, role);

	return r == NULL ? 0 : r->escalate_groups.n;
}

const char *
jpolicy_role_escalate_group(const struct jpolicy *p, const char *role,
    size_t i)
{
	const struct prole *r = policy_find_role(p, role);

	return r == NULL || i >= r->escalate_groups.n ? NULL :
	    r->escalate_groups.v[i];
}

const char *
jpolicy_role_window(const struct jpolicy *p, const char *role, size_t i)
{
	const struct prole *r = policy_find_role(p, role);

	return r == NULL || i >= r->nwindows ? NULL : r->windows[i].text;
}

const char *
jpolicy_role_from(const struct jpolicy *p, const char *role)
{
	const struct prole *r = policy_find_role(p, role);

	return r == NULL ? NULL : r->from_text;
}

int
jpolicy_user_may_request(const struct jpolicy *p, const char *user,
    const char *role)
{
	const struct puser *u = policy_find_user(p, user);
	const struct prole *r = policy_find_role(p, role);
	size_t i;

	if (u == NULL || r == NULL)
		return 0;
	for (i = 0; i < r->groups.n; i++)
		if (pstrv_has(&u->groups, r->groups.v[i]))
			return 1;
	return 0;
}
