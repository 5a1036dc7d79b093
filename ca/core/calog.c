/*
 * calog.c: the program's messages (calog.h).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calog.h"
#include "jit-util.h"
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
		jit_format_time(jit_now(), line, sizeof(line));
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
ca_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ca_vlog(1, fmt, ap);
	va_end(ap);
}

void
ca_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ca_vlog(0, fmt, ap);
	va_end(ap);
}
