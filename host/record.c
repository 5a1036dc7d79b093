/*
 * record.c: `jit-ssh-host record`, the session's command on a recorded
 * host (sshd's ForceCommand, or a certificate's force-command).
 *
 * It finds the certificate the user logged in with in $SSH_USER_AUTH
 * (ExposeAuthInfo), checks it against the user CA keys and the KRL, and
 * runs the user's shell (or $SSH_ORIGINAL_COMMAND) under a new PTY, or on
 * pipes when sshd gave no PTY, relaying and recording as asciicast v2 into
 * SPOOL/SID.cast.  Installed set-user-ID jit-ssh-rec: the spool is that
 * user's (0700), the shell runs with the user's own ids, and the recorder
 * takes jit-ssh-rec for all three of its ids, so the user can neither
 * signal nor ptrace it; if it dies, the session's PTY goes with it.
 *
 * The session ends when the certificate does: a warning warn_before ahead,
 * then a hang-up at valid_before (end_session() says how); within a second
 * of its serial appearing in the host's KRL; and when the shipper leaves
 * SPOOL/SID.stop (the CA said the user is locked or the certificate
 * revoked).  When the recording ends, SID.end says how (JSON), for the
 * shipper.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pty.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "jbuf.h"
#include "jcert.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jkey.h"
#include "jkrl.h"
#include "cast.h"
#include "host.h"
#include "spool.h"

#define AUTH_FILE_MAX		(256 * 1024)
#define KEYS_FILE_MAX		(64 * 1024)
#define KRL_FILE_MAX		(16 * 1024 * 1024)
#define KILL_GRACE_MS		2000
#define SFTP_SERVER		"/usr/lib/openssh/sftp-server"

enum mode { M_PTY, M_PIPE, M_TRANSFER };

struct rec {
	const struct host_config *cfg;
	struct jcert *cert;
	char sid[JIT_SESSION_ID_LEN + 1];
	char account[64], source[64], host[256];
	const char *command;	/* $SSH_ORIGINAL_COMMAND or NULL */
	enum mode mode;
	uid_t ruid, rec_uid;
	gid_t rgid;
	pid_t child;
	int child_status, child_done;
	int master;		/* M_PTY: the new PTY's master */
	int cin, cout, cerr;	/* M_PIPE: the child's stdin, stdout, stderr */
	int in_open;		/* our stdin still gives */
	struct termios saved;
	int raw;
	int spool_fd;
	struct cast cast;
	uint64_t bytes_in, bytes_out;
	int warned;
	const char *end;	/* why it ended: "exit", "expired", ... */
	uint64_t end_at_ms;	/* kill grace running since */
	struct stat krl_st;
	int krl_seen;
};

static int sigpipe_fds[2] = { -1, -1 };

static void
on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int e = errno;

	(void)!write(sigpipe_fds[1], &c, 1);
	errno = e;
}

/* Says why, for the user (stderr reaches their terminal): status 1. */
#define fail(...)	host_say(1, __VA_ARGS__)

/* ---- who logged in: the certificate in $SSH_USER_AUTH ---- */

static int
load_ca_keys(const char *path, struct jkey ***keysp, size_t *np)
{
	struct jbuf *b = NULL;
	struct jkey **keys = NULL, *k;
	char *text, *line, *save = NULL;
	size_t n = 0;
	int r;

	if ((r = jit_file_read(path, KEYS_FILE_MAX, 0, &b)) != 0)
		return r;
	if ((text = strndup((const char *)jbuf_ptr(b), jbuf_len(b))) == NULL) {
		jbuf_free(b);
		return JIT_ERR_ALLOC;
	}
	jbuf_free(b);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t");
		if (*line == '\0' || *line == '#')
			continue;
		if (jkey_parse_line(line, &k, NULL) != 0)
			continue;
		struct jkey **nk = realloc(keys, (n + 1) * sizeof(*keys));
		if (nk == NULL) {
			jkey_free(k);
			break;
		}
		keys = nk;
		keys[n++] = k;
	}
	free(text);
	*keysp = keys;
	*np = n;
	return n > 0 ? 0 : JIT_ERR_NOT_FOUND;
}

