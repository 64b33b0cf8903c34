/* test_logbuf.c: the bounded ring of log lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "logbuf.h"

#define LIT(s) (s), (sizeof(s) - 1)

static void push_str(struct logbuf *lb, const char *s)
{
	logbuf_push(lb, 0, 0, s, strlen(s));
}

static const char *text_at(const struct logbuf *lb, size_t i)
{
	const struct logbuf_entry *e = logbuf_get(lb, i);

	assert_non_null(e);
	return e->text;
}

static void new_ring_is_empty(void **state)
{
	struct logbuf *lb = logbuf_new(0, 0);

	assert_int_equal(logbuf_count(lb), 0);
	assert_int_equal(logbuf_bytes(lb), 0);
	assert_int_equal(logbuf_first_seq(lb), 0);
	assert_int_equal(logbuf_next_seq(lb), 0);
	assert_int_equal(logbuf_dropped(lb), 0);
	assert_null(logbuf_get(lb, 0));
	logbuf_free(lb);
	logbuf_free(NULL);
}

static void push_stores_a_copy_with_time_and_flags(void **state)
{
	struct logbuf *lb = logbuf_new(10, 1000);
	char line[] = "hello world";
	const struct logbuf_entry *e;

	/* not NUL-terminated at len */
	assert_int_equal(logbuf_push(lb, 1234, LOGBUF_STDERR, line, 5), 0);
	line[0] = 'X';
	e = logbuf_get(lb, 0);
	assert_non_null(e);
	assert_string_equal(e->text, "hello");
	assert_int_equal(e->len, 5);
	assert_int_equal(e->wall_ms, 1234);
	assert_int_equal(e->flags, LOGBUF_STDERR);
	assert_int_equal(e->seq, 0);
	assert_int_equal(logbuf_bytes(lb), 6);
	logbuf_free(lb);
}

static void full_ring_drops_the_oldest_and_keeps_order(void **state)
{
	struct logbuf *lb = logbuf_new(3, 1000);
	char line[16];
	size_t i;

	for (i = 0; i < 7; i++) {
		snprintf(line, sizeof line, "line %zu", i);
		push_str(lb, line);
	}
	assert_int_equal(logbuf_count(lb), 3);
	assert_string_equal(text_at(lb, 0), "line 4");
	assert_string_equal(text_at(lb, 1), "line 5");
	assert_string_equal(text_at(lb, 2), "line 6");
	assert_null(logbuf_get(lb, 3));
	assert_int_equal(logbuf_dropped(lb), 4);
	logbuf_free(lb);
}

static void ring_grows_while_wrapped_without_losing_order(void **state)
{
	struct logbuf *lb = logbuf_new(100, 200);
	char line[32];
	size_t i;

	/* ten 20-byte lines fill the byte bound; then short lines each
	 * evict a long one at first, so the ring wraps while still growing */
	for (i = 0; i < 10; i++) {
		snprintf(line, sizeof line, "%03zu long line......", i);
		push_str(lb, line);
	}
	assert_int_equal(logbuf_bytes(lb), 200);
	for (i = 10; i < 50; i++) {
		snprintf(line, sizeof line, "%03zu", i);
		push_str(lb, line);
	}
	assert_true(logbuf_count(lb) > 16);
	assert_true(logbuf_dropped(lb) > 0);
	assert_int_equal(logbuf_first_seq(lb) + logbuf_count(lb), 50);
	for (i = 0; i < logbuf_count(lb); i++) {
		const struct logbuf_entry *e = logbuf_get(lb, i);

		snprintf(line, sizeof line, "%03llu",
			 (unsigned long long)e->seq);
		assert_memory_equal(e->text, line, 3);
		assert_int_equal(e->seq, logbuf_first_seq(lb) + i);
	}
	assert_string_equal(text_at(lb, logbuf_count(lb) - 1), "049");
	logbuf_free(lb);
}

