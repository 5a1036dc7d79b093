/* Unit tests for keys: lines, blobs, fingerprints, private formats, signing. */
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "testutil.h"

static const char *const names[] = {
	"ed25519", "ecdsa256", "ecdsa384", "ecdsa521", "rsa3072", "rsa4096",
};
static const enum jkey_type types[] = {
	JKEY_ED25519, JKEY_ECDSA_P256, JKEY_ECDSA_P384, JKEY_ECDSA_P521,
	JKEY_RSA, JKEY_RSA,
};
#define NKEYS (sizeof(names) / sizeof(names[0]))

Test(jkey, ssh_keygen_private_keys_load_and_match_their_public_lines)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		char pubname[64], *line, *ours, *comment;
		struct jkey *k = test_key(names[i]), *pub;

		cr_assert_eq(jkey_type(k), types[i]);
		cr_assert(jkey_is_private(k));
		snprintf(pubname, sizeof(pubname), "key_%s.pub", names[i]);
		line = test_file(pubname);
		cr_assert_eq(jkey_parse_line(line, &pub, &comment), 0, "%s", names[i]);
		cr_assert_not(jkey_is_private(pub));
		cr_assert(jkey_equal_public(k, pub));
		cr_assert_eq(strncmp(comment, "test-", 5), 0);
		/* Our line is byte for byte what ssh-keygen wrote. */
		cr_assert_eq(jkey_format_line(pub, comment, &ours), 0);
		line[strcspn(line, "\n")] = '\0';
		cr_assert_str_eq(ours, line);
		free(ours);
		free(comment);
		free(line);
		jkey_free(pub);
		jkey_free(k);
	}
}

Test(jkey, fingerprint_matches_ssh_keygen)
{
	/* ssh-keygen -lf tests/data/key_ed25519.pub, computed independently. */
	struct jkey *k = test_key("ed25519");
	char *fp, cmd[4096], want[256];
	FILE *f;

	cr_assert_eq(jkey_fingerprint(k, &fp), 0);
	cr_assert_eq(strncmp(fp, "SHA256:", 7), 0);
	cr_assert_eq(strlen(fp), 7 + 43);
	snprintf(cmd, sizeof(cmd), "ssh-keygen -lf %s/key_ed25519.pub "
	    "| cut -d' ' -f2", TEST_DATA_DIR);
	if ((f = popen(cmd, "r")) != NULL && fgets(want, sizeof(want), f)) {
		want[strcspn(want, "\n")] = '\0';
		cr_assert_str_eq(fp, want);
	}
	if (f != NULL)
		pclose(f);
	free(fp);
	jkey_free(k);
}

Test(jkey, generate_serialize_parse_round_trip)
{
	static const enum jkey_type gen[] = { JKEY_ED25519, JKEY_ECDSA_P256,
	    JKEY_ECDSA_P384, JKEY_ECDSA_P521, JKEY_RSA };
	size_t i;

	for (i = 0; i < sizeof(gen) / sizeof(gen[0]); i++) {
		struct jkey *k = NULL, *back = NULL, *pub = NULL;
		struct jbuf *b = jbuf_new(), *sig = jbuf_new();
		char *comment = NULL, *line = NULL;

		cr_assert_eq(jkey_generate(gen[i], 0, &k), 0);
		cr_assert_eq(jkey_private_serialize(k, "c o m", b), 0);
		cr_assert_eq(jkey_private_parse(jbuf_ptr(b), jbuf_len(b), &back,
		    &comment), 0, "type %d", gen[i]);
		cr_assert_str_eq(comment, "c o m");
		cr_assert(jkey_equal_public(k, back));
		/* The reloaded key signs what the original verifies. */
		cr_assert_eq(jkey_sign(back, (const unsigned char *)"msg", 3, sig), 0);
		cr_assert_eq(jkey_verify(k, jbuf_ptr(sig), jbuf_len(sig),
		    (const unsigned char *)"msg", 3), 0);
		cr_assert_eq(jkey_verify(k, jbuf_ptr(sig), jbuf_len(sig),
		    (const unsigned char *)"msh", 3), JIT_ERR_SIGNATURE_INVALID);
		cr_assert_eq(jkey_format_line(k, NULL, &line), 0);
		cr_assert_eq(jkey_parse_line(line, &pub, NULL), 0);
		cr_assert(jkey_equal_public(pub, k));
		cr_assert_eq(jkey_is_private(pub), 0);
		free(line);
		free(comment);
		jkey_free(pub);
		jkey_free(back);
		jkey_free(k);
		jbuf_free(b);
		jbuf_free(sig);
	}
}

