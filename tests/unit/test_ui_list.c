/* test_ui_list.c: the list's column layout for a width, each bottle's row
 * as text and colour meaning, the marks (UTF-8 and ASCII), the filter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "bottle.h"
#include "sanitize.h"
#include "theme.h"
#include "util.h"
#include "view-list.h"

#define NOW 1700000000000ull

static int layout_right_edge(const struct view_list_layout *l)
{
	int c, edge = 0;

	for (c = 0; c < VIEW_LIST_NCOLS; c++)
		if (l->w[c] > 0 && l->x[c] + l->w[c] > edge)
			edge = l->x[c] + l->w[c];
	return edge;
}

static void layout_fits_80_columns_without_overlap(void **state)
{
	struct view_list_layout l;
	int c, prev_end = 0;

	assert_int_equal(view_list_layout(80, &l), 0);
	assert_true(layout_right_edge(&l) <= 80);
	for (c = 0; c < VIEW_LIST_NCOLS; c++) {
		if (l.w[c] == 0)
			continue;
		assert_true(l.x[c] > prev_end); /* a blank between columns */
		prev_end = l.x[c] + l.w[c];
	}
	assert_int_equal(l.w[VIEW_LIST_SUBNET], 0);
	assert_int_equal(l.w[VIEW_LIST_PROBES], PROBE_COUNT);
	/* an address like 192.168.255.242/28 fits whole */
	assert_true(l.w[VIEW_LIST_NET] >= 18);
	assert_true(l.w[VIEW_LIST_STATE] >= (int)strlen("x bundle-health"));
}

static void wider_terminals_grow_names_then_show_the_subnet(void **state)
{
	struct view_list_layout a, b, c;

	assert_int_equal(view_list_layout(90, &a), 0);
	assert_int_equal(a.w[VIEW_LIST_NAME], 20); /* all the slack */
	assert_int_equal(a.w[VIEW_LIST_SUBNET], 0);
	assert_int_equal(view_list_layout(110, &b), 0);
	assert_true(b.w[VIEW_LIST_SUBNET] > 0);
	assert_true(layout_right_edge(&b) <= 110);
	assert_int_equal(view_list_layout(250, &c), 0);
	assert_int_equal(c.w[VIEW_LIST_NAME], 32);
	assert_true(layout_right_edge(&c) <= 250);
}

static void narrow_terminals_get_no_layout(void **state)
{
	struct view_list_layout l;

	assert_int_equal(view_list_layout(79, &l), -1);
	assert_int_equal(view_list_layout(0, &l), -1);
}

/* A bottle as the core would hold it, without a core. */
static void bottle_init(struct bottle *b, const char *name)
{
	memset(b, 0, sizeof(*b));
	b->name = xstrdup(name);
	b->health_ok = -1;
	b->last_command_status = -1;
}

static void bottle_set(char **field, const char *v)
{
	free(*field);
	*field = v != NULL ? xstrdup(v) : NULL;
}

static void bottle_running(struct bottle *b)
{
	size_t i;

	bottle_set(&b->subnet, "10.213.0.16/28");
	bottle_set(&b->bundle_ip, "10.213.0.18");
	b->net_present = 1;
	bottle_set(&b->bundle_state, "running");
	bottle_set(&b->vm_state, "running");
	b->health_ok = 1;
	b->up_since_ms = NOW - (3 * 3600 + 12 * 60) * 1000ull;
	b->probes_at_ms = util_wall_ms();
	for (i = 0; i < PROBE_COUNT; i++)
		b->probes[i].verdict = PROBE_PASS;
}

static void bottle_done(struct bottle *b)
{
	free(b->name);
	free(b->subnet);
	free(b->bundle_ip);
	free(b->bundle_state);
	free(b->vm_state);
	free(b->error);
	free(b->drift);
}

static void stopped_row_is_dim_with_placeholders(void **state)
{
	struct bottle b;
	struct view_list_row r;
	size_t i;

	bottle_init(&b, "web");
	view_list_row(&b, 0, 0, NOW, &r);
	assert_string_equal(r.cell[VIEW_LIST_NAME].text, "web");
	assert_string_equal(r.cell[VIEW_LIST_STATE].text, "- stopped");
	assert_int_equal(r.cell[VIEW_LIST_STATE].role, THEME_DIM);
	assert_string_equal(r.cell[VIEW_LIST_NET].text, "-");
	assert_string_equal(r.cell[VIEW_LIST_VM].text, "-");
	assert_string_equal(r.cell[VIEW_LIST_BUNDLE].text, "-");
	assert_string_equal(r.cell[VIEW_LIST_UP].text, "-");
	for (i = 0; i < PROBE_COUNT; i++)
		assert_string_equal(r.probe_mark[i], "·");
	bottle_done(&b);
}

