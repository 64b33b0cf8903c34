/* test_ui_text.c: durations and ages as the dashboard shows them, and the
 * sanitizing, clipping choke point every drawn string passes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "util.h"

static void check_duration(uint64_t ms, const char *want)
{
	char out[32];

	text_duration(ms, out, sizeof(out));
	assert_string_equal(out, want);
}

static void duration_is_compact_at_every_scale(void **state)
{
	check_duration(0, "0s");
	check_duration(42999, "42s");
	check_duration(60000, "1m");
	check_duration(59 * 60000 + 59999, "59m");
	check_duration(3600000, "1h00m");
	check_duration(3 * 3600000 + 12 * 60000 + 5000, "3h12m");
	check_duration(2 * 86400000ull + 4 * 3600000ull, "2d04h");
	check_duration(1500 * 86400000ull, "1500d");
}

static void duration_never_overflows_a_small_buffer(void **state)
{
	char out[4];

	text_duration(3 * 3600000 + 12 * 60000, out, sizeof(out));
	assert_string_equal(out, "3h1");
}

static void duration_next_change_is_when_its_text_changes(void **state)
{
	uint64_t t0 = 1000000;

	assert_int_equal(text_duration_next(0, t0), UINT64_MAX);
	assert_int_equal(text_duration_next(t0 + 1, t0), UINT64_MAX);
	assert_int_equal(text_duration_next(t0, t0), 1000);
	assert_int_equal(text_duration_next(t0, t0 + 42300), 700);
	/* 1m30s shows "1m": the next change is "2m" */
	assert_int_equal(text_duration_next(t0, t0 + 90000), 30000);
	/* 2d04h30m shows "2d04h": the next change is "2d05h" */
	assert_int_equal(text_duration_next(t0, t0 + (52 * 60 + 30) * 60000ull),
			 30 * 60000);
}

static void age_says_never_for_zero_and_just_now_for_the_future(void **state)
{
	char out[32];

	text_age(0, 5000, out, sizeof(out));
	assert_string_equal(out, "never");
	text_age(9000, 5000, out, sizeof(out));
	assert_string_equal(out, "just now");
	text_age(1000, 13000, out, sizeof(out));
	assert_string_equal(out, "12s ago");
	text_age(1000, 1000 + 5 * 60000, out, sizeof(out));
	assert_string_equal(out, "5m ago");
}

static void safe_text_removes_screen_clearing_and_clipboard_writes(void **state)
{
	struct buf out = BUF_INIT;
	const char in[] = "a\x1b]52;c;aGVsbG8=\x07"
			  "b\x1b[2Jc\x9b"
			  "31md";
	size_t i;

	text_safe(&out, in, sizeof(in) - 1, 0, 0);
	for (i = 0; i < out.len; i++)
		assert_true((unsigned char)out.data[i] >= 0x20 &&
			    out.data[i] != 0x7f);
	assert_null(strstr(out.data, "52;"));
	assert_null(strstr(out.data, "[2J"));
	assert_non_null(strchr(out.data, 'a'));
	assert_non_null(strchr(out.data, 'd'));
	buf_release(&out);
}

static void safe_text_is_clipped_to_its_columns_with_a_marker(void **state)
{
	struct buf out = BUF_INIT;
	size_t cols;

	cols = text_safe(&out, "abcdefghij", 10, 5, 1);
	assert_int_equal(cols, 5);
	assert_string_equal(out.data, "abcd>");
	buf_reset(&out);
	cols = text_safe(&out, "abcdefghij", 10, 5, 0);
	assert_int_equal(cols, 5);
	assert_string_equal(out.data, "abcd…");
	buf_release(&out);
}

static void
ascii_mode_turns_every_non_ascii_character_into_one_column(void **state)
{
	struct buf out = BUF_INIT;
	size_t cols;

	cols = text_safe(&out, "✓ ok", strlen("✓ ok"), 0, 1);
	assert_string_equal(out.data, "? ok");
	assert_int_equal(cols, 4);
	buf_release(&out);
}

static void width_counts_columns_not_bytes(void **state)
{
	assert_int_equal(text_width("✓✗·"), 3);
	assert_int_equal(text_width("abc"), 3);
	assert_int_equal(text_width(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(duration_is_compact_at_every_scale),
	    cmocka_unit_test(duration_never_overflows_a_small_buffer),
	    cmocka_unit_test(duration_next_change_is_when_its_text_changes),
	    cmocka_unit_test(
		age_says_never_for_zero_and_just_now_for_the_future),
	    cmocka_unit_test(
		safe_text_removes_screen_clearing_and_clipboard_writes),
	    cmocka_unit_test(safe_text_is_clipped_to_its_columns_with_a_marker),
	    cmocka_unit_test(
		ascii_mode_turns_every_non_ascii_character_into_one_column),
	    cmocka_unit_test(width_counts_columns_not_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
