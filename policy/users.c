/*
 * users.c: the users: names, keys, groups.
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
cmp_user(const void *a, const void *b)
{
	return strcmp(((const struct puser *)a)->name,
	    ((const struct puser *)b)->name);
}

static int
user_keys(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct puser *u)
{
	const struct jyaml_node *v;
	size_t i;
	int r, bad = 0;

	if ((v = jyaml_get(n, "keys")) == NULL)
		return u->sso ? 0 : schema_err(c, kn, "user '%s' has no keys",
		    kn->value);
	if ((r = schema_want(c, v, JYAML_SEQ, "keys")) != 0)
		return r;
	if (v->n == 0)
		return schema_err(c, v, "user '%s' has no keys", kn->value);
	if (v->n > 64)
		return schema_err(c, v, "user '%s' has too many keys", kn->value);
	if ((u->keys = calloc(v->n, sizeof(*u->keys))) == NULL)
		return JIT_ERR_ALLOC;
	for (i = 0; i < v->n; i++) {
		const struct jyaml_node *kl = v->items[i];

		if (schema_want(c, kl, JYAML_SCALAR, "a key") != 0) {
			bad = 1;
			continue;
		}
		if ((r = jkey_parse_line(kl->value, &u->keys[u->nkeys],
		    NULL)) != 0) {
			(void)schema_err(c, kl, "user '%s': malformed public key: %s",
			    kn->value, jit_strerror(r));
			bad = 1;
			continue;
		}
		u->nkeys++;
	}
	return bad ? JIT_ERR_POLICY : 0;
}

static int
load_user(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct puser *u)
{
	static const char *const keys[] = { "keys", "groups", "sso", NULL };
	const struct jyaml_node *v;
	int r;

	if ((r = schema_get_name(c, kn, "user name")) != 0 ||
	    (r = schema_want(c, n, JYAML_MAP, "a user")) != 0)
		return r;
	if ((u->name = strdup(kn->value)) == NULL)
		return JIT_ERR_ALLOC;
	/* Each part is checked even after a problem in another. */
	if ((r = schema_check_keys(c, n, "user", keys)) != 0 &&
	    (r = schema_keep_going(r)) != 0)
		return r;
	if ((v = jyaml_get(n, "sso")) != NULL &&
	    (r = schema_get_bool(c, v, "sso", &u->sso)) != 0 &&
	    (r = schema_keep_going(r)) != 0)
		return r;
	if ((r = user_keys(c, kn, n, u)) != 0 && (r = schema_keep_going(r)) != 0)
		return r;
	if ((v = jyaml_get(n, "groups")) != NULL &&
	    (r = schema_get_list(c, v, "groups", schema_check_user_group, &u->groups)) != 0)
		return r;
	return 0;
}

int
schema_load_users(struct ctx *c, const struct jyaml_node *n)
{
	struct jpolicy *p = c->p;
	size_t i, j;
	int r;

	if ((r = schema_want(c, n, JYAML_MAP, "users")) != 0 ||
	    (r = schema_check_keys(c, n, "users", NULL)) != 0)
		return r;
	if (n->n / 2 > 0 &&
	    (p->users = calloc(n->n / 2, sizeof(*p->users))) == NULL)
		return JIT_ERR_ALLOC;
	for (i = 0; i < n->n / 2; i++) {
		struct puser *u = &p->users[p->nusers];

		r = load_user(c, n->items[2 * i], n->items[2 * i + 1], u);
		if (u->name == NULL) {
			/* Not even a name: nothing to keep. */
			if (r == 0 || (r = schema_keep_going(r)) == 0)
				continue;
			return r;
		}
		p->nusers++;
		for (j = 0; j < u->groups.n; j++)
			if (!pstrv_has(&c->groups, u->groups.v[j]) &&
			    (r = pstrv_add(&c->groups, u->groups.v[j])) != 0)
				return r;
		if (r != 0 && (r = schema_keep_going(r)) != 0)
			return r;
	}
	/* qsort() with a NULL base is undefined even for 0 elements. */
	if (p->nusers > 0)
		qsort(p->users, p->nusers, sizeof(*p->users), cmp_user);
	if (c->groups.n > 0)
		qsort(c->groups.v, c->groups.n, sizeof(char *), policy_cmp_str);
	return 0;
}

const struct puser *
policy_find_user(const struct jpolicy *p, const char *name)
{
	struct puser key;

	if (p == NULL || name == NULL)
		return NULL;
	if (p->overlay != NULL && strcmp(p->overlay->name, name) == 0)
		return p->overlay;
	if (p->nusers == 0)
		return NULL;
	key.name = (char *)(uintptr_t)name;
	return bsearch(&key, p->users, p->nusers, sizeof(key), cmp_user);
}
