/*
 * cmd-session.c: recorded sessions at the CA.  `host enroll` lets a host
 * send recordings (its key, by fingerprint, under a name: a host-enroll
 * event; `host remove` ends that); `sessions` lists recordings, `session
 * export` writes one (asciicast v2), `session play` plays one here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cadir.h"
#include "calog.h"
#include "commands.h"
#include "jcast.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jit-verbs.h"
#include "jkey.h"
#include "jstore.h"
#include "jtext.h"
#include "sessions.h"

/* A host name: letters, digits, . - _ (what jit-ssh-host's name: takes). */
static int
host_name_ok(const char *n)
{
	size_t i, len = strlen(n);

	if (len == 0 || len > 59 || n[0] == '-' || n[0] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789.-_", n[i]) == NULL)
			return 0;
	return 1;
}

struct hosts_seen {
	const char *name, *fp;
	char name_fp[64];	/* the key enrolled for name now, or "" */
	char fp_name[64];	/* the host fp is enrolled for now, or "" */
};

static int
scan_hosts(const struct jstore_event *ev, void *arg)
{
	struct hosts_seen *h = arg;
	int add = strcmp(ev->event, "host-enroll") == 0;

	if (!add && strcmp(ev->event, "host-remove") != 0)
		return 0;
	if (strcmp(ev->principals, h->name) == 0)
		snprintf(h->name_fp, sizeof(h->name_fp), "%s",
		    add ? ev->fingerprint : "");
	if (h->fp != NULL && strcmp(ev->fingerprint, h->fp) == 0)
		snprintf(h->fp_name, sizeof(h->fp_name), "%s",
		    add ? ev->principals : "");
	return 0;
}

static int
host_event(const struct jit_args *a, int enroll)
{
	const char *dir = ca_dir(jit_arg(a, "dir")), *name = jit_arg(a, "name");
	struct hosts_seen h;
	struct jstore *st = NULL;
	struct jstore_event ev;
	struct jstore_filter f;
	struct jkey *key = NULL;
	char *fp = NULL, *line = NULL;
	int r, rc = CA_EXIT_FAIL;

	if (name == NULL || !host_name_ok(name)) {
		ca_error("host %s: --name NAME (letters, digits, . - _; at most "
		    "59) is needed", enroll ? "enroll" : "remove");
		return CA_EXIT_USAGE;
	}
	if (enroll && (ca_load_pubkey(a->pos[0], &key) != 0 ||
	    jkey_fingerprint(key, &fp) != 0 ||
	    jkey_format_line(key, NULL, &line) != 0))
		goto out;
	if (ca_open_store(dir, 0, &st) != 0)
		goto out;
	memset(&h, 0, sizeof(h));
	h.name = name;
	h.fp = fp;
	/* Every event: the newest host-enroll or host-remove decides. */
	memset(&f, 0, sizeof(f));
	if ((r = jstore_query(st, &f, scan_hosts, &h)) != 0) {
		ca_error("reading the log: %s", jit_strerror(r));
		goto out;
	}
	if (enroll && h.name_fp[0] != '\0') {
		ca_error("host %s is enrolled already (key %s): `jit-ssh-ca host "
		    "remove --name %s` first", name, h.name_fp, name);
		goto out;
	}
	if (enroll && h.fp_name[0] != '\0') {
		ca_error("key %s is host %s's already: one key, one host", fp,
		    h.fp_name);
		goto out;
	}
	if (!enroll && h.name_fp[0] == '\0') {
		ca_error("host %s is not enrolled", name);
		goto out;
	}
	memset(&ev, 0, sizeof(ev));
	ev.event = enroll ? "host-enroll" : "host-remove";
	ev.principals = name;
	ev.fingerprint = enroll ? fp : h.name_fp;
	ev.source = "offline";
	ev.reason = enroll ? line : jit_arg(a, "reason");
	if ((r = jstore_append(st, &ev, 1)) != 0) {
		ca_error("recording it: %s", jit_strerror(r));
		goto out;
	}
	if (enroll)
		printf("host %s enrolled (key %s): it sends recordings as SSH "
		    "user host:%s\n", name, ev.fingerprint, name);
	else
		printf("host %s removed (key %s)\n", name, ev.fingerprint);
	rc = CA_EXIT_OK;
 out:
	jstore_close(st);
	jkey_free(key);
	free(fp);
	free(line);
	return rc;
}

int
cmd_host_enroll(void *ctx, const struct jit_args *a)
{
	(void)ctx;
	return host_event(a, 1);
}

int
cmd_host_remove(void *ctx, const struct jit_args *a)
{
	(void)ctx;
	return host_event(a, 0);
}

int
cmd_sessions(void *ctx, const struct jit_args *a)
{
	struct ca_sessions_filter f;
	struct jstore *st = NULL;
	char err[256];
	int r;

	(void)ctx;
	if (ca_sessions_args(a, &f, err, sizeof(err)) != 0) {
		ca_error("sessions: %s", err);
		return CA_EXIT_USAGE;
	}
	if (ca_open_store(ca_dir(jit_arg(a, "dir")), JSTORE_RDONLY, &st) != 0)
		return CA_EXIT_FAIL;
	r = ca_sessions_print(st, &f, stdout);
	jstore_close(st);
	if (r != 0) {
		ca_error("sessions: %s", jit_strerror(r));
		return CA_EXIT_FAIL;
	}
	return CA_EXIT_OK;
}

/* The recording into f; a clear word for a bad or unknown id. */
static int
export_to(const struct jit_args *a, FILE *f)
{
	const char *id = a->pos[0];
	struct jstore *st = NULL;
	int r;

	if (!jstore_session_id_ok(id)) {
		ca_error("'%s' is not a session id (s- and 16 hex digits; "
		    "`jit-ssh-ca sessions` lists them)", id);
		return CA_EXIT_USAGE;
	}
	if (ca_open_store(ca_dir(jit_arg(a, "dir")), JSTORE_RDONLY, &st) != 0)
		return CA_EXIT_FAIL;
	r = ca_session_export(st, id, f);
	jstore_close(st);
	if (r == JIT_ERR_NOT_FOUND) {
		ca_error("no session %s", id);
		return CA_EXIT_FAIL;
	}
	if (r != 0) {
		ca_error("session %s: %s", id, jit_strerror(r));
		return CA_EXIT_FAIL;
	}
	return CA_EXIT_OK;
}

int
cmd_session_export(void *ctx, const struct jit_args *a)
{
	const char *out = jit_arg(a, "output");
	FILE *f = stdout;
	int rc;

	(void)ctx;
	if (out != NULL && (f = fopen(out, "wx")) == NULL) {
		ca_error("%s: %s", out, strerror(errno));
		return CA_EXIT_FAIL;
	}
	rc = export_to(a, f);
	if (f != stdout && fclose(f) != 0 && rc == CA_EXIT_OK) {
		ca_error("%s: %s", out, strerror(errno));
		rc = CA_EXIT_FAIL;
	}
	if (rc != CA_EXIT_OK && out != NULL)
		remove(out);
	return rc;
}

int
cmd_session_play(void *ctx, const struct jit_args *a)
{
	const char *sp = jit_arg(a, "speed");
	double speed = 1;
	char *end;
	FILE *tmp;
	int rc, r;

	(void)ctx;
	if (sp != NULL && ((speed = strtod(sp, &end)) <= 0 || *end != '\0' ||
	    speed > 1000)) {
		ca_error("--speed: a number above 0 and at most 1000");
		return CA_EXIT_USAGE;
	}
	if ((tmp = tmpfile()) == NULL)
		return CA_EXIT_FAIL;
	if ((rc = export_to(a, tmp)) == CA_EXIT_OK) {
		rewind(tmp);
		if ((r = jcast_play(tmp, stdout, speed)) != 0) {
			ca_error("the recording does not play: %s",
			    jit_strerror(r));
			rc = CA_EXIT_FAIL;
		}
	}
	fclose(tmp);
	return rc;
}
