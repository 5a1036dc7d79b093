/* event.c: the canonical encoding of audit events (what the chain hashes). */
#include <string.h>

#include <openssl/evp.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jtext.h"
#include "store-impl.h"

#define NAME_FIELD_MAX	256

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

int
store_fingerprint_ok(const char *fp)
{
	size_t i;

	if (fp == NULL || *fp == '\0')
		return 1;
	if (strncmp(fp, "SHA256:", 7) != 0 || strlen(fp) != 7 + 43)
		return 0;
	for (i = 7; i < 50; i++)
		if (!((fp[i] >= 'A' && fp[i] <= 'Z') || (fp[i] >= 'a' &&
		    fp[i] <= 'z') || (fp[i] >= '0' && fp[i] <= '9') ||
		    fp[i] == '+' || fp[i] == '/'))
			return 0;
	return 1;
}

int
store_event_check(const struct jstore_event *ev)
{
	const char *names[] = { ev->user, ev->role, ev->request_id,
	    ev->instance };
	const char *texts[] = { ev->key_id, ev->principals, ev->fingerprint,
	    ev->source, ev->reason, ev->approvers };
	size_t i;

	/* Everything that could refuse an event is checked here, before any
	 * write: a batch shares its transaction with other requests. */
	if (!jstore_event_known(ev->event) || !store_fingerprint_ok(ev->fingerprint))
		return JIT_ERR_INVALID_ARGUMENT;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(nz(names[i])) > NAME_FIELD_MAX)
			return JIT_ERR_STRING_TOO_LARGE;
		if (!jtext_valid(nz(names[i]), strlen(nz(names[i])), 0))
			return JIT_ERR_BAD_TEXT;
	}
	/* What the log holds reaches terminals and JSON: clean text only. */
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if (strlen(nz(texts[i])) > JSTORE_FIELD_MAX)
			return JIT_ERR_STRING_TOO_LARGE;
		if (!jtext_valid(nz(texts[i]), strlen(nz(texts[i])), 0))
			return JIT_ERR_BAD_TEXT;
	}
	return 0;
}

/*
 * Version byte, then the fields in a fixed order.  Changing this changes
 * every hash: bump the version byte and keep decoding the old one.
 * Version 2 adds the instance at the end; an event without one is still
 * written as version 1, so a single CA's chain is what it always was.
 */
int
store_event_encode(const struct jstore_event *ev, struct jbuf *b)
{
	int r;

	int v2 = ev->instance != NULL && ev->instance[0] != '\0';

	if ((r = jbuf_put_u64(b, ev->seq)) != 0 ||
	    (r = jbuf_put_u8(b, v2 ? 2 : 1)) != 0 ||
	    (r = jbuf_put_u64(b, ev->time)) != 0 ||
	    (r = jbuf_put_cstring(b, nz(ev->event))) != 0 ||
	    (r = jbuf_put_cstring(b, nz(ev->user))) != 0 ||
	    (r = jbuf_put_cstring(b, nz(ev->role))) != 0 ||
	    (r = jbuf_put_u64(b, ev->serial)) != 0 ||
	    (r = jbuf_put_cstring(b, nz(ev->key_id))) != 0 ||
	    (r = jbuf_put_cstring(b, nz(ev->principals))) != 0 ||
	    (r = jbuf_put_u64(b, ev->valid_after)) != 0 ||
	    (r = jbuf_put_u64(b, ev->valid_before)) != 0 ||
	    (r = jbuf_put_cstring(b, nz(ev->fingerprint))) != 0 ||
	    (r = jbuf_put_cstring(b, nz(ev->source))) != 0 ||
	    (r = jbuf_put_cstring(b, nz(ev->reason))) != 0 ||
	    (r = jbuf_put_cstring(b, nz(ev->request_id))) != 0 ||
	    (r = jbuf_put_cstring(b, nz(ev->approvers))) != 0 ||
	    (v2 && (r = jbuf_put_cstring(b, ev->instance)) != 0))
		return r;
	return 0;
}

int
store_event_decode(const unsigned char *p, size_t len, struct jstore_event *ev,
    struct jbuf *scratch)
{
	struct jbuf *b;
	const unsigned char *s[11];
	size_t sl[11], off[11], i, nstr;
	uint8_t version;
	int r;

