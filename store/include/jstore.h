/*
 * jstore.h: the CA's durable state, in one of two backends behind one
 * interface: LMDB (one environment in DIR/store/, for one CA instance) or
 * PostgreSQL (a database several CA instances share).  jstore_open()
 * picks the backend from where it is told to look (a path or a URL);
 * store/internal/store-backend.h is the table each backend fills in.
 *
 * Every state change is an event appended to a hash-chained log:
 *   hash(n) = SHA-256(hash(n-1) || canonical bytes of event n), hash(0) = 0^32
 * and committed durably (LMDB's sync; PostgreSQL's synchronous_commit)
 * before the call returns.  Concurrent writers share one commit (group
 * commit: store/gcommit.c queues them, each backend's commit.c runs a
 * batch).  Indexes find events by time, user, role, serial, key
 * fingerprint and request id.  MDB_* and libpq types and codes never leave
 * store/: errors are JIT_ERR_* (store specific ones are JIT_ERR_STORE_*).
 * The store never logs and never exits.
 */
#ifndef JIT_JSTORE_H
#define JIT_JSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "jit-util.h"

struct jstore;

#define JSTORE_RDONLY		0x01
#define JSTORE_ONESHOT		0x02	/* short-lived tool: LMDB reserves serials
					   one at a time (PostgreSQL: a block
					   per call, the rest a gap) */
#define JSTORE_SCHEMA_VERSION	1	/* of a PostgreSQL store */
#define JSTORE_MAPSIZE_DEFAULT	(4ULL << 30)	/* 4 GiB of address space */

/* One audit event.  Strings may be NULL (stored as empty). */
struct jstore_event {
	uint64_t seq;		/* assigned by the store */
	uint64_t time;		/* seconds since the epoch; 0: now */
	const char *event;	/* "issue", "request", "approve", ... */
	const char *user;
	const char *role;
	uint64_t serial;
	const char *key_id;
	const char *principals;	/* comma-separated */
	uint64_t valid_after, valid_before;
	const char *fingerprint;	/* "SHA256:..." */
	const char *source;	/* client address, or "offline" */
	const char *reason;
	const char *request_id;
	const char *approvers;	/* comma-separated */
	const char *instance;	/* the CA instance that wrote it: set by a
				   shared (PostgreSQL) store, else empty */
	unsigned char hash[32];	/* filled in by the store */
};

#define JSTORE_EVENT_NAME_MAX	32
#define JSTORE_FIELD_MAX	4096	/* any one string field */

/* 1 when name is one of the event kinds the store knows. */
int jstore_event_known(const char *name);
/* The i-th event kind the store knows, NULL past the last. */
const char *jstore_event_name(size_t i);

/*
 * Opens (creating when missing, unless JSTORE_RDONLY) the store in dir.
 * A directory holding something that is not a jit-ssh store, or a damaged
 * one, is refused with JIT_ERR_STORE_FOREIGN / JIT_ERR_STORE_CORRUPT.
 * map_size 0 means JSTORE_MAPSIZE_DEFAULT.
 */
int jstore_open(const char *dir, int flags, uint64_t map_size,
    struct jstore **sp);

/*
 * 1 when where names a PostgreSQL database (a "postgresql://" or
 * "postgres://" URL, or a conninfo string: "key=value ..."), which
 * jstore_open() opens with the PostgreSQL backend; anything else is an
 * LMDB directory.
 */
int jstore_is_url(const char *where);

/*
 * Checks a PostgreSQL location with libpq's own parser: 0 when libpq reads
 * it and it holds no password in any spelling (password=, password = x,
 * user:password@ in a URL, ?password=); else JIT_ERR_INVALID_FORMAT with
 * *whyp a message that never repeats the location.
 */
int jstore_where_check(const char *where, const char **whyp);

/*
 * The location as a message may show it: for PostgreSQL the host, port,
 * dbname and user libpq reads in it, never a password; an LMDB path as it
 * is.  NULL only when out of memory; the caller frees.
 */
char *jstore_where_display(const char *where);

/* "lmdb" or "postgresql". */
const char *jstore_backend(const struct jstore *s);

/* Closes s; waits for nothing (callers finish their appends first). */
void jstore_close(struct jstore *s);

/*
 * Tells the store how many clients its owner is serving now (a server's
 * open sessions).  While many of them have other work to do, concurrent
 * writers are gathered into fewer, bigger durable commits (up to 8 ms of
 * waiting); with few, or never told, writers wait at most 0.3 ms.
 */
void jstore_set_clients(struct jstore *s, unsigned n);

