/*
 * conn.c: the SSH connection to the CA (libssh client).  One session,
 * pinned host key, publickey (agent keys first, then the identity file),
 * then keyboard-interactive for the verification code when the CA asks;
 * commands run as exec requests on channels of that one session, so one
 * code covers everything a command does.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "jagent.h"
#include "jbuf.h"
#include "jit-remote.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"
#include "jqr.h"
#include "jsshkey.h"
#include "jtotp.h"
#include "jitssh.h"

#define CONNECT_TIMEOUT_SEC	10
#define CODE_TRIES		3
#define INT_GRACE_SEC		3	/* after sending INT, wait this long */

/*
 * How one step of authentication ended: the client's own space, never
 * mixed with libssh's SSH_AUTH_* (auth_ssh() translates those) or with
 * the JS_EXIT_* statuses authenticate() returns.
 */
enum auth_step {
	STEP_OK,		/* authenticated */
	STEP_PARTIAL,		/* the key is right: a code is owed */
	STEP_DENIED,		/* refused (said why, or authenticate() will) */
	STEP_ERROR,		/* the connection failed */
	STEP_UNUSABLE,		/* the identity file cannot be used (said) */
	STEP_CONFIG,		/* the configuration names no usable file */
	STEP_CODE_USED,		/* the code was used: wait for the next one */
};

/* What the caller does after one CA: stop there, or try again. */
enum then {
	THEN_STOP,		/* the status is the answer */
	THEN_NEXT_CA,		/* this CA cannot serve: try the next */
	THEN_NEXT_CODE,		/* the same CA, once the next code is there */
};

/* libssh's SSH_AUTH_* as a step. */
static enum auth_step
auth_ssh(int rc)
{
	switch (rc) {
	case SSH_AUTH_SUCCESS:
		return STEP_OK;
	case SSH_AUTH_PARTIAL:
		return STEP_PARTIAL;
	case SSH_AUTH_DENIED:
		return STEP_DENIED;
	default:
		return STEP_ERROR;
	}
}

struct js_conn {
	ssh_session s;
};

void
js_close(struct js_conn *c)
{
	if (c == NULL)
		return;
	if (c->s != NULL) {
		ssh_disconnect(c->s);
		ssh_free(c->s);
	}
	free(c);
}

/* "host", "host:port", "[v6]:port" -> host and port. */
static int
split_hostport(const char *ca, char *host, size_t size, unsigned *portp,
    int *givenp)
{
	const char *colon, *h = ca, *end;
	char *ep;
	unsigned long port = 2222;

	if (*ca == '[') {
		if ((end = strchr(ca, ']')) == NULL)
			return -1;
		h = ca + 1;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return -1;
	} else {
		colon = strrchr(ca, ':');
		end = colon != NULL ? colon : ca + strlen(ca);
		if (colon != NULL && strchr(ca, ':') != colon)
			return -1;	/* a bare IPv6 address: use [..] */
	}
	if (end == h || (size_t)(end - h) >= size)
		return -1;
	memcpy(host, h, (size_t)(end - h));
	host[end - h] = '\0';
	if (colon != NULL) {
		errno = 0;
		port = strtoul(colon + 1, &ep, 10);
		if (colon[1] == '\0' || *ep != '\0' || errno != 0 ||
		    port == 0 || port > 65535)
			return -1;
	}
	*portp = (unsigned)port;
	*givenp = colon != NULL;
	return 0;
}

static const char *
hostkey_algs(const struct jkey *k)
{
	switch (jkey_type(k)) {
	case JKEY_RSA:
		return "rsa-sha2-512,rsa-sha2-256";
	default:
		return jkey_type_name(jkey_type(k));
	}
}

