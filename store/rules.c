/*
 * rules.c: decisions every backend makes the same way, apart from how it
 * reads and writes: one verification code check, the digest of a secret,
 * the events of a lock, a revocation and an enrollment, and where a
 * recording's bytes may go.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jtotp.h"
#include "jstore.h"
#include "store-impl.h"

int
store_totp_decide(struct jstore_totp *t, struct jstore_totp_check *c,
    const char *user, struct store_totp_outcome *o)
{
	uint64_t step = 0;

	memset(o->ev, 0, sizeof(o->ev));
	o->nev = 0;
	o->write = 0;
	c->locked_now = 0;
	c->failures = t->failures;
	c->locked_until = t->locked_until > c->now ? t->locked_until : 0;
	if (c->locked_until != 0)
		return JIT_ERR_TOTP_LOCKED;	/* nothing to write */
	if (c->verify(t->secret, t->secret_len, c->arg, &step) != 0)
		o->result = JIT_ERR_TOTP_WRONG;
	else if (step <= t->last_step)	/* each step once, never older */
		o->result = JIT_ERR_TOTP_REPLAY;
	else
		o->result = 0;
	o->write = 1;
	if (o->result == 0) {
		t->last_step = step;
		t->failures = 0;
		t->locked_until = 0;
		c->failures = 0;
		/* On record: the step used (no replay) and the counters reset,
		 * so audit verify re-derives the state. */
		o->ev[0].time = c->now;
		o->ev[0].event = "mfa";
		o->ev[0].user = user;
		o->ev[0].source = c->source;
		o->ev[0].valid_after = step * JTOTP_STEP;
		o->ev[0].valid_before = (step + 1) * JTOTP_STEP;
		o->nev = 1;
		return 0;
	}
	/* A code used before is a right code typed twice, not a guess: on
	 * record, but it counts toward no lockout. */
	if (o->result != JIT_ERR_TOTP_REPLAY && t->failures < UINT32_MAX)
		t->failures++;
	c->failures = t->failures;
	o->ev[0].time = c->now;
	o->ev[0].event = "mfa-fail";
	o->ev[0].user = user;
	o->ev[0].source = c->source;
	o->ev[0].reason = o->result == JIT_ERR_TOTP_REPLAY ?
	    "code already used" : "wrong code";
	o->nev = 1;
	if (o->result != JIT_ERR_TOTP_REPLAY && c->max_failures != 0 &&
	    t->failures >= c->max_failures) {
		uint32_t over = t->failures - c->max_failures;

		t->locked_until = c->now + (60ULL << (over > 6 ? 6 : over));
		c->locked_until = t->locked_until;
		c->locked_now = 1;
		snprintf(o->why, sizeof(o->why), "%u wrong codes in a row: "
		    "locked for %llu s", t->failures,
		    (unsigned long long)(t->locked_until - c->now));
		o->ev[1] = o->ev[0];
		o->ev[1].event = "lockout";
		o->ev[1].reason = o->why;
		o->ev[1].valid_before = t->locked_until;
		o->nev = 2;
	}
	return 0;
}

/* "SHA256:" and the unpadded base64 of the SHA-256 of the stored secret. */
int
store_secret_digest(const unsigned char *sealed, size_t len, char out[64])
{
	unsigned char md[32];
	struct jbuf *b;
	char *b64 = NULL, *eq;
	int r;

	if (EVP_Digest(sealed, len, md, NULL, EVP_sha256(), NULL) != 1)
		return JIT_ERR_LIBCRYPTO;
	if ((b = jbuf_from(md, sizeof(md))) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jbuf_dtob64(b, &b64)) == 0) {
		if ((eq = strchr(b64, '=')) != NULL)
			*eq = '\0';
		snprintf(out, 64, "SHA256:%s", b64);
	}
	free(b64);
	jbuf_free(b);
	return r;
}

