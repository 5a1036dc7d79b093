/* cert.c: OpenSSH v01 certificates.  See jcert.h and PROTOCOL.certkeys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jbuf.h"
#include "jcert.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"

#define CERT_SUFFIX	"-cert-v01@openssh.com"
#define NONCE_LEN	32
#define NONCE_MAX	1024

struct jcert_opt {
	char *name;
	unsigned char *data;	/* raw option data as on the wire */
	size_t data_len;
	char *value;		/* data decoded as one string, or NULL */
};

struct jcert_opts {
	struct jcert_opt *v;
	size_t n;
};

struct jcert {
	struct jkey *key;
	uint64_t serial;
	uint32_t type;
	char *key_id;
	char **principals;
	size_t nprincipals;
	uint64_t valid_after, valid_before;
	struct jcert_opts crit, ext;
	struct jkey *signature_key;
	char *type_name;
	unsigned char *blob;	/* encoded certificate, once signed/parsed */
	size_t blob_len;
	size_t signed_len;	/* bytes covered by the signature */
	const unsigned char *sig;	/* signature blob, inside blob */
	size_t sig_len;
	char *sig_alg;		/* algorithm named in the signature */
};

struct jcert *
jcert_new(void)
{
	struct jcert *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->type = JCERT_TYPE_USER;
	return c;
}

static void
opts_free(struct jcert_opts *o)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		free(o->v[i].name);
		free(o->v[i].data);
		free(o->v[i].value);
	}
	free(o->v);
	o->v = NULL;
	o->n = 0;
}

void
jcert_free(struct jcert *c)
{
	size_t i;

	if (c == NULL)
		return;
	jkey_free(c->key);
	jkey_free(c->signature_key);
	free(c->key_id);
	for (i = 0; i < c->nprincipals; i++)
		free(c->principals[i]);
	free(c->principals);
	opts_free(&c->crit);
	opts_free(&c->ext);
	free(c->type_name);
	free(c->sig_alg);
	free(c->blob);
	free(c);
}

/* Principals and option names: visible ASCII/UTF-8, no spaces or commas. */
static int
name_ok(const char *s, size_t len, int allow_comma)
{
	size_t i;

	if (len == 0 || len > JCERT_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= 0x20 || ch == 0x7f || (ch == ',' && !allow_comma))
			return 0;
	}
	return 1;
}

/* Key ids and option values: printable text, no control characters. */
static int
text_ok(const char *s, size_t len, size_t max)
{
	size_t i;

	if (len > max)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f)
			return 0;
	}
	return 1;
}

