/*
 * serve.c: `jit-ssh-ca serve`, the CA as an SSH server.
 *
 * The main thread listens, admits connections under the caps (caps.c) and
 * hands each to a session thread (session.c); between connections it
 * reloads the policy on SIGHUP, sweeps waiting requests (sweep.c) and
 * tells notify.command what reached the log (notify.c).  We open and
 * listen on the socket ourselves (libssh's ssh_bind_listen() uses a
 * backlog of 10).  SIGTERM: no new connections, sessions wind down,
 * commands in flight finish.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "cadir.h"
#include "calog.h"
#include "admit.h"
#include "jit-err.h"
#include "jit-verbs.h"
#include "jpolicy.h"
#include "notify.h"
#include "session.h"
#include "server.h"
#include "sweep.h"

static volatile sig_atomic_t got_stop, got_reload;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_reload = 1;
	else
		got_stop = 1;
}

static int
open_listener(const char *listen_addr, int *fdp)
{
	char host[256], *port;
	struct addrinfo hints, *res = NULL;
	int fd = -1, one = 1, r;

	*fdp = -1;
	snprintf(host, sizeof(host), "%s", listen_addr);
	if ((port = strrchr(host, ':')) == NULL) {
		ca_error("listen: '%s' is not ADDR:PORT", listen_addr);
		return -1;
	}
	*port++ = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		ca_error("listen %s: %s", listen_addr, gai_strerror(r));
		return -1;
	}
	if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, 1024) == -1) {
		ca_error("listen %s: %s", listen_addr, strerror(errno));
		if (fd != -1)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	*fdp = fd;
	return 0;
}

/*
 * SIGHUP, the keys: after a rotation step, the keys it published and the
 * key that now signs; keys that do not load leave the running ones.
 */
static void
reload_keys(struct svc *s)
{
	struct svc_keys *k = NULL, *was;
	int same;

	if (svc_keys_load(s->dir, &k) != 0) {
		ca_log("key reload refused, keeping the running CA keys");
		return;
	}
	was = svc_keys_get(s);
	same = strcmp(was->text, k->text) == 0;
	svc_keys_put(was);
	svc_keys_swap(s, k);
	if (!same)
		ca_log("CA keys reloaded: the user CA signs with %s",
		    k->user.where);
}

/* SIGHUP: a policy that loads replaces the running one; else it stays. */
static void
reload(struct server *srv)
{
	struct svc *s = &srv->svc;
	struct jpolicy *p = NULL;
	char *err = NULL, *path = ca_path(s->dir, CA_POLICY);
	size_t nroles;
	int r;

	reload_keys(s);
	r = jpolicy_load_file(path, &p, &err);
	free(path);
	if (r != 0) {
		ca_log("policy reload refused, keeping the running policy: %s",
		    err != NULL ? err : jit_strerror(r));
		svc_event(s, "policy-reload", NULL, "SIGHUP",
		    "refused: the new policy does not load", NULL);
		free(err);
		return;
	}
	nroles = jpolicy_nroles(p);
	svc_policy_swap(s, p);
	auth_forget_grace(srv->auth);
	ca_log("policy reloaded (%zu roles)", nroles);
	svc_event(s, "policy-reload", NULL, "SIGHUP", "loaded", NULL);
}

/* notify.command, of the policy in force, for what reached the log. */
static void
notify(struct svc *s, struct notifier *n)
{
	struct jpolicy *p = svc_policy_get(s);

	notify_follow(n, s->store, p);
	svc_policy_put(s, p);
}

/* Accepts one connection, if any: admitted, it gets a session. */
static void
accept_one(struct server *srv, struct session_bind *b, int lfd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char addr[INET6_ADDRSTRLEN] = "?";
	int fd, one = 1;

	if ((fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC)) == -1)
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr,
		    sizeof(addr));
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    addr, sizeof(addr));
	if (!admit_conn(srv->admit, addr)) {
		close(fd);
		return;
	}
	(void)session_start(srv, b, fd, addr);
}

int
cmd_serve(void *ctx, const struct jit_args *a)
{
	struct server srv;
	struct svc *svc = &srv.svc;
	struct session_bind *bind = NULL;
	struct notifier nf;
	const char *dir = jit_arg(a, "dir"), *listen_opt = jit_arg(a, "listen");
	struct ca_config cfg = { .listen = NULL };
	char *hostkey = NULL;
	struct sigaction sa;
	struct pollfd pfd;
	uint64_t sweep_ms = 0;
	int lfd = -1, rc = CA_EXIT_FAIL;

	(void)ctx;
	memset(&srv, 0, sizeof(srv));
	atomic_init(&srv.stopping, 0);
	memset(&nf, 0, sizeof(nf));
	if (!ca_dir_is_ca(ca_dir(dir))) {
		ca_error("no CA at %s (%s): create one with `jit-ssh-ca init "
		    "--dir %s`, or name it with --dir or $%s", ca_dir(dir),
		    ca_dir_origin(ca_dir(dir)), ca_dir(dir), CA_DIR_ENV);
		return CA_EXIT_FAIL;
	}
	if (svc_open(svc, ca_dir(dir)) != 0)
		goto out;
	if ((srv.auth = auth_tables_new()) == NULL ||
	    (srv.admit = admit_new(svc->store)) == NULL) {
		ca_error("out of memory");
		goto out;
	}
	if (ca_config_load(svc->dir, &cfg) != 0)
		goto out;
	srv.dl = cfg.deadlines;
	if (open_listener(listen_opt != NULL ? listen_opt : cfg.listen,
	    &lfd) != 0)
		goto out;
	hostkey = ca_path(svc->dir, CA_LISTEN_KEY);
	if (session_bind_new(hostkey, &bind) != 0)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ca_log("serving %s on %s", svc->dir,
	    listen_opt != NULL ? listen_opt : cfg.listen);
	notify(svc, &nf);	/* from the log's end on */
	while (!got_stop) {
		if (got_reload) {
			got_reload = 0;
			reload(&srv);
		}
		sweep_requests(svc, srv.dl.sweep * 1000, &sweep_ms);
		notify(svc, &nf);
		pfd.fd = lfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 500) > 0)
			accept_one(&srv, bind, lfd);
	}
	/* SIGTERM: no new connections; let commands in flight finish. */
	atomic_store(&srv.stopping, 1);
	close(lfd);
	lfd = -1;
	ca_log("stopping: waiting for %u sessions", admit_sessions(srv.admit));
	admit_drain(srv.admit);
	rc = CA_EXIT_OK;
 out:
	if (lfd != -1)
		close(lfd);
	session_bind_free(bind);
	free(hostkey);
	ca_config_free(&cfg);
	admit_free(srv.admit);
	auth_tables_free(srv.auth);
	svc_close(svc);
	return rc;
}
