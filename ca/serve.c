/*
 * serve.c: `jit-ssh-ca serve`, the CA as an SSH server (libssh).
 *
 * One thread per connection, with caps on sessions in total and per source
 * address, an authentication deadline and an idle timeout.  We open and
 * listen on the socket ourselves (libssh's ssh_bind_listen() uses a backlog
 * of 10) and hand each accepted descriptor to ssh_bind_accept_fd().
 * Authentication: publickey against the policy's user keys, then, for users
 * with a TOTP secret, keyboard-interactive "Verification code:" (partial
 * success).  Commands arrive as exec requests and are parsed here, never by
 * a shell (see commands.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include "ca.h"
#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"
#include "jpolicy.h"
#include "jsshkey.h"
#include "jstore.h"
#include "jtext.h"
#include "jtotp.h"
#include "serve.h"

#define MAX_SESSIONS		SRV_MAX_SESSIONS
#define MAX_PER_ADDRESS		256	/* a NATed office is one address */
#define AUTH_DEADLINE_SEC	30
#define IDLE_SEC		120
#define MAX_TOTP_FAILURES	5	/* then lockout with growing back-off */
/*
 * Unauthenticated connections have their own caps, so a flood of them
 * (which costs the attacker nothing) cannot take the places of users:
 * MaxStartups and PerSourceMaxStartups in sshd's terms.
 */
#define MAX_UNAUTH		256
#define MAX_UNAUTH_PER_ADDRESS	64
#define MAX_AUTH_FAILURES	6	/* per connection, as sshd's MaxAuthTries */
#define AUTH_FAIL_EVENTS_PER_MIN 10	/* durable auth-fail events per address */
#define STDIN_DEADLINE_SEC	10	/* login: the key and the end of stdin */

static volatile sig_atomic_t stopping, reload;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		stopping = 1;
}

/* The service's log line: time, then as ca_error(). */
void
srv_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ca_vlog(1, fmt, ap);
	va_end(ap);
}

struct jpolicy *
srv_policy_get(struct server *srv)
{
	struct jpolicy *p;

	pthread_mutex_lock(&srv->policy_lock);
	p = jpolicy_ref(srv->policy);
	pthread_mutex_unlock(&srv->policy_lock);
	return p;
}

void
srv_policy_put(struct server *srv, struct jpolicy *p)
{
	(void)srv;
	jpolicy_free(p);
}

/*
 * Records an event; failures are logged, never fatal to the session.
 * (The notifier, which follows the log, tells notify.command.)
 */
void
srv_event(struct server *srv, const char *kind, const char *user,
    const char *source, const char *reason)
{
	struct jstore_event ev;
	int r;

	memset(&ev, 0, sizeof(ev));
	ev.event = kind;
	ev.user = user;
	ev.source = source;
	ev.reason = reason;
	if ((r = jstore_append(srv->store, &ev, 1)) != 0)
		srv_log("recording %s for %s: %s", kind, user, jit_strerror(r));
}

/* ---- authentication ---- */

static uint64_t grace_lookup(struct sess *se, const char *fp, uint64_t grace,
    const struct jstore_totp *t);

/* A refused attempt, any method: the connection ends after a few. */
static void
auth_refused(struct sess *se)
{
	if (++se->auth_failures >= MAX_AUTH_FAILURES)
		se->kick = 1;
}

/* Authenticated: the session no longer counts against the pre-auth caps. */
static void
sess_authed(struct sess *se)
{
	struct server *srv = se->srv;
	size_t i;

	se->authed = 1;
	pthread_mutex_lock(&srv->lock);
	if (se->unauth_counted) {
		se->unauth_counted = 0;
		srv->nunauth--;
		for (i = 0; i < MAX_SESSIONS; i++)
			if (srv->slots[i].n > 0 &&
			    strcmp(srv->slots[i].addr, se->addr) == 0) {
				srv->slots[i].unauth--;
				break;
			}
	}
	pthread_mutex_unlock(&srv->lock);
}

/*
 * Whether another auth-fail from addr goes on record: at most
 * AUTH_FAIL_EVENTS_PER_MIN per address and minute.  When a new minute
 * begins, *droppedp says how many of the last one were only counted.
 */
