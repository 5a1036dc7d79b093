/*
 * setup.c: `jit-ssh setup --ca HOST:PORT --fingerprint SHA256:...`, the
 * newcomer's first command (like `step ca bootstrap`): the CA's host key
 * is checked against the fingerprint the operator gave out, then pinned in
 * the configuration; the host CA key goes into ~/.ssh/known_hosts as an
 * @cert-authority line, so hosts with host certificates need no prompt.
 * Running it again changes nothing that is already right.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jitssh.h"
#include "jsonl.h"

#define KNOWN_HOSTS_MAX	(4 * 1024 * 1024)

/* mkdir -p of path's parent directories, mode 0700 for new ones. */
static int
make_parents(const char *path)
{
	char *p = strdup(path), *s;
	int r = 0;

	if (p == NULL)
		return JIT_ERR_ALLOC;
	for (s = strchr(p + 1, '/'); s != NULL && r == 0;
	    s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST)
			r = JIT_ERR_SYSTEM;
		*s = '/';
	}
	free(p);
	return r;
}

/* Writes path when its contents differ; *changedp says whether it did. */
static int
write_if_changed(const char *path, const char *text, mode_t mode,
    int *changedp)
{
	struct jbuf *old = NULL;
	int r;

	*changedp = 0;
	if (jit_file_read(path, 1024 * 1024, 0, &old) == 0 &&
	    jbuf_len(old) == strlen(text) &&
	    memcmp(jbuf_ptr(old), text, strlen(text)) == 0) {
		jbuf_free(old);
		return 0;
	}
	jbuf_free(old);
	if ((r = make_parents(path)) != 0 ||
	    (r = jit_file_write(path, text, strlen(text), mode, 1)) != 0)
		return r;
	*changedp = 1;
	return 0;
}

/* "KEYTYPE BASE64" of a key line (the comment dropped), into buf. */
static int
key_part(const char *line, char *buf, size_t size)
{
	const char *sp = strchr(line, ' '), *end;
	size_t n;

	if (sp == NULL)
		return -1;
	end = strchr(sp + 1, ' ');
	n = end != NULL ? (size_t)(end - line) : strcspn(line, "\n");
	if (n >= size)
		return -1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	return 0;
}

