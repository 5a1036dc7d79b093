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

#endif /* JIT_JSSHKEY_H */
