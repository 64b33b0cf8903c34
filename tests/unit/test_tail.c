/* test_tail.c: log tails on a real loop: files that grow, rotate, get
 * truncated and appear late; docker logs (a fake docker script) with
 * backlog, audit summaries, restarts and process-group kill; the vm
 * source through a fake smolvm data-dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logbuf.h"
#include "tail.h"

#include "smolvm-cli.h"

#define WAIT_MS 10000

struct got {
	char *text; /* owned */
	char *raw;  /* owned */
	size_t raw_len;
	uint64_t wall_ms;
	int flags;
	int backlog;
};

struct ctx {
	uv_loop_t loop;
	uv_timer_t tick; /* keeps the loop waking while a test waits */
	char dir[256];
	char path[300];
	struct tail *t;	 /* owned until closed */
	struct got *got; /* owned array of cap */
	size_t n;
	size_t cap;
	int caught_up;
	int follow_in_caught_up;
	int close_at_line; /* tail_close when this many lines arrived */
	int errors;
	char *status; /* owned: the last status message */
	int status_error;
};

static void tick_cb(uv_timer_t *h)
{
	(void)h;
}

static int setup(void **state)
{
	struct ctx *c = xcalloc(1, sizeof *c);

	snprintf(c->dir, sizeof c->dir, "%s/bottle-tail.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(c->dir));
	snprintf(c->path, sizeof c->path, "%s/app.log", c->dir);
	assert_int_equal(uv_loop_init(&c->loop), 0);
	uv_timer_init(&c->loop, &c->tick);
	*state = c;
	return 0;
}

static void rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char *p;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		if (unlink(p) != 0)
			rm_dir(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->got[i].text);
		free(c->got[i].raw);
	}
	free(c->got);
	free(c->status);
	rm_dir(c->dir);
	unsetenv("BOTTLE_DOCKER");
	free(c);
	return 0;
}

/* finish: close the tail and every handle; the loop must close clean. */
static void finish(struct ctx *c)
{
	if (c->t != NULL)
		tail_close(c->t);
	c->t = NULL;
	uv_close((uv_handle_t *)&c->tick, NULL);
	uv_run(&c->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&c->loop), 0);
}

static void on_line(struct tail *t, const struct tail_line *l, void *data)
{
	struct ctx *c = data;
	struct got *g;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->got = xreallocarray(c->got, c->cap, sizeof *c->got);
	}
	g = &c->got[c->n++];
	assert_int_equal(l->text[l->len], '\0');
	g->text = xstrndup(l->text, l->len);
	g->raw = xmalloc(l->raw_len + 1);
	memcpy(g->raw, l->raw, l->raw_len);
	g->raw[l->raw_len] = '\0';
	g->raw_len = l->raw_len;
	g->wall_ms = l->wall_ms;
	g->flags = l->flags;
	g->backlog = l->backlog;
	if (c->close_at_line > 0 && c->n == (size_t)c->close_at_line) {
		tail_close(t);
		c->t = NULL;
	}
}

static void on_caught_up(struct tail *t, void *data)
{
	struct ctx *c = data;

	c->caught_up++;
	if (c->follow_in_caught_up)
		tail_follow(t);
}

static void on_status(struct tail *t, int error, const char *msg, void *data)
{
	struct ctx *c = data;

	(void)t;
	free(c->status);
	c->status = xstrdup(msg);
	c->status_error = error;
	c->errors += error;
}

static void opts_init(struct ctx *c, struct tail_opts *o, enum tail_source src,
		      enum tail_mode mode, int backlog)
{
	memset(o, 0, sizeof *o);
	o->source = src;
	o->name = "t1";
	o->path = c->path;
	o->mode = mode;
	o->backlog = backlog;
	o->on_line = on_line;
	o->on_caught_up = on_caught_up;
	o->on_status = on_status;
	o->data = c;
	o->poll_ms = 50;
	o->retry_ms = 10;
}

