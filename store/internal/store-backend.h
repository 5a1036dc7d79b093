/*
 * store-backend.h: what a store backend implements.  jstore.c keeps the
 * public handle and calls the backend through its table; each backend
 * defines its own struct store_be (LMDB: lmdb/lmdb-store.h, PostgreSQL:
 * pg/pg-store.h) and never sees the other's.  The semantics of each entry
 * are those of the jstore_ function of the same name in jstore.h.
 */
#ifndef JIT_STORE_BACKEND_H
#define JIT_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "jstore.h"

struct store_be;

struct jstore_ops {
	const char *name;
	int (*open)(const char *where, int flags, uint64_t map_size,
	    struct store_be **bp);
	void (*close)(struct store_be *b);
	void (*set_clients)(struct store_be *b, unsigned n);
	void (*set_live_cap)(struct store_be *b, unsigned cap);
	int (*next_serial)(struct store_be *b, uint64_t *serialp);
	int (*append)(struct store_be *b, struct jstore_event *evs, size_t n);
	int (*query)(struct store_be *b, const struct jstore_filter *f,
	    int (*cb)(const struct jstore_event *ev, void *arg), void *arg);
	int (*events_after)(struct store_be *b, uint64_t after, size_t max,
	    int (*cb)(const struct jstore_event *ev, void *arg), void *arg,
	    uint64_t *lastp);
	int (*head)(struct store_be *b, uint64_t *seqp);
	uint64_t (*changes)(struct store_be *b);
	int (*verify_state)(struct store_be *b, void (*cb)(const char *what,
	    void *arg), void *arg, size_t *nbadp);
	int (*verify)(struct store_be *b, uint64_t *countp, uint64_t *bad_seqp,
	    unsigned char head[32]);
	int (*revoke)(struct store_be *b, uint64_t serial, const char *by,
	    const char *reason, uint64_t now);
	int (*revoke_many)(struct store_be *b, const uint64_t *serials,
	    size_t n, const char *by, const char *reason, uint64_t now,
	    size_t *donep);
	int (*lock)(struct store_be *b, const char *user, uint64_t until,
	    const char *by, const char *reason, uint64_t now);
	int (*unlock)(struct store_be *b, const char *user, const char *by,
	    const char *reason, uint64_t now);
	int (*locked)(struct store_be *b, const char *user, uint64_t now,
	    uint64_t *untilp, char **reasonp);
	int (*user_serials)(struct store_be *b, const char *user, uint64_t now,
	    uint64_t **serialsp, size_t *np);
	int (*cert_info)(struct store_be *b, uint64_t serial, char *key_id,
	    size_t key_id_len, uint64_t *valid_before, char *role,
	    size_t role_len);
	int (*revoked)(struct store_be *b, uint64_t now,
	    int (*cb)(uint64_t serial, const char *key_id, void *arg),
	    void *arg, uint64_t *versionp);
	int (*totp_enroll)(struct store_be *b, const char *user,
	    const unsigned char *secret, size_t len, uint64_t now);
	int (*totp_get)(struct store_be *b, const char *user,
	    struct jstore_totp *t);
	int (*totp_check)(struct store_be *b, const char *user,
	    struct jstore_totp_check *c);
	int (*request_create)(struct store_be *b,
	    const struct jstore_request *req, uint64_t now,
	    unsigned max_pending, char *id_out);
	int (*request_get)(struct store_be *b, const char *id,
	    struct jstore_request **reqp);
	int (*request_approve)(struct store_be *b, const char *id,
	    const char *approver, const char *comment, uint64_t now,
	    unsigned quorum, enum jstore_request_state *statep);
	int (*request_deny)(struct store_be *b, const char *id, const char *by,
	    const char *comment, uint64_t now);
	int (*request_cancel)(struct store_be *b, const char *id,
	    const char *by, const char *reason, uint64_t now);
	int (*request_mark)(struct store_be *b, const char *id, unsigned flag,
	    const char *note, uint64_t now);
	int (*request_issue)(struct store_be *b, const char *id, uint64_t now,
	    struct jstore_event *evs, size_t n);
	int (*request_expire)(struct store_be *b, uint64_t now,
	    unsigned *countp);
	int (*request_list)(struct store_be *b,
	    enum jstore_request_state state,
	    int (*cb)(const struct jstore_request *req, void *arg), void *arg);
	int (*request_list_open)(struct store_be *b, const char *user,
	    int (*cb)(const struct jstore_request *req, void *arg), void *arg);
	int (*session_start)(struct store_be *b, const char *host,
	    struct jstore_event *ev, const void *data, size_t len);
	int (*session_append)(struct store_be *b, const char *id,
	    const char *host, uint64_t off, const void *data, size_t len,
	    uint64_t max, uint64_t *sizep);
	/* size: what the caller hashed (ev->fingerprint); refused when the
	 * stored size is not that. */
	int (*session_end)(struct store_be *b, const char *id,
	    const char *host, uint64_t size, struct jstore_event *ev);
	int (*session_get)(struct store_be *b, const char *id,
	    struct jstore_session *out);
	/* Each stored chunk of id with its offset, in offset order (the
	 * caller checks that they follow each other up to the size). */
	int (*session_read)(struct store_be *b, const char *id,
	    int (*cb)(uint64_t off, const unsigned char *p, size_t len,
	    void *arg), void *arg);
	/* Optional (NULL: this backend cannot be copied into): jstore_copy. */
	int (*import_from)(struct store_be *b, struct jstore *src,
	    uint64_t *countp);
};

/* The public handle. */
struct jstore {
	const struct jstore_ops *ops;
	struct store_be *be;
};

/*
 * session.c: re-derives every recording from its events: each
 * session-start has its record, each session-end's fingerprint and size
 * are those of the stored bytes.  Disagreements to cb, counted in *nbadp.
 */
int store_sessions_verify(struct jstore *s,
    void (*cb)(const char *what, void *arg), void *arg, size_t *nbadp);

/* The backend behind s (for tests that look inside one). */
struct store_be *store_be_of(struct jstore *s);

#endif /* JIT_STORE_BACKEND_H */
