/*
 * pg-store.h: the PostgreSQL side of the store (store/pg/).  The only
 * header that includes <libpq-fe.h>.  Any number of CA instances share one
 * database: the hash chain is extended under a row lock on jit_head, so
 * appends from all instances are serialised in the database; writers of
 * one instance share a transaction (group commit, one savepoint each).
 */
#ifndef JIT_PG_STORE_H
#define JIT_PG_STORE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "gcommit.h"
#include "jstore.h"
#include "store-backend.h"
#include "store-req.h"

#define PG_SCHEMA_VERSION	JSTORE_SCHEMA_VERSION
#define PG_READERS		8	/* read connections kept open */
#define PG_NAME_MAX		256	/* user, role, request id */
#define PG_SERIAL_BLOCK		256	/* the sequence's increment */

STORE_BE_DECLARE(pg)

struct store_be {
	char *conninfo;
	int rdonly;
	char instance[128];
	atomic_uint live_cap;
	struct gcommit gc;
	PGconn *wconn;		/* the group-commit leader's */
	pthread_mutex_t rlock;	/* the read connections */
	pthread_cond_t rcond;
	PGconn *readers[PG_READERS];
	int busy[PG_READERS];
	/* serials: a block from the sequence, handed out here */
	pthread_mutex_t slock;
	uint64_t serial_next, serial_end;
	int oneshot;		/* a short-lived tool: one serial per block */
	/* changes: a listener thread counts the log's notifications */
	pthread_mutex_t llock;
	pthread_t listener;
	int listening, stop;
	atomic_int heard;	/* the listener is connected and listening */
	atomic_uint_fast64_t changes;
};

/* A write transaction in progress (one batch). */
struct pgtx {
	struct store_be *be;
	PGconn *c;
	int head_locked, head_moved;
	uint64_t seq;		/* the chain's head, once locked */
	unsigned char hash[32];
};

/* Parameters of one statement, as text. */
#define PG_PARAMS_MAX	24
struct pgp {
	const char *v[PG_PARAMS_MAX];
	int len[PG_PARAMS_MAX], fmt[PG_PARAMS_MAX];
	char num[PG_PARAMS_MAX][24];
	int n;
};

/* conn.c */
void pgp_str(struct pgp *p, const char *s);	/* NULL: "" */
void pgp_u64(struct pgp *p, uint64_t v);
void pgp_bin(struct pgp *p, const void *d, size_t len);
/* Runs sql; *resp (when not NULL) gets the result to PQclear. */
int pg_exec(PGconn *c, const char *sql, const struct pgp *p, PGresult **resp);
/* Column helpers on row i. */
uint64_t pg_u64(const PGresult *res, int i, int col);
const char *pg_str(const PGresult *res, int i, int col);
/* A bytea column (hex text) into out (at most max bytes). */
int pg_bytes(const PGresult *res, int i, int col, unsigned char *out,
    size_t max, size_t *lenp);
/* The error of a failed result or connection, as JIT_ERR_*. */
int pg_error(PGconn *c, const PGresult *res);
/* A read connection (waits for a free one), and its return. */
int pg_reader(struct store_be *b, PGconn **cp);
void pg_reader_done(struct store_be *b, PGconn *c);
/* Runs fn in a write transaction shared with other writers. */
int pg_run_write(struct store_be *b, int (*fn)(struct pgtx *, void *),
    void *arg);
/* The same for an fn that is one statement refusing by its answer. */
int pg_run_atomic(struct store_be *b, int (*fn)(struct pgtx *, void *),
    void *arg);
/* The schema: created when missing, migrated when older. */
int pg_schema(PGconn *c, int rdonly);

/* listen.c */
void pg_listen_stop(struct store_be *b);

/* log.c */
/*
 * One row of jit_events, as ev is (seq, hash and instance included); with
 * live, its certificate also joins the live index.
 */
int pg_insert_event(PGconn *c, const struct jstore_event *ev, int live);
int pg_lock_head(struct pgtx *t);
int pg_write_head(struct pgtx *t);
int pg_append_tx(struct pgtx *t, struct jstore_event *evs, size_t n);
/* Fills ev from columns 0.. of row i (strings point into res). */
void pg_event_row(const PGresult *res, int i, struct jstore_event *ev);
#define PG_EVENT_COLS "seq, time, event, \"user\", role, serial, key_id, " \
	"principals, valid_after, valid_before, fingerprint, source, reason, " \
	"request_id, approvers, instance, hash"
/* The same to read: bytea as plain hex, whatever bytea_output says. */
#define PG_EVENT_SELECT "seq, time, event, \"user\", role, serial, " \
	"key_id, principals, valid_after, valid_before, fingerprint, source, " \
	"reason, request_id, approvers, instance, encode(hash, 'hex')"

/* import.c: jstore_copy() into this store. */
int pg_import_from(struct store_be *b, struct jstore *src, uint64_t *countp);
/* state.c: user's TOTP record, inserted or replaced. */
int pg_totp_write(PGconn *c, const char *user, const struct jstore_totp *t);
/* request.c: an INSERT or UPDATE of every column. */
int pg_request_write(PGconn *c, const struct jstore_request *r);

/* request.c: runs a request decision (or an append) in the group commit. */
int pg_rtx_run(void *be, store_req_fn fn, struct store_req_arg *a);
#define REQ_COLS_PUBLIC "id, \"user\", role, principals, pubkey, " \
	"fingerprint, reason, source, approver_groups, approvers, ttl, " \
	"created, serial, expires, pickup_ttl, quorum, state, flags"
int pg_request_row(const PGresult *res, int i, struct jstore_request **rp);

#endif /* JIT_PG_STORE_H */
