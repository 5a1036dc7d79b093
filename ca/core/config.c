/*
 * config.c: DIR/config.yaml, the CA service's own settings, read with the
 * same strict YAML tree as the policy (jyaml).  Keys: listen (ADDR:PORT),
 * store (lmdb, or a PostgreSQL URL / conninfo shared by several CAs); and
 * opening the store it names.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bind.h"
#include "cadir.h"
#include "calog.h"
#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jp11.h"
#include "jpolicy.h"
#include "jstore.h"
#include "jyaml.h"

static int
cerr(char **errp, const char *name, const struct jyaml_node *n, const char *msg)
{
	if (errp != NULL && asprintf(errp, "%s:%u:%u: %s", name,
	    n != NULL ? n->line : 1, n != NULL ? n->col : 1, msg) == -1)
		*errp = NULL;
	return JIT_ERR_INVALID_FORMAT;
}

/*
 * A store location says where, never a secret: a password belongs in a
 * 0600 passfile (passfile=..., or $PGPASSFILE, or ~/.pgpass), which libpq
 * refuses to read when others can.
 */
int
ca_store_where_ok(const char *where, const char **whyp)
{
	*whyp = NULL;
	if (strcmp(where, "lmdb") == 0)
		return 1;
	if (!jstore_is_url(where)) {
		*whyp = "store must be lmdb, a postgresql:// URL or a libpq "
		    "conninfo (host=... dbname=...)";
		return 0;
	}
	return jstore_where_check(where, whyp) == 0;
}

void
ca_config_free(struct ca_config *c)
{
	if (c == NULL)
		return;
	free(c->listen);
	free(c->store);
	free(c->ca_key[CA_KEY_USER]);
	free(c->ca_key[CA_KEY_HOST]);
	free(c->pkcs11_module);
	memset(c, 0, sizeof(*c));
}

/* ca_key: { user: file|URI, host: file|URI } */
static int
read_ca_key(const char *path, const struct jyaml_node *v, struct ca_config *c,
    char **errp)
{
	const struct jyaml_node *k, *kv;
	const char *why;
	size_t i;
	int which;

	if (v->type != JYAML_MAP)
		return cerr(errp, path, v, "ca_key must be a mapping: user: and "
		    "host:, each file or a pkcs11: URI");
	for (i = 0; i + 1 < v->n; i += 2) {
		k = v->items[i];
		kv = v->items[i + 1];
		which = k->type != JYAML_SCALAR ? -1 :
		    strcmp(k->value, "user") == 0 ? CA_KEY_USER :
		    strcmp(k->value, "host") == 0 ? CA_KEY_HOST : -1;
		if (which < 0)
			return cerr(errp, path, k, "unknown CA (ca_key has: user, "
			    "host)");
		if (kv->type != JYAML_SCALAR || c->ca_key[which] != NULL)
			return cerr(errp, path, kv, "a value, once");
		if (strcmp(kv->value, "file") != 0 &&
		    (why = jp11_uri_problem(kv->value)) != NULL)
			return cerr(errp, path, kv, strcmp(why, "not a pkcs11: "
			    "URI") == 0 ? "ca_key: want file or a pkcs11: URI" :
			    why);
		if ((c->ca_key[which] = strdup(kv->value)) == NULL)
			return JIT_ERR_ALLOC;
	}
	return 0;
}

/* deadlines: { kex: D, auth: D, stdin: D, idle: D, sweep: D } */
static int
read_deadlines(const char *path, const struct jyaml_node *m,
    struct ca_deadlines *d, char **errp)
{
	const struct jyaml_node *k, *v;
	uint64_t *slot, secs;
	size_t i;

	if (m->type != JYAML_MAP)
		return cerr(errp, path, m, "deadlines: a mapping of kex, auth, "
		    "stdin, idle, sweep");
	for (i = 0; i + 1 < m->n; i += 2) {
		k = m->items[i];
		v = m->items[i + 1];
		slot = strcmp(k->value, "kex") == 0 ? &d->kex :
		    strcmp(k->value, "auth") == 0 ? &d->auth :
		    strcmp(k->value, "stdin") == 0 ? &d->stdin_end :
		    strcmp(k->value, "idle") == 0 ? &d->idle :
		    strcmp(k->value, "sweep") == 0 ? &d->sweep : NULL;
		if (slot == NULL)
			return cerr(errp, path, k, "unknown deadline (kex, auth, "
			    "stdin, idle, sweep)");
		if (v->type != JYAML_SCALAR ||
		    jpolicy_parse_duration(v->value, &secs) != 0 || secs < 1 ||
		    secs > 3600)
			return cerr(errp, path, v, "a deadline is a duration from "
			    "1s to 1h");
		*slot = secs;
	}
	return 0;
}

