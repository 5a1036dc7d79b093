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

/*
 * One line, one write(2): lines from concurrent threads never interleave
 * (a line up to PIPE_BUF is atomic on a pipe or journal socket).  A longer
 * line is cut and ends in "...".
 */
void
ca_vlog(int stamp, const char *fmt, va_list ap)
{
	char line[1024];
	size_t len = 0, max = sizeof(line) - 1;
	int n;

	if (stamp) {
		ca_format_time((uint64_t)time(NULL), line, sizeof(line));
		len = strlen(line);
		line[len++] = ' ';
	}
	memcpy(line + len, "jit-ssh-ca: ", 12);
	len += 12;
	if ((n = vsnprintf(line + len, max - len, fmt, ap)) < 0)
		n = 0;
	if ((size_t)n >= max - len) {
		len = max - 3;
		memcpy(line + len, "...", 3);
		len += 3;
	} else
		len += (size_t)n;
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
