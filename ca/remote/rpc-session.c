/*
 * rpc-session.c: recorded sessions over SSH: `upload` (enrolled hosts:
 * jit-ssh-host ship sends a recording's next bytes), `sessions` and
 * `session export` (auditors).
 *
 * An upload at offset 0 of an unknown session starts it: the chunk must
 * hold the asciicast header line, whose "jit" object names the session,
 * this host, and a serial this CA issued with that key id.  Each reply is
 * one JSON line, {"session", "size", "ended", "stop"}: the size is what
 * the store holds durably (a shipper resumes from it), "stop" says why the
 * host should end the session now (the user is locked, the certificate
 * revoked at the CA), or is null.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jit-err.h"
#include "jit-util.h"
#include "jit-verbs.h"
#include "jbuf.h"
#include "jstore.h"
#include "rpc-impl.h"
#include "sessions.h"
#include "svc.h"

/* Streams a FILE's output to the channel (as rpc-audit.c). */
static ssize_t
chan_write(void *cookie, const char *buf, size_t len)
{
	struct rpc *cx = cookie;

	return cx->io.write(cx->io.arg, 0, buf, len) == 0 ? (ssize_t)len : -1;
}

static FILE *
chan_file(struct rpc *cx)
{
	FILE *f = fopencookie(cx, "w", (cookie_io_functions_t){
	    .write = chan_write });

	if (f != NULL)
		setvbuf(f, NULL, _IOFBF, 65536);
	return f;
}

int
rpc_sessions(void *ctx, const struct jit_args *a)
{
	struct rpc *cx = ctx;
	struct ca_sessions_filter f;
	char err[256];
	FILE *out;
	int r;

	if (ca_sessions_args(a, &f, err, sizeof(err)) != 0) {
		rpc_err(cx, "sessions: %s\n", err);
		return RPC_USAGE;
	}
	if ((out = chan_file(cx)) == NULL)
		return RPC_ERROR;
	r = ca_sessions_print(cx->svc->store, &f, out);
	if (fclose(out) != 0 && r == 0)
		return RPC_ERROR;
	if (r != 0) {
		rpc_err(cx, "sessions: %s\n", jit_strerror(r));
		return RPC_ERROR;
	}
	return RPC_OK;
}

int
rpc_session_export(void *ctx, const struct jit_args *a)
{
	struct rpc *cx = ctx;
	FILE *out;
	int r;

	if (!jstore_session_id_ok(a->pos[0])) {
		rpc_err(cx, "session export: '%s' is not a session id "
		    "(s- and 16 hex digits; `sessions` lists them)\n", a->pos[0]);
		return RPC_USAGE;
	}
	if ((out = chan_file(cx)) == NULL)
		return RPC_ERROR;
	r = ca_session_export(cx->svc->store, a->pos[0], out);
	if (fclose(out) != 0 && r == 0)
		return RPC_ERROR;
	if (r == JIT_ERR_NOT_FOUND) {
		rpc_err(cx, "session export: no session %s\n", a->pos[0]);
		return RPC_DENIED;
	}
	if (r != 0) {
		rpc_err(cx, "session export: %s\n", jit_strerror(r));
		return RPC_ERROR;
	}
	return RPC_OK;
}

/* ---- upload ---- */

static int
parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	x = strtoull(s, &end, 10);
	if (*end != '\0')
		return -1;
	*v = x;
	return 0;
}

/*
 * The recording's header line (the first line of its first chunk) as an
 * event: serial, account@host, source, command, start time; refused when
 * it names another session or another host, or a key id that is not the
 * serial's.
 */