static void start(struct ctx *c, const struct tail_opts *o)
{
	char *cause = NULL;

	assert_int_equal(tail_start(&c->loop, o, &c->t, &cause), 0);
	assert_null(cause);
}

/* wait_until: run the loop until cond holds (or fail after WAIT_MS). */
static void wait_until(struct ctx *c, int (*cond)(struct ctx *, long), long arg)
{
	uint64_t end = util_mono_ms() + WAIT_MS;

	uv_timer_start(&c->tick, tick_cb, 5, 5);
	while (!cond(c, arg)) {
		if (util_mono_ms() > end)
			fail_msg("timed out waiting (have %zu lines, caught up "
				 "%d)",
				 c->n, c->caught_up);
		uv_run(&c->loop, UV_RUN_ONCE);
	}
	uv_timer_stop(&c->tick);
}

static int have_lines(struct ctx *c, long n)
{
	return c->n >= (size_t)n;
}

static int have_caught_up(struct ctx *c, long n)
{
	(void)n;
	return c->caught_up > 0;
}

static int have_status(struct ctx *c, long n)
{
	(void)n;
	return c->status != NULL;
}

/* settle: run the loop for ms (to show that nothing more arrives). */
static void settle(struct ctx *c, uint64_t ms)
{
	uint64_t end = util_mono_ms() + ms;

	uv_timer_start(&c->tick, tick_cb, 5, 5);
	while (util_mono_ms() < end)
		uv_run(&c->loop, UV_RUN_ONCE);
	uv_timer_stop(&c->tick);
}

static void append(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	size_t len = strlen(s);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, len), (ssize_t)len);
	close(fd);
}

static void append_lines(const char *path, int from, int to)
{
	struct buf b = BUF_INIT;
	int i;

	for (i = from; i <= to; i++)
		buf_addf(&b, "line %d\n", i);
	append(path, b.data);
	buf_release(&b);
}

static void assert_texts(struct ctx *c, size_t from, int first, int last)
{
	int i;

	assert_int_equal(c->n - from, (size_t)(last - first + 1));
	for (i = first; i <= last; i++) {
		char want[32];
		snprintf(want, sizeof want, "line %d", i);
		assert_string_equal(c->got[from + (size_t)(i - first)].text,
				    want);
	}
}

/* ---- files: backlog ---------------------------------------------------- */

static void test_backlog_gives_exactly_the_last_n_lines(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;

	append_lines(c->path, 1, 10);
	opts_init(c, &o, TAIL_VM, TAIL_BACKLOG_ONLY, 3);
	start(c, &o);
	assert_int_equal(c->n, 0); /* nothing from inside tail_start */
	wait_until(c, have_caught_up, 0);
	assert_texts(c, 0, 8, 10);
	assert_true(c->got[0].backlog);
	settle(c, 100);
	assert_int_equal(c->n, 3);
	assert_int_equal(c->caught_up, 1);
	finish(c);
}

static void test_backlog_reaches_into_the_rotated_copy(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;
	char *old = xasprintf("%s.1", c->path);

	append_lines(old, 1, 5);
	append_lines(c->path, 6, 7);
	opts_init(c, &o, TAIL_VM, TAIL_BACKLOG_ONLY, 4);
	start(c, &o);
	wait_until(c, have_caught_up, 0);
	assert_texts(c, 0, 4, 7);
	free(old);
	finish(c);
}

static void test_backlog_larger_than_the_file_gives_it_all(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;

	append_lines(c->path, 1, 4);
	opts_init(c, &o, TAIL_VM, TAIL_BACKLOG_ONLY, 100);
	start(c, &o);
	wait_until(c, have_caught_up, 0);
	assert_texts(c, 0, 1, 4);
	finish(c);
}

