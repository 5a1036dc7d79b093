/*
 * jbuf.h: the one bounds-checked buffer for SSH wire encoding.
 *
 * Certificates, public and private keys, KRLs and the ssh-agent protocol are
 * all read and written through a struct jbuf; no other file does pointer
 * arithmetic on wire bytes.  A buffer holds unread bytes [off, size) of a
 * memory block.  Getters check the length, consume, and only then hand out
 * the value; on any error the buffer is left exactly as it was.  Putters
 * append and fail with JIT_ERR_NO_BUFFER_SPACE past the buffer's max size.
 * Owned memory is wiped before it is released (buffers carry secrets).
 *
 * All functions returning int return 0 on success or a JIT_ERR_* code.
 */
#ifndef JIT_JBUF_H
#define JIT_JBUF_H

#include <stddef.h>
#include <stdint.h>

struct jbuf;

#define JBUF_SIZE_MAX		(16u * 1024 * 1024)	/* default and hard cap */
#define JBUF_STRING_MAX		(JBUF_SIZE_MAX - 4)
#define JBUF_MPINT_MAX_BYTES	(16384 / 8 + 1)		/* RSA-16384 plus sign byte */

/* A new, empty, growable buffer; NULL on allocation failure. */
struct jbuf *jbuf_new(void);

/*
 * A read-only view of len bytes at data.  The view does not copy: data must
 * outlive it.  NULL on allocation failure.
 */
struct jbuf *jbuf_from(const void *data, size_t len);

/* Wipes (if owned) and frees b.  NULL-safe. */
void jbuf_free(struct jbuf *b);

/* Wipes and empties b, keeping its max size.  No-op on read-only views. */
void jbuf_reset(struct jbuf *b);

/* Number of unread bytes. */
size_t jbuf_len(const struct jbuf *b);

/* The unread bytes; valid until b is next modified or freed. */
const unsigned char *jbuf_ptr(const struct jbuf *b);

/* Lowers (never raises past JBUF_SIZE_MAX) the size limit of b. */
int jbuf_set_max_size(struct jbuf *b, size_t max_size);

/* Discards the next len unread bytes. */
int jbuf_consume(struct jbuf *b, size_t len);

/* Appends len raw bytes. */
int jbuf_put(struct jbuf *b, const void *data, size_t len);

/* Appends the unread bytes of v, raw (no length prefix). */
int jbuf_putb(struct jbuf *b, const struct jbuf *v);

int jbuf_put_u8(struct jbuf *b, uint8_t v);
int jbuf_put_u32(struct jbuf *b, uint32_t v);
int jbuf_put_u64(struct jbuf *b, uint64_t v);

/* Appends uint32 length + len bytes. */
int jbuf_put_string(struct jbuf *b, const void *v, size_t len);

/* Appends a NUL-terminated C string as an SSH string. */
int jbuf_put_cstring(struct jbuf *b, const char *v);

/* Appends the unread bytes of v as an SSH string. */
int jbuf_put_stringb(struct jbuf *b, const struct jbuf *v);

/*
 * Appends a non-negative mpint given as big-endian magnitude bytes: leading
 * zeros are stripped and a zero byte is prepended when the top bit is set.
 */
int jbuf_put_mpint(struct jbuf *b, const unsigned char *mag, size_t len);

/* Copies the next len raw bytes to v (v may be NULL to just skip). */
int jbuf_get(struct jbuf *b, void *v, size_t len);

int jbuf_get_u8(struct jbuf *b, uint8_t *v);
int jbuf_get_u32(struct jbuf *b, uint32_t *v);
int jbuf_get_u64(struct jbuf *b, uint64_t *v);

/*
 * Reads an SSH string and points *valp into b's memory (no copy): valid
 * until b is next modified or freed.  valp and lenp may be NULL.
 */
int jbuf_get_string_direct(struct jbuf *b, const unsigned char **valp,
    size_t *lenp);

/*
 * Reads an SSH string into a new allocation of len + 1 bytes (NUL-terminated
 * for convenience).  The caller frees *valp.
 */
int jbuf_get_string(struct jbuf *b, unsigned char **valp, size_t *lenp);

/*
 * Reads an SSH string that must be text: an embedded NUL is refused with
 * JIT_ERR_EMBEDDED_NUL.  *valp is a new NUL-terminated allocation.
 */
int jbuf_get_cstring(struct jbuf *b, char **valp, size_t *lenp);

/*
 * Reads an SSH string and returns a read-only view of its contents in *subp.
 * The view points into b's memory: b must outlive it and not be modified
 * while it is in use.  The caller frees *subp with jbuf_free().
 */
int jbuf_froms(struct jbuf *b, struct jbuf **subp);

/*
 * Reads a non-negative mpint: negative numbers, superfluous leading zeros and
 * numbers longer than JBUF_MPINT_MAX_BYTES are refused.  *valp points at
 * the magnitude without the sign byte (direct, like jbuf_get_string_direct).
 */
int jbuf_get_mpint_direct(struct jbuf *b, const unsigned char **valp,
    size_t *lenp);

/* Fails with JIT_ERR_TRAILING_DATA unless every byte of b has been read. */
int jbuf_expect_end(const struct jbuf *b);

/*
 * Base64 (standard alphabet, with padding) of the unread bytes of b, as a new
 * NUL-terminated string in *outp.  The caller frees it.
 */
int jbuf_dtob64(const struct jbuf *b, char **outp);

/*
 * Decodes len characters of base64 text and appends the bytes to b.
 * Whitespace is refused unless allow_newlines, which skips '\n' and '\r'.
 * Invalid characters or padding give JIT_ERR_INVALID_FORMAT and b unchanged.
 */
int jbuf_b64tod(struct jbuf *b, const char *text, size_t len, int allow_newlines);

#endif /* JIT_JBUF_H */