static int
fill_defaults(struct ca_config *c)
{
	if ((c->listen == NULL &&
	    (c->listen = strdup("127.0.0.1:2222")) == NULL) ||
	    (c->store == NULL && (c->store = strdup("lmdb")) == NULL) ||
	    (c->ca_key[0] == NULL && (c->ca_key[0] = strdup("file")) == NULL) ||
	    (c->ca_key[1] == NULL && (c->ca_key[1] = strdup("file")) == NULL))
		return JIT_ERR_ALLOC;
	return 0;
}

int
ca_config_get(const char *dir, struct ca_config *c)
{
	char *cfg = ca_path(dir, CA_CONFIG);
	struct stat st;
	int r;

	memset(c, 0, sizeof(*c));
	c->deadlines = (struct ca_deadlines)CA_DEADLINES_DEFAULT;
	if (stat(cfg, &st) == 0)
		r = ca_config_load(dir, c);
	else if (errno != ENOENT) {
		ca_error("%s: %s", cfg, strerror(errno));
		r = JIT_ERR_SYSTEM;
	} else if ((r = fill_defaults(c)) != 0) {
		ca_error("out of memory");
		ca_config_free(c);
	}
	free(cfg);
	return r;
}

int
ca_config_read(const char *path, struct ca_config *c, char **errp)
{
	struct jbuf *b = NULL;
	struct jyaml_node *root = NULL;
	const struct jyaml_node *k, *v;
	const char *why;
	char **slot;
	size_t i;
	int r;

	memset(c, 0, sizeof(*c));
	c->deadlines = (struct ca_deadlines)CA_DEADLINES_DEFAULT;
	if (errp != NULL)
		*errp = NULL;
	if ((r = jit_file_read(path, 65536, 0, &b)) != 0) {
		if (errp != NULL && asprintf(errp, "%s: %s", path,
		    jit_strerror(r)) == -1)
			*errp = NULL;
		return r;
	}
	if ((r = jyaml_parse(path, jbuf_ptr(b), jbuf_len(b), &root, errp)) != 0)
		goto out;
	if (root->type != JYAML_MAP) {
		r = cerr(errp, path, root, "the config must be a mapping");
		goto out;
	}
	for (i = 0; i + 1 < root->n; i += 2) {
		k = root->items[i];
		v = root->items[i + 1];
		if (k->type == JYAML_SCALAR && strcmp(k->value, "deadlines") == 0) {
			if ((r = read_deadlines(path, v, &c->deadlines,
			    errp)) != 0)
				goto out;
			continue;
		}
		if (k->type == JYAML_SCALAR && strcmp(k->value, "ca_key") == 0) {
			if (c->ca_key[0] != NULL || c->ca_key[1] != NULL) {
				r = cerr(errp, path, k, "ca_key, once");
				goto out;
			}
			if ((r = read_ca_key(path, v, c, errp)) != 0)
				goto out;
			continue;
		}
		slot = k->type != JYAML_SCALAR ? NULL :
		    strcmp(k->value, "listen") == 0 ? &c->listen :
		    strcmp(k->value, "store") == 0 ? &c->store :
		    strcmp(k->value, "pkcs11_module") == 0 ? &c->pkcs11_module :
		    NULL;
		if (slot == NULL) {
			r = cerr(errp, path, k, "unknown key (the config has: "
			    "listen, store, ca_key, pkcs11_module, deadlines)");
			goto out;
		}
		if (v->type != JYAML_SCALAR || *slot != NULL) {
			r = cerr(errp, path, v, "a value, once");
			goto out;
		}
		if (slot == &c->listen && strchr(v->value, ':') == NULL) {
			r = cerr(errp, path, v, "listen must be ADDR:PORT, once");
			goto out;
		}
		if (slot == &c->store && !ca_store_where_ok(v->value, &why)) {
			r = cerr(errp, path, v, why);
			goto out;
		}
		if ((*slot = strdup(v->value)) == NULL) {
			r = JIT_ERR_ALLOC;
			goto out;
		}
	}
	r = fill_defaults(c);
 out:
	if (r != 0)
		ca_config_free(c);
	jyaml_free(root);
	jbuf_free(b);
	return r;
}

