/* pg_admin.c: what the store and CA fixtures make databases with. */
#include <stdlib.h>

#include <criterion/criterion.h>
#include <libpq-fe.h>

#include "pg_admin.h"

void
pg_admin(const char *sql)
{
	PGconn *c = PQconnectdb(getenv("JIT_TEST_PG"));
	PGresult *res;

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	res = PQexec(c, sql);
	cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s: %s", sql,
	    PQerrorMessage(c));
	PQclear(res);
	PQfinish(c);
}
