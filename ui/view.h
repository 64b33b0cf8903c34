/* view.h: what every view's draw function gets for one frame. */
#ifndef BOTTLE_VIEW_H
#define BOTTLE_VIEW_H

#include <curses.h>
#include <stdint.h>

#include "bottle.h"
#include "theme.h"

struct view_ctx {
	struct bottle_core *core;  /* borrowed */
	const struct theme *theme; /* borrowed */
	WINDOW *win;		   /* where to draw (stdscr) */
	int ascii;		   /* ASCII marks and text only */
	int read_only;		   /* --read-only */
	unsigned spin;		   /* spinner frame */
	uint64_t now_ms;	   /* wall clock, one per frame */
};

#endif