static int
auth_fail_admit(struct server *srv, const char *addr, uint64_t now,
    unsigned *droppedp)
{
	struct failrate *f = NULL, *oldest = &srv->failrate[0];
	size_t i;
	int ok;

	*droppedp = 0;
	pthread_mutex_lock(&srv->lock);
	for (i = 0; i < sizeof(srv->failrate) / sizeof(srv->failrate[0]); i++) {
		if (strcmp(srv->failrate[i].addr, addr) == 0) {
			f = &srv->failrate[i];
			break;
		}
		if (srv->failrate[i].window < oldest->window)
			oldest = &srv->failrate[i];
	}
	if (f == NULL) {	/* reuse the slot idle longest */
		f = oldest;
		snprintf(f->addr, sizeof(f->addr), "%s", addr);
		f->window = now;
		f->n = f->dropped = 0;
	} else if (now - f->window >= 60) {
		*droppedp = f->dropped;
		f->window = now;
		f->n = f->dropped = 0;
	}
	if ((ok = f->n < AUTH_FAIL_EVENTS_PER_MIN))
		f->n++;
	else
		f->dropped++;
	pthread_mutex_unlock(&srv->lock);
	return ok;
}

/*
 * Records a refused user or key, rate-limited per address.  The user name
 * is the client's: it is recorded escaped (the log holds clean text only).
 */
static void
record_auth_fail(struct sess *se, const char *user, const char *fp)
{
	char why[128], *u = jtext_escape_dup(user, strlen(user));
	unsigned dropped;

	if (u == NULL)
		return;
	if (!auth_fail_admit(se->srv, se->addr, (uint64_t)time(NULL),
	    &dropped)) {
		free(u);
		return;
	}
	if (dropped > 0) {
		snprintf(why, sizeof(why), "%u more auth failures in the last "
		    "minute were counted, not recorded", dropped);
		srv_log("auth-fail from %s: %s", se->addr, why);
		srv_event(se->srv, "auth-fail", NULL, se->addr, why);
	}
	srv_log("auth-fail user=%s key=%s from %s", user, fp != NULL ? fp : "?",
	    se->addr);	/* srv_log escapes */
	srv_event(se->srv, "auth-fail", strlen(u) <= 64 ? u : NULL, se->addr,
	    "unknown user or key");
	free(u);
}

static int
auth_pubkey(ssh_session session, const char *user, struct ssh_key_struct *pubkey,
    char signature_state, void *userdata)
{
	struct sess *se = userdata;
	struct jpolicy *p;
	struct jkey *k = NULL;
	struct jstore_totp t;
	int ok, r;

	(void)session;
	if (se->kick)
		return SSH_AUTH_DENIED;
	if (signature_state != SSH_PUBLICKEY_STATE_NONE &&
	    signature_state != SSH_PUBLICKEY_STATE_VALID) {
		auth_refused(se);
		return SSH_AUTH_DENIED;
	}
	if (strlen(user) >= sizeof(se->user) || jkey_from_ssh(pubkey, &k) != 0) {
		jkey_free(k);
		auth_refused(se);
		return SSH_AUTH_DENIED;
	}
	p = srv_policy_get(se->srv);
	ok = jpolicy_user_has_key(p, user, k);
	srv_policy_put(se->srv, p);
	if (!ok) {
		if (signature_state == SSH_PUBLICKEY_STATE_VALID ||
		    se->auth_fail_logged++ == 0) {
			char *fp = NULL;

			(void)jkey_fingerprint(k, &fp);
			record_auth_fail(se, user, fp);
			free(fp);
		}
		jkey_free(k);
		auth_refused(se);
		return SSH_AUTH_DENIED;
	}
	if (signature_state == SSH_PUBLICKEY_STATE_NONE) {
		jkey_free(k);
		return SSH_AUTH_SUCCESS;	/* "this key would do" */
	}
	snprintf(se->user, sizeof(se->user), "%s", user);
	jkey_free(se->identity);
	se->identity = k;
	/*
	 * Enrolled users owe a verification code next, unless in grace.  A
	 * record that cannot be read or is not the user's latest enrollment
	 * (restored, edited) fails closed: it never means "not enrolled".
	 */
	if ((r = jstore_totp_get(se->srv->store, user, &t)) != 0 &&
	    r != JIT_ERR_NOT_FOUND) {
		srv_log("mfa user=%s: %s: refused", user, jit_strerror(r));
		jkey_free(k);
		se->identity = NULL;
		auth_refused(se);
		return SSH_AUTH_DENIED;
	}
	if (r == 0) {
		char *fp = NULL;
		uint64_t grace, when = 0;

		p = srv_policy_get(se->srv);
		grace = jpolicy_mfa_grace(p);
		srv_policy_put(se->srv, p);
		/*
		 * No grace past a lockout: a lockout sets locked_until, and
		 * only a verified code (which grants grace) clears it.
		 */
		if (grace > 0 && t.locked_until == 0 &&
		    jkey_fingerprint(k, &fp) == 0)
			when = grace_lookup(se, fp, grace, &t);
		jit_wipe(&t, sizeof(t));
		free(fp);
		if (when != 0) {
			se->mfa_done = 1;
			se->mfa_time = when;
			sess_authed(se);
			return SSH_AUTH_SUCCESS;
		}
		se->pk_ok = 1;
		ssh_set_auth_methods(se->s, SSH_AUTH_METHOD_INTERACTIVE);
		return SSH_AUTH_PARTIAL;
	}
	sess_authed(se);
	return SSH_AUTH_SUCCESS;
}

