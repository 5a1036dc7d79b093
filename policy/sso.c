/*
 * sso.c: the policy's `sso:` section (sign-in with the company's identity
 * provider), users marked `sso: true`, the mapping of an ID token's
 * verified claims to a user name and groups, and the policy a signed-in
 * SSO user is judged by (the shared policy with that one user added).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "jit-err.h"
#include "jit-util.h"
#include "jpolicy.h"
#include "jyaml.h"
#include "policy-impl.h"
#include "schema.h"

#define SSO_GROUPS_MAX	256	/* groups one token may bring */
#define SSO_MAPS_MAX	256

static int
get_text(struct ctx *c, const struct jyaml_node *n, const char *what,
    char **out)
{
	int r;

	if ((r = schema_want(c, n, JYAML_SCALAR, what)) != 0)
		return r;
	if (n->len == 0 || strlen(n->value) != n->len || n->len > 1024)
		return schema_err(c, n, "%s must be a line of text", what);
	return (*out = strdup(n->value)) == NULL ? JIT_ERR_ALLOC : 0;
}

static int
load_maps(struct ctx *c, const struct jyaml_node *n, struct psso *s)
{
	static const char *const keys[] = { "claim", "value", "groups", NULL };
	const struct jyaml_node *v;
	size_t i;
	int r;

	if ((r = schema_want(c, n, JYAML_SEQ, "sso.claims_to_groups")) != 0)
		return r;
	if (n->n > SSO_MAPS_MAX)
		return schema_err(c, n, "sso.claims_to_groups: at most %d",
		    SSO_MAPS_MAX);
	if ((s->maps = calloc(n->n + 1, sizeof(*s->maps))) == NULL)
		return JIT_ERR_ALLOC;
	for (i = 0; i < n->n; i++) {
		const struct jyaml_node *e = n->items[i];
		struct pclaimmap *m = &s->maps[s->nmaps];

		if ((r = schema_want(c, e, JYAML_MAP, "a claims_to_groups entry")) !=
		    0 || (r = schema_check_keys(c, e, "sso.claims_to_groups",
		    keys)) != 0)
			return r;
		if ((v = jyaml_get(e, "claim")) == NULL ||
		    jyaml_get(e, "value") == NULL ||
		    jyaml_get(e, "groups") == NULL)
			return schema_err(c, e, "a claims_to_groups entry needs "
			    "claim, value and groups");
		s->nmaps++;
		if ((r = get_text(c, v, "sso.claims_to_groups.claim",
		    &m->claim)) != 0 ||
		    (r = get_text(c, jyaml_get(e, "value"),
		    "sso.claims_to_groups.value", &m->value)) != 0 ||
		    (r = schema_get_list(c, jyaml_get(e, "groups"),
		    "sso.claims_to_groups.groups", schema_check_user_group,
		    &m->groups)) != 0)
			return r;
	}
	return 0;
}

