/* agentproto.c: the ssh-agent protocol client.  See jagent.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "jagent.h"
#include "jbuf.h"
#include "jcert.h"
#include "jit-err.h"
#include "jkey.h"

#define SSH_AGENT_FAILURE			5
#define SSH_AGENT_SUCCESS			6
#define SSH_AGENTC_REQUEST_IDENTITIES		11
#define SSH_AGENT_IDENTITIES_ANSWER		12
#define SSH_AGENTC_SIGN_REQUEST			13
#define SSH_AGENT_SIGN_RESPONSE			14
#define SSH_AGENTC_ADD_IDENTITY			17
#define SSH_AGENTC_REMOVE_IDENTITY		18
#define SSH_AGENTC_ADD_ID_CONSTRAINED		25
#define SSH_AGENT_CONSTRAIN_LIFETIME		1
#define IDENTITIES_MAX				4096

struct jagent {
	int fd;
};

int
jagent_open(const char *path, struct jagent **ap)
{
	struct sockaddr_un sun;
	struct timeval tv = { JAGENT_TIMEOUT_SEC, 0 };
	struct jagent *a;
	int fd;

	*ap = NULL;
	if (path == NULL && (path = getenv("SSH_AUTH_SOCK")) == NULL)
		return JIT_ERR_AGENT_NONE;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return JIT_ERR_INVALID_ARGUMENT;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return JIT_ERR_SYSTEM;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return JIT_ERR_AGENT_NONE;
	}
	/* A stuck agent must not hang us forever. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		close(fd);
		return JIT_ERR_ALLOC;
	}
	a->fd = fd;
	*ap = a;
	return 0;
}

void
jagent_close(struct jagent *a)
{
	if (a == NULL)
		return;
	close(a->fd);
	free(a);
}

static int
io(int fd, void *buf, size_t len, int writing)
{
	unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = writing ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0)
			return JIT_ERR_AGENT_PROTOCOL;	/* closed half-way */
		if (n == -1)
			return JIT_ERR_SYSTEM;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Sends msg (type + contents) framed, reads the framed reply into reply. */
static int
roundtrip(struct jagent *a, const struct jbuf *msg, struct jbuf *reply)
{
	struct jbuf *frame = NULL;
	unsigned char hdr[4], *body = NULL;
	uint32_t len;
	int r;

	if ((frame = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jbuf_put_stringb(frame, msg)) != 0 ||
	    (r = io(a->fd, (void *)(uintptr_t)jbuf_ptr(frame), jbuf_len(frame),
	    1)) != 0 || (r = io(a->fd, hdr, 4, 0)) != 0)
		goto out;
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	    (uint32_t)hdr[2] << 8 | hdr[3];
	if (len == 0 || len > JAGENT_MSG_MAX) {
		r = JIT_ERR_AGENT_PROTOCOL;
		goto out;
	}
	if ((body = malloc(len)) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = io(a->fd, body, len, 0)) != 0 ||
	    (r = jbuf_put(reply, body, len)) != 0)
		goto out;
	r = 0;
 out:
	if (body != NULL) {
		memset(body, 0, len);
		free(body);
	}
	jbuf_free(frame);
	return r;
}

/* A reply whose type must be want: consumed, or why not. */
static int
expect_type(struct jbuf *reply, uint8_t want)
{
	uint8_t type;

	if (jbuf_get_u8(reply, &type) != 0)
		return JIT_ERR_AGENT_PROTOCOL;
	if (type == SSH_AGENT_FAILURE)
		return JIT_ERR_AGENT_REFUSED;
	return type == want ? 0 : JIT_ERR_AGENT_PROTOCOL;
}

/* A reply that must be SUCCESS. */
static int
expect_success(struct jbuf *reply)
{
	uint8_t type;

	if (jbuf_get_u8(reply, &type) != 0)
		return JIT_ERR_AGENT_PROTOCOL;
	if (type == SSH_AGENT_FAILURE)
		return JIT_ERR_AGENT_REFUSED;
	if (type != SSH_AGENT_SUCCESS || jbuf_len(reply) != 0)
		return JIT_ERR_AGENT_PROTOCOL;
	return 0;
}

