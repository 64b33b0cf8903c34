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
	    cmocka_unit_test(buf_and_strv_grow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
