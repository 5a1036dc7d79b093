/*
 * jit-testauth: a hostile SSH client for the pre-auth tests.  It connects
 * from BINDADDR as USER (any bytes: the stock ssh refuses odd user names)
 * and offers KEY over and over on one connection, as fast as the server
 * answers, CONNS times in a row.  Prints how many offers the server
 * answered before it hung up, summed over the connections.
 *
 *   jit-testauth PORT BINDADDR USER KEYFILE OFFERS [CONNS]
 *
 * USER may hold \n and \xNN escapes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int
main(int argc, char **argv)
{
	char user[512];
	ssh_key pub = NULL;
	int i, conns, total = 0;

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
