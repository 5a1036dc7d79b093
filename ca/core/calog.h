/*
 * calog.h: the program's messages.  Library folders never print; the
 * commands do, through these: one write(2) per line, control characters
 * and invalid UTF-8 escaped, so nothing a client sent can forge a line.
 */
#ifndef JIT_CA_CALOG_H
#define JIT_CA_CALOG_H

#include <stdarg.h>

/* The exit statuses of jit-ssh-ca's commands: ok, failure or refusal, usage. */
#define CA_EXIT_OK	0
#define CA_EXIT_FAIL	1
#define CA_EXIT_USAGE	2

/* Prints "jit-ssh-ca: " and the message to stderr, as one line. */
void ca_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The same, after the time (RFC 3339) when stamp is set. */
void ca_vlog(int stamp, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* The service's log line: the time, then as ca_error(). */
void ca_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* JIT_CA_CALOG_H */
