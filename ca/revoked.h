/*
 * revoked.h: the KRL of what the CA revoked (revoked.c).
 */
#ifndef JIT_CA_REVOKED_H
#define JIT_CA_REVOKED_H

struct jbuf;
struct jkey;
struct jstore;

/*
 * The KRL of every revoked, unexpired certificate under the user CA ca,
 * appended to out; prints what went wrong.
 */
int ca_build_krl(const struct jkey *ca, struct jstore *st, struct jbuf *out);

#endif /* JIT_CA_REVOKED_H */
