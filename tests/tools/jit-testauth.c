/*
 * jit-testauth: a hostile SSH client for the pre-auth tests.  It connects
 * from BINDADDR as USER (any bytes: the stock ssh refuses odd user names)
 * and offers KEY over and over on one connection, as fast as the server
 * answers, CONNS times in a row.  Prints how many offers the server
 * answered before it hung up, summed over the connections.
 *
 *   jit-testauth PORT BINDADDR USER KEYFILE OFFERS [CONNS]
 *   jit-testauth chans PORT USER PRIVKEY N [idle]
 *
 *   jit-testauth prestdin PORT USER PRIVKEY ROLE PUBKEY
 *
 * prestdin: on one channel, data before any command (to be dropped: it is
 * no command's stdin), then `login --role ROLE` with PUBKEY on stdin;
 * prints the CA's output (a certificate line, or its refusal).
 *
 * chans: logs in with PRIVKEY (a user with no code), then runs `ca-keys` on
 * N channels one after another on that one connection, each opened the
 * moment the last one is closed (as libssh clients do), and prints how many
 * were refused.  With idle, it first opens a channel that runs no command,
 * writes to it every second for N seconds and prints whether the CA kept
 * the connection (data on such a channel is no activity).  With abort,
 * each channel runs a login and is closed by the client at once.
 *
 * USER may hold \n and \xNN escapes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/libssh.h>

static void
unescape(const char *in, char *out, size_t size)
{
	size_t n = 0;

	for (; *in != '\0' && n + 1 < size; in++) {
		if (in[0] == '\\' && in[1] == 'n') {
			out[n++] = '\n';
			in++;
		} else if (in[0] == '\\' && in[1] == 'x' && in[2] != '\0' &&
		    in[3] != '\0') {
			char hex[3] = { in[2], in[3], 0 };

			out[n++] = (char)strtoul(hex, NULL, 16);
			in += 3;
		} else
			out[n++] = *in;
	}
	out[n] = '\0';
}

static int
one(int port, const char *bind, const char *user, ssh_key pub, int offers)
{
	ssh_session s = ssh_new();
	long timeout = 10;
	int i, answered = 0, r;

	if (s == NULL)
		return 0;
	ssh_options_set(s, SSH_OPTIONS_HOST, "127.0.0.1");
	ssh_options_set(s, SSH_OPTIONS_PORT, &port);
	ssh_options_set(s, SSH_OPTIONS_BINDADDR, bind);
	ssh_options_set(s, SSH_OPTIONS_USER, user);
	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
	if (ssh_connect(s) != SSH_OK) {
		ssh_free(s);
		return 0;
	}
	for (i = 0; i < offers; i++) {
		r = i % 2 == 0 ? ssh_userauth_try_publickey(s, NULL, pub) :
		    ssh_userauth_none(s, NULL);
		if (r == SSH_AUTH_ERROR || !ssh_is_connected(s))
			break;
		answered++;
	}
	ssh_disconnect(s);
	ssh_free(s);
	return answered;
}

static ssh_session
login_with(const char *portstr, const char *user, const char *keyfile)
{
	ssh_session s = ssh_new();
	ssh_key key = NULL;
	long timeout = 10;
	int port = atoi(portstr);

	if (s == NULL || ssh_pki_import_privkey_file(keyfile, NULL, NULL, NULL,
	    &key) != SSH_OK)
		return NULL;
	ssh_options_set(s, SSH_OPTIONS_HOST, "127.0.0.1");
	ssh_options_set(s, SSH_OPTIONS_PORT, &port);
	ssh_options_set(s, SSH_OPTIONS_USER, user);
	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
	if (ssh_connect(s) != SSH_OK ||
	    ssh_userauth_publickey(s, NULL, key) != SSH_AUTH_SUCCESS) {
		fprintf(stderr, "jit-testauth: login: %s\n", ssh_get_error(s));
		ssh_key_free(key);
		ssh_free(s);
		return NULL;
	}
	ssh_key_free(key);
	return s;
}

static int
prestdin(char **argv)
{
	ssh_session s = login_with(argv[2], argv[3], argv[4]);
	ssh_channel c;
	char cmd[256], buf[8192];
	FILE *f;
	size_t n;
	int r;

	if (s == NULL || (c = ssh_channel_new(s)) == NULL ||
	    ssh_channel_open_session(c) != SSH_OK)
		return 2;
	(void)ssh_channel_write(c, "not a key\n", 10);	/* no command yet */
	snprintf(cmd, sizeof(cmd), "login --role %s", argv[5]);
	if (ssh_channel_request_exec(c, cmd) != SSH_OK ||
	    (f = fopen(argv[6], "r")) == NULL)
		return 2;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (ssh_channel_write(c, buf, (uint32_t)n) != (int)n ||
	    ssh_channel_send_eof(c) != SSH_OK)
		return 2;
	while ((r = ssh_channel_read_timeout(c, buf, sizeof(buf) - 1, 0,
	    10000)) > 0)
		fwrite(buf, 1, (size_t)r, stdout);
	while ((r = ssh_channel_read_timeout(c, buf, sizeof(buf) - 1, 1,
	    1000)) > 0)
		fwrite(buf, 1, (size_t)r, stdout);
	ssh_channel_close(c);
	ssh_channel_free(c);
	ssh_disconnect(s);
	ssh_free(s);
	return 0;
}

