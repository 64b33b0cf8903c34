/* text.h: every string the dashboard draws goes through text_draw, which
 * passes it through the sanitizer (sanitize.h) clipped to the columns it
 * may use, so nothing from a bottle can reach the terminal raw; plus pure
 * formatting of durations for display. */
#ifndef BOTTLE_TEXT_H
#define BOTTLE_TEXT_H

#include <curses.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* text_safe: append the sanitized form of s[0..len) to out, cut to
 * max_cols columns (0 = no bound) with a "…" (ASCII ">") marker, pure
 * ASCII when ascii. Returns the columns appended. */
size_t text_safe(struct buf *out, const char *s, size_t len, size_t max_cols,
		 int ascii);

/* text_draw: draw s (untrusted, any bytes) at (y, x) in at most width
 * columns with attribute a; returns the columns drawn. Never wraps. */
int text_draw(WINDOW *w, int y, int x, int width, const char *s, attr_t a,
	      int ascii);
/* text_draw_n: text_draw for s[0..len), which need not be NUL-terminated. */
int text_draw_n(WINDOW *w, int y, int x, int width, const char *s, size_t len,
		attr_t a, int ascii);
/* text_fill: width blanks at (y, x) with attribute a. */
void text_fill(WINDOW *w, int y, int x, int width, attr_t a);

/* text_width: display columns of UTF-8 text as the sanitizer counts them. */
size_t text_width(const char *s);

/* text_duration: a compact duration: "42s", "5m", "3h12m", "2d04h"; the
 * seconds are dropped from one minute on (the display is refreshed by
 * events, not by a clock). */
void text_duration(uint64_t ms, char *out, size_t outsz);
/* text_duration_next: milliseconds until the text_duration of
 * now_ms - since_ms next changes (its last unit ticks over); UINT64_MAX
 * when since_ms is 0 or in the future (nothing is shown). */
uint64_t text_duration_next(uint64_t since_ms, uint64_t now_ms);
/* text_age: how long ago then_ms was at now_ms (wall clock): "12s ago",
 * "5m ago", "never" when then_ms is 0, "just now" for a future time. */
void text_age(uint64_t then_ms, uint64_t now_ms, char *out, size_t outsz);

#endif
