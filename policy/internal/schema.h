/*
 * schema.h: the policy loader's parts (schema.c, users.c, roles.c,
 * approval.c, duration.c, cidr.c, window.c, review.c) and what they share: a
 * loading context that records every problem with its position, and the
 * checked getters.  Each getter returns 0, or JIT_ERR_POLICY with the
 * problem recorded (then loading goes on, see schema_keep_going()), or
 * another JIT_ERR_* (memory) that stops it.
 */
#ifndef JIT_POLICY_SCHEMA_H
#define JIT_POLICY_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "jyaml.h"
#include "policy-impl.h"

#define NAME_MAX_LEN		64
#define LIVE_CERTS_DEFAULT	100	/* per user, unexpired and unrevoked */
#define LIVE_CERTS_MAX		1000000
#define LIST_MAX		4096
#define QUORUM_MAX		100
#define ERRORS_MAX		100	/* reported in one run; the rest counted */

struct ctx {
	const char *name;
	char **errp;
	struct jpolicy *p;
	struct pstrv groups;	/* every group some user is in, sorted */
	unsigned nerr;		/* problems found so far */
};

/* Records "name:line:column: message" (n NULL: 1:1); JIT_ERR_POLICY. */
int schema_err(struct ctx *c, const struct jyaml_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* After a part failed: 0 for a recorded problem (go on), else r. */
int schema_keep_going(int r);

int schema_want(struct ctx *c, const struct jyaml_node *n, enum jyaml_type t,
    const char *what);
/* A mapping's keys: scalars, no duplicates, each one of allowed (or any). */
int schema_check_keys(struct ctx *c, const struct jyaml_node *map,
    const char *what, const char *const *allowed);
int schema_get_name(struct ctx *c, const struct jyaml_node *n,
    const char *what);
int schema_get_bool(struct ctx *c, const struct jyaml_node *n,
    const char *what, int *out);
/* "required" or "optional". */
int schema_get_required(struct ctx *c, const struct jyaml_node *n,
    const char *what, int *out);
/* A list of scalars, each passed to check (may be NULL), none twice. */
int schema_get_list(struct ctx *c, const struct jyaml_node *n,
    const char *what,
    int (*check)(struct ctx *, const struct jyaml_node *, const char *),
    struct pstrv *out);
int schema_check_known_group(struct ctx *c, const struct jyaml_node *n,
    const char *what);
int schema_check_user_group(struct ctx *c, const struct jyaml_node *n,
    const char *what);
int schema_get_key_types(struct ctx *c, const struct jyaml_node *n,
    const char *what, unsigned *out);
int schema_get_duration(struct ctx *c, const struct jyaml_node *n,
    const char *what, uint64_t *out);
int schema_get_cidrs(struct ctx *c, const struct jyaml_node *n,
    const char *what, struct pcidr **out, size_t *nout, char **textp);
int schema_get_windows(struct ctx *c, const struct jyaml_node *v,
    const char *what, struct pwindow **wp, size_t *np);
/* One window; -1 when malformed, -2 out of memory. */
int policy_parse_window(const char *s, struct pwindow *w);

int schema_load_users(struct ctx *c, const struct jyaml_node *n);
int schema_load_roles(struct ctx *c, const struct jyaml_node *n);
int schema_load_approval(struct ctx *c, const struct jyaml_node *n,
    struct prole *role);
void schema_role_free(struct prole *r);
int schema_load_review(struct ctx *c, const struct jyaml_node *n);
int schema_load_sso(struct ctx *c, const struct jyaml_node *n);

void pstrv_free(struct pstrv *v);
int pstrv_add(struct pstrv *v, const char *s);
int policy_cmp_str(const void *a, const void *b);

#endif /* JIT_POLICY_SCHEMA_H */
