/*
 * config.c: /etc/jit-ssh/host.yaml, one flat mapping, strict like the
 * other YAML files of jit-ssh (common/jyaml): unknown keys, repeated keys,
 * wrong types and control characters are refused with file:line:column.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jyaml.h"
#include "host.h"

enum kind { K_TEXT, K_CA, K_SIZE, K_BOOL, K_DURATION };

static const struct key {
	const char *name;
	enum kind kind;
	size_t off;
} keys[] = {
	{ "ca", K_CA, offsetof(struct host_config, ca) },
	{ "ca_host_key", K_TEXT, offsetof(struct host_config, ca_host_key) },
	{ "host_key", K_TEXT, offsetof(struct host_config, host_key) },
	{ "name", K_TEXT, offsetof(struct host_config, name) },
	{ "user_ca_keys", K_TEXT, offsetof(struct host_config, user_ca_keys) },
	{ "krl", K_TEXT, offsetof(struct host_config, krl) },
	{ "spool", K_TEXT, offsetof(struct host_config, spool) },
	{ "spool_max", K_SIZE, offsetof(struct host_config, spool_max) },
	{ "record_input", K_BOOL, offsetof(struct host_config, record_input) },
	{ "warn_before", K_DURATION, offsetof(struct host_config, warn_before) },
	{ "fail_open", K_BOOL, offsetof(struct host_config, fail_open) },
};

int
host_say(int ret, const char *fmt, ...)
{
	va_list ap;

	fputs("jit-ssh-host: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return ret;
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

void
host_config_free(struct host_config *cfg)
{
	free(cfg->path);
	free(cfg->ca);
	free(cfg->ca_host_key);
	free(cfg->host_key);
	free(cfg->name);
	free(cfg->user_ca_keys);
	free(cfg->krl);
	free(cfg->spool);
	memset(cfg, 0, sizeof(*cfg));
}

/* "512M", "2G", "100000" (bytes); 1K..1T. */
static int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end != '\0' && end[1] != '\0')
		return -1;
	switch (*end) {
	case '\0': break;
	case 'K': mul = 1ULL << 10; break;
	case 'M': mul = 1ULL << 20; break;
	case 'G': mul = 1ULL << 30; break;
	case 'T': mul = 1ULL << 40; break;
	default: return -1;
	}
	if (v == 0 || v > (1ULL << 40) / mul || v * mul < 1024)
		return -1;
	*out = v * mul;
	return 0;
}

static int
set_text(const char *path, const struct jyaml_node *v, const char *key,
    char **slot)
{
	const char *p;

	if (v->type != JYAML_SCALAR)
		return bad(path, v, "expected a string", key);
	if (*v->value == '\0' || v->len >= HOST_VALUE_MAX)
		return bad(path, v, "empty or too long", key);
	for (p = v->value; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return bad(path, v, "control character in value", key);
	if ((*slot = strdup(v->value)) == NULL)
		return bad(path, v, "out of memory", NULL);
	return 0;
}

/* ca: one HOST:PORT or a list, kept as "a:1,b:2" (the client's form). */
static int
set_ca(const char *path, const struct jyaml_node *v, char **slot)
{
	char list[HOST_VALUE_MAX];
	size_t i, o = 0;
	const struct jyaml_node *e;

	if (v->type == JYAML_SCALAR) {
		if (strpbrk(v->value, ", \t") != NULL)
			return bad(path, v, "one HOST:PORT, or a list", "ca");
		return set_text(path, v, "ca", slot);
	}
	if (v->type != JYAML_SEQ || v->n == 0)
		return bad(path, v, "one HOST:PORT, or a list of them", "ca");
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
	if ((*slot = strdup(list)) == NULL)
		return bad(path, v, "out of memory", NULL);
	return 0;
}

static int
set_value(const char *path, struct host_config *cfg, const struct key *k,
    const struct jyaml_node *v)
{
	char *at = (char *)cfg + k->off;

	if (k->kind == K_CA)
		return set_ca(path, v, (char **)(void *)at);
	if (k->kind == K_TEXT)
		return set_text(path, v, k->name, (char **)(void *)at);
	if (v->type != JYAML_SCALAR || !v->plain)
		return bad(path, v, "expected a plain value", k->name);
	if (k->kind == K_BOOL) {
		if (strcmp(v->value, "true") != 0 &&
		    strcmp(v->value, "false") != 0)
			return bad(path, v, "expected true or false", k->name);
		*(int *)(void *)at = strcmp(v->value, "true") == 0;
	} else if (k->kind == K_SIZE) {
		if (parse_size(v->value, (uint64_t *)(void *)at) != 0)
			return bad(path, v, "expected a size from 1K to 1T "
			    "(bytes, or with K, M, G or T)", k->name);
	} else if (jit_parse_duration(v->value, (uint64_t *)(void *)at) != 0)
		return bad(path, v, "expected a duration (90s, 5m, 1h)",
		    k->name);
	return 0;
}

static int
defaults(struct host_config *cfg)
{
	if ((cfg->user_ca_keys == NULL && (cfg->user_ca_keys =
	    strdup("/etc/ssh/jit-ssh-user-ca.pub")) == NULL) ||
	    (cfg->krl == NULL && (cfg->krl =
	    strdup("/etc/ssh/jit-ssh-revoked.krl")) == NULL) ||
	    (cfg->spool == NULL && (cfg->spool =
	    strdup("/var/spool/jit-ssh")) == NULL))
		return -1;
	if (cfg->spool_max == 0)
		cfg->spool_max = 1ULL << 30;
	return 0;
}

int
host_config_parse(const char *path, const unsigned char *text, size_t len,
    struct host_config *cfg)
{
	struct jyaml_node *root = NULL;
	unsigned char seen[sizeof(keys) / sizeof(keys[0])];
	char *err = NULL;
	size_t i, k;
	int rc = -1;

	memset(seen, 0, sizeof(seen));
	cfg->warn_before = 60;
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
		const struct jyaml_node *kn = root->items[i];

		for (k = 0; kn->type == JYAML_SCALAR &&
		    k < sizeof(keys) / sizeof(keys[0]); k++)
			if (strcmp(keys[k].name, kn->value) == 0)
				break;
		if (kn->type != JYAML_SCALAR ||
		    k == sizeof(keys) / sizeof(keys[0])) {
			bad(path, kn, "unknown key (expected ca, ca_host_key, "
			    "host_key, name, user_ca_keys, krl, spool, "
			    "spool_max, record_input, warn_before or fail_open)",
			    kn->type == JYAML_SCALAR ? kn->value : NULL);
			goto out;
		}
		if (seen[k]++) {
			bad(path, kn, "key given twice", kn->value);
			goto out;
		}
		if (set_value(path, cfg, &keys[k], root->items[i + 1]) != 0)
			goto out;
	}
	if (defaults(cfg) != 0) {
		bad(path, NULL, "out of memory", NULL);
		goto out;
	}
	rc = 0;
 out:
	jyaml_free(root);
	return rc;
}

