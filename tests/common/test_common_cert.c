/* Unit tests for certificates: every CA x client key type, tampering, rules. */
#include <stdint.h>

#include "jcert.h"
#include "testutil.h"

static const char *const key_names[] = {
	"ed25519", "ecdsa256", "ecdsa384", "ecdsa521", "rsa3072",
};
#define NTYPES (sizeof(key_names) / sizeof(key_names[0]))

static struct jcert *
make_cert(const struct jkey *subject, uint64_t serial)
{
	struct jcert *c = jcert_new();

	cr_assert_not_null(c);
	cr_assert_eq(jcert_set_key(c, subject), 0);
	cr_assert_eq(jcert_set_serial(c, serial), 0);
	cr_assert_eq(jcert_set_key_id(c, "jit:alice:dev:42"), 0);
	cr_assert_eq(jcert_add_principal(c, "alice"), 0);
	cr_assert_eq(jcert_add_principal(c, "deploy"), 0);
	cr_assert_eq(jcert_set_validity(c, 1700000000, 1700000600), 0);
	cr_assert_eq(jcert_add_extension(c, "permit-pty"), 0);
	cr_assert_eq(jcert_add_extension(c, "permit-port-forwarding"), 0);
	cr_assert_eq(jcert_add_critical(c, "source-address", "10.0.0.1/32"), 0);
	cr_assert_eq(jcert_add_critical(c, "force-command", "/bin/true"), 0);
	return c;
}

static void
assert_same_fields(const struct jcert *c, const struct jkey *subject,
    const struct jkey *ca, uint64_t serial)
{
	const char *v;

	cr_assert(jkey_equal_public(jcert_key(c), subject));
	cr_assert(jkey_equal_public(jcert_signature_key(c), ca));
	cr_assert_eq(jcert_serial(c), serial);
	cr_assert_eq(jcert_type(c), JCERT_TYPE_USER);
	cr_assert_str_eq(jcert_key_id(c), "jit:alice:dev:42");
	cr_assert_eq(jcert_nprincipals(c), 2);
	cr_assert_str_eq(jcert_principal(c, 0), "alice");
	cr_assert_str_eq(jcert_principal(c, 1), "deploy");
	cr_assert_eq(jcert_valid_after(c), 1700000000);
	cr_assert_eq(jcert_valid_before(c), 1700000600);
	/* Sorted on the wire whatever order they were added in. */
	cr_assert_eq(jcert_ncritical(c), 2);
	cr_assert_str_eq(jcert_critical(c, 0, &v), "force-command");
	cr_assert_str_eq(v, "/bin/true");
	cr_assert_str_eq(jcert_critical(c, 1, &v), "source-address");
	cr_assert_str_eq(v, "10.0.0.1/32");
	cr_assert_eq(jcert_nextensions(c), 2);
	cr_assert_str_eq(jcert_extension(c, 0), "permit-port-forwarding");
	cr_assert_str_eq(jcert_extension(c, 1), "permit-pty");
}

Test(jcert, every_ca_type_signs_every_client_type)
{
	size_t i, j;

	for (i = 0; i < NTYPES; i++) {
		struct jkey *ca = test_key(key_names[i]);

		for (j = 0; j < NTYPES; j++) {
			struct jkey *subject = test_key(key_names[j]);
			struct jcert *c = make_cert(subject, 1000 + j), *back;
			const unsigned char *blob;
			size_t len;
			char *line;

			cr_assert_eq(jcert_sign(c, ca), 0, "%s by %s",
			    key_names[j], key_names[i]);
			cr_assert_eq(jcert_verify(c, ca), 0);
			blob = jcert_blob(c, &len);
			cr_assert_eq(jcert_parse(blob, len, &back), 0, "%s by %s",
			    key_names[j], key_names[i]);
			cr_assert_eq(jcert_verify(back, ca), 0, "%s by %s",
			    key_names[j], key_names[i]);
			cr_assert_eq(jcert_verify(back, NULL), 0);
			assert_same_fields(back, subject, ca, 1000 + j);
			jcert_free(back);
			cr_assert_eq(jcert_format_line(c, "k", &line), 0);
			cr_assert_eq(jcert_parse_line(line, &back), 0);
			cr_assert_str_eq(jcert_type_name(back), jcert_type_name(c));
			assert_same_fields(back, subject, ca, 1000 + j);
			jcert_free(back);
			free(line);
			jcert_free(c);
			jkey_free(subject);
		}
		jkey_free(ca);
	}
}

