/*
 * issue.c: the one issuance path (offline `sign` and the server): serial
 * from the store, certificate from the decision, events committed before
 * the certificate is handed to anybody.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "calog.h"
#include "issue.h"
#include "jbuf.h"
#include "jcert.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"
#include "jpolicy.h"
#include "jstore.h"

char *
ca_join_decision(const struct jpolicy_decision *d, int groups)
{
	size_t i, n = groups ? jpolicy_decision_napprover_groups(d) :
	    jpolicy_decision_nprincipals(d);
	struct jbuf *b;
	char *s = NULL;

	if ((b = jbuf_new()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		const char *v = groups ? jpolicy_decision_approver_group(d, i) :
		    jpolicy_decision_principal(d, i);

		if ((i > 0 && jbuf_put(b, ",", 1) != 0) ||
		    jbuf_put(b, v, strlen(v)) != 0)
			goto out;
	}
	if (jbuf_put_u8(b, 0) == 0)
		s = strdup((const char *)jbuf_ptr(b));
 out:
	jbuf_free(b);
	return s;
}

/* The certificate the decision describes, signed by ca (printing nothing). */
static int
build_cert(const struct jkey *ca, const struct jkey *key,
    const struct jpolicy_decision *d, uint64_t serial, const char *key_id,
    struct jcert **cp)
{
	struct jcert *c;
	size_t i;
	int r;

	*cp = NULL;
	if ((c = jcert_new()) == NULL)
		return JIT_ERR_ALLOC;
	if ((r = jcert_set_key(c, key)) != 0 ||
	    (r = jcert_set_serial(c, serial)) != 0 ||
	    (r = jcert_set_type(c, JCERT_TYPE_USER)) != 0 ||
	    (r = jcert_set_key_id(c, key_id)) != 0 ||
	    (r = jcert_set_validity(c, jpolicy_decision_valid_after(d),
	    jpolicy_decision_valid_before(d))) != 0)
		goto fail;
	for (i = 0; i < jpolicy_decision_nprincipals(d); i++)
		if ((r = jcert_add_principal(c,
		    jpolicy_decision_principal(d, i))) != 0)
			goto fail;
	if (jpolicy_decision_force_command(d) != NULL &&
	    (r = jcert_add_critical(c, "force-command",
	    jpolicy_decision_force_command(d))) != 0)
		goto fail;
	if (jpolicy_decision_source_address(d) != NULL &&
	    (r = jcert_add_critical(c, "source-address",
	    jpolicy_decision_source_address(d))) != 0)
		goto fail;
	for (i = 0; i < jpolicy_decision_nextensions(d); i++)
		if ((r = jcert_add_extension(c,
		    jpolicy_decision_extension(d, i))) != 0)
			goto fail;
	if ((r = jcert_sign(c, ca)) != 0)
		goto fail;
	*cp = c;
	return 0;
 fail:
	jcert_free(c);
	return r;
}

int
ca_issue(const struct jkey *ca, struct jstore *st, const char *user,
    const char *role, const struct jkey *key,
    const struct jpolicy_decision *d, const char *source, const char *reason,
    const char *request_id, const char *approvers, struct jcert **cp)
{
	struct jstore_event ev[2];
	struct jcert *c = NULL;
	char key_id[256], *principals = NULL, *fp = NULL;
	uint64_t serial;
	size_t nev = 1;
	int r;

	*cp = NULL;
	if ((r = jstore_next_serial(st, &serial)) != 0)
		return r;
	snprintf(key_id, sizeof(key_id), "jit:%s:%s:%llu", user, role,
	    (unsigned long long)serial);
	if ((r = build_cert(ca, key, d, serial, key_id, &c)) != 0 ||
	    (r = jkey_fingerprint(key, &fp)) != 0)
		goto out;
	/* In full: a list the store cannot hold is refused, not cut. */
	if ((principals = ca_join_decision(d, 0)) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	memset(ev, 0, sizeof(ev));
	ev[0].event = "issue";
	ev[0].user = user;
	ev[0].role = role;
	ev[0].serial = serial;
	ev[0].key_id = key_id;
	ev[0].principals = principals;
	ev[0].valid_after = jpolicy_decision_valid_after(d);
	ev[0].valid_before = jpolicy_decision_valid_before(d);
	ev[0].fingerprint = fp;
	ev[0].source = source;
	ev[0].reason = reason;
	ev[0].request_id = request_id;
	/* A role's approval.auto: the policy approved, and says so. */
	ev[0].approvers = approvers == NULL &&
	    jpolicy_decision_auto_approved(d) ? CA_AUTO_APPROVER : approvers;
	if (jpolicy_decision_break_glass(d)) {
		ev[1] = ev[0];
		ev[1].event = "break-glass";
		nev = 2;
	}
	/*
	 * Durable before anybody sees the certificate.  For a request, the
	 * claim is part of the same commit: one certificate per approval.
	 */
	r = request_id != NULL ? jstore_request_issue(st, request_id,
	    jit_now(), ev, nev) : jstore_append(st, ev, nev);
	if (r == 0) {
		*cp = c;
		c = NULL;
	}
 out:
	free(principals);
	free(fp);
	jcert_free(c);
	return r;
}

int
ca_output_check(const char *outpath)
{
	struct jbuf *old = NULL;
	struct jcert *c = NULL;
	char *have = NULL;
	int r;

	if (outpath == NULL)
		return 0;
	if ((r = jit_file_read(outpath, 65536, 0, &old)) == JIT_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		ca_error("%s: %s", outpath, jit_strerror(r));
	else if ((have = strndup((const char *)jbuf_ptr(old),
	    jbuf_len(old))) == NULL || jcert_parse_line(have, &c) != 0) {
		ca_error("%s exists and is not a certificate: refusing to "
		    "replace it (-o FILE is where the certificate goes; the "
		    "public key is the last argument)", outpath);
		r = JIT_ERR_EXISTS;
	}
	jcert_free(c);
	free(have);
	jbuf_free(old);
	return r;
}

int
ca_output_cert(const char *outpath, const char *line)
{
	char *text = NULL;
	int r;

	if (outpath == NULL) {
		printf("%s\n", line);
		return 0;
	}
	if (asprintf(&text, "%s\n", line) == -1) {
		ca_error("out of memory");
		return JIT_ERR_ALLOC;
	}
	if ((r = jit_file_write(outpath, text, strlen(text), 0644, 1)) != 0)
		ca_error("writing %s: %s", outpath, jit_strerror(r));
	else
		fprintf(stderr, "wrote %s\n", outpath);
	free(text);
	return r;
}