static void
sealed_hash(const unsigned char *sealed, size_t len, unsigned char out[32])
{
	unsigned int n = 32;

	if (EVP_Digest(sealed, len, out, &n, EVP_sha256(), NULL) != 1)
		memset(out, 0, 32);
}

static int
any_event(const struct jstore_event *ev, void *arg)
{
	(void)ev;
	(void)arg;
	return 1;
}

/*
 * defaults.mfa_grace: a verified code also covers later connections by the
 * same user, with the same identity key, from the same address, for that
 * long; but not past a re-enrollment (the stored secret is another), a
 * lockout (checked by the caller), a revocation of one of the user's
 * certificates or a lock (both on record after the code), or a policy
 * reload (which empties the table).  Returns the time of that code, or 0.
 */
static uint64_t
grace_lookup(struct sess *se, const char *fp, uint64_t grace,
    const struct jstore_totp *rec)
{
	struct server *srv = se->srv;
	struct jstore_filter f;
	unsigned char h[32];
	uint64_t now = (uint64_t)time(NULL), t = 0;
	size_t i;

	if (grace == 0)
		return 0;
	sealed_hash(rec->secret, rec->secret_len, h);
	pthread_mutex_lock(&srv->lock);
	for (i = 0; i < SRV_MAX_SESSIONS; i++) {
		struct grace *g = &srv->grace[i];

		if (g->time != 0 && now - g->time < grace &&
		    strcmp(g->user, se->user) == 0 &&
		    strcmp(g->addr, se->addr) == 0 && strcmp(g->fp, fp) == 0 &&
		    jit_timingsafe_eq(g->sealed_hash, h, sizeof(h)) &&
		    g->time > t)
			t = g->time;
	}
	pthread_mutex_unlock(&srv->lock);
	if (t == 0)
		return 0;
	memset(&f, 0, sizeof(f));
	f.user = se->user;
	f.since = t;
	f.event = "revoke";
	if (jstore_query(srv->store, &f, any_event, NULL) != 0)
		return 0;	/* revoked since (or the query failed) */
	return t;
}

static void
grace_remember(struct sess *se, const unsigned char hash[32])
{
	struct server *srv = se->srv;
	struct grace *g;
	char *fp = NULL;

	if (jkey_fingerprint(se->identity, &fp) != 0)
		return;
	pthread_mutex_lock(&srv->lock);
	g = &srv->grace[srv->grace_next++ % SRV_MAX_SESSIONS];
	snprintf(g->user, sizeof(g->user), "%s", se->user);
	snprintf(g->addr, sizeof(g->addr), "%s", se->addr);
	snprintf(g->fp, sizeof(g->fp), "%s", fp);
	memcpy(g->sealed_hash, hash, sizeof(g->sealed_hash));
	g->time = se->mfa_time;
	pthread_mutex_unlock(&srv->lock);
	free(fp);
}

struct code_arg {
	struct sess *se;
	const char *code;
	uint64_t now;
	int unsealed;	/* 0: the stored secret did not open */
	unsigned char sealed_hash[32];	/* for mfa_grace */
};

