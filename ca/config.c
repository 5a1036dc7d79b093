/*
 * config.c: DIR/config.yaml, the CA service's own settings, read with the
 * same strict YAML tree as the policy (jyaml).  Keys: listen (ADDR:PORT),
 * store (lmdb, or a PostgreSQL URL / conninfo shared by several CAs); and
 * opening the store it names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cadir.h"
#include "calog.h"
#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
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
	const char *at, *scheme;

	*whyp = NULL;
	if (strcmp(where, "lmdb") == 0)
		return 1;
	if (!jstore_is_url(where)) {
		*whyp = "store must be lmdb, a postgresql:// URL or a libpq "
		    "conninfo (host=... dbname=...)";
		return 0;
	}
	if (strstr(where, "password=") != NULL ||
	    strstr(where, "password%3") != NULL) {
		*whyp = "the store location must not hold a password: put it "
		    "in a 0600 passfile (passfile=FILE, $PGPASSFILE or "
		    "~/.pgpass)";
		return 0;
	}
	if ((scheme = strstr(where, "://")) != NULL &&
	    (at = strchr(scheme + 3, '@')) != NULL &&
	    memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) != NULL) {
		*whyp = "the store URL must not hold a password (user:password@): "
		    "put it in a 0600 passfile (passfile=FILE, $PGPASSFILE "
		    "or ~/.pgpass)";
		return 0;
	}
	return 1;
}

void
ca_config_free(struct ca_config *c)
{
	if (c == NULL)
		return;
	free(c->listen);
	free(c->store);
	memset(c, 0, sizeof(*c));
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
		slot = k->type != JYAML_SCALAR ? NULL :
		    strcmp(k->value, "listen") == 0 ? &c->listen :
		    strcmp(k->value, "store") == 0 ? &c->store : NULL;
		if (slot == NULL) {
			r = cerr(errp, path, k, "unknown key (the config has: "
			    "listen, store)");
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
	if ((c->listen == NULL &&
	    (c->listen = strdup("127.0.0.1:2222")) == NULL) ||
	    (c->store == NULL && (c->store = strdup("lmdb")) == NULL))
		r = JIT_ERR_ALLOC;
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
	struct ca_config c = { NULL, NULL };
	char *path = ca_path(dir, CA_STORE), *cfg = ca_path(dir, CA_CONFIG);
	const char *where = path;
	struct stat st;
	int r;

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
	if ((r = jstore_open(where, flags, 0, sp)) != 0) {
		if (where != path)
			ca_error("store %s: %s", where, jit_strerror(r));
		else if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode))
			ca_error("no CA at %s (%s): give the CA directory with "
			    "--dir DIR or $%s, or create one with `jit-ssh-ca "
			    "init --dir DIR`", dir, ca_dir_origin(dir),
			    CA_DIR_ENV);
		else
			ca_error("store %s: %s (is %s a CA directory? --dir DIR "
			    "or $%s names it)", path, jit_strerror(r), dir,
			    CA_DIR_ENV);
	}
 out:
	ca_config_free(&c);
	free(cfg);
	free(path);
	return r;
}
