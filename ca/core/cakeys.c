/*
 * cakeys.c: the CA keys, file or token, and the ones a rotation publishes
 * (cakeys.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cadir.h"
#include "cakeys.h"
#include "calog.h"
#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"
#include "jp11.h"

static const char *const gen_ext[CA_GENS] = { "", ".next", ".old" };

const char *
ca_key_base(int kind)
{
	return kind == CA_KEY_HOST ? CA_HOST_KEY : CA_USER_KEY;
}

const char *
ca_key_kind_name(int kind)
{
	return kind == CA_KEY_HOST ? "host" : "user";
}

int
ca_parse_key_type(const char *s, enum jkey_type *type)
{
	if (strcmp(s, "ed25519") == 0)
		*type = JKEY_ED25519;
	else if (strcmp(s, "ecdsa") == 0)
		*type = JKEY_ECDSA_P256;
	else if (strcmp(s, "rsa") == 0)
		*type = JKEY_RSA;
	else
		return -1;
	return 0;
}

const char *
ca_key_comment(int kind, int gen)
{
	static const char *const c[CA_KEY_KINDS][CA_GENS] = {
		{ "jit-ssh user CA", "jit-ssh user CA (next)",
		  "jit-ssh user CA (retiring)" },
		{ "jit-ssh host CA", "jit-ssh host CA (next)",
		  "jit-ssh host CA (retiring)" },
	};

	return c[kind == CA_KEY_HOST][gen];
}

char *
ca_pub_lines(const char *dir, int kind, const char *prefix)
{
	struct ca_pubs p;
	struct jbuf *b = NULL;
	char *line = NULL, *out = NULL;
	int g, r;

	if (ca_pubs_load(dir, kind, &p) != 0)
		return NULL;
	if ((b = jbuf_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	for (g = 0; g < CA_GENS; g++) {
		if (p.k[g] == NULL)
			continue;
		if ((r = jkey_format_line(p.k[g], ca_key_comment(kind, g),
		    &line)) != 0 ||
		    (r = jbuf_put(b, prefix, strlen(prefix))) != 0 ||
		    (r = jbuf_put(b, line, strlen(line))) != 0 ||
		    (r = jbuf_put(b, "\n", 1)) != 0)
			goto out;
		free(line);
		line = NULL;
	}
	if ((r = jbuf_put_u8(b, 0)) == 0 &&
	    (out = strdup((const char *)jbuf_ptr(b))) == NULL)
		r = JIT_ERR_ALLOC;
 out:
	if (out == NULL)
		ca_error("the %s CA keys: %s", ca_key_kind_name(kind),
		    jit_strerror(r));
	free(line);
	jbuf_free(b);
	ca_pubs_free(&p);
	return out;
}

char *
ca_key_path(const char *dir, int kind, int gen, const char *ext)
{
	char *name, *p;

	if (asprintf(&name, "%s%s%s", ca_key_base(kind), gen_ext[gen],
	    ext != NULL ? ext : "") == -1) {
		ca_error("out of memory");
		exit(CA_EXIT_FAIL);
	}
	p = ca_path(dir, name);
	free(name);
	return p;
}

/* The token URI of the next key, from DIR/..next.uri. */
static char *
next_uri(const char *dir, int kind)
{
	char *path = ca_key_path(dir, kind, CA_GEN_NEXT, ".uri"), *u = NULL;
	struct jbuf *b = NULL;
	const char *p, *nl;

	/* The first line; the buffer is not NUL-terminated. */
	if (jit_file_read(path, 4096, 0, &b) == 0) {
		p = (const char *)jbuf_ptr(b);
		nl = memchr(p, '\n', jbuf_len(b));
		u = strndup(p, nl != NULL ? (size_t)(nl - p) : jbuf_len(b));
	}
	jbuf_free(b);
	free(path);
	return u;
}

