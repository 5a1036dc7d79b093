/*
 * review.c: the policy's `review:` section, which the access review report
 * (jit-ssh-ca report) reads: business hours in a time zone, how quick an
 * approval is too quick, how long a chain of certificates is standing
 * access, how fast a revocation should reach hosts, what a spike of
 * refusals is, and which findings to leave out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit-err.h"
#include "jit-util.h"
#include "jpolicy.h"
#include "jtz.h"
#include "jyaml.h"
#include "policy-impl.h"
#include "schema.h"

static const char *const kinds[] = { "out-of-hours", "rubber-stamp",
    "break-glass", "unused-grant", "standing-access", "unused-role",
    "inactive-user", "refused", "closure", NULL };

#define EXCLUDE_MAX	256
#define SPIKE_MAX	1000000

const char *
jpolicy_review_kind(size_t i)
{
	return i < sizeof(kinds) / sizeof(kinds[0]) ? kinds[i] : NULL;
}

static int
kind_known(const char *s)
{
	size_t i;

	for (i = 0; kinds[i] != NULL; i++)
		if (strcmp(kinds[i], s) == 0)
			return 1;
	return 0;
}

void
policy_review_defaults(struct preview *rv)
{
	memset(rv, 0, sizeof(*rv));
	rv->min_review = 30;
	rv->standing_after = 8 * 3600;
	rv->krl_refresh = 5 * 60;
	rv->refused_spike = 10;
}

void
policy_review_free(struct preview *rv)
{
	size_t i;

	policy_review_free_hours(rv);
	jit_tz_free(rv->tz);
	for (i = 0; i < rv->nexclude; i++) {
		free(rv->exclude[i].kind);
		free(rv->exclude[i].user);
		free(rv->exclude[i].role);
	}
	free(rv->exclude);
}

static int
get_kind(struct ctx *c, const struct jyaml_node *n, char **out)
{
	int r;

	if ((r = schema_want(c, n, JYAML_SCALAR, "review.exclude: a kind")) != 0)
		return r;
	if (!kind_known(n->value))
		return schema_err(c, n, "review.exclude: '%s' is not a finding "
		    "kind (out-of-hours, rubber-stamp, break-glass, "
		    "unused-grant, standing-access, unused-role, inactive-user, "
		    "refused, closure)", n->value);
	return (*out = strdup(n->value)) == NULL ? JIT_ERR_ALLOC : 0;
}

static int
get_exclude(struct ctx *c, const struct jyaml_node *n, struct preview *rv)
{
	static const char *const keys[] = { "kind", "user", "role", NULL };
	size_t i;
	int r;

	if ((r = schema_want(c, n, JYAML_SEQ, "review.exclude")) != 0)
		return r;
	if (n->n > EXCLUDE_MAX)
		return schema_err(c, n, "review.exclude: at most %d entries",
		    EXCLUDE_MAX);
	if ((rv->exclude = calloc(n->n + 1, sizeof(*rv->exclude))) == NULL)
		return JIT_ERR_ALLOC;
	for (i = 0; i < n->n; i++) {
		const struct jyaml_node *e = n->items[i], *v;
		struct pexclude *x = &rv->exclude[rv->nexclude];

		if (e->type == JYAML_SCALAR) {
			if ((r = get_kind(c, e, &x->kind)) != 0)
				return r;
			rv->nexclude++;
			continue;
		}
		if ((r = schema_want(c, e, JYAML_MAP, "review.exclude: a kind, "
		    "or a mapping of kind, user, role")) != 0 ||
		    (r = schema_check_keys(c, e, "review.exclude", keys)) != 0)
			return r;
		if ((v = jyaml_get(e, "kind")) == NULL)
			return schema_err(c, e, "review.exclude: an entry needs "
			    "a kind");
		if ((r = get_kind(c, v, &x->kind)) != 0)
			return r;
		rv->nexclude++;
		if ((v = jyaml_get(e, "user")) != NULL &&
		    ((r = schema_get_name(c, v, "review.exclude.user")) != 0 ||
		    (x->user = strdup(v->value)) == NULL))
			return r != 0 ? r : JIT_ERR_ALLOC;
		if ((v = jyaml_get(e, "role")) != NULL &&
		    ((r = schema_get_name(c, v, "review.exclude.role")) != 0 ||
		    (x->role = strdup(v->value)) == NULL))
			return r != 0 ? r : JIT_ERR_ALLOC;
	}
	return 0;
}

static int
get_limit(struct ctx *c, const struct jyaml_node *n, const char *what,
    uint64_t min, uint64_t max, uint64_t *out)
{
	char a[32], b[32];
	int r;

	if ((r = schema_get_duration(c, n, what, out)) != 0)
		return r;
	if (*out < min || *out > max) {
		jit_format_duration(min, a, sizeof(a));
		jit_format_duration(max, b, sizeof(b));
		return schema_err(c, n, "%s must be from %s to %s", what, a, b);
	}
	return 0;
}

static int
get_timezone(struct ctx *c, const struct jyaml_node *v, struct preview *rv)
{
	int r;

	if ((r = schema_want(c, v, JYAML_SCALAR, "review.timezone")) != 0)
		return r;
	r = jit_tz_load(v->value, &rv->tz);
	if (r == JIT_ERR_ALLOC)
		return r;
	if (r != 0)
		return schema_err(c, v, "review.timezone '%s': %s (a zone of "
		    "/usr/share/zoneinfo, e.g. Europe/Berlin)", v->value,
		    r == JIT_ERR_NOT_FOUND ? "no such zone" :
		    r == JIT_ERR_INVALID_ARGUMENT ? "not a zone name" :
		    jit_strerror(r));
	return 0;
}

static int
get_hours(struct ctx *c, const struct jyaml_node *v, struct preview *rv)
{
	size_t i;
	int r;

	if ((r = schema_get_windows(c, v, "review.business_hours", &rv->hours,
	    &rv->nhours)) != 0)
		return r;
	for (i = 0; i < rv->nhours; i++)
		if (rv->tz != NULL && strcmp(jit_tz_name(rv->tz), "UTC") != 0 &&
		    strstr(rv->hours[i].text, "UTC") != NULL)
			return schema_err(c, v->items[i], "review.business_hours "
			    "are in review.timezone (%s): leave out 'UTC'",
			    jit_tz_name(rv->tz));
	return 0;
}

static int
get_spike(struct ctx *c, const struct jyaml_node *v, struct preview *rv)
{
	unsigned long x;
	char *end;
	int r;

	if ((r = schema_want(c, v, JYAML_SCALAR, "review.refused_spike")) != 0)
		return r;
	x = strtoul(v->value, &end, 10);
	if (v->value[0] < '1' || v->value[0] > '9' || *end != '\0' ||
	    x > SPIKE_MAX)
		return schema_err(c, v, "review.refused_spike must be a whole "
		    "number from 1 to %d (refusals in an hour)", SPIKE_MAX);
	rv->refused_spike = (unsigned)x;
	return 0;
}

int
schema_load_review(struct ctx *c, const struct jyaml_node *n)
{
	static const char *const keys[] = { "business_hours", "timezone",
	    "min_review", "standing_after", "krl_refresh", "refused_spike",
	    "exclude", NULL };
	struct preview *rv = &c->p->review;
	const struct jyaml_node *v;
	int r;

	if ((r = schema_want(c, n, JYAML_MAP, "review")) != 0)
		return r;
	/* Each key is checked whatever the others hold. */
	if ((r = schema_check_keys(c, n, "review", keys)) != 0 &&
	    (r = schema_keep_going(r)) != 0)
		return r;
	if ((v = jyaml_get(n, "timezone")) != NULL &&
	    (r = get_timezone(c, v, rv)) != 0 && (r = schema_keep_going(r)) != 0)
		return r;
	if ((v = jyaml_get(n, "business_hours")) != NULL &&
	    (r = get_hours(c, v, rv)) != 0 && (r = schema_keep_going(r)) != 0)
		return r;
	if ((v = jyaml_get(n, "min_review")) != NULL &&
	    (r = get_limit(c, v, "review.min_review", 1, 86400,
	    &rv->min_review)) != 0 && (r = schema_keep_going(r)) != 0)
		return r;
	if ((v = jyaml_get(n, "standing_after")) != NULL &&
	    (r = get_limit(c, v, "review.standing_after", 60, 86400,
	    &rv->standing_after)) != 0 && (r = schema_keep_going(r)) != 0)
		return r;
	if ((v = jyaml_get(n, "krl_refresh")) != NULL &&
	    (r = get_limit(c, v, "review.krl_refresh", 1, 86400,
	    &rv->krl_refresh)) != 0 && (r = schema_keep_going(r)) != 0)
		return r;
	if ((v = jyaml_get(n, "refused_spike")) != NULL &&
	    (r = get_spike(c, v, rv)) != 0 && (r = schema_keep_going(r)) != 0)
		return r;
	if ((v = jyaml_get(n, "exclude")) != NULL &&
	    (r = get_exclude(c, v, rv)) != 0 && (r = schema_keep_going(r)) != 0)
		return r;
	return 0;
}

