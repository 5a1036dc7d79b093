/*
 * sweep.c: the service's timer for waiting requests.  Reminders and
 * escalations are events in the log (a "remind" or "escalate" per request,
 * at most once each, marked on the request in the same commit), so the
 * notifier tells notify.command and a restart does not repeat them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calog.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jpolicy.h"
#include "jstore.h"
#include "svc.h"
#include "sweep.h"

#define SWEEP_MAX		64	/* marks per sweep; the rest next time */

struct mark {
	char id[JSTORE_REQUEST_ID_LEN + 1];
	unsigned flag;
	char note[512];
};

struct sweep {
	struct jpolicy *p;
	uint64_t now;
	int due;		/* something is past its expiry */
	struct mark marks[SWEEP_MAX];
	size_t n;
};

/* "a, b" of a role's escalation groups, into buf. */
static void
escalate_groups(const struct jpolicy *p, const char *role, char *buf,
    size_t len)
{
	size_t i, off = 0;
	int w;

	buf[0] = '\0';
	for (i = 0; i < jpolicy_role_nescalate_groups(p, role); i++) {
		w = snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
		    jpolicy_role_escalate_group(p, role, i));
		if (w < 0 || (size_t)w >= len - off)
			break;
		off += (size_t)w;
	}
}

/* Queues a mark of flag for r, its note from fmt. */
static void add_mark(struct sweep *sw, const struct jstore_request *r,
    unsigned flag, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
add_mark(struct sweep *sw, const struct jstore_request *r, unsigned flag,
    const char *fmt, ...)
{
	struct mark *m;
	va_list ap;

	if (sw->n == SWEEP_MAX)
		return;		/* the next sweep */
	m = &sw->marks[sw->n++];
	snprintf(m->id, sizeof(m->id), "%s", r->id);
	m->flag = flag;
	va_start(ap, fmt);
	vsnprintf(m->note, sizeof(m->note), fmt, ap);
	va_end(ap);
}

static int
sweep_one(const struct jstore_request *r, void *arg)
{
	struct sweep *sw = arg;
	struct jpolicy_role_info info;
	char waited[32], groups[256];
	uint64_t age;

	if (r->expires <= sw->now)
		sw->due = 1;
	if (r->state != JSTORE_REQ_PENDING || r->expires <= sw->now ||
	    jpolicy_role_info(sw->p, r->role, &info) != 0)
		return 0;
	age = sw->now > r->created ? sw->now - r->created : 0;
	jpolicy_format_duration(age, waited, sizeof(waited));
	if (info.remind_after != 0 && age >= info.remind_after &&
	    !(r->flags & JSTORE_REQ_REMINDED))
		add_mark(sw, r, JSTORE_REQ_REMINDED, "not decided after %s: "
		    "%zu of %u approval(s) from %s", waited,
		    jit_list_count(r->approvers), r->quorum, r->approver_groups);
	if (info.escalate_after != 0 && age >= info.escalate_after &&
	    !(r->flags & JSTORE_REQ_ESCALATED)) {
		escalate_groups(sw->p, r->role, groups, sizeof(groups));
		add_mark(sw, r, JSTORE_REQ_ESCALATED, "not decided after %s: "
		    "now %s may approve too", waited, groups);
	}
	return 0;
}

void
sweep_requests(struct svc *s, uint64_t every_ms, uint64_t *last_ms)
{
	struct sweep *sw;
	uint64_t ms = jit_monotonic_ms();
	unsigned n = 0;
	size_t i;
	int r;

	if (*last_ms != 0 && ms - *last_ms < every_ms)
		return;
	*last_ms = ms;
	if ((sw = calloc(1, sizeof(*sw))) == NULL)
		return;
	sw->now = jit_now();
	sw->p = svc_policy_get(s);
	r = jstore_request_list_open(s->store, NULL, sweep_one, sw);
	svc_policy_put(s, sw->p);
	if (r != 0)
		ca_log("requests: reading the open ones: %s", jit_strerror(r));
	/* Writes only when there is something to write. */
	if (sw->due && (r = jstore_request_expire(s->store, sw->now,
	    &n)) != 0)
		ca_log("requests: expiring: %s", jit_strerror(r));
	else if (n > 0)
		ca_log("requests: %u expired", n);
	for (i = 0; i < sw->n; i++) {
		r = jstore_request_mark(s->store, sw->marks[i].id,
		    sw->marks[i].flag, sw->marks[i].note, sw->now);
		if (r == 0)
			ca_log("request %s: %s: %s", sw->marks[i].id,
			    sw->marks[i].flag == JSTORE_REQ_REMINDED ?
			    "reminder" : "escalated", sw->marks[i].note);
		else if (r != JIT_ERR_EXISTS && r != JIT_ERR_REQUEST_DECIDED)
			ca_log("request %s: marking: %s", sw->marks[i].id,
			    jit_strerror(r));
	}
	free(sw);
}
