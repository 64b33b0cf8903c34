/* test_lines.c: the incremental line splitter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lines.h"

struct piece {
	char *data; /* owned */
	size_t len;
	int cut;
};

struct got {
	struct piece *v; /* owned */
	size_t n;
};

static void got_add(void *data, const char *line, size_t len, int cut)
{
	struct got *g = data;
	struct piece *pc;

	g->v = xreallocarray(g->v, g->n + 1, sizeof *g->v);
	pc = &g->v[g->n++];
	pc->data = xmalloc(len + 1);
	memcpy(pc->data, line, len);
	pc->len = len;
	pc->cut = cut;
}

static void got_release(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		free(g->v[i].data);
	free(g->v);
	g->v = NULL;
	g->n = 0;
}

static void assert_piece(const struct got *g, size_t i, const char *want,
			 size_t len, int cut)
{
	assert_true(i < g->n);
	assert_int_equal(g->v[i].len, len);
	assert_memory_equal(g->v[i].data, want, len);
	assert_int_equal(g->v[i].cut, cut);
}

#define ASSERT_LINE(g, i, s) assert_piece(g, i, s, strlen(s), 0)

static void assert_same(const struct got *a, const struct got *b)
{
	size_t i;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++)
		assert_piece(b, i, a->v[i].data, a->v[i].len, a->v[i].cut);
}

/* split: feed in one go and flush. */
static void split(const char *s, size_t len, size_t max, struct got *g)
{
	struct lines l = LINES_INIT;

	l.max_line = max;
	lines_feed(&l, s, len, got_add, g);
	lines_flush(&l, got_add, g);
	lines_release(&l);
}

/* split_bytewise: feed one byte at a time and flush. */
static void split_bytewise(const char *s, size_t len, size_t max, struct got *g)
{
	struct lines l = LINES_INIT;
	size_t i;

	l.max_line = max;
	for (i = 0; i < len; i++)
		lines_feed(&l, s + i, 1, got_add, g);
	lines_flush(&l, got_add, g);
	lines_release(&l);
}

static void test_complete_lines_lose_their_newline(void **state)
{
	struct got g = {0};
	const char *in = "a\nbb\n\nccc\n";

	split(in, strlen(in), 0, &g);
	assert_int_equal(g.n, 4);
	ASSERT_LINE(&g, 0, "a");
	ASSERT_LINE(&g, 1, "bb");
	ASSERT_LINE(&g, 2, "");
	ASSERT_LINE(&g, 3, "ccc");
	got_release(&g);
}

static void test_partial_line_is_carried_across_feeds(void **state)
{
	struct lines l = LINES_INIT;
	struct got g = {0};

	lines_feed(&l, "hel", 3, got_add, &g);
	assert_int_equal(g.n, 0);
	lines_feed(&l, "lo\nwor", 6, got_add, &g);
	assert_int_equal(g.n, 1);
	lines_feed(&l, "ld\n", 3, got_add, &g);
	assert_int_equal(g.n, 2);
	ASSERT_LINE(&g, 0, "hello");
	ASSERT_LINE(&g, 1, "world");
	lines_flush(&l, got_add, &g);
	assert_int_equal(g.n, 2);
	lines_release(&l);
	got_release(&g);
}

static void test_crlf_split_between_cr_and_lf_is_one_line_end(void **state)
{
	struct lines l = LINES_INIT;
	struct got g = {0};

	lines_feed(&l, "one\r", 4, got_add, &g);
	assert_int_equal(g.n, 0);
	lines_feed(&l, "\ntwo\r\n", 6, got_add, &g);
	lines_flush(&l, got_add, &g);
	assert_int_equal(g.n, 2);
	ASSERT_LINE(&g, 0, "one");
	ASSERT_LINE(&g, 1, "two");
	lines_release(&l);
	got_release(&g);
}

static void test_only_a_trailing_cr_is_removed(void **state)
{
	struct got g = {0};
	const char *in = "a\rb\n\r\r\n";

	split(in, strlen(in), 0, &g);
	assert_int_equal(g.n, 2);
	ASSERT_LINE(&g, 0, "a\rb");
	ASSERT_LINE(&g, 1, "\r");
	got_release(&g);
}

static void test_flush_delivers_last_line_without_newline(void **state)
{
	struct lines l = LINES_INIT;
	struct got g = {0};

	lines_feed(&l, "x\ny", 3, got_add, &g);
	assert_int_equal(g.n, 1);
	lines_flush(&l, got_add, &g);
	assert_int_equal(g.n, 2);
	ASSERT_LINE(&g, 1, "y");
	lines_flush(&l, got_add, &g); /* nothing left */
	assert_int_equal(g.n, 2);
	lines_release(&l);
	got_release(&g);
}

static void test_flush_of_nothing_emits_nothing(void **state)
{
	struct lines l = LINES_INIT;
	struct got g = {0};

	lines_flush(&l, got_add, &g);
	lines_feed(&l, "", 0, got_add, &g);
	lines_flush(&l, got_add, &g);
	assert_int_equal(g.n, 0);
	lines_release(&l);
}

