/* wrap.h: allocation failure on demand (wrap.c). */
#ifndef JIT_TEST_WRAP_H
#define JIT_TEST_WRAP_H

/* The n-th allocation from now fails (0: none); the count starts again. */
void wrap_fail_at(unsigned long n);
/* Allocations asked for since wrap_fail_at(). */
unsigned long wrap_count(void);

#endif /* JIT_TEST_WRAP_H */
