/*
 * Fuzz target: the ssh-agent replies the client parses (agent/
 * agentproto.c).  A listener of the target's own plays the agent: to each
 * request it answers with the input (after its first byte, which picks the
 * request: list, sign, holds, remove, add).  Beyond memory safety: a list
 * that succeeds gave no more identities than the reply could hold.
 */
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "jagent.h"
#include "jbuf.h"
#include "jkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static char dir[64], path[96];
static int lfd = -1;
static const uint8_t *reply;
static size_t reply_len;

static int
io_all(int fd, void *buf, size_t len, int writing)
{
	ssize_t n;
	size_t off = 0;

	while (off < len) {
		n = writing ? send(fd, (char *)buf + off, len - off,
		    MSG_NOSIGNAL) : read(fd, (char *)buf + off, len - off);
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* The agent: reads one request, answers with the reply, hangs up. */
static void *
agent_main(void *arg)
{
	unsigned char hdr[4], *req;
	uint32_t n;
	int fd;

	(void)arg;
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			continue;
		while (io_all(fd, hdr, 4, 0) == 0) {
			n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
			    (uint32_t)hdr[2] << 8 | hdr[3];
			if (n > (1 << 20) || (req = malloc(n + 1)) == NULL ||
			    io_all(fd, req, n, 0) != 0)
				break;
			free(req);
			hdr[0] = (unsigned char)(reply_len >> 24);
			hdr[1] = (unsigned char)(reply_len >> 16);
			hdr[2] = (unsigned char)(reply_len >> 8);
			hdr[3] = (unsigned char)reply_len;
			if (io_all(fd, hdr, 4, 1) != 0 || io_all(fd,
			    (void *)(uintptr_t)reply, reply_len, 1) != 0)
				break;
		}
		close(fd);
	}
	return NULL;
}

static void
cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

static void
start_agent(void)
{
	struct sockaddr_un sun;
	pthread_t t;

	snprintf(dir, sizeof(dir), "/tmp/jit-fuzz-agent-XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/sock", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((lfd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(lfd, 16) == -1 ||
	    pthread_create(&t, NULL, agent_main, NULL) != 0)
		abort();
	pthread_detach(t);
	/* The client gives up on a bad reply and hangs up: no SIGPIPE (the
	 * jit-ssh client ignores it too). */
	signal(SIGPIPE, SIG_IGN);
	atexit(cleanup);
}

static int
count(const unsigned char *blob, size_t len, const char *comment, void *arg)
{
	size_t *n = arg;

	if (blob == NULL || comment == NULL)
		abort();
	*n += len + strlen(comment) + 8;	/* each at least its two lengths */
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct jkey *k;
	static const unsigned char blob[] = "not a real key blob";
	struct jagent *a = NULL;
	struct jbuf *sig = NULL;
	size_t seen = 0;
	int r;

	if (len < 1)
		return 0;
	if (lfd == -1)
		start_agent();
	if (k == NULL && jkey_generate(JKEY_ED25519, 0, &k) != 0)
		abort();
	reply = data + 1;
	reply_len = len - 1;
	if (jagent_open(path, &a) != 0)
		abort();
	switch (data[0] % 5) {
	case 0:
		if (jagent_list(a, count, &seen) == 0 && seen > reply_len)
			abort();
		break;
	case 1:
		if ((sig = jbuf_new()) == NULL)
			abort();
		r = jagent_sign(a, blob, sizeof(blob), blob, 4, 0, sig);
		if (r == 0 && jbuf_len(sig) > reply_len)
			abort();
		jbuf_free(sig);
		break;
	case 2:
		(void)jagent_holds(a, blob, sizeof(blob));
		break;
	case 3:
		(void)jagent_remove(a, blob, sizeof(blob));
		break;
	default:
		(void)jagent_add(a, k, NULL, "fuzz", 60);
		break;
	}
	jagent_close(a);
	return 0;
}
