/*
 * audit.c: the audit trail as people and programs read it: the filter
 * flags (shared by `jit-ssh-ca audit` and the service's `audit`), and
 * printing as a table, JSON Lines (the contract's field names,
 * docs/PROTOCOL.md "Audit JSON fields") or CSV.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"
#include "calog.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jit-verbs.h"
#include "jstore.h"
#include "jtext.h"
#include "textout.h"
#include "timefmt.h"

enum { OUT_TABLE, OUT_JSON, OUT_CSV };


struct out_ctx {
	int mode;
	unsigned long n;
	FILE *f;
	struct jstore *st;
};

struct used {
	unsigned n;
	char *hosts;
	size_t len;
};

static int
count_use(const struct jstore_event *ev, void *arg)
{
	struct used *u = arg;
	const char *at;
	size_t have;

	if (strcmp(ev->event, "session-start") != 0)
		return 0;
	u->n++;
	at = strrchr(ev->principals, '@');
	at = at != NULL ? at + 1 : ev->principals;
	/* Each host once. */
	have = strlen(u->hosts);
	if (strstr(u->hosts, at) == NULL && have + strlen(at) + 2 < u->len)
		snprintf(u->hosts + have, u->len - have, "%s%s",
		    have > 0 ? "," : "", at);
	return 0;
}

/* How many recorded sessions used serial, and where (a list). */
static int
sessions_of_serial(struct jstore *st, uint64_t serial, unsigned *np,
    char *hosts, size_t len)
{
	struct used u = { 0, hosts, len };
	struct jstore_filter f;
	int r;

	hosts[0] = '\0';
	memset(&f, 0, sizeof(f));
	f.serial = serial;
	r = jstore_query(st, &f, count_use, &u);
	*np = u.n;
	return r;
}

/*
 * An issuance's use: the recorded sessions with its serial (from their
 * session-start events), as JSON fields or a note after the reason.
 */
static int
usage_of(const struct out_ctx *o, const struct jstore_event *ev,
    unsigned *np, char *hosts, size_t len)
{
	*np = 0;
	hosts[0] = '\0';
	if (strcmp(ev->event, "issue") != 0 || ev->serial == 0 || o->st == NULL)
		return 0;
	return sessions_of_serial(o->st, ev->serial, np, hosts, len);
}

static int
print_event(const struct jstore_event *ev, void *arg)
{
	struct out_ctx *o = arg;
	char t[32], vb[32], serial[24], seq[24], h[65], hosts[512];
	unsigned used = 0;
	json_t *j;
	char *s;

	jit_format_time(ev->time, t, sizeof(t));
	if (ev->valid_before != 0)
		jit_format_time(ev->valid_before, vb, sizeof(vb));
	else
		strcpy(vb, "");
	snprintf(serial, sizeof(serial), "%llu", (unsigned long long)ev->serial);
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)ev->seq);
	switch (o->mode) {
	case OUT_JSON:
		if ((j = ca_event_json(ev)) != NULL &&
		    strcmp(ev->event, "issue") == 0 &&
		    usage_of(o, ev, &used, hosts, sizeof(hosts)) == 0) {
			json_t *hl = json_array();
			char *hp, *save = NULL;

			for (hp = strtok_r(hosts, ",", &save); hp != NULL;
			    hp = strtok_r(NULL, ",", &save))
				json_array_append_new(hl, json_string(hp));
			json_object_set_new(j, "sessions", json_integer(used));
			json_object_set_new(j, "hosts", hl);
		}
		if (j == NULL ||
		    (s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER)) ==
		    NULL) {
			json_decref(j);
			return JIT_ERR_ALLOC;
		}
		fprintf(o->f, "%s\n", s);
		free(s);
		json_decref(j);
		break;
	case OUT_CSV:
		ca_hex(ev->hash, 32, h);
		ca_csv_field(o->f, seq, 0);
		ca_csv_field(o->f, t, 0);
		ca_csv_field(o->f, ev->event, 0);
		ca_csv_field(o->f, ev->user, 0);
		ca_csv_field(o->f, ev->role, 0);
		ca_csv_field(o->f, ev->serial ? serial : "", 0);
		ca_csv_field(o->f, ev->key_id, 0);
		ca_csv_field(o->f, ev->principals, 0);
		if (ev->valid_after != 0)
			jit_format_time(ev->valid_after, t, sizeof(t));
		ca_csv_field(o->f, ev->valid_after ? t : "", 0);
		ca_csv_field(o->f, vb, 0);
		ca_csv_field(o->f, ev->fingerprint, 0);
		ca_csv_field(o->f, ev->source, 0);
		ca_csv_field(o->f, ca_event_is_decision(ev) ? "" : ev->reason, 0);
		ca_csv_field(o->f, ca_event_is_decision(ev) ? ev->reason : "", 0);
		ca_csv_field(o->f, ev->request_id, 0);
		ca_csv_field(o->f, ev->approvers, 0);
		ca_csv_field(o->f, h, 1);
		break;
	default:
		if (o->n == 0)
			fprintf(o->f, "%-6s %-20s %-13s %-12s %-12s %-7s %-16s "
			    "%-20s %-21s %-14s %s\n", "SEQ", "TIME", "EVENT",
			    "USER", "ROLE", "SERIAL", "PRINCIPALS", "VALID UNTIL",
			    "SOURCE", "APPROVERS", "REASON/COMMENT");
		ca_table_cell(o->f, seq, 6);
		ca_table_cell(o->f, t, 20);
		ca_table_cell(o->f, ev->event, 13);
		ca_table_cell(o->f, ev->user, 12);
		ca_table_cell(o->f, ev->role, 12);
		ca_table_cell(o->f, ev->serial ? serial : "", 7);
		ca_table_cell(o->f, ev->principals, 16);
		ca_table_cell(o->f, vb, 20);
		ca_table_cell(o->f, ev->source, 21);
		ca_table_cell(o->f, ev->approvers, 14);
		ca_table_cell(o->f, ev->reason, 0);
		if (usage_of(o, ev, &used, hosts, sizeof(hosts)) == 0 &&
		    used > 0)
			fprintf(o->f, " [used: %u session%s on %s]", used,
			    used == 1 ? "" : "s", hosts);
		fputc('\n', o->f);
		break;
	}
	o->n++;
	return 0;
}

