/* test_util.c: the RFC 3339 parser, whole-file reads, buffers and
 * vectors (util.c, buf.c, strv.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static size_t rfc3339(const char *s, uint64_t *ms)
{
	return util_parse_rfc3339(s, strlen(s), ms);
}

static void rfc3339_reads_what_iso8601_writes(void **state)
{
	char out[32];
	uint64_t ms = 0;

	(void)state;
	util_iso8601(1700000000123ULL, out, sizeof out);
	assert_string_equal(out, "2023-11-14T22:13:20.123Z");
	assert_int_equal(rfc3339(out, &ms), strlen(out));
	assert_int_equal(ms, 1700000000123ULL);
	/* docker's nanoseconds: milliseconds kept, the rest dropped */
	assert_int_equal(rfc3339("2024-01-02T03:04:05.987654321Z rest", &ms),
			 30);
	assert_int_equal(ms, 1704164645987ULL);
	/* an offset east of UTC is subtracted */
	assert_int_equal(rfc3339("2024-01-02T04:04:05+01:00", &ms), 25);
	assert_int_equal(ms, 1704164645000ULL);
	assert_int_equal(rfc3339("2024-02-29t03:04:05z", &ms), 20);
}

static void rfc3339_rejects_what_is_not_a_time(void **state)
{
	static const char *const bad[] = {
	    "",
	    "yesterday",
	    "2024-01-02T03:04:05",	/* no zone */
	    "2024-01-02 03:04:05Z",	/* no T */
	    "2024-01-02T03:04:05.Z",	/* "." without digits */
	    "2023-02-29T00:00:00Z",	/* not a leap year */
	    "2024-13-01T00:00:00Z",	/* month */
	    "2024-01-01T24:00:00Z",	/* hour */
	    "1969-12-31T23:59:59Z",	/* before 1970 */
	    "2024-01-02T03:04:05+1:00", /* short offset */
	};
	uint64_t ms = 7;
	size_t i;

	(void)state;
	for (i = 0; i < UTIL_NELEM(bad); i++)
		assert_int_equal(rfc3339(bad[i], &ms), 0);
	assert_int_equal(ms, 7);
}

static void read_file_keeps_errno(void **state)
{
	char *text = NULL, *cause = NULL;
	size_t len = 0;

	(void)state;
	errno = 0;
	assert_int_equal(util_read_file("/nonexistent/x", &text, &len, &cause),
			 -1);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(cause, "/nonexistent/x: No such file or directory");
	free(cause);
	assert_int_equal(util_read_file("/proc/self/comm", &text, &len, NULL),
			 0);
	assert_true(len > 0);
	assert_int_equal(text[len], '\0');
	free(text);
}

/* tmp_file: a new file under TMPDIR holding len bytes of 'x' (a sparse
 * tail when sparse); its path, which the caller unlinks and frees. */
static char *tmp_file(size_t len, int sparse)
{
	const char *dir = getenv("TMPDIR");
	char *path = xasprintf("%s/test_util.XXXXXX",
			       dir != NULL && *dir != '\0' ? dir : "/tmp");
	char chunk[4096];
	size_t done = 0, n;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	memset(chunk, 'x', sizeof chunk);
	if (sparse) {
		assert_int_equal(ftruncate(fd, (off_t)len), 0);
		len = 0;
	}
	while (done < len) {
		n = len - done < sizeof chunk ? len - done : sizeof chunk;
		assert_int_equal(write(fd, chunk, n), (ssize_t)n);
		done += n;
	}
	close(fd);
	return path;
}

static void read_file_honours_its_limit(void **state)
{
	char *path = tmp_file(1000, 0), *text = NULL, *cause = NULL, *want;
	size_t len = 0;

	(void)state;
	/* exactly the limit: read */
	assert_int_equal(util_read_file_max(path, 1000, &text, &len, &cause),
			 0);
	assert_int_equal(len, 1000);
	assert_int_equal(text[1000], '\0');
	free(text);
	text = NULL;
	/* one byte over: refused, with the limit in the cause */
	errno = 0;
	assert_int_equal(util_read_file_max(path, 999, &text, &len, &cause),
			 -1);
	assert_int_equal(errno, EFBIG);
	assert_null(text);
	want = xasprintf("%s: larger than 999 bytes (the limit for this file)",
			 path);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	unlink(path);
	free(path);
}

static void read_file_default_limit_is_16_mib(void **state)
{
	char *path = tmp_file(UTIL_READ_MAX + 1, 1), *text = NULL;
	char *cause = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(UTIL_READ_MAX, (size_t)16 << 20);
	errno = 0;
	assert_int_equal(util_read_file(path, &text, &len, &cause), -1);
	assert_int_equal(errno, EFBIG);
	assert_non_null(strstr(cause, "larger than 16777216 bytes"));
	free(cause);
	unlink(path);
	free(path);
}

static void read_file_stops_on_endless_files(void **state)
{
	char *text = NULL, *cause = NULL;
	size_t len = 0;
	int fds[2];

	(void)state;
	/* a character device with no end, and stat size 0 */
	errno = 0;
	assert_int_equal(
	    util_read_file_max("/dev/zero", 100000, &text, &len, &cause), -1);
	assert_int_equal(errno, EFBIG);
	assert_string_equal(
	    cause, "/dev/zero: larger than 100000 bytes (the limit for this "
		   "file)");
	free(cause);
	cause = NULL;
	/* a pipe through the fd reader: more than the limit is refused... */
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "0123456789", 10), 10);
	close(fds[1]);
	assert_int_equal(
	    util_read_fd_max(fds[0], "pipe", 9, &text, &len, &cause), -1);
	assert_int_equal(errno, EFBIG);
	assert_string_equal(
	    cause, "pipe: larger than 9 bytes (the limit for this file)");
	free(cause);
	close(fds[0]);
	/* ...and what fits is read whole */
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "0123456789", 10), 10);
	close(fds[1]);
	assert_int_equal(
	    util_read_fd_max(fds[0], "pipe", 10, &text, &len, NULL), 0);
	assert_int_equal(len, 10);
	assert_string_equal(text, "0123456789");
	free(text);
	close(fds[0]);
}

static void buf_and_strv_grow(void **state)
{
	struct buf b = BUF_INIT;
	struct strv v = STRV_INIT, w;
	char *s;
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		buf_addf(&b, "%d,", i % 10);
	assert_int_equal(b.len, 2000);
	assert_int_equal(b.data[b.len], '\0');
	buf_reset(&b);
	assert_string_equal(b.data, "");
	s = buf_detach(&b);
	assert_string_equal(s, "");
	free(s);
	strv_push(&v, "a");
	strv_pushf(&v, "b%d", 2);
	strv_pushv(&v, (const char *const[]){"c", "d"}, 2);
	assert_int_equal(v.n, 4);
	assert_null(v.v[4]);
	strv_copy(&w, &v);
	strv_release(&v);
	assert_string_equal(w.v[1], "b2");
	assert_string_equal(w.v[3], "d");
	strv_release(&w);
	assert_int_equal(w.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rfc3339_reads_what_iso8601_writes),
	    cmocka_unit_test(rfc3339_rejects_what_is_not_a_time),
	    cmocka_unit_test(read_file_keeps_errno),
	    cmocka_unit_test(read_file_honours_its_limit),
	    cmocka_unit_test(read_file_default_limit_is_16_mib),
	    cmocka_unit_test(read_file_stops_on_endless_files),
	    cmocka_unit_test(buf_and_strv_grow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
