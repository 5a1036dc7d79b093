/*
 * session.c: session recordings in PostgreSQL: jit_sessions (one row a
 * recording: host, serial, size, ended, its events' seqs) and jit_chunks
 * (id, offset, bytes), each change in the same transaction as its event;
 * a recording's row is locked (FOR UPDATE) while a chunk is appended, so
 * CA instances sharing the store append one after the other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "jit-err.h"
#include "jstore.h"
#include "pg-store.h"
#include "store-impl.h"

#define READ_BATCH	8	/* chunks a query while reading */

/* Tables added beside schema 1 (additive: old readers ignore them). */
const char *const pg_session_schema[] = {
	"CREATE TABLE IF NOT EXISTS jit_sessions (id text PRIMARY KEY, "
	    "host text NOT NULL, serial numeric(20) NOT NULL, "
	    "size bigint NOT NULL, ended boolean NOT NULL, "
	    "start_seq bigint NOT NULL, end_seq bigint NOT NULL)",
	"CREATE TABLE IF NOT EXISTS jit_chunks (id text NOT NULL, "
	    "off bigint NOT NULL, data bytea NOT NULL, PRIMARY KEY (id, off))",
	NULL
};

/* The row of id, locked: host, size, ended, start_seq. */
static int
row_locked(PGconn *c, const char *id, const char *host, uint64_t *sizep,
    uint64_t *start_seqp)
{
	struct pgp p = { .n = 0 };
	PGresult *res;
	int r;

	pg_param_str(&p, id);
	if ((r = pg_exec(c, "SELECT host, size, ended, start_seq FROM "
	    "jit_sessions WHERE id = $1 FOR UPDATE", &p, &res)) != 0)
		return r;
	if (PQntuples(res) == 0)
		r = JIT_ERR_NOT_FOUND;
	else if (strcmp(pg_str(res, 0, 0), host) != 0)
		r = JIT_ERR_DENIED;
	else {
		*sizep = pg_u64(res, 0, 1);
		if (start_seqp != NULL)
			*start_seqp = pg_u64(res, 0, 3);
		r = strcmp(pg_str(res, 0, 2), "t") == 0 ?
		    JIT_ERR_REQUEST_DECIDED : 0;
	}
	PQclear(res);
	return r;
}

static int
chunk_put(PGconn *c, const char *id, uint64_t off, const void *data,
    size_t len)
{
	struct pgp p = { .n = 0 };

	if (len == 0)
		return 0;
	pg_param_str(&p, id);
	pg_param_u64(&p, off);
	pg_param_bin(&p, data, len);
	return pg_exec(c, "INSERT INTO jit_chunks VALUES ($1, $2, $3)", &p,
	    NULL);
}

struct start_arg {
	const char *host;
	struct jstore_event *ev;
	const void *data;
	size_t len;
};

static int
start_fn(struct pgtx *t, void *arg)
{
	struct start_arg *a = arg;
	struct jstore_event issue;
	struct pgp p = { .n = 0 };
	PGresult *res = NULL, *ins;
	char seq[24];
	int r, added;

	pg_param_u64(&p, a->ev->serial);
	if ((r = pg_one_event(t->c, "SELECT " PG_EVENT_SELECT " FROM jit_events "
	    "WHERE serial = $1 AND event = 'issue' ORDER BY seq LIMIT 1", &p,
	    &res, &issue)) != 0)
		return r;
	/* The row first: a second start of the id changes nothing. */
	p.n = 0;
	pg_param_str(&p, a->ev->request_id);
	pg_param_str(&p, a->host);
	pg_param_u64(&p, a->ev->serial);
	pg_param_u64(&p, a->len);
	if ((r = pg_exec(t->c, "INSERT INTO jit_sessions VALUES ($1, $2, $3, "
	    "$4, false, 0, 0) ON CONFLICT DO NOTHING", &p, &ins)) != 0)
		goto out;
	added = atoi(PQcmdTuples(ins)) == 1;
	PQclear(ins);
	if (!added) {
		r = JIT_ERR_EXISTS;
		goto out;
	}
	a->ev->user = issue.user;
	a->ev->role = issue.role;
	a->ev->key_id = issue.key_id;
	if ((r = pg_append_tx(t, a->ev, 1)) != 0)
		goto out;
	p.n = 0;
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)a->ev->seq);
	pg_param_str(&p, seq);
	pg_param_str(&p, a->ev->request_id);
	if ((r = pg_exec(t->c, "UPDATE jit_sessions SET start_seq = $1 WHERE "
	    "id = $2", &p, NULL)) == 0)
		r = chunk_put(t->c, a->ev->request_id, 0, a->data, a->len);
 out:
	a->ev->user = a->ev->role = a->ev->key_id = NULL;
	PQclear(res);
	return r;
}

int
pg_session_start(struct store_be *b, const char *host, struct jstore_event *ev,
    const void *data, size_t len)
{
	struct start_arg a = { host, ev, data, len };

	if (b->rdonly)
		return JIT_ERR_INVALID_ARGUMENT;
	return pg_run_write(b, start_fn, &a);
}

struct append_arg {
	const char *id, *host;
	uint64_t off, max, size;
	const void *data;
	size_t len;
};

