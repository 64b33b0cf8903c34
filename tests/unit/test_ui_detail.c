/* test_ui_detail.c: the log pane's window over a ring: following, pausing
 * when scrolled, resuming, surviving lines dropped by a flood, search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bottle.h"
#include "logbuf.h"
#include "util.h"
#include "view-detail.h"

static void window_follows_the_newest_lines(void **state)
{
	size_t top, n;

	view_detail_window(100, 0, 1, 0, 10, &top, &n);
	assert_int_equal(top, 90);
	assert_int_equal(n, 10);
	view_detail_window(4, 0, 1, 0, 10, &top, &n);
	assert_int_equal(top, 0);
	assert_int_equal(n, 4);
	view_detail_window(0, 7, 1, 0, 10, &top, &n);
	assert_int_equal(n, 0);
}

static void paused_window_stays_on_its_lines(void **state)
{
	size_t top, n;

	/* bottom line seq 50 of a ring holding seqs 0..99 */
	view_detail_window(100, 0, 0, 50, 10, &top, &n);
	assert_int_equal(top, 41);
	assert_int_equal(n, 10);
	/* 30 more lines arrived and 30 old ones were dropped: same lines */
	view_detail_window(100, 30, 0, 50, 10, &top, &n);
	assert_int_equal(top, 11);
	assert_int_equal(n, 10);
}

static void paused_window_is_clamped_into_the_ring_and_kept_full(void **state)
{
	size_t top, n;

	/* its lines were all dropped: the oldest page shows */
	view_detail_window(100, 500, 0, 50, 10, &top, &n);
	assert_int_equal(top, 0);
	assert_int_equal(n, 10);
	/* a bottom near the start still fills the pane */
	view_detail_window(100, 0, 0, 3, 10, &top, &n);
	assert_int_equal(top, 0);
	assert_int_equal(n, 10);
	/* past the end: the newest */
	view_detail_window(100, 0, 0, 1000, 10, &top, &n);
	assert_int_equal(top, 90);
}

struct fixture {
	struct bottle b;
	struct view_detail v;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char line[32];
	int i;

	f->b.name = xstrdup("web");
	f->b.log_events = logbuf_new(50, 0);
	for (i = 0; i < 80; i++) { /* seqs 30..79 are kept */
		snprintf(line, sizeof(line), "line %d%s", i,
			 i % 10 == 5 ? " needle" : "");
		logbuf_push(f->b.log_events, 0, 0, line, strlen(line));
	}
	view_detail_open(&f->v, "web", VIEW_DETAIL_LOG, VIEW_DETAIL_EVENTS);
	f->v.log_h = 10;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	logbuf_free(f->b.log_events);
	free(f->b.name);
	view_detail_release(&f->v);
	free(f);
	return 0;
}

static uint64_t bottom_seq(struct fixture *f)
{
	size_t top, n;

	view_detail_window(logbuf_count(f->b.log_events),
			   logbuf_first_seq(f->b.log_events), f->v.follow,
			   f->v.bottom_seq, f->v.log_h, &top, &n);
	return logbuf_first_seq(f->b.log_events) + top + n - 1;
}

static void scrolling_up_pauses_and_end_resumes(void **state)
{
	struct fixture *f = *state;

	assert_true(f->v.follow);
	view_detail_scroll(&f->v, &f->b, -3);
	assert_false(f->v.follow);
	assert_int_equal(bottom_seq(f), 76);
	/* new lines arrive: the view stays put */
	logbuf_push(f->b.log_events, 0, 0, "more", 4);
	assert_int_equal(bottom_seq(f), 76);
	/* down to the bottom: still paused until End */
	view_detail_scroll(&f->v, &f->b, 100);
	assert_false(f->v.follow);
	assert_int_equal(bottom_seq(f), 80);
	view_detail_scroll(&f->v, &f->b, LONG_MAX);
	assert_true(f->v.follow);
}

static void top_and_pages_stay_inside_the_ring(void **state)
{
	struct fixture *f = *state;

	view_detail_scroll(&f->v, &f->b, LONG_MIN);
	assert_int_equal(bottom_seq(f), 39); /* seqs 30..39 shown */
	view_detail_scroll(&f->v, &f->b, -5);
	assert_int_equal(bottom_seq(f), 39);
	view_detail_page(&f->v, &f->b, 1);
	assert_int_equal(bottom_seq(f), 48);
	view_detail_follow(&f->v);
	assert_int_equal(bottom_seq(f), 79);
}

static void a_short_log_does_not_pause(void **state)
{
	struct fixture *f = *state;

	f->v.log_h = 60;
	view_detail_scroll(&f->v, &f->b, -1);
	assert_true(f->v.follow);
}

static void search_walks_back_from_the_newest_line(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(view_detail_search(&f->v, &f->b, "NEEDLE", -1, 0), 0);
	assert_int_equal(f->v.match_seq, 75);
	assert_false(f->v.follow);
	assert_true(bottom_seq(f) >= 75 && bottom_seq(f) - 75 < 10);
	assert_int_equal(view_detail_search(&f->v, &f->b, NULL, -1, 1), 0);
	assert_int_equal(f->v.match_seq, 65);
	assert_true(bottom_seq(f) >= 65 && bottom_seq(f) - 65 < 10);
	assert_int_equal(view_detail_search(&f->v, &f->b, NULL, -1, 1), 0);
	assert_int_equal(view_detail_search(&f->v, &f->b, NULL, -1, 1), 0);
	assert_int_equal(view_detail_search(&f->v, &f->b, NULL, -1, 1), 0);
	assert_int_equal(f->v.match_seq, 35);
	/* line 25 was dropped: no older match */
	assert_int_equal(view_detail_search(&f->v, &f->b, NULL, -1, 1), -1);
	assert_int_equal(view_detail_search(&f->v, &f->b, NULL, 1, 1), 0);
	assert_int_equal(f->v.match_seq, 45);
	assert_int_equal(view_detail_search(&f->v, &f->b, "absent", -1, 0), -1);
}

static void tabs_without_a_ring_are_empty_not_broken(void **state)
{
	struct fixture *f = *state;

	view_detail_set_tab(&f->v, VIEW_DETAIL_EXEC);
	assert_null(view_detail_ring(&f->b, VIEW_DETAIL_EXEC));
	view_detail_scroll(&f->v, &f->b, -5);
	assert_true(f->v.follow);
	assert_int_equal(view_detail_search(&f->v, &f->b, "x", -1, 0), -1);
	assert_string_equal(view_detail_tab_name(VIEW_DETAIL_COMMANDS),
			    "commands");
}

static void switching_tabs_follows_again(void **state)
{
	struct fixture *f = *state;

	view_detail_scroll(&f->v, &f->b, -3);
	assert_false(f->v.follow);
	view_detail_set_tab(&f->v, VIEW_DETAIL_COMMANDS);
	assert_true(f->v.follow);
	assert_int_equal(f->v.tab, VIEW_DETAIL_COMMANDS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(window_follows_the_newest_lines),
	    cmocka_unit_test(paused_window_stays_on_its_lines),
	    cmocka_unit_test(
		paused_window_is_clamped_into_the_ring_and_kept_full),
	    cmocka_unit_test_setup_teardown(scrolling_up_pauses_and_end_resumes,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(top_and_pages_stay_inside_the_ring,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(a_short_log_does_not_pause, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		search_walks_back_from_the_newest_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		tabs_without_a_ring_are_empty_not_broken, setup, teardown),
	    cmocka_unit_test_setup_teardown(switching_tabs_follows_again, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
