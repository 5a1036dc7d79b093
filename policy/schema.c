/*
 * schema.c: the policy loader: the top level, defaults, notify, and the checks every part of the schema uses (each problem is recorded with its position and loading goes on).
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

int
schema_err(struct ctx *c, const struct jyaml_node *n, const char *fmt, ...)
{
	char msg[JPOLICY_ERR_MAX], *all;
	va_list ap;
	int k;

	/* Every problem, one "file:line:column: message" line each. */
	if (c->errp != NULL && c->nerr < ERRORS_MAX) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		k = asprintf(&all, "%s%s%s:%u:%u: %s", *c->errp != NULL ?
		    *c->errp : "", *c->errp != NULL ? "\n" : "", c->name,
		    n != NULL ? n->line : 1, n != NULL ? n->col : 1, msg);
		if (k != -1) {
			free(*c->errp);
			*c->errp = all;
		}
	}
	c->nerr++;
	return JIT_ERR_POLICY;
}

/*
 * After a part failed: a policy problem is on record and loading goes on
 * with the next part (0); anything else (memory) stops it.
 */
int
schema_keep_going(int r)
{
	return r == JIT_ERR_POLICY ? 0 : r;
}

void
pstrv_free(struct pstrv *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

int
pstrv_add(struct pstrv *v, const char *s)
{
	char **n, *d;

	if ((d = strdup(s)) == NULL)
		return JIT_ERR_ALLOC;
	if ((n = realloc(v->v, (v->n + 1) * sizeof(*n))) == NULL) {
		free(d);
		return JIT_ERR_ALLOC;
	}
	v->v = n;
	v->v[v->n++] = d;
	return 0;
}

int
policy_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
pstrv_has(const struct pstrv *v, const char *s)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->v[i], s) == 0)
			return 1;
	return 0;
}

static int
cmp_node_value(const void *a, const void *b)
{
	const struct jyaml_node *x = *(const struct jyaml_node *const *)a;
	const struct jyaml_node *y = *(const struct jyaml_node *const *)b;
	int d = strcmp(x->value, y->value);

	if (d != 0)
		return d;
	/* Equal keys: keep file order, so the later one is reported. */
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

static const char *
type_word(enum jyaml_type t)
{
	return t == JYAML_MAP ? "a mapping" : t == JYAML_SEQ ? "a list" : "a value";
}

int
schema_want(struct ctx *c, const struct jyaml_node *n, enum jyaml_type t, const char *what)
{
	if (n->type != t)
		return schema_err(c, n, "%s must be %s, not %s", what, type_word(t),
		    type_word(n->type));
	return 0;
}

/*
 * A mapping's keys: scalars, no duplicates, each one of allowed (unless
 * allowed is NULL).
 */
int
schema_check_keys(struct ctx *c, const struct jyaml_node *map, const char *what,
    const char *const *allowed)
{
	const struct jyaml_node **keys = NULL;
	size_t i, j, nk = map->n / 2;
	int r = 0;

	for (i = 0; i < nk; i++) {
		const struct jyaml_node *k = map->items[2 * i];

		if (k->type != JYAML_SCALAR)
			return schema_err(c, k, "%s: keys must be plain names", what);
		if (allowed == NULL)
			continue;
		for (j = 0; allowed[j] != NULL; j++)
			if (strcmp(allowed[j], k->value) == 0)
				break;
		if (allowed[j] == NULL)
			return schema_err(c, k, "%s: unknown key '%s'", what, k->value);
	}
	if (nk < 2)
		return 0;
	if ((keys = calloc(nk, sizeof(*keys))) == NULL)
		return JIT_ERR_ALLOC;
	for (i = 0; i < nk; i++)
		keys[i] = map->items[2 * i];
	qsort(keys, nk, sizeof(*keys), cmp_node_value);
	for (i = 1; i < nk; i++) {
		if (strcmp(keys[i - 1]->value, keys[i]->value) == 0) {
			r = schema_err(c, keys[i], "%s: duplicate key '%s'", what,
			    keys[i]->value);
			break;
		}
	}
	free(keys);
	return r;
}

/* The value node for key in map, or NULL. */
/* Users, groups and roles: [A-Za-z0-9._@-], 1..64, not starting with '-'. */
int
policy_name_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > NAME_MAX_LEN || s[0] == '-' || s[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		    ch == '-' || ch == '@'))
			return 0;
	}
	return 1;
}

