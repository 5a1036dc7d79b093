/*
 * session.c: one client connection over SSH (see session.h).
 *
 * A thread per connection.  Authentication: publickey against the
 * policy's user keys, then, for users with a TOTP secret, keyboard-
 * interactive "Verification code:" (partial success); the decisions are
 * auth.c's.  Commands arrive as exec requests and are run by rpc.c, never
 * by a shell; their output goes back through chan_write().
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include "auth.h"
#include "calog.h"
#include "admit.h"
#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"
#include "jpolicy.h"
#include "jsshkey.h"
#include "rpc.h"
#include "session.h"
#include "svc.h"
#include "server.h"

/*
 * The deadlines are config.yaml's (struct ca_deadlines, srv->dl): key
 * exchange, authentication, stdin, idle; after the key exchange a write
 * waits as long as idle for a client that reads nothing.
 */
#define STOP_GRACE_SEC		2	/* SIGTERM: a moment to read and close */

struct session_bind {
	ssh_bind bind;
};

struct sess {
	struct server *srv;
	ssh_session s;
	struct auth auth;
	int admit_told;		/* admit_authed() ran */
	time_t last_activity;
	ssh_channel chan;
	int chan_closed;		/* the client closed it */
	time_t cmd_time;		/* when the exec request came */
	char *cmd;
	int reads_stdin;		/* cmd waits for the end of stdin */
	struct jbuf *in;
	int in_eof;
	int withdraw;			/* the waiter sent INT: withdraw */
	time_t wait_check;
	time_t stop_at;			/* when SIGTERM found the session idle */
	struct rpc rpc;			/* the command's context */
	struct ssh_server_callbacks_struct scb;
	struct ssh_channel_callbacks_struct ccb;
	int end_logged;			/* why the CA ended it is in its log */
};

/* The CA ends a session: its log says why, once. */
static void
sess_end(struct sess *se, const char *why)
{
	if (se->end_logged++)
		return;
	ca_log("session from %s%s%s ended by the CA: %s", se->auth.addr,
	    se->auth.user[0] != '\0' ? " user=" : "", se->auth.user, why);
}

int
session_bind_new(const char *path, struct session_bind **bp)
{
	struct session_bind *b;
	ssh_key key = NULL;
	int r;

	*bp = NULL;
	ssh_init();
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->bind = ssh_bind_new()) == NULL) {
		ca_error("setting up the SSH listener: out of memory");
		free(b);
		return JIT_ERR_ALLOC;
	}
	if ((r = jssh_import_private(path, NULL, NULL, &key)) != 0) {
		ca_error("%s: %s", path, r == JIT_ERR_INVALID_FORMAT ?
		    "not an OpenSSH private key without passphrase" :
		    jit_strerror(r));
		session_bind_free(b);
		return r;
	}
	/* The bind owns the key from here (ssh_bind_free frees it). */
	if (ssh_bind_options_set(b->bind, SSH_BIND_OPTIONS_IMPORT_KEY, key) !=
	    SSH_OK) {
		ca_error("%s: %s", path, ssh_get_error(b->bind));
		ssh_key_free(key);
		session_bind_free(b);
		return JIT_ERR_INVALID_FORMAT;
	}
	*bp = b;
	return 0;
}

void
session_bind_free(struct session_bind *b)
{
	if (b == NULL)
		return;
	if (b->bind != NULL)
		ssh_bind_free(b->bind);
	free(b);
}

