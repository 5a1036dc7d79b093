/* util.c: secrets, randomness and careful file I/O.  See jit-util.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "jbuf.h"
#include "jit-err.h"
#include "jit-util.h"

void
jit_wipe(void *p, size_t len)
{
	if (p != NULL)
		OPENSSL_cleanse(p, len);
}

static uint64_t (*clock_fn)(void);

uint64_t
jit_now(void)
{
	return clock_fn != NULL ? clock_fn() : (uint64_t)time(NULL);
}

void
jit_clock_set(uint64_t (*now)(void))
{
	clock_fn = now;
}

int
jit_no_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return -1;
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ? -1 : 0;
}

void
jit_freezero(void *p, size_t len)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

void
jit_free_string(char *s)
{
	if (s != NULL)
		jit_freezero(s, strlen(s));
}

int
jit_timingsafe_eq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

int
jit_hex_id_ok(const char *id, const char *prefix, size_t ndigits)
{
	size_t pl = strlen(prefix), n, i;

	if (id == NULL || strncmp(id, prefix, pl) != 0)
		return 0;
	n = strlen(id + pl);
	if (n == 0 || (ndigits != 0 && n != ndigits))
		return 0;
	for (i = pl; id[i] != '\0'; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return 1;
}

size_t
jit_list_count(const char *list)
{
	size_t n;

	if (list == NULL || *list == '\0')
		return 0;
	for (n = 1; *list != '\0'; list++)
		n += *list == ',';
	return n;
}

int
jit_random(void *buf, size_t len)
{
	if (len > INT_MAX)
		return JIT_ERR_INVALID_ARGUMENT;
	if (RAND_bytes(buf, (int)len) != 1)
		return JIT_ERR_CRYPTO_RANDOM;
	return 0;
}

int
jit_file_read(const char *path, size_t max_size, int flags, struct jbuf **outp)
{
	struct jbuf *b = NULL;
	struct stat st;
	unsigned char chunk[4096];
	int fd = -1, r = JIT_ERR_INTERNAL, oflags = O_RDONLY | O_CLOEXEC;
	ssize_t n;

	if (outp == NULL || path == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*outp = NULL;
	if (flags & JIT_FILE_PRIVATE)
		oflags |= O_NOFOLLOW;
	if ((fd = open(path, oflags)) == -1) {
		r = errno == ENOENT ? JIT_ERR_NOT_FOUND : JIT_ERR_SYSTEM;
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		r = JIT_ERR_SYSTEM;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = JIT_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((flags & JIT_FILE_PRIVATE) && (st.st_mode & 077) != 0) {
		r = JIT_ERR_BAD_PERMISSIONS;
		goto out;
	}
	if ((flags & JIT_FILE_TRUSTED) && ((st.st_mode & 022) != 0 ||
	    (st.st_uid != getuid() && st.st_uid != 0))) {
		r = JIT_ERR_BAD_PERMISSIONS;
		goto out;
	}
	if ((uintmax_t)st.st_size > max_size) {
		r = JIT_ERR_FILE_TOO_LARGE;
		goto out;
	}
	if ((b = jbuf_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	if ((r = jbuf_set_max_size(b, max_size)) != 0)
		goto out;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			r = JIT_ERR_SYSTEM;
			goto out;
		}
		if (n == 0)
			break;
		if ((r = jbuf_put(b, chunk, (size_t)n)) != 0) {
			if (r == JIT_ERR_NO_BUFFER_SPACE)
				r = JIT_ERR_FILE_TOO_LARGE;
			goto out;
		}
	}
	*outp = b;
	b = NULL;
	r = 0;
 out:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	jbuf_free(b);
	if (fd != -1) {
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return r;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return JIT_ERR_SYSTEM;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
fsync_parent(const char *path)
{
	char *dir = NULL, *slash;
	int fd, r = 0;

	if ((dir = strdup(path)) == NULL)
		return JIT_ERR_ALLOC;
	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		r = JIT_ERR_SYSTEM;
	else {
		if (fsync(fd) == -1)
			r = JIT_ERR_SYSTEM;
		close(fd);
	}
	free(dir);
	return r;
}

int
jit_file_write(const char *path, const void *data, size_t len, mode_t mode,
    int replace)
{
	char *tmp = NULL;
	const char *target = path;
	int fd = -1, r = JIT_ERR_INTERNAL, created = 0, saved;

	if (path == NULL || (data == NULL && len != 0))
		return JIT_ERR_INVALID_ARGUMENT;
	if (replace) {
		if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) == -1) {
			tmp = NULL;
			r = JIT_ERR_ALLOC;
			goto out;
		}
		(void)unlink(tmp);
	}
	target = replace ? tmp : path;
	fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd == -1) {
		r = errno == EEXIST ? JIT_ERR_EXISTS : JIT_ERR_SYSTEM;
		goto out;
	}
	created = 1;
	/* The umask may have narrowed mode; never let it widen it. */
	if (fchmod(fd, mode) == -1 ||
	    (r = write_all(fd, data, len)) != 0 || fsync(fd) == -1) {
		r = JIT_ERR_SYSTEM;
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		r = JIT_ERR_SYSTEM;
		goto out;
	}
	fd = -1;
	if (replace && rename(tmp, path) == -1) {
		r = JIT_ERR_SYSTEM;
		goto out;
	}
	created = 0;
	r = fsync_parent(path);
 out:
	saved = errno;
	if (fd != -1)
		close(fd);
	if (created)
		(void)unlink(target);
	free(tmp);
	errno = saved;
	return r;
}

