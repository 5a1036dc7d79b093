/*
 * config.c: the client's YAML configuration, one flat mapping of scalars
 * (ca, user, identity, ca_host_key), read with the one strict YAML tree
 * of jit-ssh (common/jyaml, which the policy uses too).
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jit-err.h"
#include "jit-util.h"
#include "jbuf.h"
#include "jyaml.h"
#include "jitssh.h"

char *
js_concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *out;

	if ((out = malloc(la + lb + 1)) == NULL)
		return NULL;
	memcpy(out, a, la);
	memcpy(out + la, b, lb + 1);
	return out;
}

char *
js_expand_home(const char *path)
{
	const char *home;

	if (path[0] != '~' || (path[1] != '\0' && path[1] != '/'))
		return strdup(path);
	if ((home = getenv("HOME")) == NULL || *home == '\0') {
		struct passwd *pw = getpwuid(getuid());

		if (pw == NULL)
			return NULL;
		home = pw->pw_dir;
	}
	return js_concat(home, path + 1);
}

void
js_config_free(struct js_config *cfg)
{
	free(cfg->path);
	free(cfg->target);
	free(cfg->ca);
	free(cfg->user);
	free(cfg->identity);
	free(cfg->ca_host_key);
	memset(cfg, 0, sizeof(*cfg));
}

static int
bad(const char *path, const struct jyaml_node *n, const char *msg,
    const char *arg)
{
	fprintf(stderr, "%s:%u:%u: %s%s%s\n", path, n != NULL ? n->line : 1,
	    n != NULL ? n->col : 1, msg, arg != NULL ? ": " : "",
	    arg != NULL ? arg : "");
	return -1;
}

/*
 * ca: [ca1:2222, ca2:2222]: CAs sharing one store, tried in order; kept
 * as "ca1:2222,ca2:2222", the form --ca takes.
 */
static int
set_ca_list(const char *path, struct js_config *cfg, const struct jyaml_node *v)
{
	char list[JS_VALUE_MAX];
	size_t i, o = 0;
	const struct jyaml_node *e;

	if (v->n == 0)
		return bad(path, v, "empty list", "ca");
	list[0] = '\0';
	for (i = 0; i < v->n; i++) {
		e = v->items[i];
		if (e->type != JYAML_SCALAR || *e->value == '\0' ||
		    strpbrk(e->value, ", \t") != NULL)
			return bad(path, e, "each CA is one HOST:PORT", "ca");
		if (o + e->len + 2 > sizeof(list))
			return bad(path, e, "value too long", "ca");
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
		    i > 0 ? "," : "", e->value);
	}
	if ((cfg->ca = strdup(list)) == NULL)
		return bad(path, v, "out of memory", NULL);
	return 0;
}

/* One key's value: checked and stored. */
static int
set_value(const char *path, struct js_config *cfg, const struct jyaml_node *k,
    const struct jyaml_node *v)
{
	const char *key = k->value, *p;
	char **slot;

	if (strcmp(key, "ca") == 0)
		slot = &cfg->ca;
	else if (strcmp(key, "user") == 0)
		slot = &cfg->user;
	else if (strcmp(key, "identity") == 0)
		slot = &cfg->identity;
	else if (strcmp(key, "ca_host_key") == 0)
		slot = &cfg->ca_host_key;
	else
		return bad(path, k, "unknown key (expected ca, user, identity "
		    "or ca_host_key)", key);
	if (*slot != NULL)
		return bad(path, k, "key given twice", key);
	if (slot == &cfg->ca && v->type == JYAML_SEQ)
		return set_ca_list(path, cfg, v);
	if (v->type != JYAML_SCALAR)
		return bad(path, v, "values must be plain strings", key);
	if (v->len >= JS_VALUE_MAX)
		return bad(path, v, "value too long", key);
	if (*v->value == '\0')
		return bad(path, v, "empty value", key);
	for (p = v->value; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20)
			return bad(path, v, "control character in value", key);
	*slot = slot == &cfg->identity ? js_expand_home(v->value) :
	    strdup(v->value);
	if (*slot == NULL)
		return bad(path, v, "out of memory", NULL);
	return 0;
}

/* The one strict YAML reader (common/jyaml), a flat mapping of strings. */
int
js_config_parse(const char *path, const unsigned char *text, size_t len,
    struct js_config *cfg)
{
	struct jyaml_node *root = NULL;
	char *err = NULL;
	size_t i;
	int rc = -1;

	if (jyaml_parse(path, text, len, &root, &err) != 0) {
		fprintf(stderr, "%s\n", err != NULL ? err : "invalid YAML");
		free(err);
		return -1;
	}
	if (root->type != JYAML_MAP) {
		bad(path, root, "expected a mapping of settings", NULL);
		goto out;
	}
	for (i = 0; i + 1 < root->n; i += 2) {
		if (root->items[i]->type != JYAML_SCALAR) {
			bad(path, root->items[i], "expected a mapping of settings",
			    NULL);
			goto out;
		}
		if (set_value(path, cfg, root->items[i], root->items[i + 1]) != 0)
			goto out;
	}
	rc = 0;
 out:
	jyaml_free(root);
	return rc;
}

int
js_config_load(const char *path, int missing_ok, struct js_config *cfg)
{
	struct jbuf *b = NULL;
	const char *env;
	char *def = NULL;
	int r, rc = -1, explicit = 1;

	memset(cfg, 0, sizeof(*cfg));
	if (path == NULL && (env = getenv("JIT_SSH_CONFIG")) != NULL &&
	    *env != '\0')
		path = env;
	if (path == NULL) {
		if ((def = js_expand_home("~/.config/jit-ssh/config.yaml")) ==
		    NULL)
			return -1;
		path = def;
		explicit = 0;
	}
	if ((cfg->target = strdup(path)) == NULL) {
		free(def);
		return -1;
	}
	r = jit_file_read(path, JS_CONFIG_MAX, JIT_FILE_TRUSTED, &b);
	if (r == JIT_ERR_NOT_FOUND && (!explicit || missing_ok))
		rc = 0;		/* no file: defaults and flags */
	else if (r == JIT_ERR_BAD_PERMISSIONS)
		fprintf(stderr, "jit-ssh: %s: others could change it (it names "
		    "the CA and its key): it must be yours and not writable by "
		    "group or others (chmod go-w %s)\n", path, path);
	else if (r != 0)
		fprintf(stderr, "jit-ssh: %s: %s\n", path, jit_strerror(r));
	else if ((cfg->path = strdup(path)) != NULL)
		rc = js_config_parse(path, jbuf_ptr(b), jbuf_len(b), cfg);
	jbuf_free(b);
	free(def);
	if (rc != 0)
		js_config_free(cfg);
	return rc;
}
