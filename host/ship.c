/*
 * ship.c: `jit-ssh-host ship` sends the spool's recordings to the CA, and
 * `jit-ssh-host krl-refresh` fetches the CA's KRL; both over SSH (libssh),
 * as the host: SSH user "host:NAME", publickey with host_key (enrolled at
 * the CA with `jit-ssh-ca host enroll`), the CA's host key pinned.
 *
 * A recording goes up in chunks of at most HOST_CHUNK_MAX bytes, each an
 * exec request `upload SID OFFSET` with the bytes on stdin; the CA answers
 * one JSON line with the size it holds durably, so a cut connection
 * resumes where the CA's copy ends and a chunk sent twice is refused, not
 * stored twice.  A finished recording's last upload carries --end; only
 * after the CA answers "ended" is the spooled file deleted.  A recording
 * whose recorder died (no SID.end, no lock held) ends as "killed".  The
 * CA's answer may carry "stop" (the user is locked, the certificate
 * revoked): the shipper leaves SID.stop for the recorder.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libssh/libssh.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"
#include "jkrl.h"
#include "jsshkey.h"
#include "host.h"
#include "spool.h"

#define CONNECT_TIMEOUT_SEC	10
#define SHIP_EVERY_MS		2000
#define REPLY_MAX		4096
#define KRL_MAX			(16 * 1024 * 1024)
#define SENT_MAX		4096	/* sessions remembered between rounds */

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

#define say(...)	host_say(-1, __VA_ARGS__)

/* ---- the connection ---- */

static int
check_host_key(ssh_session s, const char *addr, const struct jkey *pinned)
{
	ssh_key sk = NULL;
	struct jkey *got = NULL;
	char *fp = NULL;
	int ok;

	ok = ssh_get_server_publickey(s, &sk) == SSH_OK &&
	    jkey_from_ssh(sk, &got) == 0 && jkey_equal_public(got, pinned);
	if (!ok) {
		if (got != NULL)
			(void)jkey_fingerprint(got, &fp);
		say("the CA at %s presented host key %s, not the pinned "
		    "ca_host_key: refusing", addr, fp != NULL ? fp : "(unreadable)");
	}
	free(fp);
	jkey_free(got);
	ssh_key_free(sk);
	return ok ? 0 : -1;
}

/* Connects to one CA "host:port" and authenticates as the host. */
static ssh_session
connect_one(const struct host_config *cfg, const char *addr,
    const struct jkey *pinned, ssh_key key)
{
	ssh_session s;
	char host[256], user[300];
	const char *colon = strrchr(addr, ':');
	long timeout = CONNECT_TIMEOUT_SEC;
	int port = 22, verbosity = SSH_LOG_NOLOG, r;

	if (colon != NULL) {
		port = atoi(colon + 1);
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	} else
		snprintf(host, sizeof(host), "%s", addr);
	snprintf(user, sizeof(user), "host:%s", cfg->name);
	if ((s = ssh_new()) == NULL)
		return NULL;
	ssh_options_set(s, SSH_OPTIONS_HOST, host);
	ssh_options_set(s, SSH_OPTIONS_PORT, &port);
	ssh_options_set(s, SSH_OPTIONS_USER, user);
	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
	ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
	{
		bool no = false;

		ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
	}
	if (ssh_connect(s) != SSH_OK) {
		say("cannot reach the CA at %s: %s", addr, ssh_get_error(s));
		goto fail;
	}
	if (check_host_key(s, addr, pinned) != 0)
		goto fail;
	if ((r = ssh_userauth_publickey(s, NULL, key)) != SSH_AUTH_SUCCESS) {
		say("the CA at %s refused host %s (is its key enrolled? "
		    "jit-ssh-ca host enroll --name %s %s.pub)", addr, cfg->name,
		    cfg->name, cfg->host_key);
		goto fail;
	}
	return s;
 fail:
	ssh_disconnect(s);
	ssh_free(s);
	return NULL;
}