int
store_request_disagrees(const struct jstore_request *r,
    const struct store_derived_request *dr, char *why, size_t size)
{
	const char *logged = dr != NULL && dr->approvers != NULL ?
	    dr->approvers : "";

	if (dr == NULL || !dr->seen)
		snprintf(why, size, "request %s: no request event in the log",
		    r->id);
	else if (dr->state != JSTORE_REQ_PENDING ? r->state != dr->state :
	    (r->state != JSTORE_REQ_PENDING && r->state != JSTORE_REQ_APPROVED))
		snprintf(why, size, "request %s: the record says %s, the log %s",
		    r->id, jstore_request_state_name(r->state),
		    jstore_request_state_name(dr->state));
	else if (strcmp(r->approvers, logged) != 0)
		snprintf(why, size, "request %s: the record's approvers '%s' are "
		    "not the log's '%s'", r->id, r->approvers, logged);
	else if (r->state == JSTORE_REQ_APPROVED &&
	    jit_list_count(r->approvers) < (r->quorum ? r->quorum : 1))
		snprintf(why, size, "request %s: approved with %zu of %u "
		    "approvals", r->id, jit_list_count(r->approvers), r->quorum);
	else if (r->state == JSTORE_REQ_ISSUED && r->serial != dr->serial)
		snprintf(why, size, "request %s: the record's serial %llu is not "
		    "the log's %llu", r->id, (unsigned long long)r->serial,
		    (unsigned long long)dr->serial);
	else if (r->flags != dr->flags)
		snprintf(why, size, "request %s: the record's reminder/escalation "
		    "flags %u are not the log's %u", r->id, r->flags, dr->flags);
	else if (dr->expires != 0 && r->expires != dr->expires)
		snprintf(why, size, "request %s: the record's deadline %llu is not "
		    "the log's %llu", r->id, (unsigned long long)r->expires,
		    (unsigned long long)dr->expires);
	else
		return 0;
	return 1;
}

int
store_totp_disagrees(const char *user, const struct jstore_totp *t,
    const struct store_derived_enroll *de, char *why, size_t size)
{
	if (de == NULL || !de->anchored)
		return 0;
	if (t->failures != de->failures)
		snprintf(why, size, "totp %s: the record counts %u wrong codes, "
		    "the log %u (a lockout cleared?)", user, t->failures,
		    de->failures);
	else if (t->locked_until != de->locked_until)
		snprintf(why, size, "totp %s: the record is locked until %llu, "
		    "the log until %llu", user,
		    (unsigned long long)t->locked_until,
		    (unsigned long long)de->locked_until);
	else if (t->last_step != de->last_step)
		snprintf(why, size, "totp %s: the record's last used step is "
		    "%llu, the log's %llu (a used code re-opened?)", user,
		    (unsigned long long)t->last_step,
		    (unsigned long long)de->last_step);
	else
		return 0;
	return 1;
}

int
store_lock_check(int lock, const char *user, uint64_t until, const char *by,
    const char *reason, uint64_t now)
{
	struct jstore_event ev;
	int r;

	if (user == NULL || *user == '\0' || by == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	store_lock_event(&ev, lock, user, until, by, reason, now);
	if ((r = store_event_check(&ev)) != 0)
		return r;
	if (lock && until != 0 && until <= now)
		return JIT_ERR_INVALID_ARGUMENT;
	return 0;
}

void
store_lock_event(struct jstore_event *ev, int lock, const char *user,
    uint64_t until, const char *by, const char *reason, uint64_t now)
{
	memset(ev, 0, sizeof(*ev));
	ev->time = now;
	ev->event = lock ? "lock" : "unlock";
	ev->user = user;
	ev->valid_before = lock ? until : 0;	/* the lock's end */
	ev->source = by;
	ev->reason = reason;
}

void
store_revoke_event(struct jstore_event *ev, const struct jstore_event *issue,
    const char *by, const char *reason, uint64_t now)
{
	memset(ev, 0, sizeof(*ev));
	ev->time = now;
	ev->event = "revoke";
	ev->user = issue->user;
	ev->role = issue->role;
	ev->serial = issue->serial;
	ev->key_id = issue->key_id;
	ev->principals = issue->principals;
	ev->valid_after = issue->valid_after;
	ev->valid_before = issue->valid_before;
	ev->fingerprint = issue->fingerprint;
	ev->source = by;
	ev->reason = reason;
}

void
store_enroll_event(struct jstore_event *ev, const char *user,
    const char *digest, uint64_t now)
{
	memset(ev, 0, sizeof(*ev));
	ev->time = now;
	ev->event = "enroll";
	ev->user = user;
	ev->source = "operator";
	ev->fingerprint = digest;	/* of the secret as stored */
}

void
store_session_end_from(struct jstore_event *end,
    const struct jstore_event *start)
{
	if (start == NULL) {
		end->user = end->role = end->key_id = NULL;
		end->principals = end->source = end->request_id = NULL;
		return;
	}
	end->user = start->user;
	end->role = start->role;
	end->serial = start->serial;
	end->key_id = start->key_id;
	end->principals = start->principals;
	end->source = start->source;
	end->request_id = start->request_id;
	if (end->valid_after == 0)
		end->valid_after = start->valid_after;
}

int
store_session_append_ok(uint64_t size, uint64_t off, size_t len,
    uint64_t max)
{
	if (off < size)
		return JIT_ERR_EXISTS;
	if (off > size)
		return JIT_ERR_INVALID_ARGUMENT;
	return len > max || size > max - len ? JIT_ERR_FILE_TOO_LARGE : 0;
}
