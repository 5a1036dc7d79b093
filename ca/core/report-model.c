/*
 * report-model.c: the access review's model, from the tables of a walk
 * (report.c): the findings (each kept unless review.exclude leaves it
 * out), sorted so that the same log gives the same bytes, the summary
 * figures and the charts' data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jit-err.h"
#include "jit-util.h"
#include "jpolicy.h"
#include "report.h"
#include "report-impl.h"
#include "textout.h"

const char *const kind_name[K_N] = { "out-of-hours", "rubber-stamp",
    "break-glass", "unused-grant", "standing-access", "unused-role",
    "inactive-user", "refused", "closure" };
const char *const kind_sev[K_N] = { "medium", "medium", "high", "low",
    "high", "low", "low", "medium", "high" };

/* Names: each once, by a 64-bit hash of it. */
uint32_t
rep_name(struct rep *R, const char *s)
{
	uint64_t h;
	long i;
	void *t;

	if (s == NULL || *s == '\0')
		return NONE;
	h = hash_str(s, 0);
	/* Collisions of 64-bit hashes: compared, and then probed on. */
	for (;; h = mix(h + 1)) {
		if ((i = map_get(&R->names_ix, h)) < 0)
			break;
		if (strcmp(R->names[i], s) == 0)
			return (uint32_t)i;
	}
	if (R->nnames >= NAMES_MAX)
		return rep_name(R, "(other)") == NONE ? NONE :
		    (uint32_t)map_get(&R->names_ix, hash_str("(other)", 0));
	if (R->nnames == R->capnames) {
		size_t cap = R->capnames ? R->capnames * 2 : 256;

		if ((t = realloc(R->names, cap * sizeof(char *))) == NULL)
			goto fail;
		R->names = t;
		if ((t = realloc(R->active, cap)) == NULL)
			goto fail;
		R->active = t;
		if ((t = realloc(R->asked, cap)) == NULL)
			goto fail;
		R->asked = t;
		if ((t = realloc(R->role_issued, cap * sizeof(uint64_t))) ==
		    NULL)
			goto fail;
		R->role_issued = t;
		if ((t = realloc(R->role_requests, cap * sizeof(uint64_t))) ==
		    NULL)
			goto fail;
		R->role_requests = t;
		R->capnames = cap;
	}
	if ((R->names[R->nnames] = strdup(s)) == NULL ||
	    map_put(&R->names_ix, h, (uint32_t)R->nnames) != 0)
		goto fail;
	R->active[R->nnames] = 0;
	R->asked[R->nnames] = 0;
	R->role_issued[R->nnames] = 0;
	R->role_requests[R->nnames] = 0;
	return (uint32_t)R->nnames++;
 fail:
	R->err = JIT_ERR_ALLOC;
	return NONE;
}

const char *
rep_name_str(const struct rep *R, uint32_t i)
{
	return i == NONE ? NULL : R->names[i];
}