static void test_backlog_of_a_missing_file_is_empty(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;

	opts_init(c, &o, TAIL_VM, TAIL_BACKLOG_ONLY, 10);
	start(c, &o);
	wait_until(c, have_caught_up, 0);
	assert_int_equal(c->n, 0);
	assert_int_equal(c->errors, 0);
	finish(c);
}

static void test_backlog_only_delivers_a_partial_last_line(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;

	append(c->path, "one\ntwo\nthree, unfinished");
	opts_init(c, &o, TAIL_VM, TAIL_BACKLOG_ONLY, 2);
	start(c, &o);
	wait_until(c, have_caught_up, 0);
	assert_int_equal(c->n, 2);
	assert_string_equal(c->got[0].text, "two");
	assert_string_equal(c->got[1].text, "three, unfinished");
	finish(c);
}

/* ---- files: following --------------------------------------------------- */

static void test_follow_delivers_appended_lines(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;

	append_lines(c->path, 1, 2);
	opts_init(c, &o, TAIL_VM, TAIL_FOLLOW, 1);
	start(c, &o);
	wait_until(c, have_caught_up, 0);
	assert_texts(c, 0, 2, 2);
	append_lines(c->path, 3, 5);
	wait_until(c, have_lines, 4);
	assert_texts(c, 0, 2, 5);
	assert_false(c->got[1].backlog);
	finish(c);
}

static void test_follow_holds_a_partial_line_until_it_ends(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;

	opts_init(c, &o, TAIL_VM, TAIL_FOLLOW, 0);
	start(c, &o);
	wait_until(c, have_caught_up, 0);
	append(c->path, "half a li");
	settle(c, 200);
	assert_int_equal(c->n, 0);
	append(c->path, "ne\nnext\n");
	wait_until(c, have_lines, 2);
	assert_string_equal(c->got[0].text, "half a line");
	assert_string_equal(c->got[1].text, "next");
	finish(c);
}