static void test_empty_lines_are_delivered(void **state)
{
	struct got g = {0};

	split("\n\n\r\n", 4, 0, &g);
	assert_int_equal(g.n, 3);
	ASSERT_LINE(&g, 0, "");
	ASSERT_LINE(&g, 1, "");
	ASSERT_LINE(&g, 2, "");
	got_release(&g);
}

static void test_nul_bytes_stay_inside_the_line(void **state)
{
	struct got g = {0};

	split("a\0b\n\0\n", 6, 0, &g);
	assert_int_equal(g.n, 2);
	assert_piece(&g, 0, "a\0b", 3, 0);
	assert_piece(&g, 1, "\0", 1, 0);
	got_release(&g);
}

static void test_long_line_is_cut_into_max_sized_pieces(void **state)
{
	struct got g = {0};
	struct got b = {0};
	const char *in = "abcdefghij\nxy\n";

	split(in, strlen(in), 4, &g);
	assert_int_equal(g.n, 4);
	assert_piece(&g, 0, "abcd", 4, 1);
	assert_piece(&g, 1, "efgh", 4, 1);
	assert_piece(&g, 2, "ij", 2, 0);
	ASSERT_LINE(&g, 3, "xy");
	split_bytewise(in, strlen(in), 4, &b);
	assert_same(&g, &b);
	got_release(&g);
	got_release(&b);
}

static void test_line_of_exactly_max_is_not_cut(void **state)
{
	struct got g = {0};
	struct got b = {0};
	const char *in = "abcd\r\nefghijkl\nmnop\r";

	split(in, strlen(in), 4, &g);
	assert_int_equal(g.n, 4);
	ASSERT_LINE(&g, 0, "abcd");
	assert_piece(&g, 1, "efgh", 4, 1);
	ASSERT_LINE(&g, 2, "ijkl");
	ASSERT_LINE(&g, 3, "mnop");
	/* fed byte by byte, the pending "\r" after "abcd" must not force a
	 * cut before the "\n" shows it was a line end */
	split_bytewise(in, strlen(in), 4, &b);
	assert_same(&g, &b);
	got_release(&g);
	got_release(&b);
}

static void test_default_max_cuts_at_lines_default_max(void **state)
{
	size_t n = 2 * LINES_DEFAULT_MAX + 100;
	char *in = xmalloc(n + 1);
	struct got g = {0};

	memset(in, 'x', n);
	in[n] = '\n';
	split(in, n + 1, 0, &g);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.v[0].len, LINES_DEFAULT_MAX);
	assert_int_equal(g.v[0].cut, 1);
	assert_int_equal(g.v[1].len, LINES_DEFAULT_MAX);
	assert_int_equal(g.v[1].cut, 1);
	assert_int_equal(g.v[2].len, 100);
	assert_int_equal(g.v[2].cut, 0);
	free(in);
	got_release(&g);
}

static void test_tiny_feeds_equal_one_big_feed(void **state)
{
	static const char in[] = "first\r\nsecond\n\n\r\nlong-line-here\r"
				 "\r\nnul\0inside\nlast\r\nunterminated\r";
	size_t maxes[] = {0, 1, 2, 3, 5, 8};
	size_t i;

	for (i = 0; i < UTIL_NELEM(maxes); i++) {
		struct got one = {0};
		struct got tiny = {0};

		split(in, sizeof in - 1, maxes[i], &one);
		split_bytewise(in, sizeof in - 1, maxes[i], &tiny);
		assert_true(one.n > 0);
		assert_same(&one, &tiny);
		got_release(&one);
		got_release(&tiny);
	}
}

static void test_released_splitter_can_be_reused(void **state)
{
	struct lines l = LINES_INIT;
	struct got g = {0};

	lines_feed(&l, "dropped", 7, got_add, &g);
	lines_release(&l);
	lines_feed(&l, "kept\n", 5, got_add, &g);
	lines_release(&l);
	assert_int_equal(g.n, 1);
	ASSERT_LINE(&g, 0, "kept");
	got_release(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_complete_lines_lose_their_newline),
	    cmocka_unit_test(test_partial_line_is_carried_across_feeds),
	    cmocka_unit_test(test_crlf_split_between_cr_and_lf_is_one_line_end),
	    cmocka_unit_test(test_only_a_trailing_cr_is_removed),
	    cmocka_unit_test(test_flush_delivers_last_line_without_newline),
	    cmocka_unit_test(test_flush_of_nothing_emits_nothing),
	    cmocka_unit_test(test_empty_lines_are_delivered),
	    cmocka_unit_test(test_nul_bytes_stay_inside_the_line),
	    cmocka_unit_test(test_long_line_is_cut_into_max_sized_pieces),
	    cmocka_unit_test(test_line_of_exactly_max_is_not_cut),
	    cmocka_unit_test(test_default_max_cuts_at_lines_default_max),
	    cmocka_unit_test(test_tiny_feeds_equal_one_big_feed),
	    cmocka_unit_test(test_released_splitter_can_be_reused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
