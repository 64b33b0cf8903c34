/* view-detail.c: one bottle's info pane and log pane. */
#include "view-detail.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"
#include "text.h"
#include "wall.h"

#define VIEW_DETAIL_VALUE_X 11 /* where values start after a label */

static const char *const view_detail_tabs[VIEW_DETAIL_NTABS] = {
    [VIEW_DETAIL_EVENTS] = "events", [VIEW_DETAIL_BUNDLE] = "bundle",
    [VIEW_DETAIL_VM] = "vm",	     [VIEW_DETAIL_COMMANDS] = "commands",
    [VIEW_DETAIL_EXEC] = "exec",     [VIEW_DETAIL_EGRESS] = "egress",
};

const char *view_detail_tab_name(enum view_detail_tab t)
{
	return (unsigned)t < VIEW_DETAIL_NTABS ? view_detail_tabs[t] : "?";
}

struct logbuf *view_detail_ring(const struct bottle *b, enum view_detail_tab t)
{
	if (b == NULL)
		return NULL;
	switch (t) {
	case VIEW_DETAIL_EVENTS:
		return b->log_events;
	case VIEW_DETAIL_BUNDLE:
		return b->log_bundle;
	case VIEW_DETAIL_VM:
		return b->log_vm;
	case VIEW_DETAIL_COMMANDS:
		return b->log_commands;
	case VIEW_DETAIL_EXEC:
		return b->log_exec;
	case VIEW_DETAIL_EGRESS:
		return b->log_egress;
	case VIEW_DETAIL_NTABS:
		break;
	}
	return NULL;
}

void view_detail_open(struct view_detail *v, const char *name,
		      enum view_detail_focus focus, enum view_detail_tab tab)
{
	int same = util_streq(v->name, name);

	if (!same) {
		free(v->name);
		v->name = xstrdup(name);
		v->info_top = 0;
		free(v->search);
		v->search = NULL;
	}
	v->focus = focus;
	if (!same || v->tab != tab)
		view_detail_set_tab(v, tab);
}

void view_detail_release(struct view_detail *v)
{
	free(v->name);
	free(v->search);
	free(v->allow);
	memset(v, 0, sizeof(*v));
}

void view_detail_allowlist(struct view_detail *v, const struct bottle *b)
{
	const char *text = NULL;
	enum bottle_allow st;

	st = bottle_allowlist(b, &text);
	free(v->allow);
	v->allow = xstrdup(text);
	v->allow_state = st == BOTTLE_ALLOW_OK	  ? VIEW_DETAIL_ALLOW_OK
			 : st == BOTTLE_ALLOW_BAD ? VIEW_DETAIL_ALLOW_BAD
						  : VIEW_DETAIL_ALLOW_NONE;
}

void view_detail_set_tab(struct view_detail *v, enum view_detail_tab t)
{
	if ((unsigned)t >= VIEW_DETAIL_NTABS)
		t = VIEW_DETAIL_EVENTS;
	v->tab = t;
	v->follow = 1;
	v->bottom_seq = 0;
	v->has_match = 0;
}

void view_detail_follow(struct view_detail *v)
{
	v->follow = 1;
	v->has_match = 0;
}

void view_detail_window(size_t count, uint64_t first_seq, int follow,
			uint64_t bottom_seq, int rows, size_t *top, size_t *n)
{
	size_t bottom, full;

	*top = 0;
	*n = 0;
	if (count == 0 || rows <= 0)
		return;
	if (follow || bottom_seq >= first_seq + count)
		bottom = count - 1;
	else if (bottom_seq < first_seq)
		bottom = 0;
	else
		bottom = (size_t)(bottom_seq - first_seq);
	full = (size_t)rows < count ? (size_t)rows : count;
	if (bottom < full - 1)
		bottom = full - 1; /* keep the pane full */
	*top = bottom + 1 - full;
	*n = full;
}

static void view_detail_scroll_info(struct view_detail *v, long delta)
{
	long max = (long)v->info_lines - (long)v->info_h, top;

	if (max < 0)
		max = 0;
	if (delta == LONG_MIN)
		top = 0;
	else if (delta == LONG_MAX)
		top = max;
	else
		top = (long)v->info_top + delta;
	if (top > max)
		top = max;
	if (top < 0)
		top = 0;
	v->info_top = (int)top;
}

