/* store-impl.h: helpers shared by the files in store/ only. */
#ifndef JIT_STORE_IMPL_H
#define JIT_STORE_IMPL_H

#include "jstore.h"

struct jbuf;

/* 1 when fp is empty or "SHA256:" and 43 base64 characters. */
int store_fingerprint_ok(const char *fp);

/* Checks an event before it is written: known kind, bounded fields. */
int store_event_check(const struct jstore_event *ev);

/* The canonical bytes of ev (what the hash chain covers). */
int store_event_encode(const struct jstore_event *ev, struct jbuf *out);

/* hash(n) = SHA-256(prev || canonical bytes of ev). */
int store_chain_hash(const unsigned char prev[32],
    const struct jstore_event *ev, unsigned char out[32]);

/*
 * Decodes canonical bytes into ev; strings are copied NUL-terminated into
 * scratch (reset first) and ev's pointers point there.
 */
int store_event_decode(const unsigned char *p, size_t len,
    struct jstore_event *ev, struct jbuf *scratch);

/* Requests and TOTP records on disk. */
int store_request_encode(const struct jstore_request *r, struct jbuf *b);
int store_request_decode(const unsigned char *p, size_t len,
    struct jstore_request **rp);
int store_totp_encode(const struct jstore_totp *t, struct jbuf *b);
int store_totp_decode(const unsigned char *p, size_t len,
    struct jstore_totp *t);

/*
 * State derived from the log alone (derive.c), for audit verify: feed
 * every event in order with store_derive_event(), then compare.
 */
struct derive;
struct store_derived_request {
	enum jstore_request_state state;	/* pending until decided */
	char *approvers;	/* from the approve events, in order */
	uint64_t serial;	/* issued: the certificate's */
	unsigned flags;		/* from remind / escalate events */
	uint64_t expires;	/* its deadline as the log last set it (0: an
				   older log that did not record it) */
	int seen;		/* its "request" event is in the log */
	int orphan;		/* decisions without a "request" event */
};
struct store_derived_enroll {
	uint64_t seq;		/* the user's latest enroll event */
	char digest[64];	/* its fingerprint of the sealed secret */
	/* The code state the log implies, when it holds all of it (a store
	 * made with a ca-init event, or since a code was accepted): */
	int anchored;
	uint32_t failures;	/* wrong codes since the last accepted one */
	uint64_t locked_until, last_step;
};
struct store_derived_lock {
	int held;		/* the last of lock/unlock was a lock */
	uint64_t until;		/* its end (0: until unlocked) */
	char *reason;
};
struct store_derived_live {
	char *user;
	uint64_t valid_before;
	int gone;		/* revoked since */
};
enum { STORE_DERIVED_REQUESTS, STORE_DERIVED_ENROLLS, STORE_DERIVED_REVOKED,
    STORE_DERIVED_LOCKS, STORE_DERIVED_LIVE };
/*
 * now: the verifier's clock.  Certificates valid past the horizon (the
 * later of now and the newest event's time: a clock stepped back after
 * an expired entry was pruned must not look like tampering) are "live".
 */
struct derive *store_derive_new(uint64_t now);
uint64_t store_derive_horizon(const struct derive *d);
void store_derive_free(struct derive *d);
int store_derive_event(struct derive *d, const struct jstore_event *ev);
const struct store_derived_request *store_derive_request(struct derive *d,
    const char *id);
const struct store_derived_enroll *store_derive_enroll(struct derive *d,
    const char *user);
int store_derive_revoked(struct derive *d, uint64_t serial);
/* An issued, unrevoked certificate valid past the horizon, or NULL. */
const struct store_derived_live *store_derive_live(struct derive *d,
    uint64_t serial);
/* The user's lock when the log's last lock/unlock event is a lock. */
const struct store_derived_lock *store_derive_lock(struct derive *d,
    const char *user);
size_t store_derive_count(struct derive *d, int what);
uint64_t store_derive_max_serial(struct derive *d);
int store_derive_each_request(struct derive *d,
    int (*cb)(const char *id, const struct store_derived_request *r,
    void *arg), void *arg);
int store_derive_each_enroll(struct derive *d,
    int (*cb)(const char *user, const struct store_derived_enroll *e,
    void *arg), void *arg);

/*
 * One verification code check on t (updated in place): result is 0 or
 * JIT_ERR_TOTP_WRONG / _REPLAY; when write is set the caller writes t back
 * and appends the nev events, in one transaction.  Returns
 * JIT_ERR_TOTP_LOCKED (nothing to write) while a lockout runs.
 */
struct store_totp_outcome {
	int result, write;
	struct jstore_event ev[2];
	size_t nev;
	char why[96];
};
int store_totp_decide(struct jstore_totp *t, struct jstore_totp_check *c,
    const char *user, struct store_totp_outcome *o);

/* "SHA256:" and the unpadded base64 of the SHA-256 of a stored secret. */
int store_secret_digest(const unsigned char *sealed, size_t len,
    char out[64]);

/* 1 (and why) when code state t is not what the log says (de). */
int store_totp_disagrees(const char *user, const struct jstore_totp *t,
    const struct store_derived_enroll *de, char *why, size_t size);

/* 1 (and why) when request record r is not what the log says (dr). */
int store_request_disagrees(const struct jstore_request *r,
    const struct store_derived_request *dr, char *why, size_t size);

/* The arguments of a lock (lock 1) or unlock (0): 0 or why not. */
int store_lock_check(int lock, const char *user, uint64_t until,
    const char *by, const char *reason, uint64_t now);
/* The events of a lock or unlock, a revocation of issue, an enrollment. */
void store_lock_event(struct jstore_event *ev, int lock, const char *user,
    uint64_t until, const char *by, const char *reason, uint64_t now);
void store_revoke_event(struct jstore_event *ev,
    const struct jstore_event *issue, const char *by, const char *reason,
    uint64_t now);
void store_enroll_event(struct jstore_event *ev, const char *user,
    const char *digest, uint64_t now);

/* Comma-separated name lists. */
int store_list_has(const char *list, const char *name);

/*
 * rules.c: a session-end event takes its identity from its session's
 * start (start NULL: the borrowed strings are let go again).
 */
void store_session_end_from(struct jstore_event *end,
    const struct jstore_event *start);
/*
 * rules.c: whether len bytes at off may join a recording that holds size
 * bytes, at most max: 0, JIT_ERR_EXISTS (those bytes are there),
 * JIT_ERR_INVALID_ARGUMENT (a gap) or JIT_ERR_FILE_TOO_LARGE.
 */
int store_session_append_ok(uint64_t size, uint64_t off, size_t len,
    uint64_t max);

#endif /* JIT_STORE_IMPL_H */
