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

/* Parses the audit filter flags (--dir only when dirp is not NULL). */
int ca_audit_parse(int argc, char **argv, struct jstore_filter *f, int *mode,
    const char **dirp);

/*
 * Applies one audit filter option (long name without "--"; val NULL for
 * json/csv).  On a bad value returns -1 with a message in err.
 */
int ca_audit_option(struct jstore_filter *f, int *mode, const char *name,
    const char *val, char *err, size_t errlen);

/* Prints matching events to out as a table, JSON Lines or CSV. */
int ca_audit_print(struct jstore *st, const struct jstore_filter *f, int mode,
    FILE *out);

#endif /* JIT_CA_AUDIT_H */
