/*
 * gcommit.c: group commit: concurrent writers share one durable
 * transaction, whatever the backend.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>

#include "gcommit.h"

#define GATHER_NS	300000L		/* 0.3 ms for the last batch's writers */

#define GATHER_BUSY_NS	8000000L	/* 8 ms while other clients keep busy */

#define GATHER_MAX	32		/* never wait for more than this */

void
gcommit_init(struct gcommit *g, void (*commit)(void *, struct gc_writer *),
    void (*after)(void *), void *ctx)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	g->commit = commit;
	g->after = after;
	g->ctx = ctx;
	g->queue = g->tail = NULL;
	g->leader = g->gathering = 0;
	g->queued = g->last_batch = g->gather_want = 0;
	atomic_init(&g->clients, 0);
	g->spare = 4 * (unsigned)(ncpu > 0 ? ncpu : 1);
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->qcond, NULL);
}

void
gcommit_destroy(struct gcommit *g)
{
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->qcond);
}

/*
 * When the last batch was shared, more writers are about: wait a moment for
 * them, or the new leader commits alone and the others wait a whole commit
 * more.  Called with lock held; a lone writer never waits.
 *
 * Every durable commit costs page writes and two flushes, and on a virtual
 * disk these cost the machine far more than a few ms of waiting: at 32
 * concurrent logins on 2 cores, committing ~10 at a time instead of ~5 gave
 * the CA 3-9 more points of the bare server's throughput and a lower p99.
 * But a writer waiting here is a client not using the CPU: with 8 clients
 * the same wait starved the machine (58% instead of 79%).  So the long wait
 * applies only while at least `spare` (4 per CPU) other clients of the
 * owner, as told by gcommit_set_clients(), still have work to do; otherwise
 * the leader waits up to 0.3 ms for the last batch's writers to return.
 */
static void
gather(struct gcommit *g)
{
	struct timespec deadline;
	unsigned clients = atomic_load(&g->clients);
	long ns = GATHER_NS;

	g->gather_want = g->last_batch;
	if (clients > g->spare + 1) {
		g->gather_want = clients - g->spare;
		if (g->gather_want > GATHER_MAX)
			g->gather_want = GATHER_MAX;
		ns = GATHER_BUSY_NS;
	}
	if (g->last_batch <= 1 || g->queued >= g->gather_want)
		return;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += ns / 1000000000L;
	deadline.tv_nsec += ns % 1000000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	g->gathering = 1;
	while (g->queued < g->gather_want &&
	    pthread_cond_timedwait(&g->qcond, &g->lock, &deadline) == 0)
		;
	g->gathering = 0;
}

void
gcommit_set_clients(struct gcommit *g, unsigned n)
{
	atomic_store(&g->clients, n);
}

/*
 * Runs op inside a write transaction shared with whatever other threads
 * queued meanwhile; returns when that transaction is durable (or failed).
 * The first waiter becomes the leader and commits for everybody queued.
 * Each writer sleeps on its own condition: the leader wakes exactly the
 * writers it answered, then the head of the queue to lead the next batch
 * (a broadcast would wake everybody queued, only to sleep again).
 */
int
gcommit_run(struct gcommit *g, void *op)
{
	struct gc_writer p = { op, 0, 0, NULL, PTHREAD_COND_INITIALIZER };
	struct gc_writer *batch, *q, *next;

	pthread_mutex_lock(&g->lock);
	if (g->tail != NULL)
		g->tail->next = &p;
	else
		g->queue = &p;
	g->tail = &p;
	g->queued++;
	if (g->gathering && g->queued >= g->gather_want)
		pthread_cond_signal(&g->qcond);
	while (!p.done) {
		if (g->leader) {
			pthread_cond_wait(&p.wake, &g->lock);
			continue;
		}
		g->leader = 1;
		gather(g);
		batch = g->queue;
		g->last_batch = g->queued;
		g->queue = g->tail = NULL;
		g->queued = 0;
		pthread_mutex_unlock(&g->lock);
		g->commit(g->ctx, batch);
		pthread_mutex_lock(&g->lock);
		for (q = batch; q != NULL; q = next) {
			next = q->next;	/* q may vanish once done is seen */
			q->done = 1;
			if (q != &p)
				pthread_cond_signal(&q->wake);
		}
		/* Still the leader, but the batch is answered. */
		if (g->after != NULL) {
			pthread_mutex_unlock(&g->lock);
			g->after(g->ctx);
			pthread_mutex_lock(&g->lock);
		}
		g->leader = 0;
		if (g->queue != NULL)
			pthread_cond_signal(&g->queue->wake);
	}
	pthread_mutex_unlock(&g->lock);
	pthread_cond_destroy(&p.wake);
	return p.result;
}
