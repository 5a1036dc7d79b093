/*
 * p11.c: a CA key on a PKCS#11 token (jp11.h).  p11-kit parses the URI
 * and loads the module; everything else is plain PKCS#11 2.40.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>

#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"
#include "jp11.h"

#define P11_PIN_MAX	256
#define P11_SIG_MAX	2048	/* RSA 16384 bits */

struct jp11 {
	char *module;
	P11KitUri *uri;
	CK_FUNCTION_LIST *fl;
	int initialized;
	CK_SLOT_ID slot;
	char pin[P11_PIN_MAX];
	size_t pin_len;
	int have_pin;
	CK_OBJECT_HANDLE priv;
	CK_MECHANISM_TYPE mech;
	const EVP_MD *prehash;	/* ECDSA: we digest, the token signs */
	size_t ec_half;		/* ECDSA: bytes of r and of s */
	struct jkey *pub;	/* what the token holds */
	struct jkey *key;	/* pub, signing through the token */
	/* Signers hold lock shared; reopening the token holds it alone. */
	pthread_rwlock_t lock;
	pthread_mutex_t pool_lock;	/* idle sessions, last error */
	CK_SESSION_HANDLE *idle;
	size_t nidle, cap;
	atomic_int broken;
	char err[256];
};

static int
fail(char **errp, int r, const char *fmt, ...)
{
	va_list ap;

	if (errp != NULL) {
		va_start(ap, fmt);
		if (vasprintf(errp, fmt, ap) == -1)
			*errp = NULL;
		va_end(ap);
	}
	return r;
}

static const char *
rvname(CK_RV rv)
{
	switch (rv) {
	case CKR_PIN_INCORRECT:
		return "CKR_PIN_INCORRECT: wrong PIN";
	case CKR_PIN_LOCKED:
		return "CKR_PIN_LOCKED: the PIN is locked";
	case CKR_DEVICE_ERROR:
		return "CKR_DEVICE_ERROR";
	case CKR_DEVICE_REMOVED:
		return "CKR_DEVICE_REMOVED";
	case CKR_TOKEN_NOT_PRESENT:
		return "CKR_TOKEN_NOT_PRESENT";
	case CKR_SESSION_HANDLE_INVALID:
		return "CKR_SESSION_HANDLE_INVALID";
	case CKR_GENERAL_ERROR:
		return "CKR_GENERAL_ERROR";
	case CKR_FUNCTION_FAILED:
		return "CKR_FUNCTION_FAILED";
	case CKR_USER_NOT_LOGGED_IN:
		return "CKR_USER_NOT_LOGGED_IN";
	case CKR_MECHANISM_INVALID:
		return "CKR_MECHANISM_INVALID: the token cannot do this";
	case CKR_CRYPTOKI_NOT_INITIALIZED:
		return "CKR_CRYPTOKI_NOT_INITIALIZED";
	default:
		return "PKCS#11 error";
	}
}

int
jp11_is_uri(const char *s)
{
	return s != NULL && strncmp(s, "pkcs11:", 7) == 0;
}

const char *
jp11_uri_problem(const char *uri)
{
	P11KitUri *u;
	const char *why = NULL;

	if (!jp11_is_uri(uri))
		return "not a pkcs11: URI";
	if ((u = p11_kit_uri_new()) == NULL)
		return "out of memory";
	if (p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, u) != P11_KIT_URI_OK)
		why = "not a valid RFC 7512 pkcs11: URI";
	else if (p11_kit_uri_get_pin_value(u) != NULL)
		why = "the URI must not hold the PIN (pin-value): give "
		    "pin-source=FILE, a file only the CA's user can read";
	p11_kit_uri_free(u);
	return why;
}