static int
chans(int argc, char **argv)
{
	ssh_session s = ssh_new();
	ssh_channel c;
	ssh_key key = NULL;
	long timeout = 10;
	int port = atoi(argv[2]), n = atoi(argv[5]), i, refused = 0, got;
	int abort_each = argc > 6 && strcmp(argv[6], "abort") == 0;
	char buf[4096];

	if (s == NULL || ssh_pki_import_privkey_file(argv[4], NULL, NULL, NULL,
	    &key) != SSH_OK)
		return 2;
	ssh_options_set(s, SSH_OPTIONS_HOST, "127.0.0.1");
	ssh_options_set(s, SSH_OPTIONS_PORT, &port);
	ssh_options_set(s, SSH_OPTIONS_USER, argv[3]);
	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
	if (ssh_connect(s) != SSH_OK ||
	    ssh_userauth_publickey(s, NULL, key) != SSH_AUTH_SUCCESS) {
		fprintf(stderr, "jit-testauth: login: %s\n", ssh_get_error(s));
		return 2;
	}
	if (argc > 6 && strcmp(argv[6], "idle") == 0) {
		if ((c = ssh_channel_new(s)) == NULL ||
		    ssh_channel_open_session(c) != SSH_OK)
			return 2;
		for (i = 0; i < n && ssh_is_connected(s); i++) {
			if (ssh_channel_write(c, "x", 1) != 1)
				break;
			sleep(1);
		}
		printf("%s\n", ssh_is_connected(s) && ssh_channel_is_open(c) ?
		    "kept" : "closed");
		ssh_channel_free(c);
		ssh_key_free(key);
		ssh_disconnect(s);
		ssh_free(s);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if ((c = ssh_channel_new(s)) == NULL)
			return 2;
		if (ssh_channel_open_session(c) != SSH_OK) {
			/* Counted: the CA's refusal (an open failure), not
			 * libssh losing its way with the last channel's close
			 * (no message), which is the client's. */
			if (strstr(ssh_get_error(s), "pening failure") != NULL)
				refused++;
			ssh_channel_free(c);
			if (!ssh_is_connected(s))
				break;
			continue;
		}
		if (abort_each) {
			/* A login that reads stdin, given up at once: the client
			 * closes first, then opens the next. */
			(void)ssh_channel_request_exec(c, "login");
			ssh_channel_close(c);
			ssh_channel_free(c);
			continue;
		}
		if (ssh_channel_request_exec(c, "ca-keys") != SSH_OK) {
			refused++;
			ssh_channel_free(c);
			continue;
		}
		got = 0;
		while (!ssh_channel_is_eof(c) && ssh_is_connected(s)) {
			int r = ssh_channel_read_timeout(c, buf, sizeof(buf), 0,
			    5000);

			if (r < 0)
				break;
			got += r;
			if (r == 0 && ssh_channel_is_eof(c))
				break;
		}
		if (got == 0)
			refused++;
		ssh_channel_close(c);	/* and at once the next one */
		ssh_channel_free(c);
	}
	printf("%d\n", refused);
	ssh_key_free(key);
	ssh_disconnect(s);
	ssh_free(s);
	return 0;
}

int
main(int argc, char **argv)
{
	char user[512];
	ssh_key pub = NULL;
	int i, conns, total = 0;

	if (argc >= 6 && strcmp(argv[1], "chans") == 0)
		return chans(argc, argv);
	if (argc == 7 && strcmp(argv[1], "prestdin") == 0)
		return prestdin(argv);
	if (argc < 6 || argc > 7) {
		fprintf(stderr, "usage: jit-testauth PORT BINDADDR USER KEYFILE "
		    "OFFERS [CONNS]\n");
		return 2;
	}
	unescape(argv[3], user, sizeof(user));
	if (ssh_pki_import_pubkey_file(argv[4], &pub) != SSH_OK) {
		fprintf(stderr, "jit-testauth: cannot read %s\n", argv[4]);
		return 2;
	}
	conns = argc == 7 ? atoi(argv[6]) : 1;
	for (i = 0; i < conns; i++)
		total += one(atoi(argv[1]), argv[2], user, pub, atoi(argv[5]));
	printf("%d\n", total);
	ssh_key_free(pub);
	return 0;
}
