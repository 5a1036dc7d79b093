/*
 * Store: serials, concurrent writers and readers under group commit, a
 * writer that fails half-way, a full map, foreign files.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "jit-err.h"
#include "jstore.h"
#include "lmdb-store.h"
#include "store_fixture.h"

TestSuite(store_commit, .init = store_setup, .fini = store_teardown);

Test(store_commit, serials_are_unique_increasing_never_zero)
{
	struct jstore *s = open_store(0), *t;
	uint64_t a, b, prev = 0;
	int i;

	for (i = 0; i < 600; i++) {
		cr_assert_eq(jstore_next_serial(s, &a), 0);
		cr_assert_gt(a, prev);
		prev = a;
	}
	/* A second handle (another process) never gets the same numbers. */
	t = open_store(JSTORE_ONESHOT);
	cr_assert_eq(jstore_next_serial(t, &b), 0);
	cr_assert_gt(b, prev, "never one the first handle gave");
	if (getenv("JIT_TEST_PG") == NULL)	/* LMDB reserves blocks */
		cr_assert_gt(b, 768 - 1, "must be past the blocks the first "
		    "handle holds");
	cr_assert_eq(jstore_next_serial(t, &a), 0);
	if (getenv("JIT_TEST_PG") == NULL)
		cr_assert_eq(a, b + 1, "one-shot handles reserve one at a time");
	else	/* a block per call from the shared sequence: gaps */
		cr_assert_gt(a, b);
	jstore_close(t);
	jstore_close(s);
	s = open_store(0);
	cr_assert_eq(jstore_next_serial(s, &a), 0);
	cr_assert_gt(a, b + 1);
	jstore_close(s);
}

struct writer {
	struct jstore *s;
	int id, n, failed;
};

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct jstore_event ev;
	char user[16];
	uint64_t serial;
	int i;

	snprintf(user, sizeof(user), "u%d", w->id);
	for (i = 0; i < w->n; i++) {
		if (jstore_next_serial(w->s, &serial) != 0) {
			w->failed++;
			continue;
		}
		ev = issue_event(user, "dev", serial, 1700000000 + (uint64_t)i);
		if (jstore_append(w->s, &ev, 1) != 0 || ev.seq == 0)
			w->failed++;
	}
	return NULL;
}

struct reader {
	struct jstore *s;
	volatile int stop;
	int runs, failed;
};

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	size_t n, last = 0;
	uint64_t cnt, bad;

	while (!r->stop) {
		n = 0;
		if (jstore_query(r->s, NULL, count_cb, &n) != 0 || n < last)
			r->failed++;
		last = n;
		if (jstore_verify(r->s, &cnt, &bad, NULL) != 0)
			r->failed++;
		r->runs++;
	}
	return NULL;
}