/* Reads the PIN from the URI's pin-source: a path or a file: URI. */
static int
read_pin(struct jp11 *t, char **errp)
{
	const char *src = p11_kit_uri_get_pin_source(t->uri);
	struct jbuf *b = NULL;
	size_t n;
	int r;

	t->have_pin = 0;
	if (src == NULL)
		return 0;
	if (strncmp(src, "file:", 5) == 0)
		src += 5;
	/* Checked and read through one descriptor: no link, no swap between. */
	if ((r = jit_file_read(src, P11_PIN_MAX, JIT_FILE_PRIVATE, &b)) != 0) {
		if (r == JIT_ERR_BAD_PERMISSIONS)
			return fail(errp, r, "pin-source %s: group or others can "
			    "read it: chmod 600 it", src);
		if (r == JIT_ERR_SYSTEM && errno == ELOOP)
			return fail(errp, r, "pin-source %s: a symbolic link: "
			    "name the file itself", src);
		return fail(errp, r, "pin-source %s: %s", src, jit_strerror(r));
	}
	n = jbuf_len(b);
	while (n > 0 && (((const char *)jbuf_ptr(b))[n - 1] == '\n' ||
	    ((const char *)jbuf_ptr(b))[n - 1] == '\r'))
		n--;
	if (n == 0 || n >= sizeof(t->pin)) {
		jit_wipe((void *)(uintptr_t)jbuf_ptr(b), jbuf_len(b));
		jbuf_free(b);
		return fail(errp, JIT_ERR_INVALID_FORMAT, "pin-source %s: "
		    "want one line, the PIN", src);
	}
	memcpy(t->pin, jbuf_ptr(b), n);
	t->pin_len = n;
	t->have_pin = 1;
	jit_wipe((void *)(uintptr_t)jbuf_ptr(b), jbuf_len(b));
	jbuf_free(b);
	return 0;
}

static void
pool_drop_all(struct jp11 *t)
{
	size_t i;

	pthread_mutex_lock(&t->pool_lock);
	for (i = 0; i < t->nidle; i++)
		(void)t->fl->C_CloseSession(t->idle[i]);
	t->nidle = 0;
	pthread_mutex_unlock(&t->pool_lock);
}

static void
token_down(struct jp11 *t)
{
	if (t->fl == NULL)
		return;
	pool_drop_all(t);
	if (t->initialized)
		(void)p11_kit_module_finalize(t->fl);
	t->initialized = 0;
}

/* Finds the one slot whose token the URI names. */
static int
find_slot(struct jp11 *t, const char *uri, char **errp)
{
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0, i;
	CK_TOKEN_INFO ti;
	CK_RV rv;
	int found = 0;

	if ((rv = t->fl->C_GetSlotList(CK_TRUE, NULL, &n)) != CKR_OK)
		return fail(errp, JIT_ERR_TOKEN, "%s: listing slots: %s "
		    "(0x%lx)", t->module, rvname(rv), (unsigned long)rv);
	if (n > 0 && ((slots = calloc(n, sizeof(*slots))) == NULL))
		return fail(errp, JIT_ERR_ALLOC, "out of memory");
	if (n > 0 && (rv = t->fl->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK) {
		free(slots);
		return fail(errp, JIT_ERR_TOKEN, "%s: listing slots: %s",
		    t->module, rvname(rv));
	}
	for (i = 0; i < n; i++) {
		if (t->fl->C_GetTokenInfo(slots[i], &ti) != CKR_OK ||
		    p11_kit_uri_match_token_info(t->uri, &ti) != 1)
			continue;
		if (found++ == 0)
			t->slot = slots[i];
	}
	free(slots);
	if (found == 0)
		return fail(errp, JIT_ERR_TOKEN, "no token present matches %s "
		    "(module %s): is the token inserted, its label right?",
		    uri, t->module);
	if (found > 1)
		return fail(errp, JIT_ERR_TOKEN, "%d tokens match %s: add "
		    "token= or serial= to the URI", found, uri);
	return 0;
}

static int
login(struct jp11 *t, CK_SESSION_HANDLE s, const char *uri, char **errp)
{
	CK_RV rv;

	if (!t->have_pin)
		return 0;
	rv = t->fl->C_Login(s, CKU_USER, (CK_UTF8CHAR *)t->pin, t->pin_len);
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		return fail(errp, JIT_ERR_TOKEN, "logging in to the token of %s: "
		    "%s", uri, rvname(rv));
	return 0;
}

/* The attribute of obj into a new buffer (*lenp bytes). */
static int
get_attr(struct jp11 *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj,
    CK_ATTRIBUTE_TYPE type, unsigned char **vp, size_t *lenp)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };

	*vp = NULL;
	*lenp = 0;
	if (t->fl->C_GetAttributeValue(s, obj, &a, 1) != CKR_OK ||
	    a.ulValueLen == (CK_ULONG)-1 || a.ulValueLen > 65536)
		return JIT_ERR_TOKEN;
	if ((a.pValue = malloc(a.ulValueLen + 1)) == NULL)
		return JIT_ERR_ALLOC;
	if (t->fl->C_GetAttributeValue(s, obj, &a, 1) != CKR_OK) {
		free(a.pValue);
		return JIT_ERR_TOKEN;
	}
	*vp = a.pValue;
	*lenp = a.ulValueLen;
	return 0;
}