static int
ca_audit_option(struct jstore_filter *f, int *mode, const char *name,
    const char *val, char *err, size_t errlen)
{
	uint64_t now = jit_now(), *tp;
	char *end;

	if (strcmp(name, "json") == 0 || strcmp(name, "csv") == 0) {
		if (*mode != OUT_TABLE && *mode != (name[0] == 'j' ? OUT_JSON :
		    OUT_CSV)) {
			snprintf(err, errlen, "--json and --csv do not go "
			    "together");
			return -1;
		}
		*mode = name[0] == 'j' ? OUT_JSON : OUT_CSV;
	} else if (val == NULL) {
		snprintf(err, errlen, "--%s needs a value", name);
		return -1;
	} else if (strcmp(name, "user") == 0)
		f->user = val;
	else if (strcmp(name, "role") == 0)
		f->role = val;
	else if (strcmp(name, "request") == 0)
		f->request_id = val;
	else if (strcmp(name, "event") == 0) {
		if (!jstore_event_known(val)) {
			const char *k;
			size_t i, n;

			n = (size_t)snprintf(err, errlen, "--event: unknown event "
			    "'%s' (one of:", val);
			for (i = 0; (k = jstore_event_name(i)) != NULL &&
			    n < errlen; i++)
				n += (size_t)snprintf(err + n, errlen - n, " %s", k);
			if (n < errlen)
				snprintf(err + n, errlen - n, ")");
			return -1;
		}
		f->event = val;
	} else if (strcmp(name, "serial") == 0) {
		f->serial = strtoull(val, &end, 10);
		if (*val < '1' || *val > '9' || *end != '\0') {
			snprintf(err, errlen, "--serial: '%s' is not a serial", val);
			return -1;
		}
	} else if (strcmp(name, "since") == 0 || strcmp(name, "until") == 0) {
		tp = name[0] == 's' ? &f->since : &f->until;
		if (ca_parse_time(val, now, tp) != 0) {
			snprintf(err, errlen, "--%s: '%s' is neither RFC 3339 "
			    "(2026-11-28T09:00:00Z) nor a duration ago (90m, 24h, "
			    "7d)", name, val);
			return -1;
		}
	} else if (strcmp(name, "limit") == 0) {
		f->limit = strtoull(val, &end, 10);
		if (*val < '1' || *val > '9' || *end != '\0' ||
		    f->limit > 1000000) {
			snprintf(err, errlen, "--limit: 1 to 1000000");
			return -1;
		}
	} else {
		snprintf(err, errlen, "unknown option --%s", name);
		return -1;
	}
	return 0;
}

int
ca_audit_args(const struct jit_args *a, struct jstore_filter *f, int *mode,
    char *err, size_t errlen)
{
	const struct jit_opt *o;
	const char *val;

	memset(f, 0, sizeof(*f));
	*mode = OUT_TABLE;
	for (o = a->verb->opts; o->name != NULL; o++) {
		/* --dir is the caller's, --host the sessions' (sessions.c). */
		if (strcmp(o->name, "dir") == 0 || strcmp(o->name, "host") == 0 ||
		    (val = a->val[o - a->verb->opts]) == NULL)
			continue;
		if (ca_audit_option(f, mode, o->name, o->value != NULL ? val :
		    NULL, err, errlen) != 0)
			return -1;
	}
	return 0;
}

int
ca_audit_print(struct jstore *st, const struct jstore_filter *f, int mode,
    FILE *out)
{
	struct out_ctx o = { mode, 0, out, st };
	int r;

	if (mode == OUT_CSV)
		fprintf(out, "seq,time,event,user,role,serial,key_id,principals,"
		    "valid_after,valid_before,fingerprint,source,reason,comment,"
		    "request_id,approvers,hash\n");
	if ((r = jstore_query(st, f, print_event, &o)) != 0) {
		ca_error("audit: %s", jit_strerror(r));
		return CA_EXIT_FAIL;
	}
	if (mode == OUT_TABLE && o.n == 0)
		fprintf(stderr, "no matching events\n");
	return CA_EXIT_OK;
}