/* A flipped bit anywhere must make parsing or verification fail. */
Test(jcert, any_flipped_byte_fails_verification)
{
	size_t i, pos;

	for (i = 0; i < NTYPES; i++) {
		struct jkey *ca = test_key(key_names[i]);
		struct jkey *subject = test_key("ed25519");
		struct jcert *c = make_cert(subject, 7), *back;
		const unsigned char *blob;
		unsigned char *copy;
		size_t len;

		cr_assert_eq(jcert_sign(c, ca), 0);
		blob = jcert_blob(c, &len);
		copy = malloc(len);
		memcpy(copy, blob, len);
		for (pos = 0; pos < len; pos++) {
			copy[pos] ^= 0x01;
			if (jcert_parse(copy, len, &back) == 0) {
				cr_assert_neq(jcert_verify(back, ca), 0,
				    "CA %s: flip at byte %zu of %zu verified",
				    key_names[i], pos, len);
				jcert_free(back);
			}
			copy[pos] ^= 0x01;
		}
		cr_assert_eq(jcert_parse(copy, len, &back), 0);
		cr_assert_eq(jcert_verify(back, ca), 0);
		jcert_free(back);
		free(copy);
		jcert_free(c);
		jkey_free(subject);
		jkey_free(ca);
	}
}

Test(jcert, another_ca_does_not_verify)
{
	struct jkey *ca = test_key("ed25519"), *other = test_key("ecdsa256");
	struct jkey *subject = test_key("ecdsa384");
	struct jcert *c = make_cert(subject, 1);

	cr_assert_eq(jcert_sign(c, ca), 0);
	cr_assert_eq(jcert_verify(c, other), JIT_ERR_SIGNATURE_INVALID);
	jcert_free(c);
	jkey_free(ca);
	jkey_free(other);
	jkey_free(subject);
}

Test(jcert, empty_principals_are_refused_when_signing)
{
	struct jkey *ca = test_key("ed25519");
	struct jcert *c = jcert_new();

	cr_assert_eq(jcert_set_key(c, ca), 0);
	cr_assert_eq(jcert_set_validity(c, 1, 2), 0);
	cr_assert_eq(jcert_sign(c, ca), JIT_ERR_PRINCIPALS_EMPTY);
	cr_assert_null(jcert_blob(c, NULL));
	jcert_free(c);
	jkey_free(ca);
}

Test(jcert, bad_principals_and_options_are_refused)
{
	struct jcert *c = jcert_new();

	cr_assert_eq(jcert_add_principal(c, ""), JIT_ERR_INVALID_FORMAT);
	cr_assert_eq(jcert_add_principal(c, "a b"), JIT_ERR_INVALID_FORMAT);
	cr_assert_eq(jcert_add_principal(c, "a,b"), JIT_ERR_INVALID_FORMAT);
	cr_assert_eq(jcert_add_principal(c, "a\tb"), JIT_ERR_INVALID_FORMAT);
	cr_assert_eq(jcert_add_principal(c, "root"), 0);
	cr_assert_eq(jcert_add_principal(c, "root"), JIT_ERR_OPTION_DUPLICATE);
	cr_assert_eq(jcert_add_extension(c, "permit-pty"), 0);
	cr_assert_eq(jcert_add_extension(c, "permit-pty"),
	    JIT_ERR_OPTION_DUPLICATE);
	cr_assert_eq(jcert_add_critical(c, "force-command", "a\nb"),
	    JIT_ERR_INVALID_ARGUMENT);
	cr_assert_eq(jcert_set_key_id(c, "x\ny"), JIT_ERR_INVALID_ARGUMENT);
	cr_assert_eq(jcert_set_validity(c, 5, 5), JIT_ERR_INVALID_ARGUMENT);
	cr_assert_eq(jcert_set_type(c, 3), JIT_ERR_INVALID_ARGUMENT);
	cr_assert_eq(jcert_nprincipals(c), 1);
	jcert_free(c);
}

