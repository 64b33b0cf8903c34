/* replay.c: a plain main for fuzz targets, run over corpus files.
 *
 *   fuzz_NAME DIR|FILE...
 *
 * Each directory's regular files are run through LLVMFuzzerTestOneInput
 * in name order, then one TAP line is printed: "ok - replay DIR: N
 * inputs", or "not ok - ..." when the directory is missing, empty or a
 * file cannot be read. A file argument is run on its own. Always exits 0:
 * a crash aborts the process (ASan), which the runner counts as failure.
 * Each input is copied into a buffer of exactly its size so that ASan
 * sees reads past the end. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* replay_file: run one input; 0, or -1 with the reason printed. */
static int replay_file(const char *path)
{
	char *text;
	uint8_t *exact;
	size_t len;
	char *cause = NULL;

	if (util_read_file(path, &text, &len, &cause) != 0) {
		printf("# replay: %s\n", cause);
		free(cause);
		return -1;
	}
	exact = xmalloc(len);
	memcpy(exact, text, len);
	free(text);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static int replay_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* replay_list: the regular files of dir, sorted, into *out (owned). */
static int replay_list(const char *dir, struct strv *out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char *path = xasprintf("%s/%s", dir, e->d_name);

		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			strv_push(out, path);
		free(path);
	}
	closedir(d);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, replay_cmp);
	return 0;
}

static void replay_dir(const char *dir)
{
	struct strv files = STRV_INIT;
	size_t i, bad = 0;

	if (replay_list(dir, &files) != 0) {
		printf("not ok - replay %s: %s\n", dir, strerror(errno));
		return;
	}
	for (i = 0; i < files.n; i++)
		if (replay_file(files.v[i]) != 0)
			bad++;
	if (files.n == 0)
		printf("not ok - replay %s: no inputs\n", dir);
	else if (bad > 0)
		printf("not ok - replay %s: %zu of %zu inputs unreadable\n",
		       dir, bad, files.n);
	else
		printf("ok - replay %s: %zu inputs\n", dir, files.n);
	strv_release(&files);
}

int main(int argc, char **argv)
{
	struct stat st;
	int i;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2)
		printf("not ok - replay: no corpus given\n");
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			replay_dir(argv[i]);
		else if (replay_file(argv[i]) == 0)
			printf("ok - replay %s: 1 inputs\n", argv[i]);
		else
			printf("not ok - replay %s: unreadable\n", argv[i]);
		fflush(stdout);
	}
	return 0;
}