/* Objects of class matching the URI's attributes (and id, when given). */
static int
find_objects(struct jp11 *t, CK_SESSION_HANDLE s, CK_OBJECT_CLASS class,
    const unsigned char *id, size_t id_len, CK_OBJECT_HANDLE *objs,
    CK_ULONG max, CK_ULONG *np)
{
	CK_ATTRIBUTE tmpl[8], *ua;
	CK_ULONG nua = 0, i, n = 0;
	CK_RV rv;

	tmpl[n].type = CKA_CLASS;
	tmpl[n].pValue = &class;
	tmpl[n++].ulValueLen = sizeof(class);
	ua = p11_kit_uri_get_attributes(t->uri, &nua);
	for (i = 0; i < nua && n < 6; i++)
		if (ua[i].type == CKA_LABEL ||
		    (ua[i].type == CKA_ID && id == NULL))
			tmpl[n++] = ua[i];
	if (id != NULL) {
		tmpl[n].type = CKA_ID;
		tmpl[n].pValue = (void *)(uintptr_t)id;
		tmpl[n++].ulValueLen = id_len;
	}
	*np = 0;
	if ((rv = t->fl->C_FindObjectsInit(s, tmpl, n)) != CKR_OK)
		return JIT_ERR_TOKEN;
	rv = t->fl->C_FindObjects(s, objs, max, np);
	(void)t->fl->C_FindObjectsFinal(s);
	return rv == CKR_OK ? 0 : JIT_ERR_TOKEN;
}

/* A DER OCTET STRING around want bytes, or the bytes themselves. */
static const unsigned char *
unwrap_point(const unsigned char *p, size_t len, size_t want)
{
	size_t hdr = 0, l;

	if (len == want)
		return p;
	if (len < 2 || p[0] != 0x04)
		return NULL;
	if (p[1] < 0x80) {
		l = p[1];
		hdr = 2;
	} else if (p[1] == 0x81 && len >= 3) {
		l = p[2];
		hdr = 3;
	} else
		return NULL;
	return hdr + l == len && l == want ? p + hdr : NULL;
}

