/* serve.h: the CA service's shared state, for serve.c and commands.c. */
#ifndef JIT_SERVE_H
#define JIT_SERVE_H

#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include "ca.h"

#define SRV_STDIN_MAX		(16 * 1024)
#define SRV_COMMAND_MAX		4096
#define SRV_AUDIT_MAX		(256 << 20)	/* bytes of remote audit output */
#define SRV_MAX_SESSIONS	512
#define SRV_PENDING_PER_USER	5
#define SRV_WAIT		(-1)	/* a command that keeps its channel open */

struct jbuf;
struct jkey;
struct jpolicy;
struct jstore;

struct server {
	const char *dir;
	ssh_bind bind;
	struct jpolicy *policy;		/* swapped on SIGHUP */
	pthread_mutex_t policy_lock;	/* guards the pointer only */
	struct jstore *store;
	struct jkey *user_ca;
	struct jkey *own_keys[CA_OWN_KEYS];	/* never certified */
	unsigned char totp_key[CA_TOTP_KEY_LEN];	/* opens TOTP secrets */
	char *ca_keys_text;
	pthread_mutex_t lock;		/* sessions and slots */
	pthread_cond_t drained;
	unsigned nsessions;
	unsigned nunauth;		/* of them not authenticated yet */
	struct {
		char addr[INET6_ADDRSTRLEN];
		unsigned n, unauth;
	} slots[SRV_MAX_SESSIONS];
	struct failrate {	/* auth-fail events recorded per address */
		char addr[INET6_ADDRSTRLEN];
		uint64_t window;	/* start of the current minute */
		unsigned n, dropped;
	} failrate[256];
	struct grace {		/* defaults.mfa_grace: recent verified codes */
		char user[65], addr[INET6_ADDRSTRLEN], fp[64];
		unsigned char sealed_hash[32];	/* of the secret it verified */
		uint64_t time;
	} grace[SRV_MAX_SESSIONS];
	size_t grace_next;
	uint64_t notify_seq;		/* the notifier has read the log to here */
	uint64_t notify_ms;		/* when it last looked (monotonic) */
	int notify_started;
	uint64_t sweep_ms;		/* when requests were last swept */
};

struct sess {
	struct server *srv;
	ssh_session s;
	char addr[INET6_ADDRSTRLEN];
	char user[65];
	struct jkey *identity;		/* the key the user authenticated with */
	int pk_ok, authed, mfa_done, code_failures, auth_fail_logged;
	int auth_failures;		/* refused auth attempts, any method */
	int kick;			/* too many: disconnect */
	int unauth_counted;		/* counted in nunauth and its slot */
	uint64_t mfa_time;
	time_t last_activity;
	ssh_channel chan;
	int chan_closed;		/* the client closed it */
	time_t cmd_time;		/* when the exec request came */
	char *cmd;
	struct jbuf *in;
	int in_eof, in_too_big;
	char wait_id[32];		/* a login waiting for approval */
	int wait_json;
	int withdraw;			/* the waiter sent INT: withdraw */
	time_t wait_check;
	time_t stop_at;			/* when SIGTERM found the session idle */
	struct ssh_server_callbacks_struct scb;
	struct ssh_channel_callbacks_struct ccb;
};

/*
 * The current policy: a reference, valid until srv_policy_put(), whatever
 * a reload does meanwhile (a reload never waits for its holders).
 */
struct jpolicy *srv_policy_get(struct server *srv);
void srv_policy_put(struct server *srv, struct jpolicy *p);

/*
 * Once a second at most: expires what is due, and reminds approvers
 * (approval.remind_after) or widens them (approval.escalate) for requests
 * that wait too long, each once per request, through the store (which
 * the notifier follows).  Called from the accept loop.
 */
void srv_sweep_requests(struct server *srv);

/* Timestamped line on the server's stderr. */
void srv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Records a simple event (auth-fail, mfa-fail, lockout, policy-reload). */
void srv_event(struct server *srv, const char *kind, const char *user,
    const char *source, const char *reason);

/*
 * Runs one exec command for the authenticated session: its exit status, or
 * SRV_WAIT when a login waits for approval (then poll srv_login_poll()).
 */
int srv_run_command(struct sess *se, const char *command);

/* Checks the awaited request: SRV_WAIT, or the exit status once decided. */
int srv_login_poll(struct sess *se);

/*
 * The waiter asked to stop (Ctrl-C in jit-ssh): the request is withdrawn
 * (a deny by the requester, audited) unless it was decided meanwhile.
 */
int srv_login_withdraw(struct sess *se);

/*
 * Runs the notify command for each lifecycle event (request, approve,
 * deny, expire, issue, break-glass, lockout, revoke) added to the log
 * since the last call (the first call only marks the log's end).  Called
 * by the service's main loop.
 */
void srv_notify_follow(struct server *srv);

/*
 * Runs the notify command with ev as JSON on stdin, in the background;
 * -1 (nothing started) while 16 runs are still going.
 */
int srv_notify(struct server *srv, const struct jstore_event *ev);

#endif /* JIT_SERVE_H */