static void test_follow_survives_rotation_by_rename(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;
	char *old = xasprintf("%s.1", c->path);
	int fd;

	append_lines(c->path, 1, 3);
	opts_init(c, &o, TAIL_VM, TAIL_FOLLOW, 10);
	start(c, &o);
	wait_until(c, have_lines, 3);
	/* a writer still holding the old file adds to it after the rename;
	 * then the new file starts */
	fd = open(c->path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(rename(c->path, old), 0);
	assert_int_equal(write(fd, "line 4\n", 7), 7);
	close(fd);
	append_lines(c->path, 5, 7);
	wait_until(c, have_lines, 7);
	assert_texts(c, 0, 1, 7);
	settle(c, 150);
	assert_int_equal(c->n, 7);
	free(old);
	finish(c);
}

static void test_follow_restarts_after_truncation(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;

	append_lines(c->path, 1, 3);
	opts_init(c, &o, TAIL_VM, TAIL_FOLLOW, 10);
	start(c, &o);
	wait_until(c, have_lines, 3);
	assert_int_equal(truncate(c->path, 0), 0);
	append_lines(c->path, 4, 5);
	wait_until(c, have_lines, 5);
	assert_texts(c, 0, 1, 5);
	finish(c);
}

static void test_follow_picks_up_a_file_created_later(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;

	opts_init(c, &o, TAIL_VM, TAIL_FOLLOW, 10);
	start(c, &o);
	wait_until(c, have_caught_up, 0);
	append_lines(c->path, 1, 2);
	wait_until(c, have_lines, 2);
	assert_texts(c, 0, 1, 2);
	finish(c);
}

static void
test_many_lines_arrive_in_order_and_the_ring_stays_bounded(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;
	struct logbuf *lb = logbuf_new(1000, 0);
	const int total = 100000;
	int i;

	opts_init(c, &o, TAIL_VM, TAIL_FOLLOW, 0);
	o.lb = lb;
	start(c, &o);
	wait_until(c, have_caught_up, 0);
	for (i = 0; i < 10; i++)
		append_lines(c->path, i * total / 10 + 1, (i + 1) * total / 10);
	wait_until(c, have_lines, total);
	assert_texts(c, 0, 1, total);
	assert_int_equal(logbuf_count(lb), 1000);
	assert_int_equal(logbuf_dropped(lb), total - 1000);
	assert_string_equal(logbuf_get(lb, 999)->text, "line 100000");
	finish(c);
	logbuf_free(lb);
}

static void
test_long_line_is_cut_and_flagged_and_the_next_is_intact(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;
	char *big = xmalloc(100001);

	memset(big, 'x', 100000);
	big[100000] = '\0';
	append(c->path, big);
	append(c->path, "\nafter\n");
	opts_init(c, &o, TAIL_VM, TAIL_BACKLOG_ONLY, 10);
	o.max_line = 1000;
	start(c, &o);
	wait_until(c, have_caught_up, 0);
	assert_int_equal(c->n, 2);
	/* the first 1000 bytes, then the marker that says it was cut */
	assert_int_equal(strncmp(c->got[0].text, big, 1000), 0);
	assert_string_equal(c->got[0].text + 1000,
			    " [cut: the line is longer than 1000 bytes]");
	assert_true(c->got[0].flags & LOGBUF_TRUNCATED);
	assert_string_equal(c->got[1].text, "after");
	assert_false(c->got[1].flags & LOGBUF_TRUNCATED);
	free(big);
	finish(c);
}

static void test_held_tail_loses_nothing_before_tail_follow(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;

	append_lines(c->path, 1, 2);
	opts_init(c, &o, TAIL_VM, TAIL_FOLLOW_HELD, 5);
	start(c, &o);
	wait_until(c, have_caught_up, 0);
	append_lines(c->path, 3, 4);
	settle(c, 150);
	assert_int_equal(c->n, 2); /* held */
	tail_follow(c->t);
	wait_until(c, have_lines, 4);
	assert_texts(c, 0, 1, 4);
	finish(c);
}

static void test_follow_called_from_caught_up_starts_following(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;

	opts_init(c, &o, TAIL_VM, TAIL_FOLLOW_HELD, 0);
	c->follow_in_caught_up = 1;
	start(c, &o);
	wait_until(c, have_caught_up, 0);
	append_lines(c->path, 1, 1);
	wait_until(c, have_lines, 1);
	finish(c);
}

static void test_events_lines_take_their_time_from_the_line(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;

	append(c->path, "2026-01-02T03:04:05.678Z up: network: created\n");
	opts_init(c, &o, TAIL_EVENTS, TAIL_BACKLOG_ONLY, 5);
	start(c, &o);
	wait_until(c, have_caught_up, 0);
	assert_int_equal(c->n, 1);
	assert_string_equal(c->got[0].text, "up: network: created");
	assert_string_equal(c->got[0].raw,
			    "2026-01-02T03:04:05.678Z up: network: created");
	assert_int_equal(c->got[0].wall_ms, 1767323045678ULL);
	finish(c);
}

static void test_events_source_finds_events_log_in_the_state_dir(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;
	char *bdir = xasprintf("%s/t1", c->dir);
	char *log = xasprintf("%s/events.log", bdir);

	assert_int_equal(mkdir(bdir, 0700), 0);
	append(log, "2026-01-02T03:04:05.678Z hello\n");
	opts_init(c, &o, TAIL_EVENTS, TAIL_BACKLOG_ONLY, 5);
	o.path = NULL;
	o.state_dir = c->dir;
	start(c, &o);
	wait_until(c, have_caught_up, 0);
	assert_int_equal(c->n, 1);
	assert_string_equal(c->got[0].text, "hello");
	free(log);
	free(bdir);
	finish(c);
}

static void test_hostile_text_is_inert_but_raw_keeps_it(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;
	struct sanitize_opts san = SANITIZE_OPTS_INIT;
	struct logbuf *lb = logbuf_new(10, 0);
	const char *hostile = "a\x1b]52;c;aGk=\x07 b\x1b[2J c\xc2\x9b"
			      "31m d\x9b"
			      "2J e\xff\xfe f";
	size_t i;

	append(c->path, hostile);
	append(c->path, "\n");
	san.ascii = 1;
	opts_init(c, &o, TAIL_VM, TAIL_BACKLOG_ONLY, 5);
	o.san = &san;
	o.lb = lb;
	o.raw = 1;
	start(c, &o);
	wait_until(c, have_caught_up, 0);
	assert_int_equal(c->n, 1);
	for (i = 0; c->got[0].text[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)c->got[0].text[i];
		assert_true(ch >= 0x20 && ch < 0x7f);
	}
	assert_non_null(strstr(c->got[0].text, "a"));
	assert_non_null(strstr(c->got[0].text, " f"));
	assert_string_equal(c->got[0].raw, hostile);
	assert_string_equal(logbuf_get(lb, 0)->text, hostile); /* raw ring */
	finish(c);
	logbuf_free(lb);
}

static void test_close_from_a_line_callback_stops_delivery(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;

	append_lines(c->path, 1, 50);
	opts_init(c, &o, TAIL_VM, TAIL_FOLLOW, 50);
	c->close_at_line = 3;
	start(c, &o);
	settle(c, 200);
	assert_int_equal(c->n, 3);
	assert_int_equal(c->caught_up, 0);
	finish(c);
}

static void test_an_idle_tail_only_wakes_for_its_poll(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;
	uint64_t t0;
	int rounds = 0;

	append_lines(c->path, 1, 1);
	opts_init(c, &o, TAIL_VM, TAIL_FOLLOW, 1);
	o.poll_ms = 200;
	start(c, &o);
	wait_until(c, have_caught_up, 0);
	t0 = util_mono_ms();
	while (util_mono_ms() - t0 < 1000) {
		uv_run(&c->loop, UV_RUN_ONCE);
		rounds++;
	}
	/* about one wake-up per poll; a spinning loop would do thousands */
	assert_true(rounds <= 12);
	finish(c);
}

/* ---- docker logs, through a fake docker ---------------------------------- */

/* fake: write an executable script DIR/NAME with body; returns its path
 * (caller frees). */
static char *fake(struct ctx *c, const char *name, const char *body)
{
	char *p = xasprintf("%s/%s", c->dir, name);
	char *text = xasprintf("#!/bin/sh\nD='%s'\n%s", c->dir, body);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0755);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	free(text);
	return p;
}

