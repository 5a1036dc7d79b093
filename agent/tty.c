/*
 * tty.c: prompts on the controlling terminal, with echo off for secrets
 * (verification codes, passphrases).  Like readpassphrase(3): /dev/tty,
 * not stdin, so a key can still be piped in.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "jit-util.h"
#include "jitssh.h"

volatile sig_atomic_t js_interrupted;

int
js_have_tty(void)
{
	int fd;

	if (!isatty(STDIN_FILENO) && !isatty(STDERR_FILENO))
		return 0;
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		return 0;
	close(fd);
	return 1;
}

int
js_prompt(const char *prompt, int echo, char *buf, size_t size)
{
	struct termios saved, t;
	size_t n = 0;
	int fd, restore = 0, rc = -1;
	char c;
	ssize_t r;

	if (size == 0 || (fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		return -1;
	if (!echo && tcgetattr(fd, &saved) == 0) {
		t = saved;
		t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		if (tcsetattr(fd, TCSAFLUSH, &t) == 0)
			restore = 1;
	}
	(void)!write(fd, prompt, strlen(prompt));
	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR && !js_interrupted)
			continue;
		if (r <= 0 || js_interrupted)
			goto out;
		if (c == '\n' || c == '\r')
			break;
		if (n + 1 < size)
			buf[n++] = c;
	}
	buf[n] = '\0';
	rc = 0;
 out:
	if (restore)
		(void)tcsetattr(fd, TCSAFLUSH, &saved);
	if (!echo)
		(void)!write(fd, "\n", 1);
	if (rc != 0)
		jit_wipe(buf, size);
	close(fd);
	return rc;
}
