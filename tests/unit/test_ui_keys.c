/* test_ui_keys.c: the key table drives dispatch, footer and help alike. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "sanitize.h"
#include "util.h"

static const unsigned ctxs[] = {KEYS_CTX_LIST, KEYS_CTX_DETAIL, KEYS_CTX_HELP};

static void each_key_means_one_thing_per_view(void **state)
{
	size_t i, j, c, a, b;

	for (c = 0; c < UTIL_NELEM(ctxs); c++)
		for (i = 0; i < keys_count(); i++)
			for (j = i + 1; j < keys_count(); j++) {
				const struct keys_binding *x = keys_at(i);
				const struct keys_binding *y = keys_at(j);
				if (!(x->ctx & y->ctx & ctxs[c]))
					continue;
				for (a = 0; a < KEYS_MAX_PER && x->keys[a]; a++)
					for (b = 0;
					     b < KEYS_MAX_PER && y->keys[b];
					     b++)
						assert_int_not_equal(
						    x->keys[a], y->keys[b]);
			}
}

static void the_issue_keys_are_bound(void **state)
{
	assert_int_equal(keys_lookup('j', KEYS_CTX_LIST)->action, KEYS_DOWN);
	assert_int_equal(keys_lookup(KEYS_FN(KEY_DOWN), KEYS_CTX_LIST)->action,
			 KEYS_DOWN);
	assert_int_equal(keys_lookup('k', KEYS_CTX_DETAIL)->action, KEYS_UP);
	assert_int_equal(keys_lookup('g', KEYS_CTX_LIST)->action, KEYS_TOP);
	assert_int_equal(keys_lookup('G', KEYS_CTX_LIST)->action, KEYS_BOTTOM);
	assert_int_equal(keys_lookup(KEYS_FN(KEY_NPAGE), KEYS_CTX_LIST)->action,
			 KEYS_PAGE_DOWN);
	assert_int_equal(keys_lookup('\r', KEYS_CTX_LIST)->action, KEYS_OPEN);
	assert_int_equal(keys_lookup(KEYS_ESC, KEYS_CTX_DETAIL)->action,
			 KEYS_BACK);
	assert_int_equal(keys_lookup('\t', KEYS_CTX_DETAIL)->action, KEYS_PANE);
	assert_int_equal(keys_lookup('u', KEYS_CTX_LIST)->action, KEYS_BUP);
	assert_int_equal(keys_lookup('d', KEYS_CTX_LIST)->action, KEYS_BDOWN);
	assert_int_equal(keys_lookup('r', KEYS_CTX_LIST)->action, KEYS_RESTART);
	assert_int_equal(keys_lookup('D', KEYS_CTX_LIST)->action, KEYS_REMOVE);
	assert_int_equal(keys_lookup('p', KEYS_CTX_LIST)->action, KEYS_PROBE);
	assert_int_equal(keys_lookup('e', KEYS_CTX_LIST)->action, KEYS_EXEC);
	assert_int_equal(keys_lookup('s', KEYS_CTX_LIST)->action, KEYS_SHELL);
	assert_int_equal(keys_lookup('l', KEYS_CTX_LIST)->action, KEYS_LOGS);
	assert_int_equal(keys_lookup('/', KEYS_CTX_LIST)->action, KEYS_FILTER);
	assert_int_equal(keys_lookup('/', KEYS_CTX_DETAIL)->action,
			 KEYS_SEARCH);
	assert_int_equal(keys_lookup(':', KEYS_CTX_LIST)->action, KEYS_COMMAND);
	assert_int_equal(keys_lookup('?', KEYS_CTX_HELP)->action, KEYS_HELP);
	assert_int_equal(keys_lookup('F', KEYS_CTX_DETAIL)->action,
			 KEYS_FOLLOW);
	assert_int_equal(keys_lookup(KEYS_FN(KEY_END), KEYS_CTX_DETAIL)->action,
			 KEYS_BOTTOM);
	assert_int_equal(keys_lookup('q', KEYS_CTX_LIST)->action, KEYS_QUIT);
	assert_int_equal(keys_lookup('q', KEYS_CTX_DETAIL)->action, KEYS_BACK);
}

static void keys_outside_their_view_do_nothing(void **state)
{
	assert_null(keys_lookup('F', KEYS_CTX_LIST));
	assert_null(keys_lookup('\t', KEYS_CTX_LIST));
	assert_null(keys_lookup('u', KEYS_CTX_HELP));
	assert_null(keys_lookup('x', KEYS_CTX_LIST));
	assert_null(keys_lookup(0, KEYS_CTX_ALL));
}

static void every_mutating_key_is_marked(void **state)
{
	static const enum keys_action mutating[] = {
	    KEYS_BUP,	 KEYS_BDOWN, KEYS_RESTART,
	    KEYS_REMOVE, KEYS_EXEC,  KEYS_SHELL,
	};
	size_t i, n = 0;

	for (i = 0; i < UTIL_NELEM(mutating); i++)
		assert_true(keys_find(mutating[i], KEYS_CTX_ALL)->mutating);
	for (i = 0; i < keys_count(); i++)
		n += keys_at(i)->mutating != 0;
	assert_int_equal(n, UTIL_NELEM(mutating));
	assert_false(keys_find(KEYS_PROBE, KEYS_CTX_ALL)->mutating);
}

static size_t footer_width(const struct keys_binding **k, size_t n)
{
	size_t i, w = 0;

	for (i = 0; i < n; i++)
		w += (i > 0 ? 2 : 0) +
		     sanitize_width(k[i]->key, strlen(k[i]->key)) + 1 +
		     sanitize_width(k[i]->word, strlen(k[i]->word));
	return w;
}

static void footer_fits_its_width_most_important_first(void **state)
{
	const struct keys_binding *k[32];
	size_t n;

	n = keys_footer(KEYS_CTX_LIST, 0, 78, k, UTIL_NELEM(k));
	assert_true(n >= 8);
	assert_true(footer_width(k, n) <= 78);
	assert_int_equal(k[0]->action, KEYS_QUIT);
	assert_int_equal(k[1]->action, KEYS_HELP);
	n = keys_footer(KEYS_CTX_LIST, 0, 200, k, UTIL_NELEM(k));
	assert_int_equal(k[n - 1]->action, KEYS_COMMAND);
	n = keys_footer(KEYS_CTX_LIST, 0, 10, k, UTIL_NELEM(k));
	assert_int_equal(n, 1); /* "q quit" only */
	n = keys_footer(KEYS_CTX_LIST, 0, 3, k, UTIL_NELEM(k));
	assert_int_equal(n, 0);
}