int
schema_get_name(struct ctx *c, const struct jyaml_node *n, const char *what)
{
	int r;

	if ((r = schema_want(c, n, JYAML_SCALAR, what)) != 0)
		return r;
	if (!policy_name_ok(n->value))
		return schema_err(c, n, "%s '%s' is not a valid name (letters, digits, "
		    "'.', '_', '-', '@'; at most %d)", what, n->value,
		    NAME_MAX_LEN);
	return 0;
}

int
schema_get_bool(struct ctx *c, const struct jyaml_node *n, const char *what, int *out)
{
	int r;

	if ((r = schema_want(c, n, JYAML_SCALAR, what)) != 0)
		return r;
	if (n->plain && strcmp(n->value, "true") == 0)
		*out = 1;
	else if (n->plain && strcmp(n->value, "false") == 0)
		*out = 0;
	else
		return schema_err(c, n, "%s must be true or false, not '%s'", what,
		    n->value);
	return 0;
}

/* "required" or "optional". */
int
schema_get_required(struct ctx *c, const struct jyaml_node *n, const char *what, int *out)
{
	int r;

	if ((r = schema_want(c, n, JYAML_SCALAR, what)) != 0)
		return r;
	if (strcmp(n->value, "required") == 0)
		*out = 1;
	else if (strcmp(n->value, "optional") == 0)
		*out = 0;
	else
		return schema_err(c, n, "%s must be 'required' or 'optional', not '%s'",
		    what, n->value);
	return 0;
}

/* A list of scalars; each is passed to check (may be NULL) then kept. */
int
schema_get_list(struct ctx *c, const struct jyaml_node *n, const char *what,
    int (*check)(struct ctx *, const struct jyaml_node *, const char *),
    struct pstrv *out)
{
	size_t i;
	int r;

	if ((r = schema_want(c, n, JYAML_SEQ, what)) != 0)
		return r;
	if (n->n > LIST_MAX)
		return schema_err(c, n, "%s: too many entries (limit %d)", what,
		    LIST_MAX);
	for (i = 0; i < n->n; i++) {
		const struct jyaml_node *it = n->items[i];

		if ((r = schema_want(c, it, JYAML_SCALAR, what)) != 0)
			return r;
		if (check != NULL && (r = check(c, it, what)) != 0)
			return r;
		if (pstrv_has(out, it->value))
			return schema_err(c, it, "%s: '%s' is listed twice", what,
			    it->value);
		if ((r = pstrv_add(out, it->value)) != 0)
			return r;
	}
	return 0;
}

int
schema_check_known_group(struct ctx *c, const struct jyaml_node *n, const char *what)
{
	if (c->groups.n == 0 || bsearch(&n->value, c->groups.v, c->groups.n,
	    sizeof(char *), policy_cmp_str) == NULL)
		return schema_err(c, n, "%s: unknown group '%s' (no user is in it)",
		    what, n->value);
	return 0;
}

int
schema_check_user_group(struct ctx *c, const struct jyaml_node *n, const char *what)
{
	return schema_get_name(c, n, what);
}

int
schema_get_key_types(struct ctx *c, const struct jyaml_node *n, const char *what,
    unsigned *out)
{
	size_t i;
	unsigned bit;
	int r;

	if ((r = schema_want(c, n, JYAML_SEQ, what)) != 0)
		return r;
	if (n->n == 0)
		return schema_err(c, n, "%s must not be empty", what);
	*out = 0;
	for (i = 0; i < n->n; i++) {
		const struct jyaml_node *it = n->items[i];

		if ((r = schema_want(c, it, JYAML_SCALAR, what)) != 0)
			return r;
		if (strcmp(it->value, "ed25519") == 0)
			bit = KT_ED25519;
		else if (strcmp(it->value, "ecdsa") == 0)
			bit = KT_ECDSA;
		else if (strcmp(it->value, "rsa") == 0)
			bit = KT_RSA;
		else
			return schema_err(c, it, "%s: unknown key type '%s' (ed25519, "
			    "ecdsa or rsa)", what, it->value);
		if (*out & bit)
			return schema_err(c, it, "%s: '%s' is listed twice", what,
			    it->value);
		*out |= bit;
	}
	return 0;
}

