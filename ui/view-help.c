/* view-help.c: the ? help. */
#include "view-help.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "assets.h"
#include "keys.h"
#include "text.h"

void view_help_lines(struct strv *out)
{
	const char *s = assets_keys, *nl;

	strv_push(out, "Keys (q or Esc closes this help)");
	strv_push(out, "");
	keys_help_lines(out);
	strv_push(out, "");
	while (*s != '\0') {
		nl = strchr(s, '\n');
		if (nl == NULL) {
			strv_push(out, s);
			break;
		}
		strv_pushf(out, "%.*s", (int)(nl - s), s);
		s = nl + 1;
	}
}

void view_help_scroll(struct view_help *v, long delta)
{
	long max = (long)v->lines - (long)v->h, top;

	if (max < 0)
		max = 0;
	if (delta == LONG_MIN)
		top = 0;
	else if (delta == LONG_MAX)
		top = max;
	else
		top = (long)v->top + delta;
	if (top > max)
		top = max;
	if (top < 0)
		top = 0;
	v->top = (int)top;
}

void view_help_draw(struct view_help *v, const struct view_ctx *c, int y0,
		    int h)
{
	struct strv lines = STRV_INIT;
	int i, width = getmaxx(c->win) - 2;

	view_help_lines(&lines);
	v->lines = (int)lines.n;
	v->h = h;
	view_help_scroll(v, 0); /* clamp after a resize */
	for (i = 0; i < h && (size_t)(v->top + i) < lines.n; i++) {
		const char *l = lines.v[v->top + i];
		/* Unindented lines are titles. */
		enum theme_role r =
		    l[0] != ' ' && l[0] != '\0' ? THEME_TITLE : THEME_NORMAL;
		text_draw(c->win, y0 + i, 1, width, l, theme_attr(c->theme, r),
			  c->ascii);
	}
	strv_release(&lines);
}
