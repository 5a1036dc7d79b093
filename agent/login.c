/*
 * login.c: jit-ssh login, status and logout.  A fresh Ed25519 key lives
 * in memory only; the CA certifies it; key and certificate go into
 * ssh-agent with a lifetime equal to the certificate's time left, so the
 * agent forgets them when the certificate expires.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "jagent.h"
#include "jbuf.h"
#include "jcert.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"
#include "jitssh.h"
#include "jsonl.h"

#define LINE_MAX_OUT	(256 * 1024)	/* one JSON line from the CA */
#define PLAIN_EVERY	30		/* seconds between plain waiting lines */

/* "jit:USER:ROLE:SERIAL" -> ROLE (into buf). */
static const char *
role_of(const char *key_id, char *buf, size_t size)
{
	const char *a, *b;

	if (strncmp(key_id, "jit:", 4) != 0 ||
	    (a = strchr(key_id + 4, ':')) == NULL ||
	    (b = strchr(a + 1, ':')) == NULL || (size_t)(b - a) > size)
		return "?";
	snprintf(buf, size, "%.*s", (int)(b - a - 1), a + 1);
	return buf;
}

/* Human output: RFC 3339 UTC and the policy's durations, as the CA's. */
static void
duration(int64_t s, char *buf, size_t size)
{
	jit_format_duration(s < 0 ? 0 : (uint64_t)s, buf, size);
}

static void
principals_of(const struct jcert *c, char *buf, size_t size)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < jcert_nprincipals(c) && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? "," : "",
		    jcert_principal(c, i));
}

/* ---- login ---- */

struct login_ctx {
	struct jbuf *line;	/* stdout, up to the next newline */
	char *cert;		/* the certificate line, once received */
	char *final;		/* the CA's JSON line with it */
	int tty, waiting, live;	/* live: a waiting line is on screen */
	time_t wait_start, last_plain;
	/* A waiting request's key kept in the agent (pending.c). */
	struct jagent *agent;
	const struct jkey *pending, *key;	/* P (new), K */
	const unsigned char *secret;	/* P's local secret (pending.c) */
	const char *role;	/* as asked: for the agent key's comment */
	const char *resumed_id;	/* the request P in the agent is for */
	char role_buf[128];
	char request_id[64];
	int stored;		/* P is in the agent for request_id */
	int orphaned;		/* ...for another request: drop it at the end */
};

static void clear_live(struct login_ctx *l);

static void
clear_live(struct login_ctx *l)
{
	if (l->live) {
		fputs("\r\033[K", stderr);
		l->live = 0;
	}
}

/*
 * The request waits: its key goes into the agent (as the pending key P
 * it derives from) for as long as the request may be picked up, so that
 * a later login finds it.  Without that, the key lives in memory only.
 */
static void
keep_pending(struct login_ctx *l, const char *id, const char *role,
    json_int_t within)
{
	int r;

	if (id == NULL || *id == '\0' || strlen(id) >= sizeof(l->request_id))
		return;
	snprintf(l->request_id, sizeof(l->request_id), "%s", id);
	if (l->resumed_id != NULL && strcmp(l->resumed_id, id) != 0) {
		/* The old request is over; the CA made a new one. */
		clear_live(l);
		fprintf(stderr, "jit-ssh: note: request %s is over; this is a "
		    "new one, whose key stays in memory only\n", l->resumed_id);
		l->stored = 0;
		l->orphaned = 1;
		return;
	}
	if (l->role == NULL && role != NULL && *role != '\0' &&
	    strlen(role) < sizeof(l->role_buf)) {
		/* The one role the CA chose. */
		snprintf(l->role_buf, sizeof(l->role_buf), "%s", role);
		l->role = l->role_buf;
	}
	if (l->agent == NULL || l->pending == NULL || l->role == NULL ||
	    l->stored)
		return;
	if (within <= 0 || within > UINT32_MAX - 60)
		within = UINT32_MAX - 60;
	if ((r = js_pending_store(l->agent, l->pending, l->secret, l->key, id,
	    l->role, (uint32_t)within + 60)) != 0) {
		clear_live(l);
		fprintf(stderr, "jit-ssh: note: the request's key stays in "
		    "memory only (ssh-agent: %s): if this login ends, the "
		    "request cannot be picked up\n", jit_strerror(r));
		return;
	}
	l->stored = 1;
}

