/*
 * replay.c: a fuzz target without libFuzzer: runs LLVMFuzzerTestOneInput()
 * once on each file of the corpus folders or files named, as the normal
 * and ASan builds' regression tests (tests/fuzz/corpus/TARGET, small, in
 * the repository).  TAP on stdout: one result per input.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

#define INPUT_MAX	(1 << 20)

static unsigned n;

static int
one(const char *path)
{
	unsigned char *buf;
	size_t len;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL || (buf = malloc(INPUT_MAX)) == NULL) {
		printf("not ok %u - %s: cannot read\n", ++n, path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	len = fread(buf, 1, INPUT_MAX, f);
	fclose(f);
	(void)LLVMFuzzerTestOneInput(buf, len);	/* aborts on a finding */
	free(buf);
	printf("ok %u - %s (%zu bytes)\n", ++n, strrchr(path, '/') != NULL ?
	    strrchr(path, '/') + 1 : path, len);
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	struct dirent *e;
	struct stat st;
	char **names = NULL, path[4096];
	size_t k, cnt = 0;
	DIR *d;
	int i, bad = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && !S_ISDIR(st.st_mode)) {
			bad |= one(argv[i]);
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			printf("not ok %u - %s: no such corpus\n", ++n, argv[i]);
			bad = 1;
			continue;
		}
		cnt = 0;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			names = realloc(names, (cnt + 1) * sizeof(*names));
			names[cnt++] = strdup(e->d_name);
		}
		closedir(d);
		qsort(names, cnt, sizeof(*names), by_name);
		for (k = 0; k < cnt; k++) {
			snprintf(path, sizeof(path), "%s/%s", argv[i], names[k]);
			bad |= one(path);
			free(names[k]);
		}
	}
	free(names);
	printf("1..%u\n", n);
	return bad != 0 || n == 0;
}
