/*
 * jit-util.h: small helpers shared by every part of jit-ssh: wiping and
 * comparing secrets, and reading and writing files safely.
 * All int functions return 0 or a JIT_ERR_* code.
 */
#ifndef JIT_UTIL_H
#define JIT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct jbuf;

/* Wipes len bytes at p (a secret that is not heap memory). */
void jit_wipe(void *p, size_t len);

/* Wipes len bytes at p, then frees p.  NULL-safe. */
void jit_freezero(void *p, size_t len);

/* Wipes and frees a NUL-terminated string.  NULL-safe. */
void jit_free_string(char *s);

/*
 * Keeps this process's memory (keys, secrets, codes) out of core dumps and
 * away from ptrace by processes of the same user, as ssh-agent does:
 * RLIMIT_CORE 0 and PR_SET_DUMPABLE 0.  -1 (errno set) when either fails.
 */
int jit_no_dumps(void);

/*
 * The one clock of the CA, the store's decisions and the client: seconds
 * since the epoch.  jit_clock_set() gives tests a clock of their own (NULL:
 * the real one again); set it before any thread that reads it starts.
 */
uint64_t jit_now(void);
void jit_clock_set(uint64_t (*now)(void));

/* 1 when the len bytes at a and b are equal, in time independent of them. */
int jit_timingsafe_eq(const void *a, const void *b, size_t len);

/* Number of names in a comma-separated list ("" and NULL: 0). */
size_t jit_list_count(const char *list);

/*
 * 1 when id is prefix then lowercase hex digits: exactly ndigits of them,
 * or (ndigits 0) at least one.  Request ids ("r-"), session ids ("s-").
 */
int jit_hex_id_ok(const char *id, const char *prefix, size_t ndigits);
#define JIT_SESSION_ID_LEN	18	/* "s-" + 16 hex digits */

/* Fills buf with len bytes from the CSPRNG. */
int jit_random(void *buf, size_t len);

/* Milliseconds on the monotonic clock (for intervals, never dates). */
uint64_t jit_monotonic_ms(void);

/* t as RFC 3339 UTC ("2026-12-03T09:00:00Z") into buf (32 bytes do). */
void jit_format_time(uint64_t t, char *buf, size_t len);

/* secs as the duration people read and the policy takes: "1d2h", "15m",
 * "45s", "0s" (32 bytes do). */
void jit_format_duration(uint64_t secs, char *buf, size_t len);

/* "90s", "5m", "1h30m", "2d": units in decreasing order, each once,
 * positive, at most JIT_DURATION_MAX seconds; else JIT_ERR_INVALID_FORMAT. */
#define JIT_DURATION_MAX	(366ULL * 86400)
int jit_parse_duration(const char *s, uint64_t *secsp);

#define JIT_FILE_PRIVATE	0x01	/* refuse group/other access bits */
#define JIT_FILE_TRUSTED	0x02	/* refuse group/other write, others' files */

/*
 * Reads a regular file of at most max_size bytes into a new buffer *outp
 * (freed with jbuf_free()).  With JIT_FILE_PRIVATE the file must not be
 * accessible by group or others (JIT_ERR_BAD_PERMISSIONS).  Symlinks are
 * followed only without JIT_FILE_PRIVATE.  With JIT_FILE_TRUSTED (for
 * configuration, as ssh does for ~/.ssh/config) the file must be owned by
 * the user or root and not writable by group or others.  The checks and the
 * read use one descriptor.
 */
int jit_file_read(const char *path, size_t max_size, int flags,
    struct jbuf **outp);

/*
 * Creates path with mode and writes len bytes, durably (fsync of the file
 * and of its directory).  Refuses an existing file (JIT_ERR_EXISTS) unless
 * replace is set, in which case a temporary file is renamed over it so
 * readers see the old or the new contents, never a mix.  On error nothing
 * is left behind.
 */
int jit_file_write(const char *path, const void *data, size_t len,
    mode_t mode, int replace);

/*
 * 1 when url may carry secrets to an identity provider: https, or http on
 * a loopback address (127.0.0.0/8, ::1, localhost).  The policy's check
 * and the CA's client use this one rule.
 */
int jit_url_https_or_loopback(const char *url);

#endif /* JIT_UTIL_H */
