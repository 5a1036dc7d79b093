/* store-impl.h: helpers shared by the files in store/ only. */
#ifndef JIT_STORE_IMPL_H
#define JIT_STORE_IMPL_H

#include "jstore.h"

struct jbuf;

/* 1 when fp is empty or "SHA256:" and 43 base64 characters. */
int store_fingerprint_ok(const char *fp);

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

/* Requests on disk. */
int store_request_encode(const struct jstore_request *r, struct jbuf *b);
int store_request_decode(const unsigned char *p, size_t len,
    struct jstore_request **rp);

/* Comma-separated name lists. */
int store_list_has(const char *list, const char *name);

#endif /* JIT_STORE_IMPL_H */
