/*
 * log.c: the hash-chained log in PostgreSQL: append (under the jit_head
 * row lock, so every instance extends one chain), serials, queries,
 * following, and verifying the chain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jstore.h"
#include "pg-store.h"
#include "store-impl.h"
#include "store-req.h"

void
pg_event_row(const PGresult *res, int i, struct jstore_event *ev)
{
	size_t hl = 0;

	memset(ev, 0, sizeof(*ev));
	ev->seq = pg_u64(res, i, 0);
	ev->time = pg_u64(res, i, 1);
	ev->event = pg_str(res, i, 2);
	ev->user = pg_str(res, i, 3);
	ev->role = pg_str(res, i, 4);
	ev->serial = pg_u64(res, i, 5);
	ev->key_id = pg_str(res, i, 6);
	ev->principals = pg_str(res, i, 7);
	ev->valid_after = pg_u64(res, i, 8);
	ev->valid_before = pg_u64(res, i, 9);
	ev->fingerprint = pg_str(res, i, 10);
	ev->source = pg_str(res, i, 11);
	ev->reason = pg_str(res, i, 12);
	ev->request_id = pg_str(res, i, 13);
	ev->approvers = pg_str(res, i, 14);
	ev->instance = pg_str(res, i, 15);
	if (pg_bytes(res, i, 16, ev->hash, 32, &hl) != 0 || hl != 32)
		memset(ev->hash, 0, 32);
}

/* The checks an "issue" event passes in the transaction recording it. */
static int
issue_allowed(struct pgtx *t, const struct jstore_event *evs, size_t n)
{
	unsigned cap = atomic_load(&t->be->live_cap);
	struct pgp p;
	PGresult *res;
	uint64_t now, live;
	size_t i, j, batch;
	int r, capped, locked;

	for (i = 0; i < n; i++) {
		if (strcmp(evs[i].event, "issue") != 0)
			continue;
		now = evs[i].time != 0 ? evs[i].time : jit_now();
		capped = cap != 0 && evs[i].serial != 0;
		for (j = 0, batch = 0; j < n; j++)
			batch += strcmp(evs[j].event, "issue") == 0 &&
			    evs[j].serial != 0 &&
			    strcmp(evs[j].user, evs[i].user) == 0;
		/*
		 * One statement: a lock that holds; and, under a cap, the
		 * user's expired live entries pruned and the counter read
		 * (whatever the history, the counter says the rest).
		 */
		p.n = 0;
		pg_param_str(&p, evs[i].user);
		pg_param_u64(&p, now);
		pg_param_str(&p, capped ? "t" : "f");
		if ((r = pg_exec(t->c, "WITH gone AS (DELETE FROM jit_live WHERE "
		    "$3::boolean AND \"user\" = $1 AND valid_before <= $2 "
		    "RETURNING 1), cnt AS (UPDATE jit_live_count SET n = n - "
		    "(SELECT count(*) FROM gone) WHERE $3::boolean AND \"user\" = "
		    "$1 RETURNING n) SELECT EXISTS (SELECT 1 FROM jit_locks WHERE "
		    "\"user\" = $1 AND (until = 0 OR until > $2)), "
		    "(SELECT n FROM cnt)", &p, &res)) != 0)
			return r;
		locked = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		live = pg_u64(res, 0, 1);
		PQclear(res);
		if (locked)
			return JIT_ERR_USER_LOCKED;
		if (capped && live + batch > cap)
			return JIT_ERR_CERT_CAP;
	}
	return 0;
}

/* The 17 columns of ev, in PG_EVENT_COLS order, as parameters $1..$17. */
static void
event_params(struct pgp *p, const struct jstore_event *ev)
{
	pg_param_u64(p, ev->seq);
	pg_param_u64(p, ev->time);
	pg_param_str(p, ev->event);
	pg_param_str(p, ev->user);
	pg_param_str(p, ev->role);
	pg_param_u64(p, ev->serial);
	pg_param_str(p, ev->key_id);
	pg_param_str(p, ev->principals);
	pg_param_u64(p, ev->valid_after);
	pg_param_u64(p, ev->valid_before);
	pg_param_str(p, ev->fingerprint);
	pg_param_str(p, ev->source);
	pg_param_str(p, ev->reason);
	pg_param_str(p, ev->request_id);
	pg_param_str(p, ev->approvers);
	pg_param_str(p, ev->instance);
	pg_param_bin(p, ev->hash, 32);
}