static int
load_defaults(struct ctx *c, const struct jyaml_node *n)
{
	static const char *const keys[] = { "ttl", "max_ttl", "clock_skew",
	    "mfa_grace", "key_types", "mfa", "pending_ttl", "max_live_certs",
	    NULL };
	struct jpolicy *p = c->p;
	const struct jyaml_node *v;
	unsigned long ml;
	char *end;
	int r;

	if ((r = schema_want(c, n, JYAML_MAP, "defaults")) != 0 ||
	    (r = schema_check_keys(c, n, "defaults", keys)) != 0)
		return r;
	if ((v = jyaml_get(n, "ttl")) != NULL &&
	    (r = schema_get_duration(c, v, "defaults.ttl", &p->ttl)) != 0)
		return r;
	if ((v = jyaml_get(n, "max_ttl")) != NULL &&
	    (r = schema_get_duration(c, v, "defaults.max_ttl", &p->max_ttl)) != 0)
		return r;
	if ((v = jyaml_get(n, "pending_ttl")) != NULL &&
	    (r = schema_get_duration(c, v, "defaults.pending_ttl",
	    &p->pending_ttl)) != 0)
		return r;
	/* Zero is meaningful for these two: no skew, no grace. */
	if ((v = jyaml_get(n, "clock_skew")) != NULL) {
		if ((r = schema_want(c, v, JYAML_SCALAR, "defaults.clock_skew")) != 0)
			return r;
		if (strcmp(v->value, "0s") == 0 || strcmp(v->value, "0") == 0)
			p->clock_skew = 0;
		else if ((r = schema_get_duration(c, v, "defaults.clock_skew",
		    &p->clock_skew)) != 0)
			return r;
		if (p->clock_skew > 3600)
			return schema_err(c, v, "defaults.clock_skew is at most 1h");
	}
	if ((v = jyaml_get(n, "mfa_grace")) != NULL) {
		if ((r = schema_want(c, v, JYAML_SCALAR, "defaults.mfa_grace")) != 0)
			return r;
		if (strcmp(v->value, "0s") == 0 || strcmp(v->value, "0") == 0)
			p->mfa_grace = 0;
		else if ((r = schema_get_duration(c, v, "defaults.mfa_grace",
		    &p->mfa_grace)) != 0)
			return r;
	}
	if ((v = jyaml_get(n, "key_types")) != NULL &&
	    (r = schema_get_key_types(c, v, "defaults.key_types", &p->key_types)) != 0)
		return r;
	if ((v = jyaml_get(n, "mfa")) != NULL &&
	    (r = schema_get_required(c, v, "defaults.mfa", &p->mfa_required)) != 0)
		return r;
	if ((v = jyaml_get(n, "max_live_certs")) != NULL) {
		if ((r = schema_want(c, v, JYAML_SCALAR, "defaults.max_live_certs")) != 0)
			return r;
		ml = strtoul(v->value, &end, 10);
		if (!v->plain || *end != '\0' || v->value[0] < '1' ||
		    v->value[0] > '9' || ml > LIVE_CERTS_MAX)
			return schema_err(c, v, "defaults.max_live_certs must be a whole "
			    "number from 1 to %d, not '%s'", LIVE_CERTS_MAX,
			    v->value);
		p->max_live_certs = (unsigned)ml;
	}
	if (p->ttl > p->max_ttl)
		return schema_err(c, jyaml_get(n, "ttl") != NULL ? jyaml_get(n, "ttl") : n,
		    "defaults.ttl is longer than defaults.max_ttl");
	return 0;
}

