/*
 * spool.h: the recordings' spool, a 0700 directory of the spool user
 * (jit-ssh-rec).  SID.cast is a recording (its recorder holds an
 * exclusive flock while the session runs); SID.end says how it ended;
 * SID.stop is the shipper's word to the recorder that the CA ended it.
 */
#ifndef JIT_HOST_SPOOL_H
#define JIT_HOST_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "jit-util.h"

struct host_config;

struct spool_end {
	const char *reason;	/* "exit", "expired", "revoked", ... */
	int status;		/* the session's exit status */
	uint64_t time;
	uint64_t bytes_in, bytes_out;
};

/*
 * Checks the spool (ours, 0700), its size against spool_max, then creates
 * SID.cast for a new session id, locked.  Says why on stderr and returns
 * -1 when the session cannot be recorded.
 */
int spool_new_session(const struct host_config *cfg, char sid[JIT_SESSION_ID_LEN + 1], int *fdp);

int spool_write_end(const char *spool, const char *sid,
    const struct spool_end *e);
/* The end's reason (copied, len bytes) and figures: 0, or -1 none yet. */
int spool_read_end(const char *spool, const char *sid, char *reason,
    size_t len, struct spool_end *e);

/* 0 when SID.stop is there (its text in why), -1 when not. */
int spool_read_stop(const char *spool, const char *sid, char *why,
    size_t len);
int spool_write_stop(const char *spool, const char *sid, const char *why);

/* 1 while a recorder holds SID.cast, 0 when none does, -1 on error. */
int spool_running(const char *spool, const char *sid);

/* Calls cb for every SID in the spool (oldest file first). */
int spool_each(const char *spool, int (*cb)(const char *sid, void *arg),
    void *arg);

/* Removes SID.cast, SID.end and SID.stop. */
int spool_remove(const char *spool, const char *sid);

#endif /* JIT_HOST_SPOOL_H */
