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
#include <unistd.h>

#include "commands.h"
#include "jbuf.h"
#include "jcert.h"
#include "jit-verbs.h"
#include "jkey.h"
#include "rpc.h"
#include "svc.h"

static char dir[] = "/tmp/jit-remote-XXXXXX";
static struct svc svc;
static char *keyline[4];	/* alice, bob, fresh keys to certify */

struct out {
	char text[65536];
	size_t len;
};

static int
capture(void *arg, int to_stderr, const char *data, size_t len)
{
	struct out *o = arg;

	(void)to_stderr;
	if (o->len + len >= sizeof(o->text))
		return -1;
	memcpy(o->text + o->len, data, len);
	o->len += len;
	o->text[o->len] = '\0';
	return 0;
}

/* A session's context for user (MFA done), its output into o. */
static void
ctx(struct rpc *r, struct out *o, struct jbuf *in, const char *user)
{
	memset(r, 0, sizeof(*r));
	memset(o, 0, sizeof(*o));
	r->svc = &svc;
	r->io.write = capture;
	r->io.arg = o;
	r->user = user;
	r->addr = "127.0.0.1";
	r->mfa_done = 1;
	r->in = in;
}

static void
setup(void)
{
	static const struct jit_opt opts[] = {
		{ "dir", 0, "DIR", NULL, NULL },
		{ "key-type", 0, "T", NULL, NULL },
		{ "store", 0, "S", NULL, NULL },
		{ "ca-key", 0, "U", NULL, NULL },
		{ "host-ca-key", 0, "U", NULL, NULL },
		{ "pkcs11-module", 0, "SO", NULL, NULL },
		{ NULL, 0, NULL, NULL, NULL },
	};
	static const struct jit_verb init = { .name = "init", .usage = "init",
	    .opts = opts };
	char *argv[] = { "init", "--dir", dir, NULL }, err[256], path[256];
	struct jit_args a;
	struct jkey *k;
	FILE *f;
	int i;

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(rmdir(dir), 0);
	cr_assert_eq(jit_verb_parse(&init, 3, argv, &a, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(cmd_init(NULL, &a), 0);
	for (i = 0; i < 4; i++) {
		cr_assert_eq(jkey_generate(JKEY_ED25519, 0, &k), 0);
		cr_assert_eq(jkey_format_line(k, NULL, &keyline[i]), 0);
		jkey_free(k);
	}
	snprintf(path, sizeof(path), "%s/policy.yaml", dir);
	cr_assert_not_null(f = fopen(path, "w"));
	fprintf(f, "users:\n"
	    "  alice: { keys: [\"%s\"], groups: [dev] }\n"
	    "  bob: { keys: [\"%s\"], groups: [leads] }\n"
	    "roles:\n"
	    "  dev: { groups: [dev], principals: [deploy], mfa: optional, "
	    "ttl: 5m }\n"
	    "  prod:\n    groups: [dev]\n    principals: [root]\n"
	    "    mfa: optional\n"
	    "    approval: { groups: [leads], quorum: 1 }\n"
	    "auditors: [leads]\n",
	    keyline[0], keyline[1]);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(svc_open(&svc, dir), 0);
}

static void
teardown(void)
{
	char cmd[300];
	int i;

	svc_close(&svc);
	for (i = 0; i < 4; i++)
		free(keyline[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

TestSuite(ca_remote, .init = setup, .fini = teardown);

Test(ca_remote, runs_commands_from_the_table_without_ssh)
{
	struct rpc r;
	struct out o;

	ctx(&r, &o, NULL, "alice");
	cr_assert_eq(rpc_run(&r, "whoami --json"), RPC_OK, "%s", o.text);
	cr_assert_not_null(strstr(o.text, "\"alice\""), "%s", o.text);
	ctx(&r, &o, NULL, "alice");
	cr_assert_eq(rpc_run(&r, "roles"), RPC_OK);
	cr_assert_not_null(strstr(o.text, "dev"), "%s", o.text);
	/* The table's parser refuses what the table does not name. */
	ctx(&r, &o, NULL, "alice");
	cr_assert_eq(rpc_run(&r, "roles --jsn"), RPC_USAGE);
	cr_assert_not_null(strstr(o.text, "unknown option '--jsn'"), "%s",
	    o.text);
	ctx(&r, &o, NULL, "alice");
	cr_assert_eq(rpc_run(&r, "approve"), RPC_USAGE);
	cr_assert_not_null(strstr(o.text, "an argument is missing"), "%s",
	    o.text);
	ctx(&r, &o, NULL, "alice");
	cr_assert_eq(rpc_run(&r, "frobnicate"), RPC_USAGE);
	/* Without a code, only the table's no-code commands. */
	ctx(&r, &o, NULL, "alice");
	r.codeless = 1;
	cr_assert_eq(rpc_run(&r, "whoami"), RPC_DENIED);
	ctx(&r, &o, NULL, "alice");
	r.codeless = 1;
	cr_assert_eq(rpc_run(&r, "ca-keys"), RPC_OK);
	/* Auditors only, as the table's flag says. */
	ctx(&r, &o, NULL, "alice");
	cr_assert_eq(rpc_run(&r, "audit --json"), RPC_DENIED);
	cr_assert_not_null(strstr(o.text, "not in an auditors group"), "%s",
	    o.text);
	ctx(&r, &o, NULL, "bob");
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

	cr_assert_eq(jbuf_put(in, keyline[2], strlen(keyline[2])), 0);
	ctx(&r, &o, in, "alice");
	cr_assert_eq(rpc_run(&r, "login --role dev"), RPC_OK, "%s", o.text);
	*strchr(o.text, '\n') = '\0';
	cr_assert_eq(jcert_parse_line(o.text, &c), 0, "%s", o.text);
	cr_assert_eq(jcert_nprincipals(c), 1);
	cr_assert_str_eq(jcert_principal(c, 0), "deploy");
	jcert_free(c);
	/* A key that is not one is refused, and nothing is issued. */
	jbuf_reset(in);
	cr_assert_eq(jbuf_put(in, "ssh-ed25519 AAAA\n", 17), 0);
	ctx(&r, &o, in, "alice");
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

	cr_assert_eq(jbuf_put(in, keyline[2], strlen(keyline[2])), 0);
	ctx(&r, &o, in, "alice");
	cr_assert_eq(rpc_run(&r, "login --role prod"), RPC_WAIT, "%s", o.text);
	cr_assert_not_null(r.waiting);
	cr_assert_str_eq(r.waiting->name, "login");
	cr_assert_eq(rpc_poll(&r), RPC_WAIT);
	/* bob approves; the next look issues. */
	ctx(&b, &ob, NULL, "bob");
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
	cr_assert_eq(jbuf_put(in, keyline[3], strlen(keyline[3])), 0);
	ctx(&r, &o, in, "alice");
	cr_assert_eq(rpc_run(&r, "login --role prod"), RPC_WAIT, "%s", o.text);
	cr_assert_eq(rpc_withdraw(&r), RPC_DENIED);
	cr_assert_not_null(strstr(o.text, "withdrawn"), "%s", o.text);
	cr_assert_null(r.waiting);
	jbuf_free(in);
}