static void view_detail_scroll_log(struct view_detail *v,
				   const struct bottle *b, long delta)
{
	struct logbuf *lb = view_detail_ring(b, v->tab);
	size_t count = lb != NULL ? logbuf_count(lb) : 0, top, n;
	uint64_t first, bottom, lo, hi;
	int rows = v->log_h > 0 ? v->log_h : 1;
	long long to;

	if (delta == LONG_MAX) {
		view_detail_follow(v);
		return;
	}
	if (count <= (size_t)rows)
		return; /* everything shows: nothing to scroll */
	first = logbuf_first_seq(lb);
	view_detail_window(count, first, v->follow, v->bottom_seq, rows, &top,
			   &n);
	bottom = first + top + n - 1;
	lo = first + (uint64_t)rows - 1;
	hi = first + count - 1;
	if (delta == LONG_MIN)
		to = (long long)lo;
	else
		to = (long long)bottom + delta;
	if (to < (long long)lo)
		to = (long long)lo;
	if (to > (long long)hi)
		to = (long long)hi;
	v->follow = 0;
	v->bottom_seq = (uint64_t)to;
}

void view_detail_scroll(struct view_detail *v, const struct bottle *b,
			long delta)
{
	if (v->focus == VIEW_DETAIL_INFO)
		view_detail_scroll_info(v, delta);
	else
		view_detail_scroll_log(v, b, delta);
}

void view_detail_page(struct view_detail *v, const struct bottle *b, int dir)
{
	int h = v->focus == VIEW_DETAIL_INFO ? v->info_h : v->log_h;

	if (h < 2)
		h = 2;
	view_detail_scroll(v, b, (long)dir * (h - 1));
}

int view_detail_search(struct view_detail *v, const struct bottle *b,
		       const char *needle, int dir, int again)
{
	struct logbuf *lb = view_detail_ring(b, v->tab);
	size_t count = lb != NULL ? logbuf_count(lb) : 0, top, n, from, found;
	uint64_t first;
	int rows = v->log_h > 0 ? v->log_h : 1;

	if (needle != NULL) {
		free(v->search);
		v->search = xstrdup(needle);
	}
	if (v->search == NULL || count == 0)
		return -1;
	first = logbuf_first_seq(lb);
	if (again && v->has_match &&
	    logbuf_seq_index(lb, v->match_seq, &from) == 0) {
		if (dir < 0 && from == 0)
			return -1;
		from = dir < 0 ? from - 1 : from + 1;
		if (from >= count)
			return -1;
	} else {
		view_detail_window(count, first, v->follow, v->bottom_seq, rows,
				   &top, &n);
		from = dir < 0 ? top + n - 1 : top;
	}
	if (logbuf_find(lb, from, dir < 0 ? -1 : 1, v->search, &found) < 0)
		return -1;
	v->has_match = 1;
	v->match_seq = first + found;
	v->follow = 0;
	v->bottom_seq = v->match_seq + (uint64_t)(rows / 2);
	if (v->bottom_seq > first + count - 1)
		v->bottom_seq = first + count - 1;
	return 0;
}

/* ---- the info pane -------------------------------------------------- */

/* Writes lines top.. of the info text into rows y0..y0+h-1; with h == 0
 * it only counts lines. */
struct view_detail_out {
	const struct view_ctx *c;
	const struct view_detail *v; /* the allowlist cache, or NULL */
	int y0, h, top;
	int line; /* current line */
	int x;	  /* next column in it */
};

static int view_detail_shown(const struct view_detail_out *o)
{
	return o->line >= o->top && o->line < o->top + o->h;
}

static void view_detail_seg(struct view_detail_out *o, enum theme_role r,
			    const char *s)
{
	int width = getmaxx(o->c->win) - 1 - o->x;

	if (!view_detail_shown(o) || width <= 0)
		return;
	o->x += text_draw(o->c->win, o->y0 + o->line - o->top, o->x, width, s,
			  theme_attr(o->c->theme, r), o->c->ascii);
}