static int
on_json_line(struct login_ctx *l, const char *text, size_t len)
{
	struct js_login_line j;

	if (js_login_line(text, len, &j) != 0) {
		fprintf(stderr, "jit-ssh: the CA sent something that is not "
		    "JSON\n");
		return -1;
	}
	if (*j.certificate != '\0' && l->cert == NULL) {
		l->cert = strdup(j.certificate);
		l->final = strndup(text, len);
	} else if (strcmp(j.status, "pending") == 0) {
		l->waiting = 1;
		l->wait_start = l->last_plain = (time_t)jit_now();
		keep_pending(l, j.request_id, j.role, j.resume_within);
	}
	js_json_free(j.json);
	return 0;
}

static int
login_out(const char *data, size_t len, void *arg)
{
	struct login_ctx *l = arg;
	const unsigned char *p;
	const char *nl;
	size_t off = 0;

	while (off < len) {
		nl = memchr(data + off, '\n', len - off);
		if (jbuf_put(l->line, data + off, (nl != NULL ? (size_t)(nl -
		    data) + 1 : len) - off) != 0 || jbuf_len(l->line) >
		    LINE_MAX_OUT) {
			fprintf(stderr, "jit-ssh: the CA's answer is too "
			    "long\n");
			return -1;
		}
		if (nl == NULL)
			break;
		off = (size_t)(nl - data) + 1;
		p = jbuf_ptr(l->line);
		if (on_json_line(l, (const char *)p, jbuf_len(l->line) - 1) !=
		    0)
			return -1;
		jbuf_reset(l->line);
	}
	return 0;
}

static int
login_err(const char *data, size_t len, void *arg)
{
	struct login_ctx *l = arg;

	clear_live(l);
	fwrite(data, 1, len, stderr);
	return 0;
}

static void
login_tick(void *arg)
{
	struct login_ctx *l = arg;
	time_t now = (time_t)jit_now();
	char d[32];

	if (!l->waiting)
		return;
	duration(now - l->wait_start, d, sizeof(d));
	if (l->tty) {
		fprintf(stderr, "\r\033[K  waiting for approval: %s "
		    "(Ctrl-C withdraws the request)", d);
		l->live = 1;
	} else if (now - l->last_plain >= PLAIN_EVERY) {
		fprintf(stderr, "jit-ssh: still waiting for approval (%s)\n", d);
		l->last_plain = now;
	}
	fflush(stderr);
}

static int
open_agent(struct jagent **ap, int for_login)
{
	const char *sock = getenv("SSH_AUTH_SOCK");
	int r;

	if (sock == NULL || *sock == '\0') {
		fprintf(stderr, "jit-ssh: no ssh-agent: SSH_AUTH_SOCK is not "
		    "set.\n  Start one (eval \"$(ssh-agent)\")%s.\n", for_login ?
		    ", or write the key to a file with --out FILE" : "");
		return JS_EXIT_AGENT;
	}
	if ((r = jagent_open(sock, ap)) != 0) {
		fprintf(stderr, "jit-ssh: cannot use the ssh-agent at %s: %s\n"
		    "  Is it running? (ssh-add -l tells)\n", sock,
		    jit_strerror(r));
		return JS_EXIT_AGENT;
	}
	return 0;
}

/*
 * Writes key to path (0600, replacing) and the certificate beside it.  If
 * the certificate cannot be written the new key is removed again, so the
 * pair on disk never mixes a new key with an old certificate.
 */
static int
write_out(const char *path, const struct jkey *k, const char *key_id,
    const char *cert_line)
{
	struct jbuf *b = NULL;
	char *cpath = NULL, *cl = NULL;
	int r = JIT_ERR_ALLOC;

	if ((b = jbuf_new()) == NULL ||
	    (cpath = js_concat(path, "-cert.pub")) == NULL ||
	    (cl = js_concat(cert_line, "\n")) == NULL)
		goto out;
	if ((r = jkey_private_serialize(k, key_id, b)) != 0 ||
	    (r = jit_file_write(path, jbuf_ptr(b), jbuf_len(b), 0600, 1)) != 0) {
		fprintf(stderr, "jit-ssh: cannot write %s: %s\n", path,
		    jit_strerror(r));
		goto out;
	}
	if ((r = jit_file_write(cpath, cl, strlen(cl), 0644, 1)) != 0) {
		fprintf(stderr, "jit-ssh: cannot write %s: %s\n", cpath,
		    jit_strerror(r));
		(void)unlink(path);
	}
 out:
	if (b != NULL)
		jit_wipe((void *)(uintptr_t)jbuf_ptr(b), jbuf_len(b));
	jbuf_free(b);
	free(cpath);
	free(cl);
	return r;
}