/* The first CA of the list that answers. */
static ssh_session
ca_connect(const struct host_config *cfg)
{
	struct jkey *pinned = NULL;
	ssh_key key = NULL;
	ssh_session s = NULL;
	char *list, *addr, *save = NULL;
	int r;

	if (cfg->ca == NULL || cfg->ca_host_key == NULL ||
	    cfg->host_key == NULL || cfg->name == NULL) {
		say("%s must set ca, ca_host_key, host_key and name to talk "
		    "to the CA", cfg->path != NULL ? cfg->path :
		    HOST_CONFIG_DEFAULT);
		return NULL;
	}
	if (jkey_parse_line(cfg->ca_host_key, &pinned, NULL) != 0) {
		say("ca_host_key is not a public key line");
		return NULL;
	}
	if ((r = jssh_import_private(cfg->host_key, NULL, NULL, &key)) != 0) {
		say("host_key %s: %s", cfg->host_key, jit_strerror(r));
		jkey_free(pinned);
		return NULL;
	}
	if ((list = strdup(cfg->ca)) != NULL)
		for (addr = strtok_r(list, ",", &save); addr != NULL &&
		    s == NULL; addr = strtok_r(NULL, ",", &save))
			s = connect_one(cfg, addr, pinned, key);
	free(list);
	ssh_key_free(key);
	jkey_free(pinned);
	return s;
}

/*
 * Runs command on the CA with data on its stdin; its stdout (at most
 * max bytes) in out.  The exit status, or -1 when the connection failed.
 */
static int
ca_exec(ssh_session s, const char *command, const void *data, size_t len,
    struct jbuf *out, size_t max, char *err, size_t errlen)
{
	ssh_channel ch = ssh_channel_new(s);
	char buf[4096];
	size_t elen = 0;
	size_t off = 0;
	int n, status = -1;

	if (ch == NULL)
		return -1;
	if (ssh_channel_open_session(ch) != SSH_OK ||
	    ssh_channel_request_exec(ch, command) != SSH_OK)
		goto out;
	while (off < len) {
		size_t step = len - off > 32768 ? 32768 : len - off;

		if ((n = ssh_channel_write(ch, (const char *)data + off,
		    (uint32_t)step)) <= 0)
			goto out;
		off += (size_t)n;
	}
	ssh_channel_send_eof(ch);
	while ((n = ssh_channel_read_timeout(ch, buf, sizeof(buf), 0,
	    60000)) > 0)
		if (jbuf_len(out) + (size_t)n <= max)
			jbuf_put(out, buf, (size_t)n);
	if (n < 0)
		goto out;
	/* stderr: why, for the log (one line of it). */
	while ((n = ssh_channel_read_timeout(ch, buf, sizeof(buf), 1, 1000)) > 0)
		if (err != NULL && elen + 1 < errlen) {
			size_t k = (size_t)n < errlen - 1 - elen ? (size_t)n :
			    errlen - 1 - elen;

			memcpy(err + elen, buf, k);
			elen += k;
		}
	if (err != NULL && errlen > 0) {
		err[elen] = '\0';
		err[strcspn(err, "\n")] = '\0';
	}
	status = ssh_channel_get_exit_status(ch);
 out:
	ssh_channel_close(ch);
	ssh_channel_free(ch);
	return status;
}

/* ---- shipping ---- */

struct sent {
	char sid[JIT_SESSION_ID_LEN + 1];
	uint64_t size;		/* what the CA holds, as it last said */
	uint64_t asked_ms;
};

struct ship {
	const struct host_config *cfg;
	ssh_session s;
	struct sent sent[SENT_MAX];
	size_t nsent;
	int failed;		/* the connection broke this round */
	unsigned errors;	/* uploads refused this round */
};

/* A finished recording's entry goes (the last one takes its place). */
static void
forget(struct ship *sh, struct sent *st)
{
	*st = sh->sent[--sh->nsent];
}