static void healthy_row_is_green_with_every_probe_passed(void **state)
{
	struct bottle b;
	struct view_list_row r;
	size_t i;

	bottle_init(&b, "web");
	bottle_running(&b);
	view_list_row(&b, 0, 0, NOW, &r);
	assert_string_equal(r.cell[VIEW_LIST_STATE].text, "✓ healthy");
	assert_int_equal(r.cell[VIEW_LIST_STATE].role, THEME_GOOD);
	assert_string_equal(r.cell[VIEW_LIST_NET].text, "10.213.0.18/28");
	assert_string_equal(r.cell[VIEW_LIST_SUBNET].text, "10.213.0.16/28");
	assert_string_equal(r.cell[VIEW_LIST_VM].text, "running");
	assert_string_equal(r.cell[VIEW_LIST_BUNDLE].text, "ok");
	assert_int_equal(r.cell[VIEW_LIST_BUNDLE].role, THEME_GOOD);
	assert_string_equal(r.cell[VIEW_LIST_UP].text, "3h12m");
	for (i = 0; i < PROBE_COUNT; i++) {
		assert_string_equal(r.probe_mark[i], "✓");
		assert_int_equal(r.probe_role[i], THEME_GOOD);
	}
	bottle_done(&b);
}

static void failed_probe_makes_the_row_unsafe_and_red(void **state)
{
	struct bottle b;
	struct view_list_row r;

	bottle_init(&b, "web");
	bottle_running(&b);
	b.probes[PROBE_LOCALHOST_REACH].verdict = PROBE_FAIL;
	b.probes[PROBE_DNS_HOLE].verdict = PROBE_WARN;
	view_list_row(&b, 0, 0, NOW, &r);
	assert_string_equal(r.cell[VIEW_LIST_STATE].text, "✗ UNSAFE");
	assert_int_equal(r.cell[VIEW_LIST_STATE].role, THEME_BAD);
	assert_string_equal(r.probe_mark[PROBE_LOCALHOST_REACH], "✗");
	assert_int_equal(r.probe_role[PROBE_LOCALHOST_REACH], THEME_BAD);
	assert_string_equal(r.probe_mark[PROBE_DNS_HOLE], "~");
	assert_int_equal(r.probe_role[PROBE_BUNDLE_REACH], THEME_GOOD);
	view_list_row(&b, 1, 0, NOW, &r);
	assert_string_equal(r.cell[VIEW_LIST_STATE].text, "X UNSAFE");
	assert_string_equal(r.probe_mark[PROBE_LOCALHOST_REACH], "X");
	assert_string_equal(r.probe_mark[PROBE_BUNDLE_REACH], "+");
	bottle_done(&b);
}

static void kill_switch_shows_in_red_and_degrades(void **state)
{
	struct bottle b;
	struct view_list_row r;

	bottle_init(&b, "web");
	bottle_running(&b);
	b.kill_switch = 1;
	view_list_row(&b, 0, 0, NOW, &r);
	assert_string_equal(r.cell[VIEW_LIST_BUNDLE].text, "KILL SWITCH");
	assert_int_equal(r.cell[VIEW_LIST_BUNDLE].role, THEME_BAD);
	assert_string_equal(r.cell[VIEW_LIST_STATE].text, "! degraded");
	/* a kill switch on is a red state, not a warning */
	assert_int_equal(r.cell[VIEW_LIST_STATE].role, THEME_BAD);
	bottle_done(&b);
}

static void busy_row_spins_and_names_the_step(void **state)
{
	struct bottle b;
	struct view_list_row r1, r2;
	struct view_list_layout l;

	bottle_init(&b, "web");
	b.op = BOTTLE_OP_UP;
	b.step = BOTTLE_STEP_BUNDLE_HEALTH;
	view_list_row(&b, 0, 0, NOW, &r1);
	view_list_row(&b, 0, 1, NOW, &r2);
	assert_non_null(
	    strstr(r1.cell[VIEW_LIST_STATE].text, " bundle-health"));
	assert_string_not_equal(r1.cell[VIEW_LIST_STATE].text,
				r2.cell[VIEW_LIST_STATE].text);
	assert_int_equal(r1.cell[VIEW_LIST_STATE].role, THEME_WARN);
	/* the longest step fits its column */
	assert_int_equal(view_list_layout(80, &l), 0);
	assert_true(
	    (int)sanitize_width(r1.cell[VIEW_LIST_STATE].text,
				strlen(r1.cell[VIEW_LIST_STATE].text)) <=
	    l.w[VIEW_LIST_STATE]);
	view_list_row(&b, 1, 2, NOW, &r1);
	assert_string_equal(r1.cell[VIEW_LIST_STATE].text, "- bundle-health");
	bottle_done(&b);
}

