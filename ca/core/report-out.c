/*
 * report-out.c: the access review's options, its text rendering, and the
 * run: build the model, write it in the format asked for, and record the
 * run in the log with the SHA-256 of the model's JSON (the exact bytes
 * `--format json` prints).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "jit-err.h"
#include "jit-util.h"
#include "jit-verbs.h"
#include "jpolicy.h"
#include "jstore.h"
#include "report.h"
#include "textout.h"
#include "timefmt.h"

#define PERIOD_DEFAULT	(30ULL * 86400)

int
ca_report_args(const struct jit_args *a, uint64_t now,
    struct ca_report_opts *o, char *err, size_t errlen)
{
	const char *since = jit_arg(a, "since"), *until = jit_arg(a, "until");
	const char *fmt = jit_arg(a, "format");

	memset(o, 0, sizeof(*o));
	o->until = now;
	o->since = now > PERIOD_DEFAULT ? now - PERIOD_DEFAULT : 0;
	if (since != NULL && ca_parse_time(since, now, &o->since) != 0) {
		snprintf(err, errlen, "--since: '%s' is neither RFC 3339 "
		    "(2026-11-28T09:00:00Z) nor a duration ago (90m, 24h, 30d)",
		    since);
		return -1;
	}
	if (until != NULL && ca_parse_time(until, now, &o->until) != 0) {
		snprintf(err, errlen, "--until: '%s' is neither RFC 3339 "
		    "(2026-11-28T09:00:00Z) nor a duration ago (90m, 24h, 30d)",
		    until);
		return -1;
	}
	if (o->since > o->until) {
		snprintf(err, errlen, "--since is after --until");
		return -1;
	}
	if (o->until - o->since > 3650ULL * 86400) {
		snprintf(err, errlen, "a period of at most ten years");
		return -1;
	}
	if (fmt == NULL || strcmp(fmt, "text") == 0)
		o->format = CA_REPORT_TEXT;
	else if (strcmp(fmt, "json") == 0)
		o->format = CA_REPORT_JSON;
	else if (strcmp(fmt, "html") == 0)
		o->format = CA_REPORT_HTML;
	else {
		snprintf(err, errlen, "--format: text, json or html");
		return -1;
	}
	return 0;
}

/* Short names for the model's reads in this file. */
#define str	ca_report_str
#define num	ca_report_num

/* A JSON array of strings, joined by commas, into buf. */
static const char *
joined(const json_t *a, char *buf, size_t len)
{
	size_t i, n = 0;
	json_t *v;

	buf[0] = '\0';
	json_array_foreach(a, i, v) {
		if (json_is_integer(v))
			n += (size_t)snprintf(buf + n, len - n, "%s%lld",
			    i > 0 ? "," : "", (long long)json_integer_value(v));
		else
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
			    i > 0 ? "," : "", json_string_value(v));
		if (n >= len) {
			buf[len - 1] = '\0';
			break;
		}
	}
	return buf;
}

static void
figures(FILE *f, const char *what, const json_t *h)
{
	char a[32], b[32], c[32];

	if (!ca_report_durations(h, a, b, c)) {
		fprintf(f, "  %-18s none\n", what);
		return;
	}
	fprintf(f, "  %-18s median %s, p90 %s, max %s (%llu)\n", what, a, b, c,
	    num(h, "count"));
}

