/* keys.c: the key table and what is derived from it. */
#include "keys.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"

#define L KEYS_CTX_LIST
#define D KEYS_CTX_DETAIL
#define H KEYS_CTX_HELP
#define A KEYS_CTX_ALL
#define FN KEYS_FN

/* Help order. Each (key, context) pair appears at most once (a unit test
 * checks it); the same key may mean different things in different views. */
/* clang-format off */
static const struct keys_binding keys_table[] = {
	{{'j', FN(KEY_DOWN)}, "j, Down", "j", KEYS_DOWN, A, 0, 0, NULL,
	 "next bottle; scroll down in a pane or the help"},
	{{'k', FN(KEY_UP)}, "k, Up", "k", KEYS_UP, A, 0, 0, NULL,
	 "previous bottle; scroll up (pauses log follow)"},
	{{'g', FN(KEY_HOME)}, "g, Home", "g", KEYS_TOP, A, 0, 0, NULL,
	 "first bottle; top of the pane"},
	{{'G', FN(KEY_END)}, "G, End", "G", KEYS_BOTTOM, A, 0, 0, NULL,
	 "last bottle; bottom of the pane (the log follows again)"},
	{{FN(KEY_PPAGE), KEYS_CTRL('b')}, "PgUp, ^B", "PgUp", KEYS_PAGE_UP,
	 A, 0, 0, NULL, "one page up"},
	{{FN(KEY_NPAGE), KEYS_CTRL('f'), ' '}, "PgDn, ^F, Space", "PgDn",
	 KEYS_PAGE_DOWN, A, 0, 0, NULL, "one page down"},
	{{'?', FN(KEY_F(1))}, "?, F1", "?", KEYS_HELP, A, 0, 2, "help",
	 "this help (again to close it)"},
	{{KEYS_CTRL('l')}, "^L", "^L", KEYS_REDRAW, A, 0, 0, NULL,
	 "redraw the whole screen"},

	{{'u'}, "u", "u", KEYS_BUP, L | D, 1, 6, "up",
	 "up: network, bundle, VM, then the probes"},
	{{'d'}, "d", "d", KEYS_BDOWN, L | D, 1, 7, "down",
	 "down: stop and remove VM, bundle, network (keeps the subnet)"},
	{{'r'}, "r", "r", KEYS_RESTART, L | D, 1, 13, "restart",
	 "restart: down, then up"},
	{{'D'}, "D", "D", KEYS_REMOVE, L | D, 1, 14, "rm",
	 "remove: down and forget the subnet (asks, type y)"},
	{{'p'}, "p", "p", KEYS_PROBE, L | D, 0, 8, "probe",
	 "run the isolation probes now"},
	{{'e'}, "e", "e", KEYS_EXEC, L | D, 1, 9, "exec",
	 "run a command line in the VM; output in the exec tab"},
	{{'s'}, "s", "s", KEYS_SHELL, L | D, 1, 10, "shell",
	 "interactive shell in the VM; exit comes back here"},
	{{'l'}, "l", "l", KEYS_LOGS, L | D, 0, 11, "logs",
	 "the bottle's logs (in the detail: the next log tab)"},
	{{':'}, ":", ":", KEYS_COMMAND, L | D, 0, 15, "cmd",
	 "command line: up NAME, down NAME, restart, rm, probe, "
	 "exec NAME CMD..., shell, logs, q"},

	{{'\r', '\n', FN(KEY_ENTER)}, "Enter", "Enter", KEYS_OPEN, L, 0, 3,
	 "open", "open the selected bottle: probes, health, logs"},
	{{'/'}, "/", "/", KEYS_FILTER, L, 0, 12, "filter",
	 "filter the list by name or state"},
	{{KEYS_ESC}, "Esc", "Esc", KEYS_BACK, L, 0, 0, NULL,
	 "clear the filter"},
	{{'q'}, "q", "q", KEYS_QUIT, L, 0, 1, "quit",
	 "quit (bottles keep running)"},

	{{'\t'}, "Tab", "Tab", KEYS_PANE, D, 0, 3, "pane",
	 "switch between the info pane and the log pane"},
	{{FN(KEY_RIGHT), ']'}, "Right, ]", "]", KEYS_TAB_NEXT, D, 0, 0, NULL,
	 "next log tab"},
	{{FN(KEY_LEFT), '['}, "Left, [", "[", KEYS_TAB_PREV, D, 0, 0, NULL,
	 "previous log tab"},
	{{'1', '2', '3', '4', '5'}, "1-5", "1-5", KEYS_TAB_PICK, D, 0, 0, NULL,
	 "log tab: events, bundle, vm, commands, exec"},
	{{'F'}, "F", "F", KEYS_FOLLOW, D, 0, 4, "follow",
	 "follow the log again after scrolling"},
	{{'/'}, "/", "/", KEYS_SEARCH, D, 0, 5, "search",
	 "search the log pane (from the newest line back)"},
	{{'n'}, "n", "n", KEYS_MATCH_NEXT, D, 0, 0, NULL,
	 "next match (older)"},
	{{'N'}, "N", "N", KEYS_MATCH_PREV, D, 0, 0, NULL,
	 "previous match (newer)"},

	{{'q', KEYS_ESC}, "q, Esc", "q", KEYS_BACK, D | H, 0, 1, "back",
	 "back to the list"},
};
/* clang-format on */