static void byte_bound_evicts_as_many_old_lines_as_needed(void **state)
{
	struct logbuf *lb = logbuf_new(100, 32);
	char big[24];

	push_str(lb, "aaaa"); /* 5 bytes */
	push_str(lb, "bbbb");
	push_str(lb, "cccc");
	push_str(lb, "dddd");
	assert_int_equal(logbuf_bytes(lb), 20);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	push_str(lb, big); /* 24 bytes: three old lines must go */
	assert_int_equal(logbuf_count(lb), 2);
	assert_string_equal(text_at(lb, 0), "dddd");
	assert_string_equal(text_at(lb, 1), big);
	assert_int_equal(logbuf_bytes(lb), 29);
	assert_int_equal(logbuf_dropped(lb), 3);
	logbuf_free(lb);
}

static void line_longer_than_the_byte_bound_is_cut_and_flagged(void **state)
{
	struct logbuf *lb = logbuf_new(10, 8);
	const struct logbuf_entry *e;

	push_str(lb, "old");
	push_str(lb, "0123456789abc");
	assert_int_equal(logbuf_count(lb), 1);
	e = logbuf_get(lb, 0);
	assert_string_equal(e->text, "0123456");
	assert_true(e->flags & LOGBUF_TRUNCATED);
	assert_int_equal(logbuf_bytes(lb), 8);
	/* never half a UTF-8 character: "ab" + 3 × é (2 bytes each) */
	push_str(lb, "ab\xc3\xa9\xc3\xa9\xc3\xa9");
	assert_string_equal(text_at(lb, 0), "ab\xc3\xa9\xc3\xa9");
	logbuf_free(lb);
}

