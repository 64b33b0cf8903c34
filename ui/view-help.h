/* view-help.h: the ? help: every key binding from the key table (keys.h),
 * then the legend of marks and colours (assets/text/keys.txt). */
#ifndef BOTTLE_VIEW_HELP_H
#define BOTTLE_VIEW_HELP_H

#include "util.h"
#include "view.h"

struct view_help {
	int top;   /* first line shown */
	int lines; /* last frame: lines in all */
	int h;	   /* last frame: rows shown */
};

/* view_help_lines: the whole help text, one string per line. */
void view_help_lines(struct strv *out);
/* view_help_scroll: by delta lines (LONG_MIN / LONG_MAX: top / end). */
void view_help_scroll(struct view_help *v, long delta);
/* view_help_draw: in rows y0..y0+h-1. */
void view_help_draw(struct view_help *v, const struct view_ctx *c, int y0,
		    int h);

#endif