/* rpc.c's output: all of data on the channel, or -1 when it is gone. */
static int
chan_write(void *arg, int to_stderr, const char *data, size_t len)
{
	struct sess *se = arg;
	size_t off = 0;
	uint32_t chunk;
	int n;

	while (off < len) {
		chunk = (uint32_t)(len - off > 65536 ? 65536 : len - off);
		n = to_stderr ?
		    ssh_channel_write_stderr(se->chan, data + off, chunk) :
		    ssh_channel_write(se->chan, data + off, chunk);
		if (n <= 0) {
			char why[96];

			snprintf(why, sizeof(why), "the client read nothing "
			    "for %llu s: its output was cut short",
			    (unsigned long long)se->srv->dl.idle);
			if (ssh_is_connected(se->s))
				sess_end(se, why);
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

/* Authenticated: the session leaves the pre-auth caps; commands may run. */
static void
sess_authed(struct sess *se)
{
	if (!se->admit_told) {
		se->admit_told = 1;
		admit_authed(se->srv->admit, se->auth.addr);
	}
	se->rpc.mfa_done = se->auth.mfa_done;
	se->rpc.codeless = se->auth.codeless;
	se->rpc.host = se->auth.host[0] != '\0' ? se->auth.host : NULL;
	se->rpc.mfa_time = se->auth.mfa_time;
	se->rpc.view = se->auth.view;
	se->rpc.source_note = se->auth.source_note[0] != '\0' ?
	    se->auth.source_note : NULL;
	se->rpc.sso_sources = se->auth.sso_sources[0] != '\0' ?
	    se->auth.sso_sources : NULL;
}

/* ---- authentication ---- */

/* Why a code or key was refused, as an SSH banner (stock ssh prints it). */
static void
send_banner(struct sess *se, const char *msg)
{
	ssh_string b;

	if (*msg == '\0')
		return;
	if ((b = ssh_string_from_char(msg)) != NULL) {
		(void)ssh_send_issue_banner(se->s, b);
		ssh_string_free(b);
	}
}

/* The pending notice (a limit reached, the store down), once. */
static void
send_notice(struct sess *se)
{
	send_banner(se, se->auth.notice);
	se->auth.notice[0] = '\0';
}

static int
on_pubkey(ssh_session session, const char *user, struct ssh_key_struct *pubkey,
    char signature_state, void *userdata)
{
	struct sess *se = userdata;
	struct jkey *k = NULL;

	(void)session;
	if (se->auth.kick)
		return SSH_AUTH_DENIED;
	if (signature_state != SSH_PUBLICKEY_STATE_NONE &&
	    signature_state != SSH_PUBLICKEY_STATE_VALID) {
		auth_refused(&se->auth);
		return SSH_AUTH_DENIED;
	}
	/* A user who signs in at the identity provider has no key here. */
	if (auth_sso_user(&se->auth, user))
		return SSH_AUTH_DENIED;
	if (jkey_from_ssh(pubkey, &k) != 0) {
		jkey_free(k);
		k = NULL;	/* refused (and counted) below */
	}
	switch (auth_publickey(&se->auth, user, k,
	    signature_state == SSH_PUBLICKEY_STATE_VALID)) {
	case AUTH_OK:
		if (se->auth.authed)
			sess_authed(se);
		return SSH_AUTH_SUCCESS;
	case AUTH_PARTIAL:	/* a verification code is owed next */
		ssh_set_auth_methods(se->s, SSH_AUTH_METHOD_INTERACTIVE);
		return SSH_AUTH_PARTIAL;
	default:
		send_notice(se);
		return SSH_AUTH_DENIED;
	}
}

/*
 * Sign-in with the identity provider: the first keyboard-interactive
 * request of an SSO user gets the verification URI and user code as its
 * prompt; the answer (Enter) makes the CA poll until the user has signed
 * in.  1 when msg was this, handled.
 */
static int
sso_step(struct sess *se, ssh_message msg)
{
	static const char *prompts[] = { "Press Enter once you have signed in: " };
	char echo[] = { 1 }, inst[2048], why[700];
	const char *user = ssh_message_auth_user(msg);

	if (!ssh_message_auth_kbdint_is_response(msg)) {
		if (!auth_sso_user(&se->auth, user))
			return 0;
		if (auth_sso_start(&se->auth, user, inst, sizeof(inst), why,
		    sizeof(why)) != AUTH_OK) {
			send_banner(se, why);
			ssh_message_auth_set_methods(msg, SSH_AUTH_METHOD_INTERACTIVE);
			ssh_message_reply_default(msg);
			return 1;
		}
		ssh_message_auth_interactive_request(msg, "jit-ssh: sign in with "
		    "your identity provider", inst, 1, prompts, echo);
		return 1;
	}
	if (se->auth.sso == NULL)
		return 0;
	if (auth_sso_finish(&se->auth, why, sizeof(why)) == AUTH_OK) {
		sess_authed(se);
		ssh_message_auth_reply_success(msg, 0);
		return 1;
	}
	send_banner(se, why);
	ssh_message_auth_set_methods(msg, SSH_AUTH_METHOD_INTERACTIVE);
	ssh_message_reply_default(msg);
	return 1;
}

static int
on_message(ssh_session session, ssh_message msg, void *userdata)
{
	struct sess *se = userdata;
	static const char *prompts[] = { "Verification code: " };
	char echo[] = { 0 }, why[256];

	(void)session;
	if (ssh_message_type(msg) != SSH_REQUEST_AUTH)
		return 1;	/* not ours: default handling */
	if (se->auth.kick) {
		ssh_message_reply_default(msg);
		return 0;
	}
	if (ssh_message_subtype(msg) != SSH_AUTH_METHOD_INTERACTIVE) {
		/* none, password, hostbased: refused (and counted). */
		auth_refused(&se->auth);
		if (se->auth.kick)
			send_notice(se);
		return 1;
	}
	if (!se->auth.pk_ok && !se->auth.authed && sso_step(se, msg))
		return 0;
	/* Only after the user's key, and for that same user. */
	if (!se->auth.pk_ok || (!ssh_message_auth_kbdint_is_response(msg) &&
	    (ssh_message_auth_user(msg) == NULL ||
	    strcmp(ssh_message_auth_user(msg), se->auth.user) != 0))) {
		ssh_message_auth_set_methods(msg, se->auth.pk_ok ?
		    SSH_AUTH_METHOD_INTERACTIVE : SSH_AUTH_METHOD_PUBLICKEY);
		ssh_message_reply_default(msg);
		return 0;
	}
	if (!ssh_message_auth_kbdint_is_response(msg)) {
		ssh_message_auth_interactive_request(msg, "jit-ssh",
		    "Enter the code from your authenticator app.", 1, prompts,
		    echo);
		return 0;
	}
	if (auth_code(&se->auth, ssh_userauth_kbdint_getanswer(se->s, 0), why,
	    sizeof(why)) == AUTH_OK) {
		sess_authed(se);
		ssh_message_auth_reply_success(msg, 0);
		return 0;
	}
	send_banner(se, why);
	if (!se->auth.kick && se->auth.code_failures >= AUTH_MAX_CODES)
		snprintf(se->auth.notice, sizeof(se->auth.notice), "jit-ssh: %d "
		    "codes refused on one connection: the CA ends it\n",
		    AUTH_MAX_CODES);
	send_notice(se);
	ssh_message_auth_set_methods(msg, SSH_AUTH_METHOD_INTERACTIVE);
	ssh_message_reply_default(msg);
	return 0;
}

/* ---- channels ---- */

static void finish_channel(struct sess *se, int status);

static int
on_data(ssh_session session, ssh_channel channel, void *data, uint32_t len,
    int is_stderr, void *userdata)
{
	struct sess *se = userdata;

	(void)session;
	(void)channel;
	/* Only a command's stdin is read and counts as activity. */
	if (is_stderr || se->cmd == NULL)
		return (int)len;
	se->last_activity = (time_t)jit_now();
	/* Bounded: the rest is read and dropped, and the command refused. */
	if (jbuf_len(se->in) + len > (se->rpc.host != NULL ? RPC_UPLOAD_MAX :
	    RPC_STDIN_MAX))
		se->rpc.in_too_big = 1;
	else if (jbuf_put(se->in, data, len) != 0)
		se->rpc.in_too_big = 1;
	return (int)len;
}

static void
on_eof(ssh_session session, ssh_channel channel, void *userdata)
{
	struct sess *se = userdata;

	(void)session;
	(void)channel;
	se->in_eof = 1;
}

static void
on_close(ssh_session session, ssh_channel channel, void *userdata)
{
	struct sess *se = userdata;

	(void)session;
	(void)channel;
	se->chan_closed = 1;
}

static int
on_exec(ssh_session session, ssh_channel channel, const char *command,
    void *userdata)
{
	struct sess *se = userdata;

	(void)session;
	(void)channel;
	if (se->cmd != NULL || strlen(command) > RPC_COMMAND_MAX)
		return 1;
	if ((se->cmd = strdup(command)) == NULL)
		return 1;
	se->reads_stdin = rpc_reads_stdin(command);
	se->cmd_time = (time_t)jit_now();
	return 0;
}

/* A bare `ssh user@ca`: no shell here, the list of commands instead. */
static int
on_shell(ssh_session session, ssh_channel channel, void *userdata)
{
	return on_exec(session, channel, "help", userdata);
}

/* The jit-ssh client sends INT on Ctrl-C: a waiting login withdraws. */
static void
on_chan_signal(ssh_session session, ssh_channel channel, const char *signal,
    void *userdata)
{
	struct sess *se = userdata;

	(void)session;
	(void)channel;
	if (strcmp(signal, "INT") == 0 || strcmp(signal, "TERM") == 0 ||
	    strcmp(signal, "HUP") == 0)
		se->withdraw = 1;
}

static ssh_channel
on_channel_open(ssh_session session, void *userdata)
{
	struct sess *se = userdata;

	if (!se->auth.authed)
		return NULL;
	/* The client closed the last channel: its close may not be seen to
	 * yet (the next step does it); that one is over. */
	if (se->chan != NULL && se->chan_closed)
		finish_channel(se, 255);
	if (se->chan != NULL)
		return NULL;	/* one command at a time */
	if ((se->chan = ssh_channel_new(session)) == NULL)
		return NULL;
	memset(&se->ccb, 0, sizeof(se->ccb));
	se->ccb.userdata = se;
	se->ccb.channel_data_function = on_data;
	se->ccb.channel_eof_function = on_eof;
	se->ccb.channel_exec_request_function = on_exec;
	se->ccb.channel_shell_request_function = on_shell;
	se->ccb.channel_signal_function = on_chan_signal;
	se->ccb.channel_close_function = on_close;
	ssh_callbacks_init(&se->ccb);
	ssh_set_channel_callbacks(se->chan, &se->ccb);
	jbuf_reset(se->in);
	se->in_eof = se->rpc.in_too_big = se->withdraw = se->chan_closed = 0;
	se->last_activity = (time_t)jit_now();
	return se->chan;
}

static void
finish_channel(struct sess *se, int status)
{
	if (!se->chan_closed) {
		ssh_channel_request_send_exit_status(se->chan, status);
		ssh_channel_send_eof(se->chan);
		ssh_channel_close(se->chan);
	}
	ssh_channel_free(se->chan);
	se->chan = NULL;
	free(se->cmd);
	se->cmd = NULL;
	se->rpc.waiting = NULL;
}

/*
 * The session, written down.  A connection is in one of these states
 * (sess_state() tells which from what has happened); each turn of its
 * loop (sess_step(), after libssh ran the callbacks above) acts on it:
 *
 *   AUTH   waits for a key, then a code (auth.c)       -> READY
 *          dl.auth (30 s), 3 refused codes or 6 refusals: the end
 *   READY  waits for an exec (or shell) request        -> INPUT or RUN
 *          idle dl.idle (120 s): the end; SIGTERM: the end after 2 s
 *   INPUT  waits for the end of stdin (JIT_VERB_STDIN) -> RUN
 *          dl.stdin_end (10 s): a usage error, READY
 *   RUN    rpc_run() runs at once                      -> READY, or WAIT
 *   WAIT   the command's poll hook, once a second      -> READY, decided
 *          INT/TERM/HUP from the client: its withdraw hook, READY;
 *          SIGTERM: how to resume, READY
 *   any    the client closes the channel               -> READY
 *
 * The commands are the table's (ca/remote/verbs.c): the session knows
 * none by name, only their flags and hooks.
 */
enum sess_state { S_AUTH, S_READY, S_INPUT, S_RUN, S_WAIT };

static enum sess_state
sess_state(const struct sess *se)
{
	if (!se->auth.authed)
		return S_AUTH;
	if (se->chan == NULL || se->cmd == NULL)
		return S_READY;
	if (se->rpc.waiting != NULL)
		return S_WAIT;
	if (se->reads_stdin && !se->in_eof && !se->rpc.in_too_big)
		return S_INPUT;
	return S_RUN;
}

/* The deadlines of every state, and the client's close: -1 to end. */
static int
sess_limits(struct sess *se, enum sess_state st, time_t now, time_t start)
{
	char why[64];

	if (se->auth.kick) {
		sess_end(se, se->auth.auth_failures >= AUTH_MAX_FAILURES ?
		    "too many refused authentication attempts" :
		    "the store is unavailable");
		return -1;
	}
	if (st == S_AUTH && now - start > (time_t)se->srv->dl.auth &&
	    (uint64_t)now >= se->auth.sso_until) {
		snprintf(why, sizeof(why), "not authenticated within %llu s",
		    (unsigned long long)se->srv->dl.auth);
		sess_end(se, why);
		return -1;
	}
	if (st == S_AUTH && se->auth.code_failures >= AUTH_MAX_CODES) {
		sess_end(se, "too many refused codes");
		return -1;
	}
	/* Idle: no command running, none waiting, channel or not. */
	if (now - se->last_activity > (time_t)se->srv->dl.idle &&
	    st != S_WAIT) {
		snprintf(why, sizeof(why), "idle for %llu s",
		    (unsigned long long)se->srv->dl.idle);
		sess_end(se, why);
		return -1;
	}
	return 0;
}

/* WAIT: withdraw, stop, or look again once a second. */
static void
sess_wait(struct sess *se, time_t now, int stopping)
{
	int status;

	if (stopping) {
		/* What it waits for is durable: tell the waiter how to resume. */
		finish_channel(se, rpc_interrupted(&se->rpc));
		return;
	}
	if (se->withdraw) {
		finish_channel(se, rpc_withdraw(&se->rpc));
		return;
	}
	if (now != se->wait_check) {
		se->wait_check = now;
		se->last_activity = now;
		if ((status = rpc_poll(&se->rpc)) != RPC_WAIT)
			finish_channel(se, status);
	}
}

/* INPUT: stdin did not end in time. */
static void
sess_input(struct sess *se, time_t now)
{
	const char *name = se->cmd + strspn(se->cmd, " \t");
	char msg[160];

	if (now - se->cmd_time <= (time_t)se->srv->dl.stdin_end)
		return;
	snprintf(msg, sizeof(msg), "%.*s: stdin did not end within %llu s: "
	    "send the input and close stdin\n", (int)strcspn(name, " \t"),
	    name, (unsigned long long)se->srv->dl.stdin_end);
	(void)chan_write(se, 1, msg, strlen(msg));
	finish_channel(se, RPC_USAGE);
}

/*
 * One turn of the session's loop, after polling: 0 to go on, -1 to end
 * the connection.
 */
static int
sess_step(struct sess *se, time_t start)
{
	time_t now = (time_t)jit_now();
	int stopping = atomic_load(&se->srv->stopping), status;
	enum sess_state st = sess_state(se);

	if (sess_limits(se, st, now, start) != 0)
		return -1;
	if (se->chan != NULL && se->chan_closed) {
		/*
		 * The client closed the channel (a refused request, or it went
		 * away while waiting: the request stays for a later login to
		 * pick up); the next channel may open.
		 */
		finish_channel(se, 255);
		return 0;
	}
	switch (st) {
	case S_AUTH:
		break;
	case S_READY:
		/* SIGTERM: give the client a moment to read and close first. */
		if (stopping && se->chan == NULL) {
			if (se->stop_at == 0)
				se->stop_at = now;
			else if (now - se->stop_at >= STOP_GRACE_SEC)
				return -1;
		}
		break;
	case S_INPUT:
		sess_input(se, now);
		break;
	case S_RUN:
		se->last_activity = now;
		if ((status = rpc_run(&se->rpc, se->cmd)) != RPC_WAIT)
			finish_channel(se, status);
		break;
	case S_WAIT:
		sess_wait(se, now, stopping);
		break;
	}
	return 0;
}

static void
sess_free(struct sess *se)
{
	if (se->s != NULL)
		ssh_free(se->s);
	auth_clear(&se->auth);
	auth_sso_clear(&se->auth);
	jpolicy_free(se->auth.view);
	jbuf_free(se->in);
	admit_release(se->srv->admit, se->auth.addr, se->admit_told);
	free(se);
}

static int
sso_configured(struct sess *se)
{
	struct jpolicy_sso_cfg c;
	struct jpolicy *p = svc_policy_get(&se->srv->svc);
	int yes = jpolicy_sso(p, &c);

	svc_policy_put(&se->srv->svc, p);
	return yes;
}

static void *
sess_main(void *arg)
{
	struct sess *se = arg;
	ssh_event ev = NULL;
	time_t start = (time_t)jit_now();
	long kex_timeout = (long)se->srv->dl.kex;
	long io_timeout = (long)se->srv->dl.idle;

	se->last_activity = start;
	memset(&se->scb, 0, sizeof(se->scb));
	se->scb.userdata = se;
	se->scb.auth_pubkey_function = on_pubkey;
	se->scb.channel_open_request_session_function = on_channel_open;
	ssh_callbacks_init(&se->scb);
	ssh_set_server_callbacks(se->s, &se->scb);
	ssh_set_message_callback(se->s, on_message, se);
	ssh_set_auth_methods(se->s, SSH_AUTH_METHOD_PUBLICKEY |
	    (sso_configured(se) ? SSH_AUTH_METHOD_INTERACTIVE : 0));
	/* A peer that never finishes the key exchange is dropped. */
	ssh_options_set(se->s, SSH_OPTIONS_TIMEOUT, &kex_timeout);
	if (ssh_handle_key_exchange(se->s) != SSH_OK)
		goto out;
	/*
	 * The key exchange's deadline ends with it: from here a write waits
	 * for a slow reader as long as the idle deadline (only this session
	 * waits).
	 */
	ssh_options_set(se->s, SSH_OPTIONS_TIMEOUT, &io_timeout);
	if ((ev = ssh_event_new()) == NULL ||
	    ssh_event_add_session(ev, se->s) != SSH_OK)
		goto out;
	while (ssh_is_connected(se->s)) {
		if (ssh_event_dopoll(ev, 200) == SSH_ERROR)
			break;
		if (sess_step(se, start) != 0)
			break;
	}
 out:
	if (se->chan != NULL)
		finish_channel(se, 255);
	/* What we wrote last (exit status, a parting message) goes out first. */
	if (ssh_is_connected(se->s))
		(void)ssh_blocking_flush(se->s, 1000);
	if (ev != NULL) {
		ssh_event_remove_session(ev, se->s);
		ssh_event_free(ev);
	}
	ssh_disconnect(se->s);
	/*
	 * Free this thread's OpenSSL state (its DRBGs) now: once released,
	 * the session no longer holds up a SIGTERM drain, and the process may
	 * exit before a detached thread's own exit handlers have run.
	 */
	OPENSSL_thread_stop();
	sess_free(se);
	return NULL;
}

int
session_start(struct server *s, struct session_bind *b, int fd,
    const char *addr)
{
	struct sess *se;
	pthread_attr_t attr;
	pthread_t tid;
	int r = -1;

	if ((se = calloc(1, sizeof(*se))) == NULL) {
		close(fd);
		admit_release(s->admit, addr, 0);
		return -1;
	}
	se->srv = s;
	se->auth.svc = &s->svc;
	se->auth.tables = s->auth;
	se->auth.stopping = &s->stopping;
	snprintf(se->auth.addr, sizeof(se->auth.addr), "%s", addr);
	se->rpc.svc = &s->svc;
	se->rpc.io.write = chan_write;
	se->rpc.io.arg = se;
	se->rpc.user = se->auth.user;
	se->rpc.addr = se->auth.addr;
	if ((se->in = jbuf_new()) == NULL || (se->s = ssh_new()) == NULL) {
		close(fd);
		sess_free(se);
		return -1;
	}
	se->rpc.in = se->in;
	/* From here the session owns fd (ssh_free closes it). */
	if (ssh_bind_accept_fd(b->bind, se->s, fd) != SSH_OK) {
		sess_free(se);
		return -1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	if (pthread_create(&tid, &attr, sess_main, se) == 0)
		r = 0;
	else
		sess_free(se);
	pthread_attr_destroy(&attr);
	return r;
}