static void sequence_numbers_count_arrivals_and_drops(void **state)
{
	struct logbuf *lb = logbuf_new(4, 1000);
	uint64_t seen;
	size_t i, idx;

	for (i = 0; i < 3; i++)
		assert_int_equal(logbuf_push(lb, 0, 0, "x", 1), i);
	seen = logbuf_next_seq(lb); /* a view looks: 3 lines */
	assert_int_equal(seen, 3);
	for (i = 0; i < 5; i++)
		push_str(lb, "y");
	assert_int_equal(logbuf_next_seq(lb) - seen, 5); /* arrived */
	assert_int_equal(logbuf_first_seq(lb), 4);
	/* lines the view had not yet seen that were dropped */
	assert_int_equal(logbuf_first_seq(lb) - seen, 1);
	assert_int_equal(logbuf_seq_index(lb, 3, &idx), -1);
	assert_int_equal(logbuf_seq_index(lb, 4, &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(logbuf_seq_index(lb, 7, &idx), 0);
	assert_int_equal(idx, 3);
	assert_int_equal(logbuf_seq_index(lb, 8, &idx), -1);
	assert_int_equal(logbuf_get(lb, 2)->seq, 6);
	logbuf_free(lb);
}

static void clear_empties_but_sequence_continues(void **state)
{
	struct logbuf *lb = logbuf_new(4, 1000);

	push_str(lb, "a");
	push_str(lb, "b");
	logbuf_clear(lb);
	assert_int_equal(logbuf_count(lb), 0);
	assert_int_equal(logbuf_bytes(lb), 0);
	assert_int_equal(logbuf_dropped(lb), 0);
	assert_int_equal(logbuf_first_seq(lb), 2);
	assert_int_equal(logbuf_next_seq(lb), 2);
	assert_int_equal(logbuf_push(lb, 0, 0, "c", 1), 2);
	assert_string_equal(text_at(lb, 0), "c");
	logbuf_free(lb);
}

static void a_million_lines_keep_memory_bounded(void **state)
{
	struct logbuf *lb = logbuf_new(1000, 64 * 1024);
	char line[128];
	size_t i, max_bytes = 0;

	for (i = 0; i < 1000000; i++) {
		int n = snprintf(line, sizeof line, "flood line %zu %.*s", i,
				 (int)(i % 97),
				 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");

		logbuf_push(lb, i, 0, line, (size_t)n);
		if (logbuf_bytes(lb) > max_bytes)
			max_bytes = logbuf_bytes(lb);
		assert_true(logbuf_count(lb) <= 1000);
	}
	assert_true(max_bytes <= 64 * 1024);
	assert_int_equal(logbuf_next_seq(lb), 1000000);
	assert_int_equal(logbuf_dropped(lb) + logbuf_count(lb), 1000000);
	assert_int_equal(logbuf_get(lb, logbuf_count(lb) - 1)->wall_ms, 999999);
	assert_memory_equal(text_at(lb, logbuf_count(lb) - 1),
			    "flood line 999999", 17);
	logbuf_free(lb);
}

static void find_searches_case_insensitively_both_ways(void **state)
{
	struct logbuf *lb = logbuf_new(10, 1000);
	size_t at = 99;

	push_str(lb, "starting pipelock");	 /* 0 */
	push_str(lb, "GET https://example.com"); /* 1 */
	push_str(lb, "request BLOCKED by dlp");	 /* 2 */
	push_str(lb, "tunnel opened");		 /* 3 */
	push_str(lb, "another blocked request"); /* 4 */
	assert_int_equal(logbuf_find(lb, 0, 1, "Blocked", &at), 0);
	assert_int_equal(at, 2);
	assert_int_equal(logbuf_find(lb, 3, 1, "blocked", &at), 0);
	assert_int_equal(at, 4);
	assert_int_equal(logbuf_find(lb, 3, -1, "blocked", &at), 0);
	assert_int_equal(at, 2);
	/* from is inclusive */
	assert_int_equal(logbuf_find(lb, 2, -1, "blocked", &at), 0);
	assert_int_equal(at, 2);
	/* backward from past the end starts at the newest */
	assert_int_equal(logbuf_find(lb, 1000, -1, "BLOCKED", &at), 0);
	assert_int_equal(at, 4);
	at = 99;
	assert_int_equal(logbuf_find(lb, 5, 1, "blocked", &at), -1);
	assert_int_equal(logbuf_find(lb, 1, -1, "tunnel", &at), -1);
	assert_int_equal(logbuf_find(lb, 0, 1, "no such text", &at), -1);
	assert_int_equal(at, 99);
	assert_int_equal(logbuf_find(lb, 0, 1, "pipelock!", &at), -1);
	logbuf_free(lb);
}

static void push_sanitized_stores_safe_text(void **state)
{
	struct logbuf *lb = logbuf_new(10, 1000);
	struct sanitize_opts o = SANITIZE_OPTS_INIT;
	const char *evil = "evil\x1b]52;c;QQ==\x07\rdone";

	logbuf_push_sanitized(lb, 5, LOGBUF_HIGHLIGHT, evil, strlen(evil),
			      NULL);
	assert_string_equal(text_at(lb, 0), "evil\xe2\x90\x9b^Mdone");
	assert_int_equal(logbuf_get(lb, 0)->flags, LOGBUF_HIGHLIGHT);
	o.ascii = 1;
	o.max_cols = 5;
	logbuf_push_sanitized(lb, 6, 0, LIT("caf\xc3\xa9 au lait"), &o);
	assert_string_equal(text_at(lb, 1), "caf?>");
	logbuf_free(lb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(new_ring_is_empty),
	    cmocka_unit_test(push_stores_a_copy_with_time_and_flags),
	    cmocka_unit_test(full_ring_drops_the_oldest_and_keeps_order),
	    cmocka_unit_test(ring_grows_while_wrapped_without_losing_order),
	    cmocka_unit_test(byte_bound_evicts_as_many_old_lines_as_needed),
	    cmocka_unit_test(
		line_longer_than_the_byte_bound_is_cut_and_flagged),
	    cmocka_unit_test(sequence_numbers_count_arrivals_and_drops),
	    cmocka_unit_test(clear_empties_but_sequence_continues),
	    cmocka_unit_test(a_million_lines_keep_memory_bounded),
	    cmocka_unit_test(find_searches_case_insensitively_both_ways),
	    cmocka_unit_test(push_sanitized_stores_safe_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
