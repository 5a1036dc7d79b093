/*
 * commit.c: the PostgreSQL backend's transaction runner: every write of
 * the store goes through pg_run_write() or pg_run_atomic(), and
 * concurrent writers share one durable transaction (gcommit.c queues
 * them; commit_batch() below runs a batch).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "gcommit.h"
#include "jit-err.h"
#include "pg-store.h"
#include "store-impl.h"

/*
 * What a writer asks: fn in the shared transaction.  An atomic fn is one
 * statement that refuses by its answer, never by an error, so it needs no
 * savepoint; an error from it loses the transaction, as any would.
 */
struct pending {
	int (*fn)(struct pgtx *, void *);
	void *arg;
	int atomic;
};

/*
 * One transaction for the batch, a savepoint per writer: a writer that
 * fails is rolled back alone (the chain head it moved included).  Nobody
 * is answered before COMMIT returns: synchronous_commit, the server's
 * default, makes that durable (and replicated, where the site asks).
 */
static void
commit_batch(void *ctx, struct gc_writer *batch)
{
	struct store_be *b = ctx;
	struct pgtx t = { b, NULL, 0, 0, 0, { 0 } };
	struct pgtx saved;
	struct gc_writer *w;
	struct pending *p;
	int r, any = 0;

	if ((r = pg_ready(b, &b->wconn)) == 0)
		r = pg_exec(b->wconn, "BEGIN", NULL, NULL);
	if (r != 0) {
		for (w = batch; w != NULL; w = w->next)
			w->result = r;
		return;
	}
	t.c = b->wconn;
	for (w = batch; w != NULL; w = w->next) {
		p = w->op;
		saved = t;
		if (p->atomic) {
			if ((w->result = p->fn(&t, p->arg)) == 0) {
				any = 1;
				continue;
			}
			t = saved;
			if (PQtransactionStatus(t.c) == PQTRANS_INTRANS)
				continue;	/* refused: the others go on */
			r = w->result;
			for (w = batch; w != NULL; w = w->next)
				if (w->result == 0)
					w->result = r;
			(void)pg_exec(t.c, "ROLLBACK", NULL, NULL);
			return;
		}
		if ((r = pg_exec(t.c, "SAVEPOINT w", NULL, NULL)) != 0) {
			w->result = r;
			continue;
		}
		if ((w->result = p->fn(&t, p->arg)) == 0 &&
		    (w->result = pg_exec(t.c, "RELEASE SAVEPOINT w", NULL,
		    NULL)) == 0) {
			any = 1;
			continue;
		}
		t = saved;
		if ((r = pg_exec(t.c, "ROLLBACK TO SAVEPOINT w", NULL,
		    NULL)) != 0) {
			/* The transaction is lost: so are the others. */
			for (w = batch; w != NULL; w = w->next)
				if (w->result == 0)
					w->result = r;
			(void)pg_exec(t.c, "ROLLBACK", NULL, NULL);
			return;
		}
	}
	/*
	 * COMMIT of a transaction that an error aborted "succeeds" as a
	 * ROLLBACK: never let that answer anyone.
	 */
	r = 0;
	if (any && PQtransactionStatus(t.c) != PQTRANS_INTRANS)
		r = JIT_ERR_STORE;
	else if (any)
		r = pg_write_head(&t);
	if (r != 0) {
		for (w = batch; w != NULL; w = w->next)
			if (w->result == 0)
				w->result = r;
		(void)pg_exec(t.c, "ROLLBACK", NULL, NULL);
		return;
	}
	r = pg_exec(t.c, any ? "COMMIT" : "ROLLBACK", NULL, NULL);
	if (r != 0)
		for (w = batch; w != NULL; w = w->next)
			if (w->result == 0)
				w->result = r;
}

int
pg_run_write(struct store_be *b, int (*fn)(struct pgtx *, void *), void *arg)
{
	struct pending p = { fn, arg, 0 };

	if (b->rdonly)
		return JIT_ERR_INVALID_ARGUMENT;
	return gcommit_run(&b->gc, &p);
}

int
pg_run_atomic(struct store_be *b, int (*fn)(struct pgtx *, void *), void *arg)
{
	struct pending p = { fn, arg, 1 };

	if (b->rdonly)
		return JIT_ERR_INVALID_ARGUMENT;
	return gcommit_run(&b->gc, &p);
}

void
pg_commit_init(struct store_be *b)
{
	gcommit_init(&b->gc, commit_batch, NULL, b);
}