/* The CA's host key must be the pinned one. */
static int
check_host_key(const struct js_config *cfg, const char *addr, ssh_session s,
    const struct jkey *pinned, const char *expect_fp, char **keylinep)
{
	ssh_key sk = NULL;
	struct jkey *got = NULL;
	char *fp_got = NULL, *fp_pin = NULL, *line = NULL;
	int rc = JS_EXIT_CA;

	if (ssh_get_server_publickey(s, &sk) != SSH_OK ||
	    jkey_from_ssh(sk, &got) != 0 || jkey_fingerprint(got, &fp_got) != 0) {
		fprintf(stderr, "jit-ssh: the CA at %s sent a host key we "
		    "cannot read\n", cfg->ca);
		goto out;
	}
	if (expect_fp != NULL) {
		/* setup: the operator's fingerprint decides, then we pin. */
		if (strcmp(fp_got, expect_fp) != 0) {
			fprintf(stderr, "jit-ssh: the CA at %s presented host key "
			    "%s, not %s: refusing (nothing written).\n"
			    "  Check the fingerprint with the CA operator (on "
			    "the CA: ssh-keygen -lf DIR/ssh_host_ed25519_key.pub)"
			    "\n", addr, fp_got, expect_fp);
			goto out;
		}
		if (jkey_format_line(got, NULL, keylinep) != 0)
			goto out;
		rc = 0;
		goto out;
	}
	if (pinned == NULL) {
		(void)jkey_format_line(got, NULL, &line);
		fprintf(stderr, "jit-ssh: no ca_host_key is configured, so the "
		    "CA at %s cannot be trusted.\n"
		    "  It presented %s\n"
		    "  Check that fingerprint with the CA operator (on the CA: "
		    "ssh-keygen -lf DIR/ssh_host_ed25519_key.pub),\n"
		    "  then add to %s:\n    ca_host_key: \"%s\"\n",
		    addr, fp_got, cfg->path != NULL ? cfg->path :
		    "~/.config/jit-ssh/config.yaml", line != NULL ? line : "?");
		goto out;
	}
	if (!jkey_equal_public(got, pinned)) {
		(void)jkey_fingerprint(pinned, &fp_pin);
		fprintf(stderr, "jit-ssh: the CA at %s presented a different "
		    "host key than the pinned one: refusing to talk to it.\n"
		    "  pinned (ca_host_key): %s\n"
		    "  presented:            %s\n"
		    "  Someone may be intercepting the connection, or the CA "
		    "was reinstalled: ask the CA operator.\n", addr,
		    fp_pin != NULL ? fp_pin : "?", fp_got);
		goto out;
	}
	rc = 0;
 out:
	free(fp_got);
	free(fp_pin);
	free(line);
	jkey_free(got);
	ssh_key_free(sk);
	return rc;
}

struct pass_ctx {
	const char *path;
	int said;	/* a message was printed already */
};

static int
passphrase_cb(const char *prompt, char *buf, size_t len, int echo, int verify,
    void *userdata)
{
	struct pass_ctx *pc = userdata;
	char p[512];

	(void)prompt;
	(void)verify;
	if (!js_have_tty()) {
		fprintf(stderr, "jit-ssh: %s is encrypted and there is no "
		    "terminal to ask for its passphrase (load it into ssh-agent "
		    "instead)\n", pc->path);
		pc->said = 1;
		return -1;
	}
	snprintf(p, sizeof(p), "Enter passphrase for %s: ", pc->path);
	return js_prompt(p, echo, buf, len);
}

/* 1 when path holds an OpenSSH public key line. */
static int
is_public_key_file(const char *path)
{
	struct jkey *k = NULL;
	int r = jkey_load_public(path, &k, NULL);

	jkey_free(k);
	return r == 0;
}

/*
 * publickey with the identity file: STEP_UNUSABLE when it cannot be used,
 * STEP_CONFIG when the configuration names no usable file.
 */
