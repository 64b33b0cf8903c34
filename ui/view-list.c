/* view-list.c: the bottle list. */
#include "view-list.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "text.h"
#include "wall.h"

static const struct {
	const char *title;
	int min; /* 0: optional column */
} view_list_cols[VIEW_LIST_NCOLS] = {
    [VIEW_LIST_NAME] = {"NAME", 10},
    [VIEW_LIST_STATE] = {"STATE", 15},
    [VIEW_LIST_NET] = {"BUNDLE IP", 18},
    [VIEW_LIST_SUBNET] = {"SUBNET", 0},
    [VIEW_LIST_VM] = {"VM", 7},
    [VIEW_LIST_BUNDLE] = {"BUNDLE", 11},
    [VIEW_LIST_PROBES] = {"PROBES", PROBE_COUNT},
    [VIEW_LIST_UP] = {"UP", 6},
};

#define VIEW_LIST_NAME_MAX 32
#define VIEW_LIST_SUBNET_W 18
#define VIEW_LIST_VM_MAX 10

const char *view_list_title(enum view_list_col c)
{
	return (unsigned)c < VIEW_LIST_NCOLS ? view_list_cols[c].title : "";
}

static int view_list_grow(int *w, int max, int *slack)
{
	int add = max - *w;

	if (add > *slack)
		add = *slack;
	if (add > 0) {
		*w += add;
		*slack -= add;
	}
	return add;
}

int view_list_layout(int width, struct view_list_layout *out)
{
	int used = 1, slack, x = 1, c;

	memset(out, 0, sizeof(*out));
	for (c = 0; c < VIEW_LIST_NCOLS; c++) {
		out->w[c] = view_list_cols[c].min;
		if (out->w[c] > 0)
			used += out->w[c] + (used > 1 ? 1 : 0);
	}
	if (width < VIEW_LIST_MIN_WIDTH || used > width) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	slack = width - used;
	view_list_grow(&out->w[VIEW_LIST_NAME], 16, &slack);
	if (slack >= VIEW_LIST_SUBNET_W + 1) {
		out->w[VIEW_LIST_SUBNET] = VIEW_LIST_SUBNET_W;
		slack -= VIEW_LIST_SUBNET_W + 1;
	}
	view_list_grow(&out->w[VIEW_LIST_NAME], VIEW_LIST_NAME_MAX, &slack);
	view_list_grow(&out->w[VIEW_LIST_VM], VIEW_LIST_VM_MAX, &slack);
	for (c = 0; c < VIEW_LIST_NCOLS; c++) {
		if (out->w[c] == 0)
			continue;
		out->x[c] = x;
		x += out->w[c] + 1;
	}
	return 0;
}

static void view_list_set(struct view_list_cell *cell, enum theme_role role,
			  const char *fmt, ...) UTIL_PRINTF(3, 4);

static void view_list_set(struct view_list_cell *cell, enum theme_role role,
			  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cell->text, sizeof(cell->text), fmt, ap);
	va_end(ap);
	cell->role = role;
}

static void view_list_net(const struct bottle *b, struct view_list_cell *cell)
{
	const char *slash = b->subnet != NULL ? strchr(b->subnet, '/') : NULL;

	if (b->bundle_ip != NULL && slash != NULL)
		view_list_set(cell, THEME_NORMAL, "%s%s", b->bundle_ip, slash);
	else if (b->bundle_ip != NULL)
		view_list_set(cell, THEME_NORMAL, "%s", b->bundle_ip);
	else if (b->subnet != NULL)
		view_list_set(cell, THEME_NORMAL, "%s", b->subnet);
	else
		view_list_set(cell, THEME_DIM, "-");
}

static void view_list_bundle(const struct bottle *b,
			     struct view_list_cell *cell)
{
	if (b->bundle_state == NULL)
		view_list_set(cell, THEME_DIM, "-");
	else if (b->kill_switch)
		view_list_set(cell, THEME_BAD, "KILL SWITCH");
	else if (strcmp(b->bundle_state, "running") != 0)
		view_list_set(cell, THEME_BAD, "%s", b->bundle_state);
	else if (b->health_ok == 1)
		view_list_set(cell, THEME_GOOD, "ok");
	else if (b->health_ok == 0)
		view_list_set(cell, THEME_WARN, "unhealthy");
	else
		view_list_set(cell, THEME_NORMAL, "running");
}

