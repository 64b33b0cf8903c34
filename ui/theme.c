/* theme.c: colour pairs, attributes per role, marks. */
#include "theme.h"

#include <string.h>
#include <strings.h>

enum {
	THEME_PAIR_GREEN = 1,
	THEME_PAIR_YELLOW,
	THEME_PAIR_RED,
	THEME_PAIR_CYAN,
	THEME_PAIR_MATCH,
};

static void theme_mono(struct theme *t)
{
	t->attr[THEME_NORMAL] = A_NORMAL;
	t->attr[THEME_DIM] = A_DIM;
	t->attr[THEME_TITLE] = A_BOLD;
	t->attr[THEME_COLHEAD] = A_BOLD | A_UNDERLINE;
	t->attr[THEME_GOOD] = A_NORMAL;
	t->attr[THEME_WARN] = A_BOLD;
	t->attr[THEME_BAD] = A_BOLD | A_UNDERLINE;
	t->attr[THEME_BADGE] = A_REVERSE | A_BOLD;
	t->attr[THEME_KEY] = A_BOLD;
	t->attr[THEME_MATCH] = A_REVERSE;
	t->attr[THEME_TAB] = A_REVERSE | A_BOLD;
}

void theme_init(struct theme *t, int color)
{
	short bg = COLOR_BLACK;

	memset(t, 0, sizeof(*t));
	theme_mono(t);
	if (!color || !has_colors() || start_color() == ERR)
		return;
	if (use_default_colors() == OK)
		bg = -1;
	init_pair(THEME_PAIR_GREEN, COLOR_GREEN, bg);
	init_pair(THEME_PAIR_YELLOW, COLOR_YELLOW, bg);
	init_pair(THEME_PAIR_RED, COLOR_RED, bg);
	init_pair(THEME_PAIR_CYAN, COLOR_CYAN, bg);
	init_pair(THEME_PAIR_MATCH, COLOR_BLACK, COLOR_CYAN);
	t->color = 1;
	t->attr[THEME_TITLE] = A_BOLD | COLOR_PAIR(THEME_PAIR_CYAN);
	t->attr[THEME_GOOD] = COLOR_PAIR(THEME_PAIR_GREEN);
	t->attr[THEME_WARN] = COLOR_PAIR(THEME_PAIR_YELLOW);
	t->attr[THEME_BAD] = A_BOLD | COLOR_PAIR(THEME_PAIR_RED);
	t->attr[THEME_BADGE] =
	    A_REVERSE | A_BOLD | COLOR_PAIR(THEME_PAIR_YELLOW);
	t->attr[THEME_KEY] = A_BOLD | COLOR_PAIR(THEME_PAIR_CYAN);
	t->attr[THEME_MATCH] = COLOR_PAIR(THEME_PAIR_MATCH);
}

attr_t theme_attr(const struct theme *t, enum theme_role r)
{
	if ((unsigned)r >= THEME_ROLE_COUNT)
		return A_NORMAL;
	return t->attr[r];
}

int theme_color_wanted(const char *no_color)
{
	/* no-color.org: set and not empty disables colour. */
	return no_color == NULL || *no_color == '\0';
}

int theme_codeset_utf8(const char *codeset)
{
	if (codeset == NULL)
		return 0;
	return strcasecmp(codeset, "UTF-8") == 0 ||
	       strcasecmp(codeset, "utf8") == 0;
}

enum theme_role theme_status_role(enum bottle_status s)
{
	switch (s) {
	case BOTTLE_HEALTHY:
		return THEME_GOOD;
	case BOTTLE_UNSAFE:
	case BOTTLE_FAILED:
		return THEME_BAD;
	case BOTTLE_BUSY:
	case BOTTLE_DEGRADED:
	case BOTTLE_UNKNOWN:
	case BOTTLE_DRIFT:
		return THEME_WARN;
	case BOTTLE_STOPPED:
		return THEME_DIM;
	}
	return THEME_NORMAL;
}

enum theme_role theme_bottle_role(const struct bottle *b)
{
	enum bottle_status s = bottle_status(b);

	/* pipelock's kill switch on is red, not a mere warning */
	if (s == BOTTLE_DEGRADED && b->kill_switch)
		return THEME_BAD;
	return theme_status_role(s);
}

const char *theme_status_mark(enum bottle_status s, int ascii)
{
	switch (s) {
	case BOTTLE_HEALTHY:
		return ascii ? "+" : "✓";
	case BOTTLE_UNSAFE:
	case BOTTLE_FAILED:
		return ascii ? "X" : "✗";
	case BOTTLE_DEGRADED:
		return "!";
	case BOTTLE_UNKNOWN:
		return "?";
	case BOTTLE_DRIFT:
		return "~";
	case BOTTLE_STOPPED:
		return "-";
	case BOTTLE_BUSY:
		break;
	}
	return " ";
}

const char *theme_status_word(enum bottle_status s)
{
	/* Failures are shouted so that they read without colour. */
	switch (s) {
	case BOTTLE_UNSAFE:
		return "UNSAFE";
	case BOTTLE_FAILED:
		return "FAILED";
	default:
		return bottle_status_name(s);
	}
}

enum theme_role theme_verdict_role(enum probe_verdict v)
{
	switch (v) {
	case PROBE_PASS:
		return THEME_GOOD;
	case PROBE_FAIL:
		return THEME_BAD;
	case PROBE_UNKNOWN:
	case PROBE_WARN:
		return THEME_WARN;
	case PROBE_SKIP:
	case PROBE_NONE:
		return THEME_DIM;
	}
	return THEME_NORMAL;
}

const char *theme_verdict_mark(enum probe_verdict v, int ascii)
{
	switch (v) {
	case PROBE_PASS:
		return ascii ? "+" : "✓";
	case PROBE_FAIL:
		return ascii ? "X" : "✗";
	case PROBE_UNKNOWN:
		return "?";
	case PROBE_WARN:
		return "~";
	case PROBE_SKIP:
		return "-";
	case PROBE_NONE:
		break;
	}
	return ascii ? "." : "·";
}

const char *theme_spinner(unsigned n, int ascii)
{
	static const char *const utf8[] = {"⠋", "⠙", "⠹", "⠸", "⠼",
					   "⠴", "⠦", "⠧", "⠇", "⠏"};
	static const char *const plain[] = {"|", "/", "-", "\\"};

	if (ascii)
		return plain[n % UTIL_NELEM(plain)];
	return utf8[n % UTIL_NELEM(utf8)];
}
