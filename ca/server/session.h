/*
 * session.h: one client connection, over SSH (libssh: the only file of
 * the service that speaks it).  Key exchange, authentication through
 * auth.c, one exec channel at a time whose command rpc.c runs, and the
 * deadlines: authentication, idle, a login's stdin, and SIGTERM's wind
 * down (server.h: stopping).
 */
#ifndef JIT_CA_SESSION_H
#define JIT_CA_SESSION_H

struct server;
struct session_bind;

/*
 * The listener's SSH side: the host key at path, checked (owner-only, no
 * symlink) and read through one descriptor, then handed to libssh from
 * memory, so the file checked is the file used.  Prints why not.
 */
int session_bind_new(const char *hostkey_path, struct session_bind **bp);
void session_bind_free(struct session_bind *b);

/*
 * Serves the accepted connection fd from addr in a thread of its own.
 * The connection was admitted by admit_conn(): it is released (and fd
 * closed) when the session ends, or at once when it cannot start (-1).
 */
int session_start(struct server *s, struct session_bind *b, int fd,
    const char *addr);

#endif /* JIT_CA_SESSION_H */