static void view_list_state(const struct bottle *b, int ascii, unsigned spin,
			    struct view_list_cell *cell)
{
	enum bottle_status s = bottle_status(b);

	if (s == BOTTLE_BUSY && b->op == BOTTLE_OP_NONE &&
	    b->busy_other != NULL) {
		/* "PID OP": another bottle process works on it */
		const char *sp = strchr(b->busy_other, ' ');
		view_list_set(
		    cell, THEME_WARN, "%s %s (pid %.*s)",
		    theme_spinner(spin, ascii), sp != NULL ? sp + 1 : "busy",
		    sp != NULL ? (int)(sp - b->busy_other) : 0, b->busy_other);
		return;
	}
	if (s == BOTTLE_BUSY) {
		const char *what = b->step != BOTTLE_STEP_NONE
				       ? bottle_step_name(b->step)
				       : bottle_op_name(b->op);
		view_list_set(cell, THEME_WARN, "%s %s",
			      theme_spinner(spin, ascii), what);
		return;
	}
	if (s == BOTTLE_UNKNOWN && b->probes_at_ms != 0 && bottle_all_pass(b) &&
	    wall_guest_reported(b)) {
		/* every probe passed, some on the guest's word only */
		view_list_set(cell, THEME_WARN, "%s healthy (guest-reported)",
			      theme_status_mark(s, ascii));
		return;
	}
	view_list_set(cell, theme_bottle_role(b), "%s %s",
		      theme_status_mark(s, ascii), theme_status_word(s));
}

void view_list_row(const struct bottle *b, int ascii, unsigned spin,
		   uint64_t now_ms, struct view_list_row *out)
{
	int stopped = bottle_status(b) == BOTTLE_STOPPED;
	size_t i;

	memset(out, 0, sizeof(*out));
	view_list_set(&out->cell[VIEW_LIST_NAME],
		      stopped ? THEME_DIM : THEME_NORMAL, "%s", b->name);
	view_list_state(b, ascii, spin, &out->cell[VIEW_LIST_STATE]);
	view_list_net(b, &out->cell[VIEW_LIST_NET]);
	view_list_set(&out->cell[VIEW_LIST_SUBNET],
		      b->subnet != NULL ? THEME_NORMAL : THEME_DIM, "%s",
		      b->subnet != NULL ? b->subnet : "-");
	if (b->vm_state == NULL)
		view_list_set(&out->cell[VIEW_LIST_VM], THEME_DIM, "-");
	else
		view_list_set(&out->cell[VIEW_LIST_VM],
			      strcmp(b->vm_state, "running") == 0 ? THEME_NORMAL
								  : THEME_WARN,
			      "%s", b->vm_state);
	view_list_bundle(b, &out->cell[VIEW_LIST_BUNDLE]);
	for (i = 0; i < PROBE_COUNT; i++) {
		out->probe_mark[i] =
		    theme_verdict_mark(b->probes[i].verdict, ascii);
		out->probe_role[i] = theme_verdict_role(b->probes[i].verdict);
	}
	if (b->up_since_ms != 0 && b->up_since_ms <= now_ms) {
		text_duration(now_ms - b->up_since_ms,
			      out->cell[VIEW_LIST_UP].text,
			      sizeof(out->cell[VIEW_LIST_UP].text));
		out->cell[VIEW_LIST_UP].role = THEME_NORMAL;
	} else {
		view_list_set(&out->cell[VIEW_LIST_UP], THEME_DIM, "-");
	}
}

int view_list_match(const struct bottle *b, const char *filter)
{
	enum bottle_status s;

	if (filter == NULL || *filter == '\0')
		return 1;
	if (strcasestr(b->name, filter) != NULL)
		return 1;
	s = bottle_status(b);
	return strcasestr(bottle_status_name(s), filter) != NULL;
}

void view_list_release(struct view_list *v)
{
	free(v->selected);
	free(v->filter);
	memset(v, 0, sizeof(*v));
}

/* The bottles that match the filter, in the core's order; caller frees. */
static size_t view_list_matches(const struct view_list *v,
				struct bottle_core *core, struct bottle ***out)
{
	size_t n = bottle_core_count(core), i, k = 0;
	struct bottle **m = xcalloc(n + 1, sizeof(*m));

	for (i = 0; i < n; i++) {
		struct bottle *b = bottle_core_at(core, i);
		if (view_list_match(b, v->filter))
			m[k++] = b;
	}
	*out = m;
	return k;
}