/* Runs inside the store's check: opens the sealed secret, checks the code. */
static int
verify_code(const unsigned char *sealed, size_t len, void *arg,
    uint64_t *stepp)
{
	struct code_arg *a = arg;
	unsigned char secret[CA_TOTP_SECRET_MAX];
	size_t secret_len = 0;
	int r;

	if (ca_totp_open(a->se->srv->totp_key, a->se->user, sealed, len,
	    secret, sizeof(secret), &secret_len) != 0)
		return JIT_ERR_DENIED;
	a->unsealed = 1;
	sealed_hash(sealed, len, a->sealed_hash);
	r = jtotp_verify(secret, secret_len, a->code, a->now, stepp);
	jit_wipe(secret, sizeof(secret));
	return r;
}

/*
 * Checks a code.  The store counts it and locks out (growing back-off) in
 * the same transaction that reads the state, so parallel connections get
 * MAX_TOTP_FAILURES codes checked between them, no more.
 */
/*
 * Why a code was refused, told to the client as an SSH banner (stock ssh
 * prints it; jit-ssh shows it): wrong, already used, or locked out and
 * for how long.
 */
static void
tell_code(struct sess *se, int r, const struct jstore_totp_check *c,
    uint64_t now)
{
	char msg[256], left[32];
	ssh_string b;

	if (r == JIT_ERR_TOTP_LOCKED || c->locked_until > now) {
		jpolicy_format_duration(c->locked_until > now ?
		    c->locked_until - now : 1, left, sizeof(left));
		snprintf(msg, sizeof(msg), "jit-ssh: locked out after %d wrong "
		    "codes in a row: try again in %s\n", MAX_TOTP_FAILURES,
		    left);
	} else if (r == JIT_ERR_TOTP_REPLAY)
		snprintf(msg, sizeof(msg), "jit-ssh: that code was already used: "
		    "wait for the next one (a new code every 30 s)\n");
	else if (r == JIT_ERR_TOTP_WRONG)
		snprintf(msg, sizeof(msg), "jit-ssh: wrong code (%u of %d before "
		    "a lockout)\n", c->failures, MAX_TOTP_FAILURES);
	else
		return;
	if ((b = ssh_string_from_char(msg)) != NULL) {
		(void)ssh_send_issue_banner(se->s, b);
		ssh_string_free(b);
	}
}

static int
check_code(struct sess *se, const char *code)
{
	struct server *srv = se->srv;
	struct code_arg a = { se, code, (uint64_t)time(NULL), 0, { 0 } };
	struct jstore_totp_check c;
	int r;

	memset(&c, 0, sizeof(c));
	c.now = a.now;
	c.max_failures = MAX_TOTP_FAILURES;
	c.source = se->addr;
	c.verify = verify_code;
	c.arg = &a;
	r = jstore_totp_check(srv->store, se->user, &c);
	if (r == 0) {
		se->mfa_done = 1;
		se->mfa_time = a.now;
		grace_remember(se, a.sealed_hash);
		return 0;
	}
	tell_code(se, r, &c, a.now);
	if (r == JIT_ERR_TOTP_LOCKED) {
		srv_log("mfa-fail user=%s from %s (locked out for %llu s more)",
		    se->user, se->addr,
		    (unsigned long long)(c.locked_until - a.now));
		return r;
	}
	if (r != JIT_ERR_TOTP_WRONG && r != JIT_ERR_TOTP_REPLAY) {
		srv_log("mfa user=%s: %s", se->user, jit_strerror(r));
		return JIT_ERR_DENIED;
	}
	if (!a.unsealed)
		srv_log("mfa user=%s: the stored secret does not open with %s: "
		    "re-enroll the user", se->user, CA_TOTP_KEY);
	srv_log("mfa-fail user=%s from %s (%s, %u in a row)", se->user,
	    se->addr, r == JIT_ERR_TOTP_REPLAY ? "code reused" : "wrong code",
	    c.failures);
	if (c.locked_now)	/* the event is on record: the notifier tells */
		srv_log("lockout user=%s: %u wrong codes in a row: locked for "
		    "%llu s", se->user, c.failures,
		    (unsigned long long)(c.locked_until - a.now));
	return r;
}

