/*
 * util.c: what every jit-ssh-ca command shares: messages, the CA
 * directory and paths inside it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "ca.h"

void
ca_error(const char *fmt, ...)
{
	va_list ap;

	fputs("jit-ssh-ca: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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
