/* The ssh-agent protocol client against a real ssh-agent and a fake one. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "jagent.h"
#include "jcert.h"
#include "testutil.h"

static char dir[64], sock[128];
static int agent_pid;

static void
start_agent(void)
{
	char cmd[256], line[256];
	FILE *p;

	strcpy(dir, "/tmp/jit-agent-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/agent.sock", dir);
	snprintf(cmd, sizeof(cmd), "ssh-agent -s -a %s", sock);
	cr_assert_not_null(p = popen(cmd, "r"));
	while (fgets(line, sizeof(line), p) != NULL)
		if (strncmp(line, "SSH_AGENT_PID=", 14) == 0)
			agent_pid = atoi(line + 14);
	pclose(p);
	cr_assert_gt(agent_pid, 0, "ssh-agent did not start");
}

static void
stop_agent(void)
{
	char cmd[128];

	if (agent_pid > 0)
		kill(agent_pid, SIGTERM);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

TestSuite(agent_real, .init = start_agent, .fini = stop_agent);

static struct jcert *
cert_for(const struct jkey *k)
{
	struct jkey *ca = test_key("ed25519");
	struct jcert *c = jcert_new();

	cr_assert_eq(jcert_set_key(c, k), 0);
	cr_assert_eq(jcert_set_serial(c, 7), 0);
	cr_assert_eq(jcert_set_key_id(c, "jit:alice:dev:7"), 0);
	cr_assert_eq(jcert_add_principal(c, "alice"), 0);
	cr_assert_eq(jcert_set_validity(c, 1, 4000000000ULL), 0);
	cr_assert_eq(jcert_sign(c, ca), 0);
	jkey_free(ca);
	return c;
}

struct seen {
	int n, found;
	const unsigned char *want;
	size_t want_len;
	char comment[128];
};

static int
saw(const unsigned char *blob, size_t len, const char *comment, void *arg)
{
	struct seen *s = arg;

	s->n++;
	if (len == s->want_len && memcmp(blob, s->want, len) == 0) {
		s->found = 1;
		snprintf(s->comment, sizeof(s->comment), "%s", comment);
	}
	return 0;
}

Test(agent_real, add_list_remove_a_certificate)
{
	struct jagent *a = NULL;
	struct jkey *k = NULL;
	struct jcert *c;
	struct seen s;
	char cmd[256], out[512] = "";
	FILE *p;
	size_t blen;
	const unsigned char *blob;

	cr_assert_eq(jkey_generate(JKEY_ED25519, 0, &k), 0);
	c = cert_for(k);
	blob = jcert_blob(c, &blen);
	cr_assert_eq(jagent_open(sock, &a), 0);
	cr_assert_eq(jagent_add(a, k, c, "jit:alice:dev:7", 300), 0);
	memset(&s, 0, sizeof(s));
	s.want = blob;
	s.want_len = blen;
	cr_assert_eq(jagent_list(a, saw, &s), 0);
	cr_assert(s.found, "the certificate is listed");
	cr_assert_str_eq(s.comment, "jit:alice:dev:7");
	/* OpenSSH's own client agrees. */
	snprintf(cmd, sizeof(cmd), "SSH_AUTH_SOCK=%s ssh-add -l", sock);
	cr_assert_not_null(p = popen(cmd, "r"));
	cr_assert_not_null(fgets(out, sizeof(out), p));
	pclose(p);
	cr_assert_not_null(strstr(out, "ED25519-CERT"), "ssh-add -l: %s", out);
	cr_assert_eq(jagent_remove(a, blob, blen), 0);
	memset(&s, 0, sizeof(s));
	s.want = blob;
	s.want_len = blen;
	cr_assert_eq(jagent_list(a, saw, &s), 0);
	cr_assert_not(s.found, "removed");
	cr_assert_eq(jagent_remove(a, blob, blen), JIT_ERR_AGENT_REFUSED);
	jagent_close(a);
	jcert_free(c);
	jkey_free(k);
}

Test(agent_real, lifetime_is_enforced_by_the_agent)
{
	struct jagent *a = NULL;
	struct jkey *k = NULL;
	struct jcert *c;
	struct seen s;

	cr_assert_eq(jkey_generate(JKEY_ED25519, 0, &k), 0);
	c = cert_for(k);
	cr_assert_eq(jagent_open(sock, &a), 0);
	cr_assert_eq(jagent_add(a, k, c, "short", 1), 0);
	memset(&s, 0, sizeof(s));
	s.want = jcert_blob(c, &s.want_len);
	cr_assert_eq(jagent_list(a, saw, &s), 0);
	cr_assert(s.found);
	sleep(2);
	memset(&s, 0, sizeof(s));
	s.want = jcert_blob(c, &s.want_len);
	cr_assert_eq(jagent_list(a, saw, &s), 0);
	cr_assert_not(s.found, "gone after its lifetime");
	jagent_close(a);
	jcert_free(c);
	jkey_free(k);
}

