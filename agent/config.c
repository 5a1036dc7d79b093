/*
 * config.c: the client's YAML configuration, one flat mapping of scalars
 * (ca, user, identity, ca_host_key).  The only user of <yaml.h> in agent/;
 * the policy's YAML reader lives in policy/, which the client may not use.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "jit-err.h"
#include "jit-util.h"
#include "jbuf.h"
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
bad(const char *path, const yaml_mark_t *m, const char *msg, const char *arg)
{
	fprintf(stderr, "%s:%zu:%zu: %s%s%s\n", path, m->line + 1,
	    m->column + 1, msg, arg != NULL ? ": " : "", arg != NULL ? arg : "");
	return -1;
}

/* One key's value: checked and stored. */
static int
set_value(const char *path, struct js_config *cfg, const char *key,
    const yaml_mark_t *km, const char *val, const yaml_mark_t *m)
{
	char **slot;
	const char *p;

	if (strcmp(key, "ca") == 0)
		slot = &cfg->ca;
	else if (strcmp(key, "user") == 0)
		slot = &cfg->user;
	else if (strcmp(key, "identity") == 0)
		slot = &cfg->identity;
	else if (strcmp(key, "ca_host_key") == 0)
		slot = &cfg->ca_host_key;
	else
		return bad(path, km, "unknown key (expected ca, user, identity "
		    "or ca_host_key)", key);
	if (*slot != NULL)
		return bad(path, km, "key given twice", key);
	if (*val == '\0')
		return bad(path, m, "empty value", key);
	for (p = val; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20)
			return bad(path, m, "control character in value", key);
	if (slot == &cfg->identity)
		*slot = js_expand_home(val);
	else
		*slot = strdup(val);
	if (*slot == NULL)
		return bad(path, m, "out of memory", NULL);
	return 0;
}

int
js_config_parse(const char *path, const unsigned char *text, size_t len,
    struct js_config *cfg)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	char *key = NULL;
	yaml_mark_t km = { 0 };
	int depth = 0, rc = -1, done = 0, docs = 0;

	if (!yaml_parser_initialize(&parser))
		return bad(path, &(yaml_mark_t){ 0 }, "out of memory", NULL);
	yaml_parser_set_input_string(&parser, text, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			bad(path, &parser.problem_mark, parser.problem != NULL ?
			    parser.problem : "invalid YAML", NULL);
			goto out;
		}
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				bad(path, &ev.start_mark, "only one document "
				    "allowed", NULL);
				goto fail;
			}
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_MAPPING_START_EVENT:
			if (depth++ == 0)
				break;
			bad(path, &ev.start_mark, "values must be plain "
			    "strings", key);
			goto fail;
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_SCALAR_EVENT:
			if (depth == 0) {
				/* An empty document is a scalar "" at most. */
				if (ev.data.scalar.length == 0)
					break;
				bad(path, &ev.start_mark, "expected a mapping "
				    "of settings", NULL);
				goto fail;
			}
			if (ev.data.scalar.length >= JS_VALUE_MAX) {
				bad(path, &ev.start_mark, "value too long",
				    key);
				goto fail;
			}
			if (key == NULL) {
				if ((key = strdup((char *)ev.data.scalar.value))
				    == NULL)
					goto fail;
				km = ev.start_mark;
				break;
			}
			if (set_value(path, cfg, key, &km,
			    (char *)ev.data.scalar.value, &ev.start_mark) != 0)
				goto fail;
			free(key);
			key = NULL;
			break;
		default:	/* sequences, aliases */
			bad(path, &ev.start_mark, key != NULL ?
			    "values must be plain strings" :
			    "expected a mapping of settings", key);
			goto fail;
		}
		yaml_event_delete(&ev);
	}
	rc = 0;
	goto out;
 fail:
	yaml_event_delete(&ev);
 out:
	free(key);
	yaml_parser_delete(&parser);
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