int
schema_load_sso(struct ctx *c, const struct jyaml_node *n)
{
	static const char *const keys[] = { "issuer", "client_id",
	    "client_secret_file", "ca_file", "scopes", "username_claim",
	    "groups_claim", "claims_to_groups", "mfa_amr", "groups",
	    "allowed_clock_skew", NULL };
	struct psso *s = &c->p->sso;
	const struct jyaml_node *v;
	struct pstrv scopes = { NULL, 0 };
	struct stat st;
	size_t i, len = 0;
	int r;

	if ((r = schema_want(c, n, JYAML_MAP, "sso")) != 0 ||
	    (r = schema_check_keys(c, n, "sso", keys)) != 0)
		return r;
	s->set = 1;
	s->skew = 60;
	if ((v = jyaml_get(n, "issuer")) == NULL)
		return schema_err(c, n, "sso needs an issuer (the identity "
		    "provider's URL)");
	if ((r = get_text(c, v, "sso.issuer", &s->issuer)) != 0)
		return r;
	if (!jit_url_https_or_loopback(s->issuer))
		return schema_err(c, v, "sso.issuer must be https:// (http:// "
		    "only on a loopback address)");
	if ((v = jyaml_get(n, "client_id")) == NULL)
		return schema_err(c, n, "sso needs a client_id");
	if ((r = get_text(c, v, "sso.client_id", &s->client_id)) != 0)
		return r;
	if ((v = jyaml_get(n, "client_secret_file")) != NULL) {
		if ((r = get_text(c, v, "sso.client_secret_file",
		    &s->client_secret_file)) != 0)
			return r;
		if (s->client_secret_file[0] != '/')
			return schema_err(c, v, "sso.client_secret_file must be an "
			    "absolute path");
		/* Like a private key: the CA refuses it readable by others. */
		if (stat(s->client_secret_file, &st) == 0 &&
		    (st.st_mode & 077) != 0)
			return schema_err(c, v, "sso.client_secret_file %s is "
			    "readable by others (chmod 600 it)",
			    s->client_secret_file);
	}
	if ((v = jyaml_get(n, "ca_file")) != NULL &&
	    (r = get_text(c, v, "sso.ca_file", &s->ca_file)) != 0)
		return r;
	if ((v = jyaml_get(n, "scopes")) != NULL) {
		if ((r = schema_get_list(c, v, "sso.scopes", NULL, &scopes)) != 0)
			goto out;
		for (i = 0; i < scopes.n; i++)
			len += strlen(scopes.v[i]) + 1;
		if ((s->scope = calloc(1, len + 8)) == NULL) {
			r = JIT_ERR_ALLOC;
			goto out;
		}
		for (i = 0; i < scopes.n; i++)
			snprintf(s->scope + strlen(s->scope), len + 8 -
			    strlen(s->scope), "%s%s", i > 0 ? " " : "",
			    scopes.v[i]);
		if (!pstrv_has(&scopes, "openid")) {
			r = schema_err(c, v, "sso.scopes must include openid");
			goto out;
		}
	} else if ((s->scope = strdup("openid profile")) == NULL)
		return JIT_ERR_ALLOC;
	if ((v = jyaml_get(n, "username_claim")) != NULL ?
	    (r = get_text(c, v, "sso.username_claim", &s->username_claim)) :
	    (s->username_claim = strdup("preferred_username")) == NULL ?
	    (r = JIT_ERR_ALLOC) : 0)
		goto out;
	if ((v = jyaml_get(n, "groups_claim")) != NULL ?
	    (r = get_text(c, v, "sso.groups_claim", &s->groups_claim)) :
	    (s->groups_claim = strdup("groups")) == NULL ?
	    (r = JIT_ERR_ALLOC) : 0)
		goto out;
	if ((v = jyaml_get(n, "claims_to_groups")) != NULL &&
	    (r = load_maps(c, v, s)) != 0)
		goto out;
	if ((v = jyaml_get(n, "mfa_amr")) != NULL &&
	    (r = schema_get_list(c, v, "sso.mfa_amr", NULL, &s->mfa_amr)) != 0)
		goto out;
	if ((v = jyaml_get(n, "groups")) != NULL &&
	    (r = schema_get_list(c, v, "sso.groups", schema_check_user_group,
	    &s->groups)) != 0)
		goto out;
	if ((v = jyaml_get(n, "allowed_clock_skew")) != NULL &&
	    (r = schema_get_duration(c, v, "sso.allowed_clock_skew",
	    &s->skew)) == 0 && s->skew > 600)
		r = schema_err(c, v, "sso.allowed_clock_skew is at most 10m");
	if (r != 0)
		goto out;
	/* The groups the IdP brings are groups roles may name. */
	for (i = 0; i < s->groups.n && r == 0; i++)
		if (!pstrv_has(&c->groups, s->groups.v[i]))
			r = pstrv_add(&c->groups, s->groups.v[i]);
	for (i = 0; i < s->nmaps && r == 0; i++) {
		size_t j;

		for (j = 0; j < s->maps[i].groups.n && r == 0; j++)
			if (!pstrv_has(&c->groups, s->maps[i].groups.v[j]))
				r = pstrv_add(&c->groups, s->maps[i].groups.v[j]);
	}
	if (r == 0 && c->groups.n > 0)
		qsort(c->groups.v, c->groups.n, sizeof(char *), policy_cmp_str);
 out:
	pstrv_free(&scopes);
	return r;
}