static void view_detail_segf(struct view_detail_out *o, enum theme_role r,
			     const char *fmt, ...) UTIL_PRINTF(3, 4);

static void view_detail_segf(struct view_detail_out *o, enum theme_role r,
			     const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (!view_detail_shown(o))
		return;
	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	view_detail_seg(o, r, s);
	free(s);
}

static void view_detail_col(struct view_detail_out *o, int x)
{
	if (o->x < x)
		o->x = x;
	else
		o->x++;
}

/* Start a line with a label ("probes") in the label column. */
static void view_detail_label(struct view_detail_out *o, const char *label,
			      enum theme_role r)
{
	o->x = 1;
	view_detail_seg(o, r, label);
	view_detail_col(o, VIEW_DETAIL_VALUE_X);
}

static void view_detail_nl(struct view_detail_out *o)
{
	o->line++;
	o->x = 1;
}

/* A long value (an error, drift) on as many lines as it needs, each
 * continuation indented to the value column: not clipped, and never
 * wrapped by the terminal. */
static void view_detail_wrapped(struct view_detail_out *o, enum theme_role r,
				const char *text)
{
	struct buf safe = BUF_INIT;
	size_t width, off = 0, n;
	int cols = getmaxx(o->c->win) - 1 - VIEW_DETAIL_VALUE_X;

	if (cols < 8)
		cols = 8;
	width = (size_t)cols;
	/* sanitize first, so that the cut points are in display columns */
	text_safe(&safe, text, strlen(text), 0, o->c->ascii);
	do {
		n = sanitize_fit(safe.data + off, safe.len - off, width, NULL);
		if (n == 0) /* a character wider than the pane */
			n = 1;
		/* break after a blank in the second half, if there is one */
		if (off + n < safe.len) {
			size_t k = n;
			while (k > n / 2 && safe.data[off + k - 1] != ' ')
				k--;
			if (k > n / 2)
				n = k;
		}
		if (off > 0) {
			view_detail_nl(o);
			o->x = VIEW_DETAIL_VALUE_X;
		}
		if (view_detail_shown(o))
			text_draw_n(o->c->win, o->y0 + o->line - o->top, o->x,
				    cols, safe.data + off, n,
				    theme_attr(o->c->theme, r), o->c->ascii);
		off += n;
	} while (off < safe.len);
	buf_release(&safe);
}

static void view_detail_info_state(struct view_detail_out *o,
				   const struct bottle *b)
{
	char d[32];

	if (b->op != BOTTLE_OP_NONE) {
		uint64_t now = util_mono_ms();
		text_duration(
		    now > b->step_started_ms ? now - b->step_started_ms : 0, d,
		    sizeof(d));
		view_detail_label(o, "step", THEME_TITLE);
		view_detail_segf(o, THEME_WARN, "%s %s: %s (%s)",
				 theme_spinner(o->c->spin, o->c->ascii),
				 bottle_op_name(b->op),
				 bottle_step_name(b->step), d);
		view_detail_nl(o);
	}
	if (b->op == BOTTLE_OP_NONE && b->busy_other != NULL) {
		view_detail_label(o, "step", THEME_TITLE);
		view_detail_segf(o, THEME_WARN,
				 "%s another bottle process (pid, operation: "
				 "%s) is working on it",
				 theme_spinner(o->c->spin, o->c->ascii),
				 b->busy_other);
		view_detail_nl(o);
	}
	if (b->error != NULL) {
		view_detail_label(o, "error", THEME_BAD);
		view_detail_wrapped(o, THEME_BAD, b->error);
		view_detail_nl(o);
	}
	if (b->drift != NULL) {
		view_detail_label(o, "drift", THEME_WARN);
		view_detail_wrapped(o, THEME_WARN, b->drift);
		view_detail_nl(o);
	}
	if (b->cfg == NULL) {
		view_detail_label(o, "config", THEME_WARN);
		view_detail_seg(o, THEME_WARN,
				"not configured: discovered from docker "
				"labels (only down and rm apply)");
		view_detail_nl(o);
	}
}

