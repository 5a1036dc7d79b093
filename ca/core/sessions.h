/*
 * sessions.h: recorded sessions as people and programs read them
 * (`jit-ssh-ca sessions`, `session export|play`, and the same over SSH
 * for auditors), from the session-start/session-end events and the
 * recordings in the store.
 */
#ifndef JIT_CA_SESSIONS_H
#define JIT_CA_SESSIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct jit_args;
struct jstore;

/* The filters of `sessions` (JIT_SESSIONS_OPTS): 0 or -1 with err. */
struct ca_sessions_filter {
	const char *user, *host;
	uint64_t serial, since, until;
	int json;
};
int ca_sessions_args(const struct jit_args *a, struct ca_sessions_filter *f,
    char *err, size_t errlen);

/* The matching sessions, oldest first, as a table or JSON Lines. */
int ca_sessions_print(struct jstore *st, const struct ca_sessions_filter *f,
    FILE *out);

/*
 * Writes recording id (asciicast v2) to out: JIT_ERR_NOT_FOUND when there
 * is none.
 */
int ca_session_export(struct jstore *st, const char *id, FILE *out);

/* 1 when serial is revoked (and not expired), 0 when not, or an error. */
int ca_serial_revoked(struct jstore *st, uint64_t serial);

#endif /* JIT_CA_SESSIONS_H */