static int
header_event(struct rpc *cx, const char *sid, const struct jbuf *in,
    struct jstore_event *ev, char *principals, size_t plen, char *command,
    size_t clen)
{
	const char *p = (const char *)jbuf_ptr(in), *nl;
	const char *s_sid, *kid, *acct, *host, *source, *cmd, *mode;
	char kid_issued[1024];
	json_t *h;
	json_int_t serial, ts;
	uint64_t vb;
	int r = RPC_DENIED;

	if ((nl = memchr(p, '\n', jbuf_len(in))) == NULL) {
		rpc_err(cx, "upload: a new recording starts with its header "
		    "line\n");
		return RPC_USAGE;
	}
	if ((h = json_loadb(p, (size_t)(nl - p), 0, NULL)) == NULL ||
	    json_unpack(h, "{s:i, s:I, s:{s:s, s:I, s:s, s:s, s:s, s:s, s:s, "
	    "s:s}}", "version", &r, "timestamp", &ts, "jit", "session", &s_sid,
	    "serial", &serial, "key_id", &kid, "account", &acct, "host", &host,
	    "source", &source, "command", &cmd, "mode", &mode) != 0 || r != 2 ||
	    serial <= 0 || ts <= 0) {
		json_decref(h);
		rpc_err(cx, "upload: the header is not an asciicast v2 header "
		    "of jit-ssh-host\n");
		return RPC_USAGE;
	}
	r = RPC_DENIED;
	if (strcmp(s_sid, sid) != 0)
		rpc_err(cx, "upload: the header is session %s's, not %s's\n",
		    s_sid, sid);
	else if (strcmp(host, cx->host) != 0)
		rpc_err(cx, "upload: the recording is host %s's; you are %s\n",
		    host, cx->host);
	else if (jstore_cert_info(cx->svc->store, (uint64_t)serial, kid_issued,
	    sizeof(kid_issued), &vb, NULL, 0) != 0)
		rpc_err(cx, "upload: this CA never issued serial %lld: refused\n",
		    (long long)serial);
	else if (strcmp(kid_issued, kid) != 0)
		rpc_err(cx, "upload: serial %lld was issued as %s, not %s: "
		    "refused\n", (long long)serial, kid_issued, kid);
	else {
		snprintf(principals, plen, "%s@%s", acct, host);
		if (*cmd == '\0')
			snprintf(command, clen, "shell");
		else
			snprintf(command, clen, "%s: %s", mode, cmd);
		ev->serial = (uint64_t)serial;
		ev->principals = principals;
		ev->source = source;
		ev->reason = command;
		ev->valid_after = (uint64_t)ts;
		ev->request_id = sid;
		/* The strings live in h: the event is appended before it goes. */
		r = jstore_session_start(cx->svc->store, cx->host, ev,
		    jbuf_ptr(in), jbuf_len(in));
		if (r == JIT_ERR_EXISTS)
			r = RPC_OK;	/* a replay raced it: as it stands */
		else if (r != 0) {
			rpc_err(cx, "upload: starting %s: %s\n", sid,
			    jit_strerror(r));
			r = RPC_ERROR;
		}
	}
	json_decref(h);
	return r;
}

static int
take_user(const struct jstore_event *ev, void *arg)
{
	if (strcmp(ev->event, "session-start") == 0)
		snprintf(arg, 256, "%s", ev->user);
	return 0;
}

/* Why the session should end now, or NULL. */
static const char *
stop_reason(struct rpc *cx, const char *sid, char *buf, size_t len)
{
	struct jstore_filter f;
	struct jstore_session rec;
	char user[256] = "";
	uint64_t until = 0;

	if (jstore_session_get(cx->svc->store, sid, &rec) != 0 || rec.ended)
		return NULL;
	memset(&f, 0, sizeof(f));
	f.request_id = sid;
	(void)jstore_query(cx->svc->store, &f, take_user, user);
	if (user[0] != '\0' && jstore_locked(cx->svc->store, user, jit_now(),
	    &until, NULL) == 1) {
		snprintf(buf, len, "user %s is locked at the CA", user);
		return buf;
	}
	if (ca_serial_revoked(cx->svc->store, rec.serial) == 1) {
		snprintf(buf, len, "certificate %llu was revoked at the CA",
		    (unsigned long long)rec.serial);
		return buf;
	}
	return NULL;
}

static void
reply(struct rpc *cx, const char *sid, uint64_t size, int ended)
{
	char why[256];
	const char *stop = ended ? NULL : stop_reason(cx, sid, why,
	    sizeof(why));

	rpc_json(cx, json_pack("{s:s, s:I, s:b, s:s?}", "session", sid,
	    "size", (json_int_t)size, "ended", ended, "stop", stop));
}

