/*
 * remote.c: the commands that are the CA's own (roles, whoami, requests,
 * approve, deny, audit), and the approver's interactive review.  The CA
 * renders tables for people and JSON Lines with --json; we pass both
 * through, so there is one rendering to keep right.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jbuf.h"
#include "jcast.h"
#include "jit-err.h"
#include "jit-remote.h"
#include "jit-util.h"
#include "jitssh.h"
#include "jsonl.h"

#define REVIEW_MAX	(4 * 1024 * 1024)	/* requests --json, all of it */

static int
to_stdout(const char *data, size_t len, void *arg)
{
	(void)arg;
	return fwrite(data, 1, len, stdout) == len ? 0 : -1;
}

static int
to_stderr(const char *data, size_t len, void *arg)
{
	(void)arg;
	fwrite(data, 1, len, stderr);
	return 0;
}

static const struct js_sink passthrough = { to_stdout, to_stderr, NULL, NULL };

/* argv words -> one command line for the CA; -1 (message said) if bad. */
static int
build(char *cmd, size_t size, int argc, char **argv)
{
	int i;

	cmd[0] = '\0';
	for (i = 0; i < argc; i++)
		if (js_quote(cmd, size, argv[i]) != 0) {
			fprintf(stderr, "jit-ssh: %s: arguments too long or with "
			    "control characters\n", argv[0]);
			return -1;
		}
	return 0;
}

static int
run(struct js_conn *c, const char *cmd, const struct js_sink *sink)
{
	int rc, status;

	if ((rc = js_exec(c, cmd, NULL, 0, sink, &status)) != 0)
		return rc;
	if (fflush(stdout) != 0)
		return JS_EXIT_USAGE;
	return js_exit_from_ca(status);
}

int
js_cmd_remote(const struct js_config *cfg, int argc, char **argv)
{
	struct js_conn *c = NULL;
	struct js_config cc = *cfg;
	char cmd[8192];
	int rc;

	if (build(cmd, sizeof(cmd), argc, argv) != 0)
		return JS_EXIT_USAGE;
	cc.no_code = jit_remote_no_code(argv[0]);	/* ca-keys, krl, help */
	if ((rc = js_connect(&cc, &c)) != 0)
		return rc;
	rc = run(c, cmd, &passthrough);
	js_close(c);
	return rc;
}

static int
to_buf(const char *data, size_t len, void *arg)
{
	struct jbuf *b = arg;

	if (jbuf_len(b) + len > REVIEW_MAX)
		return -1;
	return jbuf_put(b, data, len);
}

static void
show(const struct js_request_view *v)
{
	size_t i;
	char ttl[32];

	printf("\nrequest %s: %s wants role %s as ", v->request_id, v->user,
	    v->role);
	for (i = 0; i < v->nprincipals; i++)
		printf("%s%s", i ? "," : "", v->principals[i]);
	jit_format_duration(v->ttl > 0 ? (uint64_t)v->ttl : 0, ttl,
	    sizeof(ttl));
	printf(" for %s\n  reason: %s\n  from %s, key %s\n  approvals: %zu "
	    "of %lld, expires %s\n", ttl, *v->reason != '\0' ? v->reason :
	    "(none given)", v->source, v->fingerprint, v->napprovers,
	    (long long)v->quorum, v->expires);
}

/*
 * approve (1), deny (2) or skip (0) as the approver says it: y/yes, n/no,
 * s/skip (and a/approve, d/deny); anything else asks again.  -1: no answer.
 */
static int
ask_verdict(void)
{
	static const struct { const char *word; int verdict; } words[] = {
		{ "y", 1 }, { "yes", 1 }, { "a", 1 }, { "approve", 1 },
		{ "n", 2 }, { "no", 2 }, { "d", 2 }, { "deny", 2 },
		{ "s", 0 }, { "skip", 0 },
	};
	char answer[32];
	size_t i;

	for (;;) {
		if (js_prompt("approve? [y]es / [n]o (deny) / [s]kip: ", 1,
		    answer, sizeof(answer)) != 0)
			return -1;
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (strcasecmp(answer, words[i].word) == 0)
				return words[i].verdict;
		printf("please answer y, n or s\n");
	}
}

