/*
 * config.c: DIR/config.yaml, the CA service's own settings, read with the
 * same strict YAML tree as the policy (jyaml).  Keys: listen (ADDR:PORT).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cadir.h"
#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jyaml.h"

static int
cerr(char **errp, const char *name, const struct jyaml_node *n, const char *msg)
{
	if (errp != NULL && asprintf(errp, "%s:%u:%u: %s", name,
	    n != NULL ? n->line : 1, n != NULL ? n->col : 1, msg) == -1)
		*errp = NULL;
	return JIT_ERR_INVALID_FORMAT;
}

int
ca_config_read(const char *path, char **listenp, char **errp)
{
	struct jbuf *b = NULL;
	struct jyaml_node *root = NULL;
	const struct jyaml_node *k, *v;
	size_t i;
	int r;

	*listenp = NULL;
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
		if (k->type != JYAML_SCALAR || strcmp(k->value, "listen") != 0) {
			r = cerr(errp, path, k, "unknown key (the config has: "
			    "listen)");
			goto out;
		}
		if (v->type != JYAML_SCALAR || strchr(v->value, ':') == NULL ||
		    *listenp != NULL) {
			r = cerr(errp, path, v, "listen must be ADDR:PORT, once");
			goto out;
		}
		if ((*listenp = strdup(v->value)) == NULL) {
			r = JIT_ERR_ALLOC;
			goto out;
		}
	}
	if (*listenp == NULL && (*listenp = strdup("127.0.0.1:2222")) == NULL)
		r = JIT_ERR_ALLOC;
 out:
	if (r != 0) {
		free(*listenp);
		*listenp = NULL;
	}
	jyaml_free(root);
	jbuf_free(b);
	return r;
}

int
ca_config_listen(const char *dir, char **listenp)
{
	char *path = ca_path(dir, CA_CONFIG), *err = NULL;
	int r;

	if ((r = ca_config_read(path, listenp, &err)) != 0)
		fprintf(stderr, "%s\n", err != NULL ? err : jit_strerror(r));
	free(err);
	free(path);
	return r;
}