static void view_detail_info_probes(struct view_detail_out *o,
				    const struct bottle *b)
{
	size_t i, fail = 0, unknown = 0, pass = 0;
	char age[32];

	for (i = 0; i < PROBE_COUNT; i++) {
		enum probe_verdict v = b->probes[i].verdict;
		fail += v == PROBE_FAIL;
		unknown += v == PROBE_UNKNOWN;
		pass += v == PROBE_PASS || v == PROBE_WARN || v == PROBE_SKIP;
	}
	view_detail_label(o, "probes", THEME_TITLE);
	if (b->probes_at_ms == 0) {
		view_detail_seg(o, THEME_DIM, "never run");
	} else {
		text_age(b->probes_at_ms, o->c->now_ms, age, sizeof(age));
		if (fail > 0)
			view_detail_segf(o, THEME_BAD, "%zu FAILED", fail);
		else if (unknown > 0 || pass < PROBE_COUNT)
			view_detail_segf(o, THEME_WARN, "%zu unknown",
					 PROBE_COUNT - pass);
		else
			view_detail_seg(o, THEME_GOOD, "all passed");
		view_detail_segf(o, THEME_NORMAL, ", %s", age);
	}
	if (b->probing)
		view_detail_segf(o, THEME_WARN, "  %s running",
				 theme_spinner(o->c->spin, o->c->ascii));
	view_detail_nl(o);
	for (i = 0; i < PROBE_COUNT; i++) {
		const struct probe_result *r = &b->probes[i];
		enum theme_role role = theme_verdict_role(r->verdict);
		o->x = 3;
		view_detail_seg(o, role,
				theme_verdict_mark(r->verdict, o->c->ascii));
		view_detail_col(o, 5);
		view_detail_seg(o, THEME_NORMAL, probe_name((enum probe_id)i));
		view_detail_col(o, 24);
		view_detail_seg(o, role, probe_verdict_name(r->verdict));
		view_detail_col(o, 32);
		if (r->detail != NULL)
			view_detail_seg(o, THEME_NORMAL, r->detail);
		if (r->at_ms != 0) {
			text_age(r->at_ms, o->c->now_ms, age, sizeof(age));
			view_detail_segf(o, THEME_DIM, "  (%s, %llu ms)", age,
					 (unsigned long long)r->latency_ms);
		}
		view_detail_nl(o);
		/* a PASS on the guest's word only says so under it (the
		 * host's evidence is in the status and `status --json`:
		 * the detail stays one line per probe when all is proven) */
		if (b->probe_evidence_text[i][0] != '\0' &&
		    b->probe_evidence[i] != PROBE_HOST_PROVEN) {
			view_detail_col(o, 32);
			view_detail_seg(o, THEME_WARN,
					b->probe_evidence_text[i]);
			view_detail_nl(o);
		}
	}
}

/* view_detail_info_host: what the host itself sees of the VM: the VMM's
 * sockets and the second wall (or that the VMM's allowlist is the only
 * wall). */
static void view_detail_info_host(struct view_detail_out *o,
				  const struct bottle *b)
{
	char *d;

	if (b->vm_state == NULL || strcmp(b->vm_state, "running") != 0 ||
	    (b->vmm_uid == 0 && b->vmm_uid_why[0] == '\0' && b->wall == 0 &&
	     b->wall_why[0] == '\0'))
		return; /* nothing known yet */
	view_detail_label(o, "host", THEME_TITLE);
	if (b->vmm_stray[0] != '\0')
		view_detail_wrapped(o, THEME_BAD, b->vmm_stray);
	else if (b->vmm_uid != 0)
		view_detail_segf(o, THEME_NORMAL,
				 "uid %u: no socket to anything but B",
				 b->vmm_uid);
	else
		view_detail_wrapped(o, THEME_WARN,
				    b->vmm_uid_why[0]
					? b->vmm_uid_why
					: "the VMM's sockets can't be told");
	view_detail_nl(o);
	d = wall_describe(b);
	view_detail_label(o, "wall", THEME_TITLE);
	view_detail_wrapped(o,
			    b->wall == 1 && !wall_breach(b) ? THEME_NORMAL
			    : wall_breach(b)		    ? THEME_BAD
							    : THEME_WARN,
			    d != NULL ? d : "not yet in place");
	view_detail_nl(o);
	free(d);
}