int
pg_insert_event(PGconn *c, const struct jstore_event *ev, int live)
{
	struct pgp p = { .n = 0 };

	event_params(&p, ev);
	if (!live)
		return pg_exec(c, "INSERT INTO jit_events (" PG_EVENT_COLS ") "
		    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
		    "$13, $14, $15, $16, $17)", &p, NULL);
	/* An issued certificate joins the live index in the same statement. */
	return pg_exec(c, "WITH ev AS (INSERT INTO jit_events (" PG_EVENT_COLS
	    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
	    "$14, $15, $16, $17) RETURNING serial, \"user\", valid_before), "
	    "added AS (INSERT INTO jit_live SELECT * FROM ev ON CONFLICT DO "
	    "NOTHING RETURNING \"user\") INSERT INTO jit_live_count SELECT "
	    "\"user\", count(*) FROM added GROUP BY \"user\" ON CONFLICT "
	    "(\"user\") DO UPDATE SET n = jit_live_count.n + EXCLUDED.n", &p,
	    NULL);
}

/*
 * The live index follows the events: an issue adds its certificate (until
 * it expires; pg_insert_event), a revoke takes it out; each user's counter
 * moves with it.
 */
static int
live_event(PGconn *c, const struct jstore_event *ev)
{
	struct pgp p = { .n = 0 };

	if (ev->serial == 0 || strcmp(ev->event, "revoke") != 0)
		return 0;
	pg_param_u64(&p, ev->serial);
	return pg_exec(c, "WITH gone AS (DELETE FROM jit_live WHERE serial = $1 "
	    "RETURNING \"user\") UPDATE jit_live_count l SET n = n - 1 FROM gone "
	    "WHERE l.\"user\" = gone.\"user\"", &p, NULL);
}

/* Whether ev's certificate joins the live index (issued, unexpired). */
static int
goes_live(const struct jstore_event *ev)
{
	return ev->serial != 0 && ev->user[0] != '\0' &&
	    strcmp(ev->event, "issue") == 0 &&
	    ev->valid_before > jit_now();
}

/*
 * The chain's head, locked for the rest of the transaction: appends from
 * every instance wait here, one after the other.
 */
int
pg_lock_head(struct pgtx *t)
{
	PGresult *res;
	size_t hl;
	int r;

	if (t->head_locked)
		return 0;
	if ((r = pg_exec(t->c, "SELECT seq, encode(hash, 'hex') FROM jit_head "
	    "FOR UPDATE",
	    NULL, &res)) != 0)
		return r;
	if (PQntuples(res) != 1 ||
	    pg_bytes(res, 0, 1, t->hash, 32, &hl) != 0 || hl != 32)
		r = JIT_ERR_STORE_CORRUPT;
	else {
		t->seq = pg_u64(res, 0, 0);
		t->head_locked = 1;
	}
	PQclear(res);
	return r;
}