/* Adds "@cert-authority * KEY" to known_hosts unless it is there. */
static int
add_cert_authority(const char *path, const char *hostca, const char *ca,
    int *addedp)
{
	struct jbuf *old = NULL, *b = NULL;
	char key[8192], *line = NULL;
	const char *p;
	int r;

	*addedp = 0;
	if (key_part(hostca, key, sizeof(key)) != 0)
		return JIT_ERR_INVALID_FORMAT;
	r = jit_file_read(path, KNOWN_HOSTS_MAX, 0, &old);
	if (r != 0 && r != JIT_ERR_NOT_FOUND)
		return r;
	if ((b = jbuf_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if (old != NULL) {
		if ((r = jbuf_put(b, jbuf_ptr(old), jbuf_len(old))) != 0 ||
		    (r = jbuf_put_u8(b, 0)) != 0)
			goto out;
		for (p = (const char *)jbuf_ptr(b); p != NULL && *p != '\0';
		    p = (p = strchr(p, '\n')) != NULL ? p + 1 : NULL)
			if (strncmp(p, "@cert-authority ", 16) == 0 &&
			    strstr(p, key) != NULL &&
			    strstr(p, key) < (strchr(p, '\n') != NULL ?
			    strchr(p, '\n') : p + strlen(p))) {
				r = 0;	/* there already */
				goto out;
			}
		jbuf_reset(b);
		if ((r = jbuf_put(b, jbuf_ptr(old), jbuf_len(old))) != 0 ||
		    (jbuf_len(old) > 0 && jbuf_ptr(old)[jbuf_len(old) - 1] !=
		    '\n' && (r = jbuf_put_u8(b, '\n')) != 0))
			goto out;
	}
	if (asprintf(&line, "@cert-authority * %s jit-ssh host CA (%s)\n", key,
	    ca) == -1) {
		line = NULL;
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = jbuf_put(b, line, strlen(line))) != 0 ||
	    (r = make_parents(path)) != 0 ||
	    (r = jit_file_write(path, jbuf_ptr(b), jbuf_len(b), 0644, 1)) != 0)
		goto out;
	*addedp = 1;
 out:
	free(line);
	jbuf_free(old);
	jbuf_free(b);
	return r;
}

static int
keys_out(const char *data, size_t len, void *arg)
{
	return jbuf_put(arg, data, len) == 0 && jbuf_len(arg) < 65536 ? 0 : -1;
}

static int
keys_err(const char *data, size_t len, void *arg)
{
	(void)arg;
	fwrite(data, 1, len, stderr);
	return 0;
}

/*
 * The host CA's key lines, from the CA's `ca-keys --json`: host_cas (every
 * key to trust: two while the CA rotates its host key), else host_ca.
 */
#define HOST_CAS_MAX	4
static int
fetch_host_cas(struct js_conn *conn, char *lines[HOST_CAS_MAX], size_t *np)
{
	struct jbuf *b = jbuf_new();
	struct js_sink sink = { keys_out, keys_err, NULL, b };
	int rc, status;

	*np = 0;
	if (b == NULL)
		return JS_EXIT_CA;
	if ((rc = js_exec(conn, "ca-keys --json", NULL, 0, &sink,
	    &status)) == 0 && (rc = js_exit_from_ca(status)) == 0) {
		rc = js_ca_keys_host((const char *)jbuf_ptr(b), jbuf_len(b),
		    lines, HOST_CAS_MAX, np) == 0 ? 0 : JS_EXIT_CA;
		if (rc != 0)
			fprintf(stderr, "jit-ssh: the CA's ca-keys answer has no "
			    "host CA key\n");
	}
	jbuf_free(b);
	return rc;
}

int
js_cmd_setup(const struct js_config *cfg, const struct js_setup_opts *o)
{
	struct js_config c;
	struct js_conn *conn = NULL;
	char *keyline = NULL, *hostca[HOST_CAS_MAX], *text = NULL, *known = NULL;
	int rc, r, changed = 0, added = 0, one;
	size_t i, nhostca = 0;

	memset(&c, 0, sizeof(c));
	if (strncmp(o->fingerprint, "SHA256:", 7) != 0 ||
	    strlen(o->fingerprint) != 50) {
		fprintf(stderr, "jit-ssh: setup: --fingerprint must look like "
		    "SHA256: and 43 characters (ssh-keygen -lf prints it)\n");
		return JS_EXIT_USAGE;
	}
	for (i = 7; i < 50; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789+/", o->fingerprint[i]) == NULL) {
			fprintf(stderr, "jit-ssh: setup: --fingerprint has a "
			    "character that is not base64\n");
			return JS_EXIT_USAGE;
		}
	c.path = cfg->target;
	c.ca = (char *)(uintptr_t)o->ca;
	c.user = (char *)(uintptr_t)(o->user != NULL ? o->user : cfg->user);
	c.identity = o->identity != NULL ? js_expand_home(o->identity) :
	    strdup(cfg->identity);
	if (c.identity == NULL)
		return JS_EXIT_USAGE;
	c.no_code = 1;		/* setup reads ca-keys only: no code */
	c.sso = o->sso;		/* or signs in at the identity provider */
	rc = js_connect_fp(&c, o->fingerprint, &keyline, &conn);
	if (keyline == NULL)
		goto out;	/* not the CA we were told about: nothing written */
	/* The host key is the right one: pin it, whatever comes next. */
	if (asprintf(&text, "# jit-ssh client configuration, written by "
	    "`jit-ssh setup`\nca: %s\nuser: %s\nidentity: %s\n"
	    "ca_host_key: \"%s\"\n", c.ca, c.user, c.identity, keyline) == -1) {
		text = NULL;
		rc = JS_EXIT_USAGE;
		goto out;
	}
	if ((r = write_if_changed(cfg->target, text, 0600, &changed)) != 0) {
		fprintf(stderr, "jit-ssh: cannot write %s: %s\n", cfg->target,
		    jit_strerror(r));
		rc = JS_EXIT_USAGE;
		goto out;
	}
	printf("the CA at %s has host key %s, as given\n%s %s\n", c.ca,
	    o->fingerprint, changed ? "wrote" : "unchanged:", cfg->target);
	if (c.sso && rc == 0)
		printf("signed in at the identity provider: log in with "
		    "`jit-ssh login --sso --role ROLE`\n");
	if (rc != 0) {
		fprintf(stderr, "jit-ssh: setup: the configuration is written, "
		    "but the CA did not let %s in, so ~/.ssh/known_hosts is not "
		    "updated: run setup again once the CA operator has added "
		    "your key%s\n", c.sso ? "you" : c.user, c.sso ? " (or your "
		    "identity provider account has the groups)" : "");
		goto out;
	}
	if ((rc = fetch_host_cas(conn, hostca, &nhostca)) != 0)
		goto out;
	rc = JS_EXIT_USAGE;
	if ((known = js_expand_home("~/.ssh/known_hosts")) == NULL)
		goto out;
	for (i = 0; i < nhostca; i++) {
		if ((r = add_cert_authority(known, hostca[i], c.ca, &one)) != 0) {
			fprintf(stderr, "jit-ssh: cannot update %s: %s\n", known,
			    jit_strerror(r));
			goto out;
		}
		added |= one;
	}
	printf("%s %s: @cert-authority * (the CA's host certificates)\n",
	    added ? "added to" : "already in", known);
	if (o->ssh_config != NULL) {
		char *path = js_expand_home(o->ssh_config), *snippet = NULL;

		if (asprintf(&snippet,
		    "# Written by `jit-ssh setup`: these hosts prove who they are\n"
		    "# with certificates from the jit-ssh host CA (the\n"
		    "# @cert-authority line in ~/.ssh/known_hosts); user\n"
		    "# certificates come from ssh-agent (jit-ssh login).  Include\n"
		    "# it from ~/.ssh/config.\n"
		    "Host %s\n"
		    "    StrictHostKeyChecking yes\n"
		    "    UserKnownHostsFile ~/.ssh/known_hosts\n", o->hosts) == -1)
			snippet = NULL;
		if (path == NULL || snippet == NULL || (r = write_if_changed(path,
		    snippet, 0644, &changed)) != 0) {
			free(snippet);
			fprintf(stderr, "jit-ssh: cannot write %s\n",
			    o->ssh_config);
			free(path);
			goto out;
		}
		free(snippet);
		printf("%s %s (add \"Include %s\" to ~/.ssh/config)\n",
		    changed ? "wrote" : "unchanged:", path, path);
		free(path);
	}
	printf("next: jit-ssh login\n");
	rc = JS_EXIT_OK;
 out:
	js_close(conn);
	free(c.identity);
	free(keyline);
	for (i = 0; i < nhostca; i++)
		free(hostca[i]);
	free(text);
	free(known);
	return rc;
}
