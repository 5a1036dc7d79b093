/*
 * wrap.c: allocation failure on demand (libfido2's fuzz/wrap.c is the
 * model).  The test program links common/ with -Wl,--wrap for malloc,
 * calloc, realloc, strdup, strndup and (v)asprintf, so every allocation
 * common/'s own code asks for comes through here; wrap_fail_at(n) makes
 * the n-th from then on fail (0: none fails), wrap_count() says how many
 * were asked for.  Allocations inside other libraries are not counted.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wrap.h"

void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
char *__real_strdup(const char *);
char *__real_strndup(const char *, size_t);
int __real_vasprintf(char **, const char *, va_list);
void *__wrap_malloc(size_t);
void *__wrap_calloc(size_t, size_t);
void *__wrap_realloc(void *, size_t);
char *__wrap_strdup(const char *);
char *__wrap_strndup(const char *, size_t);
int __wrap_vasprintf(char **, const char *, va_list);
int __wrap_asprintf(char **, const char *, ...);

static unsigned long fail_at, count;

void
wrap_fail_at(unsigned long n)
{
	fail_at = n;
	count = 0;
}

unsigned long
wrap_count(void)
{
	return count;
}

/* 1 when this allocation is the one to fail. */
static int
fails(void)
{
	return ++count == fail_at;
}

void *
__wrap_malloc(size_t n)
{
	return fails() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	return fails() ? NULL : __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return fails() ? NULL : __real_realloc(p, n);
}

char *
__wrap_strdup(const char *s)
{
	return fails() ? NULL : __real_strdup(s);
}

char *
__wrap_strndup(const char *s, size_t n)
{
	return fails() ? NULL : __real_strndup(s, n);
}

int
__wrap_vasprintf(char **p, const char *fmt, va_list ap)
{
	if (fails()) {
		*p = NULL;
		return -1;
	}
	return __real_vasprintf(p, fmt, ap);
}

int
__wrap_asprintf(char **p, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = __wrap_vasprintf(p, fmt, ap);
	va_end(ap);
	return r;
}
