/*
 * util.c: what every jit-ssh-ca command shares: messages, the CA
 * directory and paths inside it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ca.h"
#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"
#include "jtext.h"

/*
 * One line, one write(2): lines from concurrent threads never interleave
 * (a line up to PIPE_BUF is atomic on a pipe or journal socket).  A longer
 * line is cut and ends in "...".
 */
void
ca_vlog(int stamp, const char *fmt, va_list ap)
{
	char msg[1024], line[1024 + 64];
	size_t len = 0, max = sizeof(line) - 1, n;
	int m;

	if (stamp) {
		jit_format_time((uint64_t)time(NULL), line, sizeof(line));
		len = strlen(line);
		line[len++] = ' ';
	}
	memcpy(line + len, "jit-ssh-ca: ", 12);
	len += 12;
	if ((m = vsnprintf(msg, sizeof(msg), fmt, ap)) < 0)
		m = 0;
	/*
	 * One line, whatever the arguments hold: a user name with a newline
	 * or an escape sequence is written as \xNN, never raw.
	 */
	n = jtext_escape(line + len, max - len - 3, msg,
	    (size_t)m < sizeof(msg) ? (size_t)m : sizeof(msg) - 1);
	if (n >= max - len - 3 || (size_t)m >= sizeof(msg)) {
		len = strlen(line);	/* cut between characters: room for ... */
		memcpy(line + len, "...", 3);
		len += 3;
	} else
		len += n;
	line[len++] = '\n';
	(void)!write(STDERR_FILENO, line, len);
}

void
ca_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ca_vlog(0, fmt, ap);
	va_end(ap);
}

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
	    CA_HOST_KEY ".pub", CA_LISTEN_KEY ".pub" };
	size_t i;
	int r = 0;

	for (i = 0; i < CA_OWN_KEYS; i++)
		keys[i] = NULL;
	for (i = 0; i < CA_OWN_KEYS && r == 0; i++) {
		char *path = ca_path(dir, names[i]);

		if ((r = jkey_load_public(path, &keys[i], NULL)) != 0)
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
	    "the host CA's key", "the CA service's host key" };

	return which >= 0 && which < CA_OWN_KEYS ? what[which] : "?";
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