static void
writers_and_readers(struct jstore *s)
{
	struct writer w[8];
	struct reader rd = { s, 0, 0, 0 };
	pthread_t wt[8], rt;
	uint64_t n, bad;
	int i;

	cr_assert_eq(pthread_create(&rt, NULL, reader_main, &rd), 0);
	for (i = 0; i < 8; i++) {
		w[i] = (struct writer){ s, i, 100, 0 };
		cr_assert_eq(pthread_create(&wt[i], NULL, writer_main, &w[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(wt[i], NULL);
		cr_assert_eq(w[i].failed, 0);
	}
	rd.stop = 1;
	pthread_join(rt, NULL);
	cr_assert_eq(rd.failed, 0, "readers saw an error or a shrinking log");
	cr_assert_gt(rd.runs, 0);
	cr_assert_eq(jstore_verify(s, &n, &bad, NULL), 0);
	cr_assert_eq(n, 800);
}

Test(store_commit, concurrent_writers_and_readers)
{
	struct jstore *s = open_store(0);

	writers_and_readers(s);
	jstore_close(s);
}

/*
 * A server with many clients makes leaders wait (up to 8 ms) for bigger
 * batches: with only 8 writers that wait always runs out, and every write
 * must still land once, in order, answered.  Then the clients leave and a
 * lone writer goes on.
 */
Test(store_commit, busy_server_gathering_loses_nothing)
{
	struct jstore *s = open_store(0);
	struct writer lone = { s, 99, 5, 0 };
	uint64_t n, bad;

	jstore_set_clients(s, 64);
	writers_and_readers(s);
	jstore_set_clients(s, 0);
	writer_main(&lone);
	cr_assert_eq(lone.failed, 0);
	cr_assert_eq(jstore_verify(s, &n, &bad, NULL), 0);
	cr_assert_eq(n, 805);
	jstore_close(s);
}

/*
 * A writer that fails after it has written (whatever the error: a refusal
 * found late, or I/O) takes back all it wrote, and only that: the writers
 * sharing its batch commit theirs.
 */
struct half_op {
	char key[32];
	int result;
};

static int
write_then(struct store_be *s, MDB_txn *txn, void *arg)
{
	const struct half_op *op = arg;
	int r;

	if ((r = lmdb_put_meta_u64(s, txn, op->key, 1)) != 0)
		return r;
	return op->result;
}

struct half_writer {
	struct store_be *s;
	int id, wrong;
};

#define HALF_OPS	60

static int
half_result(int i)
{
	return i % 3 == 0 ? 0 : i % 3 == 1 ? JIT_ERR_EXISTS : JIT_ERR_LIBCRYPTO;
}

static void *
half_main(void *arg)
{
	struct half_writer *w = arg;
	struct half_op op;
	int i;

	for (i = 0; i < HALF_OPS; i++) {
		snprintf(op.key, sizeof(op.key), "test:%d:%d", w->id, i);
		op.result = half_result(i);
		if (lmdb_run_write(w->s, write_then, &op) != op.result)
			w->wrong++;
	}
	return NULL;
}

Test(store_commit, a_writer_failing_half_way_takes_back_only_its_own)
{
	struct jstore *s = open_store(0);
	struct half_writer w[8];
	pthread_t t[8];
	MDB_txn *txn;
	uint64_t v;
	char key[32];
	int i, j, found, misplaced = 0;

	lmdb_only();
	jstore_set_clients(s, 64);	/* leaders wait: batches are shared */
	for (i = 0; i < 8; i++) {
		w[i] = (struct half_writer){ store_be_of(s), i, 0 };
		cr_assert_eq(pthread_create(&t[i], NULL, half_main, &w[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(w[i].wrong, 0, "a writer got another's answer");
	}
	cr_assert_eq(mdb_txn_begin(store_be_of(s)->env, NULL, MDB_RDONLY,
	    &txn), 0);
	for (i = 0; i < 8; i++)
		for (j = 0; j < HALF_OPS; j++) {
			snprintf(key, sizeof(key), "test:%d:%d", i, j);
			cr_assert_eq(lmdb_get_meta_u64(store_be_of(s), txn, key,
			    &v), 0);
			found = v == 1;
			if (found != (half_result(j) == 0))
				misplaced++;
		}
	mdb_txn_abort(txn);
	cr_assert_eq(misplaced, 0, "%d writes of failed writers were "
	    "committed or of good ones lost", misplaced);
	jstore_close(s);
}

Test(store_commit, full_map_is_a_clear_error_and_writes_nothing_half)
{
	struct jstore *s = NULL;
	struct jstore_event evs[50];
	uint64_t n = 0, bad, before;
	size_t i;
	int r = 0, rounds = 0;

	lmdb_only();
	cr_assert_eq(jstore_open(store_dir, 0, 256 * 1024, &s), 0);
	while (r == 0 && rounds < 10000) {
		for (i = 0; i < 50; i++)
			evs[i] = issue_event("alice", "dev", (uint64_t)rounds * 50 + i + 1,
			    1700000000);
		r = jstore_append(s, evs, 50);
		rounds++;
	}
	cr_assert_eq(r, JIT_ERR_STORE_FULL, "got %s", jit_strerror(r));
	cr_assert_eq(evs[0].seq, 0);
	cr_assert_eq(jstore_verify(s, &before, &bad, NULL), 0);
	cr_assert_eq(before % 50, 0, "only whole batches were written");
	jstore_close(s);
	/* Reopened, the same map is still full but intact. */
	cr_assert_eq(jstore_open(store_dir, 0, 256 * 1024, &s), 0);
	cr_assert_eq(jstore_verify(s, &n, &bad, NULL), 0);
	cr_assert_eq(n, before);
	jstore_close(s);
	/* A bigger map takes more. */
	cr_assert_eq(jstore_open(store_dir, 0, 8 * 1024 * 1024, &s), 0);
	cr_assert_eq(jstore_append(s, evs, 50), 0);
	jstore_close(s);
}

Test(store_commit, foreign_and_corrupted_files_are_refused)
{
	struct jstore *s = (struct jstore *)1;
	char path[600], cmd[1400];
	FILE *f;
	int i;

	lmdb_only();
	cr_assert_eq(mkdir(store_dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/data.mdb", store_dir);
	cr_assert_not_null(f = fopen(path, "w"));
	for (i = 0; i < 100; i++)
		fputs("this is not an lmdb file at all, just text\n", f);
	fclose(f);
	cr_assert_eq(jstore_open(store_dir, 0, 0, &s), JIT_ERR_STORE_FOREIGN);
	cr_assert_null(s);
	/* A real LMDB environment that belongs to somebody else. */
	snprintf(cmd, sizeof(cmd), "rm -f %s/data.mdb && printf 'VERSION=3\\n"
	    "format=print\\ntype=btree\\nHEADER=END\\n k\\n v\\nDATA=END\\n' | "
	    "mdb_load %s", store_dir, store_dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(jstore_open(store_dir, 0, 0, &s), JIT_ERR_STORE_FOREIGN);
	/* A file where the directory should be. */
	snprintf(cmd, sizeof(cmd), "rm -rf %s && touch %s", store_dir, store_dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(jstore_open(store_dir, 0, 0, &s), JIT_ERR_STORE_FOREIGN);
	cr_assert_eq(unlink(store_dir), 0);
	/* Read-only open of a missing store does not create it. */
	cr_assert_eq(jstore_open(store_dir, JSTORE_RDONLY, 0, &s), JIT_ERR_NOT_FOUND);
	cr_assert_eq(access(store_dir, F_OK), -1);
}