int
ca_config_load(const char *dir, struct ca_config *c)
{
	char *path = ca_path(dir, CA_CONFIG), *err = NULL;
	int r;

	if ((r = ca_config_read(path, c, &err)) != 0)
		fprintf(stderr, "%s\n", err != NULL ? err : jit_strerror(r));
	free(err);
	free(path);
	return r;
}

int
ca_open_store(const char *dir, int flags, struct jstore **sp)
{
	struct ca_config c;
	char *path = ca_path(dir, CA_STORE), *cfg = ca_path(dir, CA_CONFIG);
	const char *where = path;
	struct stat st;
	int r;

	memset(&c, 0, sizeof(c));
	if (!(flags & JSTORE_RDONLY) && (r = ca_dir_check_owner(dir)) != 0)
		goto out;
	/* DIR/config.yaml may name a shared store; without one: DIR/store. */
	if (cfg != NULL && stat(cfg, &st) == 0) {
		if ((r = ca_config_load(dir, &c)) != 0)
			goto out;
		if (strcmp(c.store, "lmdb") != 0)
			where = c.store;
	}
	if (path == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = jstore_open(where, flags & ~CA_STORE_UNBOUND, 0, sp)) != 0) {
		if (where != path) {
			char *shown = jstore_where_display(where);

			ca_error("store %s: %s", shown != NULL ? shown : "?",
			    jit_strerror(r));
			free(shown);
		}
		else if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode))
			ca_error("no CA at %s (%s): give the CA directory with "
			    "--dir DIR or $%s, or create one with `jit-ssh-ca "
			    "init --dir DIR`", dir, ca_dir_origin(dir),
			    CA_DIR_ENV);
		else
			ca_error("store %s: %s (is %s a CA directory? --dir DIR "
			    "or $%s names it)", path, jit_strerror(r), dir,
			    CA_DIR_ENV);
	} else if (!(flags & (JSTORE_RDONLY | CA_STORE_UNBOUND)) &&
	    (r = ca_bind_check(dir, *sp)) != 0) {
		jstore_close(*sp);
		*sp = NULL;
	}
 out:
	ca_config_free(&c);
	free(cfg);
	free(path);
	return r;
}

static int
putf(struct jbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n, r;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return JIT_ERR_ALLOC;
	r = jbuf_put(b, s, (size_t)n);
	free(s);
	return r;
}

char *
ca_yaml_quote(const char *v)
{
	struct jbuf *b = jbuf_new();
	char *out = NULL;
	const char *p;

	if (b == NULL)
		return NULL;
	if (strcmp(v, "file") == 0)
		out = strdup(v);
	else {
		(void)jbuf_put(b, "'", 1);
		for (p = v; *p != '\0'; p++)
			if (jbuf_put(b, p, 1) != 0 || (*p == '\'' &&
			    jbuf_put(b, p, 1) != 0))
				goto out;
		if (jbuf_put(b, "'", 1) == 0 && jbuf_put_u8(b, 0) == 0)
			out = strdup((const char *)jbuf_ptr(b));
	}
 out:
	jbuf_free(b);
	return out;
}

/* The offset of line (1-based) in text, or len. */
static size_t
line_off(const char *text, size_t len, unsigned line)
{
	size_t o = 0;

	while (line > 1 && o < len) {
		if (text[o++] == '\n')
			line--;
	}
	return o;
}

/*
 * Writes out as path's new text, checked as the CA will read it (ca_key of
 * kind must read as value) before it replaces the old file; with dry, only
 * checked.
 */
