/*
 * roles.c: the roles, part by part.
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
#include "jit-config.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jpolicy.h"
#include "jyaml.h"
#include "policy-impl.h"
#include "schema.h"

/* Principals: no whitespace, commas or control characters; "{user}" only. */
static int
check_principal(struct ctx *c, const struct jyaml_node *n, const char *what)
{
	const char *s = n->value, *b;
	size_t i, users = 0, len = strlen(s);

	if (*s == '\0')
		return schema_err(c, n, "%s: a principal must not be empty", what);
	if (len > JCERT_NAME_MAX)
		return schema_err(c, n, "%s: principal is too long", what);
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= ' ' || ch == 0x7f || ch == ',')
			return schema_err(c, n, "%s: principal '%s' contains "
			    "whitespace, a comma or a control character", what, s);
	}
	for (b = strchr(s, '{'); b != NULL; b = strchr(b + 6, '{')) {
		if (strncmp(b, "{user}", 6) != 0)
			return schema_err(c, n, "%s: unknown placeholder in '%s' "
			    "(only {user} is defined)", what, s);
		users++;
	}
	/* Refused at load, not at issuance: the longest user name fits. */
	if (len - users * 6 + users * NAME_MAX_LEN > JCERT_NAME_MAX)
		return schema_err(c, n, "%s: principal '%s' can expand to %zu bytes "
		    "(user names have up to %d), more than the %d a "
		    "certificate holds", what, s,
		    len - users * 6 + users * NAME_MAX_LEN, NAME_MAX_LEN,
		    JCERT_NAME_MAX);
	/* A '}' outside "{user}". */
	for (b = strchr(s, '}'); b != NULL; b = strchr(b + 1, '}'))
		if (b - s < 5 || strncmp(b - 5, "{user}", 6) != 0)
			return schema_err(c, n, "%s: stray '}' in '%s'", what, s);
	return 0;
}

static int
check_extension(struct ctx *c, const struct jyaml_node *n, const char *what)
{
	static const char *const known[] = { "no-touch-required",
	    "permit-X11-forwarding", "permit-agent-forwarding",
	    "permit-port-forwarding", "permit-pty", "permit-user-rc", NULL };
	const char *s = n->value;
	size_t i;

	for (i = 0; known[i] != NULL; i++)
		if (strcmp(known[i], s) == 0)
			return 0;
	/* Vendor extensions are name@domain, as PROTOCOL.certkeys says. */
	if (strchr(s, '@') != NULL && s[0] != '@' && strspn(s,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	    ".-_@") == strlen(s))
		return 0;
	return schema_err(c, n, "%s: unknown extension '%s' (known: permit-pty, "
	    "permit-port-forwarding, permit-agent-forwarding, "
	    "permit-X11-forwarding, permit-user-rc, no-touch-required, or "
	    "name@domain)", what, s);
}

static int
cmp_role(const void *a, const void *b)
{
	return strcmp(((const struct prole *)a)->name,
	    ((const struct prole *)b)->name);
}

const struct prole *
policy_find_role(const struct jpolicy *p, const char *name)
{
	struct prole key;

	if (p == NULL || name == NULL || p->nroles == 0)
		return NULL;
	key.name = (char *)(uintptr_t)name;
	return bsearch(&key, p->roles, p->nroles, sizeof(key), cmp_role);
}

/*
 * The whole list, joined with commas as the audit log records it, must
 * fit one log field (JPOLICY_PRINCIPALS_TEXT_MAX) with the longest user
 * name: refused at load, never cut at issuance.
 */
static int
check_principals_total(struct ctx *c, const struct jyaml_node *n,
    const char *role, const struct pstrv *l)
{
	const char *b;
	size_t i, total = 0;

	for (i = 0; i < l->n; i++) {
		total += strlen(l->v[i]) + (i > 0);
		for (b = strstr(l->v[i], "{user}"); b != NULL;
		    b = strstr(b + 6, "{user}"))
			total += NAME_MAX_LEN - 6;
	}
	if (total > JPOLICY_PRINCIPALS_TEXT_MAX)
		return schema_err(c, n, "role '%s': the principals can add up to %zu "
		    "bytes, more than the %d the audit log records for a "
		    "certificate", role, total, JPOLICY_PRINCIPALS_TEXT_MAX);
	return 0;
}

/*
 * A role is loaded part by part; a part that fails is reported and the
 * next one is still checked, so `policy check` names every problem.
 */