static void view_detail_info_net(struct view_detail_out *o,
				 const struct bottle *b)
{
	char m[80];

	view_detail_label(o, "network", THEME_TITLE);
	view_detail_segf(o, THEME_NORMAL, "subnet %s  bundle %s",
			 b->subnet != NULL ? b->subnet : "-",
			 b->bundle_ip != NULL ? b->bundle_ip : "-");
	if (!b->net_present && b->subnet != NULL)
		view_detail_seg(o, THEME_DIM, "  (no docker network)");
	view_detail_nl(o);
	if (o->v != NULL && o->v->allow != NULL) {
		view_detail_label(o, "allowlist", THEME_TITLE);
		if (o->v->allow_state == VIEW_DETAIL_ALLOW_BAD) {
			view_detail_wrapped(o, THEME_BAD, o->v->allow);
		} else {
			view_detail_seg(o,
					o->v->allow_state ==
						VIEW_DETAIL_ALLOW_OK
					    ? THEME_GOOD
					    : THEME_DIM,
					o->v->allow);
			if (o->v->allow_state == VIEW_DETAIL_ALLOW_OK)
				view_detail_seg(o, THEME_DIM,
						"  (read back from the "
						"Smolfile: the only address "
						"the VM may reach)");
		}
		view_detail_nl(o);
	}

	bottle_machine(b, m, sizeof(m));
	view_detail_label(o, "vm", THEME_TITLE);
	if (b->vm_state == NULL)
		view_detail_seg(o, THEME_DIM, "none");
	else
		view_detail_seg(o,
				util_streq(b->vm_state, "running")
				    ? THEME_NORMAL
				    : THEME_WARN,
				b->vm_state);
	if (b->vm_pid > 0)
		view_detail_segf(o, THEME_NORMAL, "  pid %d", b->vm_pid);
	view_detail_segf(o, THEME_DIM, "  machine %s", m);
	if (b->cfg != NULL && b->cfg->vm.image != NULL)
		view_detail_segf(o, THEME_DIM, "  image %s", b->cfg->vm.image);
	view_detail_nl(o);
}

static const char *view_detail_onoff(int v)
{
	return v < 0 ? "?" : v ? "on" : "off";
}

static void view_detail_info_service(struct view_detail_out *o,
				     const struct health_service_result *r)
{
	o->x = 3;
	view_detail_seg(o, THEME_NORMAL, r->name);
	view_detail_col(o, 16);
	view_detail_seg(o, r->ok ? THEME_GOOD : THEME_BAD,
			r->ok ? "ok" : "FAIL");
	view_detail_col(o, 22);
	if (r->http_status > 0)
		view_detail_segf(o, THEME_NORMAL, "HTTP %ld  ", r->http_status);
	view_detail_segf(o, THEME_DIM, "%llu ms",
			 (unsigned long long)r->latency_ms);
	if (r->kill_switch_active >= 0)
		view_detail_segf(
		    o, r->kill_switch_active > 0 ? THEME_BAD : THEME_NORMAL,
		    "  kill switch %s",
		    view_detail_onoff(r->kill_switch_active));
	if (r->forward_proxy_enabled >= 0)
		view_detail_segf(o, THEME_NORMAL, "  forward proxy %s",
				 view_detail_onoff(r->forward_proxy_enabled));
	if (r->pipelock_version != NULL)
		view_detail_segf(o, THEME_DIM, "  %s", r->pipelock_version);
	if (r->pipelock_mode != NULL)
		view_detail_segf(o, THEME_DIM, " %s", r->pipelock_mode);
	if (r->error != NULL) {
		view_detail_seg(o, THEME_NORMAL, "  ");
		view_detail_seg(o, THEME_BAD, r->error);
	}
	view_detail_nl(o);
}

