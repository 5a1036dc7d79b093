/*
 * audit.h: reading the audit log (`jit-ssh-ca audit`, the service's
 * `audit`) and the KRL built from it.
 */
#ifndef JIT_CA_AUDIT_H
#define JIT_CA_AUDIT_H

#include <stddef.h>
#include <stdio.h>

struct jstore;
struct jstore_filter;

struct jit_args;

/*
 * The audit filter options given in a (JIT_AUDIT_FILTER_OPTS of
 * jit-remote.h; --dir is left to the caller) applied to f and *mode: 0,
 * or -1 with the reason in err.
 */
int ca_audit_args(const struct jit_args *a, struct jstore_filter *f, int *mode,
    char *err, size_t errlen);

/* Prints matching events to out as a table, JSON Lines or CSV. */
int ca_audit_print(struct jstore *st, const struct jstore_filter *f, int mode,
    FILE *out);

#endif /* JIT_CA_AUDIT_H */
