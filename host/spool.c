/* spool.c: the recordings' spool (see spool.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "jit-util.h"
#include "host.h"
#include "spool.h"

static int
path_of(char *buf, size_t len, const char *spool, const char *sid,
    const char *ext)
{
	int n = snprintf(buf, len, "%s/%s.%s", spool, sid, ext);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The spool must be a directory of ours that nobody else can enter. */
static int
spool_check(const char *spool)
{
	struct stat st;

	if (stat(spool, &st) != 0)
		return host_say(-1, "the recording spool %s: %s (jit-ssh-ca "
		    "host-config --record shows how to set it up)", spool,
		    strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
		return host_say(-1, "the recording spool %s must be a "
		    "directory of %s's with mode 0700 (it is %04o, uid %u; "
		    "jit-ssh-host must be set-user-ID %s)", spool,
		    HOST_SPOOL_USER, (unsigned)(st.st_mode & 07777),
		    (unsigned)st.st_uid, HOST_SPOOL_USER);
	}
	return 0;
}

/* Bytes of recordings in the spool. */
static uint64_t
spool_usage(const char *spool)
{
	DIR *d = opendir(spool);
	struct dirent *de;
	struct stat st;
	uint64_t sum = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' &&
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			sum += (uint64_t)st.st_size;
	closedir(d);
	return sum;
}

int
spool_new_session(const struct host_config *cfg, char sid[JIT_SESSION_ID_LEN + 1], int *fdp)
{
	unsigned char rnd[8];
	char path[PATH_MAX];
	uint64_t used;
	size_t i;
	int fd;

	*fdp = -1;
	if (spool_check(cfg->spool) != 0)
		return -1;
	if ((used = spool_usage(cfg->spool)) >= cfg->spool_max)
		return host_say(-1, "the recording spool %s is full (%llu "
		    "bytes, spool_max %llu): recordings are not reaching the CA "
		    "(is `jit-ssh-host ship` running?); sessions are refused "
		    "until they do", cfg->spool, (unsigned long long)used,
		    (unsigned long long)cfg->spool_max);
	if (jit_random(rnd, sizeof(rnd)) != 0)
		return -1;
	memcpy(sid, "s-", 2);
	for (i = 0; i < 8; i++)
		snprintf(sid + 2 + 2 * i, 3, "%02x", rnd[i]);
	if (path_of(path, sizeof(path), cfg->spool, sid, "cast") != 0)
		return -1;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND |
	    O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return host_say(-1, "%s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		host_say(-1, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);	/* nothing half-made left for the shipper */
		return -1;
	}
	*fdp = fd;
	return 0;
}

/* Writes text to SID.EXT, atomically (a temporary file renamed). */
static int
put(const char *spool, const char *sid, const char *ext, const char *text)
{
	char path[PATH_MAX];

	if (path_of(path, sizeof(path), spool, sid, ext) != 0)
		return -1;
	return jit_file_write(path, text, strlen(text), 0600, 1) == 0 ? 0 : -1;
}

int
spool_write_end(const char *spool, const char *sid, const struct spool_end *e)
{
	json_t *j = json_pack("{s:s, s:i, s:I, s:I, s:I}", "reason", e->reason,
	    "status", e->status, "time", (json_int_t)e->time,
	    "bytes_in", (json_int_t)e->bytes_in,
	    "bytes_out", (json_int_t)e->bytes_out);
	char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	int r = text != NULL ? put(spool, sid, "end", text) : -1;

	free(text);
	json_decref(j);
	return r;
}

int
spool_read_end(const char *spool, const char *sid, char *reason, size_t len,
    struct spool_end *e)
{
	char path[PATH_MAX];
	json_t *j;
	const char *why = NULL;
	json_int_t st = 0, t = 0, bi = 0, bo = 0;

	memset(e, 0, sizeof(*e));
	if (path_of(path, sizeof(path), spool, sid, "end") != 0 ||
	    (j = json_load_file(path, 0, NULL)) == NULL)
		return -1;
	if (json_unpack(j, "{s:s, s:I, s:I, s:I, s:I}", "reason", &why,
	    "status", &st, "time", &t, "bytes_in", &bi, "bytes_out", &bo) != 0) {
		json_decref(j);
		return -1;
	}
	snprintf(reason, len, "%s", why);
	e->reason = reason;
	e->status = (int)st;
	e->time = (uint64_t)t;
	e->bytes_in = (uint64_t)bi;
	e->bytes_out = (uint64_t)bo;
	json_decref(j);
	return 0;
}

int
spool_read_stop(const char *spool, const char *sid, char *why, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	if (path_of(path, sizeof(path), spool, sid, "stop") != 0 ||
	    (f = fopen(path, "re")) == NULL)
		return -1;
	if (fgets(why, (int)len, f) == NULL)
		snprintf(why, len, "no reason given");
	why[strcspn(why, "\n")] = '\0';
	fclose(f);
	return 0;
}

int
spool_write_stop(const char *spool, const char *sid, const char *why)
{
	return put(spool, sid, "stop", why);
}

int
spool_running(const char *spool, const char *sid)
{
	char path[PATH_MAX];
	int fd, r;

	if (path_of(path, sizeof(path), spool, sid, "cast") != 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0)
		r = 0;
	else
		r = errno == EWOULDBLOCK ? 1 : -1;
	close(fd);
	return r;
}

struct ent {
	char sid[JIT_SESSION_ID_LEN + 1];
	long long mtime;
};

static int
by_age(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

int
spool_each(const char *spool, int (*cb)(const char *sid, void *arg),
    void *arg)
{
	DIR *d = opendir(spool);
	struct dirent *de;
	struct ent *v = NULL, *nv;
	struct stat st;
	size_t n = 0, i;
	int r = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l != JIT_SESSION_ID_LEN + 5 ||
		    strcmp(de->d_name + JIT_SESSION_ID_LEN, ".cast") != 0 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if ((nv = realloc(v, (n + 1) * sizeof(*v))) == NULL)
			break;
		v = nv;
		memcpy(v[n].sid, de->d_name, JIT_SESSION_ID_LEN);
		v[n].sid[JIT_SESSION_ID_LEN] = '\0';
		v[n].mtime = (long long)st.st_mtime;
		if (jit_hex_id_ok(v[n].sid, "s-", JIT_SESSION_ID_LEN - 2))
			n++;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), by_age);
	for (i = 0; i < n && r == 0; i++)
		r = cb(v[i].sid, arg);
	free(v);
	return r;
}

int
spool_remove(const char *spool, const char *sid)
{
	const char *ext[] = { "cast", "end", "stop" };
	char path[PATH_MAX];
	size_t i;
	int r = 0;

	for (i = 0; i < 3; i++)
		if (path_of(path, sizeof(path), spool, sid, ext[i]) != 0 ||
		    (unlink(path) != 0 && errno != ENOENT))
			r = -1;
	return r;
}