static int
role_groups(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v;
	int r;

	if ((v = jyaml_get(n, "groups")) == NULL)
		return schema_err(c, kn, "role '%s' needs groups (who may request it)",
		    kn->value);
	if ((r = schema_get_list(c, v, "groups", schema_check_known_group,
	    &role->groups)) != 0)
		return r;
	if (role->groups.n == 0)
		return schema_err(c, v, "role '%s': groups must not be empty",
		    kn->value);
	return 0;
}

static int
role_principals(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v;
	int r;

	if ((v = jyaml_get(n, "principals")) == NULL)
		return schema_err(c, kn, "role '%s' needs principals", kn->value);
	if ((r = schema_get_list(c, v, "principals", check_principal,
	    &role->principals)) != 0)
		return r;
	if (role->principals.n == 0)
		return schema_err(c, v, "role '%s': principals must not be empty (an "
		    "empty list means any principal to sshd)", kn->value);
	if (role->principals.n > JCERT_PRINCIPALS_MAX)
		return schema_err(c, v, "role '%s': %zu principals, more than the %d "
		    "a certificate holds", kn->value, role->principals.n,
		    JCERT_PRINCIPALS_MAX);
	return check_principals_total(c, v, kn->value, &role->principals);
}

static int
role_ttls(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v, *ttl_node = NULL;
	int r;

	if ((v = jyaml_get(n, "max_ttl")) != NULL &&
	    (r = schema_get_duration(c, v, "max_ttl", &role->max_ttl)) != 0)
		return r;
	if ((v = jyaml_get(n, "ttl")) != NULL) {
		if ((r = schema_get_duration(c, v, "ttl", &role->ttl)) != 0)
			return r;
		ttl_node = v;
	}
	if (role->ttl > role->max_ttl) {
		if (ttl_node != NULL)
			return schema_err(c, ttl_node, "role '%s': ttl is longer than "
			    "max_ttl", kn->value);
		/* The default ttl is only a default: cap it to this role. */
		role->ttl = role->max_ttl;
	}
	return 0;
}

static int
role_mfa(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v;

	(void)kn;
	return (v = jyaml_get(n, "mfa")) != NULL ?
	    schema_get_required(c, v, "mfa", &role->mfa_required) : 0;
}

static int
role_reason(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v;

	(void)kn;
	return (v = jyaml_get(n, "reason")) != NULL ?
	    schema_get_required(c, v, "reason", &role->reason_required) : 0;
}

static int
role_source(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v;
	struct pcidr *tmp = NULL;
	size_t ntmp = 0;
	int r;

	(void)kn;
	if ((v = jyaml_get(n, "source_address")) == NULL)
		return 0;
	if (v->type == JYAML_SCALAR && strcmp(v->value, "requester") == 0) {
		role->source_requester = 1;
		return 0;
	}
	if (v->type == JYAML_SCALAR)
		return schema_err(c, v, "source_address must be 'requester' or a list "
		    "of CIDR networks, not '%s'", v->value);
	r = schema_get_cidrs(c, v, "source_address", &tmp, &ntmp,
	    &role->source_address);
	free(tmp);
	return r;
}

static int
role_force_command(struct ctx *c, const struct jyaml_node *kn,
    const struct jyaml_node *n, struct prole *role)
{
	const struct jyaml_node *v;
	size_t i;
	int r;

	(void)kn;
	if ((v = jyaml_get(n, "force_command")) == NULL)
		return 0;
	if ((r = schema_want(c, v, JYAML_SCALAR, "force_command")) != 0)
		return r;
	if (v->len == 0 || v->len > 4096)
		return schema_err(c, v, "force_command must not be empty");
	for (i = 0; i < v->len; i++)
		if ((unsigned char)v->value[i] < 0x20)
			return schema_err(c, v, "force_command contains a control "
			    "character");
	return (role->force_command = strdup(v->value)) == NULL ?
	    JIT_ERR_ALLOC : 0;
}

static int
role_extensions(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v;
	int r;

	(void)kn;
	if ((v = jyaml_get(n, "extensions")) == NULL)
		return 0;
	if ((r = schema_get_list(c, v, "extensions", check_extension,
	    &role->extensions)) != 0)
		return r;
	if (role->extensions.n > 0)
		qsort(role->extensions.v, role->extensions.n, sizeof(char *),
		    policy_cmp_str);
	return 0;
}

static int
role_key_types(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v;

	(void)kn;
	return (v = jyaml_get(n, "key_types")) != NULL ?
	    schema_get_key_types(c, v, "key_types", &role->key_types) : 0;
}

static int
role_approval(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v;
	int r;

	if ((v = jyaml_get(n, "break_glass")) != NULL &&
	    (r = schema_get_bool(c, v, "break_glass", &role->break_glass)) != 0)
		return r;
	if ((v = jyaml_get(n, "approval")) == NULL)
		return 0;
	if (role->break_glass)
		return schema_err(c, v, "role '%s': a break_glass role is issued "
		    "without approval; remove one of them", kn->value);
	return schema_load_approval(c, v, role);
}