/* --end: the session-end event, its facts from the host. */
static int
end_recording(struct rpc *cx, const char *sid, const struct jit_args *a)
{
	struct jstore_event ev;
	uint64_t status = 0, bin = 0, bout = 0, at = 0;
	const char *why = jit_arg(a, "end");
	char reason[256];
	size_t i;

	for (i = 0; why[i] != '\0'; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz-", why[i]) == NULL ||
		    i > 32) {
			rpc_err(cx, "upload: --end takes a word (exit, expired, "
			    "revoked, ...)\n");
			return RPC_USAGE;
		}
	if ((jit_arg(a, "status") != NULL && parse_u64(jit_arg(a, "status"),
	    &status) != 0) || (jit_arg(a, "bytes-in") != NULL &&
	    parse_u64(jit_arg(a, "bytes-in"), &bin) != 0) ||
	    (jit_arg(a, "bytes-out") != NULL &&
	    parse_u64(jit_arg(a, "bytes-out"), &bout) != 0) ||
	    (jit_arg(a, "ended-at") != NULL &&
	    parse_u64(jit_arg(a, "ended-at"), &at) != 0)) {
		rpc_err(cx, "upload: --status, --bytes-in, --bytes-out and "
		    "--ended-at take numbers\n");
		return RPC_USAGE;
	}
	snprintf(reason, sizeof(reason), "%s, exit status %llu, %llu bytes in, "
	    "%llu bytes out", why, (unsigned long long)status,
	    (unsigned long long)bin, (unsigned long long)bout);
	memset(&ev, 0, sizeof(ev));
	ev.reason = reason;
	ev.valid_before = at != 0 ? at : jit_now();
	return jstore_session_end(cx->svc->store, sid, cx->host, &ev);
}

int
rpc_upload(void *ctx, const struct jit_args *a)
{
	struct rpc *cx = ctx;
	const char *sid = a->pos[0];
	struct jstore_event ev;
	struct jstore_session rec;
	char principals[600], command[1200];
	uint64_t off, size = 0;
	int r, rc;

	if (cx->host == NULL)
		return RPC_DENIED;	/* rpc.c let no user here */
	if (!jstore_session_id_ok(sid) || parse_u64(a->pos[1], &off) != 0) {
		rpc_err(cx, "upload: SESSION is s- and 16 hex digits, OFFSET a "
		    "number\n");
		return RPC_USAGE;
	}
	if (cx->in_too_big) {
		rpc_err(cx, "upload: at most %d bytes an upload\n",
		    RPC_UPLOAD_MAX);
		return RPC_DENIED;
	}
	memset(&ev, 0, sizeof(ev));
	r = jstore_session_get(cx->svc->store, sid, &rec);
	if (r == JIT_ERR_NOT_FOUND && off == 0) {
		rc = header_event(cx, sid, cx->in, &ev, principals,
		    sizeof(principals), command, sizeof(command));
		if (rc != RPC_OK)
			return rc;
	} else if (r == JIT_ERR_NOT_FOUND) {
		rpc_err(cx, "upload: no session %s here: send it from offset "
		    "0\n", sid);
		reply(cx, sid, 0, 0);
		return RPC_DENIED;
	} else if (r != 0) {
		rpc_err(cx, "upload: %s\n", jit_strerror(r));
		return RPC_ERROR;
	} else if ((r = jstore_session_append(cx->svc->store, sid, cx->host,
	    off, jbuf_ptr(cx->in), jbuf_len(cx->in), RPC_RECORDING_MAX,
	    &size)) != 0) {
		if (r == JIT_ERR_REQUEST_DECIDED) {
			reply(cx, sid, size, 1);	/* ended: nothing to do */
			return RPC_OK;
		}
		rpc_err(cx, "upload: %s\n", r == JIT_ERR_DENIED ?
		    "the session is another host's: refused" :
		    r == JIT_ERR_EXISTS ? "those bytes are stored already: "
		    "resend from the size given" :
		    r == JIT_ERR_INVALID_ARGUMENT ? "a gap: resend from the "
		    "size given" : r == JIT_ERR_FILE_TOO_LARGE ?
		    "the recording is past the CA's limit" : jit_strerror(r));
		if (r != JIT_ERR_DENIED)
			reply(cx, sid, size, 0);
		return r == JIT_ERR_DENIED || r == JIT_ERR_FILE_TOO_LARGE ?
		    RPC_DENIED : RPC_USAGE;
	}
	if ((r = jstore_session_get(cx->svc->store, sid, &rec)) != 0) {
		rpc_err(cx, "upload: %s\n", jit_strerror(r));
		return RPC_ERROR;
	}
	if (strcmp(rec.host, cx->host) != 0) {
		rpc_err(cx, "upload: the session is another host's: refused\n");
		return RPC_DENIED;
	}
	if (jit_arg(a, "end") != NULL && !rec.ended) {
		if ((rc = end_recording(cx, sid, a)) != 0) {
			if (rc > 0)
				return rc;
			rpc_err(cx, "upload: ending %s: %s\n", sid,
			    jit_strerror(rc));
			return RPC_ERROR;
		}
		rec.ended = 1;
	}
	reply(cx, sid, rec.size, rec.ended);
	return RPC_OK;
}