static struct sent *
sent_for(struct ship *sh, const char *sid)
{
	size_t i;

	for (i = 0; i < sh->nsent; i++)
		if (strcmp(sh->sent[i].sid, sid) == 0)
			return &sh->sent[i];
	if (sh->nsent == SENT_MAX)
		sh->nsent = 0;	/* forget: the CA tells again */
	memset(&sh->sent[sh->nsent], 0, sizeof(sh->sent[0]));
	snprintf(sh->sent[sh->nsent].sid, sizeof(sh->sent[0].sid), "%s", sid);
	return &sh->sent[sh->nsent++];
}

/* The CA's reply: {"session":..,"size":N,"ended":B,"stop":S|null,...}. */
static int
parse_reply(const struct jbuf *out, uint64_t *sizep, int *endedp,
    char *stop, size_t stoplen)
{
	json_t *j = json_loadb((const char *)jbuf_ptr(out), jbuf_len(out),
	    JSON_DISABLE_EOF_CHECK, NULL);
	json_int_t size = 0;
	json_t *why = NULL;
	int ended = 0;

	stop[0] = '\0';
	if (j == NULL || json_unpack(j, "{s:I, s:b, s?o}", "size", &size,
	    "ended", &ended, "stop", &why) != 0 || size < 0) {
		json_decref(j);
		return -1;
	}
	*sizep = (uint64_t)size;
	*endedp = ended;
	if (json_is_string(why))
		snprintf(stop, stoplen, "%s", json_string_value(why));
	json_decref(j);
	return 0;
}

/*
 * One upload: the bytes of fd from off (at most HOST_CHUNK_MAX), with the
 * end's facts when end is not NULL and the chunk reaches the file's end.
 */