static const char fake_docker_body[] =
    "echo \"$*\" >>\"$D/args\"\n"
    "case \" $* \" in\n"
    "*' -f '*)\n"
    "  printf '2026-01-01T00:00:02.000000000Z live line\\n'\n"
    "  printf '%s\\n' '2026-01-01T00:00:03.000000000Z "
    "{\"event\":\"blocked\",\"scanner\":\"dlp\",\"reason\":\"GitHub "
    "Token\",\"url\":\"https://github.com/x\",\"severity\":\"critical\"}'\n"
    "  printf '2026-01-01T00:00:04.000000000Z on stderr\\n' >&2\n"
    "  echo $$ >\"$D/gpid.tmp\"; mv \"$D/gpid.tmp\" \"$D/gpid\"; "
    "exec sleep 1000 ;;\n"
    "*)\n"
    "  printf '2026-01-01T00:00:00.000000000Z old one\\n'\n"
    "  printf '%s\\n' '2026-01-01T00:00:01.000000000Z "
    "{\"event\":\"listening\",\"service\":\"pipelock\"}' ;;\n"
    "esac\n";

static char *read_all(const char *path)
{
	char *s = NULL, *cause = NULL;
	size_t len;

	if (util_read_file(path, &s, &len, &cause) != 0) {
		free(cause);
		return xstrdup("");
	}
	return s;
}