/* The default business hours, when the section gives none. */
int
policy_review_finish(struct preview *rv)
{
	if (rv->nhours > 0)
		return 0;
	if ((rv->hours = calloc(1, sizeof(*rv->hours))) == NULL)
		return JIT_ERR_ALLOC;
	if (policy_parse_window("Mon-Fri 09:00-17:00", &rv->hours[0]) != 0)
		return JIT_ERR_ALLOC;
	rv->nhours = 1;
	return 0;
}

void
policy_review_free_hours(struct preview *rv)
{
	size_t i;

	for (i = 0; i < rv->nhours; i++)
		free(rv->hours[i].text);
	free(rv->hours);
	rv->hours = NULL;
	rv->nhours = 0;
}

long
jpolicy_review_tz_offset(const struct jpolicy *p, uint64_t t)
{
	return p->review.tz != NULL ? jit_tz_offset(p->review.tz, t) : 0;
}

const char *
jpolicy_review_timezone(const struct jpolicy *p)
{
	return p->review.tz != NULL ? jit_tz_name(p->review.tz) : "UTC";
}

int
jpolicy_review_in_hours(const struct jpolicy *p, uint64_t t)
{
	long off = jpolicy_review_tz_offset(p, t);
	uint64_t local = off < 0 && (uint64_t)-off > t ? 0 : t + (uint64_t)off;
	uint64_t end;

	return policy_in_window(p->review.hours, p->review.nhours, local, &end);
}