Test(jcert, nonce_is_fresh_for_each_signature)
{
	struct jkey *ca = test_key("ed25519");
	struct jcert *a = make_cert(ca, 1), *b = make_cert(ca, 1);
	const unsigned char *pa, *pb;
	size_t la, lb;

	cr_assert_eq(jcert_sign(a, ca), 0);
	cr_assert_eq(jcert_sign(b, ca), 0);
	pa = jcert_blob(a, &la);
	pb = jcert_blob(b, &lb);
	cr_assert_eq(la, lb);
	/* type name string (4 + 32 bytes), then the 32-byte nonce */
	cr_assert_neq(memcmp(pa + 36 + 4, pb + 36 + 4, 32), 0);
	jcert_free(a);
	jcert_free(b);
	jkey_free(ca);
}

Test(jcert, setters_refuse_after_signing)
{
	struct jkey *ca = test_key("ed25519");
	struct jcert *c = make_cert(ca, 1);

	cr_assert_eq(jcert_sign(c, ca), 0);
	cr_assert_eq(jcert_add_principal(c, "x"), JIT_ERR_INVALID_ARGUMENT);
	cr_assert_eq(jcert_set_serial(c, 2), JIT_ERR_INVALID_ARGUMENT);
	cr_assert_eq(jcert_sign(c, ca), JIT_ERR_INVALID_ARGUMENT);
	jcert_free(c);
	jkey_free(ca);
}

Test(jcert, check_time_type_and_principal)
{
	struct jkey *ca = test_key("ed25519");
	struct jcert *c = make_cert(ca, 1);

	cr_assert_eq(jcert_sign(c, ca), 0);
	cr_assert_eq(jcert_check(c, JCERT_TYPE_USER, 1700000000, "alice"), 0);
	cr_assert_eq(jcert_check(c, JCERT_TYPE_USER, 1700000599, "deploy"), 0);
	cr_assert_eq(jcert_check(c, JCERT_TYPE_USER, 1699999999, "alice"),
	    JIT_ERR_CERT_INVALID);
	cr_assert_eq(jcert_check(c, JCERT_TYPE_USER, 1700000600, "alice"),
	    JIT_ERR_CERT_INVALID);
	cr_assert_eq(jcert_check(c, JCERT_TYPE_USER, 1700000100, "root"),
	    JIT_ERR_CERT_INVALID);
	cr_assert_eq(jcert_check(c, JCERT_TYPE_HOST, 1700000100, NULL),
	    JIT_ERR_CERT_INVALID);
	jcert_free(c);
	jkey_free(ca);
}

/*
 * Hand-built certificates for what jcert_sign() never produces: the parser
 * must refuse them even when correctly signed.
 */
static void
put_raw_cert(struct jbuf *b, const struct jkey *ca, const struct jbuf *principals,
    const struct jbuf *crit, const struct jbuf *ext, int trailing)
{
	struct jbuf *sig = jbuf_new(), *cab = jbuf_new();
	unsigned char nonce[32] = { 1 };

	cr_assert_eq(jbuf_put_cstring(b, "ssh-ed25519-cert-v01@openssh.com"), 0);
	cr_assert_eq(jbuf_put_string(b, nonce, sizeof(nonce)), 0);
	cr_assert_eq(jkey_put_public_fields(ca, b), 0);
	cr_assert_eq(jbuf_put_u64(b, 1), 0);
	cr_assert_eq(jbuf_put_u32(b, JCERT_TYPE_USER), 0);
	cr_assert_eq(jbuf_put_cstring(b, "id"), 0);
	cr_assert_eq(jbuf_put_stringb(b, principals), 0);
	cr_assert_eq(jbuf_put_u64(b, 0), 0);
	cr_assert_eq(jbuf_put_u64(b, UINT64_MAX), 0);
	cr_assert_eq(jbuf_put_stringb(b, crit), 0);
	cr_assert_eq(jbuf_put_stringb(b, ext), 0);
	cr_assert_eq(jbuf_put_string(b, NULL, 0), 0);
	cr_assert_eq(jkey_put_public(ca, cab), 0);
	cr_assert_eq(jbuf_put_stringb(b, cab), 0);
	cr_assert_eq(jkey_sign(ca, jbuf_ptr(b), jbuf_len(b), sig), 0);
	cr_assert_eq(jbuf_put_stringb(b, sig), 0);
	if (trailing)
		cr_assert_eq(jbuf_put_u8(b, 0), 0);
	jbuf_free(sig);
	jbuf_free(cab);
}

