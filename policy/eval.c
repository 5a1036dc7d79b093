/*
 * eval.c: a request + the policy -> a decision.  A pure function: no clock,
 * no I/O, no globals; the same inputs always give the same decision.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "jit-err.h"
#include "policy-impl.h"

#define PRINCIPAL_OUT_MAX	512

struct jpolicy_decision {
	enum jpolicy_verdict verdict;
	char *reason;		/* every reason, joined with "; " */
	char **reasons;		/* each condition that fails */
	size_t nreasons;
	unsigned denials;	/* JPOLICY_DENY_* of each */
	char **principals;
	size_t nprincipals;
	uint64_t ttl, valid_after, valid_before, pending_ttl, pickup_ttl;
	int ttl_capped, break_glass, auto_approved;
	const char *auto_refusal;	/* which approval.auto condition failed */
	char *force_command_copy;
	char *source_address;
	char **extensions;
	size_t nextensions;
	char **approver_groups;
	size_t napprover_groups;
	unsigned quorum;
};

unsigned
policy_key_type_bit(enum jkey_type t)
{
	switch (t) {
	case JKEY_ED25519:
		return KT_ED25519;
	case JKEY_ECDSA_P256:
	case JKEY_ECDSA_P384:
	case JKEY_ECDSA_P521:
		return KT_ECDSA;
	case JKEY_RSA:
		return KT_RSA;
	default:
		return 0;
	}
}

void
jpolicy_decision_free(struct jpolicy_decision *d)
{
	size_t i;

	if (d == NULL)
		return;
	free(d->reason);
	for (i = 0; i < d->nreasons; i++)
		free(d->reasons[i]);
	free(d->reasons);
	for (i = 0; i < d->nprincipals; i++)
		free(d->principals[i]);
	free(d->principals);
	free(d->force_command_copy);
	free(d->source_address);
	for (i = 0; i < d->nextensions; i++)
		free(d->extensions[i]);
	free(d->extensions);
	for (i = 0; i < d->napprover_groups; i++)
		free(d->approver_groups[i]);
	free(d->approver_groups);
	free(d);
}

static int
deny(struct jpolicy_decision *d, unsigned code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Records one failing condition: the decision is a denial, and it names
 * every condition that fails (policy explain lists them all).
 */
static int
deny(struct jpolicy_decision *d, unsigned code, const char *fmt, ...)
{
	char **nr, *msg, *joined;
	va_list ap;
	int n;

	d->verdict = JPOLICY_DENY;
	d->denials |= code;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n == -1)
		return JIT_ERR_ALLOC;
	if ((nr = realloc(d->reasons, (d->nreasons + 1) * sizeof(*nr))) ==
	    NULL) {
		free(msg);
		return JIT_ERR_ALLOC;
	}
	d->reasons = nr;
	d->reasons[d->nreasons++] = msg;
	if (asprintf(&joined, "%s%s%s", d->reason != NULL ? d->reason : "",
	    d->reason != NULL ? "; " : "", msg) == -1)
		return JIT_ERR_ALLOC;
	free(d->reason);
	d->reason = joined;
	return 0;
}

