/*
 * store-db.h: the LMDB side of the store, shared by the files in store/
 * that open transactions (env, commit, serial, log, index, live, lock,
 * totp, request, revoke, verify).  The only header that includes
 * <lmdb.h>; MDB_* codes become JIT_ERR_* in lmdb_mdb_err().  Nothing
 * outside store/ can include it (store/internal is not exported).
 */
#ifndef JIT_STORE_DB_H
#define JIT_STORE_DB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>
#include <openssl/evp.h>

#include "gcommit.h"
#include "jstore.h"
#include "store-backend.h"
#include "store-req.h"

struct jbuf;

#define STORE_MAGIC	"jit-ssh store 1"
#define SERIAL_BLOCK	256
#define KEY_MAX		256	/* user, role, request id, event name */
#define INDEX_BATCH	1024	/* events indexed together */

enum { DB_META, DB_EVENTS, DB_TIME, DB_USER, DB_ROLE, DB_SERIAL, DB_FP,
    DB_REQ, DB_REVOKED, DB_TOTP, DB_REQUESTS, DB_OPEN, DB_LIVE, DB_SESSIONS,
    DB_CHUNKS, DB_COUNT };

extern const char *const lmdb_db_names[DB_COUNT];

struct store_be {
	MDB_env *env;
	MDB_dbi dbi[DB_COUNT];
	int rdonly;
	int no_open_index;	/* read-only, store older than DB_OPEN */
	int no_live_index;	/* read-only, store older than DB_LIVE */
	int no_sessions;	/* read-only, store older than DB_SESSIONS */
	atomic_uint live_cap;	/* lmdb_set_live_cap(); 0: none */
	struct gcommit gc;		/* group commit (commit.c) */
	/* serial reservation */
	pthread_mutex_t slock;
	uint64_t serial_next, serial_end, serial_block;
	EVP_MD *sha256;
};

/* The LMDB backend's entries of its table (store-backend.h). */
int lmdb_open(const char *where, int flags, uint64_t map_size,
    struct store_be **bp);
void lmdb_close(struct store_be *b);
void lmdb_set_clients(struct store_be *b, unsigned n);
void lmdb_set_live_cap(struct store_be *b, unsigned cap);
int lmdb_next_serial(struct store_be *b, uint64_t *serialp);
int lmdb_append(struct store_be *b, struct jstore_event *evs,
    size_t n);
int lmdb_query(struct store_be *b, const struct jstore_filter *f,
    int (*cb)(const struct jstore_event *ev, void *arg), void *arg);
int lmdb_events_after(struct store_be *b, uint64_t after, size_t max,
    int (*cb)(const struct jstore_event *ev, void *arg), void *arg,
    uint64_t *lastp);
int lmdb_head(struct store_be *b, uint64_t *seqp);
uint64_t lmdb_changes(struct store_be *b);
int lmdb_verify_state(struct store_be *b,
    void (*cb)(const char *what, void *arg), void *arg,
    size_t *nbadp);
int lmdb_verify(struct store_be *b, uint64_t *countp,
    uint64_t *bad_seqp, unsigned char head[32]);
int lmdb_revoke(struct store_be *b, uint64_t serial, const char *by,
    const char *reason, uint64_t now);
int lmdb_revoke_many(struct store_be *b, const uint64_t *serials,
    size_t n, const char *by, const char *reason, uint64_t now,
    size_t *donep);
int lmdb_lock(struct store_be *b, const char *user, uint64_t until,
    const char *by, const char *reason, uint64_t now);
int lmdb_unlock(struct store_be *b, const char *user, const char *by,
    const char *reason, uint64_t now);
int lmdb_locked(struct store_be *b, const char *user, uint64_t now,
    uint64_t *untilp, char **reasonp);
int lmdb_user_serials(struct store_be *b, const char *user,
    uint64_t now, uint64_t **serialsp, size_t *np);
int lmdb_cert_info(struct store_be *b, uint64_t serial, char *key_id,
    size_t key_id_len, uint64_t *valid_before, char *role,
    size_t role_len);
int lmdb_revoked(struct store_be *b, uint64_t now,
    int (*cb)(uint64_t serial, const char *key_id, void *arg),
    void *arg, uint64_t *versionp);
int lmdb_totp_enroll(struct store_be *b, const char *user,
    const unsigned char *secret, size_t len, uint64_t now);
int lmdb_totp_get(struct store_be *b, const char *user,
    struct jstore_totp *t);
int lmdb_totp_check(struct store_be *b, const char *user,
    struct jstore_totp_check *c);
int lmdb_request_create(struct store_be *b,
    const struct jstore_request *req, uint64_t now,
    unsigned max_pending, char *id_out);
int lmdb_request_get(struct store_be *b, const char *id,
    struct jstore_request **reqp);
int lmdb_request_approve(struct store_be *b, const char *id,
    const char *approver, const char *comment, uint64_t now,
    unsigned quorum, enum jstore_request_state *statep);
int lmdb_request_deny(struct store_be *b, const char *id,
    const char *by, const char *comment, uint64_t now);
int lmdb_request_cancel(struct store_be *b, const char *id,
    const char *by, const char *reason, uint64_t now);
int lmdb_request_mark(struct store_be *b, const char *id,
    unsigned flag, const char *note, uint64_t now);
int lmdb_request_issue(struct store_be *b, const char *id,
    uint64_t now, struct jstore_event *evs, size_t n);