Test(jcert, parser_refuses_what_we_never_sign)
{
	struct jkey *ca = test_key("ed25519");
	struct jbuf *b = jbuf_new(), *pr = jbuf_new(), *none = jbuf_new();
	struct jbuf *unsorted = jbuf_new(), *dup = jbuf_new();
	struct jcert *c = (struct jcert *)1;

	cr_assert_eq(jbuf_put_cstring(pr, "alice"), 0);
	/* A well-formed one first, so the failures below mean something. */
	put_raw_cert(b, ca, pr, none, none, 0);
	cr_assert_eq(jcert_parse(jbuf_ptr(b), jbuf_len(b), &c), 0);
	cr_assert_eq(jcert_verify(c, ca), 0);
	jcert_free(c);

	jbuf_reset(b);
	put_raw_cert(b, ca, none, none, none, 0);
	cr_assert_eq(jcert_parse(jbuf_ptr(b), jbuf_len(b), &c),
	    JIT_ERR_PRINCIPALS_EMPTY);
	cr_assert_null(c);

	jbuf_reset(b);
	put_raw_cert(b, ca, pr, none, none, 1);
	cr_assert_eq(jcert_parse(jbuf_ptr(b), jbuf_len(b), &c),
	    JIT_ERR_TRAILING_DATA);

	cr_assert_eq(jbuf_put_cstring(unsorted, "permit-pty"), 0);
	cr_assert_eq(jbuf_put_string(unsorted, NULL, 0), 0);
	cr_assert_eq(jbuf_put_cstring(unsorted, "permit-agent-forwarding"), 0);
	cr_assert_eq(jbuf_put_string(unsorted, NULL, 0), 0);
	jbuf_reset(b);
	put_raw_cert(b, ca, pr, none, unsorted, 0);
	cr_assert_eq(jcert_parse(jbuf_ptr(b), jbuf_len(b), &c),
	    JIT_ERR_OPTION_ORDER);

	cr_assert_eq(jbuf_put_cstring(dup, "permit-pty"), 0);
	cr_assert_eq(jbuf_put_string(dup, NULL, 0), 0);
	cr_assert_eq(jbuf_put_cstring(dup, "permit-pty"), 0);
	cr_assert_eq(jbuf_put_string(dup, NULL, 0), 0);
	jbuf_reset(b);
	put_raw_cert(b, ca, pr, dup, none, 0);
	cr_assert_eq(jcert_parse(jbuf_ptr(b), jbuf_len(b), &c),
	    JIT_ERR_OPTION_DUPLICATE);

	/* A principal with an embedded NUL. */
	jbuf_reset(pr);
	cr_assert_eq(jbuf_put_string(pr, "ro\0ot", 5), 0);
	jbuf_reset(b);
	put_raw_cert(b, ca, pr, none, none, 0);
	cr_assert_eq(jcert_parse(jbuf_ptr(b), jbuf_len(b), &c),
	    JIT_ERR_EMBEDDED_NUL);

	/* A plain key is not a certificate. */
	jbuf_reset(b);
	cr_assert_eq(jkey_put_public(ca, b), 0);
	cr_assert_eq(jcert_parse(jbuf_ptr(b), jbuf_len(b), &c), JIT_ERR_NOT_CERT);

	jbuf_free(b);
	jbuf_free(pr);
	jbuf_free(none);
	jbuf_free(unsorted);
	jbuf_free(dup);
	jkey_free(ca);
}

Test(jcert, truncated_certificates_are_refused)
{
	struct jkey *ca = test_key("ecdsa256");
	struct jcert *c = make_cert(ca, 9), *back;
	const unsigned char *blob;
	size_t len, cut;

	cr_assert_eq(jcert_sign(c, ca), 0);
	blob = jcert_blob(c, &len);
	for (cut = 0; cut < len; cut++) {
		cr_assert_neq(jcert_parse(blob, cut, &back), 0, "cut at %zu", cut);
		cr_assert_null(back);
	}
	jcert_free(c);
	jkey_free(ca);
}