/*
 * The key to certify: a waiting request's, found in the agent (by --request
 * ID, or the newest for --role R), or a fresh one derived from a new
 * pending key (pending.c); a plain fresh key when there is no agent.
 * Returns 0, or an exit status after saying why.
 */
static int
choose_key(struct jagent *agent, const struct js_login_opts *o,
    struct js_pending *pd, int *resumedp, struct jkey **pp,
    unsigned char secret[JS_PENDING_SECRET], struct jkey **kp)
{
	int r;

	*resumedp = 0;
	if (agent != NULL && (o->request != NULL || o->role != NULL)) {
		r = js_pending_find(agent, o->request, o->request != NULL ?
		    NULL : o->role, pd);
		if (r == 0 && o->role != NULL && strcmp(o->role, pd->role) != 0) {
			fprintf(stderr, "jit-ssh: login: request %s is for role "
			    "%s, not %s\n", pd->id, pd->role, o->role);
			return JS_EXIT_USAGE;
		}
		if (r == 0 && (r = js_pending_resume(agent, pd, kp)) == 0) {
			*resumedp = 1;
			fprintf(stderr, "jit-ssh: resuming request %s (role %s): "
			    "its key is in ssh-agent\n", pd->id, pd->role);
			return 0;
		}
		if (o->request != NULL) {
			fprintf(stderr, "jit-ssh: login: no key for request %s "
			    "in this client's records and ssh-agent (%s): it was "
			    "made elsewhere, the agent restarted or its time is "
			    "up; log in without --request to ask again\n",
			    o->request, jit_strerror(r));
			return JS_EXIT_DENIED;
		}
		memset(pd, 0, sizeof(*pd));
	} else if (o->request != NULL) {
		fprintf(stderr, "jit-ssh: login: --request needs ssh-agent, "
		    "which holds the request's key\n");
		return JS_EXIT_AGENT;
	}
	r = agent != NULL ? js_pending_new(pp, secret, kp) :
	    jkey_generate(JKEY_ED25519, 0, kp);
	if (r != 0) {
		fprintf(stderr, "jit-ssh: cannot make a key: %s\n",
		    jit_strerror(r));
		return JS_EXIT_CA;
	}
	return 0;
}