static const struct {
	enum jkey_type type;
	const char *name, *curve;
	unsigned char oid[12];
	size_t oid_len, point_len;
	const char *md;
} curves[] = {
	{ JKEY_ECDSA_P256, "ecdsa-sha2-nistp256", "nistp256",
	  { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 }, 10,
	  65, "SHA256" },
	{ JKEY_ECDSA_P384, "ecdsa-sha2-nistp384", "nistp384",
	  { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 }, 7, 97, "SHA384" },
	{ JKEY_ECDSA_P521, "ecdsa-sha2-nistp521", "nistp521",
	  { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 }, 7, 133, "SHA512" },
};
static const unsigned char ed25519_oid[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
static const unsigned char ed25519_name[] = { 0x13, 0x0c, 'e', 'd', 'w', 'a',
    'r', 'd', 's', '2', '5', '5', '1', '9' };

/* An SSH mpint from big-endian bytes. */
static int
put_mpint_bytes(struct jbuf *b, const unsigned char *p, size_t len)
{
	while (len > 0 && *p == 0) {
		p++;
		len--;
	}
	return jbuf_put_mpint(b, p, len);
}

/* Reads the public half of the private key priv into t->pub. */
static int
read_public(struct jp11 *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv,
    char **errp)
{
	CK_KEY_TYPE kt;
	CK_ATTRIBUTE a = { CKA_KEY_TYPE, &kt, sizeof(kt) };
	CK_OBJECT_HANDLE pubs[2];
	CK_ULONG npub = 0;
	unsigned char *id = NULL, *params = NULL, *point = NULL, *n = NULL,
	    *e = NULL;
	size_t id_len, params_len, point_len, n_len, e_len, i;
	const unsigned char *pt;
	struct jbuf *b = NULL;
	int r = JIT_ERR_TOKEN;

	if (t->fl->C_GetAttributeValue(s, priv, &a, 1) != CKR_OK)
		return fail(errp, JIT_ERR_TOKEN, "reading the key's type");
	if ((b = jbuf_new()) == NULL)
		return fail(errp, JIT_ERR_ALLOC, "out of memory");
	if (kt == CKK_RSA) {
		if (get_attr(t, s, priv, CKA_MODULUS, &n, &n_len) != 0 ||
		    get_attr(t, s, priv, CKA_PUBLIC_EXPONENT, &e, &e_len) != 0) {
			r = fail(errp, JIT_ERR_TOKEN, "reading the RSA key's "
			    "modulus and exponent");
			goto out;
		}
		if ((r = jbuf_put_cstring(b, "ssh-rsa")) != 0 ||
		    (r = put_mpint_bytes(b, e, e_len)) != 0 ||
		    (r = put_mpint_bytes(b, n, n_len)) != 0)
			goto bad;
		t->mech = CKM_SHA512_RSA_PKCS;
		t->prehash = NULL;
	} else if (kt == CKK_EC || kt == CKK_EC_EDWARDS) {
		/* The public object beside it (same CKA_ID) has the point. */
		if (get_attr(t, s, priv, CKA_ID, &id, &id_len) != 0 ||
		    find_objects(t, s, CKO_PUBLIC_KEY, id, id_len, pubs, 2,
		    &npub) != 0 || npub != 1) {
			r = fail(errp, JIT_ERR_TOKEN, "the token has no (or more "
			    "than one) public key object beside the private "
			    "key, same CKA_ID");
			goto out;
		}
		if (get_attr(t, s, pubs[0], CKA_EC_PARAMS, &params,
		    &params_len) != 0 || get_attr(t, s, pubs[0], CKA_EC_POINT,
		    &point, &point_len) != 0) {
			r = fail(errp, JIT_ERR_TOKEN, "reading the public key's "
			    "curve and point");
			goto out;
		}
		if (kt == CKK_EC_EDWARDS) {
			if (!((params_len == sizeof(ed25519_oid) &&
			    memcmp(params, ed25519_oid, params_len) == 0) ||
			    (params_len == sizeof(ed25519_name) &&
			    memcmp(params, ed25519_name, params_len) == 0)) ||
			    (pt = unwrap_point(point, point_len, 32)) == NULL) {
				r = fail(errp, JIT_ERR_KEY_TYPE_UNKNOWN, "an "
				    "EdDSA key on a curve other than Ed25519");
				goto out;
			}
			if ((r = jbuf_put_cstring(b, "ssh-ed25519")) != 0 ||
			    (r = jbuf_put_string(b, pt, 32)) != 0)
				goto bad;
			t->mech = CKM_EDDSA;
			t->prehash = NULL;
		} else {
			for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
				if (params_len == curves[i].oid_len &&
				    memcmp(params, curves[i].oid, params_len) == 0)
					break;
			if (i == sizeof(curves) / sizeof(curves[0]) ||
			    (pt = unwrap_point(point, point_len,
			    curves[i].point_len)) == NULL) {
				r = fail(errp, JIT_ERR_KEY_TYPE_UNKNOWN, "an EC "
				    "key on a curve SSH has no name for (want "
				    "P-256, P-384 or P-521)");
				goto out;
			}
			if ((r = jbuf_put_cstring(b, curves[i].name)) != 0 ||
			    (r = jbuf_put_cstring(b, curves[i].curve)) != 0 ||
			    (r = jbuf_put_string(b, pt, curves[i].point_len)) != 0)
				goto bad;
			t->mech = CKM_ECDSA;
			t->prehash = EVP_get_digestbyname(curves[i].md);
			t->ec_half = (curves[i].point_len - 1) / 2;
		}
	} else {
		r = fail(errp, JIT_ERR_KEY_TYPE_UNKNOWN, "the token's key is "
		    "neither RSA, EC nor Ed25519");
		goto out;
	}
	if ((r = jkey_from_blob(jbuf_ptr(b), jbuf_len(b), &t->pub)) != 0)
		goto bad;
	r = 0;
	goto out;
 bad:
	r = fail(errp, r, "the token's public key: %s", jit_strerror(r));
 out:
	free(id);
	free(params);
	free(point);
	free(n);
	free(e);
	jbuf_free(b);
	return r;
}

/*
 * Initializes the module, finds the token, logs in and finds the one
 * private key; with want_key 0 only as far as the logged-in session,
 * which it leaves in *sp.
 */
static int
token_up(struct jp11 *t, const char *uri, int want_key,
    CK_SESSION_HANDLE *sp, char **errp)
{
	CK_OBJECT_HANDLE objs[2];
	CK_SESSION_HANDLE s;
	CK_ULONG n = 0;
	CK_RV rv;
	int r;

	if ((rv = p11_kit_module_initialize(t->fl)) != CKR_OK)
		return fail(errp, JIT_ERR_TOKEN, "%s: initializing: %s (0x%lx): "
		    "the library did not start; most often its own "
		    "configuration is missing or unreadable (SoftHSM: "
		    "$SOFTHSM2_CONF or /etc/softhsm/softhsm2.conf and its "
		    "token directory; p11-kit-client: $P11_KIT_SERVER_ADDRESS)",
		    t->module, rvname(rv), (unsigned long)rv);
	t->initialized = 1;
	if ((r = find_slot(t, uri, errp)) != 0)
		return r;
	if ((rv = t->fl->C_OpenSession(t->slot, CKF_SERIAL_SESSION |
	    (want_key ? 0 : CKF_RW_SESSION), NULL, NULL, &s)) != CKR_OK)
		return fail(errp, JIT_ERR_TOKEN, "opening a session on the token "
		    "of %s: %s", uri, rvname(rv));
	if ((r = login(t, s, uri, errp)) != 0)
		goto bad;
	if (!want_key) {
		*sp = s;
		return 0;
	}
	if ((r = find_objects(t, s, CKO_PRIVATE_KEY, NULL, 0, objs, 2,
	    &n)) != 0) {
		r = fail(errp, r, "searching the token of %s", uri);
		goto bad;
	}
	if (n != 1) {
		r = fail(errp, n == 0 ? JIT_ERR_NOT_FOUND : JIT_ERR_TOKEN, n == 0 ? "no private key on the "
		    "token matches %s%s" : "more than one private key matches "
		    "%s: add object= or id=", uri, t->have_pin ? "" :
		    " (no PIN given: add pin-source=FILE to the URI)");
		goto bad;
	}
	t->priv = objs[0];
	*sp = s;
	return 0;
 bad:
	(void)t->fl->C_CloseSession(s);
	return r;
}

static void
pool_put(struct jp11 *t, CK_SESSION_HANDLE s)
{
	CK_SESSION_HANDLE *ni;

	pthread_mutex_lock(&t->pool_lock);
	if (t->nidle == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 8;

		if ((ni = realloc(t->idle, nc * sizeof(*ni))) == NULL) {
			pthread_mutex_unlock(&t->pool_lock);
			(void)t->fl->C_CloseSession(s);
			return;
		}
		t->idle = ni;
		t->cap = nc;
	}
	t->idle[t->nidle++] = s;
	pthread_mutex_unlock(&t->pool_lock);
}

static CK_RV
pool_get(struct jp11 *t, CK_SESSION_HANDLE *sp)
{
	pthread_mutex_lock(&t->pool_lock);
	if (t->nidle > 0) {
		*sp = t->idle[--t->nidle];
		pthread_mutex_unlock(&t->pool_lock);
		return CKR_OK;
	}
	pthread_mutex_unlock(&t->pool_lock);
	/* Login state is the token's, shared by all our sessions. */
	return t->fl->C_OpenSession(t->slot, CKF_SERIAL_SESSION, NULL, NULL, sp);
}

static void
set_err(struct jp11 *t, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&t->pool_lock);
	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&t->pool_lock);
}

