/* view-list.h: the bottle list: one row per bottle (configured and
 * discovered) with its state, network, VM, bundle health, probe marks
 * and uptime; selection by name, so it survives bottles coming and
 * going; a filter by name or state. */
#ifndef BOTTLE_VIEW_LIST_H
#define BOTTLE_VIEW_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "bottle.h"
#include "theme.h"
#include "view.h"

enum view_list_col {
	VIEW_LIST_NAME = 0,
	VIEW_LIST_STATE,  /* mark + status word, or spinner + step */
	VIEW_LIST_NET,	  /* bundle IP with the subnet's prefix: B/28 */
	VIEW_LIST_SUBNET, /* only on wide terminals */
	VIEW_LIST_VM,
	VIEW_LIST_BUNDLE, /* health; KILL SWITCH */
	VIEW_LIST_PROBES, /* one mark per probe */
	VIEW_LIST_UP,	  /* uptime */
	VIEW_LIST_NCOLS
};

#define VIEW_LIST_MIN_WIDTH 80

/* Column positions for one terminal width; w[c] == 0: not shown. */
struct view_list_layout {
	int x[VIEW_LIST_NCOLS];
	int w[VIEW_LIST_NCOLS];
};

/* view_list_layout: lay the columns out in width; -1 when narrower than
 * VIEW_LIST_MIN_WIDTH. Pure. */
int view_list_layout(int width, struct view_list_layout *out);
/* view_list_title: a column's header. */
const char *view_list_title(enum view_list_col c);

struct view_list_cell {
	char text[80]; /* unsanitized: drawn through text_draw */
	enum theme_role role;
};

struct view_list_row {
	struct view_list_cell cell[VIEW_LIST_NCOLS];
	const char *probe_mark[PROBE_COUNT]; /* static strings */
	enum theme_role probe_role[PROBE_COUNT];
};

/* view_list_row: the cells of b's row at wall clock now_ms. Pure. */
void view_list_row(const struct bottle *b, int ascii, unsigned spin,
		   uint64_t now_ms, struct view_list_row *out);

/* view_list_match: 1 when filter (NULL or "" = all) is found, ignoring
 * case, in b's name or status word. */
int view_list_match(const struct bottle *b, const char *filter);

struct view_list {
	char *selected; /* owned: name of the selected bottle, or NULL */
	size_t index;	/* its position among the matches (fallback) */
	size_t top;	/* first match shown */
	char *filter;	/* owned or NULL */
	int page;	/* rows shown by the last frame */
};

void view_list_release(struct view_list *v);
/* view_list_selected: the selected bottle among the matches (the one at
 * the same position when it went away), or NULL when none match. */
struct bottle *view_list_selected(struct view_list *v,
				  struct bottle_core *core);
/* view_list_select: select the bottle called name. */
void view_list_select(struct view_list *v, const char *name);
/* view_list_move: move the selection by delta rows (clamped; LONG_MIN
 * and LONG_MAX go to the first and last). */
void view_list_move(struct view_list *v, struct bottle_core *core, long delta);
/* view_list_set_filter: NULL or "" removes it. */
void view_list_set_filter(struct view_list *v, const char *filter);
/* view_list_draw: the column header and rows in rows y0..y0+h-1. */
void view_list_draw(struct view_list *v, const struct view_ctx *c, int y0,
		    int h);

#endif
