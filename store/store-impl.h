/* store-impl.h: helpers shared by the files in store/ only. */
#ifndef JIT_STORE_IMPL_H
#define JIT_STORE_IMPL_H

#include "jstore.h"

struct jbuf;

/* Checks an event before it is written: known kind, bounded fields. */
int store_event_check(const struct jstore_event *ev);

/* The canonical bytes of ev (what the hash chain covers). */
int store_event_encode(const struct jstore_event *ev, struct jbuf *out);

/*
 * Decodes canonical bytes into ev; strings are copied NUL-terminated into
 * scratch (reset first) and ev's pointers point there.
 */
int store_event_decode(const unsigned char *p, size_t len,
    struct jstore_event *ev, struct jbuf *scratch);

#endif /* JIT_STORE_IMPL_H */