void
jp11_last_error(struct jp11 *t, char *buf, size_t size)
{
	pthread_mutex_lock(&t->pool_lock);
	snprintf(buf, size, "%s", t->err);
	pthread_mutex_unlock(&t->pool_lock);
}

/* After a failure: the module again from scratch, the same key or none. */
static int
reopen(struct jp11 *t)
{
	struct jkey *was = t->pub;
	CK_SESSION_HANDLE s;
	char *err = NULL, *uri = NULL;
	int r = 0;

	pthread_rwlock_wrlock(&t->lock);
	if (!atomic_load(&t->broken))
		goto out;	/* another signer did it */
	token_down(t);
	t->pub = NULL;
	if (p11_kit_uri_format(t->uri, P11_KIT_URI_FOR_ANY, &uri) !=
	    P11_KIT_URI_OK)
		uri = NULL;
	if ((r = token_up(t, uri != NULL ? uri : "the URI", 1, &s, &err)) == 0 &&
	    (r = read_public(t, s, t->priv, &err)) == 0 &&
	    !jkey_equal_public(t->pub, was))
		r = fail(&err, JIT_ERR_KEY_TYPE_MISMATCH, "the token now holds "
		    "another key under that URI");
	jkey_free(t->pub);
	t->pub = was;
	if (r == 0) {
		pool_put(t, s);
		atomic_store(&t->broken, 0);
	} else {
		set_err(t, "reopening the token: %s", err != NULL ? err :
		    jit_strerror(r));
		token_down(t);
	}
	free(err);
	free(uri);
 out:
	pthread_rwlock_unlock(&t->lock);
	return r;
}