/* The model: helpers. */
static json_t *
jtime(uint64_t t)
{
	char buf[32];

	jit_format_time(t, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *
jstr(const char *s)
{
	return s != NULL ? ca_json_text(s, strlen(s)) : json_null();
}

static json_t *
figures(const struct hist *h)
{
	return json_pack("{sI sI sI sI}", "count", (json_int_t)h->n,
	    "median", (json_int_t)hist_pct(h, 50), "p90",
	    (json_int_t)hist_pct(h, 90), "max", (json_int_t)h->max);
}

static json_t *
seq_list(const uint64_t *seqs, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_integer((json_int_t)seqs[i]));
	return a;
}

static json_t *
name_list(const struct rep *R, uint32_t i)
{
	json_t *a = json_array();

	if (i != NONE)
		json_array_append_new(a, jstr(R->names[i]));
	return a;
}

static json_t *
finding(int kind, json_t *users, json_t *roles, json_t *reqs,
    const char *address, const char *detail, uint64_t count,
    const uint64_t *seqs, size_t nseqs)
{
	json_t *addrs = json_array();

	if (address != NULL)
		json_array_append_new(addrs, jstr(address));
	return json_pack("{ss ss so so so so so sI so}", "kind",
	    kind_name[kind], "severity", kind_sev[kind], "users", users,
	    "roles", roles, "requests", reqs, "addresses", addrs, "detail",
	    jstr(detail), "count", (json_int_t)count, "seqs",
	    seq_list(seqs, nseqs));
}

struct out {
	const struct rep *R;
	json_t *list, *left_out;
};

/* Adds f unless review.exclude leaves it out (then counts it). */
static int
keep(struct out *o, int kind, const char *user, const char *role, json_t *f)
{
	json_t *n;

	if (f == NULL)
		return JIT_ERR_ALLOC;
	if (jpolicy_review_excluded(o->R->p, kind_name[kind], user, role)) {
		n = json_object_get(o->left_out, kind_name[kind]);
		json_object_set_new(o->left_out, kind_name[kind],
		    json_integer(json_integer_value(n) + 1));
		json_decref(f);
		return 0;
	}
	return json_array_append_new(o->list, f) == 0 ? 0 : JIT_ERR_ALLOC;
}

static int
agg_finding(struct out *o, const struct agg *a)
{
	const struct rep *R = o->R;
	char text[512], d[32];
	json_t *reqs = json_array();
	uint64_t iss;
	size_t i, n;

	for (i = 0; i < a->nreqs; i++)
		json_array_append_new(reqs, json_string(a->reqs[i]));
	switch (a->kind) {
	case K_OOH:
		iss = a->count - a->requests;
		n = 0;
		if (iss > 0)
			n = (size_t)snprintf(text, sizeof(text), "%llu issuance%s",
			    (unsigned long long)iss, iss == 1 ? "" : "s");
		if (a->requests > 0)
			n += (size_t)snprintf(text + n, sizeof(text) - n,
			    "%s%llu request%s", iss > 0 ? ", " : "",
			    (unsigned long long)a->requests, a->requests == 1 ?
			    "" : "s");
		snprintf(text + n, sizeof(text) - n, " outside business hours");
		break;
	case K_RUBBER:
		jit_format_duration(a->min, d, sizeof(d));
		snprintf(text, sizeof(text), "%llu approval%s given less than "
		    "%llus after the request (the quickest in %s)",
		    (unsigned long long)a->count, a->count == 1 ? "" : "s",
		    (unsigned long long)jpolicy_review_min_review(R->p), d);
		break;
	case K_UNUSED_GRANT:
		snprintf(text, sizeof(text), "%llu certificate%s never used on "
		    "a recorded host", (unsigned long long)a->count,
		    a->count == 1 ? "" : "s");
		break;
	case K_STANDING:
		jit_format_duration(a->max, d, sizeof(d));
		snprintf(text, sizeof(text), "held the role for %s without a "
		    "break, through %llu back-to-back certificates", d,
		    (unsigned long long)a->count);
		break;
	default:
		snprintf(text, sizeof(text), "%s", a->text);
		break;
	}
	if (a->kind != K_BREAK && a->kind != K_CLOSURE && a->text[0] != '\0')
		snprintf(text, sizeof(text), "%s", a->text);
	return keep(o, a->kind, rep_name_str(R, a->user),
	    rep_name_str(R, a->role),
	    finding(a->kind, name_list(R, a->user), name_list(R, a->role),
	    reqs, NULL, text, a->count, a->seqs, a->nseqs));
}

/* Approvers who decide more than half of a role's requests. */
static int
share_finding(struct out *o, const struct decided *d)
{
	const struct rep *R = o->R;
	uint64_t n = R->role_requests[d->role];	/* in the period */
	char text[256];

	if (n < RUBBER_MIN || d->n * 2 <= n)
		return 0;
	snprintf(text, sizeof(text), "decided %llu of the role's %llu requests",
	    (unsigned long long)d->n, (unsigned long long)n);
	return keep(o, K_RUBBER, rep_name_str(R, d->approver),
	    rep_name_str(R, d->role),
	    finding(K_RUBBER, name_list(R, d->approver), name_list(R, d->role),
	    json_array(), NULL, text, d->n, d->seqs, d->nseqs));
}

static int
refused_finding(struct out *o, const struct subject *s)
{
	const struct rep *R = o->R;
	unsigned spike = jpolicy_review_refused_spike(R->p);
	char text[256], when[32];
	const char *who = strchr(s->key, ' ') + 1;
	int user = strncmp(s->key, "user ", 5) == 0;
	json_t *users;

	if (s->worst < spike && s->lockouts == 0)
		return 0;
	jit_format_time(s->worst_hour * 3600, when, sizeof(when));
	snprintf(text, sizeof(text), "%llu auth failure%s, %llu lockout%s, "
	    "%llu denied request%s; %llu in the worst hour (from %s)",
	    (unsigned long long)s->fails, s->fails == 1 ? "" : "s",
	    (unsigned long long)s->lockouts, s->lockouts == 1 ? "" : "s",
	    (unsigned long long)s->denied, s->denied == 1 ? "" : "s",
	    (unsigned long long)s->worst, when);
	users = json_array();
	if (user)
		json_array_append_new(users, jstr(who));
	return keep(o, K_REFUSED, user ? who : NULL, NULL,
	    finding(K_REFUSED, users, json_array(), json_array(),
	    user ? NULL : who, text, s->fails + s->lockouts + s->denied,
	    s->seqs, s->nseqs));
}

static int
sev_rank(const char *s)
{
	return strcmp(s, "high") == 0 ? 0 : strcmp(s, "medium") == 0 ? 1 :
	    strcmp(s, "low") == 0 ? 2 : 3;
}

static int
kind_rank(const char *s)
{
	int k;

	for (k = 0; k < K_N; k++)
		if (strcmp(kind_name[k], s) == 0)
			return k;
	return K_N;
}

static const char *
first_str(const json_t *f, const char *key)
{
	const char *s = json_string_value(json_array_get(json_object_get(f,
	    key), 0));

	return s != NULL ? s : "";
}

/* High first; then by kind, user, role, address, the first event. */
static int
cmp_finding(const void *x, const void *y)
{
	const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	static const char *const keys[] = { "users", "roles", "addresses" };
	json_int_t sa, sb;
	size_t i;
	int c;

	if ((c = sev_rank(json_string_value(json_object_get(a, "severity"))) -
	    sev_rank(json_string_value(json_object_get(b, "severity")))) != 0)
		return c;
	if ((c = kind_rank(json_string_value(json_object_get(a, "kind"))) -
	    kind_rank(json_string_value(json_object_get(b, "kind")))) != 0)
		return c;
	for (i = 0; i < 3; i++)
		if ((c = strcmp(first_str(a, keys[i]), first_str(b, keys[i]))) !=
		    0)
			return c;
	sa = json_integer_value(json_array_get(json_object_get(a, "seqs"), 0));
	sb = json_integer_value(json_array_get(json_object_get(b, "seqs"), 0));
	if (sa != sb)
		return sa < sb ? -1 : 1;
	return strcmp(json_string_value(json_object_get(a, "detail")),
	    json_string_value(json_object_get(b, "detail")));
}

static json_t *
sorted(json_t *list)
{
	size_t n = json_array_size(list), i;
	json_t **v, *out = json_array();

	if ((v = calloc(n + 1, sizeof(*v))) == NULL || out == NULL) {
		free(v);
		json_decref(out);
		return NULL;
	}
	for (i = 0; i < n; i++)
		v[i] = json_array_get(list, i);
	qsort(v, n, sizeof(*v), cmp_finding);
	for (i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

static int
all_findings(struct rep *R, json_t **listp, json_t **left_outp)
{
	struct out o = { R, json_array(), json_object() };
	size_t i;
	int r = 0;

	*listp = *left_outp = NULL;
	for (i = 0; i < R->aggs.n && r == 0; i++)
		r = agg_finding(&o, pool_at(&R->aggs, (long)i));
	for (i = 0; i < R->decided.n && r == 0; i++)
		r = share_finding(&o, pool_at(&R->decided, (long)i));
	for (i = 0; i < R->subjects.n && r == 0; i++)
		r = refused_finding(&o, pool_at(&R->subjects, (long)i));
	/* Absences: the policy's roles and users with nothing in the period. */
	for (i = 0; i < jpolicy_nroles(R->p) && r == 0; i++) {
		const char *role = jpolicy_role_name(R->p, i);
		uint32_t ix = rep_name(R, role);

		if (ix != NONE && !R->asked[ix])
			r = keep(&o, K_UNUSED_ROLE, NULL, role,
			    finding(K_UNUSED_ROLE, json_array(),
			    name_list(R, ix), json_array(), NULL,
			    "nobody asked for this role in the period", 0,
			    NULL, 0));
	}
	for (i = 0; i < jpolicy_nusers(R->p) && r == 0; i++) {
		const char *user = jpolicy_user_name(R->p, i);
		uint32_t ix = rep_name(R, user);

		if (ix != NONE && !R->active[ix])
			r = keep(&o, K_INACTIVE, user, NULL,
			    finding(K_INACTIVE, name_list(R, ix), json_array(),
			    json_array(), NULL, "no activity in the period "
			    "(no request, certificate, decision, code or "
			    "session)", 0, NULL, 0));
	}
	if (r == 0 && R->err != 0)
		r = R->err;
	if (r == 0 && (*listp = sorted(o.list)) == NULL)
		r = JIT_ERR_ALLOC;
	json_decref(o.list);
	if (r != 0) {
		json_decref(o.left_out);
		return r;
	}
	*left_outp = o.left_out;
	return 0;
}

static const char *const wday_name[7] = { "Mon", "Tue", "Wed", "Thu", "Fri",
    "Sat", "Sun" };

static json_t *
heat_map(const struct rep *R)
{
	json_t *counts = json_array(), *hours = json_array(), *row, *brow;
	unsigned d, h;

	for (d = 0; d < 7; d++) {
		row = json_array();
		brow = json_array();
		for (h = 0; h < 24; h++) {
			json_array_append_new(row,
			    json_integer((json_int_t)R->heat[d][h]));
			/* Mid-hour inside the business hours (Sunday: 0). */
			json_array_append_new(brow, json_boolean(
			    jpolicy_review_hours_at(R->p, (d + 1) % 7,
			    h * 60 + 30)));
		}
		json_array_append_new(counts, row);
		json_array_append_new(hours, brow);
	}
	return json_pack("{s[sssssss] so so}", "days", wday_name[0],
	    wday_name[1], wday_name[2], wday_name[3], wday_name[4],
	    wday_name[5], wday_name[6], "counts", counts, "business", hours);
}

static json_t *
per_day(const struct rep *R)
{
	json_t *roles = json_array(), *days = json_array(), *counts;
	char date[32];
	uint64_t d;
	size_t c;

	for (c = 0; c < R->nday_roles; c++)
		json_array_append_new(roles, R->day_role[c] == NONE ?
		    json_string("(none)") : jstr(R->names[R->day_role[c]]));
	for (d = 0; d < R->ndays; d++) {
		counts = json_array();
		for (c = 0; c < R->nday_roles; c++)
			json_array_append_new(counts, json_integer((json_int_t)
			    R->days[d * (DAY_ROLES_MAX + 1) + c]));
		jit_format_time((R->day0 + d) * 86400, date, sizeof(date));
		date[10] = '\0';
		json_array_append_new(days, json_pack("{ss so}", "day", date,
		    "counts", counts));
	}
	return json_pack("{so so}", "roles", roles, "days", days);
}

/*
 * Approval latency in bars from these edges, and min_review as one more,
 * so the bars under it are exactly the approvals quicker than it.
 */
static json_t *
latency_histogram(const struct rep *R)
{
	static const uint64_t std[] = { 10, 30, 60, 120, 300, 900, 1800, 3600,
	    4 * 3600 };
	uint64_t min = jpolicy_review_min_review(R->p), edges[12], hi;
	char a[32], b[32], label[80];
	json_t *out = json_array();
	size_t n = 0, i, j;

	edges[n++] = 0;
	for (i = 0, j = 0; i < sizeof(std) / sizeof(std[0]); i++) {
		if (j == 0 && min < std[i]) {
			if (min > 0)
				edges[n++] = min;
			j = 1;
		}
		if (std[i] != min)
			edges[n++] = std[i];
	}
	if (j == 0 && min > std[i - 1])
		edges[n++] = min;
	for (i = 0; i < n; i++) {
		hi = i + 1 < n ? edges[i + 1] : UINT64_MAX;
		jit_format_duration(edges[i], a, sizeof(a));
		jit_format_duration(hi, b, sizeof(b));
		if (i == 0)
			snprintf(label, sizeof(label), "<%s", b);
		else if (i + 1 == n)
			snprintf(label, sizeof(label), ">%s", a);
		else
			snprintf(label, sizeof(label), "%s-%s", a, b);
		json_array_append_new(out, json_pack("{ss sI sI sb}", "label",
		    label, "from", (json_int_t)edges[i], "count",
		    (json_int_t)hist_range(&R->latency, edges[i], hi),
		    "under_min_review", edges[i] < min));
	}
	return out;
}

static json_t *
verdict(const json_t *findings)
{
	size_t i, n[4] = { 0, 0, 0, 0 };
	char text[160];
	json_t *f;

	json_array_foreach(findings, i, f)
		n[sev_rank(json_string_value(json_object_get(f, "severity")))]++;
	if (n[0] > 0)
		snprintf(text, sizeof(text), "Action needed: %zu high-severity "
		    "finding%s", n[0], n[0] == 1 ? "" : "s");
	else if (n[1] > 0)
		snprintf(text, sizeof(text), "Review needed: %zu finding%s of "
		    "medium severity", n[1], n[1] == 1 ? "" : "s");
	else if (n[2] > 0)
		snprintf(text, sizeof(text), "No urgent findings: %zu to tidy "
		    "up", n[2]);
	else
		snprintf(text, sizeof(text), "No findings");
	return json_pack("{ss sI sI sI}", "text", text, "high",
	    (json_int_t)n[0], "medium", (json_int_t)n[1], "low",
	    (json_int_t)n[2]);
}

static json_t *
review_settings(const struct rep *R)
{
	json_t *hours = json_array();
	size_t i;

	for (i = 0; i < jpolicy_review_nhours(R->p); i++)
		json_array_append_new(hours,
		    json_string(jpolicy_review_hours(R->p, i)));
	return json_pack("{so ss sI sI sI sI sb}", "business_hours", hours,
	    "timezone", jpolicy_review_timezone(R->p), "min_review",
	    (json_int_t)jpolicy_review_min_review(R->p), "standing_after",
	    (json_int_t)jpolicy_review_standing_after(R->p), "krl_refresh",
	    (json_int_t)jpolicy_review_krl_refresh(R->p), "refused_spike",
	    (json_int_t)jpolicy_review_refused_spike(R->p), "recorded_hosts",
	    R->hosts_enrolled);
}

static int
cmp_strp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The index of a name known to be there. */
static uint32_t
name_ix(const struct rep *R, const char *s)
{
	uint64_t h;
	long i;

	for (h = hash_str(s, 0); (i = map_get(&R->names_ix, h)) >= 0;
	    h = mix(h + 1))
		if (strcmp(R->names[i], s) == 0)
			return (uint32_t)i;
	return 0;
}

static json_t *
summary(const struct rep *R)
{
	json_t *per_role = json_object(), *s;
	const char **ix;
	size_t i, n = 0;

	s = json_pack("{sI sI sI sI sI sI sI sI sI sI sI so so}",
	    "requests", (json_int_t)R->requests,
	    "approvals", (json_int_t)R->approvals,
	    "denials", (json_int_t)R->denials,
	    "withdrawals", (json_int_t)R->withdrawals,
	    "expiries", (json_int_t)R->expiries,
	    "issuances", (json_int_t)R->issuances,
	    "revocations", (json_int_t)R->revocations,
	    "break_glass", (json_int_t)R->break_glass,
	    "sessions", (json_int_t)R->sessions,
	    "auth_failures", (json_int_t)R->fails,
	    "lockouts", (json_int_t)R->lockouts,
	    "approval_latency", figures(&R->latency),
	    "time_to_first_use", figures(&R->first_use));
	if (s != NULL) {
		/* Refusals past the cap on users and addresses tallied. */
		json_object_set_new(s, "refusals_untallied",
		    json_integer((json_int_t)R->untallied));
		json_object_set_new(json_object_get(s, "time_to_first_use"),
		    "certificates", json_integer((json_int_t)R->certs_done));
		json_object_set_new(json_object_get(s, "time_to_first_use"),
		    "used", json_integer((json_int_t)R->certs_used));
	}
	/* In name order. */
	if ((ix = calloc(R->nnames + 1, sizeof(*ix))) != NULL) {
		for (i = 0; i < R->nnames; i++)
			if (R->role_issued[i] > 0)
				ix[n++] = R->names[i];
		qsort(ix, n, sizeof(*ix), cmp_strp);
		for (i = 0; i < n; i++)
			json_object_set_new(per_role, ix[i], json_integer(
			    (json_int_t)R->role_issued[name_ix(R, ix[i])]));
		free(ix);
	}
	json_object_set_new(s, "issuances_per_role", per_role);
	return s;
}


int
rep_model(struct rep *R, json_t **mp)
{
	const struct ca_report_opts *o = R->o;
	json_t *m, *list = NULL, *left_out = NULL;
	char hash[65];
	int r;

	*mp = NULL;
	if ((r = all_findings(R, &list, &left_out)) != 0)
		return r;
	ca_hex(R->last_hash, 32, hash);
	m = json_pack("{ss s{so so ss} s{sI sI sI ss} so so so so so so so so "
	    "so}",
	    "title", "jit-ssh access review",
	    "period", "since", jtime(o->since), "until", jtime(o->until),
	    "timezone", jpolicy_review_timezone(R->p),
	    "log", "events", (json_int_t)R->events, "first_seq",
	    (json_int_t)R->first_seq, "last_seq", (json_int_t)R->last_seq,
	    "last_hash", R->events > 0 ? hash : "",
	    "review", review_settings(R),
	    "verdict", verdict(list),
	    "summary", summary(R),
	    "issuances_per_day", per_day(R),
	    "access_by_hour", heat_map(R),
	    "approval_latency_histogram", latency_histogram(R),
	    "findings", list,
	    "left_out", left_out,
	    "notes", json_pack("[ss]", "times are UTC; the charts use "
	    "review.timezone", "each finding's seqs are events of "
	    "`jit-ssh-ca audit` (the first 20)"));
	if (m == NULL)
		return JIT_ERR_ALLOC;
	*mp = m;
	return 0;
}

const char *
ca_report_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

unsigned long long
ca_report_num(const json_t *o, const char *key)
{
	return (unsigned long long)json_integer_value(json_object_get(o, key));
}

int
ca_report_durations(const json_t *h, char med[32], char p90[32],
    char max[32])
{
	if (ca_report_num(h, "count") == 0)
		return 0;
	jit_format_duration(ca_report_num(h, "median"), med, 32);
	jit_format_duration(ca_report_num(h, "p90"), p90, 32);
	jit_format_duration(ca_report_num(h, "max"), max, 32);
	return 1;
}