static enum auth_step
auth_identity(const struct js_config *cfg, ssh_session s)
{
	struct pass_ctx pc = { cfg->identity, 0 };
	ssh_key key = NULL;
	int rc;

	rc = jssh_import_private(cfg->identity, passphrase_cb, &pc, &key);
	if (rc == JIT_ERR_NOT_FOUND || (rc == JIT_ERR_SYSTEM &&
	    errno == ENOENT)) {
		fprintf(stderr, "jit-ssh: the identity %s does not exist and no "
		    "key in ssh-agent was accepted: set identity: in %s or "
		    "--identity FILE (the private key the CA knows you by)\n",
		    cfg->identity, cfg->path != NULL ? cfg->path :
		    "the configuration");
		return STEP_CONFIG;
	}
	if (rc != 0 && is_public_key_file(cfg->identity)) {
		fprintf(stderr, "jit-ssh: %s is a public key: identity needs the "
		    "private key file (usually the same name without .pub)\n",
		    cfg->identity);
		return STEP_CONFIG;
	}
	if (rc == JIT_ERR_BAD_PERMISSIONS || (rc == JIT_ERR_SYSTEM &&
	    errno == ELOOP)) {
		fprintf(stderr, "jit-ssh: %s must be a private file, not a "
		    "link (chmod 600 %s)\n", cfg->identity, cfg->identity);
		return STEP_UNUSABLE;
	}
	if (rc != 0 && rc != JIT_ERR_INVALID_FORMAT) {
		fprintf(stderr, "jit-ssh: cannot read the identity %s (%s), "
		    "and no key in ssh-agent was accepted\n", cfg->identity,
		    jit_strerror(rc));
		return STEP_UNUSABLE;
	}
	if (rc != 0) {
		if (!pc.said)
			fprintf(stderr, "jit-ssh: cannot load the identity %s "
			    "(wrong passphrase, or not a private key)\n",
			    cfg->identity);
		return STEP_UNUSABLE;
	}
	rc = ssh_userauth_publickey(s, NULL, key);
	ssh_key_free(key);
	return auth_ssh(rc);
}

/*
 * A code refused as used already: says when the next one comes.  On a
 * terminal the caller waits for it and connects again (CODE_USED).
 */
static enum auth_step
code_used(int tty, int env)
{
	unsigned wait = (unsigned)(JTOTP_STEP - (time_t)jit_now() % JTOTP_STEP);

	fprintf(stderr, "jit-ssh: that code was already used (each code "
	    "counts once); the next one comes in %u s\n", wait);
	return tty && !env ? STEP_CODE_USED : STEP_DENIED;
}

/*
 * Answers the CA's keyboard-interactive prompts with the code (an empty
 * answer for a command that needs none).
 */
static enum auth_step
auth_code(ssh_session s, int no_code)
{
	const char *env = getenv("JIT_SSH_OTP");
	char code[64], *why;
	int rc, tries, n, i, tty = js_have_tty();
	char echo;

	if (no_code)
		env = "";

	for (tries = 0; tries < (no_code || (env != NULL && *env != '\0') ?
	    1 : CODE_TRIES); tries++) {
		rc = ssh_userauth_kbdint(s, NULL, NULL);
		while (rc == SSH_AUTH_INFO) {
			n = ssh_userauth_kbdint_getnprompts(s);
			for (i = 0; i < n; i++) {
				const char *pr = ssh_userauth_kbdint_getprompt(s,
				    (unsigned)i, &echo);

				if (no_code || (env != NULL && *env != '\0'))
					snprintf(code, sizeof(code), "%s", env);
				else if (!tty) {
					fprintf(stderr, "jit-ssh: the CA asks for "
					    "a verification code: set JIT_SSH_OTP "
					    "or run on a terminal\n");
					return STEP_DENIED;
				} else if (js_prompt(pr != NULL && *pr != '\0' ?
				    pr : "Verification code: ", echo, code,
				    sizeof(code)) != 0)
					return STEP_DENIED;
				rc = ssh_userauth_kbdint_setanswer(s,
				    (unsigned)i, code);
				jit_wipe(code, sizeof(code));
				if (rc < 0)
					return STEP_ERROR;
			}
			rc = ssh_userauth_kbdint(s, NULL, NULL);
		}
		if (rc == SSH_AUTH_SUCCESS || rc == SSH_AUTH_ERROR)
			return auth_ssh(rc);
		/* The CA says why in a banner: wrong, used, locked out. */
		why = ssh_get_issue_banner(s);
		if (why != NULL && strncmp(why, JIT_BANNER_CODE_USED,
		    strlen(JIT_BANNER_CODE_USED)) == 0) {
			ssh_string_free_char(why);
			return code_used(tty, env != NULL && *env != '\0');
		}
		if (why != NULL && strncmp(why, "jit-ssh: ", 9) == 0)
			fprintf(stderr, "jit-ssh: verification code refused: %s",
			    why + 9);
		else
			fprintf(stderr, "jit-ssh: verification code refused (wrong, "
			    "already used, or you are locked out after repeated "
			    "failures)\n");
		ssh_string_free_char(why);
	}
	return STEP_DENIED;
}

