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
 * Starts recording sid from its first chunk, whose first line is the
 * asciicast header: the session-start event takes serial, account@host,
 * source, command and start time from it.  Refused when it names another
 * session or another host, a serial this CA never issued, or a key id
 * that is not the serial's.  *startedp: 1 when this call started it, 0
 * when a replay had meanwhile.
 */
static int
start_recording(struct rpc *cx, const char *sid, int *startedp)
{
	const struct jbuf *in = cx->in;
	const char *p = (const char *)jbuf_ptr(in), *nl;
	const char *s_sid, *kid, *acct, *host, *source, *cmd, *mode;
	char kid_issued[1024], principals[600], command[1200];
	struct jstore_event ev;
	json_t *h;
	json_int_t serial, ts;
	int version = 0, r;

	*startedp = 0;
	if ((nl = memchr(p, '\n', jbuf_len(in))) == NULL) {
		rpc_err(cx, "upload: a new recording starts with its header "
		    "line\n");
		return RPC_USAGE;
	}
	if ((h = json_loadb(p, (size_t)(nl - p), 0, NULL)) == NULL ||
	    json_unpack(h, "{s:i, s:I, s:{s:s, s:I, s:s, s:s, s:s, s:s, s:s, "
	    "s:s}}", "version", &version, "timestamp", &ts, "jit", "session",
	    &s_sid, "serial", &serial, "key_id", &kid, "account", &acct, "host",
	    &host, "source", &source, "command", &cmd, "mode", &mode) != 0 ||
	    version != 2 || serial <= 0 || ts <= 0) {
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
	    sizeof(kid_issued), NULL, NULL, 0) != 0)
		rpc_err(cx, "upload: this CA never issued serial %lld: refused\n",
		    (long long)serial);
	else if (strcmp(kid_issued, kid) != 0)
		rpc_err(cx, "upload: serial %lld was issued as %s, not %s: "
		    "refused\n", (long long)serial, kid_issued, kid);
	else {
		snprintf(principals, sizeof(principals), "%s@%s", acct, host);
		if (*cmd == '\0')
			snprintf(command, sizeof(command), "shell");
		else
			snprintf(command, sizeof(command), "%s: %s", mode, cmd);
		memset(&ev, 0, sizeof(ev));
		ev.serial = (uint64_t)serial;
		ev.principals = principals;
		ev.source = source;	/* lives in h, which outlives the call */
		ev.reason = command;
		ev.valid_after = (uint64_t)ts;
		ev.request_id = sid;
		r = jstore_session_start(cx->svc->store, cx->host, &ev,
		    jbuf_ptr(in), jbuf_len(in));
		*startedp = r == 0;
		if (r == 0 || r == JIT_ERR_EXISTS)
			r = RPC_OK;	/* started, or a replay raced it */
		else {
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

/* Why the running session rec should end now, or NULL. */
static const char *
stop_reason(struct rpc *cx, const struct jstore_session *rec, char *buf,
    size_t len)
{
	struct jstore_filter f;
	char user[256] = "";
	uint64_t until = 0;

	memset(&f, 0, sizeof(f));
	f.request_id = rec->id;
	(void)jstore_query(cx->svc->store, &f, take_user, user);
	if (user[0] != '\0' && jstore_locked(cx->svc->store, user, jit_now(),
	    &until, NULL) == 1) {
		snprintf(buf, len, "user %s is locked at the CA", user);
		return buf;
	}
	if (ca_serial_revoked(cx->svc->store, rec->serial) == 1) {
		snprintf(buf, len, "certificate %llu was revoked at the CA",
		    (unsigned long long)rec->serial);
		return buf;
	}
	return NULL;
}

/* The answer: what the CA holds of rec, and whether to stop. */
static void
reply(struct rpc *cx, const struct jstore_session *rec)
{
	char why[256];
	const char *stop = rec->ended ? NULL : stop_reason(cx, rec, why,
	    sizeof(why));

	rpc_json(cx, json_pack("{s:s, s:I, s:b, s:s?}", "session", rec->id,
	    "size", (json_int_t)rec->size, "ended", rec->ended, "stop", stop));
}

/* --end and its facts, checked before anything is written. */
struct end_facts {
	const char *why;
	uint64_t status, bytes_in, bytes_out, at;
};

static int
end_facts(struct rpc *cx, const struct jit_args *a, struct end_facts *e)
{
	const char *names[] = { "status", "bytes-in", "bytes-out", "ended-at" };
	uint64_t *slots[] = { &e->status, &e->bytes_in, &e->bytes_out, &e->at };
	size_t i, n;

	memset(e, 0, sizeof(*e));
	if ((e->why = jit_arg(a, "end")) == NULL)
		return RPC_OK;
	n = strlen(e->why);
	if (n == 0 || n > 32 || strspn(e->why, "abcdefghijklmnopqrstuvwxyz-") !=
	    n) {
		rpc_err(cx, "upload: --end takes a word (exit, expired, "
		    "revoked, ...)\n");
		return RPC_USAGE;
	}
	for (i = 0; i < 4; i++)
		if (jit_arg(a, names[i]) != NULL &&
		    parse_u64(jit_arg(a, names[i]), slots[i]) != 0) {
			rpc_err(cx, "upload: --%s takes a number\n", names[i]);
			return RPC_USAGE;
		}
	return RPC_OK;
}

/* The session-end event, with the host's facts. */
static int
end_recording(struct rpc *cx, const char *sid, const struct end_facts *e)
{
	struct jstore_event ev;
	char reason[256];

	snprintf(reason, sizeof(reason), "%s, exit status %llu, %llu bytes in, "
	    "%llu bytes out", e->why, (unsigned long long)e->status,
	    (unsigned long long)e->bytes_in, (unsigned long long)e->bytes_out);
	memset(&ev, 0, sizeof(ev));
	ev.reason = reason;
	ev.valid_before = e->at != 0 ? e->at : jit_now();
	return jstore_session_end(cx->svc->store, sid, cx->host, &ev);
}

/* Why an append was refused, for the host. */
static const char *
append_refusal(int r)
{
	switch (r) {
	case JIT_ERR_DENIED:
		return "the session is another host's: refused";
	case JIT_ERR_EXISTS:
		return "those bytes are stored already: resend from the size "
		    "given";
	case JIT_ERR_INVALID_ARGUMENT:
		return "a gap: resend from the size given";
	case JIT_ERR_FILE_TOO_LARGE:
		return "the recording is past the CA's limit";
	default:
		return jit_strerror(r);
	}
}

int
rpc_upload(void *ctx, const struct jit_args *a)
{
	struct rpc *cx = ctx;
	const char *sid = a->pos[0];
	struct jstore_session rec;
	struct end_facts end;
	uint64_t off, size = 0;
	int r, rc, started = 0;

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
	if ((rc = end_facts(cx, a, &end)) != RPC_OK)
		return rc;
	r = jstore_session_get(cx->svc->store, sid, &rec);
	if (r == JIT_ERR_NOT_FOUND && off == 0) {
		if ((rc = start_recording(cx, sid, &started)) != RPC_OK)
			return rc;
		r = jstore_session_get(cx->svc->store, sid, &rec);
	} else if (r == JIT_ERR_NOT_FOUND) {
		rpc_err(cx, "upload: no session %s here: send it from offset "
		    "0\n", sid);
		rpc_json(cx, json_pack("{s:s, s:I, s:b, s:n}", "session", sid,
		    "size", (json_int_t)0, "ended", 0, "stop"));
		return RPC_DENIED;
	}
	if (r != 0) {
		rpc_err(cx, "upload: %s\n", jit_strerror(r));
		return RPC_ERROR;
	}
	if (strcmp(rec.host, cx->host) != 0) {
		rpc_err(cx, "upload: %s\n", append_refusal(JIT_ERR_DENIED));
		return RPC_DENIED;
	}
	if (!started && !rec.ended) {
		r = jstore_session_append(cx->svc->store, sid, cx->host, off,
		    jbuf_ptr(cx->in), jbuf_len(cx->in), RPC_RECORDING_MAX,
		    &size);
		rec.size = size;
		if (r == JIT_ERR_REQUEST_DECIDED)
			rec.ended = 1;	/* ended meanwhile: nothing to do */
		else if (r != 0) {
			rpc_err(cx, "upload: %s\n", append_refusal(r));
			reply(cx, &rec);
			return r == JIT_ERR_FILE_TOO_LARGE ? RPC_DENIED :
			    RPC_USAGE;
		}
	}
	if (end.why != NULL && !rec.ended) {
		if ((r = end_recording(cx, sid, &end)) != 0) {
			rpc_err(cx, "upload: ending %s: %s\n", sid,
			    jit_strerror(r));
			return RPC_ERROR;
		}
		rec.ended = 1;
	}
	reply(cx, &rec);
	return RPC_OK;
}