static int
upload(struct ship *sh, struct sent *st, int fd, uint64_t fsize,
    const struct spool_end *end)
{
	static unsigned char chunk[HOST_CHUNK_MAX];
	struct jbuf *out = jbuf_new();
	char cmd[512], stop[256], why[512];
	size_t len = 0;
	ssize_t n;
	uint64_t size, prev;
	int ended, status, last;

	if (out == NULL)
		return -1;
	while (st->size + len < fsize && len < sizeof(chunk)) {
		n = pread(fd, chunk + len, sizeof(chunk) - len,
		    (off_t)(st->size + len));
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	last = end != NULL && st->size + len == fsize;
	if (last)
		snprintf(cmd, sizeof(cmd), "upload %s %llu --end %s --status %d "
		    "--bytes-in %llu --bytes-out %llu --ended-at %llu", st->sid,
		    (unsigned long long)st->size, end->reason, end->status,
		    (unsigned long long)end->bytes_in,
		    (unsigned long long)end->bytes_out,
		    (unsigned long long)end->time);
	else
		snprintf(cmd, sizeof(cmd), "upload %s %llu", st->sid,
		    (unsigned long long)st->size);
	status = ca_exec(sh->s, cmd, chunk, len, out, REPLY_MAX, why,
	    sizeof(why));
	if (status < 0) {
		jbuf_free(out);
		sh->failed = 1;
		return say("the connection to the CA broke while sending %s",
		    st->sid);
	}
	if (parse_reply(out, &size, &ended, stop, sizeof(stop)) != 0) {
		jbuf_free(out);
		sh->errors++;
		say("the CA refused %s: %s", st->sid, why[0] != '\0' ? why :
		    "no answer");
		return -1;
	}
	jbuf_free(out);
	prev = st->size;
	st->size = size;
	st->asked_ms = jit_monotonic_ms();
	if (stop[0] != '\0' && spool_running(sh->cfg->spool, st->sid) == 1)
		(void)spool_write_stop(sh->cfg->spool, st->sid, stop);
	if (ended) {
		/* Durably at the CA, whole: only now does the spool let go. */
		spool_remove(sh->cfg->spool, st->sid);
		forget(sh, st);
		return 1;
	}
	if (status == 0 || size != prev)
		return 0;	/* sent, or the CA's copy ends elsewhere: go on
				   from where it says */
	sh->errors++;
	say("the CA refused %s at %llu: %s", st->sid, (unsigned long long)prev,
	    why);
	return -1;
}

static int
ship_one(const char *sid, void *arg)
{
	struct ship *sh = arg;
	struct sent *st = sent_for(sh, sid);
	struct spool_end e, *end = NULL;
	char path[PATH_MAX], reason[64];
	struct stat sb;
	int fd, running, r = 0, rounds = 0;

	if (sh->failed || stopping)
		return 1;
	running = spool_running(sh->cfg->spool, sid);
	if (running < 0)
		return 0;
	if (!running) {
		if (spool_read_end(sh->cfg->spool, sid, reason, sizeof(reason),
		    &e) != 0) {
			/* The recorder died: what it wrote is the recording. */
			memset(&e, 0, sizeof(e));
			e.reason = "killed";
			e.status = 255;
			e.time = jit_now();
		}
		end = &e;
	}
	snprintf(path, sizeof(path), "%s/%s.cast", sh->cfg->spool, sid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return 0;
	if (fstat(fd, &sb) != 0) {
		close(fd);
		return 0;
	}
	/* Running, nothing new, asked lately: nothing to say. */
	if (running && st->asked_ms != 0 && st->size >= (uint64_t)sb.st_size &&
	    jit_monotonic_ms() - st->asked_ms < 5000) {
		close(fd);
		return 0;
	}
	do {
		r = upload(sh, st, fd, (uint64_t)sb.st_size, end);
	} while (r == 0 && (st->size < (uint64_t)sb.st_size || end != NULL) &&
	    ++rounds < 64 &&
	    !stopping);
	close(fd);
	return sh->failed ? 1 : 0;
}

/* Anything in the spool? */
static int
has_work(const char *sid, void *arg)
{
	(void)sid;
	*(int *)arg = 1;
	return 1;
}

/*
 * Ships in rounds, every SHIP_EVERY_MS.  --once: one round; 0 when it
 * delivered everything finished and brought the CA's copy of every
 * running session up to date, 1 when anything could not be sent.
 */
int
host_ship(const struct host_config *cfg, int once)
{
	static struct ship sh;
	struct sigaction sa;
	int work, rc = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sh.cfg = cfg;
	while (!stopping) {
		work = 0;
		sh.errors = 0;
		sh.failed = 0;
		spool_each(cfg->spool, has_work, &work);
		if (work && sh.s == NULL && (sh.s = ca_connect(cfg)) == NULL)
			sh.failed = 1;
		if (work && sh.s != NULL) {
			spool_each(cfg->spool, ship_one, &sh);
			if (sh.failed) {
				ssh_disconnect(sh.s);
				ssh_free(sh.s);
				sh.s = NULL;
			}
		}
		rc = sh.failed || sh.errors > 0;
		if (once)
			break;
		usleep(SHIP_EVERY_MS * 1000);
	}
	if (sh.s != NULL) {
		ssh_disconnect(sh.s);
		ssh_free(sh.s);
		sh.s = NULL;
	}
	return once ? rc : 0;
}

/* ---- the KRL ---- */

int
host_krl_refresh(const struct host_config *cfg)
{
	ssh_session s = ca_connect(cfg);
	struct jbuf *out;
	uint64_t version = 0;
	int status, r;

	if (s == NULL)
		return 1;
	if ((out = jbuf_new()) == NULL)
		return 1;
	status = ca_exec(s, "krl", NULL, 0, out, KRL_MAX, NULL, 0);
	ssh_disconnect(s);
	ssh_free(s);
	if (status != 0) {
		jbuf_free(out);
		return host_say(1, "the CA did not send its KRL (status %d)",
		    status);
	}
	/* Read by our own reader before sshd ever sees it. */
	if ((r = jkrl_check(jbuf_ptr(out), jbuf_len(out), NULL,
	    &version)) != 0) {
		jbuf_free(out);
		say("the CA sent a KRL that does not read (%s): %s left as it "
		    "was", jit_strerror(r), cfg->krl);
		return 1;
	}
	r = jit_file_write(cfg->krl, jbuf_ptr(out), jbuf_len(out), 0644, 1);
	jbuf_free(out);
	if (r != 0) {
		say("%s: %s", cfg->krl, jit_strerror(r));
		return 1;
	}
	return 0;
}