static void view_detail_info_bundle(struct view_detail_out *o,
				    const struct bottle *b)
{
	char age[32];
	size_t i;

	view_detail_label(o, "bundle", THEME_TITLE);
	if (b->bundle_state == NULL)
		view_detail_seg(o, THEME_DIM, "none");
	else
		view_detail_seg(o,
				util_streq(b->bundle_state, "running")
				    ? THEME_NORMAL
				    : THEME_BAD,
				b->bundle_state);
	if (b->kill_switch)
		view_detail_seg(o, THEME_BAD, "  KILL SWITCH ON");
	if (b->health_at_ms != 0) {
		text_age(b->health_at_ms, o->c->now_ms, age, sizeof(age));
		view_detail_seg(o, THEME_NORMAL, "  health ");
		view_detail_seg(o,
				b->health_ok == 1   ? THEME_GOOD
				: b->health_ok == 0 ? THEME_BAD
						    : THEME_WARN,
				b->health_ok == 1   ? "ok"
				: b->health_ok == 0 ? "PROBLEM"
						    : "unknown");
		view_detail_segf(o, THEME_DIM, ", %s", age);
	}
	view_detail_nl(o);
	for (i = 0; i < b->n_health; i++)
		view_detail_info_service(o, &b->health[i]);
}

static void view_detail_info(struct view_detail_out *o, const struct bottle *b)
{
	view_detail_info_state(o, b);
	view_detail_info_probes(o, b);
	view_detail_info_host(o, b);
	view_detail_info_net(o, b);
	view_detail_info_bundle(o, b);
	view_detail_label(o, "last cmd", THEME_TITLE);
	if (b->last_command == NULL) {
		view_detail_seg(o, THEME_DIM, "none");
	} else {
		view_detail_seg(o, THEME_NORMAL, b->last_command);
		if (b->last_command_status >= 0)
			view_detail_segf(
			    o,
			    b->last_command_status == 0 ? THEME_DIM
							: THEME_WARN,
			    "  -> exit %d", b->last_command_status);
	}
	view_detail_nl(o);
}

/* ---- the log pane --------------------------------------------------- */

static void view_detail_tabs_row(struct view_detail *v,
				 const struct view_ctx *c,
				 const struct bottle *b, int y)
{
	struct logbuf *lb = view_detail_ring(b, v->tab);
	int x = 1, t, width = getmaxx(c->win);
	char note[96];

	x += text_draw(c->win, y, x, width - x, "logs",
		       theme_attr(c->theme, v->focus == VIEW_DETAIL_LOG
						? THEME_TITLE
						: THEME_DIM),
		       c->ascii);
	x += 1;
	for (t = 0; t < VIEW_DETAIL_NTABS; t++) {
		char label[32];
		snprintf(label, sizeof(label), " %d %s ", t + 1,
			 view_detail_tabs[t]);
		x += text_draw(c->win, y, x, width - x, label,
			       t == (int)v->tab
				   ? theme_attr(c->theme, THEME_TAB)
				   : theme_attr(c->theme, THEME_NORMAL),
			       c->ascii);
	}
	if (v->follow) {
		snprintf(note, sizeof(note), "following");
	} else {
		uint64_t next = lb != NULL ? logbuf_next_seq(lb) : 0;
		uint64_t more =
		    next > v->bottom_seq + 1 ? next - v->bottom_seq - 1 : 0;
		snprintf(note, sizeof(note), "paused, %llu below: F follows",
			 (unsigned long long)more);
	}
	if (v->search != NULL) {
		size_t len = strlen(note);
		snprintf(note + len, sizeof(note) - len, "  /%s", v->search);
	}
	t = (int)text_width(note);
	if (x + 2 + t < width)
		text_draw(
		    c->win, y, width - t - 1, t, note,
		    theme_attr(c->theme, v->follow ? THEME_DIM : THEME_WARN),
		    c->ascii);
}

static enum theme_role view_detail_line_role(const struct logbuf_entry *e)
{
	if (e->flags & LOGBUF_HIGHLIGHT)
		return THEME_BAD;
	if (e->flags & LOGBUF_STDERR)
		return THEME_WARN;
	return THEME_NORMAL;
}