size_t
jpolicy_review_nhours(const struct jpolicy *p)
{
	return p->review.nhours;
}

const char *
jpolicy_review_hours(const struct jpolicy *p, size_t i)
{
	return i < p->review.nhours ? p->review.hours[i].text : NULL;
}

uint64_t
jpolicy_review_min_review(const struct jpolicy *p)
{
	return p->review.min_review;
}

uint64_t
jpolicy_review_standing_after(const struct jpolicy *p)
{
	return p->review.standing_after;
}

uint64_t
jpolicy_review_krl_refresh(const struct jpolicy *p)
{
	return p->review.krl_refresh;
}

unsigned
jpolicy_review_refused_spike(const struct jpolicy *p)
{
	return p->review.refused_spike;
}

int
jpolicy_review_excluded(const struct jpolicy *p, const char *kind,
    const char *user, const char *role)
{
	size_t i;

	for (i = 0; i < p->review.nexclude; i++) {
		const struct pexclude *x = &p->review.exclude[i];

		if (strcmp(x->kind, kind) != 0)
			continue;
		if (x->user != NULL && (user == NULL || strcmp(x->user, user) != 0))
			continue;
		if (x->role != NULL && (role == NULL || strcmp(x->role, role) != 0))
			continue;
		return 1;
	}
	return 0;
}

int
jpolicy_review_hours_at(const struct jpolicy *p, unsigned wday, unsigned minute)
{
	/* 1970-01-11 was a Sunday: a local time on that week's wday. */
	uint64_t t = (10 + wday % 7) * 86400ULL + minute * 60ULL, end;

	return policy_in_window(p->review.hours, p->review.nhours, t, &end);
}
