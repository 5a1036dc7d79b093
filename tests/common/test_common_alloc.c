/*
 * Allocation failure in common/: each operation runs again and again with
 * the 1st, 2nd, ... allocation of its own failing (wrap.c), until it gets
 * through without one failing.  Every run must fail cleanly (an error, no
 * crash) or succeed; LeakSanitizer (the ASan build) checks that every
 * error path frees what it took.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jbuf.h"
#include "jcert.h"
#include "jit-err.h"
#include "jkey.h"
#include "jkrl.h"
#include "jyaml.h"
#include "testutil.h"
#include "wrap.h"

static char *pub_line, *cert_line, *priv_text;
static size_t priv_len;
static struct jkey *ca;

static char *
slurp(const char *name, size_t *lenp)
{
	char path[512];
	FILE *f;
	char *buf = calloc(1, 65536);
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, name);
	cr_assert_not_null(f = fopen(path, "r"), "%s", path);
	n = fread(buf, 1, 65535, f);
	fclose(f);
	if (lenp != NULL)
		*lenp = n;
	return buf;
}

static void
setup(void)
{
	struct jcert *c = NULL;
	struct jkey *k = NULL;
	size_t len;
	char *text;

	wrap_fail_at(0);
	pub_line = slurp("key_ed25519.pub", NULL);
	*strchr(pub_line, '\n') = '\0';
	priv_text = slurp("key_ecdsa256", &priv_len);
	text = slurp("key_ed25519", &len);
	cr_assert_eq(jkey_private_parse((unsigned char *)text, len, &ca, NULL),
	    0);
	free(text);
	cr_assert_eq(jkey_parse_line(pub_line, &k, NULL), 0);
	cr_assert_not_null(c = jcert_new());
	cr_assert_eq(jcert_set_key(c, k), 0);
	cr_assert_eq(jcert_set_serial(c, 7), 0);
	cr_assert_eq(jcert_set_type(c, JCERT_TYPE_USER), 0);
	cr_assert_eq(jcert_set_key_id(c, "jit:a:b:7"), 0);
	cr_assert_eq(jcert_set_validity(c, 1, 2000000000), 0);
	cr_assert_eq(jcert_add_principal(c, "deploy"), 0);
	cr_assert_eq(jcert_add_extension(c, "permit-pty"), 0);
	cr_assert_eq(jcert_sign(c, ca), 0);
	cr_assert_eq(jcert_format_line(c, "jit:a:b:7", &cert_line), 0);
	jcert_free(c);
	jkey_free(k);
}

static void
teardown(void)
{
	wrap_fail_at(0);
	free(pub_line);
	free(cert_line);
	free(priv_text);
	jkey_free(ca);
}

TestSuite(common_alloc, .init = setup, .fini = teardown);

/*
 * Runs op with the n-th allocation failing for n = 1, 2, ... until op
 * asks for fewer than n: that last run must succeed.  Returns how many
 * allocations op makes.
 */
static unsigned long
each_failure(const char *what, int (*op)(void))
{
	unsigned long n;
	int r;

	for (n = 1; n < 100000; n++) {
		wrap_fail_at(n);
		r = op();
		if (wrap_count() < n) {
			wrap_fail_at(0);
			cr_assert_eq(r, 0, "%s: no allocation failed, yet %s", what,
			    jit_strerror(r));
			return n - 1;
		}
		/* A failed allocation: an error (or a way round it), no crash. */
	}
	wrap_fail_at(0);
	cr_assert_fail("%s: never finished", what);
	return 0;
}

static int
op_cert(void)
{
	struct jcert *c = NULL;
	char *line = NULL;
	int r;

	if ((r = jcert_parse_line(cert_line, &c)) == 0)
		r = jcert_format_line(c, "again", &line);
	free(line);
	jcert_free(c);
	return r;
}

static int
op_pubkey(void)
{
	struct jkey *k = NULL;
	char *fp = NULL, *line = NULL, *comment = NULL;
	int r;

	if ((r = jkey_parse_line(pub_line, &k, &comment)) == 0 &&
	    (r = jkey_fingerprint(k, &fp)) == 0)
		r = jkey_format_line(k, "c", &line);
	free(fp);
	free(line);
	free(comment);
	jkey_free(k);
	return r;
}

static int
op_private(void)
{
	struct jkey *k = NULL;
	char *comment = NULL;
	int r;

	r = jkey_private_parse((unsigned char *)priv_text, priv_len, &k,
	    &comment);
	free(comment);
	jkey_free(k);
	return r;
}

static int
op_yaml(void)
{
	static const char text[] = "users:\n  alice: { keys: [\"a b\"], "
	    "groups: [dev, ops] }\nroles:\n  dev:\n    principals: [\"{user}\"]"
	    "\n    windows: [\"Mon-Fri 09:00-17:00\"]\n";
	struct jyaml_node *root = NULL;
	char *err = NULL;
	int r;

	r = jyaml_parse("p.yaml", (const unsigned char *)text, strlen(text),
	    &root, &err);
	free(err);
	jyaml_free(root);
	return r;
}

static int
op_krl(void)
{
	static const uint64_t serials[] = { 1, 2, 3, 7, 9, 10, 11, 12, 40,
	    1000, 1001, 1002, 5000 };
	char *ids[] = { "jit:a:b:1", "jit:c:d:2" };
	const struct jkey *cas[1] = { ca };
	struct jbuf *out = jbuf_new();
	int r;

	if (out == NULL)
		return JIT_ERR_ALLOC;
	r = jkrl_encode(cas, 1, serials, sizeof(serials) / sizeof(serials[0]),
	    ids, 2, 3, 1700000000, "test", out);
	jbuf_free(out);
	return r;
}

Test(common_alloc, certificates)
{
	cr_assert_gt(each_failure("certificate", op_cert), 0);
}

Test(common_alloc, public_keys)
{
	cr_assert_gt(each_failure("public key", op_pubkey), 0);
}

Test(common_alloc, private_keys)
{
	cr_assert_gt(each_failure("private key", op_private), 0);
}

Test(common_alloc, yaml)
{
	cr_assert_gt(each_failure("yaml", op_yaml), 0);
}

Test(common_alloc, krl)
{
	cr_assert_gt(each_failure("krl", op_krl), 0);
}