/*
 * The most unexpired, unrevoked certificates one user may hold (0, the
 * default: no cap).  An "issue" event past it is refused in the commit
 * that would record it: JIT_ERR_CERT_CAP.
 */
void jstore_set_live_cap(struct jstore *s, unsigned cap);

/*
 * Reserves the next certificate serial: unique, increasing, never 0, also
 * across processes sharing the store.  Serials are reserved durably in
 * blocks, so a crash can leave gaps but never a repeat.
 */
int jstore_next_serial(struct jstore *s, uint64_t *serialp);

/*
 * Appends n events atomically and durably (one transaction, shared with
 * other threads' appends).  On success each event's seq and hash are set.
 * On failure nothing of these events is written.
 */
int jstore_append(struct jstore *s, struct jstore_event *evs, size_t n);

/* Filter for jstore_query(); zero fields match everything. */
struct jstore_filter {
	const char *user, *role, *event, *fingerprint, *request_id;
	uint64_t serial;
	uint64_t since, until;	/* time range [since, until]; 0: open */
	uint64_t limit;		/* newest limit events; 0: all */
};

/*
 * Calls cb for each matching event, oldest first (the newest f->limit
 * when limit is set).  Pointers in *ev are valid only during the call.
 * A non-zero return from cb stops the walk and is returned.
 */
int jstore_query(struct jstore *s, const struct jstore_filter *f,
    int (*cb)(const struct jstore_event *ev, void *arg), void *arg);

/*
 * Calls cb for at most max events after seq `after`, oldest first, and
 * sets *lastp to the seq of the last one cb took (after, when none): a
 * reader that follows the log (the service's notifier) calls it again from
 * there.  A non-zero return from cb stops the walk before that event and is
 * returned.
 */
int jstore_events_after(struct jstore *s, uint64_t after, size_t max,
    int (*cb)(const struct jstore_event *ev, void *arg), void *arg,
    uint64_t *lastp);

/* The seq of the newest event (0 when the log is empty). */
int jstore_head(struct jstore *s, uint64_t *seqp);

/*
 * A number that changes whenever the log may have grown, cheap to ask
 * (LMDB: the head, read in memory; PostgreSQL: a count of the
 * notifications every instance's commits send, LISTEN/NOTIFY): a reader
 * that saw the same number before has nothing new to read.  0 when the
 * store cannot tell right now (read anyway).
 */
uint64_t jstore_changes(struct jstore *s);

/*
 * Walks the whole chain: recomputes every hash, checks that sequence
 * numbers run 1..N without gaps and that the head record matches.  Returns
 * 0 when intact (*countp events, head hash in head[32] when not NULL), or
 * JIT_ERR_STORE_TAMPERED with the first bad sequence number in *bad_seqp.
 */
/*
 * Re-derives from the log the state kept beside it and compares: every
 * request record (state, approvers, serial; no record without its request
 * event and none missing), the revocation table, every index entry (none
 * missing, none extra), the serial high-water mark (not below a serial in
 * the log) and every TOTP record (the user's latest enroll event, the same
 * secret).  Each disagreement is told to cb as one line; *nbadp counts them.
 * 0 when all agree, JIT_ERR_STORE_TAMPERED when any does not.
 */
int jstore_verify_state(struct jstore *s,
    void (*cb)(const char *what, void *arg), void *arg, size_t *nbadp);

int jstore_verify(struct jstore *s, uint64_t *countp, uint64_t *bad_seqp,
    unsigned char head[32]);

/*
 * Revocations.  A revoked certificate stays listed until it expires.
 * jstore_revoke() records the revocation of serial (which must have been
 * issued; JIT_ERR_NOT_FOUND otherwise; JIT_ERR_EXISTS when already revoked)
 * together with a "revoke" event in one commit.
 */
int jstore_revoke(struct jstore *s, uint64_t serial, const char *by,
    const char *reason, uint64_t now);

/*
 * Revokes each of n serials not revoked yet, in one commit (its "revoke"
 * events included); *donep says how many were new.  A serial never issued
 * fails the whole batch (JIT_ERR_NOT_FOUND) and nothing is written.
 */
int jstore_revoke_many(struct jstore *s, const uint64_t *serials, size_t n,
    const char *by, const char *reason, uint64_t now, size_t *donep);

