/* TOTP secrets at rest: the key file and AES-256-GCM sealing (ca/totp-seal.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cadir.h"
#include "totp-seal.h"
#include "jit-err.h"

static char dir[64];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/jit-seal.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(totp_seal, .init = setup, .fini = teardown);

static const unsigned char secret[20] = "12345678901234567890";

Test(totp_seal, key_file_is_made_once_private_and_reread)
{
	unsigned char k1[CA_TOTP_KEY_LEN], k2[CA_TOTP_KEY_LEN];
	char path[128];
	struct stat st;

	cr_assert_eq(ca_totp_key_load(dir, 0, k1), JIT_ERR_NOT_FOUND,
	    "no file and no create: not found");
	cr_assert_eq(ca_totp_key_load(dir, 1, k1), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, CA_TOTP_KEY);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(st.st_size, CA_TOTP_KEY_LEN);
	cr_assert_eq(ca_totp_key_load(dir, 1, k2), 0);
	cr_assert_eq(memcmp(k1, k2, sizeof(k1)), 0, "the same key, not a new one");
	cr_assert_eq(chmod(path, 0644), 0);
	cr_assert_eq(ca_totp_key_load(dir, 1, k2), JIT_ERR_BAD_PERMISSIONS);
}

Test(totp_seal, a_key_file_of_the_wrong_size_is_refused)
{
	unsigned char k[CA_TOTP_KEY_LEN];
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, CA_TOTP_KEY);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs("too short", f);
	fclose(f);
	cr_assert_eq(chmod(path, 0600), 0);
	cr_assert_eq(ca_totp_key_load(dir, 1, k), JIT_ERR_INVALID_FORMAT);
}

Test(totp_seal, round_trip_fresh_nonce_and_binding)
{
	unsigned char key[CA_TOTP_KEY_LEN], a[CA_TOTP_SEALED_MAX],
	    b[CA_TOTP_SEALED_MAX], out[CA_TOTP_SECRET_MAX];
	size_t alen, blen, olen, i;

	cr_assert_eq(ca_totp_key_load(dir, 1, key), 0);
	cr_assert_eq(ca_totp_seal(key, "alice", secret, 20, a, sizeof(a), &alen), 0);
	cr_assert_eq(alen, 12 + 20 + 16);
	cr_assert_null(memmem(a, alen, secret, 20), "the secret is not in clear");
	cr_assert_eq(ca_totp_seal(key, "alice", secret, 20, b, sizeof(b), &blen), 0);
	cr_assert_neq(memcmp(a, b, alen), 0, "a fresh nonce each time");
	cr_assert_eq(ca_totp_open(key, "alice", a, alen, out, sizeof(out), &olen), 0);
	cr_assert_eq(olen, 20);
	cr_assert_eq(memcmp(out, secret, 20), 0);
	cr_assert_eq(ca_totp_open(key, "bob", a, alen, out, sizeof(out), &olen),
	    JIT_ERR_SIGNATURE_INVALID, "moved to another user: does not open");
	for (i = 0; i < alen; i++) {
		a[i] ^= 0x01;
		cr_assert_neq(ca_totp_open(key, "alice", a, alen, out, sizeof(out),
		    &olen), 0, "byte %zu flipped", i);
		a[i] ^= 0x01;
	}
	cr_assert_neq(ca_totp_open(key, "alice", a, alen - 1, out, sizeof(out),
	    &olen), 0, "truncated");
	cr_assert_neq(ca_totp_open(key, "alice", a, 28, out, sizeof(out), &olen),
	    0, "nothing sealed");
	key[0] ^= 1;
	cr_assert_eq(ca_totp_open(key, "alice", a, alen, out, sizeof(out), &olen),
	    JIT_ERR_SIGNATURE_INVALID, "another key");
}

Test(totp_seal, sizes_are_bounded)
{
	unsigned char key[CA_TOTP_KEY_LEN] = { 0 }, big[CA_TOTP_SECRET_MAX + 1] = { 0 };
	unsigned char out[CA_TOTP_SEALED_MAX + 16], small[40];
	size_t n;

	cr_assert_neq(ca_totp_seal(key, "a", big, sizeof(big), out, sizeof(out), &n), 0);
	cr_assert_neq(ca_totp_seal(key, "a", secret, 0, out, sizeof(out), &n), 0);
	cr_assert_neq(ca_totp_seal(key, "a", secret, 20, small, sizeof(small), &n), 0,
	    "output buffer too small");
}
