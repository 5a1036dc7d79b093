/*
 * notify.h: the policy's notify.command, told every lifecycle event
 * (request, approve, deny, expire, issue, break-glass, lockout, revoke,
 * remind, escalate, lock, unlock) that reaches the log, whoever wrote it,
 * once and in log order.  The service's main loop calls notify_follow().
 */
#ifndef JIT_CA_NOTIFY_H
#define JIT_CA_NOTIFY_H

#include <stdint.h>

struct svc;

/* Where the notifier has read the log to; zeroed before the first call. */
struct notifier {
	uint64_t seq;		/* the last event told */
	uint64_t ms;		/* when it last looked (monotonic) */
	int started;
};

/*
 * Runs the command for each event added since the last call, each in the
 * background with the event as one JSON line on stdin (the first call only
 * marks the log's end: no replay of history).  At most 16 runs at once;
 * the rest waits for a later call, never dropped.
 */
void notify_follow(struct svc *s, struct notifier *n);

#endif /* JIT_CA_NOTIFY_H */
