/*
 * notify.c: the policy's notify.command, run for "request", "break-glass"
 * and "lockout" events with the event as one JSON line on stdin.  No
 * shell; a detached thread per event; killed after NOTIFY_TIMEOUT_SEC.  A
 * failing or hanging command is logged and never delays an issuance.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ca.h"
#include "jit-err.h"
#include "jpolicy.h"
#include "jstore.h"
#include "serve.h"

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
		srv_log("notify: %s killed after %d s", j->argv[0],
		    NOTIFY_TIMEOUT_SEC);
	} else if (w > 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		srv_log("notify: %s failed (status %d)", j->argv[0],
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
 out:
	job_free(j);
	return NULL;
}

void
srv_notify(struct server *srv, const struct jstore_event *ev)
{
	struct jpolicy *p;
	char *const *argv;
	struct job *j;
	json_t *o;
	pthread_attr_t attr;
	pthread_t tid;
	size_t n, i;
	int ok = 1;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return;
	p = srv_policy_get(srv);
	if ((argv = jpolicy_notify_argv(p)) != NULL) {
		for (n = 0; argv[n] != NULL; n++)
			;
		if ((j->argv = calloc(n + 1, sizeof(char *))) == NULL)
			ok = 0;
		for (i = 0; ok && i < n; i++)
			ok = (j->argv[i] = strdup(argv[i])) != NULL;
	}
	srv_policy_put(srv, p);
	if (argv == NULL || !ok || (o = ca_event_json(ev)) == NULL) {
		job_free(j);
		return;
	}
	j->json = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (j->json == NULL) {
		job_free(j);
		return;
	}
	{
		/* One line: the JSON and a newline. */
		char *line;

		if (asprintf(&line, "%s\n", j->json) == -1) {
			job_free(j);
			return;
		}
		free(j->json);
		j->json = line;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&tid, &attr, notify_main, j) != 0)
		job_free(j);
	pthread_attr_destroy(&attr);
}

struct find_ev {
	struct server *srv;
	int done;
};

static int
notify_found(const struct jstore_event *ev, void *arg)
{
	struct find_ev *f = arg;

	if (!f->done)
		srv_notify(f->srv, ev);
	f->done = 1;
	return 0;
}

void
srv_notify_request(struct server *srv, const char *request_id)
{
	struct jstore_filter f;
	struct find_ev fe = { srv, 0 };

	memset(&f, 0, sizeof(f));
	f.request_id = request_id;
	f.event = "request";
	(void)jstore_query(srv->store, &f, notify_found, &fe);
}

void
srv_notify_break_glass(struct server *srv, uint64_t serial)
{
	struct jstore_filter f;
	struct find_ev fe = { srv, 0 };

	memset(&f, 0, sizeof(f));
	f.serial = serial;
	f.event = "break-glass";
	(void)jstore_query(srv->store, &f, notify_found, &fe);
}