int
js_cmd_login(const struct js_config *cfg, const struct js_login_opts *o)
{
	struct login_ctx l;
	struct js_sink sink = { login_out, login_err, login_tick, &l };
	struct js_pending pd;
	unsigned char secret[JS_PENDING_SECRET];
	struct jagent *agent = NULL;
	struct js_conn *conn = NULL;
	struct jkey *k = NULL, *pk = NULL;
	struct jcert *c = NULL;
	char cmd[8192] = "login --json", *pub = NULL, *input = NULL;
	char when[64], left[32];
	char role[128], pr[1024];
	const char *want_role = o->role;
	int64_t secs;
	int r, status = -1, rc = JS_EXIT_USAGE, resumed = 0, ended = 0;

	memset(&l, 0, sizeof(l));
	memset(&pd, 0, sizeof(pd));
	l.tty = isatty(STDERR_FILENO);
	/* The agent first: no point in a certificate we cannot keep. */
	if (o->out == NULL && (rc = open_agent(&agent, 1)) != 0)
		goto out;
	if ((rc = choose_key(agent, o, &pd, &resumed, &pk, secret, &k)) != 0)
		goto out;
	if (resumed)
		want_role = pd.role;
	rc = JS_EXIT_USAGE;
	if ((want_role != NULL && (js_quote(cmd, sizeof(cmd), "--role") != 0 ||
	    js_quote(cmd, sizeof(cmd), want_role) != 0)) ||
	    (o->ttl != NULL && (js_quote(cmd, sizeof(cmd), "--ttl") != 0 ||
	    js_quote(cmd, sizeof(cmd), o->ttl) != 0)) ||
	    (o->reason != NULL && (js_quote(cmd, sizeof(cmd), "--reason") != 0 ||
	    js_quote(cmd, sizeof(cmd), o->reason) != 0))) {
		fprintf(stderr, "jit-ssh: login: arguments too long or with "
		    "control characters\n");
		goto out;
	}
	rc = JS_EXIT_CA;
	l.agent = agent;
	l.pending = pk;
	l.secret = secret;
	l.key = k;
	l.role = want_role;
	l.stored = resumed;
	l.resumed_id = resumed ? pd.id : NULL;
	if (jkey_format_line(k, NULL, &pub) != 0 ||
	    (l.line = jbuf_new()) == NULL) {
		fprintf(stderr, "jit-ssh: cannot make a key\n");
		goto out;
	}
	if ((rc = js_connect(cfg, &conn)) != 0)
		goto out;
	if ((input = js_concat(pub, "\n")) == NULL)
		goto out;
	if ((rc = js_exec(conn, cmd, input, strlen(input), &sink, &status)) !=
	    0)
		goto out;
	clear_live(&l);
	/* Denied, withdrawn, expired or issued: the request is over. */
	ended = status == 0 || status == 1;
	if (js_interrupted) {
		fprintf(stderr, "jit-ssh: interrupted%s\n", l.waiting ?
		    ": the request is withdrawn" : "");
		rc = JS_EXIT_DENIED;
		ended = 1;
		goto out;
	}
	if (status != 0 || l.cert == NULL) {
		rc = status != 0 ? js_exit_from_ca(status) : JS_EXIT_CA;
		if (status == 0)
			fprintf(stderr, "jit-ssh: the CA sent no certificate\n");
		goto out;
	}
	rc = JS_EXIT_CA;
	if (jcert_parse_line(l.cert, &c) != 0 ||
	    !jkey_equal_public(jcert_key(c), k)) {
		fprintf(stderr, "jit-ssh: the CA's answer is not a certificate "
		    "for our key\n");
		goto out;
	}
	secs = (int64_t)jcert_valid_before(c) - (int64_t)jit_now();
	if (secs <= 0 || secs > UINT32_MAX) {
		fprintf(stderr, "jit-ssh: the certificate is not valid now\n");
		goto out;
	}
	if (agent != NULL) {
		if ((r = jagent_add(agent, k, c, jcert_key_id(c),
		    (uint32_t)secs)) != 0) {
			fprintf(stderr, "jit-ssh: ssh-agent did not take the "
			    "key: %s\n", jit_strerror(r));
			rc = JS_EXIT_AGENT;
			goto out;
		}
	} else if (write_out(o->out, k, jcert_key_id(c), l.cert) != 0)
		goto out;
	jit_format_time(jcert_valid_before(c), when, sizeof(when));
	duration(secs, left, sizeof(left));
	principals_of(c, pr, sizeof(pr));
	if (o->json)
		printf("%s\n", l.final);
	else {
		printf("role %s: principals %s, until %s (%s)\n",
		    role_of(jcert_key_id(c), role, sizeof(role)), pr, when, left);
		if (agent != NULL)
			printf("certificate %s is in ssh-agent; the agent drops "
			    "it when it expires\n", jcert_key_id(c));
		else
			printf("key in %s, certificate in %s-cert.pub\n",
			    o->out, o->out);
	}
	rc = JS_EXIT_OK;
 out:
	clear_live(&l);
	if ((l.stored && ended) || l.orphaned)
		(void)js_pending_forget(agent, pk, l.request_id, resumed ? &pd :
		    NULL);
	else if (l.stored)
		fprintf(stderr, "jit-ssh: request %s stays open and its key is "
		    "in ssh-agent: `jit-ssh login --role %s` (or --request %s) "
		    "picks it up\n", l.request_id, l.role, l.request_id);
	js_close(conn);
	jagent_close(agent);
	jcert_free(c);
	jkey_free(k);
	jkey_free(pk);
	free(pub);
	free(input);
	free(l.cert);
	free(l.final);
	jbuf_free(l.line);
	jit_wipe(secret, sizeof(secret));
	jit_wipe(&pd, sizeof(pd));
	return rc;
}

/* ---- status and logout ---- */

struct jit_ident {
	unsigned char *blob;
	size_t len;
	struct jcert *c;
	struct jit_ident *next;
};

static int
collect(const unsigned char *blob, size_t len, const char *comment, void *arg)
{
	struct jit_ident **head = arg, *e = NULL;
	struct jcert *c = NULL;

	(void)comment;
	if (jcert_parse(blob, len, &c) != 0)
		return 0;	/* a plain key, or a certificate we cannot read */
	if (strncmp(jcert_key_id(c), "jit:", 4) != 0 ||
	    (e = calloc(1, sizeof(*e))) == NULL ||
	    (e->blob = malloc(len)) == NULL) {
		free(e);
		jcert_free(c);
		return 0;
	}
	memcpy(e->blob, blob, len);
	e->len = len;
	e->c = c;
	e->next = *head;
	*head = e;
	return 0;
}