static void view_detail_log(struct view_detail *v, const struct view_ctx *c,
			    const struct bottle *b, int y0, int h)
{
	struct logbuf *lb = view_detail_ring(b, v->tab);
	size_t count = lb != NULL ? logbuf_count(lb) : 0, top, n, i;
	int rows = h - 1, width = getmaxx(c->win) - 2;
	uint64_t first;

	view_detail_tabs_row(v, c, b, y0);
	v->log_h = rows;
	if (count == 0) {
		text_draw(c->win, y0 + 1, 1, width, "(no lines yet)",
			  theme_attr(c->theme, THEME_DIM), c->ascii);
		return;
	}
	first = logbuf_first_seq(lb);
	view_detail_window(count, first, v->follow, v->bottom_seq, rows, &top,
			   &n);
	for (i = 0; i < n; i++) {
		const struct logbuf_entry *e = logbuf_get(lb, top + i);
		attr_t a;
		if (e == NULL)
			break;
		a = theme_attr(c->theme, view_detail_line_role(e));
		if (v->has_match && e->seq == v->match_seq)
			a = theme_attr(c->theme, THEME_MATCH);
		text_draw_n(c->win, y0 + 1 + (int)i, 1, width, e->text, e->len,
			    a, c->ascii);
	}
}

/* ---- the whole view ------------------------------------------------- */

static void view_detail_title(const struct view_ctx *c, const struct bottle *b,
			      int y)
{
	enum bottle_status s = bottle_status(b);
	int x = 1, width = getmaxx(c->win);
	char buf[64], d[32];

	x += text_draw(c->win, y, x, 34, b->name,
		       theme_attr(c->theme, THEME_TITLE), c->ascii);
	x += 2;
	if (s == BOTTLE_BUSY)
		snprintf(buf, sizeof(buf), "%s %s",
			 theme_spinner(c->spin, c->ascii),
			 bottle_op_name(b->op));
	else if (s == BOTTLE_UNKNOWN && b->probes_at_ms != 0 &&
		 bottle_all_pass(b) && wall_guest_reported(b))
		snprintf(buf, sizeof(buf), "%s healthy (guest-reported)",
			 theme_status_mark(s, c->ascii));
	else
		snprintf(buf, sizeof(buf), "%s %s",
			 theme_status_mark(s, c->ascii), theme_status_word(s));
	x += text_draw(c->win, y, x, width - x, buf,
		       theme_attr(c->theme, theme_bottle_role(b)), c->ascii);
	if (b->up_since_ms != 0 && b->up_since_ms <= c->now_ms) {
		text_duration(c->now_ms - b->up_since_ms, d, sizeof(d));
		snprintf(buf, sizeof(buf), "  up %s", d);
		text_draw(c->win, y, x, width - x, buf,
			  theme_attr(c->theme, THEME_NORMAL), c->ascii);
	}
}

void view_detail_draw(struct view_detail *v, const struct view_ctx *c,
		      const struct bottle *b, int y0, int h)
{
	struct view_detail_out o;
	int rest, max_info;

	if (b == NULL || h < 6)
		return;
	view_detail_title(c, b, y0);
	rest = h - 1;
	/* Count the info lines, then give the info pane up to half. */
	view_detail_allowlist(v, b);
	memset(&o, 0, sizeof(o));
	o.c = c;
	o.v = v;
	view_detail_info(&o, b);
	v->info_lines = o.line;
	max_info = (rest - 1) / 2;
	if (v->focus == VIEW_DETAIL_INFO)
		max_info = rest - 4; /* the log pane keeps a few rows */
	v->info_h = v->info_lines < max_info ? v->info_lines : max_info;
	if (v->info_h < 1)
		v->info_h = 1;
	if (v->info_top > v->info_lines - v->info_h)
		v->info_top = v->info_lines - v->info_h;
	if (v->info_top < 0)
		v->info_top = 0;
	memset(&o, 0, sizeof(o));
	o.c = c;
	o.v = v;
	o.y0 = y0 + 1;
	o.h = v->info_h;
	o.top = v->info_top;
	view_detail_info(&o, b);
	view_detail_log(v, c, b, y0 + 1 + v->info_h, rest - v->info_h);
}