static void another_process_at_work_shows_its_pid_and_operation(void **state)
{
	struct bottle b;
	struct view_list_row r;

	bottle_init(&b, "web");
	b.busy_other = xstrdup("4242 down");
	view_list_row(&b, 1, 0, NOW, &r);
	assert_string_equal(r.cell[VIEW_LIST_STATE].text, "| down (pid 4242)");
	assert_int_equal(r.cell[VIEW_LIST_STATE].role, THEME_WARN);
	free(b.busy_other);
	bottle_done(&b);
}

static void ascii_rows_are_pure_ascii(void **state)
{
	static const enum probe_verdict vs[] = {PROBE_NONE, PROBE_PASS,
						PROBE_FAIL, PROBE_UNKNOWN,
						PROBE_WARN, PROBE_SKIP};
	struct bottle b;
	struct view_list_row r;
	size_t i, c;
	const char *p;

	bottle_init(&b, "web");
	bottle_running(&b);
	for (i = 0; i < PROBE_COUNT; i++)
		b.probes[i].verdict = vs[i];
	view_list_row(&b, 1, 3, NOW, &r);
	for (c = 0; c < VIEW_LIST_NCOLS; c++)
		for (p = r.cell[c].text; *p; p++)
			assert_true((unsigned char)*p < 0x80);
	for (i = 0; i < PROBE_COUNT; i++)
		assert_true(strlen(r.probe_mark[i]) == 1 &&
			    (unsigned char)r.probe_mark[i][0] < 0x80);
	bottle_done(&b);
}

static void every_status_has_a_distinct_mark_or_word(void **state)
{
	enum bottle_status s;

	for (s = BOTTLE_STOPPED; s <= BOTTLE_DRIFT; s++) {
		assert_non_null(theme_status_word(s));
		assert_true(strlen(theme_status_word(s)) > 0);
	}
	assert_string_equal(theme_status_word(BOTTLE_UNSAFE), "UNSAFE");
	assert_string_equal(theme_status_word(BOTTLE_FAILED), "FAILED");
	assert_int_equal(theme_status_role(BOTTLE_HEALTHY), THEME_GOOD);
	assert_int_equal(theme_status_role(BOTTLE_UNKNOWN), THEME_WARN);
	assert_int_equal(theme_status_role(BOTTLE_FAILED), THEME_BAD);
}

static void filter_matches_name_or_state_ignoring_case(void **state)
{
	struct bottle b;

	bottle_init(&b, "web-agent");
	assert_true(view_list_match(&b, NULL));
	assert_true(view_list_match(&b, ""));
	assert_true(view_list_match(&b, "AGENT"));
	assert_true(view_list_match(&b, "stopped"));
	assert_false(view_list_match(&b, "healthy"));
	bottle_running(&b);
	assert_true(view_list_match(&b, "health"));
	bottle_done(&b);
}

static void no_color_and_codeset_detection(void **state)
{
	assert_true(theme_color_wanted(NULL));
	assert_true(theme_color_wanted(""));
	assert_false(theme_color_wanted("1"));
	assert_true(theme_codeset_utf8("UTF-8"));
	assert_true(theme_codeset_utf8("utf8"));
	assert_false(theme_codeset_utf8("ANSI_X3.4-1968"));
	assert_false(theme_codeset_utf8(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(layout_fits_80_columns_without_overlap),
	    cmocka_unit_test(wider_terminals_grow_names_then_show_the_subnet),
	    cmocka_unit_test(narrow_terminals_get_no_layout),
	    cmocka_unit_test(stopped_row_is_dim_with_placeholders),
	    cmocka_unit_test(healthy_row_is_green_with_every_probe_passed),
	    cmocka_unit_test(failed_probe_makes_the_row_unsafe_and_red),
	    cmocka_unit_test(kill_switch_shows_in_red_and_degrades),
	    cmocka_unit_test(busy_row_spins_and_names_the_step),
	    cmocka_unit_test(
		another_process_at_work_shows_its_pid_and_operation),
	    cmocka_unit_test(ascii_rows_are_pure_ascii),
	    cmocka_unit_test(every_status_has_a_distinct_mark_or_word),
	    cmocka_unit_test(filter_matches_name_or_state_ignoring_case),
	    cmocka_unit_test(no_color_and_codeset_detection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