static void
free_idents(struct jit_ident *e)
{
	struct jit_ident *n;

	for (; e != NULL; e = n) {
		n = e->next;
		free(e->blob);
		jcert_free(e->c);
		free(e);
	}
}

static int
list_jit(struct jagent **ap, struct jit_ident **headp)
{
	int r, rc;

	*headp = NULL;
	if ((rc = open_agent(ap, 0)) != 0)
		return rc;
	if ((r = jagent_list(*ap, collect, headp)) != 0) {
		fprintf(stderr, "jit-ssh: ssh-agent did not list its keys: "
		    "%s\n", jit_strerror(r));
		return JS_EXIT_AGENT;
	}
	return 0;
}

/* Prints o as one JSON line and frees it. */
static void
print_json(json_t *o)
{
	char *t = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) :
	    NULL;

	if (t != NULL)
		printf("%s\n", t);
	free(t);
	json_decref(o);
}

/* A waiting request this client recorded (pending.c): how to resume. */
static int
print_pending(const struct js_pending *pd, void *arg)
{
	int json = *(int *)arg;

	if (json)
		print_json(json_pack("{s:s, s:s, s:s}", "where", "agent",
		    "pending_request", pd->id, "role", pd->role));
	else
		printf("waiting: request %s for role %s (jit-ssh login --role "
		    "%s picks it up)\n", pd->id, pd->role, pd->role);
	return 0;
}

int
js_cmd_status(int json)
{
	struct jagent *a = NULL;
	struct jit_ident *head = NULL, *e;
	char role[128], pr[1024], when[64], left[32];
	int64_t secs;
	int rc, n = 0;

	if ((rc = list_jit(&a, &head)) != 0)
		goto out;
	for (e = head; e != NULL; e = e->next, n++) {
		const struct jcert *c = e->c;

		secs = (int64_t)jcert_valid_before(c) - (int64_t)jit_now();
		principals_of(c, pr, sizeof(pr));
		role_of(jcert_key_id(c), role, sizeof(role));
		if (json) {
			/* The same shape as login --json and audit --json. */
			json_t *pa = json_array();
			size_t k;
			char vb[32];

			for (k = 0; k < jcert_nprincipals(c); k++)
				json_array_append_new(pa,
				    json_string(jcert_principal(c, k)));
			jit_format_time(jcert_valid_before(c), vb, sizeof(vb));
			print_json(json_pack("{s:s, s:s, s:s, s:o, s:s, s:I}",
			    "where", "agent", "key_id", jcert_key_id(c),
			    "role", role, "principals", pa, "valid_before", vb,
			    "seconds_left", (json_int_t)(secs < 0 ? 0 : secs)));
			continue;
		}
		if (n == 0)
			printf("%-28s %-12s %-24s %-24s %s\n", "CERTIFICATE",
			    "ROLE", "PRINCIPALS", "EXPIRES", "LEFT");
		jit_format_time(jcert_valid_before(c), when, sizeof(when));
		duration(secs, left, sizeof(left));
		printf("%-28s %-12s %-24s %-24s %s\n", jcert_key_id(c), role,
		    pr, when, secs > 0 ? left : "expired");
	}
	if (n == 0 && !json)
		printf("no jit-ssh certificates in ssh-agent (jit-ssh login "
		    "gets one)\n");
	(void)js_pending_each(a, print_pending, &json);
 out:
	free_idents(head);
	jagent_close(a);
	return rc;
}

int
js_cmd_logout(void)
{
	struct jagent *a = NULL;
	struct jit_ident *head = NULL, *e;
	int rc, r, n = 0;

	if ((rc = list_jit(&a, &head)) != 0)
		goto out;
	for (e = head; e != NULL; e = e->next) {
		if ((r = jagent_remove(a, e->blob, e->len)) != 0) {
			fprintf(stderr, "jit-ssh: ssh-agent did not remove %s: "
			    "%s\n", jcert_key_id(e->c), jit_strerror(r));
			rc = JS_EXIT_AGENT;
			continue;
		}
		printf("removed %s\n", jcert_key_id(e->c));
		n++;
	}
	if (n == 0 && rc == 0)
		printf("no jit-ssh certificates in ssh-agent\n");
 out:
	free_idents(head);
	jagent_close(a);
	return rc;
}