/* Resolve the selection among m[0..n): by name, else by position. */
static size_t view_list_resolve(struct view_list *v, struct bottle **m,
				size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (util_streq(m[i]->name, v->selected)) {
			v->index = i;
			return i;
		}
	if (v->index >= n)
		v->index = n - 1;
	free(v->selected);
	v->selected = xstrdup(m[v->index]->name);
	return v->index;
}

struct bottle *view_list_selected(struct view_list *v, struct bottle_core *core)
{
	struct bottle **m, *b = NULL;
	size_t n = view_list_matches(v, core, &m);

	if (n > 0)
		b = m[view_list_resolve(v, m, n)];
	free(m);
	return b;
}

void view_list_select(struct view_list *v, const char *name)
{
	free(v->selected);
	v->selected = name != NULL ? xstrdup(name) : NULL;
}

void view_list_move(struct view_list *v, struct bottle_core *core, long delta)
{
	struct bottle **m;
	size_t n = view_list_matches(v, core, &m), i;
	long to;

	if (n > 0) {
		i = view_list_resolve(v, m, n);
		if (delta == LONG_MIN)
			to = 0;
		else if (delta == LONG_MAX)
			to = (long)n - 1;
		else
			to = (long)i + delta;
		if (to < 0)
			to = 0;
		if (to > (long)n - 1)
			to = (long)n - 1;
		v->index = (size_t)to;
		view_list_select(v, m[to]->name);
	}
	free(m);
}

void view_list_set_filter(struct view_list *v, const char *filter)
{
	free(v->filter);
	v->filter = filter != NULL && *filter != '\0' ? xstrdup(filter) : NULL;
}

static void view_list_draw_row(const struct view_ctx *c,
			       const struct view_list_layout *lay,
			       const struct bottle *b, int y, int selected)
{
	struct view_list_row row;
	attr_t sel = selected ? A_REVERSE : 0;
	int col;
	size_t i;

	view_list_row(b, c->ascii, c->spin, c->now_ms, &row);
	if (selected)
		text_fill(c->win, y, 0, getmaxx(c->win), A_REVERSE);
	for (col = 0; col < VIEW_LIST_NCOLS; col++) {
		if (lay->w[col] == 0)
			continue;
		if (col == VIEW_LIST_PROBES) {
			for (i = 0; i < PROBE_COUNT; i++)
				text_draw(
				    c->win, y, lay->x[col] + (int)i, 1,
				    row.probe_mark[i],
				    theme_attr(c->theme, row.probe_role[i]) |
					sel,
				    c->ascii);
			continue;
		}
		text_draw(
		    c->win, y, lay->x[col], lay->w[col], row.cell[col].text,
		    theme_attr(c->theme, row.cell[col].role) | sel, c->ascii);
	}
}

void view_list_draw(struct view_list *v, const struct view_ctx *c, int y0,
		    int h)
{
	struct view_list_layout lay;
	struct bottle **m;
	size_t n, sel, i;
	int rows = h - 1, col;
	attr_t head = theme_attr(c->theme, THEME_COLHEAD);

	if (view_list_layout(getmaxx(c->win), &lay) < 0 || h < 2)
		return;
	for (col = 0; col < VIEW_LIST_NCOLS; col++)
		if (lay.w[col] > 0)
			text_draw(c->win, y0, lay.x[col], lay.w[col],
				  view_list_cols[col].title, head, c->ascii);
	v->page = rows;
	n = view_list_matches(v, c->core, &m);
	if (n == 0) {
		const char *msg =
		    bottle_core_count(c->core) == 0
			? "no bottles: add some to the configuration "
			  "(see bottle.json(5)); : up NAME"
			: "no bottle matches the filter (Esc clears it)";
		text_draw(c->win, y0 + 2, 2, getmaxx(c->win) - 4, msg,
			  theme_attr(c->theme, THEME_DIM), c->ascii);
		free(m);
		return;
	}
	sel = view_list_resolve(v, m, n);
	if (v->top > sel)
		v->top = sel;
	if (sel >= v->top + (size_t)rows)
		v->top = sel - (size_t)rows + 1;
	if (v->top + (size_t)rows > n)
		v->top = n > (size_t)rows ? n - (size_t)rows : 0;
	for (i = v->top; i < n && i < v->top + (size_t)rows; i++)
		view_list_draw_row(c, &lay, m[i], y0 + 1 + (int)(i - v->top),
				   i == sel);
	free(m);
}