static int
load_notify(struct ctx *c, const struct jyaml_node *n)
{
	static const char *const keys[] = { "command", NULL };
	const struct jyaml_node *v;
	struct pstrv argv = { NULL, 0 };
	size_t i;
	int r;

	if ((r = schema_want(c, n, JYAML_MAP, "notify")) != 0 ||
	    (r = schema_check_keys(c, n, "notify", keys)) != 0)
		return r;
	if ((v = jyaml_get(n, "command")) == NULL)
		return schema_err(c, n, "notify needs a command");
	if (v->type == JYAML_SCALAR)
		r = pstrv_add(&argv, v->value);
	else
		r = schema_get_list(c, v, "notify.command", NULL, &argv);
	if (r != 0)
		goto out;
	if (argv.n == 0 || argv.v[0][0] != '/') {
		r = schema_err(c, v, "notify.command must start with an absolute "
		    "path (it is run without a shell)");
		goto out;
	}
	if ((c->p->notify_argv = calloc(argv.n + 1, sizeof(char *))) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < argv.n; i++) {
		c->p->notify_argv[i] = argv.v[i];
		argv.v[i] = NULL;
	}
	r = 0;
 out:
	for (i = 0; i < argv.n; i++)
		free(argv.v[i]);
	free(argv.v);
	return r;
}

void
schema_role_free(struct prole *r)
{
	size_t i;

	free(r->name);
	pstrv_free(&r->groups);
	pstrv_free(&r->principals);
	free(r->source_address);
	free(r->force_command);
	pstrv_free(&r->extensions);
	pstrv_free(&r->approval_groups);
	pstrv_free(&r->escalate_groups);
	for (i = 0; i < r->nwindows; i++)
		free(r->windows[i].text);
	free(r->windows);
	free(r->from);
	free(r->from_text);
	for (i = 0; i < r->autoapp.nwindows; i++)
		free(r->autoapp.windows[i].text);
	free(r->autoapp.windows);
	free(r->autoapp.from);
	free(r->autoapp.from_text);
	pstrv_free(&r->autoapp.groups);
	if (r->autoapp.has_reason_re)
		regfree(&r->autoapp.reason_re);
	free(r->autoapp.reason_text);
}

struct jpolicy *
jpolicy_ref(struct jpolicy *p)
{
	if (p != NULL)
		atomic_fetch_add(&p->refs, 1);
	return p;
}