Test(agent_real, a_plain_key_and_a_mismatched_certificate)
{
	struct jagent *a = NULL;
	struct jkey *k = NULL, *other = NULL;
	struct jcert *c;
	struct seen s;
	struct jbuf *b = jbuf_new();

	cr_assert_eq(jkey_generate(JKEY_ED25519, 0, &k), 0);
	cr_assert_eq(jkey_generate(JKEY_ED25519, 0, &other), 0);
	c = cert_for(other);
	cr_assert_eq(jagent_open(sock, &a), 0);
	cr_assert_eq(jagent_add(a, k, c, "x", 60), JIT_ERR_KEY_TYPE_MISMATCH);
	cr_assert_eq(jagent_add(a, k, NULL, "plain", 0), 0);
	cr_assert_eq(jkey_put_public(k, b), 0);
	memset(&s, 0, sizeof(s));
	s.want = jbuf_ptr(b);
	s.want_len = jbuf_len(b);
	cr_assert_eq(jagent_list(a, saw, &s), 0);
	cr_assert(s.found);
	cr_assert_eq(s.n, 1, "the refused certificate was not added");
	jagent_close(a);
	jcert_free(c);
	jkey_free(k);
	jkey_free(other);
	jbuf_free(b);
}

/* ---- a fake agent that answers with exactly these bytes ---- */

struct fake {
	char path[128];
	const unsigned char *answer;
	size_t len;
	int lfd;
};

static void *
fake_main(void *arg)
{
	struct fake *f = arg;
	unsigned char buf[65536];
	int fd = accept(f->lfd, NULL, NULL);

	if (fd == -1)
		return NULL;
	(void)recv(fd, buf, sizeof(buf), 0);
	if (f->len > 0)
		(void)send(fd, f->answer, f->len, MSG_NOSIGNAL);
	close(fd);
	return NULL;
}

static int
fake_call(const unsigned char *answer, size_t len, int list)
{
	struct fake f;
	struct sockaddr_un sun;
	struct jagent *a = NULL;
	struct seen s;
	pthread_t t;
	int r;

	memset(&f, 0, sizeof(f));
	snprintf(f.path, sizeof(f.path), "/tmp/jit-fake-%d.sock", getpid());
	unlink(f.path);
	f.answer = answer;
	f.len = len;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, f.path);
	cr_assert_neq(f.lfd = socket(AF_UNIX, SOCK_STREAM, 0), -1);
	cr_assert_eq(bind(f.lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	cr_assert_eq(listen(f.lfd, 1), 0);
	cr_assert_eq(pthread_create(&t, NULL, fake_main, &f), 0);
	cr_assert_eq(jagent_open(f.path, &a), 0);
	memset(&s, 0, sizeof(s));
	if (list)
		r = jagent_list(a, saw, &s);
	else
		r = jagent_remove(a, (const unsigned char *)"blob", 4);
	jagent_close(a);
	pthread_join(t, NULL);
	close(f.lfd);
	unlink(f.path);
	return r;
}

Test(agent_fake, failure_short_reads_and_garbage)
{
	static const unsigned char failure[] = { 0, 0, 0, 1, 5 };
	static const unsigned char success[] = { 0, 0, 0, 1, 6 };
	static const unsigned char half[] = { 0, 0 };
	static const unsigned char cut[] = { 0, 0, 0, 9, 12, 0, 0 };
	static const unsigned char huge[] = { 0xff, 0xff, 0xff, 0xff, 12 };
	static const unsigned char wrong[] = { 0, 0, 0, 1, 99 };
	static const unsigned char lying[] = { 0, 0, 0, 5, 12, 0, 0, 0, 3 };
	static const unsigned char trailing[] = { 0, 0, 0, 2, 6, 0 };

	cr_assert_eq(fake_call(success, sizeof(success), 0), 0, "sanity");
	cr_assert_eq(fake_call(failure, sizeof(failure), 0), JIT_ERR_AGENT_REFUSED);
	cr_assert_eq(fake_call(failure, sizeof(failure), 1), JIT_ERR_AGENT_REFUSED);
	cr_assert_eq(fake_call(half, sizeof(half), 1), JIT_ERR_AGENT_PROTOCOL);
	cr_assert_eq(fake_call(cut, sizeof(cut), 1), JIT_ERR_AGENT_PROTOCOL);
	cr_assert_eq(fake_call(huge, sizeof(huge), 1), JIT_ERR_AGENT_PROTOCOL);
	cr_assert_eq(fake_call(wrong, sizeof(wrong), 1), JIT_ERR_AGENT_PROTOCOL);
	cr_assert_eq(fake_call(lying, sizeof(lying), 1), JIT_ERR_AGENT_PROTOCOL);
	cr_assert_eq(fake_call(trailing, sizeof(trailing), 0), JIT_ERR_AGENT_PROTOCOL);
	cr_assert_eq(fake_call(NULL, 0, 1), JIT_ERR_AGENT_PROTOCOL, "closed at once");
}

Test(agent_fake, no_agent)
{
	struct jagent *a = (struct jagent *)1;

	cr_assert_eq(jagent_open("/nonexistent/agent.sock", &a), JIT_ERR_AGENT_NONE);
	cr_assert_null(a);
	unsetenv("SSH_AUTH_SOCK");
	cr_assert_eq(jagent_open(NULL, &a), JIT_ERR_AGENT_NONE);
}
