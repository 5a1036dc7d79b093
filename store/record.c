/*
 * record.c: encoding of approval requests and TOTP records (the LMDB side
 * is in request.c and totp.c).
 */
#include <stdlib.h>
#include <string.h>

#include "jbuf.h"
#include "jit-err.h"
#include "store-impl.h"

void
jstore_request_free(struct jstore_request *r)
{
	if (r == NULL)
		return;
	free(r->id);
	free(r->user);
	free(r->role);
	free(r->principals);
	free(r->pubkey);
	free(r->fingerprint);
	free(r->reason);
	free(r->source);
	free(r->approver_groups);
	free(r->approvers);
	free(r);
}

const char *
jstore_request_state_name(enum jstore_request_state st)
{
	switch (st) {
	case JSTORE_REQ_PENDING:
		return "pending";
	case JSTORE_REQ_APPROVED:
		return "approved";
	case JSTORE_REQ_DENIED:
		return "denied";
	case JSTORE_REQ_EXPIRED:
		return "expired";
	case JSTORE_REQ_ISSUED:
		return "issued";
	default:
		return "unknown";
	}
}

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

int
store_request_encode(const struct jstore_request *r, struct jbuf *b)
{
	int e;

	if ((e = jbuf_put_u8(b, 3)) != 0 ||
	    (e = jbuf_put_u8(b, (uint8_t)r->state)) != 0 ||
	    (e = jbuf_put_cstring(b, nz(r->id))) != 0 ||
	    (e = jbuf_put_cstring(b, nz(r->user))) != 0 ||
	    (e = jbuf_put_cstring(b, nz(r->role))) != 0 ||
	    (e = jbuf_put_cstring(b, nz(r->principals))) != 0 ||
	    (e = jbuf_put_cstring(b, nz(r->pubkey))) != 0 ||
	    (e = jbuf_put_cstring(b, nz(r->fingerprint))) != 0 ||
	    (e = jbuf_put_cstring(b, nz(r->reason))) != 0 ||
	    (e = jbuf_put_cstring(b, nz(r->source))) != 0 ||
	    (e = jbuf_put_cstring(b, nz(r->approver_groups))) != 0 ||
	    (e = jbuf_put_cstring(b, nz(r->approvers))) != 0 ||
	    (e = jbuf_put_u64(b, r->ttl)) != 0 ||
	    (e = jbuf_put_u64(b, r->created)) != 0 ||
	    (e = jbuf_put_u64(b, r->expires)) != 0 ||
	    (e = jbuf_put_u64(b, r->serial)) != 0 ||
	    (e = jbuf_put_u32(b, r->quorum)) != 0 ||
	    (e = jbuf_put_u64(b, r->pickup_ttl)) != 0 ||
	    (e = jbuf_put_u32(b, r->flags)) != 0)
		return e;
	return 0;
}

int
store_request_decode(const unsigned char *p, size_t len,
    struct jstore_request **rp)
{
	struct jstore_request *r = NULL;
	struct jbuf *b = NULL;
	uint8_t version, state;
	uint32_t flags = 0;
	int e = JIT_ERR_STORE_CORRUPT;

	*rp = NULL;
	if ((b = jbuf_from(p, len)) == NULL || (r = calloc(1, sizeof(*r))) == NULL) {
		e = JIT_ERR_ALLOC;
		goto out;
	}
	if (jbuf_get_u8(b, &version) != 0 || version < 1 || version > 3 ||
	    jbuf_get_u8(b, &state) != 0 ||
	    state < JSTORE_REQ_PENDING || state > JSTORE_REQ_ISSUED ||
	    jbuf_get_cstring(b, &r->id, NULL) != 0 ||
	    jbuf_get_cstring(b, &r->user, NULL) != 0 ||
	    jbuf_get_cstring(b, &r->role, NULL) != 0 ||
	    jbuf_get_cstring(b, &r->principals, NULL) != 0 ||
	    jbuf_get_cstring(b, &r->pubkey, NULL) != 0 ||
	    jbuf_get_cstring(b, &r->fingerprint, NULL) != 0 ||
	    jbuf_get_cstring(b, &r->reason, NULL) != 0 ||
	    jbuf_get_cstring(b, &r->source, NULL) != 0 ||
	    jbuf_get_cstring(b, &r->approver_groups, NULL) != 0 ||
	    jbuf_get_cstring(b, &r->approvers, NULL) != 0 ||
	    jbuf_get_u64(b, &r->ttl) != 0 ||
	    jbuf_get_u64(b, &r->created) != 0 ||
	    jbuf_get_u64(b, &r->expires) != 0 ||
	    jbuf_get_u64(b, &r->serial) != 0 ||
	    jbuf_get_u32(b, &r->quorum) != 0 ||
	    (version >= 2 && jbuf_get_u64(b, &r->pickup_ttl) != 0) ||
	    (version >= 3 && jbuf_get_u32(b, &flags) != 0) ||
	    (flags & ~(uint32_t)(JSTORE_REQ_REMINDED | JSTORE_REQ_ESCALATED)) ||
	    jbuf_expect_end(b) != 0)
		goto out;
	r->flags = flags;
	/* Version 1 had no pickup window: as long as the pending one. */
	if (version == 1)
		r->pickup_ttl = r->expires > r->created ?
		    r->expires - r->created : 0;
	r->state = (enum jstore_request_state)state;
	*rp = r;
	r = NULL;
	e = 0;
 out:
	jstore_request_free(r);
	jbuf_free(b);
	return e;
}

/* 1 when name is an element of the comma-separated list. */
int
store_list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p = strchr(p, ',');
		if (p != NULL)
			p++;
	}
	return 0;
}


int
store_totp_decode(const unsigned char *p, size_t plen, struct jstore_totp *t)
{
	const unsigned char *sec;
	struct jbuf *b;
	uint8_t version;
	size_t len;
	int r;

	memset(t, 0, sizeof(*t));
	if ((b = jbuf_from(p, plen)) == NULL)
		return JIT_ERR_ALLOC;
	/* Version 1 had no enroll_seq (0: enrolled by an older release). */
	if (jbuf_get_u8(b, &version) != 0 || (version != 1 && version != 2) ||
	    jbuf_get_string_direct(b, &sec, &len) != 0 ||
	    len > sizeof(t->secret) ||
	    jbuf_get_u64(b, &t->last_step) != 0 ||
	    jbuf_get_u32(b, &t->failures) != 0 ||
	    jbuf_get_u64(b, &t->locked_until) != 0 ||
	    (version == 2 && jbuf_get_u64(b, &t->enroll_seq) != 0) ||
	    jbuf_expect_end(b) != 0)
		r = JIT_ERR_STORE_CORRUPT;
	else {
		memcpy(t->secret, sec, len);
		t->secret_len = len;
		r = 0;
	}
	jbuf_free(b);	/* wipes */
	return r;
}

int
store_totp_encode(const struct jstore_totp *t, struct jbuf *b)
{
	int r;

	if ((r = jbuf_put_u8(b, 2)) != 0 ||
	    (r = jbuf_put_string(b, t->secret, t->secret_len)) != 0 ||
	    (r = jbuf_put_u64(b, t->last_step)) != 0 ||
	    (r = jbuf_put_u32(b, t->failures)) != 0 ||
	    (r = jbuf_put_u64(b, t->locked_until)) != 0 ||
	    (r = jbuf_put_u64(b, t->enroll_seq)) != 0)
		return r;
	return 0;
}

