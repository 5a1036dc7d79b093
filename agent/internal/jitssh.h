/*
 * jitssh.h: the inside of the jit-ssh client (the files in agent/ other than the
 * ssh-agent protocol): configuration, the connection to the CA, terminal
 * prompts and the commands.
 */
#ifndef JIT_JITSSH_H
#define JIT_JITSSH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses (the design's contract). */
enum {
	JS_EXIT_OK = 0,
	JS_EXIT_DENIED = 1,	/* the CA refused: policy, code, approval */
	JS_EXIT_USAGE = 2,	/* bad flags or configuration */
	JS_EXIT_CA = 3,		/* cannot reach or trust the CA */
	JS_EXIT_AGENT = 4,	/* ssh-agent missing or refusing */
};

#define JS_CONFIG_MAX		(64 * 1024)
#define JS_VALUE_MAX		4096
#define JS_DEFAULT_CA		"127.0.0.1:2222"
#define JS_DEFAULT_IDENTITY	"~/.ssh/id_ed25519"

struct js_config {
	char *path;		/* the file read, or NULL when there was none */
	char *target;		/* the file that is, or would be, read */
	char *ca;		/* HOST:PORT or [V6]:PORT */
	char *user;
	char *identity;		/* ~ expanded */
	char *ca_host_key;	/* "type base64" line, or NULL */
	int no_code;		/* connect for a command that needs no code:
				   answer the CA's code prompt empty */
	int sso;		/* sign in at the identity provider (SSH
				   user "sso", keyboard-interactive only) */
};

/*
 * Loads the configuration: path, else $JIT_SSH_CONFIG, else
 * ~/.config/jit-ssh/config.yaml (which may be missing: defaults; an
 * explicit one only with missing_ok).  cfg->target is that path.  On a
 * bad file prints "file:line:column: message" and returns -1.
 */
int js_config_load(const char *path, int missing_ok, struct js_config *cfg);

/* Parses YAML text into cfg (which starts zeroed); errors name path. */
int js_config_parse(const char *path, const unsigned char *text, size_t len,
    struct js_config *cfg);
void js_config_free(struct js_config *cfg);

/* "~/x" -> "$HOME/x"; other paths copied.  NULL on failure. */
char *js_expand_home(const char *path);

/* a followed by b in a new string; NULL when out of memory. */
char *js_concat(const char *a, const char *b);

/* ---- terminal ---- */

/* Whether stdin is a terminal we may prompt on (via /dev/tty). */
int js_have_tty(void);

/*
 * Reads a line from /dev/tty after printing prompt, without echo when
 * echo is 0.  Returns 0, or -1 (no terminal, end of input, interrupted).
 */
int js_prompt(const char *prompt, int echo, char *buf, size_t size);

/* Set when SIGINT or SIGTERM arrives (handlers installed by main). */
extern volatile sig_atomic_t js_interrupted;

/* ---- the CA connection ---- */

struct js_conn;

/*
 * Connects, checks the pinned host key and authenticates (agent keys,
 * then the identity file, then the verification code when the CA asks).
 * Prints what went wrong and returns a JS_EXIT_* status on failure.
 */
int js_connect(const struct js_config *cfg, struct js_conn **cp);
/*
 * The same, but the CA's host key must have the fingerprint expect_fp
 * ("SHA256:..."; cfg's ca_host_key is not used), and its line is returned
 * in *keylinep (caller frees): for `setup`, which then pins it.
 */
int js_connect_fp(const struct js_config *cfg, const char *expect_fp,
    char **keylinep, struct js_conn **cp);
void js_close(struct js_conn *c);

/* Called with each piece of the command's stdout / stderr as it arrives. */
struct js_sink {
	int (*out)(const char *data, size_t len, void *arg);
	int (*err)(const char *data, size_t len, void *arg);
	/* Called about every 200 ms while nothing arrives (may be NULL). */
	void (*tick)(void *arg);
	void *arg;
};

/*
 * Runs cmd (arguments quoted for the CA's parser by js_quote) in a new
 * channel of the session, with input on its stdin.  On an interrupt the
 * CA is sent the INT signal and its answer read to the end.  *statusp is
 * the command's exit status.  Returns 0, or JS_EXIT_CA when the
 * connection failed.
 */