static int
on_message(ssh_session session, ssh_message msg, void *userdata)
{
	struct sess *se = userdata;
	static const char *prompts[] = { "Verification code: " };
	char echo[] = { 0 };
	const char *answer;

	(void)session;
	if (ssh_message_type(msg) != SSH_REQUEST_AUTH)
		return 1;	/* not ours: default handling */
	if (se->kick) {
		ssh_message_reply_default(msg);
		return 0;
	}
	if (ssh_message_subtype(msg) != SSH_AUTH_METHOD_INTERACTIVE) {
		/* none, password, hostbased: refused (and counted). */
		auth_refused(se);
		return 1;
	}
	/* Only after the user's key, and for that same user. */
	if (!se->pk_ok || (!ssh_message_auth_kbdint_is_response(msg) &&
	    (ssh_message_auth_user(msg) == NULL ||
	    strcmp(ssh_message_auth_user(msg), se->user) != 0))) {
		ssh_message_auth_set_methods(msg, se->pk_ok ?
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
	answer = ssh_userauth_kbdint_getanswer(se->s, 0);
	if (answer != NULL && check_code(se, answer) == 0) {
		sess_authed(se);
		ssh_message_auth_reply_success(msg, 0);
		return 0;
	}
	se->code_failures++;
	auth_refused(se);
	ssh_message_auth_set_methods(msg, SSH_AUTH_METHOD_INTERACTIVE);
	ssh_message_reply_default(msg);
	return 0;
}

/* ---- channels ---- */

static int
on_data(ssh_session session, ssh_channel channel, void *data, uint32_t len,
    int is_stderr, void *userdata)
{
	struct sess *se = userdata;

	(void)session;
	(void)channel;
	if (is_stderr)
		return (int)len;
	se->last_activity = time(NULL);
	/* Bounded: the rest is read and dropped, and the command refused. */
	if (jbuf_len(se->in) + len > SRV_STDIN_MAX)
		se->in_too_big = 1;
	else if (jbuf_put(se->in, data, len) != 0)
		se->in_too_big = 1;
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
	if (se->cmd != NULL || strlen(command) > SRV_COMMAND_MAX)
		return 1;
	if ((se->cmd = strdup(command)) == NULL)
		return 1;
	se->cmd_time = time(NULL);
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

	if (se->chan != NULL || !se->authed)
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
	se->in_eof = se->in_too_big = se->withdraw = se->chan_closed = 0;
	se->last_activity = time(NULL);
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
	se->wait_id[0] = '\0';
}

/* ---- sessions ---- */

static void
sess_release(struct sess *se)
{
	struct server *srv = se->srv;
	size_t i;

	pthread_mutex_lock(&srv->lock);
	srv->nsessions--;
	if (se->unauth_counted)
		srv->nunauth--;
	for (i = 0; i < MAX_SESSIONS; i++)
		if (srv->slots[i].n > 0 && strcmp(srv->slots[i].addr,
		    se->addr) == 0) {
			srv->slots[i].n--;
			if (se->unauth_counted)
				srv->slots[i].unauth--;
			break;
		}
	se->unauth_counted = 0;
	jstore_set_clients(srv->store, srv->nsessions);
	pthread_cond_broadcast(&srv->drained);
	pthread_mutex_unlock(&srv->lock);
}

static void *
sess_main(void *arg)
{
	struct sess *se = arg;
	ssh_event ev = NULL;
	time_t start = time(NULL), now;
	int status;

	se->last_activity = start;
	memset(&se->scb, 0, sizeof(se->scb));
	se->scb.userdata = se;
	se->scb.auth_pubkey_function = auth_pubkey;
	se->scb.channel_open_request_session_function = on_channel_open;
	ssh_callbacks_init(&se->scb);
	ssh_set_server_callbacks(se->s, &se->scb);
	ssh_set_message_callback(se->s, on_message, se);
	ssh_set_auth_methods(se->s, SSH_AUTH_METHOD_PUBLICKEY);
	{
		/* A peer that never finishes the key exchange is dropped. */
		long kex_timeout = 10;

		ssh_options_set(se->s, SSH_OPTIONS_TIMEOUT, &kex_timeout);
	}
	if (ssh_handle_key_exchange(se->s) != SSH_OK)
		goto out;
	if ((ev = ssh_event_new()) == NULL || ssh_event_add_session(ev, se->s) !=
	    SSH_OK)
		goto out;
	while (ssh_is_connected(se->s)) {
		if (ssh_event_dopoll(ev, 200) == SSH_ERROR)
			break;
		now = time(NULL);
		if (se->kick || (!se->authed && (now - start > AUTH_DEADLINE_SEC ||
		    se->code_failures >= 3)))
			break;
		/* Idle: no command running, no login waiting, channel or not. */
		if (now - se->last_activity > IDLE_SEC && se->wait_id[0] == '\0')
			break;
		if (se->chan != NULL && se->chan_closed) {
			/*
			 * The client closed the channel (a refused request, or
			 * it went away while waiting: the request stays for a
			 * later login to pick up); the next channel may open.
			 */
			finish_channel(se, 255);
			continue;
		}
		if (stopping && se->chan == NULL) {
			/* Give the client a moment to read and close first. */
			if (se->stop_at == 0)
				se->stop_at = now;
			else if (now - se->stop_at >= 2)
				break;
		}
		if (se->chan != NULL && se->wait_id[0] != '\0' && stopping) {
			/* The request is durable: tell the waiter how to resume. */
			ssh_channel_write_stderr(se->chan, "the CA is stopping: run "
			    "login again to pick up request ", 55);
			ssh_channel_write_stderr(se->chan, se->wait_id,
			    (uint32_t)strlen(se->wait_id));
			ssh_channel_write_stderr(se->chan, "\n", 1);
			se->wait_id[0] = '\0';
			finish_channel(se, 3);	/* unavailable, not refused */
			continue;
		}
		if (se->chan != NULL && se->wait_id[0] != '\0' &&
		    se->withdraw) {
			finish_channel(se, srv_login_withdraw(se));
			continue;
		}
		if (se->chan != NULL && se->wait_id[0] != '\0') {
			/* A login waiting for approval: look again each second. */
			if (now != se->wait_check) {
				se->wait_check = now;
				se->last_activity = now;
				if ((status = srv_login_poll(se)) != SRV_WAIT)
					finish_channel(se, status);
			}
			continue;
		}
		if (se->chan == NULL || se->cmd == NULL)
			continue;
		/* login reads a key on stdin: wait for its end, not forever. */
		if (strncmp(se->cmd, "login", 5) == 0 && !se->in_eof &&
		    !se->in_too_big) {
			if (now - se->cmd_time > STDIN_DEADLINE_SEC) {
				char msg[96];
				int n = snprintf(msg, sizeof(msg), "login: stdin "
				    "did not end within %d s: send the public "
				    "key and close stdin\n", STDIN_DEADLINE_SEC);

				ssh_channel_write_stderr(se->chan, msg,
				    (uint32_t)n);
				finish_channel(se, CA_EXIT_USAGE);
			}
			continue;
		}
		se->last_activity = now;
		if ((status = srv_run_command(se, se->cmd)) != SRV_WAIT)
			finish_channel(se, status);
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
	ssh_free(se->s);
	jkey_free(se->identity);
	jbuf_free(se->in);
	/*
	 * Free this thread's OpenSSL state (its DRBGs) now: once released,
	 * the session no longer holds up a SIGTERM drain, and the process may
	 * exit before a detached thread's own exit handlers have run.
	 */
	OPENSSL_thread_stop();
	sess_release(se);
	free(se);
	return NULL;
}

/* Admits a connection from addr under the caps, or refuses it. */
static int
admit(struct server *srv, const char *addr)
{
	size_t i, fr = MAX_SESSIONS;
	int ok = 0;

	pthread_mutex_lock(&srv->lock);
	if (srv->nsessions >= MAX_SESSIONS || srv->nunauth >= MAX_UNAUTH)
		goto out;
	for (i = 0; i < MAX_SESSIONS; i++) {
		if (srv->slots[i].n > 0 && strcmp(srv->slots[i].addr, addr) == 0)
			break;
		if (srv->slots[i].n == 0 && fr == MAX_SESSIONS)
			fr = i;
	}
	if (i == MAX_SESSIONS) {
		if (fr == MAX_SESSIONS)
			goto out;
		i = fr;
		snprintf(srv->slots[i].addr, sizeof(srv->slots[i].addr), "%s", addr);
	}
	if (srv->slots[i].n >= MAX_PER_ADDRESS ||
	    srv->slots[i].unauth >= MAX_UNAUTH_PER_ADDRESS)
		goto out;
	srv->slots[i].n++;
	srv->slots[i].unauth++;
	srv->nunauth++;
	srv->nsessions++;
	jstore_set_clients(srv->store, srv->nsessions);
	ok = 1;
 out:
	pthread_mutex_unlock(&srv->lock);
	return ok;
}

static int
open_listener(const char *listen_addr, int *fdp)
{
	char host[256], *port;
	struct addrinfo hints, *res = NULL;
	int fd = -1, one = 1, r;

	*fdp = -1;
	snprintf(host, sizeof(host), "%s", listen_addr);
	if ((port = strrchr(host, ':')) == NULL) {
		ca_error("listen: '%s' is not ADDR:PORT", listen_addr);
		return -1;
	}
	*port++ = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		ca_error("listen %s: %s", listen_addr, gai_strerror(r));
		return -1;
	}
	if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, 1024) == -1) {
		ca_error("listen %s: %s", listen_addr, strerror(errno));
		if (fd != -1)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	*fdp = fd;
	return 0;
}

/*
 * The listener's host key: checked (owner-only, no symlink) and read
 * through one descriptor, then handed to libssh from memory, so the file
 * checked is the file used.
 */
static int
import_host_key(ssh_bind bind, const char *path)
{
	ssh_key key = NULL;
	int r;

	if ((r = jssh_import_private(path, NULL, NULL, &key)) != 0) {
		ca_error("%s: %s", path, r == JIT_ERR_INVALID_FORMAT ?
		    "not an OpenSSH private key without passphrase" :
		    jit_strerror(r));
		return -1;
	}
	/* The bind owns the key from here (ssh_bind_free frees it). */
	if (ssh_bind_options_set(bind, SSH_BIND_OPTIONS_IMPORT_KEY, key) !=
	    SSH_OK) {
		ca_error("%s: %s", path, ssh_get_error(bind));
		ssh_key_free(key);
		return -1;
	}
	return 0;
}

static int
load_state(struct server *srv)
{
	char *path = ca_path(srv->dir, CA_USER_KEY), *pub = NULL, *hpub = NULL;
	struct jbuf *a = NULL, *b = NULL;
	int r;

	if ((r = jkey_load_private(path, &srv->user_ca, NULL)) != 0) {
		ca_error("%s: %s", path, jit_strerror(r));
		goto out;
	}
	if ((r = ca_totp_key_load(srv->dir, 1, srv->totp_key)) != 0)
		goto out;
	if ((r = ca_own_keys_load(srv->dir, srv->own_keys)) != 0)
		goto out;
	pub = ca_path(srv->dir, CA_USER_KEY ".pub");
	hpub = ca_path(srv->dir, CA_HOST_KEY ".pub");
	if ((r = jit_file_read(pub, 16384, 0, &a)) != 0 ||
	    (r = jit_file_read(hpub, 16384, 0, &b)) != 0) {
		ca_error("reading the CA public keys: %s", jit_strerror(r));
		goto out;
	}
	if (asprintf(&srv->ca_keys_text, "%.*s%.*s", (int)jbuf_len(a),
	    (const char *)jbuf_ptr(a), (int)jbuf_len(b),
	    (const char *)jbuf_ptr(b)) == -1) {
		srv->ca_keys_text = NULL;
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = ca_load_policy(srv->dir, NULL, &srv->policy)) != 0)
		goto out;
	if ((r = ca_open_store(srv->dir, 0, &srv->store)) == 0)
		jstore_set_live_cap(srv->store,
		    jpolicy_max_live_certs(srv->policy));
 out:
	jbuf_free(a);
	jbuf_free(b);
	free(path);
	free(pub);
	free(hpub);
	return r;
}