uint64_t
jit_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
jit_format_time(uint64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%llu", (unsigned long long)t);
}

void
jit_format_duration(uint64_t secs, char *buf, size_t len)
{
	static const struct { uint64_t unit; char c; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' },
	};
	size_t i, off = 0;
	int n;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (secs == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	for (i = 0; i < 4 && off < len; i++) {
		if (secs < units[i].unit)
			continue;
		n = snprintf(buf + off, len - off, "%llu%c",
		    (unsigned long long)(secs / units[i].unit), units[i].c);
		if (n < 0)
			return;
		off += (size_t)n;
		secs %= units[i].unit;
	}
}

int
jit_parse_duration(const char *s, uint64_t *secsp)
{
	uint64_t total = 0, v, unit, last_unit = UINT64_MAX;
	const char *p = s;

	*secsp = 0;
	if (s == NULL || *s == '\0')
		return JIT_ERR_INVALID_FORMAT;
	while (*p != '\0') {
		if (*p < '0' || *p > '9')
			return JIT_ERR_INVALID_FORMAT;
		for (v = 0; *p >= '0' && *p <= '9'; p++) {
			if (v > JIT_DURATION_MAX)
				return JIT_ERR_INVALID_FORMAT;
			v = v * 10 + (uint64_t)(*p - '0');
		}
		switch (*p++) {
		case 'd':
			unit = 86400;
			break;
		case 'h':
			unit = 3600;
			break;
		case 'm':
			unit = 60;
			break;
		case 's':
			unit = 1;
			break;
		default:
			return JIT_ERR_INVALID_FORMAT;
		}
		/* Units in decreasing order, each once: "1h30m", not "30m1h". */
		if (unit >= last_unit || v > JIT_DURATION_MAX)
			return JIT_ERR_INVALID_FORMAT;
		last_unit = unit;
		total += v * unit;
		if (total > JIT_DURATION_MAX)
			return JIT_ERR_INVALID_FORMAT;
	}
	if (total == 0)
		return JIT_ERR_INVALID_FORMAT;
	*secsp = total;
	return 0;
}

int
jit_url_https_or_loopback(const char *url)
{
	char host[256];
	const char *h, *end;
	unsigned char a[16];
	size_t n;

	if (strncmp(url, "https://", 8) == 0)
		return url[8] != '\0';
	if (strncmp(url, "http://", 7) != 0)
		return 0;
	h = url + 7;
	if (*h == '[') {
		if ((end = strchr(h, ']')) == NULL)
			return 0;
		h++;
	} else
		end = h + strcspn(h, ":/?#");
	if ((n = (size_t)(end - h)) == 0 || n >= sizeof(host))
		return 0;
	memcpy(host, h, n);
	host[n] = '\0';
	if (strcmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, host, a) == 1)
		return memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0;
	return 0;
}
