/* view-detail.h: one bottle: the info pane (probe results with detail
 * and age, health per service, network and allowlist, VM, the last
 * command) and below it the log pane with tabs events / bundle / vm /
 * commands / exec, following the newest line until the user scrolls,
 * searchable, long lines clipped. */
#ifndef BOTTLE_VIEW_DETAIL_H
#define BOTTLE_VIEW_DETAIL_H

#include <stddef.h>
#include <stdint.h>

#include "bottle.h"
#include "logbuf.h"
#include "view.h"

enum view_detail_tab {
	VIEW_DETAIL_EVENTS = 0,
	VIEW_DETAIL_BUNDLE,
	VIEW_DETAIL_VM,
	VIEW_DETAIL_COMMANDS,
	VIEW_DETAIL_EXEC,
	VIEW_DETAIL_EGRESS, /* smolvm's denials (egress-events, 1.8.1+) */
	VIEW_DETAIL_NTABS
};

enum view_detail_focus {
	VIEW_DETAIL_INFO = 0,
	VIEW_DETAIL_LOG,
};

enum view_detail_allow {
	VIEW_DETAIL_ALLOW_NONE = 0, /* no allocation or no Smolfile yet */
	VIEW_DETAIL_ALLOW_OK,	    /* exactly ["B/32"], checked */
	VIEW_DETAIL_ALLOW_BAD,	    /* unreadable, or not exactly that */
};

struct view_detail {
	char *name; /* owned: the bottle shown, NULL when closed */
	enum view_detail_focus focus;
	enum view_detail_tab tab;
	int info_top;	     /* first info line shown */
	int info_lines;	     /* last frame: info lines in all */
	int info_h;	     /* last frame: info rows shown */
	int log_h;	     /* last frame: log rows shown */
	int follow;	     /* 1: the log pane shows the newest lines */
	uint64_t bottom_seq; /* paused: seq of the bottom line shown */
	char *search;	     /* owned: the last search, or NULL */
	/* The allowlist as the core read it back from the bottle's
	 * Smolfile (bottle_allowlist), as of the last frame. */
	char *allow;	 /* owned: "10.213.0.2/32", or why not verified */
	int allow_state; /* VIEW_DETAIL_ALLOW_* */
	int has_match;
	uint64_t match_seq; /* the current match's line */
};

/* view_detail_open: show bottle name, focus on the given pane and tab. */
void view_detail_open(struct view_detail *v, const char *name,
		      enum view_detail_focus focus, enum view_detail_tab tab);
void view_detail_release(struct view_detail *v);

/* view_detail_tab_name: "events", "bundle", ... */
const char *view_detail_tab_name(enum view_detail_tab t);
/* view_detail_ring: b's ring for a tab, or NULL when it has none (yet). */
struct logbuf *view_detail_ring(const struct bottle *b, enum view_detail_tab t);
/* view_detail_set_tab: switch tabs; the new tab follows. */
void view_detail_set_tab(struct view_detail *v, enum view_detail_tab t);

/* view_detail_window: which lines a pane of rows rows shows of a ring
 * holding count lines from first_seq: following, the newest; paused, the
 * ones ending at bottom_seq (clamped into the ring, the pane kept full).
 * *top is the index of the first line shown, *n how many. Pure. */
void view_detail_window(size_t count, uint64_t first_seq, int follow,
			uint64_t bottom_seq, int rows, size_t *top, size_t *n);

/* view_detail_scroll: scroll the focused pane by delta lines (LONG_MIN /
 * LONG_MAX: top / bottom). Scrolling the log up pauses following; the
 * bottom (G, End) follows again. */
void view_detail_scroll(struct view_detail *v, const struct bottle *b,
			long delta);
/* view_detail_page: one page (the focused pane's height) up (-1) or
 * down (1). */
void view_detail_page(struct view_detail *v, const struct bottle *b, int dir);
/* view_detail_follow: follow the newest line again. */
void view_detail_follow(struct view_detail *v);

/* view_detail_search: find needle (NULL: the last search) in the log
 * pane: dir < 0 older, > 0 newer, starting next to the current match,
 * or at the bottom line shown when there is none or again is 0. Shows
 * the match and pauses following. 0 found, -1 not. */
int view_detail_search(struct view_detail *v, const struct bottle *b,
		       const char *needle, int dir, int again);

/* view_detail_allowlist: the core's read-back of b's allowlist
 * (bottle_allowlist) into v->allow and v->allow_state. */
void view_detail_allowlist(struct view_detail *v, const struct bottle *b);
/* view_detail_draw: b in rows y0..y0+h-1. */
void view_detail_draw(struct view_detail *v, const struct view_ctx *c,
		      const struct bottle *b, int y0, int h);

#endif