static void
do_reload(struct server *srv)
{
	struct jpolicy *p = NULL, *old;
	char *err = NULL, *path = ca_path(srv->dir, CA_POLICY);
	int r;

	if ((r = jpolicy_load_file(path, &p, &err)) != 0) {
		srv_log("policy reload refused, keeping the running policy: %s",
		    err != NULL ? err : jit_strerror(r));
		srv_event(srv, "policy-reload", NULL, "SIGHUP",
		    "refused: the new policy does not load");
		free(err);
		free(path);
		return;
	}
	free(path);
	/*
	 * Swap the pointer; whoever still holds the old policy keeps it until
	 * their srv_policy_put() (the last one frees it).  A reload never
	 * waits for a session, however slow its client.
	 */
	pthread_mutex_lock(&srv->policy_lock);
	old = srv->policy;
	srv->policy = p;
	pthread_mutex_unlock(&srv->policy_lock);
	jstore_set_live_cap(srv->store, jpolicy_max_live_certs(p));
	/* A new policy may have removed a user, a key or the grace itself. */
	pthread_mutex_lock(&srv->lock);
	memset(srv->grace, 0, sizeof(srv->grace));
	pthread_mutex_unlock(&srv->lock);
	jpolicy_free(old);
	srv_log("policy reloaded (%zu roles)", jpolicy_nroles(p));
	srv_event(srv, "policy-reload", NULL, "SIGHUP", "loaded");
}

