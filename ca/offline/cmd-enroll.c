/*
 * cmd-enroll.c: `jit-ssh-ca enroll --dir DIR --user U` gives U a new TOTP
 * secret (160 bits from the CSPRNG), stored in the store with an "enroll"
 * event, and prints the otpauth:// URI (and a QR code on a terminal).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


#include "cadir.h"
#include "calog.h"
#include "jit-verbs.h"
#include "commands.h"
#include "jit-err.h"
#include "jqr.h"
#include "jit-util.h"
#include "jpolicy.h"
#include "jstore.h"
#include "jtotp.h"
#include "totp-seal.h"

/* Percent-encodes everything but unreserved characters (RFC 3986). */
static char *
uri_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out, *o;

	if ((out = malloc(strlen(s) * 3 + 1)) == NULL)
		return NULL;
	for (o = out; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		    c == '~')
			*o++ = (char)c;
		else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

int
cmd_enroll(void *ctx, const struct jit_args *a)
{
	unsigned char secret[JTOTP_SECRET_LEN], key[CA_TOTP_KEY_LEN];
	unsigned char sealed[CA_TOTP_SEALED_MAX];
	size_t sealed_len = 0;
	const char *dir = jit_arg(a, "dir"), *user = jit_arg(a, "user");
	struct jpolicy *p = NULL;
	struct jstore *st = NULL;
	struct jstore_totp old;
	char *b32 = NULL, *uri = NULL, *euser = NULL;
	int r, rc = CA_EXIT_FAIL, replaced;

	(void)ctx;
	if (user == NULL) {
		ca_error("usage: jit-ssh-ca enroll --dir DIR --user U");
		return CA_EXIT_USAGE;
	}
	dir = ca_dir(dir);
	if (ca_load_policy(dir, NULL, &p) != 0)
		goto out;
	if (!jpolicy_user_exists(p, user)) {
		ca_error("%s is not a user in the policy", user);
		goto out;
	}
	if (ca_open_store(dir, 0, &st) != 0)
		goto out;
	replaced = jstore_totp_get(st, user, &old) == 0;
	jit_wipe(&old, sizeof(old));
	if (ca_totp_key_load(dir, 1, key) != 0)
		goto out;
	if ((r = jit_random(secret, sizeof(secret))) != 0 ||
	    (r = ca_totp_seal(key, user, secret, sizeof(secret), sealed,
	    sizeof(sealed), &sealed_len)) != 0 ||
	    (r = jstore_totp_enroll(st, user, sealed, sealed_len,
	    jit_now())) != 0 ||
	    (r = jtotp_base32(secret, sizeof(secret), &b32)) != 0) {
		ca_error("enrolling %s: %s", user, jit_strerror(r));
		goto out;
	}
	if ((euser = uri_escape(user)) == NULL ||
	    asprintf(&uri, "otpauth://totp/jit-ssh:%s?secret=%s&issuer=jit-ssh"
	    "&algorithm=SHA1&digits=6&period=30", euser, b32) == -1) {
		uri = NULL;
		ca_error("out of memory");
		goto out;
	}
	if (isatty(STDOUT_FILENO)) {
		printf("Scan with an authenticator app (or enter the secret by "
		    "hand):\n\n");
		jit_qr_print(stdout, uri);
		printf("\n");
	}
	printf("%s\n", uri);
	if (replaced)
		fprintf(stderr, "replaced %s's previous secret (audited)\n",
		    user);
	rc = CA_EXIT_OK;
 out:
	jit_free_string(uri);
	jit_free_string(b32);
	free(euser);
	jit_wipe(secret, sizeof(secret));
	jit_wipe(key, sizeof(key));
	jstore_close(st);
	jpolicy_free(p);
	return rc;
}