void
jpolicy_free(struct jpolicy *p)
{
	size_t i, j;

	if (p == NULL || atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	if (p->base != NULL) {	/* a view: only its own user is its own */
		free(p->overlay->name);
		pstrv_free(&p->overlay->groups);
		free(p->overlay);
		jpolicy_free(p->base);
		free(p);
		return;
	}
	for (i = 0; i < p->nusers; i++) {
		free(p->users[i].name);
		for (j = 0; j < p->users[i].nkeys; j++)
			jkey_free(p->users[i].keys[j]);
		free(p->users[i].keys);
		pstrv_free(&p->users[i].groups);
	}
	free(p->users);
	for (i = 0; i < p->nroles; i++)
		schema_role_free(&p->roles[i]);
	free(p->roles);
	pstrv_free(&p->auditors);
	policy_review_free(&p->review);
	policy_sso_free(&p->sso);
	if (p->notify_argv != NULL) {
		for (i = 0; p->notify_argv[i] != NULL; i++)
			free(p->notify_argv[i]);
		free(p->notify_argv);
	}
	free(p);
}

int
jpolicy_load(const char *name, const unsigned char *yaml, size_t len,
    struct jpolicy **pp, char **errp)
{
	static const char *const keys[] = { "defaults", "users", "roles",
	    "auditors", "notify", "review", "sso", NULL };
	struct ctx c;
	struct jyaml_node *root = NULL;
	const struct jyaml_node *v;
	size_t i;
	int r;

	if (pp == NULL || (yaml == NULL && len != 0))
		return JIT_ERR_INVALID_ARGUMENT;
	*pp = NULL;
	if (errp != NULL)
		*errp = NULL;
	memset(&c, 0, sizeof(c));
	c.name = name != NULL ? name : "policy";
	c.errp = errp;
	if (len > JPOLICY_FILE_MAX)
		return schema_err(&c, NULL, "policy is larger than %u bytes",
		    JPOLICY_FILE_MAX);
	if ((c.p = calloc(1, sizeof(*c.p))) != NULL)
		atomic_init(&c.p->refs, 1);
	if (c.p == NULL)
		return JIT_ERR_ALLOC;
	c.p->ttl = 5 * 60;
	c.p->max_ttl = 30 * 60;
	c.p->clock_skew = 30;
	c.p->mfa_grace = 0;
	c.p->max_live_certs = LIVE_CERTS_DEFAULT;
	c.p->pending_ttl = 15 * 60;
	c.p->key_types = KT_ALL;
	c.p->mfa_required = 1;
	policy_review_defaults(&c.p->review);
	if ((r = jyaml_parse(c.name, yaml, len, &root, errp)) != 0) {
		if (r == JIT_ERR_INVALID_FORMAT)
			r = JIT_ERR_POLICY;	/* errp says where */
		goto out;
	}
	if ((r = schema_want(&c, root, JYAML_MAP, "the policy")) != 0 ||
	    ((r = schema_check_keys(&c, root, "policy", keys)) != 0 &&
	    (r = schema_keep_going(r)) != 0))
		goto out;
	/* Every section is checked, whatever the others hold. */
	if ((v = jyaml_get(root, "defaults")) != NULL &&
	    (r = load_defaults(&c, v)) != 0 && (r = schema_keep_going(r)) != 0)
		goto out;
	if ((v = jyaml_get(root, "users")) == NULL)
		(void)schema_err(&c, root, "the policy needs a 'users' mapping");
	else if ((r = schema_load_users(&c, v)) != 0 && (r = schema_keep_going(r)) != 0)
		goto out;
	/* Before roles: the groups the identity provider brings are known. */
	if ((v = jyaml_get(root, "sso")) != NULL && (r = schema_load_sso(&c,
	    v)) != 0 && (r = schema_keep_going(r)) != 0)
		goto out;
	for (i = 0; i < c.p->nusers; i++)
		if (c.p->users[i].sso && !c.p->sso.set)
			(void)schema_err(&c, NULL, "user '%s' has sso: true but "
			    "the policy has no sso section", c.p->users[i].name);
	if ((v = jyaml_get(root, "roles")) == NULL)
		(void)schema_err(&c, root, "the policy needs a 'roles' mapping");
	else if ((r = schema_load_roles(&c, v)) != 0 && (r = schema_keep_going(r)) != 0)
		goto out;
	if ((v = jyaml_get(root, "auditors")) != NULL &&
	    (r = schema_get_list(&c, v, "auditors", schema_check_known_group,
	    &c.p->auditors)) != 0 && (r = schema_keep_going(r)) != 0)
		goto out;
	if ((v = jyaml_get(root, "notify")) != NULL && (r = load_notify(&c, v)) !=
	    0 && (r = schema_keep_going(r)) != 0)
		goto out;
	if ((v = jyaml_get(root, "review")) != NULL && (r = schema_load_review(&c,
	    v)) != 0 && (r = schema_keep_going(r)) != 0)
		goto out;
	if ((r = policy_review_finish(&c.p->review)) != 0)
		goto out;
	if (c.nerr > 0) {
		r = JIT_ERR_POLICY;
		goto out;
	}
	*pp = c.p;
	c.p = NULL;
	r = 0;
 out:
	jyaml_free(root);
	pstrv_free(&c.groups);
	jpolicy_free(c.p);
	return r;
}

int
jpolicy_load_file(const char *path, struct jpolicy **pp, char **errp)
{
	struct jbuf *b = NULL;
	int r;

	if (pp == NULL || path == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*pp = NULL;
	if (errp != NULL)
		*errp = NULL;
	if ((r = jit_file_read(path, JPOLICY_FILE_MAX, 0, &b)) != 0) {
		if (errp != NULL && asprintf(errp, "%s: %s", path,
		    jit_strerror(r)) == -1)
			*errp = NULL;
		return r;
	}
	r = jpolicy_load(path, jbuf_ptr(b), jbuf_len(b), pp, errp);
	jbuf_free(b);
	return r;
}
