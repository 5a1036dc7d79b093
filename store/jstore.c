/*
 * jstore.c: the public store handle.  jstore_open() picks the backend from
 * where the store is: a PostgreSQL URL ("postgresql://...", "postgres://...")
 * or conninfo ("host=... dbname=...") or else an LMDB directory; every
 * other call goes to that backend's table.
 */
#include <stdlib.h>
#include <string.h>

#include "jit-err.h"
#include "jstore.h"
#include "store-backend.h"

extern const struct jstore_ops store_lmdb_ops;
extern const struct jstore_ops store_pg_ops;

int
jstore_is_url(const char *where)
{
	return where != NULL && (strncmp(where, "postgresql://", 13) == 0 ||
	    strncmp(where, "postgres://", 11) == 0 || strchr(where, '=') != NULL);
}

int
jstore_open(const char *where, int flags, uint64_t map_size, struct jstore **sp)
{
	const struct jstore_ops *ops = &store_lmdb_ops;
	struct jstore *s;
	int r;

	if (sp == NULL || where == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*sp = NULL;
	if (jstore_is_url(where))
		ops = &store_pg_ops;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return JIT_ERR_ALLOC;
	s->ops = ops;
	if ((r = ops->open(where, flags, map_size, &s->be)) != 0) {
		free(s);
		return r;
	}
	*sp = s;
	return 0;
}

void
jstore_close(struct jstore *s)
{
	if (s == NULL)
		return;
	s->ops->close(s->be);
	free(s);
}

const char *
jstore_backend(const struct jstore *s)
{
	return s->ops->name;
}

int
jstore_copy(struct jstore *src, struct jstore *dst, uint64_t *countp)
{
	if (src == NULL || dst == NULL || countp == NULL || src == dst)
		return JIT_ERR_INVALID_ARGUMENT;
	if (dst->ops->import_from == NULL)
		return JIT_ERR_NOT_SUPPORTED;
	return dst->ops->import_from(dst->be, src, countp);
}

struct store_be *
store_be_of(struct jstore *s)
{
	return s->be;
}

void
jstore_set_clients(struct jstore *s, unsigned n)
{
	s->ops->set_clients(s->be, n);
}

void
jstore_set_live_cap(struct jstore *s, unsigned cap)
{
	s->ops->set_live_cap(s->be, cap);
}

int
jstore_next_serial(struct jstore *s, uint64_t *serialp)
{
	return s->ops->next_serial(s->be, serialp);
}

int
jstore_append(struct jstore *s, struct jstore_event *evs, size_t n)
{
	return s->ops->append(s->be, evs, n);
}

int
jstore_query(struct jstore *s, const struct jstore_filter *f,
    int (*cb)(const struct jstore_event *ev, void *arg), void *arg)
{
	return s->ops->query(s->be, f, cb, arg);
}

int
jstore_events_after(struct jstore *s, uint64_t after, size_t max,
    int (*cb)(const struct jstore_event *ev, void *arg), void *arg,
    uint64_t *lastp)
{
	return s->ops->events_after(s->be, after, max, cb, arg, lastp);
}

int
jstore_head(struct jstore *s, uint64_t *seqp)
{
	return s->ops->head(s->be, seqp);
}

uint64_t
jstore_changes(struct jstore *s)
{
	return s->ops->changes(s->be);
}

int
jstore_verify_state(struct jstore *s, void (*cb)(const char *what, void *arg),
    void *arg, size_t *nbadp)
{
	size_t more = 0;
	int r, r2;

	r = s->ops->verify_state(s->be, cb, arg, nbadp);
	if (r != 0 && r != JIT_ERR_STORE_TAMPERED)
		return r;
	if ((r2 = store_sessions_verify(s, cb, arg, &more)) != 0 &&
	    r2 != JIT_ERR_STORE_TAMPERED)
		return r2;
	*nbadp += more;
	return *nbadp > 0 ? JIT_ERR_STORE_TAMPERED : 0;
}

int
jstore_verify(struct jstore *s, uint64_t *countp, uint64_t *bad_seqp,
    unsigned char head[32])
{
	return s->ops->verify(s->be, countp, bad_seqp, head);
}

int
jstore_revoke(struct jstore *s, uint64_t serial, const char *by,
    const char *reason, uint64_t now)
{
	return s->ops->revoke(s->be, serial, by, reason, now);
}

int
jstore_revoke_many(struct jstore *s, const uint64_t *serials, size_t n,
    const char *by, const char *reason, uint64_t now, size_t *donep)
{
	return s->ops->revoke_many(s->be, serials, n, by, reason, now, donep);
}

int
jstore_lock(struct jstore *s, const char *user, uint64_t until, const char *by,
    const char *reason, uint64_t now)
{
	return s->ops->lock(s->be, user, until, by, reason, now);
}

int
jstore_unlock(struct jstore *s, const char *user, const char *by,
    const char *reason, uint64_t now)
{
	return s->ops->unlock(s->be, user, by, reason, now);
}

int
jstore_locked(struct jstore *s, const char *user, uint64_t now,
    uint64_t *untilp, char **reasonp)
{
	return s->ops->locked(s->be, user, now, untilp, reasonp);
}

int
jstore_user_serials(struct jstore *s, const char *user, uint64_t now,
    uint64_t **serialsp, size_t *np)
{
	return s->ops->user_serials(s->be, user, now, serialsp, np);
}

int
jstore_cert_info(struct jstore *s, uint64_t serial, char *key_id,
    size_t key_id_len, uint64_t *valid_before, char *role, size_t role_len)
{
	return s->ops->cert_info(s->be, serial, key_id, key_id_len,
	    valid_before, role, role_len);
}

int
jstore_revoked(struct jstore *s, uint64_t now, int (*cb)(uint64_t serial,
    const char *key_id, void *arg), void *arg, uint64_t *versionp)
{
	return s->ops->revoked(s->be, now, cb, arg, versionp);
}

int
jstore_totp_enroll(struct jstore *s, const char *user,
    const unsigned char *secret, size_t len, uint64_t now)
{
	return s->ops->totp_enroll(s->be, user, secret, len, now);
}

int
jstore_totp_get(struct jstore *s, const char *user, struct jstore_totp *t)
{
	return s->ops->totp_get(s->be, user, t);
}

int
jstore_totp_check(struct jstore *s, const char *user,
    struct jstore_totp_check *c)
{
	return s->ops->totp_check(s->be, user, c);
}

int
jstore_request_create(struct jstore *s, const struct jstore_request *req,
    uint64_t now, unsigned max_pending, char *id_out)
{
	return s->ops->request_create(s->be, req, now, max_pending, id_out);
}

int
jstore_request_get(struct jstore *s, const char *id,
    struct jstore_request **reqp)
{
	return s->ops->request_get(s->be, id, reqp);
}

int
jstore_request_approve(struct jstore *s, const char *id, const char *approver,
    const char *comment, uint64_t now, unsigned quorum,
    enum jstore_request_state *statep)
{
	return s->ops->request_approve(s->be, id, approver, comment, now,
	    quorum, statep);
}

int
jstore_request_deny(struct jstore *s, const char *id, const char *by,
    const char *comment, uint64_t now)
{
	return s->ops->request_deny(s->be, id, by, comment, now);
}

int
jstore_request_cancel(struct jstore *s, const char *id, const char *by,
    const char *reason, uint64_t now)
{
	return s->ops->request_cancel(s->be, id, by, reason, now);
}

int
jstore_request_mark(struct jstore *s, const char *id, unsigned flag,
    const char *note, uint64_t now)
{
	return s->ops->request_mark(s->be, id, flag, note, now);
}

int
jstore_request_issue(struct jstore *s, const char *id, uint64_t now,
    struct jstore_event *evs, size_t n)
{
	return s->ops->request_issue(s->be, id, now, evs, n);
}

int
jstore_request_expire(struct jstore *s, uint64_t now, unsigned *countp)
{
	return s->ops->request_expire(s->be, now, countp);
}

int
jstore_request_list(struct jstore *s, enum jstore_request_state state,
    int (*cb)(const struct jstore_request *req, void *arg), void *arg)
{
	return s->ops->request_list(s->be, state, cb, arg);
}

int
jstore_request_list_open(struct jstore *s, const char *user,
    int (*cb)(const struct jstore_request *req, void *arg), void *arg)
{
	return s->ops->request_list_open(s->be, user, cb, arg);
}
