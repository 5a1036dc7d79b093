/* castplay.c: playing asciicast v2 (see jcast.h); JSON through jansson. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "jcast.h"
#include "jit-err.h"

#define LINE_MAX_BYTES	(4 * 1024 * 1024)
#define IDLE_MAX	2.0

static void
pause_for(double secs)
{
	struct timespec ts;

	if (secs <= 0)
		return;
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0)
		;
}

int
jcast_play(FILE *in, FILE *out, double speed)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	double prev = 0, t;
	json_t *j;
	const char *type, *data;
	size_t dlen;
	int first = 1, r = 0, version;

	if (speed <= 0)
		speed = 1;
	while ((n = getline(&line, &cap, in)) > 0) {
		if (n > LINE_MAX_BYTES || (j = json_loadb(line, (size_t)n, 0,
		    NULL)) == NULL) {
			r = JIT_ERR_INVALID_FORMAT;
			break;
		}
		if (first) {
			first = 0;
			if (json_unpack(j, "{s:i}", "version", &version) != 0 ||
			    version != 2)
				r = JIT_ERR_INVALID_FORMAT;
			json_decref(j);
			if (r != 0)
				break;
			continue;
		}
		if (json_unpack(j, "[F, s, s%]", &t, &type, &data, &dlen) != 0) {
			json_decref(j);
			r = JIT_ERR_INVALID_FORMAT;
			break;
		}
		if (strcmp(type, "o") == 0) {
			pause_for((t - prev > IDLE_MAX ? IDLE_MAX : t - prev) /
			    speed);
			prev = t;
			fwrite(data, 1, dlen, out);
			fflush(out);
		}
		json_decref(j);
	}
	free(line);
	return first && r == 0 ? JIT_ERR_INVALID_FORMAT : r;
}