/* pid_gone: no such process, or a zombie. */
static int pid_gone(pid_t pid)
{
	char path[64];
	char *s, *paren;
	int gone;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	s = read_all(path);
	paren = strrchr(s, ')');
	gone = s[0] == '\0' ||
	       (paren != NULL && paren[1] == ' ' && paren[2] == 'Z');
	free(s);
	return gone;
}

static void test_bundle_backlog_then_follow_with_summaries(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;
	char *docker = fake(c, "docker", fake_docker_body);
	char *args, *gpid_path, *gpid_text;
	pid_t gpid;
	uint64_t t0;

	setenv("BOTTLE_DOCKER", docker, 1);
	opts_init(c, &o, TAIL_BUNDLE, TAIL_FOLLOW, 2);
	o.path = NULL;
	start(c, &o);
	wait_until(c, have_lines, 5);
	assert_string_equal(c->got[0].text, "old one");
	assert_true(c->got[0].backlog);
	assert_int_equal(c->got[0].wall_ms, 1767225600000ULL);
	/* a plain JSON event stays as it is */
	assert_string_equal(
	    c->got[1].text,
	    "{\"event\":\"listening\",\"service\":\"pipelock\"}");
	assert_false(c->got[1].flags & LOGBUF_HIGHLIGHT);
	assert_string_equal(c->got[2].text, "live line");
	assert_false(c->got[2].backlog);
	assert_string_equal(c->got[2].raw, "live line");
	/* the audit line: summarised, highlighted, raw kept */
	assert_non_null(strstr(c->got[3].text, "BLOCKED dlp: GitHub Token"));
	assert_non_null(strstr(c->got[3].text, "github.com"));
	assert_true(c->got[3].flags & LOGBUF_HIGHLIGHT);
	assert_non_null(strstr(c->got[3].raw, "\"scanner\":\"dlp\""));
	/* the container's stderr, flagged */
	assert_string_equal(c->got[4].text, "on stderr");
	assert_true(c->got[4].flags & LOGBUF_STDERR);

	args = xasprintf("%s/args", c->dir);
	gpid_text = read_all(args);
	assert_non_null(strstr(gpid_text, "logs --timestamps --tail 2 "
					  "bottle-t1-bundle"));
	assert_non_null(strstr(gpid_text, "logs -f --timestamps --since "));
	free(gpid_text);
	free(args);

	/* closing kills docker logs (here: the fake, become sleep) */
	gpid_path = xasprintf("%s/gpid", c->dir);
	t0 = util_mono_ms();
	while (access(gpid_path, F_OK) != 0 && util_mono_ms() - t0 < WAIT_MS)
		settle(c, 10);
	gpid_text = read_all(gpid_path);
	gpid = (pid_t)strtol(gpid_text, NULL, 10);
	assert_true(gpid > 0);
	assert_false(pid_gone(gpid));
	tail_close(c->t);
	c->t = NULL;
	settle(c, 100);
	t0 = util_mono_ms();
	while (!pid_gone(gpid) && util_mono_ms() - t0 < WAIT_MS)
		usleep(10000);
	assert_true(pid_gone(gpid));
	free(gpid_text);
	free(gpid_path);
	free(docker);
	finish(c);
}

/* Each follow run prints the last line of the run before again (docker's
 * --since is inclusive) plus one new line, then exits; the third stays. */
static const char fake_docker_restart_body[] =
    "echo \"$*\" >>\"$D/args\"\n"
    "case \" $* \" in *' -f '*) ;; *) exit 0 ;; esac\n"
    "n=$(cat \"$D/n\" 2>/dev/null || echo 0); n=$((n + 1)); echo $n >\"$D/n\"\n"
    "[ $n -gt 1 ] && printf '2026-01-01T00:00:0%d.000000000Z line %d\\n' "
    "$((n - 1)) $((n - 1))\n"
    "printf '2026-01-01T00:00:0%d.000000000Z line %d\\n' $n $n\n"
    "[ $n -ge 3 ] && exec sleep 1000\n"
    "exit 0\n";

