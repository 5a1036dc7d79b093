/*
 * gcommit.h: group commit, for any backend.  Writers queue; the first
 * becomes the leader and hands the whole queue to the backend's commit(),
 * which runs each writer in a nested transaction (LMDB child txn, SQL
 * savepoint) of one durable transaction and sets each result; then every
 * writer of the batch is answered.
 */
#ifndef JIT_STORE_GCOMMIT_H
#define JIT_STORE_GCOMMIT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

/* One queued writer: op is the backend's description of the work. */
struct gc_writer {
	void *op;
	int done, result;
	struct gc_writer *next;
	pthread_cond_t wake;	/* signalled for this writer only */
};

struct gcommit {
	/* The backend's: commit a batch (sets each result); after a batch,
	 * with no lock held (may be NULL). */
	void (*commit)(void *ctx, struct gc_writer *batch);
	void (*after)(void *ctx);
	void *ctx;
	/* The queue. */
	pthread_mutex_t lock;
	struct gc_writer *queue, *tail;
	int leader;
	size_t queued, last_batch;	/* writers waiting; size of the last batch */
	int gathering;			/* a leader waits for the queue to fill */
	size_t gather_want;		/* ...until this many have queued */
	atomic_uint clients;		/* jstore_set_clients() */
	unsigned spare;			/* clients that keep the CPUs busy */
	pthread_cond_t qcond;
};

void gcommit_init(struct gcommit *g, void (*commit)(void *, struct gc_writer *),
    void (*after)(void *), void *ctx);
void gcommit_destroy(struct gcommit *g);
void gcommit_set_clients(struct gcommit *g, unsigned n);
/* Queues op and returns its result once its batch is durable (or failed). */
int gcommit_run(struct gcommit *g, void *op);

#endif /* JIT_STORE_GCOMMIT_H */
