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
#include "gcommit.h"
#include "jstore.h"
#include "lmdb-store.h"
#include "store-impl.h"

/* What a writer asks: fn in the shared transaction. */
struct pending {
	int (*fn)(struct store_be *, MDB_txn *, void *);
	void *arg;
};

/* One writer in a transaction of its own (no need to nest). */
static void
commit_one(struct store_be *s, struct gc_writer *w)
{
	struct pending *p = w->op;
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0) {
		w->result = lmdb_mdb_err(rc);
		return;
	}
	if ((w->result = p->fn(s, txn, p->arg)) != 0) {
		mdb_txn_abort(txn);
		return;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		w->result = lmdb_mdb_err(rc);
}

/*
 * Applies a batch in one durable transaction, each writer in a nested
 * transaction of its own: a writer that fails, for whatever reason and
 * however far it got, is rolled back alone and the others go on.
 */
static void
commit_batch(void *ctx, struct gc_writer *batch)
{
	struct store_be *s = ctx;
	struct gc_writer *w;
	struct pending *p;
	MDB_txn *txn = NULL, *child;
	int rc, any = 0;

	if (batch->next == NULL) {
		commit_one(s, batch);
		return;
	}
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0) {
		for (w = batch; w != NULL; w = w->next)
			w->result = lmdb_mdb_err(rc);
		return;
	}
	for (w = batch; w != NULL; w = w->next) {
		p = w->op;
		if ((rc = mdb_txn_begin(s->env, txn, 0, &child)) != 0) {
			w->result = lmdb_mdb_err(rc);
			continue;
		}
		if ((w->result = p->fn(s, child, p->arg)) != 0) {
			mdb_txn_abort(child);
			continue;
		}
		if ((rc = mdb_txn_commit(child)) != 0) {
			w->result = lmdb_mdb_err(rc);
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
		for (w = batch; w != NULL; w = w->next)
			if (w->result == 0)
				w->result = lmdb_mdb_err(rc);
}

/*
 * After a batch, still the leader: bring the indexes up to date now and
 * then.  A failure (a full map) only lets them lag; queries stay right.
 */
static void
after_batch(void *ctx)
{
	(void)lmdb_index_catch_up(ctx, INDEX_BATCH);
}

void
lmdb_commit_init(struct store_be *s)
{
	gcommit_init(&s->gc, commit_batch, after_batch, s);
}

void
lmdb_set_clients(struct store_be *s, unsigned n)
{
	gcommit_set_clients(&s->gc, n);
}

int
lmdb_run_write(struct store_be *s,
    int (*fn)(struct store_be *, MDB_txn *, void *), void *arg)
{
	struct pending p = { fn, arg };

	if (s->rdonly)
		return JIT_ERR_INVALID_ARGUMENT;
	return gcommit_run(&s->gc, &p);
}
