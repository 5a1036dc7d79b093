/*
 * commit.c: group commit: concurrent writers share one durable transaction.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jstore.h"
#include "lmdb-store.h"
#include "store-impl.h"

#define GATHER_NS	300000L		/* 0.3 ms for the last batch's writers */

#define GATHER_BUSY_NS	8000000L	/* 8 ms while other clients keep busy */

#define GATHER_MAX	32		/* never wait for more than this */

/* One request in a transaction of its own (the slow, isolating path). */
static void
commit_one(struct store_be *s, struct pending *p)
{
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0) {
		p->result = store_mdb_err(rc);
		return;
	}
	if ((p->result = p->fn(s, txn, p->arg)) != 0) {
		mdb_txn_abort(txn);
		return;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		p->result = store_mdb_err(rc);
}

/*
 * Applies a batch in one durable transaction, each request in a nested
 * transaction of its own: a request that fails, for whatever reason and
 * however far it got, is rolled back alone and the others go on.
 */
static void
commit_batch(struct store_be *s, struct pending *batch)
{
	struct pending *p;
	MDB_txn *txn = NULL, *child;
	int rc, any = 0;

	if (batch->next == NULL) {
		commit_one(s, batch);
		return;
	}
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0) {
		for (p = batch; p != NULL; p = p->next)
			p->result = store_mdb_err(rc);
		return;
	}
	for (p = batch; p != NULL; p = p->next) {
		if ((rc = mdb_txn_begin(s->env, txn, 0, &child)) != 0) {
			p->result = store_mdb_err(rc);
			continue;
		}
		if ((p->result = p->fn(s, child, p->arg)) != 0) {
			mdb_txn_abort(child);
			continue;
		}
		if ((rc = mdb_txn_commit(child)) != 0) {
			p->result = store_mdb_err(rc);
			continue;
		}
		any = 1;
	}
	if (!any) {
		mdb_txn_abort(txn);
		return;
	}
	/* The durable commit: nobody is answered before it returns. */
	if ((rc = mdb_txn_commit(txn)) != 0)
		for (p = batch; p != NULL; p = p->next)
			if (p->result == 0)
				p->result = store_mdb_err(rc);
}

/*
 * When the last batch was shared, more writers are about: wait a moment for
 * them, or the new leader commits alone and the others wait a whole commit
 * more.  Called with wlock held; a lone writer never waits.
 *
 * Every durable commit costs page writes and two flushes, and on a virtual
 * disk these cost the machine far more than a few ms of waiting: at 32
 * concurrent logins on 2 cores, committing ~10 at a time instead of ~5 gave
 * the CA 3-9 more points of the bare server's throughput and a lower p99.
 * But a writer waiting here is a client not using the CPU: with 8 clients
 * the same wait starved the machine (58% instead of 79%).  So the long wait
 * applies only while at least `spare` (4 per CPU) other clients of the
 * owner, as told by lmdb_set_clients(), still have work to do; otherwise
 * the leader waits up to 0.3 ms for the last batch's writers to return.
 */
static void
gather(struct store_be *s)
{
	struct timespec deadline;
	unsigned clients = atomic_load(&s->clients);
	long ns = GATHER_NS;

	s->gather_want = s->last_batch;
	if (clients > s->spare + 1) {
		s->gather_want = clients - s->spare;
		if (s->gather_want > GATHER_MAX)
			s->gather_want = GATHER_MAX;
		ns = GATHER_BUSY_NS;
	}
	if (s->last_batch <= 1 || s->queued >= s->gather_want)
		return;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += ns / 1000000000L;
	deadline.tv_nsec += ns % 1000000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	s->gathering = 1;
	while (s->queued < s->gather_want &&
	    pthread_cond_timedwait(&s->qcond, &s->wlock, &deadline) == 0)
		;
	s->gathering = 0;
}

void
lmdb_set_clients(struct store_be *s, unsigned n)
{
	atomic_store(&s->clients, n);
}

/*
 * Runs fn inside a write transaction shared with whatever other threads
 * queued meanwhile; returns when that transaction is durable (or failed).
 * The first waiter becomes the leader and commits for everybody queued.
 * Each writer sleeps on its own condition: the leader wakes exactly the
 * writers it answered, then the head of the queue to lead the next batch
 * (a broadcast would wake everybody queued, only to sleep again).
 */
int
store_run_write(struct store_be *s, int (*fn)(struct store_be *, MDB_txn *, void *),
    void *arg)
{
	struct pending p = { fn, arg, 0, 0, NULL, PTHREAD_COND_INITIALIZER };
	struct pending *batch, *q, *next;

	if (s->rdonly)
		return JIT_ERR_INVALID_ARGUMENT;
	pthread_mutex_lock(&s->wlock);
	if (s->tail != NULL)
		s->tail->next = &p;
	else
		s->queue = &p;
	s->tail = &p;
	s->queued++;
	if (s->gathering && s->queued >= s->gather_want)
		pthread_cond_signal(&s->qcond);
	while (!p.done) {
		if (s->leader) {
			pthread_cond_wait(&p.wake, &s->wlock);
			continue;
		}
		s->leader = 1;
		gather(s);
		batch = s->queue;
		s->last_batch = s->queued;
		s->queue = s->tail = NULL;
		s->queued = 0;
		pthread_mutex_unlock(&s->wlock);
		commit_batch(s, batch);
		pthread_mutex_lock(&s->wlock);
		for (q = batch; q != NULL; q = next) {
			next = q->next;	/* q may vanish once done is seen */
			q->done = 1;
			if (q != &p)
				pthread_cond_signal(&q->wake);
		}
		/*
		 * Still the leader, but the batch is answered: bring the
		 * indexes up to date now and then.  A failure (a full map)
		 * only lets them lag; queries stay right.
		 */
		pthread_mutex_unlock(&s->wlock);
		(void)store_index_catch_up(s, INDEX_BATCH);
		pthread_mutex_lock(&s->wlock);
		s->leader = 0;
		if (s->queue != NULL)
			pthread_cond_signal(&s->queue->wake);
	}
	pthread_mutex_unlock(&s->wlock);
	pthread_cond_destroy(&p.wake);
	return p.result;
}