int lmdb_request_expire(struct store_be *b, uint64_t now,
    unsigned *countp);
int lmdb_request_list(struct store_be *b,
    enum jstore_request_state state,
    int (*cb)(const struct jstore_request *req, void *arg),
    void *arg);
int lmdb_request_list_open(struct store_be *b, const char *user,
    int (*cb)(const struct jstore_request *req, void *arg),
    void *arg);

int lmdb_session_start(struct store_be *b, const char *host,
    struct jstore_event *ev, const void *data, size_t len);
int lmdb_session_append(struct store_be *b, const char *id,
    const char *host, uint64_t off, const void *data, size_t len,
    uint64_t max, uint64_t *sizep);
int lmdb_session_end(struct store_be *b, const char *id, const char *host,
    uint64_t size, struct jstore_event *ev);
int lmdb_session_get(struct store_be *b, const char *id,
    struct jstore_session *out);
int lmdb_session_read(struct store_be *b, const char *id,
    int (*cb)(uint64_t off, const unsigned char *p, size_t len, void *arg),
    void *arg);

/* env.c */
int lmdb_mdb_err(int rc);
void lmdb_put_be64(unsigned char *p, uint64_t v);
uint64_t lmdb_get_be64(const unsigned char *p);
/* A counter in the meta database (0 when absent). */
int lmdb_get_meta_u64(struct store_be *s, MDB_txn *txn, const char *name,
    uint64_t *out);
int lmdb_put_meta_u64(struct store_be *s, MDB_txn *txn, const char *name,
    uint64_t val);
/* A per-user meta key "PREFIX:USER" in buf, pointed to by k. */
int lmdb_meta_user_key(const char *prefix, const char *user, char *buf,
    size_t size, MDB_val *k);

/*
 * commit.c: runs fn in a nested transaction of its own inside a write
 * transaction shared with other threads' writers, and commits that
 * durably; fn's result is returned.  When fn fails, at whatever point,
 * what it wrote is rolled back and only that.
 */
void lmdb_commit_init(struct store_be *s);
int lmdb_run_write(struct store_be *s,
    int (*fn)(struct store_be *, MDB_txn *, void *), void *arg);

/* log.c */
int lmdb_get_head(struct store_be *s, MDB_txn *txn, uint64_t *seq,
    unsigned char hash[32]);
/* Appends n events in txn (chain, head, live index). */
int lmdb_append_txn(struct store_be *s, MDB_txn *txn, struct jstore_event *evs,
    size_t n);
/* The checks an "issue" event must pass in the txn that records it. */
int lmdb_issue_allowed(struct store_be *s, MDB_txn *txn,
    const struct jstore_event *evs, size_t n);

/* index.c */
int lmdb_fp_key(const char *fp, unsigned char out[32], size_t *lenp);
int lmdb_index_event(struct store_be *s, MDB_txn *txn,
    const struct jstore_event *ev);
/* Calls put for each index entry ev has (verify checks them the same way). */
int lmdb_index_entries(const struct jstore_event *ev,
    int (*put)(void *arg, int db, const void *key, size_t klen,
    const unsigned char seqbe[8]), void *arg);
int lmdb_index_catch_up(struct store_be *s, uint64_t min_lag);
/* Event seq, decoded into ev (strings in scratch). */
int lmdb_get_event(struct store_be *s, MDB_txn *txn, uint64_t seq,
    struct jstore_event *ev, struct jbuf *scratch);
int lmdb_matches(const struct jstore_filter *f, const struct jstore_event *ev);
/* A walk over the events a filter may match, by the best index. */
struct walk {
	MDB_cursor *cur;
	int db, started, backward;
	int in_tail;		/* walking the not yet indexed events */
	uint64_t tail, indexed, head;
	MDB_val key;		/* the index key we are on (not for time) */
	unsigned char kbuf[KEY_MAX];
	uint64_t since, until;	/* time walks */
};
int lmdb_walk_start(struct store_be *s, MDB_txn *txn,
    const struct jstore_filter *f, int backward, struct walk *w);
/* The next seq; JIT_ERR_NOT_FOUND at the end. */
int lmdb_walk_next(struct walk *w, uint64_t *seqp);

/* live.c */
int lmdb_live_event(struct store_be *s, MDB_txn *txn,
    const struct jstore_event *ev);
int lmdb_live_count(struct store_be *s, MDB_txn *txn, const char *user,
    uint64_t now, uint64_t *np);
int lmdb_live_index_build(struct store_be *s, MDB_txn *txn);

/* lock.c */
uint64_t lmdb_lock_until(const MDB_val *v);
int lmdb_lock_held(struct store_be *s, MDB_txn *txn, const char *user,
    uint64_t now);

/* revoke.c: the "issue" event of serial. */
int lmdb_find_issue(struct store_be *s, MDB_txn *txn, uint64_t serial,
    struct jstore_event *ev, struct jbuf *scratch);

/* totp.c */
int lmdb_totp_read(struct store_be *s, MDB_txn *txn, const char *user,
    struct jstore_totp *t);

/* request.c: runs a request decision (or an append) in a write txn. */
int lmdb_rtx_run(void *be, store_req_fn fn, struct store_req_arg *a);
int lmdb_req_read(struct store_be *s, MDB_txn *txn, const char *id,
    struct jstore_request **rp);
int lmdb_req_is_open(const struct jstore_request *r);
int lmdb_open_index_build(struct store_be *s, MDB_txn *txn);

#endif /* JIT_STORE_DB_H */