/* "a, b, c" of a string list, into buf. */
static const char *
join(char *const *v, size_t n, char *buf, size_t len)
{
	size_t i, off = 0;
	int w;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++) {
		w = snprintf(buf + off, len - off, "%s%s", i ? ", " : "", v[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}

static const char *
key_types_text(unsigned kt, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s",
	    kt & KT_ED25519 ? "ed25519" : "",
	    (kt & KT_ED25519) && (kt & (KT_ECDSA | KT_RSA)) ? ", " : "",
	    kt & KT_ECDSA ? "ecdsa" : "",
	    (kt & KT_ECDSA) && (kt & KT_RSA) ? ", " : "",
	    kt & KT_RSA ? "rsa" : "");
	return buf;
}

static char **
copy_strv(char *const *v, size_t n)
{
	char **out;
	size_t i;

	if ((out = calloc(n + 1, sizeof(*out))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((out[i] = strdup(v[i])) == NULL) {
			while (i-- > 0)
				free(out[i]);
			free(out);
			return NULL;
		}
	}
	return out;
}

/* Replaces each "{user}" in tmpl by user. */
char *
jpolicy_expand_principal(const char *tmpl, const char *user)
{
	char buf[PRINCIPAL_OUT_MAX];
	const char *p = tmpl, *b;
	size_t off = 0, ulen = strlen(user), chunk;

	while ((b = strstr(p, "{user}")) != NULL) {
		chunk = (size_t)(b - p);
		if (off + chunk + ulen >= sizeof(buf))
			return NULL;
		memcpy(buf + off, p, chunk);
		memcpy(buf + off + chunk, user, ulen);
		off += chunk + ulen;
		p = b + 6;
	}
	chunk = strlen(p);
	if (off + chunk >= sizeof(buf))
		return NULL;
	memcpy(buf + off, p, chunk + 1);
	return strdup(buf);
}

/*
 * NULL when every condition approval.auto gives holds for this request,
 * else the first that does not, in words (static).
 */
static const char *
auto_refusal(const struct pauto *a, const struct puser *u,
    const struct jpolicy_request *req, const struct pcidr *addr,
    int have_addr)
{
	uint64_t end;
	size_t i;

	if (!a->set)
		return "the role has no approval.auto";
	if (a->nwindows > 0 &&
	    !policy_in_window(a->windows, a->nwindows, req->now, &end))
		return "approval.auto.windows: not now";
	if (a->nfrom > 0) {
		for (i = 0; have_addr && i < a->nfrom; i++)
			if (policy_cidr_contains(&a->from[i], addr))
				break;
		if (!have_addr)
			return "approval.auto.from: no client address given";
		if (i == a->nfrom)
			return "approval.auto.from: the address is outside it";
	}
	if (a->groups.n > 0) {
		for (i = 0; i < a->groups.n; i++)
			if (pstrv_has(&u->groups, a->groups.v[i]))
				break;
		if (i == a->groups.n)
			return "approval.auto.groups: the requester is in none";
	}
	if (a->has_reason_re && req->reason == NULL)
		return "approval.auto.reason_match: no reason given";
	if (a->has_reason_re &&
	    regexec(&a->reason_re, req->reason, 0, NULL, 0) != 0)
		return "approval.auto.reason_match: the reason does not match";
	return NULL;
}

int
jpolicy_evaluate(const struct jpolicy *p, const struct jpolicy_request *req,
    struct jpolicy_decision **dp)
{
	struct jpolicy_decision *d = NULL;
	const struct puser *u;
	const struct prole *role;
	struct pcidr addr;
	char buf[512], buf2[128];
	uint64_t ttl, wend = 0;
	size_t i, j;
	int r = JIT_ERR_INTERNAL, have_addr;

	if (dp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*dp = NULL;
	if (p == NULL || req == NULL || req->user == NULL || req->role == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return JIT_ERR_ALLOC;
	have_addr = req->address != NULL &&
	    policy_parse_cidr(req->address, &addr) == 0 &&
	    addr.bits == (addr.family == AF_INET ? 32u : 128u);

	if ((u = policy_find_user(p, req->user)) == NULL) {
		r = deny(d, JPOLICY_DENY_USER, "unknown user '%s'", req->user);
		goto done;
	}
	if ((role = policy_find_role(p, req->role)) == NULL) {
		/* Say what there is: the roles this user may request. */
		for (i = 0, buf[0] = '\0'; i < p->nroles; i++)
			for (j = 0; j < p->roles[i].groups.n; j++)
				if (pstrv_has(&u->groups,
				    p->roles[i].groups.v[j])) {
					strncat(buf, buf[0] != '\0' ? ", " : "",
					    sizeof(buf) - strlen(buf) - 1);
					strncat(buf, p->roles[i].name,
					    sizeof(buf) - strlen(buf) - 1);
					break;
				}
		r = deny(d, JPOLICY_DENY_ROLE, "there is no role '%s' (%s may request: %s)",
		    req->role, u->name, buf[0] != '\0' ? buf : "none");
		goto done;
	}
	/* Every condition is checked: a denial names all that fail. */
	for (i = 0; i < role->groups.n; i++)
		if (pstrv_has(&u->groups, role->groups.v[i]))
			break;
	if (i == role->groups.n && (r = deny(d, JPOLICY_DENY_GROUP, "%s is not in a group that "
	    "may request role %s (%s)", u->name, role->name,
	    join(role->groups.v, role->groups.n, buf, sizeof(buf)))) != 0)
		goto done;
	if ((policy_key_type_bit(req->key_type) & role->key_types) == 0 &&
	    (r = deny(d, JPOLICY_DENY_KEY_TYPE, "role %s does not accept %s keys (allowed: %s)",
	    role->name, jkey_family(req->key_type) != NULL ?
	    jkey_family(req->key_type) : "unknown",
	    key_types_text(role->key_types, buf2, sizeof(buf2)))) != 0)
		goto done;
	if (role->nfrom > 0) {
		for (i = 0; have_addr && i < role->nfrom; i++)
			if (policy_cidr_contains(&role->from[i], &addr))
				break;
		if ((!have_addr || i == role->nfrom) && (r = deny(d, JPOLICY_DENY_FROM, "role %s "
		    "can only be requested from %s; this request comes from %s",
		    role->name, role->from_text, req->address != NULL ?
		    req->address : "an unknown address")) != 0)
			goto done;
	}
	if (role->nwindows > 0 && !policy_in_window(role->windows,
	    role->nwindows, req->now, &wend)) {
		for (i = 0, buf[0] = '\0'; i < role->nwindows; i++) {
			strncat(buf, i ? ", " : "", sizeof(buf) - strlen(buf) - 1);
			strncat(buf, role->windows[i].text,
			    sizeof(buf) - strlen(buf) - 1);
		}
		if ((r = deny(d, JPOLICY_DENY_WINDOW, "role %s can only be requested during %s",
		    role->name, buf)) != 0)
			goto done;
	}
	if (role->mfa_required && !req->mfa_done && (r = deny(d, JPOLICY_DENY_MFA, "role %s "
	    "requires MFA: this session has not completed a verification "
	    "code", role->name)) != 0)
		goto done;
	if (role->reason_required && (req->reason == NULL ||
	    req->reason[0] == '\0') && (r = deny(d, JPOLICY_DENY_REASON, "role %s requires a "
	    "reason (--reason TEXT)", role->name)) != 0)
		goto done;
	if (role->source_requester && !have_addr && (r = deny(d, JPOLICY_DENY_ADDRESS, "role %s "
	    "binds the certificate to the requester's address, which is "
	    "unknown", role->name)) != 0)
		goto done;
	if (d->nreasons > 0) {
		r = 0;		/* denied, with every reason */
		goto done;
	}

	ttl = req->ttl == 0 ? role->ttl : req->ttl;
	if (ttl > role->max_ttl) {
		ttl = role->max_ttl;
		d->ttl_capped = 1;
	}
	if (wend != 0 && req->now + ttl > wend) {
		ttl = wend - req->now;
		d->ttl_capped = 1;
	}
	d->ttl = ttl;
	d->valid_after = req->now > p->clock_skew ? req->now - p->clock_skew : 0;
	d->valid_before = req->now + ttl;

	if ((d->principals = calloc(role->principals.n, sizeof(char *))) == NULL)
		goto oom;
	for (i = 0; i < role->principals.n; i++) {
		char *x = jpolicy_expand_principal(role->principals.v[i], u->name);

		if (x == NULL)
			goto oom;
		/* "{user}" and "alice" may expand to the same principal. */
		for (j = 0; j < d->nprincipals; j++)
			if (strcmp(d->principals[j], x) == 0)
				break;
		if (j < d->nprincipals) {
			free(x);
			continue;
		}
		d->principals[d->nprincipals++] = x;
	}
	if (role->force_command != NULL &&
	    (d->force_command_copy = strdup(role->force_command)) == NULL)
		goto oom;
	if (role->source_requester) {
		if (asprintf(&d->source_address, "%s/%u", req->address,
		    addr.bits) == -1) {
			d->source_address = NULL;
			goto oom;
		}
	} else if (role->source_address != NULL &&
	    (d->source_address = strdup(role->source_address)) == NULL)
		goto oom;
	if (role->extensions.n > 0) {
		if ((d->extensions = copy_strv(role->extensions.v,
		    role->extensions.n)) == NULL)
			goto oom;
		d->nextensions = role->extensions.n;
	}
	d->break_glass = role->break_glass;
	if (role->has_approval) {
		if ((d->approver_groups = copy_strv(role->approval_groups.v,
		    role->approval_groups.n)) == NULL)
			goto oom;
		d->napprover_groups = role->approval_groups.n;
		d->quorum = role->quorum;
		d->pending_ttl = role->pending_ttl;
		d->pickup_ttl = role->pickup_ttl;
		d->verdict = JPOLICY_NEEDS_APPROVAL;
		d->auto_refusal = auto_refusal(&role->autoapp, u, req, &addr,
		    have_addr);
		if (d->auto_refusal == NULL) {
			d->verdict = JPOLICY_ALLOW;
			d->auto_approved = 1;
		}
	} else
		d->verdict = JPOLICY_ALLOW;
	r = 0;
 done:
	if (r != 0)
		goto fail;
	*dp = d;
	return 0;
 oom:
	r = JIT_ERR_ALLOC;
 fail:
	jpolicy_decision_free(d);
	return r;
}

enum jpolicy_verdict
jpolicy_decision_verdict(const struct jpolicy_decision *d)
{
	return d == NULL ? JPOLICY_DENY : d->verdict;
}

const char *
jpolicy_decision_reason(const struct jpolicy_decision *d)
{
	return d == NULL ? NULL : d->reason;
}

size_t
jpolicy_decision_nprincipals(const struct jpolicy_decision *d)
{
	return d == NULL ? 0 : d->nprincipals;
}

const char *
jpolicy_decision_principal(const struct jpolicy_decision *d, size_t i)
{
	return d == NULL || i >= d->nprincipals ? NULL : d->principals[i];
}

uint64_t
jpolicy_decision_ttl(const struct jpolicy_decision *d)
{
	return d == NULL ? 0 : d->ttl;
}

int
jpolicy_decision_ttl_capped(const struct jpolicy_decision *d)
{
	return d != NULL && d->ttl_capped;
}

uint64_t
jpolicy_decision_valid_after(const struct jpolicy_decision *d)
{
	return d == NULL ? 0 : d->valid_after;
}

uint64_t
jpolicy_decision_valid_before(const struct jpolicy_decision *d)
{
	return d == NULL ? 0 : d->valid_before;
}

const char *
jpolicy_decision_force_command(const struct jpolicy_decision *d)
{
	return d == NULL ? NULL : d->force_command_copy;
}

const char *
jpolicy_decision_source_address(const struct jpolicy_decision *d)
{
	return d == NULL ? NULL : d->source_address;
}

size_t
jpolicy_decision_nextensions(const struct jpolicy_decision *d)
{
	return d == NULL ? 0 : d->nextensions;
}

const char *
jpolicy_decision_extension(const struct jpolicy_decision *d, size_t i)
{
	return d == NULL || i >= d->nextensions ? NULL : d->extensions[i];
}

int
jpolicy_decision_break_glass(const struct jpolicy_decision *d)
{
	return d != NULL && d->break_glass;
}

size_t
jpolicy_decision_napprover_groups(const struct jpolicy_decision *d)
{
	return d == NULL ? 0 : d->napprover_groups;
}

const char *
jpolicy_decision_approver_group(const struct jpolicy_decision *d, size_t i)
{
	return d == NULL || i >= d->napprover_groups ? NULL :
	    d->approver_groups[i];
}

unsigned
jpolicy_decision_quorum(const struct jpolicy_decision *d)
{
	return d == NULL ? 0 : d->quorum;
}

uint64_t
jpolicy_decision_pending_ttl(const struct jpolicy_decision *d)
{
	return d == NULL ? 0 : d->pending_ttl;
}

uint64_t
jpolicy_decision_pickup_ttl(const struct jpolicy_decision *d)
{
	return d == NULL ? 0 : d->pickup_ttl;
}

int
jpolicy_decision_auto_approved(const struct jpolicy_decision *d)
{
	return d != NULL && d->auto_approved;
}

const char *
jpolicy_decision_auto_refusal(const struct jpolicy_decision *d)
{
	return d != NULL && !d->auto_approved ? d->auto_refusal : NULL;
}

size_t
jpolicy_decision_nreasons(const struct jpolicy_decision *d)
{
	return d == NULL ? 0 : d->nreasons;
}

const char *
jpolicy_decision_reason_at(const struct jpolicy_decision *d, size_t i)
{
	return d == NULL || i >= d->nreasons ? NULL : d->reasons[i];
}

unsigned
jpolicy_decision_denials(const struct jpolicy_decision *d)
{
	return d == NULL ? 0 : d->denials;
}
