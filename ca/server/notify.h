/*
 * notify.h: the policy's notify.command, told every lifecycle event
 * (request, approve, deny, expire, issue, break-glass, lockout, revoke,
 * remind, escalate, lock, unlock) that reaches the log, whoever wrote it,
 * once and in log order.  The service's main loop calls notify_follow().
 */
#ifndef JIT_CA_NOTIFY_H
#define JIT_CA_NOTIFY_H

#include <stdint.h>

struct jpolicy;
struct jstore;
struct jstore_event;

/* Where the notifier has read the log to; zeroed before the first call. */
struct notifier {
	uint64_t seq;		/* the last event told */
	uint64_t ms;		/* when it last looked (monotonic) */
	int started;
};

/*
 * Runs p's notify.command (none: nothing) for each lifecycle event st's log got
 * since the last call (the first call only marks the log's end: no replay
 * of history), in log order.  At most 16 runs at once; the rest waits for
 * a later call, never dropped.
 */
void notify_follow(struct notifier *n, struct jstore *st,
    const struct jpolicy *p);

/*
 * Runs argv (no shell) in the background with ev as one JSON line on its
 * stdin; killed after 5 s; a failure is logged.  A request, remind or
 * escalate event also says who may decide it under policy p
 * ("may_approve": the users, the requester left out).  -1 (nothing
 * started) while 16 runs are still going, else 0.
 */
int notify_run(char *const *argv, const struct jstore_event *ev,
    const struct jpolicy *p);

#endif /* JIT_CA_NOTIFY_H */