static void test_bundle_restarts_after_exit_without_duplicates(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;
	char *docker = fake(c, "docker", fake_docker_restart_body);
	char *args_path = xasprintf("%s/args", c->dir), *args;

	setenv("BOTTLE_DOCKER", docker, 1);
	opts_init(c, &o, TAIL_BUNDLE, TAIL_FOLLOW, 0);
	o.path = NULL;
	start(c, &o);
	wait_until(c, have_lines, 3);
	settle(c, 100);
	assert_texts(c, 0, 1, 3);
	assert_int_equal(tail_restarts(c->t), 2);
	args = read_all(args_path);
	assert_non_null(strstr(
	    args, "--since 2026-01-01T00:00:02.000000000Z --tail 10000"));
	free(args);
	free(args_path);
	free(docker);
	finish(c);
}

static void test_bundle_missing_container_is_reported_once(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;
	char *docker = fake(c, "docker",
			    "echo 'Error response from daemon: No such "
			    "container: bottle-t1-bundle' >&2\nexit 1\n");

	setenv("BOTTLE_DOCKER", docker, 1);
	opts_init(c, &o, TAIL_BUNDLE, TAIL_FOLLOW, 10);
	o.path = NULL;
	start(c, &o);
	wait_until(c, have_status, 0);
	assert_true(c->status_error);
	assert_string_equal(c->status,
			    "docker logs: Error response from daemon: No such "
			    "container: bottle-t1-bundle");
	wait_until(c, have_caught_up, 0);
	settle(c, 300); /* retries with backoff, reported once */
	assert_int_equal(c->errors, 1);
	assert_true(tail_restarts(c->t) >= 2);
	assert_int_equal(c->n, 0);
	free(docker);
	finish(c);
}

/* ---- vm: smolvm machine data-dir ------------------------------------------
 */

static void test_vm_source_follows_the_console_log_of_data_dir(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;
	char *smolvm = fake(c, "smolvm",
			    "[ \"$1 $2 $3\" = 'machine data-dir bottle-t1' ] "
			    "|| exit 2\necho \"$D/vmdir\"\n");
	struct smolvm_cli cli = cli_at(smolvm, 0, 8, 0);
	char *vmdir = xasprintf("%s/vmdir", c->dir);
	char *console = xasprintf("%s/agent-console.log", vmdir);

	assert_int_equal(mkdir(vmdir, 0700), 0);
	append(console, "[    0.1] booting\n");
	opts_init(c, &o, TAIL_VM, TAIL_FOLLOW, 10);
	o.path = NULL;
	o.smolvm = &cli;
	start(c, &o);
	wait_until(c, have_lines, 1);
	assert_string_equal(c->got[0].text, "[    0.1] booting");
	append(console, "[    0.2] agent ready\n");
	wait_until(c, have_lines, 2);
	assert_string_equal(c->got[1].text, "[    0.2] agent ready");
	free(console);
	free(vmdir);
	free(smolvm);
	finish(c);
}

/* From 1.0.2 data-dir takes --name (0.8's positional NAME is a usage
 * error); smolvm gets the given environment, not the caller's. */
