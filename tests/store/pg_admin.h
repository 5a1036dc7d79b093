/* pg_admin.h: a statement on the test cluster ($JIT_TEST_PG) (pg_admin.c). */
#ifndef JIT_TEST_PG_ADMIN_H
#define JIT_TEST_PG_ADMIN_H

/* Runs sql on the cluster's "postgres" database; a failure fails the test. */
void pg_admin(const char *sql);

#endif /* JIT_TEST_PG_ADMIN_H */
