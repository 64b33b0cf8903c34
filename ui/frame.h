/* frame.h: what surrounds every view: two header rows (bottle counts by
 * state, docker and smolvm availability and versions, the SIMULATED and
 * READ-ONLY badges), the footer (the keys that apply now, from keys.h),
 * the message line, and the screen shown when the terminal is too small. */
#ifndef BOTTLE_FRAME_H
#define BOTTLE_FRAME_H

#include <stddef.h>

#include "bottle.h"
#include "view.h"

#define FRAME_MIN_COLS 80
#define FRAME_MIN_LINES 24
#define FRAME_HEADER_ROWS 2

enum frame_level {
	FRAME_INFO = 0,
	FRAME_WARN,
	FRAME_ERROR,
};

/* frame_counts: how many bottles have each status; counts has
 * BOTTLE_DRIFT + 1 entries. */
void frame_counts(struct bottle_core *core, size_t *counts);
/* frame_header: rows 0 and 1. */
void frame_header(const struct view_ctx *c);
/* frame_footer: the keys of kctx (KEYS_CTX_*) on row y, after the
 * filter when one is set. */
void frame_footer(const struct view_ctx *c, unsigned kctx, const char *filter,
		  int y);
/* frame_message: msg (may be NULL) on row y, coloured by level. */
void frame_message(const struct view_ctx *c, int y, const char *msg,
		   enum frame_level level);
/* frame_too_small: the whole screen says what size is needed. */
void frame_too_small(const struct view_ctx *c, int cols, int lines);

#endif