void
policy_sso_free(struct psso *s)
{
	size_t i;

	free(s->issuer);
	free(s->client_id);
	free(s->client_secret_file);
	free(s->ca_file);
	free(s->scope);
	free(s->username_claim);
	free(s->groups_claim);
	pstrv_free(&s->mfa_amr);
	pstrv_free(&s->groups);
	for (i = 0; i < s->nmaps; i++) {
		free(s->maps[i].claim);
		free(s->maps[i].value);
		pstrv_free(&s->maps[i].groups);
	}
	free(s->maps);
}

int
jpolicy_sso(const struct jpolicy *p, struct jpolicy_sso_cfg *cfg)
{
	const struct psso *s = &p->sso;

	memset(cfg, 0, sizeof(*cfg));
	if (!s->set)
		return 0;
	cfg->issuer = s->issuer;
	cfg->client_id = s->client_id;
	cfg->client_secret_file = s->client_secret_file;
	cfg->ca_file = s->ca_file;
	cfg->scope = s->scope;
	cfg->skew = s->skew;
	return 1;
}

int
jpolicy_user_sso(const struct jpolicy *p, const char *user)
{
	const struct puser *u;

	if (!p->sso.set || user == NULL)
		return 0;
	u = policy_find_user(p, user);
	return u == NULL || u->sso;
}

/* A claim's text, refused when not a line of printable text. */
static const char *
clean(const json_t *j)
{
	const char *s = json_string_value(j);
	const unsigned char *q;

	if (s == NULL || *s == '\0' || strlen(s) > 256)
		return NULL;
	for (q = (const unsigned char *)s; *q != '\0'; q++)
		if (*q < 0x20 || *q == 0x7f)
			return NULL;
	return s;
}

static int
add_group(struct jpolicy_sso_id *id, const char *g, const char *from)
{
	size_t i, n;

	for (i = 0; i < id->ngroups; i++)
		if (strcmp(id->groups[i], g) == 0)
			return 0;
	if (id->ngroups == SSO_GROUPS_MAX)
		return JIT_ERR_INVALID_FORMAT;
	if ((id->groups[id->ngroups] = strdup(g)) == NULL)
		return JIT_ERR_ALLOC;
	id->ngroups++;
	n = strlen(id->sources);
	snprintf(id->sources + n, sizeof(id->sources) - n, "%s%s (%s)",
	    n > 0 ? ", " : "", g, from);
	return 0;
}

static int
has_value(const json_t *claim, const char *value)
{
	size_t i;
	json_t *e;

	if (json_is_string(claim))
		return strcmp(json_string_value(claim), value) == 0;
	json_array_foreach(claim, i, e)
		if (json_is_string(e) && strcmp(json_string_value(e), value) == 0)
			return 1;
	return 0;
}

int
jpolicy_sso_map(const struct jpolicy *p, const json_t *claims,
    struct jpolicy_sso_id *id, char *err, size_t errlen)
{
	const struct psso *s = &p->sso;
	const struct puser *u;
	const char *name, *g, *sub, *iss;
	json_t *gl, *e, *amr;
	size_t i, j;
	int r;