/*
 * The first certificate in the auth info file that a trusted CA signed and
 * that is valid now.  The file is the user's: read with the user's rights.
 */
static int
find_cert(struct rec *rc, const char *auth_path)
{
	struct jkey **cas = NULL;
	struct jbuf *b = NULL;
	struct jcert *c;
	char *text = NULL, *line, *save = NULL;
	size_t ncas = 0, i;
	int r, found = 0, seen = 0;

	if ((r = load_ca_keys(rc->cfg->user_ca_keys, &cas, &ncas)) != 0)
		return fail("%s: %s: no user CA key to check certificates with",
		    rc->cfg->user_ca_keys, jit_strerror(r));
	if (seteuid(rc->ruid) != 0)
		return fail("seteuid: %s", strerror(errno));
	r = jit_file_read(auth_path, AUTH_FILE_MAX, 0, &b);
	if (seteuid(rc->rec_uid) != 0)
		abort();
	if (r != 0) {
		fail("%s (SSH_USER_AUTH): %s", auth_path, jit_strerror(r));
		goto out;
	}
	if ((text = strndup((const char *)jbuf_ptr(b), jbuf_len(b))) == NULL)
		goto out;
	/* Lines "publickey TYPE BASE64", one per method that succeeded. */
	for (line = strtok_r(text, "\n", &save); line != NULL && !found;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "publickey ", 10) != 0)
			continue;
		if (jcert_parse_line(line + 10, &c) != 0)
			continue;
		seen++;
		for (i = 0; i < ncas && !found; i++)
			found = jcert_verify(c, cas[i]) == 0 &&
			    jcert_check(c, JCERT_TYPE_USER, jit_now(),
			    NULL) == 0;
		if (found)
			rc->cert = c;
		else
			jcert_free(c);
	}
	if (!found)
		fail(seen == 0 ? "no certificate in %s: this host records "
		    "sessions opened with a jit-ssh certificate only" :
		    "the certificate in %s is not signed by a user CA key in "
		    "%s, or not valid now", auth_path, rc->cfg->user_ca_keys);
 out:
	for (i = 0; i < ncas; i++)
		jkey_free(cas[i]);
	free(cas);
	free(text);
	jbuf_free(b);
	return found ? 0 : 1;
}

/* 1 when the KRL file changed and now revokes the certificate. */
static int
krl_revokes(struct rec *rc)
{
	struct jbuf *b = NULL;
	struct stat st;
	int r;

	if (stat(rc->cfg->krl, &st) != 0)
		return 0;
	if (rc->krl_seen && st.st_ino == rc->krl_st.st_ino &&
	    st.st_size == rc->krl_st.st_size &&
	    st.st_mtim.tv_sec == rc->krl_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == rc->krl_st.st_mtim.tv_nsec &&
	    st.st_ctim.tv_sec == rc->krl_st.st_ctim.tv_sec &&
	    st.st_ctim.tv_nsec == rc->krl_st.st_ctim.tv_nsec)
		return 0;
	rc->krl_st = st;
	rc->krl_seen = 1;
	if (jit_file_read(rc->cfg->krl, KRL_FILE_MAX, 0, &b) != 0)
		return 0;
	r = jkrl_check(jbuf_ptr(b), jbuf_len(b), rc->cert, NULL);
	jbuf_free(b);
	return r == 1;
}

/* ---- the recording's header ---- */

/* "jit:USER:ROLE:SERIAL" (the CA's key ids): field i (0 user, 1 role). */
static char *
key_id_field(const char *kid, int i)
{
	const char *p, *e;

	if (strncmp(kid, "jit:", 4) != 0)
		return NULL;
	for (p = kid + 4; i > 0 && (p = strchr(p, ':')) != NULL; i--)
		p++;
	if (p == NULL || (e = strchr(p, ':')) == NULL)
		return NULL;
	return strndup(p, (size_t)(e - p));
}