static int
append_fn(struct pgtx *t, void *arg)
{
	struct append_arg *a = arg;
	struct pgp p = { .n = 0 };
	int r;

	if ((r = row_locked(t->c, a->id, a->host, &a->size, NULL)) != 0)
		return r;
	if ((r = store_session_append_ok(a->size, a->off, a->len,
	    a->max)) != 0)
		return r;
	if (a->len == 0)
		return 0;
	if ((r = chunk_put(t->c, a->id, a->size, a->data, a->len)) != 0)
		return r;
	pg_param_u64(&p, a->size + a->len);
	pg_param_str(&p, a->id);
	if ((r = pg_exec(t->c, "UPDATE jit_sessions SET size = $1 WHERE "
	    "id = $2", &p, NULL)) == 0)
		a->size += a->len;
	return r;
}

int
pg_session_append(struct store_be *b, const char *id, const char *host,
    uint64_t off, const void *data, size_t len, uint64_t max, uint64_t *sizep)
{
	struct append_arg a = { id, host, off, max, 0, data, len };
	int r;

	r = pg_run_write(b, append_fn, &a);
	*sizep = a.size;
	return r;
}

struct end_arg {
	const char *id, *host;
	uint64_t size;
	struct jstore_event *ev;
};

static int
end_fn(struct pgtx *t, void *arg)
{
	struct end_arg *a = arg;
	struct jstore_event start;
	struct pgp p = { .n = 0 };
	PGresult *res = NULL;
	uint64_t size, start_seq;
	char seq[24];
	int r;

	if ((r = row_locked(t->c, a->id, a->host, &size, &start_seq)) != 0)
		return r;
	if (size != a->size)
		return JIT_ERR_STORE_BUSY;	/* grew since it was hashed */
	pg_param_u64(&p, start_seq);
	if ((r = pg_one_event(t->c, "SELECT " PG_EVENT_SELECT " FROM jit_events "
	    "WHERE seq = $1", &p, &res, &start)) != 0)
		return r;
	store_session_end_from(a->ev, &start);
	if ((r = pg_append_tx(t, a->ev, 1)) == 0) {
		p.n = 0;
		snprintf(seq, sizeof(seq), "%llu", (unsigned long long)a->ev->seq);
		pg_param_str(&p, seq);
		pg_param_str(&p, a->id);
		r = pg_exec(t->c, "UPDATE jit_sessions SET ended = true, "
		    "end_seq = $1 WHERE id = $2", &p, NULL);
	}
	store_session_end_from(a->ev, NULL);
	PQclear(res);
	return r;
}

int
pg_session_end(struct store_be *b, const char *id, const char *host,
    uint64_t size, struct jstore_event *ev)
{
	struct end_arg a = { id, host, size, ev };

	return pg_run_write(b, end_fn, &a);
}

int
pg_session_get(struct store_be *b, const char *id, struct jstore_session *out)
{
	struct pgp p = { .n = 0 };
	PGresult *res;
	PGconn *c;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = pg_reader(b, &c)) != 0)
		return r;
	pg_param_str(&p, id);
	r = pg_exec(c, "SELECT host, serial, size, ended, start_seq, end_seq "
	    "FROM jit_sessions WHERE id = $1", &p, &res);
	pg_reader_done(b, c);
	if (r != 0)
		return r;
	if (PQntuples(res) == 0)
		r = JIT_ERR_NOT_FOUND;
	else {
		snprintf(out->id, sizeof(out->id), "%s", id);
		snprintf(out->host, sizeof(out->host), "%s", pg_str(res, 0, 0));
		out->serial = pg_u64(res, 0, 1);
		out->size = pg_u64(res, 0, 2);
		out->ended = strcmp(pg_str(res, 0, 3), "t") == 0;
		out->start_seq = pg_u64(res, 0, 4);
		out->end_seq = pg_u64(res, 0, 5);
	}
	PQclear(res);
	return r;
}

int
pg_session_read(struct store_be *b, const char *id,
    int (*cb)(uint64_t off, const unsigned char *p, size_t len, void *arg),
    void *arg)
{
	struct pgp p;
	PGresult *res;
	PGconn *c;
	unsigned char *buf;
	uint64_t from = 0;
	size_t len;
	int r, i, n;

	if ((buf = malloc(JSTORE_CHUNK_MAX)) == NULL)
		return JIT_ERR_ALLOC;
	/* A few chunks a query: memory stays bounded by the batch. */
	do {
		p.n = 0;
		pg_param_str(&p, id);
		pg_param_u64(&p, from);
		pg_param_u64(&p, READ_BATCH);
		if ((r = pg_reader(b, &c)) != 0)
			break;
		r = pg_exec(c, "SELECT off, encode(data, 'hex') FROM jit_chunks "
		    "WHERE id = $1 AND off >= $2 ORDER BY off LIMIT $3", &p,
		    &res);
		pg_reader_done(b, c);
		if (r != 0)
			break;
		n = PQntuples(res);
		for (i = 0; i < n && r == 0; i++)
			if ((r = pg_bytes(res, i, 1, buf, JSTORE_CHUNK_MAX,
			    &len)) == 0) {
				from = pg_u64(res, i, 0) + 1;
				r = cb(from - 1, buf, len, arg);
			}
		PQclear(res);
	} while (r == 0 && n == READ_BATCH);
	free(buf);
	return r;
}
