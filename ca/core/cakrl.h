/*
 * revoked.h: the KRL of what the CA revoked (revoked.c).
 */
#ifndef JIT_CA_CAKRL_H
#define JIT_CA_CAKRL_H

#include <stddef.h>

struct jbuf;
struct jkey;
struct jstore;

/*
 * The KRL of every revoked, unexpired certificate under each of the user
 * CA's published keys cas (ncas of them: during a rotation the old, the
 * active and the next), appended to out; prints what went wrong.
 */
int ca_krl_build(const struct jkey *const *cas, size_t ncas, struct jstore *st,
    struct jbuf *out);

#endif /* JIT_CA_CAKRL_H */
