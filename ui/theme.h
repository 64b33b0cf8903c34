/* theme.h: colours with meaning (red = unsafe or failed, yellow = degraded
 * or in progress, green = proven healthy) and the text marks that carry
 * the same meaning on monochrome terminals, with NO_COLOR, and in ASCII. */
#ifndef BOTTLE_THEME_H
#define BOTTLE_THEME_H

#include <curses.h>

#include "bottle.h"
#include "probe.h"

enum theme_role {
	THEME_NORMAL = 0,
	THEME_DIM,     /* secondary: stopped rows, "-" placeholders */
	THEME_TITLE,   /* the program name, section titles */
	THEME_COLHEAD, /* column headers */
	THEME_GOOD,    /* proven healthy, PASS */
	THEME_WARN,    /* degraded, unknown, in progress */
	THEME_BAD,     /* unsafe, failed, FAIL, kill switch */
	THEME_BADGE,   /* SIMULATED, READ-ONLY: reverse video */
	THEME_KEY,     /* a key name in the footer and the help */
	THEME_MATCH,   /* a search match in the log pane */
	THEME_TAB,     /* the current log tab */
	THEME_ROLE_COUNT
};

struct theme {
	int color;		       /* colours in use */
	attr_t attr[THEME_ROLE_COUNT]; /* curses attributes per role */
};

/* theme_init: fill t for the running screen; colours only when color is
 * set and the terminal has them (call after newterm). */
void theme_init(struct theme *t, int color);
/* theme_attr: the attribute for a role. */
attr_t theme_attr(const struct theme *t, enum theme_role r);

/* theme_color_wanted: 0 when NO_COLOR (no_color, the variable's value or
 * NULL) asks for no colour, else 1. */
int theme_color_wanted(const char *no_color);
/* theme_codeset_utf8: 1 when a nl_langinfo(CODESET) name is UTF-8. */
int theme_codeset_utf8(const char *codeset);

/* theme_status_role: the colour meaning of a bottle status. */
enum theme_role theme_status_role(enum bottle_status s);
/* theme_bottle_role: the role of b's state cell: its status's, but red
 * for a bottle degraded by pipelock's kill switch. */
enum theme_role theme_bottle_role(const struct bottle *b);
/* theme_status_mark: a one-column mark for a status ("✓", "X"...); busy
 * has none (the spinner shows instead). */
const char *theme_status_mark(enum bottle_status s, int ascii);
/* theme_status_word: the status word as shown: "healthy", "UNSAFE". */
const char *theme_status_word(enum bottle_status s);

/* theme_verdict_role / theme_verdict_mark: one probe verdict. Marks are
 * ✓ ✗ ? ~ - (ASCII + X ? ~ -), and · (.) for a probe that never ran. */
enum theme_role theme_verdict_role(enum probe_verdict v);
const char *theme_verdict_mark(enum probe_verdict v, int ascii);

/* theme_spinner: frame n of the busy spinner (one column). */
const char *theme_spinner(unsigned n, int ascii);

#endif