	memset(ev, 0, sizeof(*ev));
	jbuf_reset(scratch);
	if ((b = jbuf_from(p, len)) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jbuf_get_u64(b, &ev->seq)) != 0 ||
	    (r = jbuf_get_u8(b, &version)) != 0)
		goto out;
	if (version != 1 && version != 2) {
		r = JIT_ERR_STORE_CORRUPT;
		goto out;
	}
	if ((r = jbuf_get_u64(b, &ev->time)) != 0 ||
	    (r = jbuf_get_string_direct(b, &s[0], &sl[0])) != 0 ||
	    (r = jbuf_get_string_direct(b, &s[1], &sl[1])) != 0 ||
	    (r = jbuf_get_string_direct(b, &s[2], &sl[2])) != 0 ||
	    (r = jbuf_get_u64(b, &ev->serial)) != 0 ||
	    (r = jbuf_get_string_direct(b, &s[3], &sl[3])) != 0 ||
	    (r = jbuf_get_string_direct(b, &s[4], &sl[4])) != 0 ||
	    (r = jbuf_get_u64(b, &ev->valid_after)) != 0 ||
	    (r = jbuf_get_u64(b, &ev->valid_before)) != 0)
		goto out;
	nstr = version == 2 ? 11 : 10;
	for (i = 5; i < nstr; i++)
		if ((r = jbuf_get_string_direct(b, &s[i], &sl[i])) != 0)
			goto out;
	if (version == 2 && sl[10] == 0) {
		r = JIT_ERR_STORE_CORRUPT;	/* v2 always names one */
		goto out;
	}
	if ((r = jbuf_expect_end(b)) != 0)
		goto out;
	/* Copy with terminators first; the scratch buffer may move. */
	for (i = 0; i < nstr; i++) {
		off[i] = jbuf_len(scratch);
		if (memchr(s[i], '\0', sl[i]) != NULL) {
			r = JIT_ERR_STORE_CORRUPT;
			goto out;
		}
		if ((r = jbuf_put(scratch, s[i], sl[i])) != 0 ||
		    (r = jbuf_put_u8(scratch, 0)) != 0)
			goto out;
	}
#define AT(i) ((const char *)jbuf_ptr(scratch) + off[i])
	ev->event = AT(0);
	ev->user = AT(1);
	ev->role = AT(2);
	ev->key_id = AT(3);
	ev->principals = AT(4);
	ev->fingerprint = AT(5);
	ev->source = AT(6);
	ev->reason = AT(7);
	ev->request_id = AT(8);
	ev->approvers = AT(9);
	ev->instance = version == 2 ? AT(10) : "";
#undef AT
	r = 0;
 out:
	jbuf_free(b);
	return r;
}

static const char *const known_events[] = { "issue", "request", "approve",
    "deny", "expire", "revoke", "auth-fail", "mfa-fail", "lockout",
    "policy-reload", "break-glass", "enroll", "issue-host", "lock",
    "unlock", "remind", "escalate", "ca-rotate", "ca-init", "mfa",
    "session-start", "session-end", "host-enroll", "host-remove", "report",
    "sso", NULL };

const char *
jstore_event_name(size_t i)
{
	return i < sizeof(known_events) / sizeof(known_events[0]) ?
	    known_events[i] : NULL;
}

int
jstore_event_known(const char *name)
{
	size_t i;

	if (name == NULL)
		return 0;
	for (i = 0; known_events[i] != NULL; i++)
		if (strcmp(known_events[i], name) == 0)
			return 1;
	return 0;
}

/* The hash of ev after prev (its canonical bytes). */
int
store_chain_hash(const unsigned char prev[32], const struct jstore_event *ev,
    unsigned char out[32])
{
	struct jbuf *b;
	EVP_MD_CTX *md;
	unsigned int hl = 0;
	int r;

	if ((b = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = store_event_encode(ev, b)) != 0) {
		jbuf_free(b);
		return r;
	}
	r = JIT_ERR_LIBCRYPTO;
	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, prev, 32) == 1 &&
	    EVP_DigestUpdate(md, jbuf_ptr(b), jbuf_len(b)) == 1 &&
	    EVP_DigestFinal_ex(md, out, &hl) == 1 && hl == 32)
		r = 0;
	EVP_MD_CTX_free(md);
	jbuf_free(b);
	return r;
}