/* A failure that means the token, its session or its login is gone. */
static int
token_lost(CK_RV rv)
{
	return rv != CKR_OK && rv != CKR_ARGUMENTS_BAD &&
	    rv != CKR_DATA_LEN_RANGE && rv != CKR_BUFFER_TOO_SMALL &&
	    rv != CKR_MECHANISM_INVALID && rv != CKR_HOST_MEMORY;
}

static int
ext_sign(void *arg, const unsigned char *data, size_t len,
    unsigned char **rawp, size_t *raw_lenp)
{
	struct jp11 *t = arg;
	CK_MECHANISM m = { t->mech, NULL, 0 };
	CK_SESSION_HANDLE s;
	unsigned char dgst[EVP_MAX_MD_SIZE], sig[P11_SIG_MAX], *der = NULL;
	const unsigned char *in = data;
	unsigned int dlen;
	CK_ULONG inlen = len, siglen = sizeof(sig);
	ECDSA_SIG *es = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	CK_RV rv;
	int r = JIT_ERR_TOKEN, dl;

	*rawp = NULL;
	*raw_lenp = 0;
	if (atomic_load(&t->broken) && reopen(t) != 0)
		return JIT_ERR_TOKEN;
	if (t->prehash != NULL) {
		if (EVP_Digest(data, len, dgst, &dlen, t->prehash, NULL) != 1)
			return JIT_ERR_LIBCRYPTO;
		in = dgst;
		inlen = dlen;
	}
	pthread_rwlock_rdlock(&t->lock);
	if ((rv = pool_get(t, &s)) != CKR_OK)
		goto tfail;
	if ((rv = t->fl->C_SignInit(s, &m, t->priv)) != CKR_OK ||
	    (rv = t->fl->C_Sign(s, (CK_BYTE *)(uintptr_t)in, inlen, sig,
	    &siglen)) != CKR_OK) {
		if (token_lost(rv))
			(void)t->fl->C_CloseSession(s);
		else
			pool_put(t, s);
		goto tfail;
	}
	pool_put(t, s);
	pthread_rwlock_unlock(&t->lock);
	if (t->mech == CKM_ECDSA) {
		/* PKCS#11 gives r || s; EVP (and put_sig) want DER. */
		if (siglen != 2 * t->ec_half ||
		    (es = ECDSA_SIG_new()) == NULL ||
		    (br = BN_bin2bn(sig, (int)t->ec_half, NULL)) == NULL ||
		    (bs = BN_bin2bn(sig + t->ec_half, (int)t->ec_half,
		    NULL)) == NULL || ECDSA_SIG_set0(es, br, bs) != 1) {
			BN_free(br);
			BN_free(bs);
			ECDSA_SIG_free(es);
			return JIT_ERR_LIBCRYPTO;
		}
		dl = i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
		if (dl <= 0)
			return JIT_ERR_LIBCRYPTO;
		if ((*rawp = malloc((size_t)dl)) != NULL)
			memcpy(*rawp, der, (size_t)dl);
		OPENSSL_free(der);
		*raw_lenp = (size_t)dl;
	} else {
		if ((*rawp = malloc(siglen)) != NULL)
			memcpy(*rawp, sig, siglen);
		*raw_lenp = siglen;
	}
	return *rawp != NULL ? 0 : JIT_ERR_ALLOC;
 tfail:
	pthread_rwlock_unlock(&t->lock);
	set_err(t, "C_Sign: %s (0x%lx)", rvname(rv), (unsigned long)rv);
	if (token_lost(rv))
		atomic_store(&t->broken, 1);
	(void)r;
	return JIT_ERR_TOKEN;
}