/*
 * Reads path through one descriptor: a regular file (no symlink), not
 * writable by group or others, owned by root, or, unless set-user-ID, by
 * the caller.  JIT_ERR_* on failure.
 */
static int
read_config(const char *path, struct jbuf **outp)
{
	struct stat st;
	struct jbuf *b = NULL;
	unsigned char buf[4096];
	ssize_t n;
	int fd, r = 0, setuid_ = getuid() != geteuid();

	*outp = NULL;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? JIT_ERR_NOT_FOUND : JIT_ERR_SYSTEM;
	if (fstat(fd, &st) != 0)
		r = JIT_ERR_SYSTEM;
	else if (!S_ISREG(st.st_mode) || st.st_size > HOST_CONFIG_MAX)
		r = JIT_ERR_INVALID_FORMAT;
	else if ((st.st_mode & 022) != 0 || (st.st_uid != 0 &&
	    (setuid_ || st.st_uid != getuid())))
		r = JIT_ERR_BAD_PERMISSIONS;
	else if ((b = jbuf_new()) == NULL)
		r = JIT_ERR_ALLOC;
	while (r == 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = JIT_ERR_SYSTEM;
		else if (jbuf_len(b) + (size_t)n > HOST_CONFIG_MAX)
			r = JIT_ERR_FILE_TOO_LARGE;
		else
			r = jbuf_put(b, buf, (size_t)n);
	}
	close(fd);
	if (r != 0)
		jbuf_free(b);
	else
		*outp = b;
	return r;
}

int
host_config_load(const char *path, struct host_config *cfg)
{
	struct jbuf *b = NULL;
	const char *env;
	int r, rc = -1, explicit = 1;

	memset(cfg, 0, sizeof(*cfg));
	/* Set-user-ID, the environment is the caller's: not read. */
	if (path == NULL && (env = secure_getenv("JIT_SSH_HOST_CONFIG")) != NULL &&
	    *env != '\0')
		path = env;
	if (path == NULL) {
		path = HOST_CONFIG_DEFAULT;
		explicit = 0;
	}
	r = read_config(path, &b);
	if (r == JIT_ERR_NOT_FOUND && !explicit) {
		cfg->warn_before = 60;
		rc = defaults(cfg);
	} else if (r == JIT_ERR_BAD_PERMISSIONS)
		host_say(-1, "%s: others could change it: it "
		    "must be root's%s and not writable by group or others",
		    path, getuid() != geteuid() ? "" : " (or yours)");
	else if (r != 0)
		host_say(-1, "%s: %s", path, jit_strerror(r));
	else if ((cfg->path = strdup(path)) != NULL)
		rc = host_config_parse(path, jbuf_ptr(b), jbuf_len(b), cfg);
	jbuf_free(b);
	if (rc != 0)
		host_config_free(cfg);
	return rc;
}