/*
 * Locks: no new certificate for user until `until` (0: until unlocked),
 * with a "lock" event (its valid_before is the end) in the same commit.
 * The store itself refuses an "issue" event for a locked user
 * (JIT_ERR_USER_LOCKED), so a lock also stops an issuance under way.
 * An until not after now is JIT_ERR_INVALID_ARGUMENT.  jstore_unlock()
 * ends a lock early ("unlock" event; JIT_ERR_NOT_FOUND when there is none).
 * jstore_locked() is 1 while a lock holds (*untilp its end, 0 for none;
 * *reasonp, when not NULL, a new string the caller frees), 0 when not
 * locked, or an error.
 */
int jstore_lock(struct jstore *s, const char *user, uint64_t until,
    const char *by, const char *reason, uint64_t now);
int jstore_unlock(struct jstore *s, const char *user, const char *by,
    const char *reason, uint64_t now);
int jstore_locked(struct jstore *s, const char *user, uint64_t now,
    uint64_t *untilp, char **reasonp);

/* Serials of the unexpired certificates issued to user, in a new array. */
int jstore_user_serials(struct jstore *s, const char *user, uint64_t now,
    uint64_t **serialsp, size_t *np);

/* The key id and validity of an issued serial. */
int jstore_cert_info(struct jstore *s, uint64_t serial, char *key_id,
    size_t key_id_len, uint64_t *valid_before, char *role, size_t role_len);

/*
 * Calls cb for every revoked certificate that is still valid at now, in
 * serial order.  *versionp (when not NULL) is the current log length, a
 * number that grows whenever anything changes (KRL version).
 */
int jstore_revoked(struct jstore *s, uint64_t now,
    int (*cb)(uint64_t serial, const char *key_id, void *arg), void *arg,
    uint64_t *versionp);

/*
 * TOTP state per user: the secret (at most 64 bytes), the last accepted
 * time step, consecutive failures and the time a lockout ends.
 */
struct jstore_totp {
	unsigned char secret[64];
	size_t secret_len;
	uint64_t last_step;
	uint32_t failures;
	uint64_t locked_until;
	uint64_t enroll_seq;	/* the enroll event it comes from (0: older store) */
};

/*
 * Sets (replaces) user's secret and resets its state, with an "enroll"
 * event whose fingerprint field is the SHA-256 of the secret as stored.
 * The record names that event, and the store remembers the user's latest
 * one: a record that is not the latest enrollment's (an old one restored)
 * is refused with JIT_ERR_STORE_TAMPERED by jstore_totp_get() and
 * jstore_totp_check().
 */
int jstore_totp_enroll(struct jstore *s, const char *user,
    const unsigned char *secret, size_t len, uint64_t now);

/* Reads user's state (JIT_ERR_NOT_FOUND when not enrolled); wipe it after use. */
int jstore_totp_get(struct jstore *s, const char *user, struct jstore_totp *t);

/*
 * One verification code check, decided and counted in one write
 * transaction so that parallel checks are counted one after the other.
 * verify() gets the stored (sealed) secret and says whether the code is
 * right (0 and the time step it matched) or not; it runs under the store's
 * write lock, so it must be quick and must not use the store.
 */
struct jstore_totp_check {
	uint64_t now;
	uint32_t max_failures;	/* lock from this many failures in a row */
	const char *source;	/* the address, for the events */
	int (*verify)(const unsigned char *sealed, size_t len, void *arg,
	    uint64_t *stepp);
	void *arg;
	/* Out: */
	uint32_t failures;	/* failures in a row after this check */
	uint64_t locked_until;	/* the end of the lockout that runs, or 0 */
	int locked_now;		/* this check started the lockout */
};

/*
 * Checks a code for user.  While a lockout runs: JIT_ERR_TOTP_LOCKED and
 * nothing is verified.  Else verify() decides; a step not newer than the
 * last accepted one is JIT_ERR_TOTP_REPLAY, a wrong code JIT_ERR_TOTP_WRONG.
 * Each failure counts and is recorded as an "mfa-fail" event; the
 * max_failures-th failure in a row and each further one lock the user for
 * 1, 2, 4, ... 64 minutes (a "lockout" event).  Success resets the count.
 * JIT_ERR_NOT_FOUND when user is not enrolled.
 */
int jstore_totp_check(struct jstore *s, const char *user,
    struct jstore_totp_check *c);

/*
 * Approval requests.  A request binds the exact certificate to be issued
 * (role, principals, ttl, key); approvals and denials are recorded against
 * it; it survives restarts.  The caller checks the policy (who may approve,
 * MFA); the store still refuses self-approval, a second vote by the same
 * approver, and any decision on a request that is expired or decided.
 */
