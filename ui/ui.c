/* ui.c: the dashboard's terminal, loop hooks and key dispatch. */
#include "ui.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "frame.h"
#include "keys.h"
#include "prompt.h"
#include "text.h"
#include "theme.h"
#include "util.h"
#include "view-detail.h"
#include "view-help.h"
#include "view-list.h"
#include "view.h"

#define UI_FLOOD_MS 30	     /* at most one frame per this under floods */
#define UI_SPINNER_MS 120    /* spinner frame while a bottle is busy */
#define UI_EMPTY_WAKEUPS 200 /* readable with no key this often: tty gone */

enum ui_view {
	UI_LIST = 0,
	UI_DETAIL,
	UI_HELP,
};

/* What the dashboard started on one bottle. Done callbacks get the
 * (static) ui as data and find their record by the bottle's name: no
 * request memory can leak when the core drops a callback at close, and
 * none can be used after ui_run returned. */
struct ui_bottle {
	char *name;	     /* owned */
	enum keys_action op; /* up, down, restart, rm in flight, or NONE */
	int probing;	     /* a probe the dashboard asked for */
	char *exec;	     /* owned or NULL: the last exec, as run */
	int exec_running;
	int exec_status;  /* the guest's exit status when done */
	char *exec_error; /* owned or NULL: it could not run */
	struct ui_bottle *next;
};

enum { UI_SIG_WINCH = 0, UI_SIG_INT, UI_SIG_TERM, UI_SIG_HUP, UI_NSIG };

struct ui {
	struct bottle_core *core; /* borrowed */
	uv_loop_t *loop;	  /* borrowed */
	struct ui_opts opts;	  /* strings borrowed for the run */
	int active;		  /* ui_run is running */

	/* The terminal: two descriptions of /dev/tty, so the O_NONBLOCK that
	 * uv_poll sets on the input never makes output fail with EAGAIN. */
	int tty_in, tty_out;
	FILE *in, *out;
	SCREEN *screen;
	struct termios saved;
	int saved_ok;
	int curses_on; /* between newterm and the final endwin */
	int ascii;
	struct theme theme;
	int cursor; /* curs_set state: -1 unknown */

	/* Handles (in this struct: it is static, so their close callbacks
	 * may run after ui_run returns). */
	uv_poll_t input;
	uv_prepare_t prepare;
	uv_timer_t flood;
	uv_timer_t spinner;
	uv_timer_t clock; /* when a shown uptime or age changes its text */
	uv_signal_t sig[UI_NSIG];
	uv_process_t shell;
	int open_handles; /* closes pending */
	int input_on, spinner_on, flood_on, shell_on;
	int shell_closing; /* the shell handle is not closed yet */

	/* What is shown. */
	enum ui_view view;
	enum ui_view help_back; /* where ? returns to */
	struct view_list list;
	struct view_detail detail;
	struct view_help help;
	struct prompt prompt;
	char *filter_saved; /* owned: the filter before / (Esc restores) */
	char *message;	    /* owned or NULL */
	int message_wait;   /* message is the core's state-lock note */
	enum frame_level message_level;
	struct ui_bottle *bottles; /* owned list */
	char *logs_name; /* owned: the bottle whose log tails are open */
	unsigned spin;

	/* Drawing. */
	int dirty;
	int urgent; /* draw without the flood delay (a key was pressed) */
	uint64_t last_draw_ms;
	int suspended; /* a child owns the terminal */
	int resize_pending;
	unsigned empty_wakeups;

	int quit;
	int exit_status;
};

static struct ui ui_state;

static void ui_act(struct ui *ui, enum keys_action action, int key,
		   const char *name, const struct strv *args);

/* ---- messages --------------------------------------------------------- */

static void ui_message(struct ui *ui, enum frame_level level, const char *fmt,
		       ...) UTIL_PRINTF(3, 4);

static void ui_message(struct ui *ui, enum frame_level level, const char *fmt,
		       ...)
{
	va_list ap;

	free(ui->message);
	va_start(ap, fmt);
	ui->message = xvasprintf(fmt, ap);
	va_end(ap);
	ui->message_level = level;
	ui->message_wait = 0;
	ui->dirty = 1;
}

static void ui_message_clear(struct ui *ui)
{
	free(ui->message);
	ui->message = NULL;
	ui->message_wait = 0;
}

/* ---- the terminal ------------------------------------------------------ */

static void ui_term_modes(void)
{
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	meta(stdscr, TRUE);
}

static void ui_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	(void)fcntl(fd, F_SETFL, fl);
}

