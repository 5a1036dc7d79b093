/*
 * cadir.c: the CA directory (cadir.h): where it is, the paths inside it,
 * and loading what it holds: own keys, public keys, policy and store.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pwd.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cadir.h"
#include "calog.h"
#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"
#include "jpolicy.h"
#include "jstore.h"

const char *
ca_dir(const char *opt)
{
	const char *env;

	if (opt != NULL && *opt != '\0')
		return opt;
	if ((env = getenv(CA_DIR_ENV)) != NULL && *env != '\0')
		return env;
	return CA_DIR_DEFAULT;
}

int
ca_dir_is_ca(const char *dir)
{
	char *cfg = ca_path(dir, CA_CONFIG), *pub = ca_path(dir,
	    CA_USER_KEY ".pub");
	struct stat st;
	int is = stat(cfg, &st) == 0 && stat(pub, &st) == 0;

	free(cfg);
	free(pub);
	return is;
}

const char *
ca_dir_origin(const char *dir)
{
	const char *env = getenv(CA_DIR_ENV);

	if (strcmp(dir, CA_DIR_DEFAULT) == 0 && (env == NULL || *env == '\0'))
		return "the default: no --dir and no $" CA_DIR_ENV;
	if (env != NULL && strcmp(dir, env) == 0)
		return "from $" CA_DIR_ENV;
	return "from --dir";
}

int
ca_dir_check_owner(const char *dir)
{
	struct stat st;
	struct passwd *pw;
	char who[64];

	if (stat(dir, &st) == -1 || st.st_uid == geteuid())
		return 0;
	if ((pw = getpwuid(st.st_uid)) != NULL)
		snprintf(who, sizeof(who), "%s", pw->pw_name);
	else
		snprintf(who, sizeof(who), "#%lu", (unsigned long)st.st_uid);
	ca_error("%s belongs to %s: run this as that user (sudo -u %s "
	    "jit-ssh-ca ...), so that what it writes stays readable by the "
	    "service", dir, who, who);
	return JIT_ERR_BAD_PERMISSIONS;
}

char *
ca_path(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) == -1) {
		ca_error("out of memory");
		exit(CA_EXIT_FAIL);
	}
	return p;
}

int
ca_own_keys_load(const char *dir, struct jkey *keys[CA_OWN_KEYS])
{
	static const char *const names[CA_OWN_KEYS] = { CA_USER_KEY ".pub",
	    CA_HOST_KEY ".pub", CA_LISTEN_KEY ".pub", CA_USER_KEY ".next.pub",
	    CA_USER_KEY ".old.pub", CA_HOST_KEY ".next.pub",
	    CA_HOST_KEY ".old.pub" };
	struct stat st;
	size_t i;
	int r = 0;

	for (i = 0; i < CA_OWN_KEYS; i++)
		keys[i] = NULL;
	for (i = 0; i < CA_OWN_KEYS && r == 0; i++) {
		char *path = ca_path(dir, names[i]);

		if ((i <= CA_OWN_LISTENER || stat(path, &st) == 0) &&
		    (r = jkey_load_public(path, &keys[i], NULL)) != 0)
			ca_error("%s: %s", path, jit_strerror(r));
		free(path);
	}
	if (r != 0)
		ca_own_keys_free(keys);
	return r;
}

void
ca_own_keys_free(struct jkey *keys[CA_OWN_KEYS])
{
	size_t i;

	for (i = 0; i < CA_OWN_KEYS; i++) {
		jkey_free(keys[i]);
		keys[i] = NULL;
	}
}

int
ca_own_key(struct jkey *const keys[CA_OWN_KEYS], const struct jkey *k)
{
	int i;

	for (i = 0; i < CA_OWN_KEYS; i++)
		if (keys[i] != NULL && jkey_equal_public(keys[i], k))
			return i;
	return -1;
}

const char *
ca_own_key_name(int which)
{
	static const char *const what[CA_OWN_KEYS] = { "the user CA's key",
	    "the host CA's key", "the CA service's host key",
	    "the user CA's next key", "the user CA's retiring key",
	    "the host CA's next key", "the host CA's retiring key" };

	return which >= 0 && which < CA_OWN_KEYS ? what[which] : "?";
}

int
ca_refuse_own_key(const char *dir, const struct jkey *k, const char *path,
    int host)
{
	struct jkey *own[CA_OWN_KEYS];
	int which;

	if (ca_own_keys_load(dir, own) != 0)
		return -1;
	which = ca_own_key(own, k);
	ca_own_keys_free(own);
	if (which < 0 || (host && which == CA_OWN_LISTENER))
		return 0;
	ca_error("%s is %s: the CA does not certify its own keys", path,
	    ca_own_key_name(which));
	return -1;
}

int
ca_load_pubkey(const char *path, struct jkey **kp)
{
	struct jbuf *b = NULL;
	int r;

	if ((r = jkey_load_public(path, kp, NULL)) == 0)
		return 0;
	/* Say what it is when it is the private half. */
	if (jit_file_read(path, 64 * 1024, 0, &b) == 0 && jbuf_len(b) > 10 &&
	    memmem(jbuf_ptr(b), jbuf_len(b), "PRIVATE KEY-----", 16) != NULL)
		ca_error("%s is a private key: give its public key (%s.pub); "
		    "the private half never leaves its owner", path, path);
	else
		ca_error("%s: %s (want one OpenSSH public key line)", path,
		    jit_strerror(r));
	if (b != NULL)
		jit_wipe((void *)(uintptr_t)jbuf_ptr(b), jbuf_len(b));
	jbuf_free(b);
	return r;
}

/* Loads DIR/policy.yaml (or file) and prints the error if it is refused. */
int
ca_load_policy(const char *dir, const char *file, struct jpolicy **pp)
{
	char *path = file != NULL ? strdup(file) : ca_path(dir, CA_POLICY);
	char *err = NULL;
	int r;

	if (path == NULL) {
		ca_error("out of memory");
		return JIT_ERR_ALLOC;
	}
	if ((r = jpolicy_load_file(path, pp, &err)) != 0) {
		size_t n = 1;
		const char *e;

		fprintf(stderr, "%s\n", err != NULL ? err : jit_strerror(r));
		for (e = err; e != NULL && (e = strchr(e, '\n')) != NULL; e++)
			n++;
		if (err != NULL && n > 1)
			fprintf(stderr, "%zu problems\n", n);
	}
	free(err);
	free(path);
	return r;
}