int
cmd_serve(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct server srv;
	const char *dir = NULL, *listen_opt = NULL;
	char *listen_cfg = NULL, *hostkey = NULL;
	struct sigaction sa;
	struct sockaddr_storage ss;
	socklen_t sl;
	struct pollfd pfd;
	pthread_attr_t attr;
	pthread_t tid;
	int ch, lfd = -1, fd, one = 1, rc = CA_EXIT_FAIL;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:l:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'l':
			listen_opt = optarg;
			break;
		default:
			return CA_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return CA_EXIT_USAGE;
	memset(&srv, 0, sizeof(srv));
	srv.dir = ca_dir(dir);
	pthread_mutex_init(&srv.lock, NULL);
	pthread_cond_init(&srv.drained, NULL);
	pthread_mutex_init(&srv.policy_lock, NULL);
	if (load_state(&srv) != 0)
		goto out;
	if (listen_opt == NULL && ca_config_listen(srv.dir, &listen_cfg) != 0)
		goto out;
	if (open_listener(listen_opt != NULL ? listen_opt : listen_cfg,
	    &lfd) != 0)
		goto out;
	ssh_init();
	hostkey = ca_path(srv.dir, CA_LISTEN_KEY);
	if ((srv.bind = ssh_bind_new()) == NULL) {
		ca_error("setting up the SSH listener: out of memory");
		goto out;
	}
	if (import_host_key(srv.bind, hostkey) != 0)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	srv_log("serving %s on %s", srv.dir,
	    listen_opt != NULL ? listen_opt : listen_cfg);
	srv_notify_follow(&srv);	/* from the log's end on */
	while (!stopping) {
		if (reload) {
			reload = 0;
			do_reload(&srv);
		}
		srv_sweep_requests(&srv);
		srv_notify_follow(&srv);
		pfd.fd = lfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 500) <= 0)
			continue;
		sl = sizeof(ss);
		if ((fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
		    SOCK_CLOEXEC)) == -1)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		{
			struct sess *se = calloc(1, sizeof(*se));
			char addr[INET6_ADDRSTRLEN] = "?";

			if (ss.ss_family == AF_INET)
				inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
				    addr, sizeof(addr));
			else if (ss.ss_family == AF_INET6)
				inet_ntop(AF_INET6,
				    &((struct sockaddr_in6 *)&ss)->sin6_addr, addr,
				    sizeof(addr));
			if (se == NULL || !admit(&srv, addr)) {
				free(se);
				close(fd);
				continue;
			}
			se->srv = &srv;
			se->unauth_counted = 1;	/* admit() counted it */
			snprintf(se->addr, sizeof(se->addr), "%s", addr);
			if ((se->in = jbuf_new()) == NULL ||
			    (se->s = ssh_new()) == NULL ||
			    ssh_bind_accept_fd(srv.bind, se->s, fd) != SSH_OK ||
			    pthread_create(&tid, &attr, sess_main, se) != 0) {
				if (se->s != NULL)
					ssh_free(se->s);
				else
					close(fd);
				jbuf_free(se->in);
				sess_release(se);
				free(se);
			}
		}
	}
	/* SIGTERM: no new connections; let commands in flight finish. */
	close(lfd);
	lfd = -1;
	srv_log("stopping: waiting for %u sessions", srv.nsessions);
	pthread_mutex_lock(&srv.lock);
	while (srv.nsessions > 0)
		pthread_cond_wait(&srv.drained, &srv.lock);
	pthread_mutex_unlock(&srv.lock);
	rc = CA_EXIT_OK;
 out:
	if (lfd != -1)
		close(lfd);
	if (srv.bind != NULL)
		ssh_bind_free(srv.bind);
	free(hostkey);
	free(listen_cfg);
	free(srv.ca_keys_text);
	jit_wipe(srv.totp_key, sizeof(srv.totp_key));
	jkey_free(srv.user_ca);
	ca_own_keys_free(srv.own_keys);
	jstore_close(srv.store);
	jpolicy_free(srv.policy);
	return rc;
}