static int
role_windows(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v;

	(void)kn;
	return (v = jyaml_get(n, "windows")) != NULL ? schema_get_windows(c, v, "windows",
	    &role->windows, &role->nwindows) : 0;
}

static int
role_from(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v;

	(void)kn;
	return (v = jyaml_get(n, "from")) != NULL ? schema_get_cidrs(c, v, "from",
	    &role->from, &role->nfrom, &role->from_text) : 0;
}

/*
 * record: required: the role's certificates force the recorder
 * (jit-ssh-host record), so a host not set up for recording refuses the
 * session rather than leave it unrecorded; forwarding and user rc would go
 * around the recorder, so a recorded role may not permit them.
 */
static int
role_record(struct ctx *c, const struct jyaml_node *kn,
    const struct jyaml_node *n, struct prole *role)
{
	static const char *const around[] = { "permit-port-forwarding",
	    "permit-agent-forwarding", "permit-X11-forwarding",
	    "permit-user-rc", NULL };
	const struct jyaml_node *v;
	size_t i, k;

	if ((v = jyaml_get(n, "record")) == NULL)
		return 0;
	if (v->type != JYAML_SCALAR || (strcmp(v->value, "required") != 0 &&
	    strcmp(v->value, "off") != 0))
		return schema_err(c, v, "role '%s': record is required or off",
		    kn->value);
	if (strcmp(v->value, "off") == 0)
		return 0;
	if (role->force_command != NULL)
		return schema_err(c, v, "role '%s': record: required forces the "
		    "recorder as the command; remove force_command", kn->value);
	for (i = 0; i < role->extensions.n; i++)
		for (k = 0; around[k] != NULL; k++)
			if (strcmp(role->extensions.v[i], around[k]) == 0)
				return schema_err(c, v, "role '%s': a recorded "
				    "role cannot have %s (it goes around the "
				    "recorder)", kn->value, around[k]);
	role->record = 1;
	return (role->force_command = strdup(JIT_HOST_RECORDER " record")) ==
	    NULL ? JIT_ERR_ALLOC : 0;
}

static int
load_role(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	static const char *const keys[] = { "groups", "principals", "ttl",
	    "max_ttl", "mfa", "reason", "source_address", "force_command",
	    "extensions", "key_types", "approval", "break_glass", "windows",
	    "from", "record", NULL };
	static int (*const parts[])(struct ctx *, const struct jyaml_node *,
	    const struct jyaml_node *, struct prole *) = { role_groups,
	    role_principals, role_ttls, role_mfa, role_reason, role_source,
	    role_force_command, role_extensions, role_key_types,
	    role_approval, role_windows, role_from, role_record };
	size_t i;
	int r;

	if ((r = schema_get_name(c, kn, "role name")) != 0 ||
	    (r = schema_want(c, n, JYAML_MAP, "a role")) != 0)
		return r;
	if ((role->name = strdup(kn->value)) == NULL)
		return JIT_ERR_ALLOC;
	role->ttl = c->p->ttl;
	role->max_ttl = c->p->max_ttl;
	role->mfa_required = c->p->mfa_required;
	role->key_types = c->p->key_types;
	if ((r = schema_check_keys(c, n, "role", keys)) != 0 &&
	    (r = schema_keep_going(r)) != 0)
		return r;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if ((r = parts[i](c, kn, n, role)) != 0 &&
		    (r = schema_keep_going(r)) != 0)
			return r;
	return 0;
}

int
schema_load_roles(struct ctx *c, const struct jyaml_node *n)
{
	struct jpolicy *p = c->p;
	size_t i;
	int r;

	if ((r = schema_want(c, n, JYAML_MAP, "roles")) != 0 ||
	    (r = schema_check_keys(c, n, "roles", NULL)) != 0)
		return r;
	if (n->n / 2 > 0 &&
	    (p->roles = calloc(n->n / 2, sizeof(*p->roles))) == NULL)
		return JIT_ERR_ALLOC;
	for (i = 0; i < n->n / 2; i++) {
		struct prole *role = &p->roles[p->nroles];

		r = load_role(c, n->items[2 * i], n->items[2 * i + 1], role);
		if (role->name != NULL)
			p->nroles++;
		if (r != 0 && (r = schema_keep_going(r)) != 0)
			return r;
	}
	if (p->nroles > 0)
		qsort(p->roles, p->nroles, sizeof(*p->roles), cmp_role);
	return 0;
}
