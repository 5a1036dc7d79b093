/* testutil.h: helpers shared by the unit tests. */
#ifndef JIT_TESTUTIL_H
#define JIT_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"

/* A private test key from tests/data (written by ssh-keygen). */
static inline struct jkey *
test_key(const char *name)
{
	struct jbuf *b = NULL;
	struct jkey *k = NULL;
	char path[4096];
	int r;

	snprintf(path, sizeof(path), "%s/key_%s", TEST_DATA_DIR, name);
	r = jit_file_read(path, 65536, 0, &b);
	cr_assert_eq(r, 0, "reading %s: %s", path, jit_strerror(r));
	r = jkey_private_parse(jbuf_ptr(b), jbuf_len(b), &k, NULL);
	cr_assert_eq(r, 0, "parsing %s: %s", path, jit_strerror(r));
	jbuf_free(b);
	return k;
}

/* The text of a file in tests/data, NUL-terminated; the caller frees it. */
static inline char *
test_file(const char *name)
{
	struct jbuf *b = NULL;
	char path[4096], *s;
	int r;

	snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, name);
	r = jit_file_read(path, 65536, 0, &b);
	cr_assert_eq(r, 0, "reading %s: %s", path, jit_strerror(r));
	s = strndup((const char *)jbuf_ptr(b), jbuf_len(b));
	cr_assert_not_null(s);
	jbuf_free(b);
	return s;
}

#endif /* JIT_TESTUTIL_H */
