/* test_ui_screen.c: what the views put on an 80x24 screen, read back
 * from curses' own screen image (a real SCREEN writing to /dev/null) over
 * a real core built from a configuration. The core's first refresh runs
 * against stand-in docker and smolvm scripts that report nothing (so
 * every part is known: no docker is needed); the tests then set bottle
 * fields the way a refresh would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bottle.h"
#include "config.h"
#include "frame.h"
#include "keys.h"
#include "logbuf.h"
#include "smolfile.h"
#include "state.h"
#include "theme.h"
#include "util.h"
#include "view-detail.h"
#include "view-help.h"
#include "view-list.h"
#include "view.h"

static const char config_text[] =
    "{\"defaults\": {\"vmm\": \"smolvm\", \"vm\": {\"image\": \"img\"},"
    " \"bundle\": {\"image\": \"bimg\"}, \"probes\": {\"resolver\": null}},"
    " \"bottles\": {\"alpha\": {}, \"beta\": {}}}";

/* Answers docker ps / network ls with nothing, smolvm machine ls with []. */
static const char fake_tool[] = "#!/bin/sh\n"
				"case \"$*\" in\n"
				"*'machine ls'*) echo '[]' ;;\n"
				"*version*) echo 'smolvm 0.8.0' ;;\n"
				"esac\n"
				"exit 0\n";

struct fx {
	uv_loop_t loop;
	struct config *cfg;
	struct bottle_core *core;
	char dir[64];
	char state_dir[96];
	char tool[96];
	int refreshed;
	FILE *in, *out;
	SCREEN *screen;
	struct theme theme;
	struct view_ctx c;
};