enum jstore_request_state {
	JSTORE_REQ_PENDING = 1,
	JSTORE_REQ_APPROVED,
	JSTORE_REQ_DENIED,
	JSTORE_REQ_EXPIRED,
	JSTORE_REQ_ISSUED,
};

struct jstore_request {
	char *id;
	char *user, *role, *principals, *pubkey, *fingerprint;
	char *reason, *source, *approver_groups;
	char *approvers;	/* comma-separated, in order of approval */
	uint64_t ttl, created, serial;
	uint64_t expires;	/* pending: decide by; approved: pick up by */
	uint64_t pickup_ttl;	/* seconds to pick up once approved */
	unsigned quorum;
	enum jstore_request_state state;
	unsigned flags;		/* JSTORE_REQ_REMINDED, _ESCALATED */
};

#define JSTORE_REQUEST_ID_LEN	18	/* "r-" + 16 hex digits */
#define JSTORE_REQ_REMINDED	0x01	/* approvers were reminded */
#define JSTORE_REQ_ESCALATED	0x02	/* more approvers were asked */

/* Frees a request returned by the store.  NULL-safe. */
void jstore_request_free(struct jstore_request *r);

/* "pending", "approved", ... */
const char *jstore_request_state_name(enum jstore_request_state st);

/*
 * Records a new pending request (state, id, created and approvers are set
 * by the store from now and the CSPRNG) with a "request" event, durably.
 * The new id is copied to id_out (JSTORE_REQUEST_ID_LEN + 1 bytes).
 * Refuses with JIT_ERR_PENDING_CAP when user already has max_pending
 * pending requests.
 */
int jstore_request_create(struct jstore *s, const struct jstore_request *req,
    uint64_t now, unsigned max_pending, char *id_out);

/* Reads a request; JIT_ERR_NOT_FOUND when there is none. */
int jstore_request_get(struct jstore *s, const char *id,
    struct jstore_request **reqp);

/*
 * One approval by approver (with an optional comment), with an "approve"
 * event.  quorum is the number of approvals the policy asks for now (0:
 * the one recorded at creation); the request is approved once the count of
 * its approvers reaches it, and from then on must be picked up within its
 * pickup_ttl.  *statep is the state afterwards.  Errors:
 * JIT_ERR_REQUEST_SELF, JIT_ERR_EXISTS (already approved by this approver),
 * JIT_ERR_REQUEST_DECIDED, JIT_ERR_REQUEST_EXPIRED (the request is then
 * marked expired, with an "expire" event).
 */
int jstore_request_approve(struct jstore *s, const char *id,
    const char *approver, const char *comment, uint64_t now, unsigned quorum,
    enum jstore_request_state *statep);

/* Denies a pending request, with a "deny" event.  Same errors. */
int jstore_request_deny(struct jstore *s, const char *id, const char *by,
    const char *comment, uint64_t now);

/*
 * Cancels a pending or approved (not yet issued) request, with a "deny"
 * event by `by` (the requester withdrawing, or "policy" when the policy no
 * longer allows what was approved).  Same errors.
 */
int jstore_request_cancel(struct jstore *s, const char *id, const char *by,
    const char *reason, uint64_t now);

/*
 * Marks a pending request with flag (JSTORE_REQ_REMINDED or
 * JSTORE_REQ_ESCALATED) together with its event ("remind" or "escalate",
 * note as the reason) in one commit, so each happens once per request
 * whoever asks.  JIT_ERR_EXISTS when already marked,
 * JIT_ERR_REQUEST_DECIDED when not pending, JIT_ERR_NOT_FOUND.
 */
int jstore_request_mark(struct jstore *s, const char *id, unsigned flag,
    const char *note, uint64_t now);

/*
 * Issues approved request id, atomically: in one commit checks that it is
 * approved and inside its pickup window, marks it issued as evs[0].serial
 * and appends evs (its "issue" events).  So a request gives at most one
 * certificate, whoever asks and however many at once.  Errors:
 * JIT_ERR_REQUEST_DECIDED (not approved: pending, denied, issued already),
 * JIT_ERR_REQUEST_EXPIRED (the pickup window closed: then marked expired
 * with an "expire" event), or those of jstore_append(); nothing of evs is
 * written on any error.
 */
int jstore_request_issue(struct jstore *s, const char *id, uint64_t now,
    struct jstore_event *evs, size_t n);

/*
 * Expires every pending request past its decision time and every approved
 * one past its pickup time, with "expire" events.
 */
int jstore_request_expire(struct jstore *s, uint64_t now, unsigned *countp);

/*
 * Calls cb for each request in state (0: any), oldest first.  The request
 * passed to cb lives only during the call.
 */