static char *
header_json(struct rec *rc, unsigned cols, unsigned rows)
{
	json_t *h, *jit, *env, *pr;
	char *user = key_id_field(jcert_key_id(rc->cert), 0);
	char *role = key_id_field(jcert_key_id(rc->cert), 1);
	const char *term = getenv("TERM"), *shell = getenv("SHELL");
	char title[512], *out;
	size_t i;

	pr = json_array();
	for (i = 0; i < jcert_nprincipals(rc->cert); i++)
		json_array_append_new(pr, json_string(jcert_principal(rc->cert,
		    i)));
	jit = json_pack("{s:s, s:I, s:s, s:s?, s:s?, s:o, s:s, s:s, s:s, "
	    "s:s, s:I, s:s}",
	    "session", rc->sid,
	    "serial", (json_int_t)jcert_serial(rc->cert),
	    "key_id", jcert_key_id(rc->cert),
	    "user", user, "role", role,
	    "principals", pr,
	    "account", rc->account,
	    "host", rc->host,
	    "source", rc->source,
	    "command", rc->command != NULL ? rc->command : "",
	    "valid_before", (json_int_t)jcert_valid_before(rc->cert),
	    "mode", rc->mode == M_PTY ? "pty" : rc->mode == M_PIPE ? "exec" :
	    "transfer");
	env = json_pack("{s:s?, s:s?}", "TERM", term, "SHELL", shell);
	snprintf(title, sizeof(title), "%s@%s: %s (%s)", rc->account, rc->host,
	    rc->command != NULL ? rc->command : "shell",
	    jcert_key_id(rc->cert));
	h = json_pack("{s:i, s:i, s:i, s:I, s:s, s:o, s:o}", "version", 2,
	    "width", (int)cols, "height", (int)rows,
	    "timestamp", (json_int_t)jit_now(), "title", title, "env", env,
	    "jit", jit);
	out = h != NULL ? json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER) :
	    NULL;
	json_decref(h);
	free(user);
	free(role);
	return out;
}

/* ---- the child ---- */

/*
 * File transfer: recorded as its name and byte counts, not its bytes.
 * Under ForceCommand, sshd gives a subsystem's command line from its
 * Subsystem line ("internal-sftp", or /usr/lib/openssh/sftp-server).
 */
static int
is_internal_sftp(const char *cmd)
{
	return strcmp(cmd, "internal-sftp") == 0 || strcmp(cmd, "sftp") == 0;
}

static int
is_transfer(const char *cmd)
{
	size_t n = strcspn(cmd, " "), i, base = 0;

	for (i = 0; i < n; i++)
		if (cmd[i] == '/')
			base = i + 1;
	return is_internal_sftp(cmd) || strncmp(cmd, "scp ", 4) == 0 ||
	    (n - base == 11 && strncmp(cmd + base, "sftp-server", 11) == 0);
}


static void
child_exec(struct rec *rc, int slave)
{
	const char *shell = getenv("SHELL");
	struct passwd *pw = getpwuid(rc->ruid);
	char argv0[PATH_MAX + 2];
	const char *base;

	if (shell == NULL || *shell == '\0')
		shell = pw != NULL && pw->pw_shell[0] != '\0' ? pw->pw_shell :
		    "/bin/sh";
	if (slave >= 0) {
		setsid();
		if (ioctl(slave, TIOCSCTTY, 0) != 0)
			_exit(126);
		if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 ||
		    dup2(slave, 2) < 0)
			_exit(126);
		if (slave > 2)
			close(slave);
	} else
		setpgid(0, 0);
	/* The user's own ids, all of them, before anything of theirs runs. */
	if (setresgid(rc->rgid, rc->rgid, rc->rgid) != 0 ||
	    setresuid(rc->ruid, rc->ruid, rc->ruid) != 0 ||
	    (rc->ruid != 0 && setuid(0) == 0))
		_exit(126);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGWINCH, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	if (rc->mode == M_TRANSFER && is_internal_sftp(rc->command)) {
		execl(SFTP_SERVER, "sftp-server", (char *)NULL);
		_exit(127);
	}
	if (rc->command != NULL) {
		execl(shell, shell, "-c", rc->command, (char *)NULL);
		_exit(127);
	}
	base = strrchr(shell, '/') != NULL ? strrchr(shell, '/') + 1 : shell;
	snprintf(argv0, sizeof(argv0), "-%s", base);
	execl(shell, argv0, (char *)NULL);
	_exit(127);
}