/* The CA said it cannot reach its store (a banner): another may. */
static int
store_down(ssh_session s)
{
	char *why = ssh_get_issue_banner(s);
	int down = why != NULL &&
	    strncmp(why, JIT_BANNER_STORE_DOWN,
	    strlen(JIT_BANNER_STORE_DOWN)) == 0;

	if (down)
		fprintf(stderr, "%s", why);
	ssh_string_free_char(why);
	return down;
}

struct relay {
	int fd;
	struct jagent *a;
	const unsigned char *blob;
	size_t len;
};

static void *
relay_main(void *arg)
{
	struct relay *r = arg;

	(void)jagent_serve_one(r->fd, r->a, r->blob, r->len);
	return NULL;
}

/*
 * The identity through ssh-agent, when the agent holds it: libssh talks
 * to a relay that lists that one key of the agent (never the agent's other
 * keys, our own certificates among them: each offer counts at the CA).
 * STEP_DENIED when the agent does not hold it (the file is next).
 */
static enum auth_step
auth_agent_identity(const struct js_config *cfg, ssh_session s)
{
	struct relay r = { -1, NULL, NULL, 0 };
	struct jkey *pub = NULL;
	struct jbuf *blob = NULL;
	char *path = NULL;
	const char *sock = getenv("SSH_AUTH_SOCK");
	pthread_t tid;
	int sv[2] = { -1, -1 }, started = 0;
	enum auth_step rc = STEP_DENIED;

	if (sock == NULL || *sock == '\0' ||
	    (path = js_concat(cfg->identity, ".pub")) == NULL ||
	    jkey_load_public(path, &pub, NULL) != 0 ||
	    (blob = jbuf_new()) == NULL || jkey_put_public(pub, blob) != 0 ||
	    jagent_open(sock, &r.a) != 0 ||
	    !jagent_holds(r.a, jbuf_ptr(blob), jbuf_len(blob)))
		goto out;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		goto out;
	r.fd = sv[0];
	r.blob = jbuf_ptr(blob);
	r.len = jbuf_len(blob);
	if (pthread_create(&tid, NULL, relay_main, &r) != 0)
		goto out;
	started = 1;
	/* libssh owns sv[1] from here (it closes it with the session). */
	if (ssh_set_agent_socket(s, sv[1]) != SSH_OK) {
		close(sv[1]);
		sv[1] = -1;
		goto out;
	}
	rc = auth_ssh(ssh_userauth_agent(s, NULL));
 out:
	if (started) {
		/* The relay ends when its peer is gone. */
		if (sv[1] != -1)
			shutdown(sv[1], SHUT_RDWR);
		pthread_join(tid, NULL);
	} else if (sv[1] != -1)
		close(sv[1]);
	if (sv[0] != -1)
		close(sv[0]);
	jagent_close(r.a);
	jbuf_free(blob);
	jkey_free(pub);
	free(path);
	return rc;
}

/*
 * Sign-in at the identity provider: the CA's prompt holds the address and
 * the code; shown (with a QR code and the browser, when there are), then
 * answered at once: the CA waits for the sign-in itself.
 */