int
ca_signer_open(const char *dir, int kind, int gen, struct ca_signer *s)
{
	struct ca_config c;
	struct jkey *pub = NULL;
	char *pubpath = ca_key_path(dir, kind, gen, ".pub"), *err = NULL;
	char *uri = NULL;
	int r;

	memset(s, 0, sizeof(*s));
	memset(&c, 0, sizeof(c));
	if ((r = ca_config_get(dir, &c)) != 0)
		goto out;
	if (gen == CA_GEN_NEXT) {
		uri = next_uri(dir, kind);
	} else if (jp11_is_uri(c.ca_key[kind]) &&
	    (uri = strdup(c.ca_key[kind])) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if (uri != NULL) {
		s->where = uri;
		uri = NULL;
		if ((r = jp11_open(c.pkcs11_module, s->where, &s->token,
		    &err)) != 0) {
			ca_error("the %s CA key: %s", ca_key_kind_name(kind),
			    err != NULL ? err : jit_strerror(r));
			goto out;
		}
		s->key = jp11_key(s->token);
	} else {
		s->where = ca_key_path(dir, kind, gen, NULL);
		if ((r = jkey_load_private(s->where, &s->file_key, NULL)) != 0) {
			ca_error("%s: %s", s->where, jit_strerror(r));
			goto out;
		}
		s->key = s->file_key;
	}
	if ((r = jkey_load_public(pubpath, &pub, NULL)) != 0) {
		ca_error("%s: %s", pubpath, jit_strerror(r));
		goto out;
	}
	if (!jkey_equal_public(pub, s->key)) {
		ca_error("%s is not the public half of %s: the %s CA key is not "
		    "the one published", pubpath, s->where,
		    ca_key_kind_name(kind));
		r = JIT_ERR_KEY_TYPE_MISMATCH;
	}
 out:
	if (r != 0)
		ca_signer_close(s);
	jkey_free(pub);
	ca_config_free(&c);
	free(pubpath);
	free(uri);
	free(err);
	return r;
}

void
ca_signer_close(struct ca_signer *s)
{
	jkey_free(s->file_key);
	jp11_close(s->token);
	free(s->where);
	memset(s, 0, sizeof(*s));
}

int
ca_token_key(const char *module, const char *uri, enum jkey_type type,
    struct jp11 **tp)
{
	char *err = NULL;
	int r;

	if ((r = jp11_open(module, uri, tp, &err)) == JIT_ERR_NOT_FOUND) {
		free(err);
		err = NULL;
		if ((r = jp11_generate(module, uri, type, 0, tp, &err)) == 0)
			fprintf(stderr, "generated a %s key on the token: %s\n",
			    jkey_type_name(type), uri);
	} else if (r == 0)
		fprintf(stderr, "using the %s key on the token: %s\n",
		    jkey_type_name(jkey_type(jp11_key(*tp))), uri);
	if (r != 0)
		ca_error("%s", err != NULL ? err : jit_strerror(r));
	free(err);
	return r;
}

int
ca_write_pub(const char *path, const struct jkey *k, const char *comment,
    int replace)
{
	char *line = NULL, *text = NULL;
	int r;

	if ((r = jkey_format_line(k, comment, &line)) == 0 &&
	    asprintf(&text, "%s\n", line) == -1) {
		text = NULL;
		r = JIT_ERR_ALLOC;
	}
	if (r == 0)
		r = jit_file_write(path, text, strlen(text), 0644, replace);
	if (r != 0)
		ca_error("writing %s: %s", path, jit_strerror(r));
	free(line);
	free(text);
	return r;
}

int
ca_pubs_load(const char *dir, int kind, struct ca_pubs *p)
{
	struct stat st;
	char *path;
	int g, r = 0;

	memset(p, 0, sizeof(*p));
	for (g = 0; g < CA_GENS && r == 0; g++) {
		path = ca_key_path(dir, kind, g, ".pub");
		if (g == CA_GEN_ACTIVE || stat(path, &st) == 0)
			if ((r = jkey_load_public(path, &p->k[g], NULL)) != 0)
				ca_error("%s: %s", path, jit_strerror(r));
		free(path);
	}
	if (r != 0)
		ca_pubs_free(p);
	return r;
}

void
ca_pubs_free(struct ca_pubs *p)
{
	int g;

	for (g = 0; g < CA_GENS; g++) {
		jkey_free(p->k[g]);
		p->k[g] = NULL;
	}
}

size_t
ca_pubs_list(const struct ca_pubs *p, const struct jkey *out[CA_GENS])
{
	size_t n = 0;
	int g;

	for (g = 0; g < CA_GENS; g++)
		if (p->k[g] != NULL)
			out[n++] = p->k[g];
	return n;
}