int
pg_append_tx(struct pgtx *t, struct jstore_event *evs, size_t n)
{
	size_t i;
	int r;

	if ((r = pg_lock_head(t)) != 0 || (r = issue_allowed(t, evs, n)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		struct jstore_event *ev = &evs[i];

		ev->seq = t->seq + 1;
		if (ev->time == 0)
			ev->time = jit_now();
		ev->instance = t->be->instance;
		if ((r = store_chain_hash(t->hash, ev, ev->hash)) != 0)
			return r;
		if ((r = pg_insert_event(t->c, ev, goes_live(ev))) != 0)
			return r == JIT_ERR_EXISTS ? JIT_ERR_STORE_CORRUPT : r;
		if ((r = live_event(t->c, ev)) != 0)
			return r;
		t->seq = ev->seq;
		memcpy(t->hash, ev->hash, 32);
	}
	t->head_moved = 1;	/* written once, before the commit */
	return 0;
}

/* The head row, as the transaction's appends left it. */
int
pg_write_head(struct pgtx *t)
{
	struct pgp p = { .n = 0 };

	if (!t->head_moved)
		return 0;
	pg_param_u64(&p, t->seq);
	pg_param_bin(&p, t->hash, 32);
	/* Every instance's listener hears of it once this commits. */
	return pg_exec(t->c, "WITH h AS (UPDATE jit_head SET seq = $1, hash = $2) "
	    "SELECT pg_notify('jit_log', '')", &p, NULL);
}

/* One event, in one call of jit_append1() and no savepoint. */
static int
append1_fn(struct pgtx *t, void *arg)
{
	struct jstore_event *ev = arg;
	unsigned cap = atomic_load(&t->be->live_cap);
	uint64_t now;
	struct pgp p = { .n = 0 };
	PGresult *res;
	int r;

	if ((r = pg_lock_head(t)) != 0)
		return r;
	ev->seq = t->seq + 1;
	if (ev->time == 0)
		ev->time = jit_now();
	now = ev->time;
	ev->instance = t->be->instance;
	if ((r = store_chain_hash(t->hash, ev, ev->hash)) != 0)
		return r;
	event_params(&p, ev);
	pg_param_u64(&p, now);
	pg_param_u64(&p, cap);
	pg_param_str(&p, goes_live(ev) ? "t" : "f");
	if ((r = pg_exec(t->c, "SELECT jit_append1($1, $2, $3, $4, $5, $6, $7, "
	    "$8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)", &p,
	    &res)) != 0)
		return r == JIT_ERR_EXISTS ? JIT_ERR_STORE_CORRUPT : r;
	r = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (r != 0)
		return r == 1 ? JIT_ERR_USER_LOCKED : JIT_ERR_CERT_CAP;
	t->seq = ev->seq;
	memcpy(t->hash, ev->hash, 32);
	t->head_moved = 1;
	return 0;
}

/*
 * jstore_append: a single event (every login's issuance) in one call
 * without a savepoint; several through the general path.
 */
int
pg_append(struct store_be *b, struct jstore_event *evs, size_t n)
{
	int r;

	if (b == NULL || evs == NULL || n != 1)
		return store_append_run(pg_rtx_run, b, evs, n);
	if ((r = store_event_check(evs)) != 0)
		return r;
	if ((r = pg_run_atomic(b, append1_fn, evs)) != 0)
		evs->seq = 0;
	return r;
}

/*
 * Serials: the sequence hands each process a block of PG_SERIAL_BLOCK
 * (durably, before any is used), so they are unique across instances,
 * increase within a process, and a crash leaves a gap, never a repeat.
 */
int
pg_next_serial(struct store_be *b, uint64_t *serialp)
{
	PGresult *res;
	PGconn *c;
	uint64_t first;
	int r = 0;

	if (b == NULL || serialp == NULL || b->rdonly)
		return JIT_ERR_INVALID_ARGUMENT;
	pthread_mutex_lock(&b->slock);
	if (b->serial_next == b->serial_end) {
		if ((r = pg_reader(b, &c)) != 0)
			goto out;
		r = pg_exec(c, "SELECT nextval('jit_serial')", NULL, &res);
		pg_reader_done(b, c);
		if (r != 0)
			goto out;
		first = pg_u64(res, 0, 0);
		PQclear(res);
		if (first == 0) {
			r = JIT_ERR_STORE_CORRUPT;
			goto out;
		}
		b->serial_next = first;
		b->serial_end = first + (b->oneshot ? 1 : PG_SERIAL_BLOCK);
	}
	*serialp = b->serial_next++;
 out:
	pthread_mutex_unlock(&b->slock);
	return r;
}

/*
 * Runs sql (a select of PG_EVENT_SELECT) and calls cb on each row; *rowsp
 * (when not NULL) counts the rows the result had.
 */
static int
each_event(struct store_be *b, const char *sql, const struct pgp *p,
    int (*cb)(const struct jstore_event *, void *), void *arg,
    uint64_t *lastp, int *rowsp)
{
	struct jstore_event ev;
	PGresult *res;
	PGconn *c;
	int i, r;

	if ((r = pg_reader(b, &c)) != 0)
		return r;
	r = pg_exec(c, sql, p, &res);
	pg_reader_done(b, c);
	if (r != 0)
		return r;
	if (rowsp != NULL)
		*rowsp = PQntuples(res);
	for (i = 0; i < PQntuples(res); i++) {
		pg_event_row(res, i, &ev);
		if ((r = cb(&ev, arg)) != 0)
			break;
		if (lastp != NULL)
			*lastp = ev.seq;
	}
	PQclear(res);
	return r;
}

#define PG_QUERY_PAGE	10000

/* The time range of a paged walk, checked here (see pg_query). */
struct in_time {
	const struct jstore_filter *f;
	int (*cb)(const struct jstore_event *, void *);
	void *arg;
};

static int
in_time(const struct jstore_event *ev, void *arg)
{
	struct in_time *t = arg;

	if ((t->f->since != 0 && ev->time < t->f->since) ||
	    (t->f->until != 0 && ev->time > t->f->until))
		return 0;
	return t->cb(ev, t->arg);
}

/* The seqs of the first and last events in f's time range (0: none). */
static int
time_bounds(struct store_be *b, const struct jstore_filter *f, uint64_t *lo,
    uint64_t *hi)
{
	struct pgp p = { .n = 0 };
	PGresult *res;
	PGconn *c;
	int r;

	pg_param_u64(&p, f->since);
	pg_param_u64(&p, f->until != 0 ? f->until : UINT64_MAX);
	if ((r = pg_reader(b, &c)) != 0)
		return r;
	r = pg_exec(c, "SELECT coalesce(min(seq), 0), coalesce(max(seq), 0) "
	    "FROM jit_events WHERE time >= $1 AND time <= $2", &p, &res);
	pg_reader_done(b, c);
	if (r != 0)
		return r;
	*lo = pg_u64(res, 0, 0);
	*hi = pg_u64(res, 0, 1);
	PQclear(res);
	return 0;
}

int
pg_query(struct store_be *b, const struct jstore_filter *f,
    int (*cb)(const struct jstore_event *ev, void *arg), void *arg)
{
	static const struct jstore_filter all;
	struct in_time t = { f, cb, arg };
	char sql[1024];
	struct pgp p = { .n = 0 };
	uint64_t last = 0, hi = UINT64_MAX >> 1;
	size_t o;
	int from, rows = 0, r;

	if (b == NULL || cb == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if (f == NULL)
		t.f = f = &all;
	if (f->limit > 10000000)
		return JIT_ERR_INVALID_ARGUMENT;
	o = (size_t)snprintf(sql, sizeof(sql), "SELECT " PG_EVENT_SELECT
	    " FROM jit_events WHERE true");
#define COND(field, col, put) do { \
		if (field) { \
			put; \
			o += (size_t)snprintf(sql + o, sizeof(sql) - o, \
			    " AND %s $%d", col, p.n); \
		} \
	} while (0)
	COND(f->user != NULL, "\"user\" =", pg_param_str(&p, f->user));
	COND(f->role != NULL, "role =", pg_param_str(&p, f->role));
	COND(f->event != NULL, "event =", pg_param_str(&p, f->event));
	COND(f->fingerprint != NULL, "fingerprint =",
	    pg_param_str(&p, f->fingerprint));
	COND(f->request_id != NULL, "request_id =", pg_param_str(&p, f->request_id));
	COND(f->serial != 0, "serial =", pg_param_u64(&p, f->serial));
	if (f->limit != 0) {
		/* The newest limit matches, shown oldest first. */
		COND(f->since != 0, "time >=", pg_param_u64(&p, f->since));
		COND(f->until != 0, "time <=", pg_param_u64(&p, f->until));
		pg_param_u64(&p, f->limit);
		char inner[1100];

		snprintf(inner, sizeof(inner), "SELECT * FROM (%s ORDER BY seq "
		    "DESC LIMIT $%d) newest ORDER BY seq", sql, p.n);
		return each_event(b, inner, &p, cb, arg, NULL, NULL);
	}
#undef COND
	/*
	 * In pages of PG_QUERY_PAGE rows along the seq index, each from where
	 * the last ended, so memory does not grow with the log and no read
	 * connection is held while cb runs (cb may query too).  A time range
	 * becomes the range of seqs its first and last events have (through
	 * the time index), and the time itself is checked here: the
	 * statement is prepared once, and a generic plan with the time
	 * condition in it may sort the whole range for every page.
	 */
	if ((f->since != 0 || f->until != 0) &&
	    ((r = time_bounds(b, f, &last, &hi)) != 0 || hi == 0))
		return r;
	if (last > 0)
		last--;
	from = p.n;
	pg_param_u64(&p, 0);
	pg_param_u64(&p, hi);
	snprintf(sql + o, sizeof(sql) - o, " AND seq > $%d AND seq <= $%d "
	    "ORDER BY seq LIMIT %d", p.n - 1, p.n, PG_QUERY_PAGE);
	do {
		snprintf(p.num[from], sizeof(p.num[0]), "%" PRIu64, last);
		r = each_event(b, sql, &p, in_time, &t, &last, &rows);
	} while (r == 0 && rows == PG_QUERY_PAGE);
	return r;
}

int
pg_events_after(struct store_be *b, uint64_t after, size_t max,
    int (*cb)(const struct jstore_event *ev, void *arg), void *arg,
    uint64_t *lastp)
{
	struct pgp p = { .n = 0 };

	if (b == NULL || cb == NULL || lastp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*lastp = after;
	pg_param_u64(&p, after);
	pg_param_u64(&p, max);
	return each_event(b, "SELECT " PG_EVENT_SELECT " FROM jit_events WHERE "
	    "seq > $1 ORDER BY seq LIMIT $2", &p, cb, arg, lastp, NULL);
}

int
pg_head(struct store_be *b, uint64_t *seqp)
{
	PGresult *res;
	PGconn *c;
	int r;

	if (b == NULL || seqp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((r = pg_reader(b, &c)) != 0)
		return r;
	if ((r = pg_exec(c, "SELECT seq FROM jit_head", NULL, &res)) == 0) {
		*seqp = PQntuples(res) == 1 ? pg_u64(res, 0, 0) : 0;
		PQclear(res);
	}
	pg_reader_done(b, c);
	return r;
}

/*
 * Walks the chain from the rows' columns: an edited column breaks its
 * event's hash, a dropped or inserted row the sequence, a cut the head.
 * Read in pages from one snapshot (REPEATABLE READ).
 */
int
pg_verify(struct store_be *b, uint64_t *countp, uint64_t *bad_seqp,
    unsigned char headp[32])
{
	unsigned char prev[32] = { 0 }, h[32], head_hash[32];
	struct jstore_event ev;
	struct pgp p;
	PGresult *res = NULL;
	PGconn *c;
	uint64_t expect = 1, head_seq;
	size_t hl;
	int i, n, r;

	if (b == NULL || countp == NULL || bad_seqp == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*countp = *bad_seqp = 0;
	if ((r = pg_reader(b, &c)) != 0)
		return r;
	if ((r = pg_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	    NULL, NULL)) != 0)
		goto out;
	do {
		p.n = 0;
		pg_param_u64(&p, expect - 1);
		if ((r = pg_exec(c, "SELECT " PG_EVENT_SELECT " FROM jit_events "
		    "WHERE seq > $1 ORDER BY seq LIMIT 5000", &p, &res)) != 0)
			goto out;
		n = PQntuples(res);
		for (i = 0; i < n; i++, expect++) {
			pg_event_row(res, i, &ev);
			if (ev.seq != expect ||
			    (r = store_chain_hash(prev, &ev, h)) != 0 ||
			    CRYPTO_memcmp(h, ev.hash, 32) != 0) {
				*bad_seqp = expect;
				r = r != 0 ? r : JIT_ERR_STORE_TAMPERED;
				goto out;
			}
			memcpy(prev, h, 32);
		}
		PQclear(res);
		res = NULL;
	} while (n > 0);
	if ((r = pg_exec(c, "SELECT seq, encode(hash, 'hex') FROM "
	    "jit_head", NULL,
	    &res)) != 0)
		goto out;
	if (PQntuples(res) != 1 ||
	    pg_bytes(res, 0, 1, head_hash, 32, &hl) != 0 || hl != 32) {
		r = JIT_ERR_STORE_CORRUPT;
		goto out;
	}
	head_seq = pg_u64(res, 0, 0);
	if (head_seq != expect - 1 || memcmp(head_hash, prev, 32) != 0) {
		*bad_seqp = head_seq > expect - 1 ? expect : head_seq + 1;
		r = JIT_ERR_STORE_TAMPERED;
		goto out;
	}
	*countp = expect - 1;
	if (headp != NULL)
		memcpy(headp, prev, 32);
	r = 0;
 out:
	PQclear(res);
	(void)pg_exec(c, "ROLLBACK", NULL, NULL);
	pg_reader_done(b, c);
	return r;
}