int
jcert_set_key(struct jcert *c, const struct jkey *k)
{
	struct jkey *pub = NULL;
	int r;

	if (c == NULL || k == NULL || c->blob != NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((r = jkey_demote(k, &pub)) != 0)
		return r;
	jkey_free(c->key);
	c->key = pub;
	return 0;
}

int
jcert_set_serial(struct jcert *c, uint64_t serial)
{
	if (c == NULL || c->blob != NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	c->serial = serial;
	return 0;
}

int
jcert_set_type(struct jcert *c, uint32_t type)
{
	if (c == NULL || c->blob != NULL ||
	    (type != JCERT_TYPE_USER && type != JCERT_TYPE_HOST))
		return JIT_ERR_INVALID_ARGUMENT;
	c->type = type;
	return 0;
}

int
jcert_set_key_id(struct jcert *c, const char *key_id)
{
	char *s;

	if (c == NULL || key_id == NULL || c->blob != NULL ||
	    !text_ok(key_id, strlen(key_id), JCERT_KEY_ID_MAX))
		return JIT_ERR_INVALID_ARGUMENT;
	if ((s = strdup(key_id)) == NULL)
		return JIT_ERR_ALLOC;
	free(c->key_id);
	c->key_id = s;
	return 0;
}

int
jcert_set_validity(struct jcert *c, uint64_t valid_after, uint64_t valid_before)
{
	if (c == NULL || c->blob != NULL || valid_after >= valid_before)
		return JIT_ERR_INVALID_ARGUMENT;
	c->valid_after = valid_after;
	c->valid_before = valid_before;
	return 0;
}

static int
principal_add(struct jcert *c, const char *p, size_t len)
{
	char **n, *s;
	size_t i;

	if (!name_ok(p, len, 0))
		return JIT_ERR_INVALID_FORMAT;
	for (i = 0; i < c->nprincipals; i++)
		if (strlen(c->principals[i]) == len &&
		    memcmp(c->principals[i], p, len) == 0)
			return JIT_ERR_OPTION_DUPLICATE;
	if (c->nprincipals >= JCERT_PRINCIPALS_MAX)
		return JIT_ERR_NO_BUFFER_SPACE;
	if ((s = strndup(p, len)) == NULL)
		return JIT_ERR_ALLOC;
	n = realloc(c->principals, (c->nprincipals + 1) * sizeof(*n));
	if (n == NULL) {
		free(s);
		return JIT_ERR_ALLOC;
	}
	n[c->nprincipals++] = s;
	c->principals = n;
	return 0;
}

int
jcert_add_principal(struct jcert *c, const char *principal)
{
	if (c == NULL || principal == NULL || c->blob != NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	return principal_add(c, principal, strlen(principal));
}

/* Adds an option; takes ownership of data (and value) on success only. */
static int
opt_add(struct jcert_opts *o, const char *name, size_t name_len,
    unsigned char *data, size_t data_len, char *value)
{
	struct jcert_opt *n;
	char *s;
	size_t i;

	if (!name_ok(name, name_len, 0))
		return JIT_ERR_INVALID_FORMAT;
	for (i = 0; i < o->n; i++)
		if (strlen(o->v[i].name) == name_len &&
		    memcmp(o->v[i].name, name, name_len) == 0)
			return JIT_ERR_OPTION_DUPLICATE;
	if (o->n >= JCERT_OPTIONS_MAX)
		return JIT_ERR_NO_BUFFER_SPACE;
	if ((s = strndup(name, name_len)) == NULL)
		return JIT_ERR_ALLOC;
	if ((n = realloc(o->v, (o->n + 1) * sizeof(*n))) == NULL) {
		free(s);
		return JIT_ERR_ALLOC;
	}
	o->v = n;
	o->v[o->n].name = s;
	o->v[o->n].data = data;
	o->v[o->n].data_len = data_len;
	o->v[o->n].value = value;
	o->n++;
	return 0;
}

int
jcert_add_critical(struct jcert *c, const char *name, const char *value)
{
	struct jbuf *b = NULL;
	unsigned char *data = NULL;
	char *v = NULL;
	size_t len;
	int r;

	if (c == NULL || name == NULL || value == NULL || c->blob != NULL ||
	    !text_ok(value, strlen(value), JCERT_VALUE_MAX))
		return JIT_ERR_INVALID_ARGUMENT;
	if ((b = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jbuf_put_cstring(b, value)) != 0)
		goto out;
	len = jbuf_len(b);
	if ((data = malloc(len)) == NULL || (v = strdup(value)) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	memcpy(data, jbuf_ptr(b), len);
	if ((r = opt_add(&c->crit, name, strlen(name), data, len, v)) != 0)
		goto out;
	data = NULL;
	v = NULL;
 out:
	free(data);
	free(v);
	jbuf_free(b);
	return r;
}

int
jcert_add_extension(struct jcert *c, const char *name)
{
	if (c == NULL || name == NULL || c->blob != NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	return opt_add(&c->ext, name, strlen(name), NULL, 0, NULL);
}

static int
opt_cmp(const void *a, const void *b)
{
	return strcmp(((const struct jcert_opt *)a)->name,
	    ((const struct jcert_opt *)b)->name);
}

static int
put_opts(struct jbuf *out, struct jcert_opts *o)
{
	struct jbuf *b = NULL;
	size_t i;
	int r = 0;

	if (o->n > 0)
		qsort(o->v, o->n, sizeof(*o->v), opt_cmp);
	if ((b = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	for (i = 0; i < o->n; i++) {
		if ((r = jbuf_put_cstring(b, o->v[i].name)) != 0 ||
		    (r = jbuf_put_string(b, o->v[i].data, o->v[i].data_len)) != 0)
			goto out;
	}
	r = jbuf_put_stringb(out, b);
 out:
	jbuf_free(b);
	return r;
}

static int
make_type_name(struct jcert *c)
{
	const char *base = jkey_type_name(jkey_type(c->key));

	if (base == NULL)
		return JIT_ERR_KEY_TYPE_UNKNOWN;
	free(c->type_name);
	if (asprintf(&c->type_name, "%s%s", base, CERT_SUFFIX) == -1) {
		c->type_name = NULL;
		return JIT_ERR_ALLOC;
	}
	return 0;
}

/* Takes the encoding from b and remembers where the signature lies. */
static int
keep_blob(struct jcert *c, const struct jbuf *b, size_t signed_len)
{
	struct jbuf *tail = NULL;
	const unsigned char *sig;
	size_t sig_len;
	int r;

	if ((c->blob = malloc(jbuf_len(b))) == NULL)
		return JIT_ERR_ALLOC;
	c->blob_len = jbuf_len(b);
	memcpy(c->blob, jbuf_ptr(b), c->blob_len);
	c->signed_len = signed_len;
	if ((tail = jbuf_from(c->blob + signed_len,
	    c->blob_len - signed_len)) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = jbuf_get_string_direct(tail, &sig, &sig_len)) != 0 ||
	    (r = jbuf_expect_end(tail)) != 0)
		goto out;
	jbuf_free(tail);
	if ((tail = jbuf_from(sig, sig_len)) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	free(c->sig_alg);
	if ((r = jbuf_get_cstring(tail, &c->sig_alg, NULL)) != 0)
		goto out;
	c->sig = sig;
	c->sig_len = sig_len;
	r = 0;
 out:
	if (r != 0) {
		free(c->blob);
		c->blob = NULL;
		c->blob_len = 0;
	}
	jbuf_free(tail);
	return r;
}

int
jcert_sign(struct jcert *c, const struct jkey *ca)
{
	unsigned char nonce[NONCE_LEN];
	struct jbuf *b = NULL, *pr = NULL, *sig = NULL;
	struct jkey *capub = NULL;
	size_t i, signed_len;
	int r = JIT_ERR_INTERNAL;

	if (c == NULL || ca == NULL || c->blob != NULL || c->key == NULL ||
	    !jkey_is_private(ca) || c->valid_after >= c->valid_before)
		return JIT_ERR_INVALID_ARGUMENT;
	if (c->nprincipals == 0)
		return JIT_ERR_PRINCIPALS_EMPTY;
	if ((r = make_type_name(c)) != 0 || (r = jkey_demote(ca, &capub)) != 0)
		goto out;
	if ((r = jit_random(nonce, sizeof(nonce))) != 0)
		goto out;
	if ((b = jbuf_new()) == NULL || (pr = jbuf_new()) == NULL ||
	    (sig = jbuf_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < c->nprincipals; i++)
		if ((r = jbuf_put_cstring(pr, c->principals[i])) != 0)
			goto out;
	if ((r = jbuf_put_cstring(b, c->type_name)) != 0 ||
	    (r = jbuf_put_string(b, nonce, sizeof(nonce))) != 0 ||
	    (r = jkey_put_public_fields(c->key, b)) != 0 ||
	    (r = jbuf_put_u64(b, c->serial)) != 0 ||
	    (r = jbuf_put_u32(b, c->type)) != 0 ||
	    (r = jbuf_put_cstring(b, c->key_id != NULL ? c->key_id : "")) != 0 ||
	    (r = jbuf_put_stringb(b, pr)) != 0 ||
	    (r = jbuf_put_u64(b, c->valid_after)) != 0 ||
	    (r = jbuf_put_u64(b, c->valid_before)) != 0 ||
	    (r = put_opts(b, &c->crit)) != 0 ||
	    (r = put_opts(b, &c->ext)) != 0 ||
	    (r = jbuf_put_string(b, NULL, 0)) != 0)
		goto out;
	/* The signature key is a string holding the CA's public key blob. */
	if ((r = jkey_put_public(capub, sig)) != 0 ||
	    (r = jbuf_put_stringb(b, sig)) != 0)
		goto out;
	signed_len = jbuf_len(b);
	jbuf_reset(sig);
	if ((r = jkey_sign(ca, jbuf_ptr(b), signed_len, sig)) != 0 ||
	    (r = jbuf_put_stringb(b, sig)) != 0)
		goto out;
	if ((r = keep_blob(c, b, signed_len)) != 0)
		goto out;
	if (c->key_id == NULL && (c->key_id = strdup("")) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	c->signature_key = capub;
	capub = NULL;
	r = 0;
 out:
	if (r != 0 && c->blob != NULL) {
		free(c->blob);
		c->blob = NULL;
	}
	jkey_free(capub);
	jbuf_free(b);
	jbuf_free(pr);
	jbuf_free(sig);
	return r;
}

/*
 * Reads an options section: (string name, string data) pairs, names in
 * strictly increasing order (sorted, no duplicates).
 */
static int
get_opts(struct jbuf *b, struct jcert_opts *o, int critical)
{
	struct jbuf *sec = NULL, *db = NULL;
	const unsigned char *data;
	size_t data_len, name_len;
	unsigned char *dcopy = NULL;
	char *name = NULL, *value = NULL, *prev = NULL;
	int r;

	if ((r = jbuf_froms(b, &sec)) != 0)
		return r;
	while (jbuf_len(sec) > 0) {
		if ((r = jbuf_get_cstring(sec, &name, &name_len)) != 0 ||
		    (r = jbuf_get_string_direct(sec, &data, &data_len)) != 0)
			goto out;
		if (prev != NULL && strcmp(prev, name) >= 0) {
			r = strcmp(prev, name) == 0 ?
			    JIT_ERR_OPTION_DUPLICATE : JIT_ERR_OPTION_ORDER;
			goto out;
		}
		if (critical && data_len > 0) {
			/* Known critical options hold exactly one string. */
			if ((db = jbuf_from(data, data_len)) == NULL) {
				r = JIT_ERR_ALLOC;
				goto out;
			}
			if (jbuf_get_cstring(db, &value, NULL) != 0 ||
			    jbuf_expect_end(db) != 0) {
				free(value);
				value = NULL;
			}
			jbuf_free(db);
			db = NULL;
		}
		if (data_len > 0 && (dcopy = malloc(data_len)) == NULL) {
			r = JIT_ERR_ALLOC;
			goto out;
		}
		if (data_len > 0)
			memcpy(dcopy, data, data_len);
		if ((r = opt_add(o, name, name_len, dcopy, data_len,
		    value)) != 0)
			goto out;
		dcopy = NULL;
		value = NULL;
		free(prev);
		prev = name;
		name = NULL;
	}
	r = 0;
 out:
	free(prev);
	free(name);
	free(value);
	free(dcopy);
	jbuf_free(db);
	jbuf_free(sec);
	return r;
}

int
jcert_parse(const unsigned char *blob, size_t len, struct jcert **cp)
{
	struct jbuf *b = NULL, *pr = NULL;
	struct jcert *c = NULL;
	const unsigned char *name, *nonce, *sigkey;
	size_t name_len, nonce_len, sigkey_len, slen = strlen(CERT_SUFFIX);
	size_t signed_len;
	enum jkey_type kt;
	const char *p;
	size_t plen;
	int r = JIT_ERR_INTERNAL;

	if (cp == NULL || (blob == NULL && len != 0))
		return JIT_ERR_INVALID_ARGUMENT;
	*cp = NULL;
	if ((b = jbuf_from(blob, len)) == NULL || (c = jcert_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = jbuf_get_string_direct(b, &name, &name_len)) != 0)
		goto out;
	if (name_len <= slen ||
	    memcmp(name + name_len - slen, CERT_SUFFIX, slen) != 0) {
		r = JIT_ERR_NOT_CERT;
		goto out;
	}
	if ((kt = jkey_type_from_name((const char *)name,
	    name_len - slen)) == JKEY_UNSPEC) {
		r = JIT_ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	if ((r = jbuf_get_string_direct(b, &nonce, &nonce_len)) != 0)
		goto out;
	if (nonce_len == 0 || nonce_len > NONCE_MAX) {
		r = JIT_ERR_CERT_INVALID;
		goto out;
	}
	if ((r = jkey_get_public_fields(kt, b, &c->key)) != 0 ||
	    (r = jbuf_get_u64(b, &c->serial)) != 0 ||
	    (r = jbuf_get_u32(b, &c->type)) != 0 ||
	    (r = jbuf_get_cstring(b, &c->key_id, NULL)) != 0 ||
	    (r = jbuf_froms(b, &pr)) != 0)
		goto out;
	if ((c->type != JCERT_TYPE_USER && c->type != JCERT_TYPE_HOST) ||
	    !text_ok(c->key_id, strlen(c->key_id), JCERT_KEY_ID_MAX)) {
		r = JIT_ERR_CERT_INVALID;
		goto out;
	}
	while (jbuf_len(pr) > 0) {
		if ((r = jbuf_get_string_direct(pr,
		    (const unsigned char **)&p, &plen)) != 0)
			goto out;
		if (memchr(p, '\0', plen) != NULL) {
			r = JIT_ERR_EMBEDDED_NUL;
			goto out;
		}
		if ((r = principal_add(c, p, plen)) != 0)
			goto out;
	}
	if (c->nprincipals == 0) {
		r = JIT_ERR_PRINCIPALS_EMPTY;
		goto out;
	}
	if ((r = jbuf_get_u64(b, &c->valid_after)) != 0 ||
	    (r = jbuf_get_u64(b, &c->valid_before)) != 0)
		goto out;
	if (c->valid_after >= c->valid_before) {
		r = JIT_ERR_CERT_INVALID;
		goto out;
	}
	if ((r = get_opts(b, &c->crit, 1)) != 0 ||
	    (r = get_opts(b, &c->ext, 0)) != 0 ||
	    (r = jbuf_get_string_direct(b, NULL, NULL)) != 0 ||	/* reserved */
	    (r = jbuf_get_string_direct(b, &sigkey, &sigkey_len)) != 0)
		goto out;
	/* Chained certificates are not allowed: jkey_from_blob refuses them. */
	if ((r = jkey_from_blob(sigkey, sigkey_len, &c->signature_key)) != 0)
		goto out;
	signed_len = len - jbuf_len(b);
	if ((r = jbuf_get_string_direct(b, NULL, NULL)) != 0 ||
	    (r = jbuf_expect_end(b)) != 0)
		goto out;
	/* b is a view of blob: rewind it to keep the whole encoding. */
	jbuf_free(b);
	if ((b = jbuf_from(blob, len)) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = keep_blob(c, b, signed_len)) != 0)
		goto out;
	if ((r = make_type_name(c)) != 0)
		goto out;
	*cp = c;
	c = NULL;
	r = 0;
 out:
	jbuf_free(pr);
	jbuf_free(b);
	jcert_free(c);
	return r;
}

int
jcert_parse_line(const char *line, struct jcert **cp)
{
	struct jbuf *blob = NULL;
	struct jcert *c = NULL;
	const char *p, *type, *b64, *end;
	size_t len, type_len;
	int r;

	if (cp == NULL || line == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*cp = NULL;
	if ((len = strnlen(line, JKEY_LINE_MAX + 1)) > JKEY_LINE_MAX)
		return JIT_ERR_STRING_TOO_LARGE;
	end = line + len;
	while (end > line && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	for (p = line; p < end; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return JIT_ERR_INVALID_FORMAT;
	type = line;
	if ((p = memchr(line, ' ', (size_t)(end - line))) == NULL)
		return JIT_ERR_INVALID_FORMAT;
	type_len = (size_t)(p - type);
	b64 = p + 1;
	if ((p = memchr(b64, ' ', (size_t)(end - b64))) == NULL)
		p = end;
	if ((blob = jbuf_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jbuf_b64tod(blob, b64, (size_t)(p - b64), 0)) != 0 ||
	    (r = jcert_parse(jbuf_ptr(blob), jbuf_len(blob), &c)) != 0)
		goto out;
	if (type_len != strlen(c->type_name) ||
	    memcmp(type, c->type_name, type_len) != 0) {
		r = JIT_ERR_KEY_TYPE_MISMATCH;
		goto out;
	}
	*cp = c;
	c = NULL;
 out:
	jcert_free(c);
	jbuf_free(blob);
	return r;
}

int
jcert_verify(const struct jcert *c, const struct jkey *ca)
{
	if (c == NULL || c->blob == NULL || c->signature_key == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if (ca != NULL && !jkey_equal_public(ca, c->signature_key))
		return JIT_ERR_SIGNATURE_INVALID;
	return jkey_verify(c->signature_key, c->sig, c->sig_len, c->blob,
	    c->signed_len);
}

int
jcert_check(const struct jcert *c, uint32_t type, uint64_t now,
    const char *principal)
{
	size_t i;

	if (c == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if (c->type != type || now < c->valid_after || now >= c->valid_before)
		return JIT_ERR_CERT_INVALID;
	if (principal == NULL)
		return 0;
	for (i = 0; i < c->nprincipals; i++)
		if (strcmp(c->principals[i], principal) == 0)
			return 0;
	return JIT_ERR_CERT_INVALID;
}

const unsigned char *
jcert_blob(const struct jcert *c, size_t *lenp)
{
	if (lenp != NULL)
		*lenp = c == NULL ? 0 : c->blob_len;
	return c == NULL ? NULL : c->blob;
}

int
jcert_format_line(const struct jcert *c, const char *comment, char **linep)
{
	struct jbuf *b = NULL;
	char *b64 = NULL;
	int r;

	if (linep == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*linep = NULL;
	if (c == NULL || c->blob == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	if ((b = jbuf_from(c->blob, c->blob_len)) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jbuf_dtob64(b, &b64)) != 0)
		goto out;
	if (asprintf(linep, "%s %s%s%s", c->type_name, b64,
	    comment != NULL && *comment != '\0' ? " " : "",
	    comment != NULL ? comment : "") == -1) {
		*linep = NULL;
		r = JIT_ERR_ALLOC;
	}
 out:
	free(b64);
	jbuf_free(b);
	return r;
}

const char *
jcert_type_name(const struct jcert *c)
{
	return c == NULL ? NULL : c->type_name;
}

const struct jkey *
jcert_key(const struct jcert *c)
{
	return c == NULL ? NULL : c->key;
}

const char *
jcert_signature_alg(const struct jcert *c)
{
	return c == NULL ? NULL : c->sig_alg;
}

const struct jkey *
jcert_signature_key(const struct jcert *c)
{
	return c == NULL ? NULL : c->signature_key;
}

uint64_t
jcert_serial(const struct jcert *c)
{
	return c == NULL ? 0 : c->serial;
}

uint32_t
jcert_type(const struct jcert *c)
{
	return c == NULL ? 0 : c->type;
}

const char *
jcert_key_id(const struct jcert *c)
{
	return c == NULL ? NULL : c->key_id;
}

uint64_t
jcert_valid_after(const struct jcert *c)
{
	return c == NULL ? 0 : c->valid_after;
}

uint64_t
jcert_valid_before(const struct jcert *c)
{
	return c == NULL ? 0 : c->valid_before;
}

size_t
jcert_nprincipals(const struct jcert *c)
{
	return c == NULL ? 0 : c->nprincipals;
}

const char *
jcert_principal(const struct jcert *c, size_t i)
{
	return c == NULL || i >= c->nprincipals ? NULL : c->principals[i];
}

size_t
jcert_ncritical(const struct jcert *c)
{
	return c == NULL ? 0 : c->crit.n;
}

const char *
jcert_critical(const struct jcert *c, size_t i, const char **valuep)
{
	if (valuep != NULL)
		*valuep = NULL;
	if (c == NULL || i >= c->crit.n)
		return NULL;
	if (valuep != NULL)
		*valuep = c->crit.v[i].value;
	return c->crit.v[i].name;
}

size_t
jcert_nextensions(const struct jcert *c)
{
	return c == NULL ? 0 : c->ext.n;
}

const char *
jcert_extension(const struct jcert *c, size_t i)
{
	return c == NULL || i >= c->ext.n ? NULL : c->ext.v[i].name;
}