int
jagent_add(struct jagent *a, const struct jkey *k, const struct jcert *c,
    const char *comment, uint32_t lifetime)
{
	struct jbuf *msg = NULL, *reply = NULL;
	const unsigned char *blob;
	size_t blen;
	int r;

	if (a == NULL || k == NULL || !jkey_is_private(k))
		return JIT_ERR_INVALID_ARGUMENT;
	if ((msg = jbuf_new()) == NULL || (reply = jbuf_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = jbuf_put_u8(msg, lifetime != 0 ?
	    SSH_AGENTC_ADD_ID_CONSTRAINED : SSH_AGENTC_ADD_IDENTITY)) != 0)
		goto out;
	if (c != NULL) {
		/* Certified key: the cert type, the cert, then the private part. */
		if ((blob = jcert_blob(c, &blen)) == NULL ||
		    !jkey_equal_public(jcert_key(c), k)) {
			r = JIT_ERR_KEY_TYPE_MISMATCH;
			goto out;
		}
		if ((r = jbuf_put_cstring(msg, jcert_type_name(c))) != 0 ||
		    (r = jbuf_put_string(msg, blob, blen)) != 0)
			goto out;
	} else if ((r = jbuf_put_cstring(msg, jkey_type_name(jkey_type(k)))) != 0)
		goto out;
	if ((r = jkey_put_private_fields(k, msg)) != 0 ||
	    (r = jbuf_put_cstring(msg, comment != NULL ? comment : "")) != 0)
		goto out;
	if (lifetime != 0 &&
	    ((r = jbuf_put_u8(msg, SSH_AGENT_CONSTRAIN_LIFETIME)) != 0 ||
	    (r = jbuf_put_u32(msg, lifetime)) != 0))
		goto out;
	if ((r = roundtrip(a, msg, reply)) != 0)
		goto out;
	r = expect_success(reply);
 out:
	jbuf_free(msg);	/* wipes the private key */
	jbuf_free(reply);
	return r;
}