static int
start_child(struct rec *rc, struct winsize *ws)
{
	int in[2], out[2], err[2], slave = -1;

	if (rc->mode == M_PTY) {
		/* Opened with the user's rights: the slave is theirs. */
		if (seteuid(rc->ruid) != 0)
			return fail("seteuid: %s", strerror(errno));
		if (openpty(&rc->master, &slave, NULL, NULL, ws) != 0) {
			int e = errno;

			(void)!seteuid(rc->rec_uid);
			return fail("openpty: %s", strerror(e));
		}
		if (seteuid(rc->rec_uid) != 0)
			abort();
		fcntl(rc->master, F_SETFD, FD_CLOEXEC);
		fcntl(rc->master, F_SETFL, fcntl(rc->master, F_GETFL) |
		    O_NONBLOCK);
		if ((rc->child = fork()) < 0)
			return fail("fork: %s", strerror(errno));
		if (rc->child == 0)
			child_exec(rc, slave);
		close(slave);
		return 0;
	}
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
	    pipe2(err, O_CLOEXEC) != 0)
		return fail("pipe: %s", strerror(errno));
	if ((rc->child = fork()) < 0)
		return fail("fork: %s", strerror(errno));
	if (rc->child == 0) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 ||
		    dup2(err[1], 2) < 0)
			_exit(126);
		child_exec(rc, -1);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	rc->cin = in[1];
	rc->cout = out[0];
	rc->cerr = err[0];
	fcntl(rc->cout, F_SETFL, fcntl(rc->cout, F_GETFL) | O_NONBLOCK);
	fcntl(rc->cerr, F_SETFL, fcntl(rc->cerr, F_GETFL) | O_NONBLOCK);
	return 0;
}

/* ---- relaying ---- */

static int
write_all(int fd, const void *p, size_t len)
{
	const unsigned char *b = p;
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, b, len)) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				poll(&pfd, 1, 1000);
				continue;
			}
			return -1;
		}
		b += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Tells the terminal (and the recording) something. */
static void
say(struct rec *rc, const char *msg)
{
	int fd = rc->mode == M_PTY ? 1 : 2;

	(void)write_all(fd, msg, strlen(msg));
	if (rc->mode != M_TRANSFER)
		(void)cast_event(&rc->cast, 'o', msg, strlen(msg));
}