static void on_refreshed(struct bottle_core *core, struct bottle *b,
			 const char *error, void *data)
{
	*(int *)data = 1;
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct bottle_core_opts opts = {.no_timers = 1};
	char *cause = NULL;
	FILE *t;

	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(config_parse(config_text, strlen(config_text), "test",
				      &f->cfg, &cause),
			 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_ui_screen.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	/* never created: the core reads an empty state */
	snprintf(f->state_dir, sizeof(f->state_dir), "%s/state", f->dir);
	snprintf(f->tool, sizeof(f->tool), "%s/tool", f->dir);
	t = fopen(f->tool, "w");
	assert_non_null(t);
	fputs(fake_tool, t);
	fclose(t);
	assert_int_equal(chmod(f->tool, 0755), 0);
	setenv("BOTTLE_DOCKER", f->tool, 1);
	setenv("BOTTLE_SMOLVM", f->tool, 1);
	assert_int_equal(bottle_core_new(&f->loop, f->cfg, f->state_dir, &opts,
					 &f->core, &cause),
			 0);
	bottle_core_refresh(f->core, on_refreshed, &f->refreshed);
	while (!f->refreshed)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(bottle_status(bottle_core_find(f->core, "alpha")),
			 BOTTLE_STOPPED);
	f->out = fopen("/dev/null", "w");
	f->in = fopen("/dev/null", "r");
	f->screen = newterm("xterm", f->out, f->in);
	assert_non_null(f->screen);
	set_term(f->screen);
	resizeterm(24, 80);
	theme_init(&f->theme, 1);
	f->c.core = f->core;
	f->c.theme = &f->theme;
	f->c.win = stdscr;
	f->c.ascii = 1;
	f->c.now_ms = util_wall_ms();
	werase(stdscr);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	endwin();
	delscreen(f->screen);
	fclose(f->in);
	fclose(f->out);
	bottle_core_close(f->core);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	config_free(f->cfg);
	unlink(f->tool);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Row y of the screen image, trailing blanks removed. */
static char *row(int y)
{
	char buf[256];
	int n = mvwinnstr(stdscr, y, 0, buf, COLS);

	assert_true(n >= 0);
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = '\0';
	return xstrdup(buf);
}

static int screen_has(const char *needle)
{
	int y, found = 0;

	for (y = 0; y < LINES && !found; y++) {
		char *r = row(y);
		found = strstr(r, needle) != NULL;
		free(r);
	}
	return found;
}

static void set(char **field, const char *v)
{
	free(*field);
	*field = xstrdup(v);
}

/* Write b's Smolfile as `up` would, with its text passed through edit
 * (NULL: unchanged) to make a tampered one. */
static void write_smolfile(struct fx *f, struct bottle *b, const char *from,
			   const char *to)
{
	struct smolfile_in in = {&b->cfg->vm, b->bundle_ip, 8888, NULL};
	char *text = NULL, *cause = NULL, *dir, *path;
	FILE *out;

	assert_int_equal(smolfile_render(&in, &text, &cause), 0);
	if (from != NULL) {
		char *at = strstr(text, from);
		assert_non_null(at);
		assert_int_equal(strlen(from), strlen(to));
		memcpy(at, to, strlen(to));
	}
	dir = state_bottle_dir(f->state_dir, b->name);
	assert_int_equal(util_mkdir_p(dir, 0700, &cause), 0);
	path = xasprintf("%s/Smolfile", dir);
	out = fopen(path, "w");
	assert_non_null(out);
	fputs(text, out);
	fclose(out);
	free(path);
	free(dir);
	free(text);
}

static void remove_state(struct fx *f, const char *name)
{
	char *dir = state_bottle_dir(f->state_dir, name);
	char *path = xasprintf("%s/Smolfile", dir);

	unlink(path);
	rmdir(dir);
	rmdir(f->state_dir);
	free(path);
	free(dir);
}

static void make_healthy(struct bottle *b)
{
	size_t i;

	set(&b->subnet, "10.213.0.0/28");
	set(&b->bundle_ip, "10.213.0.2");
	b->net_present = 1;
	set(&b->bundle_state, "running");
	set(&b->vm_state, "running");
	b->health_ok = 1;
	b->health_at_ms = util_wall_ms();
	b->up_since_ms = util_wall_ms() - 125000;
	b->probes_at_ms = util_wall_ms();
	for (i = 0; i < PROBE_COUNT; i++) {
		b->probes[i].verdict = PROBE_PASS;
		b->probes[i].at_ms = util_wall_ms();
		set(&b->probes[i].detail, "fine");
	}
}

static void list_shows_each_bottle_and_the_counts(void **state)
{
	struct fx *f = *state;
	struct view_list v = {0};
	char *r;

	make_healthy(bottle_core_find(f->core, "beta"));
	frame_header(&f->c);
	view_list_draw(&v, &f->c, 2, 20);
	r = row(0);
	assert_non_null(strstr(r, "2 bottles: 1 healthy, 1 stopped"));
	free(r);
	r = row(2);
	assert_non_null(strstr(r, "NAME"));
	assert_non_null(strstr(r, "PROBES"));
	free(r);
	r = row(3);
	assert_non_null(strstr(r, "alpha"));
	assert_non_null(strstr(r, "- stopped"));
	free(r);
	r = row(4);
	assert_non_null(strstr(r, "beta"));
	assert_non_null(strstr(r, "+ healthy"));
	assert_non_null(strstr(r, "10.213.0.2/28"));
	assert_non_null(strstr(r, "++++++"));
	assert_non_null(strstr(r, "2m"));
	free(r);
	/* the selection (the first bottle) is in reverse video */
	assert_true(mvwinch(stdscr, 3, 2) & A_REVERSE);
	assert_false(mvwinch(stdscr, 4, 2) & A_REVERSE);
	view_list_release(&v);
}

static void selection_moves_and_survives_a_filter(void **state)
{
	struct fx *f = *state;
	struct view_list v = {0};

	view_list_move(&v, f->core, 1);
	assert_string_equal(view_list_selected(&v, f->core)->name, "beta");
	view_list_move(&v, f->core, 5);
	assert_string_equal(view_list_selected(&v, f->core)->name, "beta");
	view_list_set_filter(&v, "alp");
	assert_string_equal(view_list_selected(&v, f->core)->name, "alpha");
	view_list_draw(&v, &f->c, 2, 20);
	assert_true(screen_has("alpha"));
	assert_false(screen_has("beta"));
	view_list_set_filter(&v, "nothing-like-it");
	assert_null(view_list_selected(&v, f->core));
	werase(stdscr);
	view_list_draw(&v, &f->c, 2, 20);
	assert_true(screen_has("no bottle matches the filter"));
	view_list_release(&v);
}

static void simulated_and_read_only_are_unmistakable(void **state)
{
	struct fx *f = *state;
	struct bottle_env *env = (struct bottle_env *)bottle_core_env(f->core);
	char *r;
	int x;

	env->simulated = 1;
	f->c.read_only = 1;
	frame_header(&f->c);
	frame_footer(&f->c, KEYS_CTX_LIST, NULL, 22);
	r = row(0);
	x = (int)(strstr(r, "SIMULATED") - r);
	assert_true(x > 0);
	assert_true(mvwinch(stdscr, 0, x) & A_REVERSE);
	assert_non_null(strstr(r, "READ-ONLY"));
	free(r);
	r = row(22);
	assert_non_null(strstr(r, "READ-ONLY"));
	assert_non_null(strstr(r, "q quit"));
	assert_null(strstr(r, "u up"));
	assert_null(strstr(r, "e exec"));
	free(r);
}

static void footer_lists_the_keys_that_apply(void **state)
{
	struct fx *f = *state;
	char *r;

	frame_footer(&f->c, KEYS_CTX_LIST, "web", 22);
	r = row(22);
	assert_non_null(strstr(r, "filter: web"));
	assert_non_null(strstr(r, "q quit"));
	assert_non_null(strstr(r, "u up"));
	assert_true(strlen(r) <= 80);
	free(r);
}

static void too_small_terminal_says_so(void **state)
{
	struct fx *f = *state;

	resizeterm(20, 60);
	werase(stdscr);
	frame_too_small(&f->c, COLS, LINES);
	assert_true(screen_has("terminal too small: 60x20"));
	assert_true(screen_has("at least 80x24"));
}

static void detail_shows_probes_network_and_logs(void **state)
{
	struct fx *f = *state;
	struct bottle *b = bottle_core_find(f->core, "beta");
	struct view_detail v = {0};
	char long_line[300];

	make_healthy(b);
	b->probes[PROBE_CROSS_BOTTLE].verdict = PROBE_FAIL;
	set(&b->probes[PROBE_CROSS_BOTTLE].detail,
	    "connected to 10.213.0.18:8888");
	memset(long_line, 'x', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	logbuf_push(b->log_events, util_wall_ms(), 0, "up done", 7);
	logbuf_push(b->log_events, util_wall_ms(), 0, long_line,
		    strlen(long_line));
	logbuf_push(b->log_events, util_wall_ms(), 0, "after the long one", 18);
	view_detail_open(&v, "beta", VIEW_DETAIL_LOG, VIEW_DETAIL_EVENTS);
	view_detail_draw(&v, &f->c, b, 2, 20);
	assert_true(screen_has("X UNSAFE"));
	assert_true(screen_has("1 FAILED"));
	assert_true(screen_has("allowlist - (no Smolfile yet)"));
	assert_true(screen_has("connected to 10.213.0.18:8888"));
	assert_true(screen_has("up done"));
	/* clipped, not wrapped: the next line starts where it should */
	assert_true(screen_has(" xxxxxxxx"));
	assert_true(screen_has(" after the long one"));
	assert_true(screen_has("following"));

	werase(stdscr);
	view_detail_set_tab(&v, VIEW_DETAIL_BUNDLE);
	view_detail_draw(&v, &f->c, b, 2, 20);
	assert_true(screen_has("(no lines yet)"));

	werase(stdscr);
	logbuf_push(b->log_exec, 0, 0, "hi", 2);
	view_detail_set_tab(&v, VIEW_DETAIL_EXEC);
	view_detail_draw(&v, &f->c, b, 2, 20);
	assert_true(screen_has(" hi"));
	view_detail_release(&v);
}

static void a_long_error_is_wrapped_in_the_info_pane(void **state)
{
	struct fx *f = *state;
	struct bottle *b = bottle_core_find(f->core, "alpha");
	struct view_detail v = {0};
	struct buf e = BUF_INIT;
	int i;

	for (i = 0; i < 12; i++)
		buf_addf(&e, "word%02d-of-a-long-docker-error ", i);
	buf_adds(&e, "THE-END");
	set(&b->error, e.data);
	view_detail_open(&v, "alpha", VIEW_DETAIL_LOG, VIEW_DETAIL_EVENTS);
	view_detail_draw(&v, &f->c, b, 2, 20);
	assert_true(screen_has(" error     word00-of-a-long"));
	/* broken between words, continued under the value */
	assert_true(screen_has("           word02-of-a-long-docker-error"));
	assert_true(screen_has("THE-END"));
	assert_true(screen_has("X FAILED"));
	buf_release(&e);
	view_detail_release(&v);
}

static void allowlist_is_read_back_from_the_smolfile(void **state)
{
	struct fx *f = *state;
	struct bottle *b = bottle_core_find(f->core, "beta");
	struct view_detail v = {0};

	make_healthy(b);
	write_smolfile(f, b, NULL, NULL);
	view_detail_open(&v, "beta", VIEW_DETAIL_INFO, VIEW_DETAIL_EVENTS);
	view_detail_draw(&v, &f->c, b, 2, 20);
	assert_true(screen_has(" allowlist 10.213.0.2/32  (read back"));
	assert_int_equal(v.allow_state, VIEW_DETAIL_ALLOW_OK);

	/* a Smolfile that allows more than B/32 is shouted about */
	write_smolfile(f, b, "10.213.0.2/32", "10.213.0.0/28");
	werase(stdscr);
	view_detail_draw(&v, &f->c, b, 2, 20);
	assert_int_equal(v.allow_state, VIEW_DETAIL_ALLOW_BAD);
	assert_true(screen_has(" allowlist UNVERIFIED: "));
	view_detail_release(&v);
	remove_state(f, "beta");
}

static void hostile_log_lines_reach_the_screen_inert(void **state)
{
	struct fx *f = *state;
	struct bottle *b = bottle_core_find(f->core, "alpha");
	struct view_detail v = {0};
	static const char evil[] = "pwn\x1b]52;c;ZXZpbA==\x07"
				   "\x1b[2J\x1b[H\x9b"
				   "31mred\rover";
	int y;

	/* pushed raw, as if a producer forgot to sanitize */
	logbuf_push(b->log_events, util_wall_ms(), 0, evil, sizeof(evil) - 1);
	view_detail_open(&v, "alpha", VIEW_DETAIL_LOG, VIEW_DETAIL_EVENTS);
	view_detail_draw(&v, &f->c, b, 2, 20);
	assert_true(screen_has("pwn"));
	assert_false(screen_has("52;c"));
	assert_false(screen_has("[2J"));
	assert_true(screen_has("red^Mover"));
	for (y = 0; y < LINES; y++) {
		char *r = row(y);
		assert_null(strchr(r, 0x1b));
		free(r);
	}
	view_detail_release(&v);
}

static void help_shows_every_group_and_the_legend(void **state)
{
	struct fx *f = *state;
	struct view_help h = {0};

	view_help_draw(&h, &f->c, 2, 20);
	assert_true(screen_has("Keys"));
	assert_true(screen_has("Everywhere"));
	assert_true(h.lines > 20);
	view_help_scroll(&h, 1000);
	assert_int_equal(h.top, h.lines - h.h);
	werase(stdscr);
	view_help_draw(&h, &f->c, 2, 20);
	assert_true(screen_has("read-only"));
}

/* Draw the list the way the dashboard does each frame (erase, draw,
 * wnoutrefresh, doupdate) into a terminal whose output is a temp file;
 * return the bytes that frame wrote. */
static long frame_bytes(struct fx *f, FILE *out, struct view_list *v)
{
	struct stat st;
	long before;

	fflush(out);
	assert_int_equal(fstat(fileno(out), &st), 0);
	before = (long)st.st_size;
	werase(stdscr);
	frame_header(&f->c);
	view_list_draw(v, &f->c, 2, 20);
	frame_footer(&f->c, KEYS_CTX_LIST, NULL, 22);
	wnoutrefresh(stdscr);
	doupdate();
	fflush(out);
	assert_int_equal(fstat(fileno(out), &st), 0);
	return (long)st.st_size - before;
}

static void redraws_send_only_what_changed(void **state)
{
	struct fx *f = *state;
	struct bottle *b = bottle_core_find(f->core, "beta");
	struct view_list v = {0};
	SCREEN *scr;
	FILE *out = tmpfile();
	long first, same, one;

	assert_non_null(out);
	scr = newterm("xterm", out, f->in);
	assert_non_null(scr);
	set_term(scr);
	resizeterm(24, 80);
	f->c.win = stdscr;
	make_healthy(b);
	b->up_since_ms = f->c.now_ms - 125000; /* "2m" */
	first = frame_bytes(f, out, &v);
	same = frame_bytes(f, out, &v);
	b->up_since_ms = f->c.now_ms - 185000; /* "3m": one cell */
	one = frame_bytes(f, out, &v);
	assert_true(first > 500);
	assert_true(same < 16);
	assert_true(one > 0 && one < 40);
	fprintf(stderr,
		"# bytes: first frame %ld, unchanged %ld, one cell %ld\n",
		first, same, one);
	view_list_release(&v);
	endwin();
	delscreen(scr);
	set_term(f->screen);
	f->c.win = stdscr;
	fclose(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		list_shows_each_bottle_and_the_counts, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		selection_moves_and_survives_a_filter, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		simulated_and_read_only_are_unmistakable, setup, teardown),
	    cmocka_unit_test_setup_teardown(footer_lists_the_keys_that_apply,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(too_small_terminal_says_so, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		detail_shows_probes_network_and_logs, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		hostile_log_lines_reach_the_screen_inert, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		help_shows_every_group_and_the_legend, setup, teardown),
	    cmocka_unit_test_setup_teardown(redraws_send_only_what_changed,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		a_long_error_is_wrapped_in_the_info_pane, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		allowlist_is_read_back_from_the_smolfile, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