static int
replace_checked(const char *path, const struct jbuf *out, mode_t mode,
    int kind, const char *value, int dry, char **errp)
{
	struct ca_config c;
	char *tmp = NULL;
	int r;

	memset(&c, 0, sizeof(c));
	if (asprintf(&tmp, "%s.new", path) == -1)
		return JIT_ERR_ALLOC;
	(void)unlink(tmp);
	if ((r = jit_file_write(tmp, jbuf_ptr(out), jbuf_len(out), mode,
	    0)) != 0)
		goto out;
	if ((r = ca_config_read(tmp, &c, errp)) != 0 ||
	    strcmp(c.ca_key[kind], value) != 0) {
		if (r == 0)
			r = JIT_ERR_INTERNAL;
		(void)unlink(tmp);
		goto out;
	}
	if (dry)
		(void)unlink(tmp);
	else if (rename(tmp, path) == -1) {
		r = JIT_ERR_SYSTEM;
		(void)unlink(tmp);
	}
 out:
	ca_config_free(&c);
	free(tmp);
	return r;
}

int
ca_config_set_key(const char *dir, int kind, const char *value, int dry)
{
	static const char *const kinds[CA_KEY_KINDS] = { "user", "host" };
	char *path = ca_path(dir, CA_CONFIG), *q = NULL;
	char *err = NULL;
	struct jbuf *in = NULL, *out = NULL;
	struct jyaml_node *root = NULL;
	const struct jyaml_node *ck = NULL, *cv = NULL, *kv = NULL;
	struct stat st;
	const char *text = "";
	size_t len = 0, at, end, i;
	mode_t mode = 0644;
	int r;

	if ((q = ca_yaml_quote(value)) == NULL || (out = jbuf_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if (stat(path, &st) == 0) {
		mode = st.st_mode & 0777;
		if ((r = jit_file_read(path, 65536, 0, &in)) != 0 ||
		    (r = jyaml_parse(path, jbuf_ptr(in), jbuf_len(in), &root,
		    &err)) != 0)
			goto out;
		text = (const char *)jbuf_ptr(in);
		len = jbuf_len(in);
		for (i = 0; root->type == JYAML_MAP && i + 1 < root->n; i += 2)
			if (strcmp(root->items[i]->value, "ca_key") == 0) {
				ck = root->items[i];
				cv = root->items[i + 1];
			}
		if (cv != NULL && (cv->type != JYAML_MAP || cv->line == ck->line)) {
			r = JIT_ERR_INVALID_FORMAT;
			if (asprintf(&err, "%s:%u: write ca_key: as a block "
			    "mapping (user: and host: on lines of their own) so "
			    "it can be updated", path, ck->line) == -1)
				err = NULL;
			goto out;
		}
		for (i = 0; cv != NULL && i + 1 < cv->n; i += 2)
			if (strcmp(cv->items[i]->value, kinds[kind]) == 0)
				kv = cv->items[i + 1];
	} else if (strcmp(value, "file") == 0) {
		r = 0;	/* the default already */
		goto out;
	}
	r = JIT_ERR_ALLOC;
	if (kv != NULL) {
		/* Replace the value, to the end of its line. */
		at = line_off(text, len, kv->line) + kv->col - 1;
		for (end = at; end < len && text[end] != '\n'; end++)
			;
		if (jbuf_put(out, text, at) != 0 || jbuf_put(out, q,
		    strlen(q)) != 0 || jbuf_put(out, text + end, len - end) != 0)
			goto out;
	} else if (cv != NULL) {
		/* A new entry under ca_key:, indented like the first. */
		at = line_off(text, len, ck->line + 1);
		if (jbuf_put(out, text, at) != 0 ||
		    putf(out, "%*s%s: %s\n", (int)cv->items[0]->col - 1, "",
		    kinds[kind], q) != 0 ||
		    jbuf_put(out, text + at, len - at) != 0)
			goto out;
	} else if (jbuf_put(out, text, len) != 0 ||
	    putf(out, "%sca_key:\n  %s: %s\n", len > 0 &&
	    text[len - 1] != '\n' ? "\n" : "", kinds[kind], q) != 0)
		goto out;
	r = replace_checked(path, out, mode, kind, value, dry, &err);
 out:
	if (r != 0)
		ca_error("updating ca_key: %s in %s: %s", kinds[kind], path,
		    err != NULL ? err : jit_strerror(r));
	jyaml_free(root);
	jbuf_free(in);
	jbuf_free(out);
	free(err);
	free(q);
	free(path);
	return r;
}