static int
t_new(const char *module, const char *uri, struct jp11 **tp, char **errp)
{
	struct jp11 *t;
	pthread_rwlockattr_t ra;
	const char *why, *mp;
	int r;

	*tp = NULL;
	if ((why = jp11_uri_problem(uri)) != NULL)
		return fail(errp, JIT_ERR_INVALID_ARGUMENT, "%s: %s", uri, why);
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return fail(errp, JIT_ERR_ALLOC, "out of memory");
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&t->lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	pthread_mutex_init(&t->pool_lock, NULL);
	*tp = t;
	if ((t->uri = p11_kit_uri_new()) == NULL ||
	    p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, t->uri) !=
	    P11_KIT_URI_OK)
		return fail(errp, JIT_ERR_INVALID_ARGUMENT, "%s: not a valid "
		    "pkcs11: URI", uri);
	mp = module != NULL ? module : p11_kit_uri_get_module_path(t->uri);
	if (mp == NULL)
		return fail(errp, JIT_ERR_INVALID_ARGUMENT, "%s: which PKCS#11 "
		    "module? set pkcs11_module: in config.yaml (e.g. "
		    "/usr/lib/softhsm/libsofthsm2.so)", uri);
	if ((t->module = strdup(mp)) == NULL)
		return fail(errp, JIT_ERR_ALLOC, "out of memory");
	if ((r = read_pin(t, errp)) != 0)
		return r;
	if ((t->fl = p11_kit_module_load(t->module, 0)) == NULL)
		return fail(errp, JIT_ERR_TOKEN, "cannot load the PKCS#11 "
		    "module %s: %s", t->module, p11_kit_message() != NULL ?
		    p11_kit_message() : "not found or not a module");
	return 0;
}

/* With the key found in session s: its public half and the signing key. */
static int
t_key(struct jp11 *t, CK_SESSION_HANDLE s, char **errp)
{
	int r;

	if ((r = read_public(t, s, t->priv, errp)) != 0) {
		(void)t->fl->C_CloseSession(s);
		return r;
	}
	pool_put(t, s);
	if ((r = jkey_external(t->pub, ext_sign, t, &t->key)) != 0)
		return fail(errp, r, "%s", jit_strerror(r));
	return 0;
}

int
jp11_open(const char *module, const char *uri, struct jp11 **tp, char **errp)
{
	CK_SESSION_HANDLE s;
	int r;

	if (errp != NULL)
		*errp = NULL;
	if ((r = t_new(module, uri, tp, errp)) != 0 ||
	    (r = token_up(*tp, uri, 1, &s, errp)) != 0 ||
	    (r = t_key(*tp, s, errp)) != 0) {
		jp11_close(*tp);
		*tp = NULL;
	}
	return r;
}