/* sig to the child and its group (refused when it is not ours to signal). */
static void
signal_child(struct rec *rc, int sig)
{
	if (rc->child > 0 && !rc->child_done) {
		(void)kill(-rc->child, sig);
		(void)kill(rc->child, sig);
	}
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * Ends the session: says why, then hangs up.  Closing the PTY's master
 * hangs up its terminal, so the kernel sends SIGHUP to the shell's
 * session whatever our ids (set-user-ID, we may not signal the user's
 * processes ourselves: we try); on pipes, the child loses its stdin and
 * stdout.  The relay stops KILL_GRACE_MS later at the latest, and with it
 * sshd's session.
 */
static void
end_session(struct rec *rc, const char *why, const char *msg)
{
	if (rc->end != NULL)
		return;
	rc->end = why;
	if (msg != NULL)
		say(rc, msg);
	cast_flush(&rc->cast);
	close_fd(&rc->master);
	close_fd(&rc->cin);
	close_fd(&rc->cout);
	close_fd(&rc->cerr);
	signal_child(rc, SIGHUP);
	rc->end_at_ms = jit_monotonic_ms();
}

/* Once a second: the clock, the KRL, the shipper's stop file. */
static void
tick(struct rec *rc)
{
	uint64_t now = jit_now(), vb = jcert_valid_before(rc->cert);
	char when[64], msg[512], why[256];

	if (rc->end != NULL)
		return;
	jit_format_time(vb, when, sizeof(when));
	if (now >= vb) {
		snprintf(msg, sizeof(msg), "\r\njit-ssh-host: your certificate "
		    "expired at %s: the session is closed.\r\n", when);
		end_session(rc, "expired", msg);
		return;
	}
	if (!rc->warned && now + rc->cfg->warn_before >= vb) {
		rc->warned = 1;
		snprintf(msg, sizeof(msg), "\r\njit-ssh-host: your certificate "
		    "expires at %s (in %llus): this session ends then; "
		    "`jit-ssh login` for more time.\r\n", when,
		    (unsigned long long)(vb - now));
		say(rc, msg);
	}
	if (krl_revokes(rc)) {
		end_session(rc, "revoked", "\r\njit-ssh-host: your certificate "
		    "was revoked: the session is closed.\r\n");
		return;
	}
	if (spool_read_stop(rc->cfg->spool, rc->sid, why, sizeof(why)) == 0) {
		snprintf(msg, sizeof(msg), "\r\njit-ssh-host: the CA ended "
		    "this session: %s.\r\n", why);
		end_session(rc, "stopped", msg);
	}
	if (cast_flush(&rc->cast) != 0)
		end_session(rc, "spool-error", "\r\njit-ssh-host: the "
		    "recording cannot be written: the session is closed.\r\n");
}

static void
on_resize(struct rec *rc)
{
	struct winsize ws;
	char r[32];

	if (rc->mode != M_PTY || ioctl(0, TIOCGWINSZ, &ws) != 0)
		return;
	ioctl(rc->master, TIOCSWINSZ, &ws);
	snprintf(r, sizeof(r), "%ux%u", ws.ws_col, ws.ws_row);
	(void)cast_event(&rc->cast, 'r', r, strlen(r));
}

static void
reap(struct rec *rc)
{
	int st;

	if (rc->child > 0 && !rc->child_done &&
	    waitpid(rc->child, &st, WNOHANG) == rc->child) {
		rc->child_done = 1;
		rc->child_status = st;
	}
}

/*
 * Moves what fd has to out (and the recording as type).  0 while open,
 * 1 at its end.
 */
static int
pump(struct rec *rc, int fd, int out, char type, uint64_t *count)
{
	static unsigned char buf[256 * 1024];
	ssize_t n = read(fd, buf, sizeof(buf)), more;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		return 1;	/* EOF; EIO: the PTY's last holder went */
	/*
	 * Our own descriptors are non-blocking: what else is there already
	 * goes in the same write and the same event (a PTY gives 4 KiB a
	 * read); the end, if it came, is seen at the next poll.
	 */
	if (fd != 0)
		while ((size_t)n < sizeof(buf) && (more = read(fd, buf + n,
		    sizeof(buf) - (size_t)n)) > 0)
			n += more;
	*count += (uint64_t)n;
	if (rc->mode != M_TRANSFER && (type == 'o' || rc->cfg->record_input))
		if (cast_event(&rc->cast, type, buf, (size_t)n) != 0)
			end_session(rc, "spool-error", NULL);
	if (out >= 0 && write_all(out, buf, (size_t)n) != 0)
		return type == 'o' ? 1 : 0;
	return 0;
}

static void
drain_signals(struct rec *rc)
{
	unsigned char sigs[64];
	ssize_t n, i;

	while ((n = read(sigpipe_fds[0], sigs, sizeof(sigs))) > 0)
		for (i = 0; i < n; i++) {
			if (sigs[i] == SIGCHLD)
				reap(rc);
			else if (sigs[i] == SIGWINCH)
				on_resize(rc);
			else if (sigs[i] == SIGTERM || sigs[i] == SIGHUP)
				end_session(rc, "hangup", NULL);
		}
}

/* What the PTY still holds once the shell is gone (the master does not
 * block: pump() reads until it would). */
static void
drain(struct rec *rc)
{
	do
		errno = 0;
	while (pump(rc, rc->master, 1, 'o', &rc->bytes_out) == 0 &&
	    errno != EAGAIN);
}

/* 1 while the session runs: output open or the child alive. */
static int
running(struct rec *rc)
{
	if (rc->end != NULL && jit_monotonic_ms() - rc->end_at_ms >
	    KILL_GRACE_MS) {
		signal_child(rc, SIGKILL);
		return 0;	/* ended: whatever the child does now */
	}
	return rc->master >= 0 || rc->cout >= 0 || rc->cerr >= 0 ||
	    !rc->child_done;
}

/* One ready descriptor. */
static void
ready(struct rec *rc, int fd)
{
	int *slot;

	if (fd == sigpipe_fds[0]) {
		drain_signals(rc);
	} else if (fd == 0) {
		int to = rc->mode == M_PTY ? rc->master : rc->cin;

		if (pump(rc, 0, to, 'i', &rc->bytes_in)) {
			rc->in_open = 0;
			if (rc->mode == M_PTY)
				end_session(rc, "hangup", NULL);
			else
				close_fd(&rc->cin);
		}
	} else if (fd == rc->master) {
		if (pump(rc, rc->master, 1, 'o', &rc->bytes_out))
			close_fd(&rc->master);
	} else if (fd == rc->cout || fd == rc->cerr) {
		slot = fd == rc->cerr ? &rc->cerr : &rc->cout;
		if (pump(rc, fd, slot == &rc->cerr ? 2 : 1, 'o',
		    &rc->bytes_out))
			close_fd(slot);
	}
}

static void
relay(struct rec *rc)
{
	struct pollfd p[5];
	uint64_t last_tick = jit_monotonic_ms();
	int fds[5], n, i;

	rc->in_open = 1;
	while (running(rc)) {
		n = 0;
		fds[n++] = sigpipe_fds[0];
		if (rc->in_open && rc->end == NULL)
			fds[n++] = 0;
		if (rc->master >= 0)
			fds[n++] = rc->master;
		if (rc->cout >= 0)
			fds[n++] = rc->cout;
		if (rc->cerr >= 0)
			fds[n++] = rc->cerr;
		for (i = 0; i < n; i++) {
			p[i].fd = fds[i];
			p[i].events = POLLIN;
			p[i].revents = 0;
		}
		if (poll(p, (nfds_t)n, 200) < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++)
			if (p[i].revents & (POLLIN | POLLHUP | POLLERR))
				ready(rc, fds[i]);
		reap(rc);
		if (rc->child_done && rc->master >= 0) {
			/* The shell is gone: what it left, then the end. */
			drain(rc);
			close_fd(&rc->master);
		}
		if (jit_monotonic_ms() - last_tick >= 1000) {
			tick(rc);
			last_tick = jit_monotonic_ms();
		}
	}
}

/* ---- set-up ---- */

static void
session_facts(struct rec *rc)
{
	struct passwd *pw = getpwuid(rc->ruid);
	const char *conn = getenv("SSH_CONNECTION");
	size_t n;

	snprintf(rc->account, sizeof(rc->account), "%s",
	    pw != NULL ? pw->pw_name : "?");
	rc->source[0] = '\0';
	if (conn != NULL && (n = strcspn(conn, " ")) < sizeof(rc->source))
		snprintf(rc->source, sizeof(rc->source), "%.*s", (int)n, conn);
	if (rc->cfg->name != NULL)
		snprintf(rc->host, sizeof(rc->host), "%s", rc->cfg->name);
	else if (gethostname(rc->host, sizeof(rc->host)) != 0)
		snprintf(rc->host, sizeof(rc->host), "?");
	rc->host[sizeof(rc->host) - 1] = '\0';
	rc->command = getenv("SSH_ORIGINAL_COMMAND");
	if (rc->command != NULL && is_transfer(rc->command))
		rc->mode = M_TRANSFER;
	else if (isatty(0))
		rc->mode = M_PTY;
	else
		rc->mode = M_PIPE;
}

static int
raw_mode(struct rec *rc)
{
	struct termios t;

	if (tcgetattr(0, &rc->saved) != 0)
		return -1;
	t = rc->saved;
	cfmakeraw(&t);
	if (tcsetattr(0, TCSANOW, &t) != 0)
		return -1;
	rc->raw = 1;
	return 0;
}

static int
signals(void)
{
	struct sigaction sa;
	int sigs[] = { SIGCHLD, SIGWINCH, SIGTERM, SIGHUP }, i;

	if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) != 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < 4; i++)
		if (sigaction(sigs[i], &sa, NULL) != 0)
			return -1;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	return 0;
}