int
js_cmd_review(const struct js_config *cfg, const char *comment)
{
	struct js_conn *c = NULL;
	struct jbuf *b = NULL;
	struct js_sink collect = { to_buf, to_stderr, NULL, NULL };
	struct js_request_view v;
	const char *p, *end, *nl;
	char cmd[8192], said[1025];
	int rc, status, n = 0, verdict;

	if (!js_have_tty()) {
		fprintf(stderr, "jit-ssh: approve: give a request ID (the "
		    "review asks on a terminal)\n");
		return JS_EXIT_USAGE;
	}
	if ((b = jbuf_new()) == NULL)
		return JS_EXIT_CA;
	collect.arg = b;
	if ((rc = js_connect(cfg, &c)) != 0)
		goto out;
	if ((rc = js_exec(c, "requests --json", NULL, 0, &collect, &status)) !=
	    0 || (rc = js_exit_from_ca(status)) != 0)
		goto out;
	p = (const char *)jbuf_ptr(b);
	end = p + jbuf_len(b);
	for (; p < end && !js_interrupted; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		if (js_request_view(p, (size_t)(nl - p), &v) != 0) {
			js_json_free(v.json);
			continue;	/* not JSON, or not one to decide */
		}
		show(&v);
		n++;
		if ((verdict = ask_verdict()) < 0) {
			js_json_free(v.json);
			break;
		}
		if (verdict == 0) {
			printf("skipped\n");
			js_json_free(v.json);
			continue;
		}
		/* A comment for this one: --comment's, or asked (optional). */
		said[0] = '\0';
		if (comment == NULL && js_prompt("comment (optional, Enter for "
		    "none): ", 1, said, sizeof(said)) != 0) {
			js_json_free(v.json);
			break;
		}
		snprintf(cmd, sizeof(cmd), "%s",
		    verdict == 1 ? "approve" : "deny");
		if (js_quote(cmd, sizeof(cmd), v.request_id) != 0 ||
		    ((comment != NULL || said[0] != '\0') &&
		    (js_quote(cmd, sizeof(cmd), "--comment") != 0 ||
		    js_quote(cmd, sizeof(cmd), comment != NULL ? comment :
		    said) != 0))) {
			js_json_free(v.json);
			rc = JS_EXIT_USAGE;
			goto out;
		}
		js_json_free(v.json);
		if ((rc = run(c, cmd, &passthrough)) == JS_EXIT_CA)
			goto out;
	}
	if (n == 0)
		printf("no requests are waiting for you\n");
 out:
	js_close(c);
	jbuf_free(b);
	return rc;
}

/*
 * What the CA has on record for us: live certificates (also ones not in
 * this agent), open requests, a lock.  Best effort after the local part:
 * when the CA cannot be reached or asked, say so and go on.
 */
void
js_cmd_status_remote(const struct js_config *cfg, int json)
{
	struct js_conn *c = NULL;

	if (!json) {
		printf("\non record at the CA (%s):\n", cfg->ca);
		fflush(stdout);
	}
	if (js_connect(cfg, &c) != 0) {
		fprintf(stderr, "jit-ssh: status: the CA was not asked (see "
		    "above); status --local looks at ssh-agent only\n");
		return;
	}
	(void)run(c, json ? "status --json" : "status", &passthrough);
	js_close(c);
}

static int
to_file(const char *data, size_t len, void *arg)
{
	return fwrite(data, 1, len, arg) == len ? 0 : -1;
}

int
js_cmd_play(const struct js_config *cfg, const char *id, double speed)
{
	struct js_conn *c = NULL;
	struct js_config cc = *cfg;
	struct js_sink sink = { to_file, to_stderr, NULL, NULL };
	char cmd[256];
	FILE *tmp;
	int rc, r;

	cmd[0] = '\0';
	if (js_quote(cmd, sizeof(cmd), "session") != 0 ||
	    js_quote(cmd, sizeof(cmd), "export") != 0 ||
	    js_quote(cmd, sizeof(cmd), id) != 0) {
		fprintf(stderr, "jit-ssh: session play: '%s' is not a session "
		    "id\n", id);
		return JS_EXIT_USAGE;
	}
	if ((tmp = tmpfile()) == NULL) {
		fprintf(stderr, "jit-ssh: session play: %s\n", strerror(errno));
		return JS_EXIT_USAGE;
	}
	sink.arg = tmp;
	cc.no_code = 0;
	if ((rc = js_connect(&cc, &c)) == 0) {
		rc = run(c, cmd, &sink);
		js_close(c);
	}
	if (rc == 0) {
		rewind(tmp);
		if ((r = jcast_play(tmp, stdout, speed)) != 0) {
			fprintf(stderr, "jit-ssh: session play: the recording "
			    "does not play: %s\n", jit_strerror(r));
			rc = JS_EXIT_CA;
		}
	}
	fclose(tmp);
	return rc;
}