int
jagent_list(struct jagent *a,
    int (*cb)(const unsigned char *blob, size_t len, const char *comment,
    void *arg), void *arg)
{
	struct jbuf *msg = NULL, *reply = NULL;
	const unsigned char *blob;
	size_t blen;
	uint32_t n, i;
	char *comment = NULL;
	int r;

	if (a == NULL || cb == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((msg = jbuf_new()) == NULL || (reply = jbuf_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = jbuf_put_u8(msg, SSH_AGENTC_REQUEST_IDENTITIES)) != 0 ||
	    (r = roundtrip(a, msg, reply)) != 0 ||
	    (r = expect_type(reply, SSH_AGENT_IDENTITIES_ANSWER)) != 0)
		goto out;
	if (jbuf_get_u32(reply, &n) != 0 || n > IDENTITIES_MAX) {
		r = JIT_ERR_AGENT_PROTOCOL;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (jbuf_get_string_direct(reply, &blob, &blen) != 0 ||
		    jbuf_get_cstring(reply, &comment, NULL) != 0) {
			r = JIT_ERR_AGENT_PROTOCOL;
			goto out;
		}
		r = cb(blob, blen, comment, arg);
		free(comment);
		comment = NULL;
		if (r != 0)
			goto out;
	}
	r = jbuf_len(reply) == 0 ? 0 : JIT_ERR_AGENT_PROTOCOL;
 out:
	free(comment);
	jbuf_free(msg);
	jbuf_free(reply);
	return r;
}

int
jagent_remove(struct jagent *a, const unsigned char *blob, size_t len)
{
	struct jbuf *msg = NULL, *reply = NULL;
	int r;

	if (a == NULL || blob == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((msg = jbuf_new()) == NULL || (reply = jbuf_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = jbuf_put_u8(msg, SSH_AGENTC_REMOVE_IDENTITY)) != 0 ||
	    (r = jbuf_put_string(msg, blob, len)) != 0 ||
	    (r = roundtrip(a, msg, reply)) != 0)
		goto out;
	r = expect_success(reply);
 out:
	jbuf_free(msg);
	jbuf_free(reply);
	return r;
}

int
jagent_sign(struct jagent *a, const unsigned char *blob, size_t len,
    const unsigned char *data, size_t dlen, uint32_t flags, struct jbuf *sig)
{
	struct jbuf *msg = NULL, *reply = NULL;
	const unsigned char *s;
	size_t slen;
	int r;

	if (a == NULL || blob == NULL || data == NULL || sig == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((msg = jbuf_new()) == NULL || (reply = jbuf_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = jbuf_put_u8(msg, SSH_AGENTC_SIGN_REQUEST)) != 0 ||
	    (r = jbuf_put_string(msg, blob, len)) != 0 ||
	    (r = jbuf_put_string(msg, data, dlen)) != 0 ||
	    (r = jbuf_put_u32(msg, flags)) != 0 ||
	    (r = roundtrip(a, msg, reply)) != 0 ||
	    (r = expect_type(reply, SSH_AGENT_SIGN_RESPONSE)) != 0)
		goto out;
	if (jbuf_get_string_direct(reply, &s, &slen) != 0 ||
	    jbuf_len(reply) != 0) {
		r = JIT_ERR_AGENT_PROTOCOL;
		goto out;
	}
	r = jbuf_put(sig, s, slen);
 out:
	jbuf_free(msg);
	jbuf_free(reply);
	return r;
}

/* The answer of jagent_serve_one() to one request (type and contents). */
static int
serve_one_request(struct jagent *a, const unsigned char *blob, size_t len,
    struct jbuf *req, struct jbuf *reply)
{
	const unsigned char *kb, *data;
	size_t kblen, dlen;
	uint32_t flags;
	uint8_t type;
	struct jbuf *sig = NULL;
	int r;

	if (jbuf_get_u8(req, &type) != 0)
		return jbuf_put_u8(reply, SSH_AGENT_FAILURE);
	if (type == SSH_AGENTC_REQUEST_IDENTITIES && jbuf_len(req) == 0) {
		if ((r = jbuf_put_u8(reply, SSH_AGENT_IDENTITIES_ANSWER)) != 0 ||
		    (r = jbuf_put_u32(reply, 1)) != 0 ||
		    (r = jbuf_put_string(reply, blob, len)) != 0 ||
		    (r = jbuf_put_cstring(reply, "")) != 0)
			return r;
		return 0;
	}
	if (type != SSH_AGENTC_SIGN_REQUEST ||
	    jbuf_get_string_direct(req, &kb, &kblen) != 0 ||
	    jbuf_get_string_direct(req, &data, &dlen) != 0 ||
	    jbuf_get_u32(req, &flags) != 0 || jbuf_len(req) != 0 ||
	    kblen != len || memcmp(kb, blob, len) != 0)
		return jbuf_put_u8(reply, SSH_AGENT_FAILURE);
	if ((sig = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if (jagent_sign(a, blob, len, data, dlen, flags, sig) != 0)
		r = jbuf_put_u8(reply, SSH_AGENT_FAILURE);
	else if ((r = jbuf_put_u8(reply, SSH_AGENT_SIGN_RESPONSE)) == 0)
		r = jbuf_put_stringb(reply, sig);
	jbuf_free(sig);
	return r;
}

int
jagent_serve_one(int fd, struct jagent *a, const unsigned char *blob,
    size_t len)
{
	struct jbuf *req = NULL, *reply = NULL, *frame = NULL;
	unsigned char hdr[4], *body = NULL;
	uint32_t n;
	int r;

	if (a == NULL || blob == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	for (;;) {
		if ((r = io(fd, hdr, 4, 0)) != 0) {
			r = r == JIT_ERR_AGENT_PROTOCOL ? 0 : r;	/* closed */
			break;
		}
		n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
		    (uint32_t)hdr[2] << 8 | hdr[3];
		if (n == 0 || n > JAGENT_MSG_MAX) {
			r = JIT_ERR_AGENT_PROTOCOL;
			break;
		}
		r = JIT_ERR_ALLOC;
		if ((body = malloc(n)) == NULL || (req = jbuf_new()) == NULL ||
		    (reply = jbuf_new()) == NULL || (frame = jbuf_new()) == NULL)
			break;
		if ((r = io(fd, body, n, 0)) != 0 ||
		    (r = jbuf_put(req, body, n)) != 0 ||
		    (r = serve_one_request(a, blob, len, req, reply)) != 0 ||
		    (r = jbuf_put_stringb(frame, reply)) != 0 ||
		    (r = io(fd, (void *)(uintptr_t)jbuf_ptr(frame),
		    jbuf_len(frame), 1)) != 0)
			break;
		free(body);
		body = NULL;
		jbuf_free(req);
		jbuf_free(reply);
		jbuf_free(frame);
		req = reply = frame = NULL;
	}
	free(body);
	jbuf_free(req);
	jbuf_free(reply);
	jbuf_free(frame);
	return r;
}

struct holds {
	const unsigned char *blob;
	size_t len;
};

static int
holds_one(const unsigned char *blob, size_t len, const char *comment,
    void *arg)
{
	const struct holds *h = arg;

	(void)comment;
	return len == h->len && memcmp(blob, h->blob, len) == 0;
}

int
jagent_holds(struct jagent *a, const unsigned char *blob, size_t len)
{
	struct holds h = { blob, len };

	return a != NULL && blob != NULL && jagent_list(a, holds_one, &h) == 1;
}
