/*
 * jsshkey.h: libssh's keys as our keys.  Built into its own library
 * (common_ssh_dep) so that only the programs that speak SSH link libssh.
 */
#ifndef JIT_JSSHKEY_H
#define JIT_JSSHKEY_H

#include <libssh/libssh.h>

struct jkey;

/* The public half of a libssh key, parsed strictly by jkey. */
int jkey_from_ssh(ssh_key k, struct jkey **out);

/*
 * A private key file as a libssh key: checked (a regular file, no
 * symlink, no group or other access) and read through one descriptor, then
 * parsed from memory, so the file checked is the file used.  cb asks for a
 * passphrase (NULL: none).  JIT_ERR_BAD_PERMISSIONS, JIT_ERR_NOT_FOUND,
 * JIT_ERR_INVALID_FORMAT (not a regular file, or not a private key) ...
 */
int jssh_import_private(const char *path, ssh_auth_callback cb, void *cbarg,
    ssh_key *keyp);

#endif /* JIT_JSSHKEY_H */
