/*
 * The remote commands without SSH: this program links ca/remote (and
 * ca/offline, to make a CA) but not libssh, and runs command lines
 * through rpc_run() on a real CA directory, its output into a buffer.  A
 * login that waits for approval is driven through the table's hooks
 * (rpc_poll, rpc_withdraw), as the server's session drives them.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca_fixture.h"
#include "jbuf.h"
#include "jcert.h"
#include "jit-verbs.h"

#define POLICY "users:\n" \
	"  alice: { keys: [\"%s\"], groups: [dev] }\n" \
	"  bob: { keys: [\"%s\"], groups: [leads] }\n" \
	"  carol: { keys: [\"%s\"], groups: [leads] }\n" \
	"roles:\n" \
	"  dev: { groups: [dev], principals: [deploy], mfa: optional, " \
	"ttl: 5m }\n" \
	"  prod:\n    groups: [dev]\n    principals: [root]\n" \
	"    mfa: optional\n" \
	"    approval: { groups: [leads], quorum: 1 }\n" \
	"auditors: [leads]\n"

static void
setup(void)
{
	ca_fixture_setup(POLICY);
}

TestSuite(ca_remote, .init = setup, .fini = ca_fixture_teardown);

Test(ca_remote, runs_commands_from_the_table_without_ssh)
{
	struct rpc r;
	struct out o;

	ca_fixture_ctx(&r, &o, NULL, "alice");
	cr_assert_eq(rpc_run(&r, "whoami --json"), RPC_OK, "%s", o.text);
	cr_assert_not_null(strstr(o.text, "\"alice\""), "%s", o.text);
	ca_fixture_ctx(&r, &o, NULL, "alice");
	cr_assert_eq(rpc_run(&r, "roles"), RPC_OK);
	cr_assert_not_null(strstr(o.text, "dev"), "%s", o.text);
	/* The table's parser refuses what the table does not name. */
	ca_fixture_ctx(&r, &o, NULL, "alice");
	cr_assert_eq(rpc_run(&r, "roles --jsn"), RPC_USAGE);
	cr_assert_not_null(strstr(o.text, "unknown option '--jsn'"), "%s",
	    o.text);
	ca_fixture_ctx(&r, &o, NULL, "alice");
	cr_assert_eq(rpc_run(&r, "approve"), RPC_USAGE);
	cr_assert_not_null(strstr(o.text, "an argument is missing"), "%s",
	    o.text);
	ca_fixture_ctx(&r, &o, NULL, "alice");
	cr_assert_eq(rpc_run(&r, "frobnicate"), RPC_USAGE);
	/* Without a code, only the table's no-code commands. */
	ca_fixture_ctx(&r, &o, NULL, "alice");
	r.codeless = 1;
	cr_assert_eq(rpc_run(&r, "whoami"), RPC_DENIED);
	ca_fixture_ctx(&r, &o, NULL, "alice");
	r.codeless = 1;
	cr_assert_eq(rpc_run(&r, "ca-keys"), RPC_OK);
	/* Auditors only, as the table's flag says. */
	ca_fixture_ctx(&r, &o, NULL, "alice");
	cr_assert_eq(rpc_run(&r, "audit --json"), RPC_DENIED);
	cr_assert_not_null(strstr(o.text, "not in an auditors group"), "%s",
	    o.text);
	ca_fixture_ctx(&r, &o, NULL, "bob");
	cr_assert_eq(rpc_run(&r, "audit --json --event ca-init"), RPC_OK);
	cr_assert_not_null(strstr(o.text, "\"event\":\"ca-init\""), "%s",
	    o.text);
	cr_assert(rpc_reads_stdin("  login --role dev"));
	cr_assert(!rpc_reads_stdin("'roles'"));
}

Test(ca_remote, login_issues_a_certificate)
{
	struct rpc r;
	struct out o;
	struct jbuf *in = jbuf_new();
	struct jcert *c = NULL;

	cr_assert_eq(jbuf_put(in, ca_keyline[3], strlen(ca_keyline[3])), 0);
	ca_fixture_ctx(&r, &o, in, "alice");
	cr_assert_eq(rpc_run(&r, "login --role dev"), RPC_OK, "%s", o.text);
	*strchr(o.text, '\n') = '\0';
	cr_assert_eq(jcert_parse_line(o.text, &c), 0, "%s", o.text);
	cr_assert_eq(jcert_nprincipals(c), 1);
	cr_assert_str_eq(jcert_principal(c, 0), "deploy");
	jcert_free(c);
	/* A key that is not one is refused, and nothing is issued. */
	jbuf_reset(in);
	cr_assert_eq(jbuf_put(in, "ssh-ed25519 AAAA\n", 17), 0);
	ca_fixture_ctx(&r, &o, in, "alice");
	cr_assert_eq(rpc_run(&r, "login --role dev"), RPC_USAGE);
	cr_assert_not_null(strstr(o.text, "not a public key"), "%s", o.text);
	jbuf_free(in);
}

Test(ca_remote, a_waiting_login_goes_through_the_hooks)
{
	struct rpc r, b;
	struct out o, ob;
	struct jbuf *in = jbuf_new();
	char cmd[64];

	cr_assert_eq(jbuf_put(in, ca_keyline[3], strlen(ca_keyline[3])), 0);
	ca_fixture_ctx(&r, &o, in, "alice");
	cr_assert_eq(rpc_run(&r, "login --role prod"), RPC_WAIT, "%s", o.text);
	cr_assert_not_null(r.waiting);
	cr_assert_str_eq(r.waiting->name, "login");
	cr_assert_eq(rpc_poll(&r), RPC_WAIT);
	/* bob approves; the next look issues. */
	ca_fixture_ctx(&b, &ob, NULL, "bob");
	snprintf(cmd, sizeof(cmd), "approve %s", r.wait_id);
	cr_assert_eq(rpc_run(&b, cmd), RPC_OK, "%s", ob.text);
	r.wait_changes = 0;
	r.wait_read = 0;
	cr_assert_eq(rpc_poll(&r), RPC_OK, "%s", o.text);
	cr_assert_null(r.waiting);
	cr_assert_not_null(strstr(o.text, "-cert-v01@openssh.com "), "%s",
	    o.text);
	/* Another request, withdrawn through the hook. */
	jbuf_reset(in);
	cr_assert_eq(jbuf_put(in, ca_keyline[4], strlen(ca_keyline[4])), 0);
	ca_fixture_ctx(&r, &o, in, "alice");
	cr_assert_eq(rpc_run(&r, "login --role prod"), RPC_WAIT, "%s", o.text);
	cr_assert_eq(rpc_withdraw(&r), RPC_DENIED);
	cr_assert_not_null(strstr(o.text, "withdrawn"), "%s", o.text);
	cr_assert_null(r.waiting);
	jbuf_free(in);
}
