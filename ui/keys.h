/* keys.h: the dashboard's key table. One table drives the dispatch (which
 * action a key means in the current view), the footer (the keys that
 * apply now) and the ? help (every binding), so they cannot disagree.
 *
 * A key is an int: a Unicode code point for a character, KEYS_FN(k) for a
 * curses function key KEY_* (get_wch's KEY_CODE_YES values). */
#ifndef BOTTLE_KEYS_H
#define BOTTLE_KEYS_H

#include <stddef.h>

#include "util.h"

#define KEYS_FN(k) (0x40000000 | (k))
#define KEYS_IS_FN(key) (((key)&0x40000000) != 0)
#define KEYS_CTRL(c) ((c)&0x1f)
#define KEYS_ESC 0x1b
#define KEYS_MAX_PER 6 /* keys per binding */

/* Where a binding applies (a bit set). */
enum keys_ctx {
	KEYS_CTX_LIST = 1,   /* the bottle list */
	KEYS_CTX_DETAIL = 2, /* one bottle: info and log panes */
	KEYS_CTX_HELP = 4,   /* the ? help */
	KEYS_CTX_ALL = 7,
};

enum keys_action {
	KEYS_NONE = 0,
	KEYS_DOWN,
	KEYS_UP,
	KEYS_TOP,
	KEYS_BOTTOM,
	KEYS_PAGE_UP,
	KEYS_PAGE_DOWN,
	KEYS_OPEN,
	KEYS_BACK,
	KEYS_PANE,
	KEYS_TAB_NEXT,
	KEYS_TAB_PREV,
	KEYS_TAB_PICK, /* the key '1'..'5' picks the tab */
	KEYS_FOLLOW,
	KEYS_MATCH_NEXT,
	KEYS_MATCH_PREV,
	KEYS_BUP,
	KEYS_BDOWN,
	KEYS_RESTART,
	KEYS_REMOVE,
	KEYS_PROBE,
	KEYS_EXEC,
	KEYS_SHELL,
	KEYS_LOGS,
	KEYS_FILTER,
	KEYS_SEARCH,
	KEYS_COMMAND,
	KEYS_HELP,
	KEYS_REDRAW,
	KEYS_QUIT,
};

struct keys_binding {
	int keys[KEYS_MAX_PER]; /* 0-terminated unless full */
	const char *label;	/* every key, for the help: "j, Down" */
	const char *key;	/* the key as the footer shows it: "j" */
	enum keys_action action;
	unsigned ctx;	  /* KEYS_CTX_* bits */
	int mutating;	  /* changes a bottle: refused by --read-only */
	int footer;	  /* footer position (1 first), 0 = not in the footer */
	const char *word; /* footer word: "up" */
	const char *help; /* one line for ? */
};

/* keys_count / keys_at: the table, in help order. */
size_t keys_count(void);
const struct keys_binding *keys_at(size_t i);

/* keys_lookup: the binding key has in ctx (one KEYS_CTX_* bit), or NULL. */
const struct keys_binding *keys_lookup(int key, unsigned ctx);
/* keys_find: the first binding of action that applies in ctx, or NULL. */
const struct keys_binding *keys_find(enum keys_action action, unsigned ctx);

/* keys_footer: the footer bindings for ctx in footer order that fit in
 * width columns laid out as "KEY WORD" separated by two blanks; with
 * read_only the mutating ones are left out. Fills out (up to max) and
 * returns how many fit. */
size_t keys_footer(unsigned ctx, int read_only, int width,
		   const struct keys_binding **out, size_t max);

/* keys_help_lines: the key section of the ? help, one string per line:
 * a group title ("Everywhere") unindented, then one indented line per
 * binding of that group ("  u, ...   bring the bottle up"); every binding
 * of the table appears exactly once. Appended to out. */
void keys_help_lines(struct strv *out);

#endif