static void test_vm_data_dir_speaks_the_band_with_its_env(void **state)
{
	static const char *const env[] = {"PATH=/usr/bin:/bin", "TAIL_MARK=yes",
					  NULL};
	struct ctx *c = *state;
	struct tail_opts o;
	char *smolvm =
	    fake(c, "smolvm",
		 "[ \"$*\" = 'machine data-dir --name bottle-t1' ] || "
		 "{ echo \"error: unexpected argument '$3'\" >&2; exit 2; }\n"
		 "[ \"$TAIL_MARK\" = yes ] || { echo 'Error: no env' >&2; exit "
		 "1; }\n"
		 "[ -z \"$HTTPS_PROXY\" ] || { echo 'Error: proxy leaked' >&2; "
		 "exit 1; }\n"
		 "echo \"$D/vmdir\"\n");
	struct smolvm_cli cli = cli_at(smolvm, 1, 9, 3);
	char *vmdir = xasprintf("%s/vmdir", c->dir);
	char *console = xasprintf("%s/agent-console.log", vmdir);

	setenv("HTTPS_PROXY", "http://leak:3128", 1);
	assert_int_equal(mkdir(vmdir, 0700), 0);
	append(console, "[    0.1] booting\n");
	opts_init(c, &o, TAIL_VM, TAIL_BACKLOG_ONLY, 10);
	o.path = NULL;
	o.smolvm = &cli;
	o.smolvm_env = env;
	start(c, &o);
	wait_until(c, have_caught_up, 0);
	unsetenv("HTTPS_PROXY");
	if (c->status_error)
		fail_msg("data-dir failed: %s", c->status ? c->status : "?");
	assert_true(c->n >= 1);
	assert_string_equal(c->got[0].text, "[    0.1] booting");
	free(console);
	free(vmdir);
	free(smolvm);
	finish(c);
}

static void test_vm_data_dir_failure_is_reported(void **state)
{
	struct ctx *c = *state;
	struct tail_opts o;
	char *smolvm = fake(
	    c, "smolvm", "echo 'Error: vm not found: bottle-t1' >&2\nexit 1\n");

	struct smolvm_cli cli = cli_at(smolvm, 1, 9, 3);

	opts_init(c, &o, TAIL_VM, TAIL_BACKLOG_ONLY, 10);
	o.path = NULL;
	o.smolvm = &cli;
	start(c, &o);
	wait_until(c, have_caught_up, 0);
	assert_true(c->status_error);
	assert_string_equal(c->status, "smolvm machine data-dir: Error: vm not "
				       "found: bottle-t1");
	free(smolvm);
	finish(c);
}

static void test_source_names_round_trip(void **state)
{
	enum tail_source s;

	(void)state;
	assert_int_equal(tail_source_parse("bundle", &s), 0);
	assert_int_equal(s, TAIL_BUNDLE);
	assert_string_equal(tail_source_name(TAIL_VM), "vm");
	assert_int_equal(tail_source_parse("all", &s), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	    T(test_backlog_gives_exactly_the_last_n_lines),
	    T(test_backlog_reaches_into_the_rotated_copy),
	    T(test_backlog_larger_than_the_file_gives_it_all),
	    T(test_backlog_of_a_missing_file_is_empty),
	    T(test_backlog_only_delivers_a_partial_last_line),
	    T(test_follow_delivers_appended_lines),
	    T(test_follow_holds_a_partial_line_until_it_ends),
	    T(test_follow_survives_rotation_by_rename),
	    T(test_follow_restarts_after_truncation),
	    T(test_follow_picks_up_a_file_created_later),
	    T(test_many_lines_arrive_in_order_and_the_ring_stays_bounded),
	    T(test_long_line_is_cut_and_flagged_and_the_next_is_intact),
	    T(test_held_tail_loses_nothing_before_tail_follow),
	    T(test_follow_called_from_caught_up_starts_following),
	    T(test_events_lines_take_their_time_from_the_line),
	    T(test_events_source_finds_events_log_in_the_state_dir),
	    T(test_hostile_text_is_inert_but_raw_keeps_it),
	    T(test_close_from_a_line_callback_stops_delivery),
	    T(test_an_idle_tail_only_wakes_for_its_poll),
	    T(test_bundle_backlog_then_follow_with_summaries),
	    T(test_bundle_restarts_after_exit_without_duplicates),
	    T(test_bundle_missing_container_is_reported_once),
	    T(test_vm_source_follows_the_console_log_of_data_dir),
	    T(test_vm_data_dir_speaks_the_band_with_its_env),
	    T(test_vm_data_dir_failure_is_reported),
	    cmocka_unit_test(test_source_names_round_trip),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