int
ca_report_text(const json_t *m, FILE *f)
{
	const json_t *period = json_object_get(m, "period");
	const json_t *log = json_object_get(m, "log");
	const json_t *v = json_object_get(m, "verdict");
	const json_t *s = json_object_get(m, "summary");
	const json_t *rv = json_object_get(m, "review");
	const json_t *fl = json_object_get(m, "findings"), *x;
	const char *key;
	char buf[1024];
	size_t i;

	fprintf(f, "jit-ssh access review\n");
	fprintf(f, "Period:   %s .. %s\n", str(period, "since"),
	    str(period, "until"));
	fprintf(f, "Log:      %llu events read (seq %llu..%llu, last hash "
	    "%.16s)\n", num(log, "events"), num(log, "first_seq"),
	    num(log, "last_seq"), str(log, "last_hash"));
	fprintf(f, "Review:   business hours %s (%s), min_review %llus, "
	    "standing_after %llus\n", joined(json_object_get(rv,
	    "business_hours"), buf, sizeof(buf)), str(rv, "timezone"),
	    num(rv, "min_review"), num(rv, "standing_after"));
	fprintf(f, "Verdict:  %s (%llu high, %llu medium, %llu low)\n\n",
	    str(v, "text"), num(v, "high"), num(v, "medium"), num(v, "low"));
	fprintf(f, "Summary\n");
	fprintf(f, "  requests %llu, approvals %llu, denials %llu, withdrawals "
	    "%llu, expiries %llu\n", num(s, "requests"), num(s, "approvals"),
	    num(s, "denials"), num(s, "withdrawals"), num(s, "expiries"));
	fprintf(f, "  issuances %llu, revocations %llu, break-glass %llu, "
	    "recorded sessions %llu\n", num(s, "issuances"),
	    num(s, "revocations"), num(s, "break_glass"), num(s, "sessions"));
	fprintf(f, "  auth failures %llu, lockouts %llu\n",
	    num(s, "auth_failures"), num(s, "lockouts"));
	figures(f, "approval latency", json_object_get(s, "approval_latency"));
	figures(f, "time to first use", json_object_get(s,
	    "time_to_first_use"));
	fprintf(f, "  issuances per role:");
	i = 0;
	json_object_foreach((json_t *)json_object_get(s, "issuances_per_role"),
	    key, x) {
		fprintf(f, "%s ", i++ > 0 ? "," : "");
		ca_table_cell(f, key, 0);
		fprintf(f, " %lld", (long long)json_integer_value(x));
	}
	fprintf(f, "%s\n\n", i == 0 ? " none" : "");
	fprintf(f, "Findings (%zu)\n", json_array_size(fl));
	if (json_array_size(fl) > 0)
		fprintf(f, "  %-8s %-15s %-12s %-12s %-16s %s\n", "SEVERITY",
		    "KIND", "USERS", "ROLES", "EVENTS (SEQ)", "DETAIL");
	json_array_foreach(fl, i, x) {
		const json_t *who = json_object_get(x, "users");

		if (json_array_size(who) == 0)
			who = json_object_get(x, "addresses");
		fprintf(f, "  ");
		ca_table_cell(f, str(x, "severity"), 8);
		ca_table_cell(f, str(x, "kind"), 15);
		ca_table_cell(f, joined(who, buf, sizeof(buf)), 12);
		ca_table_cell(f, joined(json_object_get(x, "roles"), buf,
		    sizeof(buf)), 12);
		ca_table_cell(f, joined(json_object_get(x, "seqs"), buf,
		    sizeof(buf)), 16);
		ca_table_cell(f, str(x, "detail"), 0);
		if (json_array_size(json_object_get(x, "requests")) > 0)
			fprintf(f, " [requests %s]", joined(json_object_get(x,
			    "requests"), buf, sizeof(buf)));
		fputc('\n', f);
	}
	if (json_object_size(json_object_get(m, "left_out")) > 0) {
		fprintf(f, "\nLeft out by review.exclude:");
		json_object_foreach((json_t *)json_object_get(m, "left_out"), key,
		    x)
			fprintf(f, " %s %lld", key, (long long)
			    json_integer_value(x));
		fputc('\n', f);
	}
	fprintf(f, "\nEach finding's events are in `audit` by seq; --format "
	    "html draws the charts.\n");
	return 0;
}

/* SHA-256 of the bytes as ssh-keygen writes fingerprints. */
static int
digest(const char *s, size_t len, char out[51])
{
	unsigned char d[32], b64[48];
	unsigned int n = 32;

	if (EVP_Digest(s, len, d, &n, EVP_sha256(), NULL) != 1)
		return JIT_ERR_LIBCRYPTO;
	EVP_EncodeBlock(b64, d, 32);
	snprintf(out, 51, "SHA256:%.43s", (const char *)b64);
	return 0;
}

int
ca_report_run(struct jstore *st, const struct jpolicy *p,
    const struct ca_report_opts *o, FILE *out, const char **whatp)
{
	static const char *const fmt_name[] = { "text", "json", "html" };
	struct jstore_event ev;
	json_t *m = NULL, *v;
	char *js = NULL, *t, fp[51], reason[256];
	size_t len;
	int r;

	*whatp = "reading the log";
	if ((r = ca_report_build(st, p, o, &m)) != 0)
		return r;
	*whatp = "writing the report";
	if ((js = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) ==
	    NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	/* The digest is of the bytes --format json prints, newline included. */
	len = strlen(js);
	if ((t = realloc(js, len + 2)) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	js = t;
	memcpy(js + len, "\n", 2);
	if ((r = digest(js, len + 1, fp)) != 0)
		goto out;
	if (o->format == CA_REPORT_JSON)
		fputs(js, out);
	else if (o->format == CA_REPORT_HTML)
		r = ca_report_html(st, m, out);
	else
		r = ca_report_text(m, out);
	if (r == 0 && (fflush(out) != 0 || ferror(out)))
		r = JIT_ERR_SYSTEM;
	if (r != 0)
		goto out;
	/* "The review was done" is on record too. */
	*whatp = "recording the report";
	v = json_object_get(m, "verdict");
	snprintf(reason, sizeof(reason), "%s report: %lld high, %lld medium, "
	    "%lld low", fmt_name[o->format],
	    (long long)json_integer_value(json_object_get(v, "high")),
	    (long long)json_integer_value(json_object_get(v, "medium")),
	    (long long)json_integer_value(json_object_get(v, "low")));
	memset(&ev, 0, sizeof(ev));
	ev.event = "report";
	ev.user = o->by;
	ev.source = o->source;
	ev.valid_after = o->since;
	ev.valid_before = o->until;
	ev.fingerprint = fp;
	ev.reason = reason;
	r = jstore_append(st, &ev, 1);
 out:
	free(js);
	json_decref(m);
	return r;
}