Test(jkey, signatures_from_one_key_do_not_verify_with_another)
{
	struct jkey *a = test_key("ecdsa256"), *b = test_key("ecdsa384");
	struct jkey *c = NULL;
	struct jbuf *sig = jbuf_new();

	cr_assert_eq(jkey_generate(JKEY_ECDSA_P256, 0, &c), 0);
	cr_assert_eq(jkey_sign(a, (const unsigned char *)"x", 1, sig), 0);
	cr_assert_eq(jkey_verify(c, jbuf_ptr(sig), jbuf_len(sig),
	    (const unsigned char *)"x", 1), JIT_ERR_SIGNATURE_INVALID);
	cr_assert_eq(jkey_verify(b, jbuf_ptr(sig), jbuf_len(sig),
	    (const unsigned char *)"x", 1), JIT_ERR_KEY_TYPE_MISMATCH);
	jkey_free(a);
	jkey_free(b);
	jkey_free(c);
	jbuf_free(sig);
}

Test(jkey, public_key_cannot_sign)
{
	struct jkey *k = test_key("ed25519"), *pub;
	struct jbuf *sig = jbuf_new();

	cr_assert_eq(jkey_demote(k, &pub), 0);
	cr_assert_eq(jkey_sign(pub, (const unsigned char *)"x", 1, sig),
	    JIT_ERR_KEY_INVALID);
	cr_assert_eq(jbuf_len(sig), 0);
	jkey_free(pub);
	jkey_free(k);
	jbuf_free(sig);
}

Test(jkey, bad_lines_are_refused)
{
	struct jkey *k = test_key("ed25519"), *out = (struct jkey *)1;
	char *good, *line, *b64;
	char big[JKEY_LINE_MAX + 16];

	cr_assert_eq(jkey_format_line(k, "me", &good), 0);
	b64 = strchr(good, ' ') + 1;

	cr_assert_eq(jkey_parse_line("", &out, NULL), JIT_ERR_INVALID_FORMAT);
	cr_assert_null(out);
	cr_assert_eq(jkey_parse_line("ssh-ed25519", &out, NULL),
	    JIT_ERR_INVALID_FORMAT);
	cr_assert_eq(asprintf(&line, "ssh-foo %s", b64) > 0, 1);
	cr_assert_eq(jkey_parse_line(line, &out, NULL), JIT_ERR_KEY_TYPE_UNKNOWN);
	free(line);
	/* Type word and blob disagree. */
	cr_assert_eq(asprintf(&line, "ecdsa-sha2-nistp256 %s", b64) > 0, 1);
	cr_assert_eq(jkey_parse_line(line, &out, NULL), JIT_ERR_KEY_TYPE_MISMATCH);
	free(line);
	/* Broken base64. */
	cr_assert_eq(asprintf(&line, "ssh-ed25519 %.20s!%s", b64, b64 + 21) > 0, 1);
	cr_assert_eq(jkey_parse_line(line, &out, NULL), JIT_ERR_INVALID_FORMAT);
	free(line);
	/* Truncated blob. */
	cr_assert_eq(asprintf(&line, "ssh-ed25519 %.40s", b64) > 0, 1);
	cr_assert_neq(jkey_parse_line(line, &out, NULL), 0);
	free(line);
	/* Two lines in one. */
	cr_assert_eq(asprintf(&line, "%s\n%s", good, good) > 0, 1);
	cr_assert_eq(jkey_parse_line(line, &out, NULL), JIT_ERR_INVALID_FORMAT);
	free(line);
	/* Over-long line. */
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "ssh-ed25519 ", 12);
	cr_assert_eq(jkey_parse_line(big, &out, NULL), JIT_ERR_STRING_TOO_LARGE);
	cr_assert_null(out);
	/* A trailing newline and extra blanks are fine. */
	cr_assert_eq(asprintf(&line, "  %s  \n", good) > 0, 1);
	cr_assert_eq(jkey_parse_line(line, &out, NULL), 0);
	jkey_free(out);
	free(line);
	free(good);
	jkey_free(k);
}