static int
exit_status(const struct rec *rc)
{
	if (!rc->child_done)
		return 255;
	if (WIFEXITED(rc->child_status))
		return WEXITSTATUS(rc->child_status);
	return 128 + WTERMSIG(rc->child_status);
}

static void
write_end(struct rec *rc, int status)
{
	struct spool_end e = {
		.reason = rc->end != NULL ? rc->end : "exit",
		.status = status,
		.time = jit_now(),
		.bytes_in = rc->bytes_in,
		.bytes_out = rc->bytes_out,
	};

	if (spool_write_end(rc->cfg->spool, rc->sid, &e) != 0)
		fail("%s/%s.end: %s", rc->cfg->spool, rc->sid, strerror(errno));
}

int
host_record(const struct host_config *cfg)
{
	struct rec rc;
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	const char *auth = getenv("SSH_USER_AUTH");
	char *header = NULL;
	int status;

	memset(&rc, 0, sizeof(rc));
	rc.cfg = cfg;
	rc.master = rc.cin = rc.cout = rc.cerr = rc.spool_fd = -1;
	rc.ruid = getuid();
	rc.rgid = getgid();
	rc.rec_uid = geteuid();
	if (auth == NULL || *auth == '\0')
		return fail("SSH_USER_AUTH is not set: sshd must run this "
		    "host's sessions with `ExposeAuthInfo yes` (jit-ssh-ca "
		    "host-config --record prints the lines)");
	if (find_cert(&rc, auth) != 0)
		return 1;
	if (krl_revokes(&rc)) {
		status = fail("the certificate (serial %llu) is revoked",
		    (unsigned long long)jcert_serial(rc.cert));
		jcert_free(rc.cert);
		return status;
	}
	session_facts(&rc);
	if (spool_new_session(cfg, rc.sid, &rc.spool_fd) != 0) {
		if (!cfg->fail_open) {
			jcert_free(rc.cert);
			return 1;
		}
		fail("recording off for this session (fail_open: true)");
	}
	if (rc.mode == M_PTY && (ioctl(0, TIOCGWINSZ, &ws) != 0 ||
	    ws.ws_col == 0 || ws.ws_row == 0))
		ws = (struct winsize){ .ws_row = 24, .ws_col = 80 };
	if (cast_open(&rc.cast, rc.spool_fd) != 0 || signals() != 0 ||
	    (header = header_json(&rc, ws.ws_col, ws.ws_row)) == NULL ||
	    cast_header(&rc.cast, header) != 0)
		status = fail("cannot start the recording: %s", strerror(errno));
	else if ((status = start_child(&rc, &ws)) == 0 &&
	    rc.rec_uid != rc.ruid &&
	    setresuid(rc.rec_uid, rc.rec_uid, rc.rec_uid) != 0) {
		/* From here on, all our ids are the spool user's. */
		signal_child(&rc, SIGKILL);
		status = fail("setresuid: %s", strerror(errno));
	}
	free(header);
	if (status != 0) {
		/* No session: no recording of it left for the shipper. */
		if (rc.spool_fd >= 0)
			spool_remove(cfg->spool, rc.sid);
		cast_close(&rc.cast);
		jcert_free(rc.cert);
		return status;
	}
	jit_no_dumps();
	if (rc.mode == M_PTY)
		(void)raw_mode(&rc);
	relay(&rc);
	if (rc.raw)
		tcsetattr(0, TCSANOW, &rc.saved);
	status = exit_status(&rc);
	cast_flush(&rc.cast);
	cast_close(&rc.cast);
	if (rc.spool_fd >= 0) {
		write_end(&rc, status);
		close(rc.spool_fd);	/* the lock goes with it */
	}
	jcert_free(rc.cert);
	return status;
}
