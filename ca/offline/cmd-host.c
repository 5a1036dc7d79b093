/*
 * cmd-host.c: what host admins need.  `sign-host` certifies a host key
 * under the host CA (a separate key from the user CA), recorded in the
 * store like user certificates; `host-config` prints the sshd_config lines,
 * the user CA key file and the clients' @cert-authority line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cadir.h"
#include "cakeys.h"
#include "calog.h"
#include "jit-util.h"
#include "jit-verbs.h"
#include "commands.h"
#include "issue.h"
#include "jit-config.h"
#include "jcert.h"
#include "jit-err.h"
#include "jkey.h"
#include "jpolicy.h"
#include "jstore.h"

#define HOST_TTL_DEFAULT	(90 * 86400ULL)
#define HOST_TTL_MAX		(366 * 86400ULL)
#define HOST_BACKDATE		300	/* valid from 5 minutes ago: clock skew */
#define HOST_NAMES_MAX		64
#define HOST_NAME_MAX_LEN	253

/* A host name or pattern: letters, digits and . - _ * ? : [ ] only. */
static int
hostname_ok(const char *h, size_t len)
{
	size_t i;

	if (len == 0 || len > HOST_NAME_MAX_LEN)
		return 0;
	for (i = 0; i < len; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789.-_*?:[]", h[i]) == NULL || h[i] == '\0')
			return 0;
	return 1;
}

/* Calls fn(name, length, arg) for each name of "a,b,c"; stops at non-zero. */
static int
each_name(const char *list, int (*fn)(const char *, size_t, void *),
    void *arg)
{
	const char *p = list, *e;
	int r;

	for (;; p = e + 1) {
		e = strchr(p, ',');
		if ((r = fn(p, e != NULL ? (size_t)(e - p) : strlen(p), arg)) != 0)
			return r;
		if (e == NULL)
			return 0;
	}
}

static int
pattern_ok(const char *p, size_t len, void *arg)
{
	(void)arg;
	return hostname_ok(p, len) ? 0 : -1;
}

struct add_ctx {
	struct jcert *c;
	size_t n;
};

/* Adds one name as a principal; -1 with a message if bad. */
static int
add_hostname(const char *p, size_t len, void *arg)
{
	struct add_ctx *a = arg;
	char name[HOST_NAME_MAX_LEN + 1];
	int r;

	if (!hostname_ok(p, len)) {
		ca_error("--hostname: '%.*s' is not a host name",
		    (int)(len > 64 ? 64 : len), p);
		return -1;
	}
	if (++a->n > HOST_NAMES_MAX) {
		ca_error("--hostname: more than %d names", HOST_NAMES_MAX);
		return -1;
	}
	memcpy(name, p, len);
	name[len] = '\0';
	if ((r = jcert_add_principal(a->c, name)) != 0) {
		ca_error("--hostname: '%s': %s", name, r ==
		    JIT_ERR_OPTION_DUPLICATE ? "given twice" : jit_strerror(r));
		return -1;
	}
	return 0;
}

int
cmd_sign_host(void *ctx, const struct jit_args *a)
{
	const char *dir = jit_arg(a, "dir"), *names = jit_arg(a, "hostname");
	const char *pubpath = a->pos[0];
	struct jkey *key = NULL;
	struct ca_signer ca = { NULL, NULL, NULL, NULL };
	struct jcert *c = NULL;
	struct jstore *st = NULL;
	struct jstore_event ev;
	char *line = NULL, *fp = NULL, key_id[320];
	uint64_t ttl = HOST_TTL_DEFAULT, now = jit_now(), serial;
	const char *ttl_s = jit_arg(a, "ttl");
	const char *outpath = jit_arg(a, "output");
	int rc = CA_EXIT_FAIL, r;

	(void)ctx;
	if (ttl_s != NULL && (jpolicy_parse_duration(ttl_s, &ttl) != 0 ||
	    ttl == 0 || ttl > HOST_TTL_MAX)) {
		ca_error("--ttl: '%s' is not a duration from 1s to 366d (30d, "
		    "12h)", ttl_s);
		return CA_EXIT_USAGE;
	}
	if (names == NULL || a->npos != 1) {
		ca_error("sign-host needs --hostname H[,H...] and one host public "
		    "key file");
		return CA_EXIT_USAGE;
	}
	dir = ca_dir(dir);
	if (ca_output_check(outpath) != 0)
		goto out;	/* before anything is issued */
	if ((c = jcert_new()) == NULL)
		goto out;
	if (each_name(names, add_hostname, &(struct add_ctx){ c, 0 }) != 0) {
		rc = CA_EXIT_USAGE;
		goto out;
	}
	if ((r = ca_load_pubkey(pubpath, &key)) != 0)
		goto out;
	if ((r = ca_signer_open(dir, CA_KEY_HOST, CA_GEN_ACTIVE, &ca)) != 0)
		goto out;
	/* The service's host key may be a host: it is one. */
	if (ca_refuse_own_key(dir, key, pubpath, 1) != 0)
		goto out;
	if ((r = ca_open_store(dir, JSTORE_ONESHOT, &st)) != 0)
		goto out;
	if ((r = jstore_next_serial(st, &serial)) != 0) {
		ca_error("allocating a serial: %s", jit_strerror(r));
		goto out;
	}
	snprintf(key_id, sizeof(key_id), "jit-host:%.*s:%llu",
	    (int)strcspn(names, ","), names, (unsigned long long)serial);
	if ((r = jcert_set_key(c, key)) != 0 ||
	    (r = jcert_set_serial(c, serial)) != 0 ||
	    (r = jcert_set_type(c, JCERT_TYPE_HOST)) != 0 ||
	    (r = jcert_set_key_id(c, key_id)) != 0 ||
	    (r = jcert_set_validity(c, now - HOST_BACKDATE, now + ttl)) != 0 ||
	    (r = jcert_sign(c, ca.key)) != 0 ||
	    (r = jcert_format_line(c, key_id, &line)) != 0 ||
	    (r = jkey_fingerprint(key, &fp)) != 0) {
		ca_error("building the certificate: %s", jit_strerror(r));
		goto out;
	}
	memset(&ev, 0, sizeof(ev));
	ev.event = "issue-host";
	ev.serial = serial;
	ev.key_id = key_id;
	ev.principals = names;
	ev.valid_after = now - HOST_BACKDATE;
	ev.valid_before = now + ttl;
	ev.fingerprint = fp;
	ev.source = "offline";
	/* Durable before anybody sees the certificate. */
	if ((r = jstore_append(st, &ev, 1)) != 0) {
		ca_error("recording the issuance: %s (certificate withheld)",
		    jit_strerror(r));
		goto out;
	}
	if (ca_output_cert(outpath, line) != 0)
		goto out;
	rc = CA_EXIT_OK;
 out:
	free(line);
	free(fp);
	ca_signer_close(&ca);
	jkey_free(key);
	jcert_free(c);
	jstore_close(st);
	return rc;
}

/* --record: what a recorded host needs besides (docs/OPERATIONS.md). */
static int
print_record(const char *dir)
{
	struct ca_config cfg;
	struct jkey *hk = NULL;
	char *path = NULL, *line = NULL;
	int rc = CA_EXIT_FAIL;

	memset(&cfg, 0, sizeof(cfg));
	if ((path = ca_path(dir, "ssh_host_ed25519_key.pub")) == NULL ||
	    ca_load_pubkey(path, &hk) != 0 ||
	    jkey_format_line(hk, NULL, &line) != 0 ||
	    ca_config_load(dir, &cfg) != 0)
		goto out;
	printf(
"\n# --- recorded hosts: /etc/ssh/sshd_config.d/jit-ssh-record.conf ---\n"
"ExposeAuthInfo yes\n"
"ForceCommand " JIT_HOST_RECORDER " record\n"
"AllowTcpForwarding no\n"
"AllowAgentForwarding no\n"
"AllowStreamLocalForwarding no\n"
"X11Forwarding no\n"
"PermitUserRC no\n"
"PermitTunnel no\n"
"\n"
"# --- recorded hosts, once (as root) ---\n"
"#   useradd --system --no-create-home --shell /usr/sbin/nologin jit-ssh-rec\n"
"#   chown jit-ssh-rec " JIT_HOST_RECORDER " && chmod 4755 " JIT_HOST_RECORDER "\n"
"#   install -d -o jit-ssh-rec -m 0700 /var/spool/jit-ssh\n"
"#   install -d -m 0755 /etc/jit-ssh\n"
"#   ssh-keygen -q -t ed25519 -N '' -C \"$(hostname)\" -f /etc/jit-ssh/host_key\n"
"#   chown jit-ssh-rec /etc/jit-ssh/host_key\n"
"#   then on the CA: jit-ssh-ca host enroll --dir %s --name NAME host_key.pub\n"
"#   systemctl enable --now jit-ssh-ship.service jit-ssh-krl.timer\n"
"#   (units: examples/systemd/jit-ssh-ship.service, jit-ssh-krl.service, .timer)\n"
"\n"
"# --- recorded hosts: /etc/jit-ssh/host.yaml (root's, 0644) ---\n"
"ca: %s\n"
"ca_host_key: \"%s\"\n"
"host_key: /etc/jit-ssh/host_key\n"
"name: NAME\n",
	    dir, cfg.listen != NULL ? cfg.listen : "CA:2222", line);
	rc = CA_EXIT_OK;
 out:
	if (rc != CA_EXIT_OK)
		ca_error("host-config --record: cannot read the CA's host key "
		    "or config.yaml in %s", dir);
	ca_config_free(&cfg);
	free(path);
	free(line);
	jkey_free(hk);
	return rc;
}

int
cmd_host_config(void *ctx, const struct jit_args *a)
{
	const char *dir = jit_arg(a, "dir"), *hosts = "*";
	char *user_ca = NULL, *host_ca = NULL, *prefix = NULL;
	const char *hosts_opt = jit_arg(a, "hosts");
	int rc = CA_EXIT_FAIL;

	(void)ctx;
	if (hosts_opt != NULL) {
		if (each_name(hosts_opt, pattern_ok, NULL) != 0) {
			ca_error("--hosts: '%s' is not a host pattern", hosts_opt);
			return CA_EXIT_USAGE;
		}
		hosts = hosts_opt;
	}
	dir = ca_dir(dir);
	/* During a rotation, both keys of a CA: hosts and clients trust
	 * either until the old one retires. */
	if (asprintf(&prefix, "@cert-authority %s ", hosts) == -1) {
		prefix = NULL;
		goto out;
	}
	if ((user_ca = ca_pub_lines(dir, CA_KEY_USER, "")) == NULL ||
	    (host_ca = ca_pub_lines(dir, CA_KEY_HOST, prefix)) == NULL)
		goto out;
	printf(
"# --- on each host: /etc/ssh/sshd_config.d/jit-ssh.conf ---\n"
"# Users log in with certificates from the jit-ssh user CA only.\n"
"TrustedUserCAKeys /etc/ssh/jit-ssh-user-ca.pub\n"
"# Which certificate principals may log in as which account: one file per\n"
"# account, one principal per line (no file: nobody, by certificate).\n"
"AuthorizedPrincipalsFile /etc/ssh/auth_principals/%%u\n"
"# Revoked certificates (refresh with the jit-ssh-krl timer).  The file must\n"
"# exist before sshd reloads, or sshd refuses every key.\n"
"RevokedKeys /etc/ssh/jit-ssh-revoked.krl\n"
"# Key ids (jit:USER:ROLE:SERIAL) and serials reach the log.\n"
"LogLevel VERBOSE\n"
"# Standing access stays off: no authorized_keys, no passwords.\n"
"AuthorizedKeysFile none\n"
"PasswordAuthentication no\n"
"KbdInteractiveAuthentication no\n"
"# With a host certificate from `jit-ssh-ca sign-host`:\n"
"#HostCertificate /etc/ssh/ssh_host_ed25519_key-cert.pub\n"
"\n"
"# --- on each host: /etc/ssh/jit-ssh-user-ca.pub ---\n"
"%s"
"\n"
"# --- on each host, once: an empty KRL until the first refresh ---\n"
"#   ssh -p PORT USER@CA krl > /etc/ssh/jit-ssh-revoked.krl   (or: jit-ssh-ca krl -o FILE on the CA)\n"
"#   mkdir -p /etc/ssh/auth_principals && echo deploy > /etc/ssh/auth_principals/deploy\n"
"\n"
"# --- on clients: ~/.ssh/known_hosts (or /etc/ssh/ssh_known_hosts) ---\n"
"%s",
	    user_ca, host_ca);
	rc = jit_flag(a, "record") ? print_record(dir) : CA_EXIT_OK;
 out:
	free(user_ca);
	free(host_ca);
	free(prefix);
	return rc;
}