Test(jkey, blob_with_trailing_byte_is_refused)
{
	struct jkey *k = test_key("ecdsa521"), *out;
	struct jbuf *b = jbuf_new();

	cr_assert_eq(jkey_put_public(k, b), 0);
	cr_assert_eq(jkey_from_blob(jbuf_ptr(b), jbuf_len(b), &out), 0);
	jkey_free(out);
	cr_assert_eq(jbuf_put_u8(b, 0), 0);
	cr_assert_eq(jkey_from_blob(jbuf_ptr(b), jbuf_len(b), &out),
	    JIT_ERR_TRAILING_DATA);
	cr_assert_null(out);
	jkey_free(k);
	jbuf_free(b);
}

Test(jkey, ecdsa_point_off_the_curve_is_refused)
{
	struct jkey *k = test_key("ecdsa256"), *out;
	struct jbuf *b = jbuf_new();
	unsigned char *copy;
	size_t len;

	cr_assert_eq(jkey_put_public(k, b), 0);
	len = jbuf_len(b);
	copy = malloc(len);
	memcpy(copy, jbuf_ptr(b), len);
	copy[len - 1] ^= 0x01;	/* last byte of Y */
	cr_assert_eq(jkey_from_blob(copy, len, &out), JIT_ERR_KEY_INVALID);
	copy[len - 1] ^= 0x01;
	copy[len - 65] = 0x02;	/* compressed point marker */
	cr_assert_eq(jkey_from_blob(copy, len, &out), JIT_ERR_KEY_INVALID);
	free(copy);
	jkey_free(k);
	jbuf_free(b);
}

Test(jkey, rsa_below_3072_bits_is_refused)
{
	char *line = test_file("key_rsa2048.pub");
	struct jkey *out = NULL;
	struct jbuf *b = NULL;

	cr_assert_eq(jkey_parse_line(line, &out, NULL), JIT_ERR_KEY_TOO_SMALL);
	cr_assert_null(out);
	cr_assert_eq(jkey_generate(JKEY_RSA, 2048, &out), JIT_ERR_KEY_TOO_SMALL);
	free(line);
	line = test_file("key_rsa2048");
	cr_assert_eq(jkey_private_parse((unsigned char *)line, strlen(line),
	    &out, NULL), JIT_ERR_KEY_TOO_SMALL);
	free(line);
	jbuf_free(b);
}

Test(jkey, encrypted_private_key_is_refused_clearly)
{
	char *text = test_file("key_encrypted");
	struct jkey *out;

	cr_assert_eq(jkey_private_parse((unsigned char *)text, strlen(text),
	    &out, NULL), JIT_ERR_KEY_ENCRYPTED);
	cr_assert_null(out);
	free(text);
}

Test(jkey, damaged_private_key_is_refused)
{
	char *text = test_file("key_ed25519");
	struct jkey *out;
	size_t len = strlen(text), i;

	/* Cut the armour. */
	cr_assert_neq(jkey_private_parse((unsigned char *)text, len - 10, &out,
	    NULL), 0);
	/*
	 * Change one base64 character anywhere in the magic, the public key,
	 * the checkints or the private key (the first 225 decoded bytes of
	 * an Ed25519 key; the comment after them may change freely).
	 */
	for (i = 37; i < 37 + 225 * 4 / 3; i++) {
		char saved = text[i];

		if (saved == '\n')
			continue;
		text[i] = saved == 'A' ? 'B' : 'A';
		cr_assert_neq(jkey_private_parse((unsigned char *)text, len,
		    &out, NULL), 0, "flip at %zu accepted", i);
		text[i] = saved;
	}
	cr_assert_eq(jkey_private_parse((unsigned char *)text, len, &out, NULL), 0);
	jkey_free(out);
	free(text);
}