static void footer_says_back_not_quit_in_the_detail(void **state)
{
	const struct keys_binding *k[32];
	size_t n = keys_footer(KEYS_CTX_DETAIL, 0, 300, k, UTIL_NELEM(k)), i;
	int follow = 0;

	assert_string_equal(k[0]->word, "back");
	for (i = 0; i < n; i++) {
		assert_int_not_equal(k[i]->action, KEYS_QUIT);
		follow |= k[i]->action == KEYS_FOLLOW;
	}
	assert_true(follow);
}

static void read_only_footer_leaves_mutating_keys_out(void **state)
{
	const struct keys_binding *k[32];
	size_t n = keys_footer(KEYS_CTX_LIST, 1, 300, k, UTIL_NELEM(k)), i;
	int probe = 0;

	assert_true(n > 3);
	for (i = 0; i < n; i++) {
		assert_false(k[i]->mutating);
		probe |= k[i]->action == KEYS_PROBE;
	}
	assert_true(probe);
}

static void help_lists_every_binding_once(void **state)
{
	struct strv lines = STRV_INIT;
	size_t i, j, hits;

	keys_help_lines(&lines);
	for (i = 0; i < keys_count(); i++) {
		const struct keys_binding *k = keys_at(i);
		hits = 0;
		for (j = 0; j < lines.n; j++)
			if (strncmp(lines.v[j], "  ", 2) == 0 &&
			    strstr(lines.v[j], k->help) != NULL &&
			    strstr(lines.v[j], k->label) != NULL)
				hits++;
		assert_int_equal(hits, 1);
	}
	strv_release(&lines);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(each_key_means_one_thing_per_view),
	    cmocka_unit_test(the_issue_keys_are_bound),
	    cmocka_unit_test(keys_outside_their_view_do_nothing),
	    cmocka_unit_test(every_mutating_key_is_marked),
	    cmocka_unit_test(footer_fits_its_width_most_important_first),
	    cmocka_unit_test(footer_says_back_not_quit_in_the_detail),
	    cmocka_unit_test(read_only_footer_leaves_mutating_keys_out),
	    cmocka_unit_test(help_lists_every_binding_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