#undef L
#undef D
#undef H
#undef A
#undef FN

/* Help groups: every binding's ctx is one of these (tested). */
static const struct {
	unsigned ctx;
	const char *title;
} keys_groups[] = {
    {KEYS_CTX_ALL, "Everywhere"},
    {KEYS_CTX_LIST | KEYS_CTX_DETAIL, "On the selected bottle (list and "
				      "detail; * = disabled by "
				      "--read-only)"},
    {KEYS_CTX_LIST, "In the list"},
    {KEYS_CTX_DETAIL, "In the detail view (info pane, log pane)"},
    {KEYS_CTX_DETAIL | KEYS_CTX_HELP, "Leaving a view"},
};

size_t keys_count(void)
{
	return UTIL_NELEM(keys_table);
}

const struct keys_binding *keys_at(size_t i)
{
	return i < UTIL_NELEM(keys_table) ? &keys_table[i] : NULL;
}

static int keys_has(const struct keys_binding *k, int key)
{
	size_t i;

	for (i = 0; i < KEYS_MAX_PER && k->keys[i] != 0; i++)
		if (k->keys[i] == key)
			return 1;
	return 0;
}

const struct keys_binding *keys_lookup(int key, unsigned ctx)
{
	size_t i;

	if (key == 0)
		return NULL;
	for (i = 0; i < UTIL_NELEM(keys_table); i++)
		if ((keys_table[i].ctx & ctx) && keys_has(&keys_table[i], key))
			return &keys_table[i];
	return NULL;
}

const struct keys_binding *keys_find(enum keys_action action, unsigned ctx)
{
	size_t i;

	for (i = 0; i < UTIL_NELEM(keys_table); i++)
		if (keys_table[i].action == action && (keys_table[i].ctx & ctx))
			return &keys_table[i];
	return NULL;
}

static size_t keys_item_width(const struct keys_binding *k)
{
	return sanitize_width(k->key, strlen(k->key)) + 1 +
	       sanitize_width(k->word, strlen(k->word));
}

size_t keys_footer(unsigned ctx, int read_only, int width,
		   const struct keys_binding **out, size_t max)
{
	size_t n = 0, used = 0, w, i;
	int pos, last = 0;

	/* Footer positions are small and unique per context: walk them in
	 * order, each time taking the next larger position. */
	for (;;) {
		const struct keys_binding *best = NULL;

		for (i = 0; i < UTIL_NELEM(keys_table); i++) {
			const struct keys_binding *k = &keys_table[i];
			pos = k->footer;
			if (pos <= last || !(k->ctx & ctx) || k->word == NULL)
				continue;
			if (read_only && k->mutating)
				continue;
			if (best == NULL || pos < best->footer)
				best = k;
		}
		if (best == NULL || n >= max)
			break;
		last = best->footer;
		w = keys_item_width(best) + (n > 0 ? 2 : 0);
		if (width < 0 || used + w > (size_t)width)
			break;
		used += w;
		out[n++] = best;
	}
	return n;
}

static void keys_help_entry(const struct keys_binding *k, struct strv *out)
{
	struct buf b = BUF_INIT;
	size_t w = sanitize_width(k->label, strlen(k->label));

	buf_addf(&b, "  %s", k->label);
	for (; w < 16; w++)
		buf_addc(&b, ' ');
	buf_addf(&b, " %s%s", k->mutating ? "* " : "", k->help);
	strv_push(out, b.data);
	buf_release(&b);
}

void keys_help_lines(struct strv *out)
{
	size_t g, i;

	for (g = 0; g < UTIL_NELEM(keys_groups); g++) {
		if (g > 0)
			strv_push(out, "");
		strv_push(out, keys_groups[g].title);
		for (i = 0; i < UTIL_NELEM(keys_table); i++)
			if (keys_table[i].ctx == keys_groups[g].ctx)
				keys_help_entry(&keys_table[i], out);
	}
}