Test(jkey, load_private_refuses_group_or_other_readable_files)
{
	char dir[] = "/tmp/jit-test-XXXXXX", path[4096];
	struct jkey *k = NULL, *back = NULL;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/k", dir);
	cr_assert_eq(jkey_generate(JKEY_ED25519, 0, &k), 0);
	cr_assert_eq(jkey_save_private(k, "c", path), 0);
	/* Refuses to overwrite. */
	cr_assert_eq(jkey_save_private(k, "c", path), JIT_ERR_EXISTS);
	cr_assert_eq(jkey_load_private(path, &back, NULL), 0);
	cr_assert(jkey_equal_public(k, back));
	jkey_free(back);
	cr_assert_eq(chmod(path, 0640), 0);
	cr_assert_eq(jkey_load_private(path, &back, NULL),
	    JIT_ERR_BAD_PERMISSIONS);
	cr_assert_null(back);
	cr_assert_eq(chmod(path, 0604), 0);
	cr_assert_eq(jkey_load_private(path, &back, NULL),
	    JIT_ERR_BAD_PERMISSIONS);
	cr_assert_eq(chmod(path, 0600), 0);
	cr_assert_eq(jkey_load_private(path, &back, NULL), 0);
	jkey_free(back);
	snprintf(path, sizeof(path), "%s/k.pub", dir);
	cr_assert_eq(jkey_load_public(path, &back, NULL), 0);
	cr_assert(jkey_equal_public(k, back));
	jkey_free(back);
	jkey_free(k);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	cr_assert_eq(system(path), 0);
}

/* A signer outside the key (as a token is): here another key's jkey_sign,
 * its SSH signature blob unwrapped (Ed25519 and RSA blobs are EVP's raw
 * signature); fail makes it fail as a lost token does. */
struct ext {
	struct jkey *real;
	int fail, calls;
};

static int
ext_sign(void *arg, const unsigned char *data, size_t len,
    unsigned char **rawp, size_t *raw_lenp)
{
	struct ext *e = arg;
	struct jbuf *sig, *b = NULL;
	const unsigned char *alg, *raw;
	size_t alg_len, raw_len;
	int r;

	e->calls++;
	if (e->fail)
		return JIT_ERR_TOKEN;
	cr_assert_not_null(sig = jbuf_new());
	cr_assert_eq(jkey_sign(e->real, data, len, sig), 0);
	cr_assert_not_null(b = jbuf_from(jbuf_ptr(sig), jbuf_len(sig)));
	cr_assert_eq(jbuf_get_string_direct(b, &alg, &alg_len), 0);
	cr_assert_eq(jbuf_get_string_direct(b, &raw, &raw_len), 0);
	cr_assert_not_null(*rawp = malloc(raw_len));
	memcpy(*rawp, raw, raw_len);
	*raw_lenp = raw_len;
	r = 0;
	jbuf_free(b);
	jbuf_free(sig);
	return r;
}

Test(jkey, an_external_signer_signs_for_the_public_key_and_cannot_be_saved)
{
	static const char *const which[] = { "ed25519", "rsa3072" };
	size_t i;

	for (i = 0; i < 2; i++) {
		struct ext e = { test_key(which[i]), 0, 0 };
		struct jkey *pub = NULL, *k = NULL;
		struct jbuf *sig = jbuf_new(), *out = jbuf_new();

		cr_assert_eq(jkey_demote(e.real, &pub), 0);
		cr_assert_eq(jkey_external(pub, NULL, &e, &k),
		    JIT_ERR_INVALID_ARGUMENT);
		cr_assert_null(k);
		cr_assert_eq(jkey_external(pub, ext_sign, &e, &k), 0);
		cr_assert(jkey_is_private(k));
		cr_assert(jkey_equal_public(k, pub));
		cr_assert_eq(jkey_sign(k, (const unsigned char *)"msg", 3, sig), 0);
		cr_assert_eq(e.calls, 1);
		cr_assert_eq(jkey_verify(pub, jbuf_ptr(sig), jbuf_len(sig),
		    (const unsigned char *)"msg", 3), 0, "%s", which[i]);
		cr_assert_eq(jkey_verify(pub, jbuf_ptr(sig), jbuf_len(sig),
		    (const unsigned char *)"msh", 3), JIT_ERR_SIGNATURE_INVALID);
		/* The signer's failure is the signature's, and adds nothing. */
		e.fail = 1;
		jbuf_reset(sig);
		cr_assert_eq(jkey_sign(k, (const unsigned char *)"m", 1, sig),
		    JIT_ERR_TOKEN);
		cr_assert_eq(jbuf_len(sig), 0);
		/* Its private half is not ours: nothing to save. */
		cr_assert_neq(jkey_private_serialize(k, "c", out), 0);
		cr_assert_eq(jbuf_len(out), 0);
		jkey_free(k);
		jkey_free(pub);
		jkey_free(e.real);
		jbuf_free(sig);
		jbuf_free(out);
	}
}
