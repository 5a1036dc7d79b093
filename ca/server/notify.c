/*
 * notify.c: the policy's notify.command, run for each lifecycle event in
 * the log with the event as one JSON line on stdin (see notify.h).  No
 * shell; a detached thread per event; killed after NOTIFY_TIMEOUT_SEC.  A
 * failing or hanging command is logged and never delays an issuance.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "calog.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jpolicy.h"
#include "jstore.h"
#include "notify.h"
#include "textout.h"

#define NOTIFY_TIMEOUT_SEC	5

struct job {
	char **argv;
	char *json;
};

static void
job_free(struct job *j)
{
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; j->argv != NULL && j->argv[i] != NULL; i++)
		free(j->argv[i]);
	free(j->argv);
	free(j->json);
	free(j);
}

#define NOTIFY_MAX_RUNNING	16	/* then the notifier waits its turn */

static atomic_int running;

static void *
notify_main(void *arg)
{
	struct job *j = arg;
	struct timespec nap = { 0, 50 * 1000 * 1000 };
	int fds[2], status = 0, i;
	pid_t pid, w = 0;
	size_t off = 0, len = strlen(j->json);
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) == -1)
		goto out;
	if ((pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		goto out;
	}
	if (pid == 0) {
		/* Child: only async-signal-safe calls until exec. */
		if (dup2(fds[0], STDIN_FILENO) == -1)
			_exit(127);
		close_range(3, ~0U, 0);
		execv(j->argv[0], j->argv);
		_exit(127);
	}
	close(fds[0]);
	while (off < len && (n = write(fds[1], j->json + off, len - off)) > 0)
		off += (size_t)n;
	close(fds[1]);
	for (i = 0; i < NOTIFY_TIMEOUT_SEC * 20; i++) {
		if ((w = waitpid(pid, &status, WNOHANG)) != 0)
			break;
		nanosleep(&nap, NULL);
	}
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		ca_log("notify: %s killed after %d s", j->argv[0],
		    NOTIFY_TIMEOUT_SEC);
	} else if (w > 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		ca_log("notify: %s failed (status %d)", j->argv[0],
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
 out:
	job_free(j);
	atomic_fetch_sub(&running, 1);
	return NULL;
}

/* "may_approve": who may decide the request ev is about, now. */
static int
add_may_approve(json_t *o, const struct jstore_event *ev,
    const struct jpolicy *p)
{
	json_t *a;
	const char *u;
	size_t i;
	int escalated = strcmp(ev->event, "escalate") == 0;

	if (p == NULL || ev->role == NULL || (strcmp(ev->event, "request") != 0 &&
	    strcmp(ev->event, "remind") != 0 && !escalated))
		return 0;
	if ((a = json_array()) == NULL)
		return -1;
	for (i = 0; (u = jpolicy_user_name(p, i)) != NULL; i++)
		if ((ev->user == NULL || strcmp(u, ev->user) != 0) &&
		    jpolicy_can_approve_at(p, ev->role, u, escalated ?
		    UINT64_MAX : 0) && json_array_append_new(a,
		    json_string(u)) != 0) {
			json_decref(a);
			return -1;
		}
	return json_object_set_new(o, "may_approve", a);
}

int
notify_run(char *const *argv, const struct jstore_event *ev,
    const struct jpolicy *p)
{
	struct job *j;
	json_t *o;
	pthread_attr_t attr;
	pthread_t tid;
	size_t n, i;
	int ok = 1;

	if (atomic_load(&running) >= NOTIFY_MAX_RUNNING)
		return -1;	/* busy: the event is told later, not dropped */
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return 0;
	if (argv != NULL) {
		for (n = 0; argv[n] != NULL; n++)
			;
		if ((j->argv = calloc(n + 1, sizeof(char *))) == NULL)
			ok = 0;
		for (i = 0; ok && i < n; i++)
			ok = (j->argv[i] = strdup(argv[i])) != NULL;
	}
	if (argv == NULL || !ok || (o = ca_event_json(ev)) == NULL) {
		job_free(j);
		return 0;
	}
	if (add_may_approve(o, ev, p) != 0) {
		json_decref(o);
		job_free(j);
		return 0;
	}
	j->json = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (j->json == NULL) {
		job_free(j);
		return 0;
	}
	{
		/* One line: the JSON and a newline. */
		char *line;

		if (asprintf(&line, "%s\n", j->json) == -1) {
			job_free(j);
			return 0;
		}
		free(j->json);
		j->json = line;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	atomic_fetch_add(&running, 1);
	if (pthread_create(&tid, &attr, notify_main, j) != 0) {
		atomic_fetch_sub(&running, 1);
		job_free(j);
	}
	pthread_attr_destroy(&attr);
	return 0;
}

/*
 * The notifier follows the log: every lifecycle event that reaches it,
 * whoever wrote it (this service, `jit-ssh-ca revoke` or `enroll` in
 * another process), goes to notify.command, once, in log order.
 */
static int
notify_kind(const char *kind)
{
	static const char *const kinds[] = { "request", "approve", "deny",
	    "expire", "issue", "break-glass", "lockout", "revoke", "remind",
	    "escalate", "lock", "unlock", NULL };
	size_t i;

	for (i = 0; kinds[i] != NULL; i++)
		if (strcmp(kinds[i], kind) == 0)
			return 1;
	return 0;
}

struct follow {
	char *const *argv;
	const struct jpolicy *p;
};

static int
notify_one(const struct jstore_event *ev, void *arg)
{
	struct follow *f = arg;

	if (notify_kind(ev->event) && notify_run(f->argv, ev, f->p) != 0)
		return 1;	/* busy: from this event on, next time */
	return 0;
}

void
notify_follow(struct notifier *n, struct jstore *st, const struct jpolicy *p)
{
	char *const *argv = p != NULL ? jpolicy_notify_argv(p) : NULL;
	struct follow f = { argv, p };
	uint64_t last, ms = jit_monotonic_ms();
	int r;

	if (n->started && ms - n->ms < 200)
		return;		/* called per accepted connection: not that often */
	n->ms = ms;
	if (argv == NULL && n->started) {
		/* Nothing to tell: keep up with the log's end only. */
		(void)jstore_head(st, &n->seq);
		return;
	}
	if (!n->started) {
		/* Only what happens from now on: no replay of history. */
		if (jstore_head(st, &n->seq) == 0)
			n->started = 1;
		return;
	}
	/* A bounded bite per call: the rest waits for the next one. */
	r = jstore_events_after(st, n->seq, 1000, notify_one, &f, &last);
	if (r < 0)
		ca_log("notify: reading the log: %s", jit_strerror(r));
	n->seq = last;
}