static enum auth_step
auth_sso(ssh_session s)
{
	const char *inst, *url;
	char link[1024], *why;
	int rc, n, i;
	pid_t pid = -1;

	rc = ssh_userauth_kbdint(s, NULL, NULL);
	while (rc == SSH_AUTH_INFO) {
		inst = ssh_userauth_kbdint_getinstruction(s);
		n = ssh_userauth_kbdint_getnprompts(s);
		if (inst != NULL && *inst != '\0') {
			fprintf(stderr, "%s\n", inst);
			/* The last URL given: with the code in it, when it is. */
			link[0] = '\0';
			for (url = strstr(inst, "http"); url != NULL;
			    url = strstr(url + 4, "http"))
				snprintf(link, sizeof(link), "%.*s",
				    (int)strcspn(url, " \n"), url);
			if (link[0] != '\0' && js_have_tty())
				jit_qr_print(stderr, link);
			if (link[0] != '\0' && (getenv("DISPLAY") != NULL ||
			    getenv("WAYLAND_DISPLAY") != NULL) &&
			    getenv("JIT_SSH_NO_BROWSER") == NULL &&
			    (pid = fork()) == 0) {
				/* The browser outlives us: a grandchild. */
				int devnull = open("/dev/null", O_RDWR);

				if (fork() == 0 && devnull >= 0) {
					dup2(devnull, 0);
					dup2(devnull, 1);
					dup2(devnull, 2);
					execlp("xdg-open", "xdg-open", link,
					    (char *)NULL);
				}
				_exit(0);
			} else if (pid > 0)
				(void)waitpid(pid, NULL, 0);
			fprintf(stderr, "jit-ssh: waiting for you to sign in ...\n");
		}
		for (i = 0; i < n; i++)
			if (ssh_userauth_kbdint_setanswer(s, (unsigned)i, "") < 0)
				return STEP_ERROR;
		rc = ssh_userauth_kbdint(s, NULL, NULL);
	}
	if (rc == SSH_AUTH_SUCCESS || rc == SSH_AUTH_ERROR)
		return auth_ssh(rc);
	why = ssh_get_issue_banner(s);
	if (why != NULL && strncmp(why, "jit-ssh: ", 9) == 0)
		fprintf(stderr, "%s", why);
	else
		fprintf(stderr, "jit-ssh: the CA refused the sign-in (does it "
		    "have an sso: section?)\n");
	ssh_string_free_char(why);
	return STEP_UNUSABLE;
}

/*
 * The identity, then the code: 0 or a JS_EXIT_* status (said why), and
 * in *then whether the caller should try the next CA (this one cannot
 * reach its store) or this one again with the next code.
 */
static int
authenticate(const struct js_config *cfg, ssh_session s, enum then *then)
{
	enum auth_step rc;
	char *why;

	*then = THEN_STOP;
	/* The identity alone: from ssh-agent when it is there, else its file. */
	if (cfg->sso)
		rc = auth_sso(s);
	else if ((rc = auth_agent_identity(cfg, s)) == STEP_DENIED)
		rc = auth_identity(cfg, s);
	if (rc == STEP_PARTIAL)
		rc = auth_code(s, cfg->no_code);
	switch (rc) {
	case STEP_OK:
		return 0;
	case STEP_UNUSABLE:
		return JS_EXIT_DENIED;
	case STEP_CONFIG:
		return JS_EXIT_USAGE;
	case STEP_CODE_USED:
		*then = THEN_NEXT_CODE;
		return JS_EXIT_DENIED;
	case STEP_DENIED:
		if (store_down(s)) {
			*then = THEN_NEXT_CA;
			return JS_EXIT_CA;
		}
		if (ssh_userauth_list(s, NULL) & SSH_AUTH_METHOD_INTERACTIVE)
			return JS_EXIT_DENIED;	/* the code; said above */
		fprintf(stderr, "jit-ssh: the CA refused the key of user %s "
		    "(is it listed for you in the CA's policy?)\n", cfg->user);
		return JS_EXIT_DENIED;
	default:
		/* The CA says why it ended the connection (a limit) first. */
		if ((why = ssh_get_issue_banner(s)) != NULL &&
		    strncmp(why, "jit-ssh: ", 9) == 0)
			fprintf(stderr, "%s", why);
		else
			fprintf(stderr, "jit-ssh: authentication with the CA "
			    "failed: %s\n", ssh_get_error(s));
		ssh_string_free_char(why);
		return JS_EXIT_CA;
	}
}

int
js_connect(const struct js_config *cfg, struct js_conn **cp)
{
	return js_connect_fp(cfg, NULL, NULL, cp);
}

/*
 * One CA of the list: 0 with *cp, or a JS_EXIT_* status (said why) and in
 * *then whether to try the next CA or this one with the next code.
 */
static int
connect_one(const struct js_config *cfg, const char *addr, int last,
    const char *expect_fp, char **keylinep, struct js_conn **cp,
    enum then *then)
{
	struct js_conn *c = NULL;
	struct jkey *pinned = NULL;
	char host[256];
	unsigned port;
	long timeout = CONNECT_TIMEOUT_SEC;
	int one = 1, rc = JS_EXIT_CA, port_given;
	bool no = false;

