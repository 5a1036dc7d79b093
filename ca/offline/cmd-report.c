/*
 * cmd-report.c: `jit-ssh-ca report`: the access review of a period, from
 * the CA directory's policy (its review: section) and store; the run is
 * recorded in the log.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cadir.h"
#include "calog.h"
#include "commands.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jit-verbs.h"
#include "jpolicy.h"
#include "jstore.h"
#include "report.h"

int
cmd_report(void *ctx, const struct jit_args *a)
{
	const char *dir = ca_dir(jit_arg(a, "dir")), *out = jit_arg(a, "output");
	const char *what;
	struct ca_report_opts o;
	struct jpolicy *p = NULL;
	struct jstore *st = NULL;
	FILE *f = stdout;
	char err[256];
	int rc = CA_EXIT_FAIL, r;

	(void)ctx;
	if (ca_report_args(a, jit_now(), &o, err, sizeof(err)) != 0) {
		ca_error("report: %s", err);
		return CA_EXIT_USAGE;
	}
	o.source = "offline";
	if (ca_load_policy(dir, NULL, &p) != 0)
		return CA_EXIT_FAIL;
	if (ca_open_store(dir, 0, &st) != 0)
		goto out;
	if (out != NULL && (f = fopen(out, "wx")) == NULL) {
		ca_error("%s: %s", out, strerror(errno));
		goto out;
	}
	if ((r = ca_report_run(st, p, &o, f, &what)) != 0)
		ca_error("report: %s: %s", what, jit_strerror(r));
	else
		rc = CA_EXIT_OK;
	if (f != stdout && fclose(f) != 0 && rc == CA_EXIT_OK) {
		ca_error("%s: %s", out, strerror(errno));
		rc = CA_EXIT_FAIL;
	}
	if (rc != CA_EXIT_OK && f != stdout)
		remove(out);
 out:
	jstore_close(st);
	jpolicy_free(p);
	return rc;
}
