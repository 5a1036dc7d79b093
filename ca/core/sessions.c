/*
 * sessions.c: recorded sessions, listed from their events (the start and
 * the end of each, found through the request-id index) and the store's
 * record of each recording; a recording exported as it was stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jit-verbs.h"
#include "jstore.h"
#include "jtext.h"
#include "textout.h"
#include "sessions.h"

int
ca_sessions_args(const struct jit_args *a, struct ca_sessions_filter *f,
    char *err, size_t errlen)
{
	struct jstore_filter jf;
	int mode = 0;

	memset(f, 0, sizeof(*f));
	/* user, serial, since, until, json: the audit filters' parser. */
	if (ca_audit_args(a, &jf, &mode, err, errlen) != 0)
		return -1;
	f->user = jf.user;
	f->serial = jf.serial;
	f->since = jf.since;
	f->until = jf.until;
	f->json = jit_flag(a, "json");
	f->host = jit_arg(a, "host");
	return 0;
}

/*
 * One session: its start event (valid during the listing's callback), the
 * facts of its end (copied: they come from a query of their own), and the
 * store's record of the recording (its size).
 */
struct row {
	const struct jstore_event *start;
	char end_reason[512], sha[64];
	uint64_t ended, end_seq;
	int has_end;
	struct jstore_session rec;
};

static int
take_end(const struct jstore_event *ev, void *arg)
{
	struct row *r = arg;

	if (strcmp(ev->event, "session-end") != 0)
		return 0;
	r->has_end = 1;
	r->end_seq = ev->seq;
	r->ended = ev->valid_before;
	snprintf(r->end_reason, sizeof(r->end_reason), "%s", ev->reason);
	snprintf(r->sha, sizeof(r->sha), "%s", ev->fingerprint);
	return 0;
}

static int
row_from(struct jstore *st, const struct jstore_event *ev, struct row *r)
{
	struct jstore_filter f;
	int rc;

	memset(r, 0, sizeof(*r));
	r->start = ev;
	memset(&f, 0, sizeof(f));
	f.request_id = ev->request_id;
	if ((rc = jstore_query(st, &f, take_end, r)) != 0)
		return rc;
	if ((rc = jstore_session_get(st, ev->request_id, &r->rec)) != 0 &&
	    rc != JIT_ERR_NOT_FOUND)
		return rc;
	return 0;
}

/* "ACCOUNT@HOST" into its halves. */
static void
account_host(const char *ph, char *acct, size_t alen, const char **hostp)
{
	const char *at = strrchr(ph, '@');

	snprintf(acct, alen, "%.*s", at != NULL ? (int)(at - ph) :
	    (int)strlen(ph), ph);
	*hostp = at != NULL ? at + 1 : "";
}

struct list_ctx {
	struct jstore *st;
	const struct ca_sessions_filter *f;
	FILE *out;
	unsigned long n;
};

static int
print_json(FILE *out, const struct row *r, const char *acct,
    const char *host)
{
	json_t *j;
	char *s, t1[32], t2[32];

	const struct jstore_event *ev = r->start;

	jit_format_time(ev->valid_after, t1, sizeof(t1));
	if (r->has_end)
		jit_format_time(r->ended, t2, sizeof(t2));
	j = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
	    "s:s?, s:s?, s:s?, s:I, s:I, s:o?}",
	    "session", ev->request_id, "status", r->has_end ? "ended" :
	    "running", "serial", (json_int_t)ev->serial, "key_id", ev->key_id,
	    "user", ev->user, "role", ev->role, "host", host, "account", acct,
	    "source", ev->source, "command", ev->reason, "started", t1,
	    "ended", r->has_end ? t2 : NULL,
	    "end", r->has_end ? r->end_reason : NULL,
	    "size", (json_int_t)r->rec.size, "start_seq", (json_int_t)ev->seq,
	    "end_seq", r->has_end ? json_integer((json_int_t)r->end_seq) : NULL);
	if (j != NULL && r->has_end)
		json_object_set_new(j, "sha256", json_string(r->sha));
	if (j == NULL || (s = json_dumps(j, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)) == NULL) {
		json_decref(j);
		return JIT_ERR_ALLOC;
	}
	fprintf(out, "%s\n", s);
	free(s);
	json_decref(j);
	return 0;
}

static int
list_one(const struct jstore_event *ev, void *arg)
{
	struct list_ctx *c = arg;
	struct row r;
	char acct[128], t[32], dur[32], size[24], serial[24];
	const char *host;
	int rc;

	if (strcmp(ev->event, "session-start") != 0)
		return 0;
	if ((rc = row_from(c->st, ev, &r)) != 0)
		return rc;
	account_host(ev->principals, acct, sizeof(acct), &host);
	if (c->f->host != NULL && strcmp(c->f->host, host) != 0)
		return 0;
	if (c->f->json)
		rc = print_json(c->out, &r, acct, host);
	else {
		if (c->n == 0)
			fprintf(c->out, "%-18s %-20s %-8s %-12s %-10s %-7s "
			    "%-16s %-10s %-9s %s\n", "SESSION", "STARTED",
			    "LASTED", "USER", "ROLE", "SERIAL", "HOST",
			    "ACCOUNT", "BYTES", "END");
		jit_format_time(ev->valid_after, t, sizeof(t));
		if (r.has_end && r.ended >= ev->valid_after)
			jit_format_duration(r.ended - ev->valid_after, dur,
			    sizeof(dur));
		else
			snprintf(dur, sizeof(dur), "running");
		snprintf(size, sizeof(size), "%llu",
		    (unsigned long long)r.rec.size);
		snprintf(serial, sizeof(serial), "%llu",
		    (unsigned long long)ev->serial);
		ca_table_cell(c->out, ev->request_id, 18);
		ca_table_cell(c->out, t, 20);
		ca_table_cell(c->out, dur, 8);
		ca_table_cell(c->out, ev->user, 12);
		ca_table_cell(c->out, ev->role, 10);
		ca_table_cell(c->out, serial, 7);
		ca_table_cell(c->out, host, 16);
		ca_table_cell(c->out, acct, 10);
		ca_table_cell(c->out, size, 9);
		ca_table_cell(c->out, r.has_end ? r.end_reason : "", 0);
		fputc('\n', c->out);
	}
	c->n++;
	return rc;
}

int
ca_sessions_print(struct jstore *st, const struct ca_sessions_filter *f,
    FILE *out)
{
	struct list_ctx c = { st, f, out, 0 };
	struct jstore_filter jf;
	int r;

	memset(&jf, 0, sizeof(jf));
	jf.event = "session-start";
	jf.user = f->user;
	jf.serial = f->serial;
	jf.since = f->since;
	jf.until = f->until;
	if ((r = jstore_query(st, &jf, list_one, &c)) != 0)
		return r;
	if (!f->json && c.n == 0)
		fprintf(stderr, "no matching sessions\n");
	return 0;
}

static int
put_chunk(const unsigned char *p, size_t len, void *arg)
{
	return fwrite(p, 1, len, arg) == len ? 0 : JIT_ERR_SYSTEM;
}

int
ca_session_export(struct jstore *st, const char *id, FILE *out)
{
	if (!jstore_session_id_ok(id))
		return JIT_ERR_INVALID_ARGUMENT;
	return jstore_session_read(st, id, put_chunk, out);
}

static int
is_it(uint64_t serial, const char *key_id, void *arg)
{
	(void)key_id;
	return serial == *(uint64_t *)arg ? 1 : 0;
}

int
ca_serial_revoked(struct jstore *st, uint64_t serial)
{
	return jstore_revoked(st, jit_now(), is_it, &serial, NULL);
}