int js_exec(struct js_conn *c, const char *cmd, const char *input,
    size_t input_len, const struct js_sink *sink, int *statusp);

/*
 * Appends word to the command line in buf (size bytes, NUL terminated),
 * quoted so the CA's parser reads it back as one word.  -1 when it does
 * not fit or holds a control character.
 */
int js_quote(char *buf, size_t size, const char *word);

/* Maps the CA's exit status (0 ok, 1 refused, 2 usage, 3 error). */
int js_exit_from_ca(int status);

/* ---- commands ---- */

struct js_login_opts {
	const char *role, *ttl, *reason, *out;
	const char *request;	/* --request ID: resume that one */
	int json;
};

/*
 * pending.c: a waiting request's key, kept so that a later login of this
 * client picks the same request up (see the file for how).
 */
struct jagent;
struct jkey;
#define JS_PENDING_SECRET	32
struct js_pending {
	char id[64], role[128];
	unsigned char blob[256];	/* the pending key's public blob */
	size_t blob_len;
	unsigned char secret[JS_PENDING_SECRET];	/* the local half */
};
/*
 * A fresh pending key *pp, a fresh local secret, and the key to certify
 * *kp derived from both.
 */
int js_pending_new(struct jkey **pp, unsigned char secret[JS_PENDING_SECRET],
    struct jkey **kp);
/*
 * Records request id (role) in this client's state (a 0600 file: the
 * pending key's public half and the secret) and puts p into the agent for
 * lifetime seconds, after checking the agent derives the same k.
 */
int js_pending_store(struct jagent *a, const struct jkey *p,
    const unsigned char secret[JS_PENDING_SECRET], const struct jkey *k,
    const char *id, const char *role, uint32_t lifetime);
/*
 * A request this client recorded and whose pending key the agent holds:
 * request id, or (id NULL) the newest for role.  Keys in the agent that
 * no record names (planted by whoever can add keys to a forwarded agent)
 * are never used.  JIT_ERR_NOT_FOUND when none.
 */
int js_pending_find(struct jagent *a, const char *id, const char *role,
    struct js_pending *out);
/* Calls cb for each recorded request whose key the agent holds. */
int js_pending_each(struct jagent *a,
    int (*cb)(const struct js_pending *, void *), void *arg);
/* The key to certify, derived again through the agent and the secret. */
int js_pending_resume(struct jagent *a, const struct js_pending *pd,
    struct jkey **kp);
/* Removes request id's pending key (pd's, or p's) and its record. */
int js_pending_forget(struct jagent *a, const struct jkey *p, const char *id,
    const struct js_pending *pd);

int js_cmd_login(const struct js_config *cfg, const struct js_login_opts *o);
int js_cmd_status(int json);
/* What the CA has on record for us (its `status`); quiet if unreachable. */
void js_cmd_status_remote(const struct js_config *cfg, int json);

struct js_setup_opts {
	const char *ca, *fingerprint, *user, *identity, *ssh_config;
	const char *hosts;	/* with ssh_config: the Host patterns */
	int sso;		/* sign in at the identity provider */
};
/*
 * setup: connect to ca, check its host key against fingerprint, then
 * write the configuration (pin included) and the host CA's
 * @cert-authority line to ~/.ssh/known_hosts; idempotent.
 */
int js_cmd_setup(const struct js_config *cfg, const struct js_setup_opts *o);
int js_cmd_logout(void);

/*
 * roles, whoami, requests, approve ID, deny ID, audit: the CA command of
 * the same name with args, its output passed through (the CA renders
 * tables for people and JSON Lines with --json).
 */
int js_cmd_remote(const struct js_config *cfg, int argc, char **argv);

/* approve with no ID: review each pending request on the terminal. */
int js_cmd_review(const struct js_config *cfg, const char *comment);
/* `session play ID`: the CA's `session export ID`, played here. */
int js_cmd_play(const struct js_config *cfg, const char *id, double speed);

#endif /* JIT_JITSSH_H */