	*cp = NULL;
	*then = THEN_STOP;
	if (split_hostport(addr, host, sizeof(host), &port,
	    &port_given) != 0) {
		fprintf(stderr, "jit-ssh: bad CA address '%s' (HOST:PORT or "
		    "[V6]:PORT)\n", addr);
		return JS_EXIT_USAGE;
	}
	if (expect_fp == NULL && cfg->ca_host_key != NULL &&
	    jkey_parse_line(cfg->ca_host_key, &pinned, NULL) != 0) {
		fprintf(stderr, "jit-ssh: ca_host_key is not a public key line "
		    "(\"ssh-ed25519 AAAA...\")\n");
		return JS_EXIT_USAGE;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->s = ssh_new()) == NULL)
		goto out;
	if (ssh_options_set(c->s, SSH_OPTIONS_HOST, host) < 0 ||
	    ssh_options_set(c->s, SSH_OPTIONS_PORT, &port) < 0 ||
	    ssh_options_set(c->s, SSH_OPTIONS_USER, cfg->sso ? "sso" :
	    cfg->user) < 0 ||
	    ssh_options_set(c->s, SSH_OPTIONS_TIMEOUT, &timeout) < 0 ||
	    ssh_options_set(c->s, SSH_OPTIONS_NODELAY, &one) < 0 ||
	    ssh_options_set(c->s, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0 ||
	    (pinned != NULL && ssh_options_set(c->s, SSH_OPTIONS_HOSTKEYS,
	    hostkey_algs(pinned)) < 0)) {
		fprintf(stderr, "jit-ssh: %s\n", ssh_get_error(c->s));
		rc = JS_EXIT_USAGE;
		goto out;
	}
	if (ssh_connect(c->s) != SSH_OK) {
		if (!last) {
			fprintf(stderr, "jit-ssh: cannot reach the CA at %s: %s; "
			    "trying the next\n", addr, ssh_get_error(c->s));
			*then = THEN_NEXT_CA;
			goto out;
		}
		fprintf(stderr, "jit-ssh: cannot reach the CA at %s%s: %s\n"
		    "  Is jit-ssh-ca serve running there, and is 'ca:' in your "
		    "configuration right?\n", addr, port_given ? "" :
		    " (port 2222: 'ca:' names no port)", ssh_get_error(c->s));
		goto out;
	}
	if ((rc = check_host_key(cfg, addr, c->s, pinned, expect_fp,
	    keylinep)) != 0)
		goto out;
	rc = authenticate(cfg, c->s, then);
	if (*then == THEN_NEXT_CA && last)
		*then = THEN_STOP;	/* no next: JS_EXIT_CA */
	if (rc != 0)
		goto out;
	*cp = c;
	c = NULL;
 out:
	jkey_free(pinned);
	js_close(c);
	return rc;
}

/*
 * ca may list several CAs sharing one store ("a:2222,b:2222"): each is
 * tried in order until one answers.  Only an unreachable CA passes the
 * turn: a wrong host key or a refusal ends the attempt there.
 */
int
js_connect_fp(const struct js_config *cfg, const char *expect_fp,
    char **keylinep, struct js_conn **cp)
{
	char addr[JS_VALUE_MAX];
	const char *p = cfg->ca, *comma;
	size_t n;
	int rc, used = 0;
	enum then then;

	*cp = NULL;
	if (cfg->path == NULL && expect_fp == NULL && cfg->ca != NULL &&
	    strcmp(cfg->ca, JS_DEFAULT_CA) == 0) {
		fprintf(stderr, "jit-ssh: no configuration (%s) and no --ca: run "
		    "`jit-ssh setup --ca HOST:PORT --fingerprint SHA256:... "
		    "--user NAME` first (your CA operator gives the address and "
		    "the fingerprint)\n", cfg->target != NULL ? cfg->target :
		    "~/.config/jit-ssh/config.yaml");
		return JS_EXIT_USAGE;
	}
	for (;;) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n == 0 || n >= sizeof(addr)) {
			fprintf(stderr, "jit-ssh: bad CA list '%s' (HOST:PORT,"
			    "HOST:PORT...)\n", cfg->ca);
			return JS_EXIT_USAGE;
		}
		memcpy(addr, p, n);
		addr[n] = '\0';
		rc = connect_one(cfg, addr, comma == NULL, expect_fp, keylinep,
		    cp, &then);
		if (then == THEN_NEXT_CODE && used++ < 2) {
			/* Ask again (the same CA) once the next code is there. */
			if (keylinep != NULL) {
				free(*keylinep);
				*keylinep = NULL;
			}
			sleep((unsigned)(JTOTP_STEP - (time_t)jit_now() % JTOTP_STEP) +
			    1);
			continue;
		}
		if (then != THEN_NEXT_CA)
			break;
		p = comma != NULL ? comma + 1 : p + n;
	}
	return rc;
}