int
jp11_generate(const char *module, const char *uri, enum jkey_type type,
    unsigned bits, struct jp11 **tp, char **errp)
{
	struct jp11 *t;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE objs[1], pubh, privh;
	CK_ULONG n = 0, mbits = bits ? bits : JKEY_RSA_DEFAULT_BITS;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_BYTE exp[] = { 0x01, 0x00, 0x01 }, rid[16];
	CK_MECHANISM m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE *label, *id, idattr = { CKA_ID, rid, sizeof(rid) };
	CK_ATTRIBUTE pubt[8], privt[8];
	CK_ULONG npub = 0, npriv = 0, i;
	CK_RV rv;
	int r;

	if (errp != NULL)
		*errp = NULL;
	if ((r = t_new(module, uri, tp, errp)) != 0)
		goto out;
	t = *tp;
	if ((label = p11_kit_uri_get_attribute(t->uri, CKA_LABEL)) == NULL) {
		r = fail(errp, JIT_ERR_INVALID_ARGUMENT, "%s: name the new key "
		    "with object=LABEL", uri);
		goto out;
	}
	if ((r = token_up(t, uri, 0, &s, errp)) != 0)
		goto out;
	if ((r = find_objects(t, s, CKO_PRIVATE_KEY, NULL, 0, objs, 1,
	    &n)) != 0 || n != 0) {
		r = fail(errp, JIT_ERR_EXISTS, "the token already has a key "
		    "matching %s", uri);
		goto out;
	}
	if ((id = p11_kit_uri_get_attribute(t->uri, CKA_ID)) == NULL) {
		if (RAND_bytes(rid, sizeof(rid)) != 1) {
			r = fail(errp, JIT_ERR_LIBCRYPTO, "no randomness");
			goto out;
		}
		id = &idattr;
	}
#define ATTR(arr, cnt, t_, p_, l_) do { arr[cnt].type = (t_); \
	arr[cnt].pValue = (void *)(uintptr_t)(p_); arr[cnt++].ulValueLen = (l_); } while (0)
	ATTR(pubt, npub, CKA_TOKEN, &yes, sizeof(yes));
	ATTR(pubt, npub, CKA_VERIFY, &yes, sizeof(yes));
	ATTR(pubt, npub, CKA_LABEL, label->pValue, label->ulValueLen);
	ATTR(pubt, npub, CKA_ID, id->pValue, id->ulValueLen);
	ATTR(privt, npriv, CKA_TOKEN, &yes, sizeof(yes));
	ATTR(privt, npriv, CKA_PRIVATE, &yes, sizeof(yes));
	ATTR(privt, npriv, CKA_SENSITIVE, &yes, sizeof(yes));
	ATTR(privt, npriv, CKA_EXTRACTABLE, &no, sizeof(no));
	ATTR(privt, npriv, CKA_SIGN, &yes, sizeof(yes));
	ATTR(privt, npriv, CKA_LABEL, label->pValue, label->ulValueLen);
	ATTR(privt, npriv, CKA_ID, id->pValue, id->ulValueLen);
	if (type == JKEY_RSA) {
		m.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		ATTR(pubt, npub, CKA_MODULUS_BITS, &mbits, sizeof(mbits));
		ATTR(pubt, npub, CKA_PUBLIC_EXPONENT, exp, sizeof(exp));
	} else if (type == JKEY_ED25519) {
		m.mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
		ATTR(pubt, npub, CKA_EC_PARAMS, ed25519_oid,
		    sizeof(ed25519_oid));
	} else {
		for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
			if (curves[i].type == type)
				break;
		if (i == sizeof(curves) / sizeof(curves[0])) {
			r = fail(errp, JIT_ERR_KEY_TYPE_UNKNOWN, "unknown key "
			    "type");
			goto out;
		}
		ATTR(pubt, npub, CKA_EC_PARAMS, curves[i].oid,
		    curves[i].oid_len);
	}
#undef ATTR
	if ((rv = t->fl->C_GenerateKeyPair(s, &m, pubt, npub, privt, npriv,
	    &pubh, &privh)) != CKR_OK) {
		r = fail(errp, JIT_ERR_TOKEN, "generating a %s key on the token "
		    "of %s: %s (0x%lx)", jkey_type_name(type), uri,
		    rvname(rv), (unsigned long)rv);
		goto out;
	}
	t->priv = privh;
	r = t_key(t, s, errp);
	s = CK_INVALID_HANDLE;
 out:
	if (s != CK_INVALID_HANDLE)
		(void)(*tp)->fl->C_CloseSession(s);
	if (r != 0) {
		jp11_close(*tp);
		*tp = NULL;
	}
	return r;
}

const struct jkey *
jp11_key(const struct jp11 *t)
{
	return t != NULL ? t->key : NULL;
}

void
jp11_close(struct jp11 *t)
{
	if (t == NULL)
		return;
	if (t->fl != NULL) {
		token_down(t);
		p11_kit_module_release(t->fl);
	}
	jkey_free(t->key);
	jkey_free(t->pub);
	if (t->uri != NULL)
		p11_kit_uri_free(t->uri);
	free(t->idle);
	free(t->module);
	jit_wipe(t->pin, sizeof(t->pin));
	pthread_rwlock_destroy(&t->lock);
	pthread_mutex_destroy(&t->pool_lock);
	free(t);
}