	memset(id, 0, sizeof(*id));
	if (!s->set)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((id->groups = calloc(SSO_GROUPS_MAX, sizeof(char *))) == NULL)
		return JIT_ERR_ALLOC;
	name = clean(json_object_get(claims, s->username_claim));
	sub = clean(json_object_get(claims, "sub"));
	iss = clean(json_object_get(claims, "iss"));
	if (name == NULL || !policy_name_ok(name)) {
		snprintf(err, errlen, "the token's %s is missing or not a user "
		    "name (letters, digits, . _ - @, at most 64)",
		    s->username_claim);
		return JIT_ERR_DENIED;
	}
	if (sub == NULL || iss == NULL) {
		snprintf(err, errlen, "the token's sub or iss is not printable "
		    "text");
		return JIT_ERR_DENIED;
	}
	if ((u = policy_find_user(p, name)) != NULL && !u->sso) {
		snprintf(err, errlen, "%s signs in with a key, not through the "
		    "identity provider (sso: true in users: would allow it)", name);
		return JIT_ERR_DENIED;
	}
	snprintf(id->user, sizeof(id->user), "%s", name);
	snprintf(id->sub, sizeof(id->sub), "%s", sub);
	snprintf(id->iss, sizeof(id->iss), "%s", iss);
	/* The policy's own groups for an sso: true user, then the IdP's. */
	for (i = 0; u != NULL && i < u->groups.n; i++)
		if ((r = add_group(id, u->groups.v[i], "policy")) != 0)
			return r;
	gl = json_object_get(claims, s->groups_claim);
	if (gl != NULL && !json_is_array(gl) && !json_is_string(gl)) {
		snprintf(err, errlen, "the token's %s is not a list",
		    s->groups_claim);
		return JIT_ERR_DENIED;
	}
	if (json_is_string(gl)) {
		if ((g = clean(gl)) == NULL || !policy_name_ok(g)) {
			snprintf(err, errlen, "the token's %s holds a group that "
			    "is not a group name", s->groups_claim);
			return JIT_ERR_DENIED;
		}
		if ((r = add_group(id, g, s->groups_claim)) != 0)
			return r;
	}
	json_array_foreach(gl, i, e) {
		if ((g = clean(e)) == NULL || !policy_name_ok(g)) {
			snprintf(err, errlen, "the token's %s holds a group that "
			    "is not a group name", s->groups_claim);
			return JIT_ERR_DENIED;
		}
		if ((r = add_group(id, g, s->groups_claim)) != 0) {
			snprintf(err, errlen, "the token brings over %d groups",
			    SSO_GROUPS_MAX);
			return r;
		}
	}
	for (i = 0; i < s->nmaps; i++) {
		char from[300];

		if (!has_value(json_object_get(claims, s->maps[i].claim),
		    s->maps[i].value))
			continue;
		snprintf(from, sizeof(from), "%s=%s", s->maps[i].claim,
		    s->maps[i].value);
		for (j = 0; j < s->maps[i].groups.n; j++)
			if ((r = add_group(id, s->maps[i].groups.v[j], from)) != 0)
				return r;
	}
	amr = json_object_get(claims, "amr");
	json_array_foreach(amr, i, e)
		if (json_is_string(e) && pstrv_has(&s->mfa_amr,
		    json_string_value(e)))
			id->mfa = 1;
	return 0;
}

void
jpolicy_sso_id_clear(struct jpolicy_sso_id *id)
{
	size_t i;

	for (i = 0; id->groups != NULL && i < id->ngroups; i++)
		free(id->groups[i]);
	free(id->groups);
	memset(id, 0, sizeof(*id));
}

struct jpolicy *
jpolicy_with_sso_user(struct jpolicy *p, const struct jpolicy_sso_id *id)
{
	struct jpolicy *d;
	struct puser *u;
	size_t i;

	if ((d = malloc(sizeof(*d))) == NULL ||
	    (u = calloc(1, sizeof(*u))) == NULL) {
		free(d);
		return NULL;
	}
	memcpy(d, p, sizeof(*d));
	atomic_init(&d->refs, 1);
	d->base = jpolicy_ref(p);
	d->overlay = u;
	u->sso = 1;
	if ((u->name = strdup(id->user)) == NULL)
		goto fail;
	for (i = 0; i < id->ngroups; i++)
		if (pstrv_add(&u->groups, id->groups[i]) != 0)
			goto fail;
	if (u->groups.n > 0)
		qsort(u->groups.v, u->groups.n, sizeof(char *), policy_cmp_str);
	return d;
 fail:
	jpolicy_free(d);
	return NULL;
}