int
js_quote(char *buf, size_t size, const char *word)
{
	size_t n = strlen(buf);
	const char *p;
	int plain = *word != '\0';

	for (p = word; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -1;
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789_.,:/@=+-", *p) == NULL)
			plain = 0;
	}
#define PUT(c) do { if (n + 1 >= size) return -1; buf[n++] = (c); } while (0)
	if (n > 0)
		PUT(' ');
	if (!plain)
		PUT('\'');
	for (p = word; *p != '\0'; p++) {
		if (!plain && *p == '\'') {
			/* 'it'\''s': close, escaped quote, reopen */
			PUT('\'');
			PUT('\\');
			PUT('\'');
		}
		PUT(*p);
	}
	if (!plain)
		PUT('\'');
#undef PUT
	buf[n] = '\0';
	return 0;
}

int
js_exit_from_ca(int status)
{
	switch (status) {
	case 0:
		return JS_EXIT_OK;
	case 1:
		return JS_EXIT_DENIED;
	case 2:
		return JS_EXIT_USAGE;
	default:
		return JS_EXIT_CA;
	}
}

int
js_exec(struct js_conn *c, const char *cmd, const char *input,
    size_t input_len, const struct js_sink *sink, int *statusp)
{
	ssh_channel ch = NULL;
	char buf[16384];
	int n, got, stream, signalled = 0, rc = JS_EXIT_CA;
	time_t give_up = 0;

	*statusp = -1;
	if ((ch = ssh_channel_new(c->s)) == NULL ||
	    ssh_channel_open_session(ch) != SSH_OK ||
	    ssh_channel_request_exec(ch, cmd) != SSH_OK)
		goto fail;
	if (input_len > 0 && ssh_channel_write(ch, input,
	    (uint32_t)input_len) != (int)input_len)
		goto fail;
	if (ssh_channel_send_eof(ch) != SSH_OK)
		goto fail;
	for (;;) {
		if (js_interrupted && !signalled) {
			/* Ask the CA to stop (a waiting login withdraws). */
			(void)ssh_channel_request_send_signal(ch, "INT");
			signalled = 1;
			give_up = (time_t)jit_now() + INT_GRACE_SEC;
		}
		if (signalled && (time_t)jit_now() > give_up)
			break;
		for (got = 0, stream = 0; stream < 2; stream++) {
			n = ssh_channel_read_nonblocking(ch, buf, sizeof(buf),
			    stream);
			if (n == SSH_ERROR)
				goto fail;
			if (n > 0) {
				got = 1;
				if ((stream ? sink->err : sink->out)(buf,
				    (size_t)n, sink->arg) != 0) {
					rc = JS_EXIT_CA;
					goto out;
				}
			}
		}
		if (got)
			continue;
		if (ssh_channel_is_eof(ch) || ssh_channel_is_closed(ch))
			break;
		n = ssh_channel_poll_timeout(ch, 200, 0);
		if (n == SSH_ERROR)
			goto fail;
		if (n == 0 && sink->tick != NULL)
			sink->tick(sink->arg);
	}
	*statusp = ssh_channel_get_exit_status(ch);
	rc = 0;
	goto out;
 fail:
	fprintf(stderr, "jit-ssh: lost the connection to the CA: %s\n",
	    ssh_get_error(c->s));
 out:
	if (ch != NULL) {
		ssh_channel_close(ch);
		ssh_channel_free(ch);
	}
	return rc;
}
