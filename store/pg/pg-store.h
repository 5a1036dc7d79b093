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

/* The PostgreSQL backend's entries of its table (store-backend.h). */
int pg_open(const char *where, int flags, uint64_t map_size,
    struct store_be **bp);
void pg_close(struct store_be *b);
void pg_set_clients(struct store_be *b, unsigned n);
void pg_set_live_cap(struct store_be *b, unsigned cap);
int pg_next_serial(struct store_be *b, uint64_t *serialp);
int pg_append(struct store_be *b, struct jstore_event *evs,
    size_t n);
int pg_query(struct store_be *b, const struct jstore_filter *f,
    int (*cb)(const struct jstore_event *ev, void *arg), void *arg);
int pg_events_after(struct store_be *b, uint64_t after, size_t max,
    int (*cb)(const struct jstore_event *ev, void *arg), void *arg,
    uint64_t *lastp);
int pg_head(struct store_be *b, uint64_t *seqp);
uint64_t pg_changes(struct store_be *b);
int pg_verify_state(struct store_be *b,
    void (*cb)(const char *what, void *arg), void *arg,
    size_t *nbadp);
int pg_verify(struct store_be *b, uint64_t *countp,
    uint64_t *bad_seqp, unsigned char head[32]);
int pg_revoke(struct store_be *b, uint64_t serial, const char *by,
    const char *reason, uint64_t now);
int pg_revoke_many(struct store_be *b, const uint64_t *serials,
    size_t n, const char *by, const char *reason, uint64_t now,
    size_t *donep);
int pg_lock(struct store_be *b, const char *user, uint64_t until,
    const char *by, const char *reason, uint64_t now);
int pg_unlock(struct store_be *b, const char *user, const char *by,
    const char *reason, uint64_t now);
int pg_locked(struct store_be *b, const char *user, uint64_t now,
    uint64_t *untilp, char **reasonp);
int pg_user_serials(struct store_be *b, const char *user,
    uint64_t now, uint64_t **serialsp, size_t *np);
int pg_cert_info(struct store_be *b, uint64_t serial, char *key_id,
    size_t key_id_len, uint64_t *valid_before, char *role,
    size_t role_len);
int pg_revoked(struct store_be *b, uint64_t now,
    int (*cb)(uint64_t serial, const char *key_id, void *arg),
    void *arg, uint64_t *versionp);
int pg_totp_enroll(struct store_be *b, const char *user,
    const unsigned char *secret, size_t len, uint64_t now);
int pg_totp_get(struct store_be *b, const char *user,
    struct jstore_totp *t);
int pg_totp_check(struct store_be *b, const char *user,
    struct jstore_totp_check *c);
int pg_request_create(struct store_be *b,
    const struct jstore_request *req, uint64_t now,
    unsigned max_pending, char *id_out);
int pg_request_get(struct store_be *b, const char *id,
    struct jstore_request **reqp);
int pg_request_approve(struct store_be *b, const char *id,
    const char *approver, const char *comment, uint64_t now,
    unsigned quorum, enum jstore_request_state *statep);
int pg_request_deny(struct store_be *b, const char *id,
    const char *by, const char *comment, uint64_t now);
int pg_request_cancel(struct store_be *b, const char *id,
    const char *by, const char *reason, uint64_t now);
int pg_request_mark(struct store_be *b, const char *id,
    unsigned flag, const char *note, uint64_t now);
int pg_request_issue(struct store_be *b, const char *id,
    uint64_t now, struct jstore_event *evs, size_t n);
int pg_request_expire(struct store_be *b, uint64_t now,
    unsigned *countp);
int pg_request_list(struct store_be *b,
    enum jstore_request_state state,
    int (*cb)(const struct jstore_request *req, void *arg),
    void *arg);
int pg_request_list_open(struct store_be *b, const char *user,
    int (*cb)(const struct jstore_request *req, void *arg),
    void *arg);

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
void pg_param_str(struct pgp *p, const char *s);	/* NULL: "" */
void pg_param_u64(struct pgp *p, uint64_t v);
void pg_param_bin(struct pgp *p, const void *d, size_t len);
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
/* *cp made to work (reconnected if need be), or JIT_ERR_STORE_UNAVAILABLE. */
int pg_ready(struct store_be *b, PGconn **cp);
/* commit.c: the transaction runner (group commit) of a new handle. */
void pg_commit_init(struct store_be *b);
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
/* state.c: the first row of sql as an event (strings in *resp, which
 * the caller clears); JIT_ERR_NOT_FOUND when there is none. */
int pg_one_event(PGconn *c, const char *sql, const struct pgp *p,
    PGresult **resp, struct jstore_event *ev);
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

/* session.c: the tables pg_schema() adds, and the backend's entries. */
extern const char *const pg_session_schema[];
int pg_session_start(struct store_be *b, const char *host,
    struct jstore_event *ev, const void *data, size_t len);
int pg_session_append(struct store_be *b, const char *id, const char *host,
    uint64_t off, const void *data, size_t len, uint64_t max,
    uint64_t *sizep);
int pg_session_end(struct store_be *b, const char *id, const char *host,
    uint64_t size, struct jstore_event *ev);
int pg_session_get(struct store_be *b, const char *id,
    struct jstore_session *out);
int pg_session_read(struct store_be *b, const char *id,
    int (*cb)(uint64_t off, const unsigned char *p, size_t len, void *arg),
    void *arg);

#endif /* JIT_PG_STORE_H */