int jstore_request_list(struct jstore *s, enum jstore_request_state state,
    int (*cb)(const struct jstore_request *req, void *arg), void *arg);

/*
 * The open (pending or approved) requests, of user or (NULL) everybody's,
 * soonest expiry first for everybody's: read from an index of open
 * requests, so the cost does not grow with the history.  A negative value
 * from cb stops the walk and is returned.
 */
int jstore_request_list_open(struct jstore *s, const char *user,
    int (*cb)(const struct jstore_request *req, void *arg), void *arg);

/*
 * Copies src into dst, which must be empty (JIT_ERR_EXISTS otherwise):
 * every event with its sequence number, hash and instance, each checked
 * against the chain as it goes (JIT_ERR_STORE_TAMPERED on a break, and
 * nothing is written), then the state beside the log (requests, TOTP
 * records, locks, revocations) and the serial counter, in one transaction.
 * dst's chain is then src's: the same head.  *countp: events copied.
 * JIT_ERR_NOT_SUPPORTED when dst's backend cannot be copied into (LMDB).
 */
int jstore_copy(struct jstore *src, struct jstore *dst, uint64_t *countp);

/*
 * Session recordings, sent by hosts (jit-ssh-host).  A recording belongs
 * to the host that started it and to a certificate this store issued; it
 * grows by chunks, each appended exactly where the stored copy ends, and
 * once ended it never changes.  Its start and its end are events in the
 * chain ("session-start", "session-end"), the end carrying the SHA-256 of
 * the whole recording (fingerprint, "SHA256:" base64) and its size (the
 * reason begins "N bytes"), so jstore_verify_state() re-hashes each one.
 * Event fields: request_id the session id, user/role/serial/key_id those
 * of the issuance, principals "ACCOUNT@HOST", source the client address,
 * valid_after when the session began and (session-end) valid_before when
 * it ended, by the host's clock.
 */
#define JSTORE_SESSION_ID_LEN	JIT_SESSION_ID_LEN	/* jit-util.h */
#define JSTORE_HOST_MAX		255
#define JSTORE_CHUNK_MAX	(1024 * 1024)

struct jstore_session {
	char id[JSTORE_SESSION_ID_LEN + 1];
	char host[JSTORE_HOST_MAX + 1];
	uint64_t serial, size;
	int ended;
	uint64_t start_seq, end_seq;
};

/* 1 when id has the form of a session id. */
int jstore_session_id_ok(const char *id);

/*
 * Starts recording ev->request_id for host with its first len bytes and
 * ev, its "session-start" event (the store fills in user, role and key_id
 * from the issuance of ev->serial), in one commit.  JIT_ERR_NOT_FOUND
 * when ev->serial was never issued, JIT_ERR_EXISTS when the id is taken.
 */
int jstore_session_start(struct jstore *s, const char *host,
    struct jstore_event *ev, const void *data, size_t len);

/*
 * Appends len bytes at off, which must be the stored size: else
 * JIT_ERR_EXISTS (off is before it: those bytes are there already) or
 * JIT_ERR_INVALID_ARGUMENT (after it: a gap); *sizep is the stored size
 * afterwards, whatever the result.  Another host's recording:
 * JIT_ERR_DENIED; an ended one: JIT_ERR_REQUEST_DECIDED; past max bytes:
 * JIT_ERR_FILE_TOO_LARGE.  Nothing is written on any error.
 */
int jstore_session_append(struct jstore *s, const char *id, const char *host,
    uint64_t off, const void *data, size_t len, uint64_t max,
    uint64_t *sizep);

/*
 * Ends recording id of host: hashes what is stored and appends ev, its
 * "session-end" event (the store fills in the identity from the start,
 * the fingerprint, and "N bytes" ahead of ev->reason).  Same errors.
 */
int jstore_session_end(struct jstore *s, const char *id, const char *host,
    struct jstore_event *ev);

/* The recording's record; JIT_ERR_NOT_FOUND when there is none. */
int jstore_session_get(struct jstore *s, const char *id,
    struct jstore_session *out);

/* Calls cb with the recording's bytes, in order, a chunk at a time. */
int jstore_session_read(struct jstore *s, const char *id,
    int (*cb)(const unsigned char *p, size_t len, void *arg), void *arg);

/*
 * SHA-256 of the stored recording as a "SHA256:" fingerprint (fp: 51
 * bytes) and its size.
 */
int jstore_session_hash(struct jstore *s, const char *id, char fp[51],
    uint64_t *sizep);

#endif /* JIT_JSTORE_H */
