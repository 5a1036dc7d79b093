/*
 * sweep.h: the service's timer for requests that wait: it expires what is
 * due, and reminds approvers (approval.remind_after) or widens them
 * (approval.escalate) once per request, through the store (which the
 * notifier follows).
 */
#ifndef JIT_CA_SWEEP_H
#define JIT_CA_SWEEP_H

#include <stdint.h>

struct svc;

/*
 * Sweeps when every_ms (config.yaml's deadlines: sweep) have passed since
 * *last_ms (monotonic; 0 at first).
 */
void sweep_requests(struct svc *s, uint64_t every_ms, uint64_t *last_ms);

#endif /* JIT_CA_SWEEP_H */
