/*
 * bench_ceiling: the least an SSH CA could do per connection, to measure
 * against: libssh server, our listener setup (backlog 1024, TCP_NODELAY,
 * thread per connection), any valid publickey accepted, every exec answered
 * with a fixed line.  No policy, no store, no signing.
 *
 *   bench_ceiling PORT HOSTKEY
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

struct conn {
	ssh_session s;
	ssh_channel ch;
	int exec, eof, authed;
	struct ssh_server_callbacks_struct scb;
	struct ssh_channel_callbacks_struct ccb;
};

static int
auth_pk(ssh_session s, const char *u, struct ssh_key_struct *k, char st, void *ud)
{
	struct conn *c = ud;

	(void)s; (void)u; (void)k;
	if (st == SSH_PUBLICKEY_STATE_VALID)
		c->authed = 1;
	return st == SSH_PUBLICKEY_STATE_NONE || st == SSH_PUBLICKEY_STATE_VALID ?
	    SSH_AUTH_SUCCESS : SSH_AUTH_DENIED;
}

static int
on_exec(ssh_session s, ssh_channel ch, const char *cmd, void *ud)
{
	(void)s; (void)ch; (void)cmd;
	((struct conn *)ud)->exec = 1;
	return 0;
}

static int
on_data(ssh_session s, ssh_channel ch, void *d, uint32_t len, int e, void *ud)
{
	(void)s; (void)ch; (void)d; (void)e; (void)ud;
	return (int)len;
}

static void
on_eof(ssh_session s, ssh_channel ch, void *ud)
{
	(void)s; (void)ch;
	((struct conn *)ud)->eof = 1;
}

static ssh_channel
on_open(ssh_session s, void *ud)
{
	struct conn *c = ud;

	c->ch = ssh_channel_new(s);
	memset(&c->ccb, 0, sizeof(c->ccb));
	c->ccb.userdata = c;
	c->ccb.channel_exec_request_function = on_exec;
	c->ccb.channel_data_function = on_data;
	c->ccb.channel_eof_function = on_eof;
	ssh_callbacks_init(&c->ccb);
	ssh_set_channel_callbacks(c->ch, &c->ccb);
	return c->ch;
}

static void *
serve(void *arg)
{
	struct conn *c = arg;
	ssh_event ev = ssh_event_new();
	static const char answer[] = "ssh-ed25519-cert-v01@openssh.com AAAA fixed\n";

	memset(&c->scb, 0, sizeof(c->scb));
	c->scb.userdata = c;
	c->scb.auth_pubkey_function = auth_pk;
	c->scb.channel_open_request_session_function = on_open;
	ssh_callbacks_init(&c->scb);
	ssh_set_server_callbacks(c->s, &c->scb);
	ssh_set_auth_methods(c->s, SSH_AUTH_METHOD_PUBLICKEY);
	if (ssh_handle_key_exchange(c->s) != SSH_OK)
		goto out;
	ssh_event_add_session(ev, c->s);
	while (ssh_is_connected(c->s)) {
		if (ssh_event_dopoll(ev, 200) == SSH_ERROR)
			break;
		/* Like the CA's login: answer once stdin has ended. */
		if (c->exec && c->eof && c->ch != NULL) {
			ssh_channel_write(c->ch, answer, sizeof(answer) - 1);
			ssh_channel_request_send_exit_status(c->ch, 0);
			ssh_channel_send_eof(c->ch);
			ssh_channel_close(c->ch);
			c->exec = 0;
		}
	}
	ssh_event_remove_session(ev, c->s);
 out:
	ssh_event_free(ev);
	ssh_disconnect(c->s);
	ssh_free(c->s);
	free(c);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	ssh_bind b;
	pthread_attr_t attr;
	pthread_t t;
	int lfd, fd, one = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_ceiling PORT HOSTKEY\n");
		return 2;
	}
	ssh_init();
	b = ssh_bind_new();
	ssh_bind_options_set(b, SSH_BIND_OPTIONS_HOSTKEY, argv[2]);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 1024) != 0) {
		perror("bench_ceiling");
		return 1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (;;) {
		struct conn *c;

		if ((fd = accept(lfd, NULL, NULL)) == -1)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = calloc(1, sizeof(*c));
		c->s = ssh_new();
		if (ssh_bind_accept_fd(b, c->s, fd) != SSH_OK ||
		    pthread_create(&t, &attr, serve, c) != 0) {
			ssh_free(c->s);
			free(c);
		}
	}
}