static int ui_term_open(struct ui *ui, char **cause)
{
	const char *term = getenv("TERM");

	ui->tty_in = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (ui->tty_in < 0)
		return util_fail(cause, "dashboard: /dev/tty: %s",
				 strerror(errno));
	ui->tty_out = open("/dev/tty", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (ui->tty_out < 0) {
		close(ui->tty_in);
		return util_fail(cause, "dashboard: /dev/tty: %s",
				 strerror(errno));
	}
	ui->saved_ok = tcgetattr(ui->tty_in, &ui->saved) == 0;
	ui->in = fdopen(ui->tty_in, "r");
	ui->out = fdopen(ui->tty_out, "w");
	if (ui->in == NULL || ui->out == NULL)
		fatal("dashboard: fdopen /dev/tty: %s", strerror(errno));
	if (term == NULL || *term == '\0') {
		fclose(ui->in);
		fclose(ui->out);
		return util_fail(cause, "dashboard: TERM is not set");
	}
	ui->screen = newterm(term, ui->out, ui->in);
	if (ui->screen == NULL) {
		fclose(ui->in);
		fclose(ui->out);
		return util_fail(
		    cause, "dashboard: terminal type \"%s\" is unknown", term);
	}
	set_term(ui->screen);
	ui->curses_on = 1;
	ui->cursor = -1;
	ui_term_modes();
	set_escdelay(25);
	theme_init(&ui->theme, theme_color_wanted(getenv("NO_COLOR")));
	return 0;
}

/* Put the terminal back as it was found: safe to call more than once, and
 * from fatal(). */
static void ui_term_restore(struct ui *ui)
{
	if (ui->curses_on) {
		if (!isendwin())
			endwin();
		ui->curses_on = 0;
	}
	if (ui->saved_ok)
		(void)tcsetattr(ui->tty_in, TCSADRAIN, &ui->saved);
}

static void ui_term_close(struct ui *ui)
{
	ui_term_restore(ui);
	if (ui->screen != NULL) {
		delscreen(ui->screen);
		ui->screen = NULL;
	}
	fclose(ui->in);
	fclose(ui->out);
	ui->in = ui->out = NULL;
}

static void ui_fatal_hook(void)
{
	ui_term_restore(&ui_state);
}

static void ui_resize(struct ui *ui)
{
	struct winsize ws;

	if (ioctl(ui->tty_out, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	ui->resize_pending = 0;
	ui->dirty = 1;
	ui->urgent = 1;
}

/* ---- drawing ----------------------------------------------------------- */

/* ui_bottle_find: the record of name, created when make is set. */
static struct ui_bottle *ui_bottle_find(struct ui *ui, const char *name,
					int make)
{
	struct ui_bottle *r;

	for (r = ui->bottles; r != NULL; r = r->next)
		if (strcmp(r->name, name) == 0)
			return r;
	if (!make)
		return NULL;
	r = xcalloc(1, sizeof(*r));
	r->name = xstrdup(name);
	r->exec_status = -1;
	r->next = ui->bottles;
	ui->bottles = r;
	return r;
}

static unsigned ui_kctx(const struct ui *ui)
{
	switch (ui->view) {
	case UI_DETAIL:
		return KEYS_CTX_DETAIL;
	case UI_HELP:
		return KEYS_CTX_HELP;
	case UI_LIST:
		break;
	}
	return KEYS_CTX_LIST;
}

static void ui_cursor(struct ui *ui, int visible)
{
	if (ui->cursor != visible) {
		curs_set(visible);
		ui->cursor = visible;
	}
}

static void ui_draw_body(struct ui *ui, const struct view_ctx *c, int y, int h)
{
	switch (ui->view) {
	case UI_LIST:
		view_list_draw(&ui->list, c, y, h);
		break;
	case UI_DETAIL:
		view_detail_draw(&ui->detail, c,
				 bottle_core_find(ui->core, ui->detail.name), y,
				 h);
		break;
	case UI_HELP:
		view_help_draw(&ui->help, c, y, h);
		break;
	}
}

static void ui_on_clock(uv_timer_t *t)
{
	struct ui *ui = t->data;

	ui->dirty = 1;
}

static uint64_t ui_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Wake up exactly when a duration on the screen changes its text (each
 * second in a bottle's first minute, then each minute), and never when
 * none is shown. */
static void ui_clock_arm(struct ui *ui, int small)
{
	uint64_t now = util_wall_ms(), next = UINT64_MAX;
	struct bottle *b;
	size_t i, n = bottle_core_count(ui->core);

	if (small || ui->view == UI_HELP) {
		/* nothing time-dependent is shown */
	} else if (ui->view == UI_LIST) {
		for (i = 0; i < n; i++)
			next = ui_min(
			    next,
			    text_duration_next(
				bottle_core_at(ui->core, i)->up_since_ms, now));
	} else if ((b = bottle_core_find(ui->core, ui->detail.name))) {
		next = text_duration_next(b->up_since_ms, now);
		next = ui_min(next, text_duration_next(b->probes_at_ms, now));
		next = ui_min(next, text_duration_next(b->health_at_ms, now));
		for (i = 0; i < PROBE_COUNT; i++)
			next = ui_min(
			    next, text_duration_next(b->probes[i].at_ms, now));
	}
	if (next == UINT64_MAX)
		uv_timer_stop(&ui->clock);
	else
		uv_timer_start(&ui->clock, ui_on_clock, next + 5, 0);
}

/* The bottle shown in the detail view went away (rm, or it was only
 * discovered and is gone): back to the list, saying so. */
static void ui_check_detail(struct ui *ui)
{
	if (ui->detail.name == NULL ||
	    bottle_core_find(ui->core, ui->detail.name) != NULL)
		return;
	if (ui->view == UI_DETAIL) {
		ui_message(ui, FRAME_INFO, "%s: no longer exists",
			   ui->detail.name);
		ui->view = UI_LIST;
	}
	if (ui->help_back == UI_DETAIL)
		ui->help_back = UI_LIST;
	view_detail_release(&ui->detail);
	free(ui->logs_name); /* its tails went with it */
	ui->logs_name = NULL;
}

static void ui_draw(struct ui *ui)
{
	struct view_ctx c;
	int lines = LINES, cols = COLS, cx = 0, small;

	ui_check_detail(ui);
	ui->dirty = 0;
	ui->urgent = 0;
	ui->last_draw_ms = util_mono_ms();
	if (ui->flood_on) {
		uv_timer_stop(&ui->flood);
		ui->flood_on = 0;
	}
	if (ui->suspended || !ui->curses_on)
		return;
	memset(&c, 0, sizeof(c));
	c.core = ui->core;
	c.theme = &ui->theme;
	c.win = stdscr;
	c.ascii = ui->ascii;
	c.read_only = ui->opts.read_only;
	c.spin = ui->spin;
	c.now_ms = util_wall_ms();
	werase(stdscr);
	small = cols < FRAME_MIN_COLS || lines < FRAME_MIN_LINES;
	ui_clock_arm(ui, small);
	if (small) {
		frame_too_small(&c, cols, lines);
		ui_cursor(ui, 0);
	} else {
		frame_header(&c);
		ui_draw_body(ui, &c, FRAME_HEADER_ROWS,
			     lines - FRAME_HEADER_ROWS - 2);
		frame_footer(&c, ui_kctx(ui),
			     ui->view == UI_LIST ? ui->list.filter : NULL,
			     lines - 2);
		if (ui->prompt.kind != PROMPT_NONE) {
			prompt_draw(&ui->prompt, stdscr, lines - 1, cols,
				    theme_attr(&ui->theme, THEME_TITLE),
				    ui->ascii, &cx);
			ui_cursor(ui, 1);
			wmove(stdscr, lines - 1, cx < cols ? cx : cols - 1);
		} else {
			/* a key clears a message, but the core's wait for
			 * the state lock is shown for as long as it lasts */
			const char *w = bottle_core_state_waiting(ui->core);
			if (ui->message == NULL && w != NULL)
				frame_message(&c, lines - 1, w, FRAME_WARN);
			else
				frame_message(&c, lines - 1, ui->message,
					      ui->message_level);
			ui_cursor(ui, 0);
		}
	}
	wnoutrefresh(stdscr);
	doupdate();
}

static void ui_on_flood(uv_timer_t *t)
{
	struct ui *ui = t->data;

	ui->flood_on = 0;
	if (ui->dirty)
		ui_draw(ui);
}

/* Before the loop blocks: draw once if anything changed, or leave it to
 * the flood timer when the last frame was very recent. */
static void ui_on_prepare(uv_prepare_t *p)
{
	struct ui *ui = p->data;
	uint64_t now, since;

	if (!ui->dirty || ui->suspended)
		return;
	now = util_mono_ms();
	since = now - ui->last_draw_ms;
	if (ui->urgent || since >= UI_FLOOD_MS) {
		ui_draw(ui);
		return;
	}
	if (!ui->flood_on) {
		uv_timer_start(&ui->flood, ui_on_flood, UI_FLOOD_MS - since, 0);
		ui->flood_on = 1;
	}
}

/* ---- the spinner: runs only while some bottle is busy ------------------ */

static int ui_any_busy(struct ui *ui)
{
	size_t i, n = bottle_core_count(ui->core);

	for (i = 0; i < n; i++) {
		struct bottle *b = bottle_core_at(ui->core, i);
		if (b->op != BOTTLE_OP_NONE || b->probing ||
		    b->busy_other != NULL)
			return 1;
	}
	return 0;
}

static void ui_on_spinner(uv_timer_t *t)
{
	struct ui *ui = t->data;

	ui->spin++;
	ui->dirty = 1;
}

static void ui_spinner_update(struct ui *ui)
{
	int busy = ui_any_busy(ui);

	if (busy && !ui->spinner_on) {
		uv_timer_start(&ui->spinner, ui_on_spinner, UI_SPINNER_MS,
			       UI_SPINNER_MS);
		ui->spinner_on = 1;
	} else if (!busy && ui->spinner_on) {
		uv_timer_stop(&ui->spinner);
		ui->spinner_on = 0;
	}
}

/* ---- the core's listener: only marks things dirty ---------------------- */

static void ui_on_event(struct bottle_core *core, struct bottle *b,
			enum bottle_event ev, const char *msg, void *data)
{
	struct ui *ui = data;

	/* the state-lock note goes once the core stops waiting */
	if (ui->message_wait && bottle_core_state_waiting(core) == NULL) {
		ui_message_clear(ui);
		ui->dirty = 1;
	}
	switch (ev) {
	case BOTTLE_EV_LOG:
		/* Floods of a log nobody looks at cost nothing. */
		if (ui->view == UI_DETAIL && b != NULL &&
		    util_streq(b->name, ui->detail.name))
			ui->dirty = 1;
		return;
	case BOTTLE_EV_MESSAGE:
		if (msg != NULL && b != NULL)
			ui_message(ui, FRAME_WARN, "%s: %s", b->name, msg);
		else if (msg != NULL)
			ui_message(ui, FRAME_WARN, "%s", msg);
		if (msg != NULL &&
		    util_streq(msg, bottle_core_state_waiting(core)))
			ui->message_wait = 1;
		break;
	case BOTTLE_EV_CHANGED:
	case BOTTLE_EV_STEP:
	case BOTTLE_EV_DONE:
		break;
	}
	ui->dirty = 1;
	ui_spinner_update(ui);
}

/* ---- operations -------------------------------------------------------- */

static const char *ui_action_word(enum keys_action a)
{
	const struct keys_binding *k = keys_find(a, KEYS_CTX_ALL);

	return k != NULL && k->word != NULL ? k->word : "operation";
}

static void ui_on_op_done(struct bottle_core *core, struct bottle *b,
			  const char *error, void *data);
static void ui_on_probe_done(struct bottle_core *core, struct bottle *b,
			     const char *error, void *data);

/* Start action on b; the reason it could not start goes to the message
 * line. */
static void ui_start(struct ui *ui, struct bottle *b, enum keys_action a)
{
	struct ui_bottle *r = ui_bottle_find(ui, b->name, 1);
	char *cause = NULL;
	int rc;

	switch (a) {
	case KEYS_BUP:
		rc = bottle_up(ui->core, b, ui_on_op_done, ui, &cause);
		break;
	case KEYS_BDOWN:
	case KEYS_RESTART:
		rc = bottle_down(ui->core, b, ui_on_op_done, ui, &cause);
		break;
	case KEYS_REMOVE:
		rc = bottle_rm(ui->core, b, ui_on_op_done, ui, &cause);
		break;
	case KEYS_PROBE:
		rc = bottle_probe(ui->core, b, ui_on_probe_done, ui, &cause);
		break;
	default:
		rc = util_fail(&cause, "not an operation");
		break;
	}
	if (rc < 0) {
		ui_message(ui, FRAME_ERROR, "%s: %s: %s", b->name,
			   ui_action_word(a),
			   cause != NULL ? cause : "refused");
		free(cause);
		return;
	}
	if (a == KEYS_PROBE)
		r->probing = 1;
	else
		r->op = a;
	ui_message(ui, FRAME_INFO, "%s: %s started", b->name,
		   ui_action_word(a));
	ui_spinner_update(ui);
}

static void ui_on_op_done(struct bottle_core *core, struct bottle *b,
			  const char *error, void *data)
{
	struct ui *ui = data;
	struct ui_bottle *r;
	enum keys_action a;

	if (!ui->active || b == NULL)
		return;
	r = ui_bottle_find(ui, b->name, 0);
	if (r == NULL || r->op == KEYS_NONE)
		return;
	a = r->op;
	r->op = KEYS_NONE;
	ui->dirty = 1;
	if (error != NULL)
		ui_message(ui, FRAME_ERROR, "%s: %s failed: %s", b->name,
			   ui_action_word(a), error);
	else if (a == KEYS_RESTART)
		ui_start(ui, b, KEYS_BUP);
	else
		ui_message(ui, FRAME_INFO, "%s: %s done", b->name,
			   ui_action_word(a));
	ui_spinner_update(ui);
}

static void ui_on_probe_done(struct bottle_core *core, struct bottle *b,
			     const char *error, void *data)
{
	struct ui *ui = data;
	struct ui_bottle *r;
	size_t i, fail = 0, unknown = 0;

	if (!ui->active || b == NULL)
		return;
	r = ui_bottle_find(ui, b->name, 0);
	if (r == NULL || !r->probing)
		return;
	r->probing = 0;
	ui->dirty = 1;
	ui_spinner_update(ui);
	if (error != NULL) {
		ui_message(ui, FRAME_ERROR, "%s: probe failed: %s", b->name,
			   error);
		return;
	}
	for (i = 0; i < PROBE_COUNT; i++) {
		fail += b->probes[i].verdict == PROBE_FAIL;
		unknown += b->probes[i].verdict == PROBE_UNKNOWN ||
			   b->probes[i].verdict == PROBE_NONE;
	}
	if (fail > 0)
		ui_message(ui, FRAME_ERROR, "%s: probes: %zu FAILED", b->name,
			   fail);
	else if (unknown > 0)
		ui_message(ui, FRAME_WARN, "%s: probes: %zu unknown", b->name,
			   unknown);
	else
		ui_message(ui, FRAME_INFO, "%s: probes: all passed", b->name);
}

static void ui_on_exec_done(struct bottle_core *core, struct bottle *b,
			    const char *error, void *data)
{
	struct ui *ui = data;
	struct ui_bottle *r;

	if (!ui->active || b == NULL)
		return;
	r = ui_bottle_find(ui, b->name, 0);
	if (r == NULL || !r->exec_running)
		return;
	r->exec_running = 0;
	ui->dirty = 1;
	if (error != NULL) {
		r->exec_error = xstrdup(error);
		ui_message(ui, FRAME_ERROR, "%s: exec: %s", b->name, error);
		return;
	}
	r->exec_status = b->last_command_status;
	ui_message(ui, r->exec_status == 0 ? FRAME_INFO : FRAME_WARN,
		   "%s: exec: exit status %d", b->name, r->exec_status);
}

/* ---- views ------------------------------------------------------------- */

static struct bottle *ui_target(struct ui *ui, const char *name)
{
	struct bottle *b;

	if (name != NULL) {
		b = bottle_core_find(ui->core, name);
		if (b == NULL)
			ui_message(ui, FRAME_ERROR, "no bottle called %s",
				   name);
		return b;
	}
	if (ui->view == UI_DETAIL ||
	    (ui->view == UI_HELP && ui->help_back == UI_DETAIL)) {
		b = bottle_core_find(ui->core, ui->detail.name);
		if (b != NULL)
			return b;
	}
	b = view_list_selected(&ui->list, ui->core);
	if (b == NULL)
		ui_message(ui, FRAME_WARN, "no bottle selected");
	return b;
}

/* Tail the logs of the bottle called name (NULL: none) and no other:
 * tails run only while a detail view shows them. */
static void ui_logs_follow(struct ui *ui, const char *name)
{
	struct bottle *b;

	if (util_streq(ui->logs_name, name))
		return;
	if (ui->logs_name != NULL) {
		b = bottle_core_find(ui->core, ui->logs_name);
		if (b != NULL)
			bottle_logs_close(ui->core, b);
		free(ui->logs_name);
		ui->logs_name = NULL;
	}
	b = name != NULL ? bottle_core_find(ui->core, name) : NULL;
	if (b != NULL) {
		bottle_logs_open(ui->core, b);
		ui->logs_name = xstrdup(name);
	}
}

static void ui_open(struct ui *ui, struct bottle *b,
		    enum view_detail_focus focus, enum view_detail_tab tab)
{
	view_detail_open(&ui->detail, b->name, focus, tab);
	view_list_select(&ui->list, b->name);
	ui->view = UI_DETAIL;
	ui_logs_follow(ui, b->name);
}

static void ui_back(struct ui *ui)
{
	if (ui->view == UI_HELP) {
		ui->view = ui->help_back;
		return;
	}
	if (ui->view == UI_DETAIL) {
		ui->view = UI_LIST;
		ui_logs_follow(ui, NULL);
		return;
	}
	if (ui->list.filter != NULL) {
		view_list_set_filter(&ui->list, NULL);
		ui_message(ui, FRAME_INFO, "filter cleared");
	}
}

static void ui_quit(struct ui *ui, int status)
{
	if (ui->quit)
		return;
	ui->quit = 1;
	ui->exit_status = status;
	if (ui->shell_on)
		uv_process_kill(&ui->shell, SIGHUP);
	uv_stop(ui->loop);
}

/* ---- exec and shell ------------------------------------------------------ */

static void ui_exec_run(struct ui *ui, struct bottle *b,
			const struct strv *argv)
{
	struct ui_bottle *r;
	char *cause = NULL;

	if (argv->n == 0) {
		ui_message(ui, FRAME_WARN, "exec: no command given");
		return;
	}
	r = ui_bottle_find(ui, b->name, 1);
	if (r->exec_running) {
		ui_message(ui, FRAME_WARN, "%s: exec: one is still running",
			   b->name);
		return;
	}
	if (bottle_exec_capture(ui->core, b, (const char *const *)argv->v,
				ui_on_exec_done, ui, &cause) < 0) {
		ui_message(ui, FRAME_ERROR, "%s: exec: %s", b->name,
			   cause != NULL ? cause : "refused");
		free(cause);
		return;
	}
	free(r->exec);
	free(r->exec_error);
	r->exec = util_argv_display((const char *const *)argv->v);
	r->exec_error = NULL;
	r->exec_running = 1;
	r->exec_status = -1;
	ui_open(ui, b, VIEW_DETAIL_LOG, VIEW_DETAIL_EXEC);
	view_detail_follow(&ui->detail);
	ui_message(ui, FRAME_INFO, "%s: exec started", b->name);
}

static void ui_on_close(uv_handle_t *h)
{
	struct ui *ui = h->data;

	if (h == (uv_handle_t *)&ui->shell)
		ui->shell_closing = 0;
	ui->open_handles--;
}

static void ui_on_input(uv_poll_t *h, int status, int events);

static void ui_input_on(struct ui *ui)
{
	if (ui->input_on)
		return;
	if (uv_poll_start(&ui->input, UV_READABLE | UV_DISCONNECT,
			  ui_on_input) == 0)
		ui->input_on = 1;
}

static void ui_input_off(struct ui *ui)
{
	if (!ui->input_on)
		return;
	uv_poll_stop(&ui->input);
	ui->input_on = 0;
}

static void ui_suspend(struct ui *ui)
{
	ui_input_off(ui);
	ui->suspended = 1;
	def_prog_mode();
	endwin();
	ui_nonblock(ui->tty_in, 0);
}

static void ui_resume(struct ui *ui)
{
	ui_nonblock(ui->tty_in, 1);
	reset_prog_mode();
	ui_term_modes();
	ui->cursor = -1;
	ui->suspended = 0;
	ui_resize(ui); /* the size may have changed meanwhile */
	clearok(curscr, TRUE);
	ui_input_on(ui);
	ui->dirty = 1;
	ui->urgent = 1;
}

/* After a failed shell: its message is on the terminal; wait for Enter
 * (read in the terminal's own line mode) before drawing over it. */
static void ui_on_await(uv_poll_t *h, int status, int events)
{
	struct ui *ui = h->data;
	char buf[256];
	ssize_t n;
	int enter = 0;

	if (status < 0 || (events & UV_DISCONNECT)) {
		ui_quit(ui, 128 + SIGHUP);
		return;
	}
	while ((n = read(ui->tty_in, buf, sizeof(buf))) > 0)
		enter |= memchr(buf, '\n', (size_t)n) != NULL ||
			 memchr(buf, '\r', (size_t)n) != NULL;
	if (n == 0) { /* end of file: the terminal is gone */
		ui_quit(ui, 128 + SIGHUP);
		return;
	}
	if (!enter)
		return;
	uv_poll_stop(&ui->input);
	ui->input_on = 0;
	ui_resume(ui);
}

static void ui_on_shell_exit(uv_process_t *p, int64_t status, int sig)
{
	struct ui *ui = p->data;

	ui->shell_on = 0;
	uv_close((uv_handle_t *)p, ui_on_close);
	if (ui->quit || !ui->active)
		return;
	if (sig == 0 && status == 0) {
		ui_message_clear(ui);
		ui_resume(ui);
		return;
	}
	if (sig != 0)
		ui_message(ui, FRAME_WARN, "shell: killed by signal %d", sig);
	else
		ui_message(ui, FRAME_WARN, "shell: exit status %lld",
			   (long long)status);
	fprintf(ui->out, "\r\n[%s; press Enter to return to the dashboard]",
		ui->message);
	fflush(ui->out);
	ui_nonblock(ui->tty_in, 1);
	if (uv_poll_start(&ui->input, UV_READABLE | UV_DISCONNECT,
			  ui_on_await) == 0)
		ui->input_on = 1;
	else
		ui_resume(ui);
}

static void ui_shell(struct ui *ui, struct bottle *b)
{
	uv_process_options_t po;
	uv_stdio_container_t stdio[3];
	struct strv argv = STRV_INIT;
	int rc;

	if (ui->opts.self_path == NULL) {
		ui_message(ui, FRAME_ERROR,
			   "shell: the program's path is "
			   "unknown");
		return;
	}
	if (ui->shell_on || ui->shell_closing) {
		ui_message(ui, FRAME_WARN,
			   "shell: the last one is still "
			   "closing");
		return;
	}
	if (!util_streq(b->vm_state, "running")) {
		ui_message(ui, FRAME_WARN, "%s: shell: the VM is not running",
			   b->name);
		return;
	}
	strv_push(&argv, ui->opts.self_path);
	if (ui->opts.config_path != NULL) {
		strv_push(&argv, "-c");
		strv_push(&argv, ui->opts.config_path);
	}
	strv_push(&argv, "shell");
	strv_push(&argv, b->name);

	memset(&po, 0, sizeof(po));
	po.file = argv.v[0];
	po.args = argv.v;
	po.exit_cb = ui_on_shell_exit;
	po.stdio_count = 3;
	po.stdio = stdio;
	stdio[0].flags = UV_INHERIT_FD;
	stdio[0].data.fd = ui->tty_in;
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = ui->tty_out;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = ui->tty_out;

	ui_suspend(ui);
	ui->shell.data = ui;
	ui->open_handles++;
	ui->shell_closing = 1; /* until its close callback */
	rc = uv_spawn(ui->loop, &ui->shell, &po);
	strv_release(&argv);
	if (rc < 0) {
		uv_close((uv_handle_t *)&ui->shell, ui_on_close);
		ui_resume(ui);
		ui_message(ui, FRAME_ERROR, "shell: %s: %s", ui->opts.self_path,
			   uv_strerror(rc));
		return;
	}
	ui->shell_on = 1;
}

/* ---- prompts ------------------------------------------------------------- */

static int ui_refuse_ro(struct ui *ui, enum keys_action a)
{
	const struct keys_binding *k = keys_find(a, KEYS_CTX_ALL);

	if (!ui->opts.read_only || k == NULL || !k->mutating)
		return 0;
	ui_message(ui, FRAME_WARN,
		   "read-only: %s (%s) is disabled by "
		   "--read-only",
		   k->key, k->word);
	return 1;
}

/* Act on a submitted prompt p (no longer ui->prompt, which the action may
 * reopen). */
static void ui_prompt_submit(struct ui *ui, const struct prompt *p)
{
	struct prompt_command cmd;
	struct strv words = STRV_INIT;
	struct bottle *b;
	char *cause = NULL;

	switch (p->kind) {
	case PROMPT_EXEC:
		b = bottle_core_find(ui->core, p->target);
		if (prompt_split(prompt_text(p), &words, &cause) < 0)
			ui_message(ui, FRAME_ERROR, "exec: %s", cause);
		else if (b == NULL)
			ui_message(ui, FRAME_ERROR, "no bottle called %s",
				   p->target);
		else
			ui_exec_run(ui, b, &words);
		strv_release(&words);
		break;
	case PROMPT_COMMAND:
		if (prompt_command_parse(prompt_text(p), &cmd, &cause) < 0) {
			ui_message(ui, FRAME_ERROR, ":%s", cause);
			break;
		}
		if (!ui_refuse_ro(ui, cmd.action))
			ui_act(ui, cmd.action, 0, cmd.name, &cmd.args);
		prompt_command_release(&cmd);
		break;
	case PROMPT_FILTER:
		view_list_set_filter(&ui->list, prompt_text(p));
		break;
	case PROMPT_SEARCH:
		b = bottle_core_find(ui->core, ui->detail.name);
		if (view_detail_search(&ui->detail, b, prompt_text(p), -1, 0) <
		    0)
			ui_message(ui, FRAME_WARN, "not found: %s",
				   prompt_text(p));
		break;
	case PROMPT_CONFIRM:
		b = bottle_core_find(ui->core, p->target);
		if (b != NULL)
			ui_start(ui, b, KEYS_REMOVE);
		break;
	case PROMPT_NONE:
		break;
	}
	free(cause);
}

static void ui_prompt_key(struct ui *ui, int key)
{
	struct prompt *p = &ui->prompt;
	enum prompt_result r = prompt_key(p, key);

	if (r == PROMPT_EDITING) {
		if (p->kind == PROMPT_FILTER) /* the list follows the typing */
			view_list_set_filter(&ui->list, prompt_text(p));
		return;
	}
	if (r == PROMPT_SUBMIT) {
		/* Take it over first: the action may open another prompt. */
		struct prompt done = *p;
		memset(p, 0, sizeof(*p));
		ui_prompt_submit(ui, &done);
		prompt_close(&done);
	} else {
		if (p->kind == PROMPT_FILTER)
			view_list_set_filter(&ui->list, ui->filter_saved);
		else if (p->kind == PROMPT_CONFIRM)
			ui_message(ui, FRAME_INFO, "%s: not removed",
				   p->target);
		prompt_close(p);
	}
	free(ui->filter_saved);
	ui->filter_saved = NULL;
}

static void ui_prompt(struct ui *ui, enum prompt_kind kind, const char *label,
		      const char *target, const char *initial)
{
	prompt_open(&ui->prompt, kind, label, target, initial);
	ui_message_clear(ui);
}

/* ---- actions ------------------------------------------------------------- */

static void ui_move(struct ui *ui, long delta, int page)
{
	struct bottle *b;

	switch (ui->view) {
	case UI_LIST:
		if (page)
			delta *= ui->list.page > 1 ? ui->list.page - 1 : 1;
		view_list_move(&ui->list, ui->core, delta);
		break;
	case UI_DETAIL:
		b = bottle_core_find(ui->core, ui->detail.name);
		if (page)
			view_detail_page(&ui->detail, b, delta < 0 ? -1 : 1);
		else
			view_detail_scroll(&ui->detail, b, delta);
		break;
	case UI_HELP:
		if (page)
			delta *= ui->help.h > 1 ? ui->help.h - 1 : 1;
		view_help_scroll(&ui->help, delta);
		break;
	}
}

static void ui_tab(struct ui *ui, int to)
{
	ui->detail.focus = VIEW_DETAIL_LOG;
	view_detail_set_tab(&ui->detail,
			    (enum view_detail_tab)((to + VIEW_DETAIL_NTABS) %
						   VIEW_DETAIL_NTABS));
}

static void ui_act_bottle(struct ui *ui, enum keys_action action,
			  struct bottle *b, const struct strv *args)
{
	char *label;

	switch (action) {
	case KEYS_OPEN:
		ui_open(ui, b, VIEW_DETAIL_LOG, ui->detail.tab);
		break;
	case KEYS_LOGS:
		if (ui->view == UI_DETAIL &&
		    util_streq(ui->detail.name, b->name))
			ui_tab(ui, (int)ui->detail.tab + 1);
		else
			ui_open(ui, b, VIEW_DETAIL_LOG, VIEW_DETAIL_BUNDLE);
		break;
	case KEYS_BUP:
	case KEYS_BDOWN:
	case KEYS_PROBE:
		ui_start(ui, b, action);
		break;
	case KEYS_RESTART:
		ui_start(ui, b,
			 bottle_status(b) == BOTTLE_STOPPED ? KEYS_BUP
							    : KEYS_RESTART);
		break;
	case KEYS_REMOVE:
		label = xasprintf("remove bottle %s: VM, bundle, network and "
				  "its subnet? type y to confirm: ",
				  b->name);
		ui_prompt(ui, PROMPT_CONFIRM, label, b->name, NULL);
		free(label);
		break;
	case KEYS_EXEC:
		if (args != NULL && args->n > 0) {
			ui_exec_run(ui, b, args);
			break;
		}
		label = xasprintf("exec in %s: ", b->name);
		ui_prompt(ui, PROMPT_EXEC, label, b->name, NULL);
		free(label);
		break;
	case KEYS_SHELL:
		ui_shell(ui, b);
		break;
	default:
		break;
	}
}

static int ui_needs_bottle(enum keys_action a)
{
	switch (a) {
	case KEYS_OPEN:
	case KEYS_LOGS:
	case KEYS_BUP:
	case KEYS_BDOWN:
	case KEYS_RESTART:
	case KEYS_REMOVE:
	case KEYS_PROBE:
	case KEYS_EXEC:
	case KEYS_SHELL:
		return 1;
	default:
		return 0;
	}
}

/* Do action: name (or NULL: the bottle shown or selected), args for
 * exec from the : line, key for the keys that carry data (1-5). */
static void ui_act(struct ui *ui, enum keys_action action, int key,
		   const char *name, const struct strv *args)
{
	struct bottle *b;

	if (ui_needs_bottle(action)) {
		b = ui_target(ui, name);
		if (b != NULL)
			ui_act_bottle(ui, action, b, args);
		return;
	}
	switch (action) {
	case KEYS_DOWN:
		ui_move(ui, 1, 0);
		break;
	case KEYS_UP:
		ui_move(ui, -1, 0);
		break;
	case KEYS_TOP:
		ui_move(ui, LONG_MIN, 0);
		break;
	case KEYS_BOTTOM:
		ui_move(ui, LONG_MAX, 0);
		break;
	case KEYS_PAGE_UP:
		ui_move(ui, -1, 1);
		break;
	case KEYS_PAGE_DOWN:
		ui_move(ui, 1, 1);
		break;
	case KEYS_BACK:
		ui_back(ui);
		break;
	case KEYS_PANE:
		ui->detail.focus = ui->detail.focus == VIEW_DETAIL_LOG
				       ? VIEW_DETAIL_INFO
				       : VIEW_DETAIL_LOG;
		break;
	case KEYS_TAB_NEXT:
		ui_tab(ui, (int)ui->detail.tab + 1);
		break;
	case KEYS_TAB_PREV:
		ui_tab(ui, (int)ui->detail.tab - 1);
		break;
	case KEYS_TAB_PICK:
		ui_tab(ui, key - '1');
		break;
	case KEYS_FOLLOW:
		view_detail_follow(&ui->detail);
		break;
	case KEYS_MATCH_NEXT:
	case KEYS_MATCH_PREV:
		if (ui->detail.search == NULL)
			ui_message(ui, FRAME_WARN, "no search yet: / searches");
		else if (view_detail_search(
			     &ui->detail,
			     bottle_core_find(ui->core, ui->detail.name), NULL,
			     action == KEYS_MATCH_NEXT ? -1 : 1, 1) < 0)
			ui_message(ui, FRAME_WARN, "no more matches: %s",
				   ui->detail.search);
		break;
	case KEYS_FILTER:
		free(ui->filter_saved);
		ui->filter_saved =
		    ui->list.filter ? xstrdup(ui->list.filter) : NULL;
		ui_prompt(ui, PROMPT_FILTER, "filter: ", NULL, ui->list.filter);
		break;
	case KEYS_SEARCH:
		ui_prompt(ui, PROMPT_SEARCH, "search: ", ui->detail.name, NULL);
		break;
	case KEYS_COMMAND:
		ui_prompt(ui, PROMPT_COMMAND, ":", NULL, NULL);
		break;
	case KEYS_HELP:
		if (ui->view == UI_HELP) {
			ui->view = ui->help_back;
		} else {
			ui->help_back = ui->view;
			ui->view = UI_HELP;
			ui->help.top = 0;
		}
		break;
	case KEYS_REDRAW:
		clearok(curscr, TRUE);
		break;
	case KEYS_QUIT:
		ui_quit(ui, 0);
		break;
	default:
		break;
	}
}

static void ui_key(struct ui *ui, int key)
{
	const struct keys_binding *k;

	ui->dirty = 1;
	ui->urgent = 1;
	if (ui->prompt.kind != PROMPT_NONE) {
		ui_prompt_key(ui, key);
		return;
	}
	k = keys_lookup(key, ui_kctx(ui));
	if (k == NULL)
		return;
	if (COLS < FRAME_MIN_COLS || LINES < FRAME_MIN_LINES) {
		/* Nothing is shown to act on: only quitting and redrawing. */
		if (k->action != KEYS_QUIT && k->action != KEYS_REDRAW &&
		    k->action != KEYS_BACK)
			return;
	}
	ui_message_clear(ui);
	if (ui_refuse_ro(ui, k->action))
		return;
	ui_act(ui, k->action, key, NULL, NULL);
}

/* ---- input --------------------------------------------------------------- */

static void ui_on_input(uv_poll_t *h, int status, int events)
{
	struct ui *ui = h->data;
	unsigned got = 0;
	wint_t ch;
	int r;

	if (status < 0 || (events & UV_DISCONNECT)) {
		ui_quit(ui, 128 + SIGHUP);
		return;
	}
	while (!ui->suspended && !ui->quit) {
		r = wget_wch(stdscr, &ch);
		if (r == ERR)
			break;
		got++;
		if (r == KEY_CODE_YES && ch == KEY_RESIZE)
			continue; /* queued by resizeterm: handled already */
		ui_key(ui, r == KEY_CODE_YES ? KEYS_FN((int)ch) : (int)ch);
	}
	/* A terminal that hung up stays readable and yields nothing. */
	if (got > 0)
		ui->empty_wakeups = 0;
	else if (++ui->empty_wakeups >= UI_EMPTY_WAKEUPS)
		ui_quit(ui, 128 + SIGHUP);
}

static void ui_on_signal(uv_signal_t *h, int signum)
{
	struct ui *ui = h->data;

	switch (signum) {
	case SIGWINCH:
		if (ui->suspended)
			ui->resize_pending = 1;
		else
			ui_resize(ui);
		break;
	case SIGINT:
		/* ^C typed in a shell we handed the terminal to is its own. */
		if (!ui->suspended)
			ui_quit(ui, 128 + SIGINT);
		break;
	default:
		ui_quit(ui, 128 + signum);
		break;
	}
}

/* ---- run ----------------------------------------------------------------- */

static void ui_handles_start(struct ui *ui)
{
	static const int sigs[UI_NSIG] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP};
	size_t i;

	if (uv_poll_init(ui->loop, &ui->input, ui->tty_in) != 0)
		fatal("dashboard: cannot watch /dev/tty");
	ui->input.data = ui;
	ui->open_handles++;
	ui_input_on(ui);

	uv_prepare_init(ui->loop, &ui->prepare);
	ui->prepare.data = ui;
	ui->open_handles++;
	uv_prepare_start(&ui->prepare, ui_on_prepare);

	uv_timer_init(ui->loop, &ui->flood);
	ui->flood.data = ui;
	ui->open_handles++;
	uv_timer_init(ui->loop, &ui->spinner);
	ui->spinner.data = ui;
	ui->open_handles++;
	uv_timer_init(ui->loop, &ui->clock);
	ui->clock.data = ui;
	ui->open_handles++;

	for (i = 0; i < UI_NSIG; i++) {
		uv_signal_init(ui->loop, &ui->sig[i]);
		ui->sig[i].data = ui;
		ui->open_handles++;
		uv_signal_start(&ui->sig[i], ui_on_signal, sigs[i]);
	}
}

static void ui_handles_close(struct ui *ui)
{
	size_t i;

	if (ui->shell_on) {
		uv_process_kill(&ui->shell, SIGHUP);
		ui->shell_on = 0;
		uv_close((uv_handle_t *)&ui->shell, ui_on_close);
	}
	uv_close((uv_handle_t *)&ui->input, ui_on_close);
	uv_close((uv_handle_t *)&ui->prepare, ui_on_close);
	uv_close((uv_handle_t *)&ui->flood, ui_on_close);
	uv_close((uv_handle_t *)&ui->spinner, ui_on_close);
	uv_close((uv_handle_t *)&ui->clock, ui_on_close);
	for (i = 0; i < UI_NSIG; i++)
		uv_close((uv_handle_t *)&ui->sig[i], ui_on_close);
	ui->input_on = ui->spinner_on = ui->flood_on = 0;
	/* Close callbacks run on the next iterations; nothing else of ours
	 * is left to run (the listener is unset, requests check active). */
	while (ui->open_handles > 0)
		uv_run(ui->loop, UV_RUN_NOWAIT);
}

static void ui_release(struct ui *ui)
{
	struct ui_bottle *r, *next;

	view_list_release(&ui->list);
	view_detail_release(&ui->detail);
	prompt_close(&ui->prompt);
	free(ui->filter_saved);
	free(ui->message);
	free(ui->logs_name);
	for (r = ui->bottles; r != NULL; r = next) {
		next = r->next;
		free(r->name);
		free(r->exec);
		free(r->exec_error);
		free(r);
	}
	ui->bottles = NULL;
}

int ui_run(struct bottle_core *core, const struct ui_opts *o)
{
	struct ui *ui = &ui_state;
	char *cause = NULL;
	int status;

	memset(ui, 0, sizeof(*ui));
	ui->core = core;
	ui->loop = bottle_core_loop(core);
	ui->opts = *o;
	setlocale(LC_CTYPE, "");
	ui->ascii = o->ascii || !theme_codeset_utf8(nl_langinfo(CODESET));
	if (ui_term_open(ui, &cause) < 0) {
		fprintf(stderr, "bottle: %s\n", cause);
		free(cause);
		return 1;
	}
	util_set_fatal_hook(ui_fatal_hook);
	ui->active = 1;
	ui_handles_start(ui);
	bottle_core_set_listener(core, ui_on_event, ui);
	ui_spinner_update(ui);
	ui->dirty = 1;
	ui->urgent = 1;

	uv_run(ui->loop, UV_RUN_DEFAULT);

	ui->active = 0;
	ui_logs_follow(ui, NULL);
	bottle_core_set_listener(core, NULL, NULL);
	ui_handles_close(ui);
	ui_term_close(ui);
	util_set_fatal_hook(NULL);
	status = ui->quit ? ui->exit_status : 0;
	ui_release(ui);
	return status;
}
