/* test_proc.c: subprocesses on a real loop with real children. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "lines.h"
#include "proc.h"

struct line {
	int fd;
	char *data; /* owned */
	size_t len;
};

struct run {
	uv_loop_t loop;
	struct proc *p;	      /* borrowed; valid until on_exit returns */
	pid_t pid;	      /* proc_pid right after spawn */
	int done;	      /* on_exit calls */
	struct proc_result r; /* copy; r.out and r.err are owned copies */
	struct line *lines;   /* owned */
	size_t nlines;
	pid_t gpid;	  /* first stdout line read as a pid */
	int kill_on_gpid; /* proc_kill once gpid is known */
	int kill_in_exit; /* proc_kill from inside on_exit */
	uv_timer_t poll;  /* for tests that act while it runs */
	int step;
	uint64_t t0;
};

static void run_on_exit(struct proc *p, const struct proc_result *r, void *data)
{
	struct run *run = data;

	assert_ptr_equal(p, run->p);
	run->done++;
	run->r = *r;
	memset(&run->r.out, 0, sizeof run->r.out);
	memset(&run->r.err, 0, sizeof run->r.err);
	buf_add(&run->r.out, r->out.data, r->out.len);
	buf_add(&run->r.err, r->err.data, r->err.len);
	if (run->kill_in_exit) {
		proc_kill(p);
		proc_kill(p);
	}
	assert_int_equal(proc_live_count(), 0);
}

static void run_on_line(struct proc *p, int fd, const char *line, size_t len,
			void *data)
{
	struct run *run = data;
	struct line *l;

	assert_int_equal(line[len], '\0');
	run->lines =
	    xreallocarray(run->lines, run->nlines + 1, sizeof *run->lines);
	l = &run->lines[run->nlines++];
	l->fd = fd;
	l->len = len;
	l->data = xmalloc(len + 1);
	memcpy(l->data, line, len + 1);
	if (fd == 1 && run->gpid == 0) {
		run->gpid = (pid_t)strtol(line, NULL, 10);
		if (run->kill_on_gpid)
			proc_kill(p);
	}
}

static void run_init(struct run *run)
{
	memset(run, 0, sizeof *run);
	assert_int_equal(uv_loop_init(&run->loop), 0);
}

/* run_start: spawn argv with o (callbacks filled in here). */
static void run_start(struct run *run, const char *const *argv,
		      struct proc_opts *o)
{
	o->argv = argv;
	o->on_exit = run_on_exit;
	o->on_line = run_on_line;
	o->data = run;
	run->p = proc_spawn(&run->loop, o);
	run->pid = proc_pid(run->p);
	run->t0 = util_mono_ms();
}

/* run_argv: spawn argv with default options plus capture, and wait. */
static void run_argv(struct run *run, const char *const *argv)
{
	struct proc_opts o;

	memset(&o, 0, sizeof o);
	o.capture = 1;
	run_start(run, argv, &o);
	uv_run(&run->loop, UV_RUN_DEFAULT);
}

static void run_finish(struct run *run)
{
	size_t i;

	assert_int_equal(uv_loop_close(&run->loop), 0);
	for (i = 0; i < run->nlines; i++)
		free(run->lines[i].data);
	free(run->lines);
	buf_release(&run->r.out);
	buf_release(&run->r.err);
}

static void assert_line(const struct run *run, size_t i, int fd, const char *s,
			size_t len)
{
	assert_true(i < run->nlines);
	assert_int_equal(run->lines[i].fd, fd);
	assert_int_equal(run->lines[i].len, len);
	assert_memory_equal(run->lines[i].data, s, len);
}

/* pid_gone: no such process, or a zombie (dead, not yet reaped). */
static int pid_gone(pid_t pid)
{
	char path[64], stat[512];
	const char *paren;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 1;
	n = read(fd, stat, sizeof stat - 1);
	close(fd);
	if (n <= 0)
		return 1;
	stat[n] = '\0';
	paren = strrchr(stat, ')');
	return paren != NULL && paren[1] == ' ' && paren[2] == 'Z';
}

static void assert_pid_gone_soon(pid_t pid)
{
	int i;

	assert_true(pid > 0);
	for (i = 0; i < 300 && !pid_gone(pid); i++)
		usleep(10000);
	if (!pid_gone(pid))
		fail_msg("pid %d still running", (int)pid);
}

/* child_reaped: libuv has reaped it (so its exit callback ran). */
static int child_reaped(pid_t pid)
{
	return kill(pid, 0) == -1 && errno == ESRCH;
}

static void test_exit_status_zero_is_reported(void **state)
{
	const char *argv[] = {"true", NULL};
	struct run run;

	run_init(&run);
	run_argv(&run, argv);
	assert_int_equal(run.done, 1);
	assert_true(run.pid > 0);
	assert_int_equal(run.r.exited, 1);
	assert_int_equal(run.r.exit_status, 0);
	assert_int_equal(run.r.term_signal, 0);
	assert_int_equal(run.r.spawn_error, 0);
	assert_int_equal(run.r.timed_out, 0);
	assert_int_equal(proc_live_count(), 0);
	run_finish(&run);
}

static void test_exit_status_three_is_reported(void **state)
{
	const char *argv[] = {"sh", "-c", "exit 3", NULL};
	struct run run;

	run_init(&run);
	run_argv(&run, argv);
	assert_int_equal(run.done, 1);
	assert_int_equal(run.r.exited, 1);
	assert_int_equal(run.r.exit_status, 3);
	run_finish(&run);
}

static void test_death_by_signal_is_reported(void **state)
{
	const char *argv[] = {"sh", "-c", "kill -9 $$", NULL};
	struct run run;

	run_init(&run);
	run_argv(&run, argv);
	assert_int_equal(run.done, 1);
	assert_int_equal(run.r.exited, 0);
	assert_int_equal(run.r.term_signal, SIGKILL);
	run_finish(&run);
}

static void test_missing_program_is_reported_from_the_loop(void **state)
{
	const char *argv[] = {"/nonexistent/bottle-no-such-program", NULL};
	const char *bare[] = {"bottle-no-such-program-in-path", NULL};
	struct proc_opts o;
	struct run run;
	char *desc;

	run_init(&run);
	memset(&o, 0, sizeof o);
	run_start(&run, argv, &o);
	assert_int_equal(run.done, 0); /* never synchronously */
	assert_int_equal(run.pid, 0);
	assert_int_equal(proc_live_count(), 1);
	uv_run(&run.loop, UV_RUN_DEFAULT);
	assert_int_equal(run.done, 1);
	assert_int_equal(run.r.spawn_error, UV_ENOENT);
	assert_int_equal(run.r.exited, 0);
	desc = proc_describe(argv, &run.r);
	assert_non_null(strstr(desc, "not started: ENOENT"));
	free(desc);
	run_finish(&run);

	run_init(&run);
	run_argv(&run, bare);
	assert_int_equal(run.done, 1);
	assert_int_equal(run.r.spawn_error, UV_ENOENT);
	run_finish(&run);
}

static void test_empty_argv_is_reported_from_the_loop(void **state)
{
	const char *argv[] = {NULL};
	struct run run;

	run_init(&run);
	run_argv(&run, argv);
	assert_int_equal(run.done, 1);
	assert_int_equal(run.pid, 0);
	assert_int_equal(run.r.spawn_error, UV_EINVAL);
	run_finish(&run);
}

static void test_stdout_and_stderr_are_captured_byte_exact(void **state)
{
	const char *argv[] = {
	    "sh", "-c", "printf 'a\\000b\\377\\n'; printf 'e\\000r' >&2", NULL};
	struct run run;

	run_init(&run);
	run_argv(&run, argv);
	assert_int_equal(run.r.exit_status, 0);
	assert_int_equal(run.r.out.len, 5);
	assert_memory_equal(run.r.out.data, "a\0b\377\n", 5);
	assert_int_equal(run.r.err.len, 3);
	assert_memory_equal(run.r.err.data, "e\0r", 3);
	assert_int_equal(run.r.out_truncated, 0);
	assert_int_equal(run.r.err_truncated, 0);
	run_finish(&run);
}

/* fill: deterministic bytes covering all 256 values, NUL included. */
static char *fill(size_t n)
{
	char *p = xmalloc(n);
	uint32_t x = 2463534242u;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (char)(i % 7 == 0 ? 0 : x);
	}
	return p;
}

static void test_stdin_data_round_trips_through_cat(void **state)
{
	const char *argv[] = {"cat", NULL};
	size_t n = (size_t)1 << 20;
	char *data = fill(n);
	struct proc_opts o;
	struct run run;

	run_init(&run);
	memset(&o, 0, sizeof o);
	o.capture = 1;
	o.stdin_data = data;
	o.stdin_len = n;
	run_start(&run, argv, &o);
	uv_run(&run.loop, UV_RUN_DEFAULT);
	assert_int_equal(run.r.exit_status, 0);
	assert_int_equal(run.r.out.len, n);
	assert_memory_equal(run.r.out.data, data, n);
	free(data);
	run_finish(&run);
}

static void test_empty_stdin_data_gives_immediate_eof(void **state)
{
	const char *argv[] = {"wc", "-c", NULL};
	struct proc_opts o;
	struct run run;

	run_init(&run);
	memset(&o, 0, sizeof o);
	o.capture = 1;
	o.stdin_data = "";
	o.stdin_len = 0;
	run_start(&run, argv, &o);
	uv_run(&run.loop, UV_RUN_DEFAULT);
	assert_int_equal(run.r.exit_status, 0);
	assert_string_equal(run.r.out.data, "0\n");
	run_finish(&run);
}

static void test_child_ignoring_stdin_data_does_not_hurt_us(void **state)
{
	const char *argv[] = {"true", NULL};
	size_t n = (size_t)1 << 20;
	char *data = fill(n);
	struct proc_opts o;
	struct run run;

	run_init(&run);
	memset(&o, 0, sizeof o);
	o.stdin_data = data;
	o.stdin_len = n;
	run_start(&run, argv, &o);
	free(data); /* proc keeps its own copy */
	uv_run(&run.loop, UV_RUN_DEFAULT);
	assert_int_equal(run.done, 1);
	assert_int_equal(run.r.exit_status, 0);
	run_finish(&run);
}

static void test_children_do_not_inherit_ignored_sigpipe(void **state)
{
	const char *argv[] = {"grep", "^SigIgn:", "/proc/self/status", NULL};
	struct run run;

	run_init(&run);
	run_argv(&run, argv); /* proc ignores SIGPIPE in this process */
	assert_int_equal(run.r.exit_status, 0);
	/* only SIGPIPE's bit matters: the caller of the test may ignore
	 * other signals (glibc's internal ones, say) */
	assert_non_null(run.r.out.data);
	assert_int_equal(
	    strtoull(run.r.out.data + strlen("SigIgn:\t"), NULL, 16) &
		(1ull << (SIGPIPE - 1)),
	    0);
	run_finish(&run);
}

static void test_lines_come_per_stream_and_last_one_unterminated(void **s)
{
	const char *argv[] = {"sh", "-c",
			      "printf 'one\\r\\ntwo'; printf 'e1\\ne2' >&2; "
			      "printf 'a\\000b\\n'",
			      NULL};
	struct run run;
	size_t i, n1 = 0, n2 = 0;

	run_init(&run);
	run_argv(&run, argv);
	assert_int_equal(run.nlines, 4);
	for (i = 0; i < run.nlines; i++) {
		const struct line *l = &run.lines[i];
		if (l->fd == 1 && n1 == 0)
			assert_line(&run, i, 1, "one", 3);
		else if (l->fd == 1 && n1 == 1)
			assert_line(&run, i, 1, "twoa\0b", 6);
		else if (l->fd == 1)
			fail_msg("extra stdout line");
		else if (n2 == 0)
			assert_line(&run, i, 2, "e1", 2);
		else
			assert_line(&run, i, 2, "e2", 2);
		if (l->fd == 1)
			n1++;
		else
			n2++;
	}
	assert_int_equal(n1, 2);
	assert_int_equal(n2, 2);
	run_finish(&run);
}

static void test_long_line_arrives_in_pieces(void **state)
{
	const char *argv[] = {"sh", "-c",
			      "head -c 40000 /dev/zero | tr '\\000' x", NULL};
	struct run run;

	run_init(&run);
	run_argv(&run, argv);
	assert_int_equal(run.nlines, 3);
	assert_int_equal(run.lines[0].len, LINES_DEFAULT_MAX);
	assert_int_equal(run.lines[1].len, LINES_DEFAULT_MAX);
	assert_int_equal(run.lines[2].len, 40000 - 2 * LINES_DEFAULT_MAX);
	assert_int_equal(run.lines[2].data[0], 'x');
	run_finish(&run);
}

static void test_timeout_terminates_with_sigterm(void **state)
{
	const char *argv[] = {"sleep", "30", NULL};
	struct proc_opts o;
	struct run run;
	char *desc;

	run_init(&run);
	memset(&o, 0, sizeof o);
	o.timeout_ms = 100;
	run_start(&run, argv, &o);
	uv_run(&run.loop, UV_RUN_DEFAULT);
	assert_int_equal(run.done, 1);
	assert_int_equal(run.r.timed_out, 1);
	assert_int_equal(run.r.exited, 0);
	assert_int_equal(run.r.term_signal, SIGTERM);
	assert_true(run.r.duration_ms >= 100);
	assert_true(run.r.duration_ms < 5000);
	desc = proc_describe(argv, &run.r);
	assert_non_null(strstr(desc, "timed out after"));
	assert_non_null(strstr(desc, "SIGTERM"));
	free(desc);
	run_finish(&run);
}

static void test_child_ignoring_term_is_killed_after_grace(void **state)
{
	const char *argv[] = {"sh", "-c", "trap '' TERM; exec sleep 30", NULL};
	struct proc_opts o;
	struct run run;

	run_init(&run);
	memset(&o, 0, sizeof o);
	o.timeout_ms = 100;
	o.kill_grace_ms = 200;
	run_start(&run, argv, &o);
	uv_run(&run.loop, UV_RUN_DEFAULT);
	assert_int_equal(run.r.timed_out, 1);
	assert_int_equal(run.r.term_signal, SIGKILL);
	assert_true(run.r.duration_ms >= 300);
	assert_true(run.r.duration_ms < 5000);
	run_finish(&run);
}

static void test_group_kill_reaches_term_ignoring_grandchild(void **state)
{
	/* the brief's case: sh ignores TERM and so does its sleep */
	const char *argv[] = {"sh", "-c",
			      "trap '' TERM; sleep 30 & echo $!; wait", NULL};
	struct proc_opts o;
	struct run run;

	run_init(&run);
	memset(&o, 0, sizeof o);
	o.new_pgrp = 1;
	o.timeout_ms = 200;
	o.kill_grace_ms = 200;
	run_start(&run, argv, &o);
	uv_run(&run.loop, UV_RUN_DEFAULT);
	assert_int_equal(run.r.timed_out, 1);
	assert_int_equal(run.r.term_signal, SIGKILL);
	assert_pid_gone_soon(run.gpid);
	run_finish(&run);
}

static void test_new_pgrp_kill_reaches_grandchild(void **state)
{
	const char *argv[] = {"sh", "-c", "sleep 30 & echo $!; wait", NULL};
	struct proc_opts o;
	struct run run;

	run_init(&run);
	memset(&o, 0, sizeof o);
	o.new_pgrp = 1;
	run.kill_on_gpid = 1;
	run_start(&run, argv, &o);
	assert_int_equal(getpgid(run.pid), run.pid);
	uv_run(&run.loop, UV_RUN_DEFAULT);
	assert_int_equal(run.done, 1);
	assert_int_equal(run.r.term_signal, SIGTERM);
	assert_int_equal(run.r.timed_out, 0);
	assert_pid_gone_soon(run.gpid);
	run_finish(&run);
}

/* A grandchild keeps stdout open after the child exited: the test checks
 * that nothing is reported, then kills the grandchild itself. */
static void on_poll_then_kill_grandchild(uv_timer_t *t)
{
	struct run *run = t->data;

	if (run->step == 0 && (run->gpid == 0 || !child_reaped(run->pid)))
		return;
	if (run->step == 0) {
		assert_int_equal(run->done, 0);
		run->step = 1;
		run->t0 = util_mono_ms();
		return;
	}
	if (util_mono_ms() - run->t0 < 200)
		return;
	assert_int_equal(run->done, 0); /* still waiting for EOF */
	assert_int_equal(kill(run->gpid, SIGKILL), 0);
	uv_close((uv_handle_t *)t, NULL);
}

static void test_completion_waits_for_eof_after_exit(void **state)
{
	const char *argv[] = {"sh", "-c", "sleep 30 & echo $!", NULL};
	struct proc_opts o;
	struct run run;

	run_init(&run);
	memset(&o, 0, sizeof o);
	run_start(&run, argv, &o);
	uv_timer_init(&run.loop, &run.poll);
	run.poll.data = &run;
	uv_timer_start(&run.poll, on_poll_then_kill_grandchild, 10, 10);
	uv_run(&run.loop, UV_RUN_DEFAULT);
	assert_int_equal(run.done, 1);
	assert_int_equal(run.r.exited, 1);
	assert_int_equal(run.r.exit_status, 0);
	assert_int_equal(run.r.timed_out, 0);
	assert_true(run.r.duration_ms >= 200);
	assert_pid_gone_soon(run.gpid);
	run_finish(&run);
}

/* The leader of a new process group exits, leaving a member that holds
 * stdout; proc_kill comes once the leader has been reaped (its exit
 * callback ran). The group's id may now name anything: it must not be
 * signalled. proc gives up the pipes after the grace and the member is
 * left alone (the test kills it itself). */
static void on_poll_kill_group_after_reap(uv_timer_t *t)
{
	struct run *run = t->data;

	if (run->gpid == 0 || !child_reaped(run->pid))
		return;
	assert_int_equal(run->done, 0);
	proc_kill(run->p);
	uv_close((uv_handle_t *)t, NULL);
}

static void test_group_is_not_signalled_after_leader_reaped(void **state)
{
	const char *argv[] = {"sh", "-c", "sleep 30 & echo $!", NULL};
	struct proc_opts o;
	struct run run;

	run_init(&run);
	memset(&o, 0, sizeof o);
	o.new_pgrp = 1;
	o.kill_grace_ms = 100;
	run_start(&run, argv, &o);
	assert_int_equal(getpgid(run.pid), run.pid);
	uv_timer_init(&run.loop, &run.poll);
	run.poll.data = &run;
	uv_timer_start(&run.poll, on_poll_kill_group_after_reap, 10, 10);
	uv_run(&run.loop, UV_RUN_DEFAULT);
	assert_int_equal(run.done, 1);
	assert_int_equal(run.r.exited, 1); /* sh itself exited 0 */
	assert_int_equal(run.r.exit_status, 0);
	assert_true(run.gpid > 0);
	/* still in the old group, and never signalled */
	assert_int_equal(getpgid(run.gpid), run.pid);
	assert_false(pid_gone(run.gpid));
	assert_int_equal(kill(run.gpid, SIGKILL), 0);
	assert_pid_gone_soon(run.gpid);
	run_finish(&run);
}

/* The same while the leader lives: the whole group is reached. */
static void test_group_is_signalled_while_leader_alive(void **state)
{
	const char *argv[] = {"sh", "-c", "sleep 30 & echo $!; wait", NULL};
	struct proc_opts o;
	struct run run;

	run_init(&run);
	memset(&o, 0, sizeof o);
	o.new_pgrp = 1;
	o.timeout_ms = 300;
	run_start(&run, argv, &o);
	uv_run(&run.loop, UV_RUN_DEFAULT);
	assert_int_equal(run.done, 1);
	assert_int_equal(run.r.timed_out, 1);
	assert_int_equal(run.r.term_signal, SIGTERM);
	assert_pid_gone_soon(run.gpid);
	run_finish(&run);
}

static void test_timeout_gives_up_on_pipes_out_of_reach(void **state)
{
	const char *argv[] = {"sh", "-c", "sleep 30 & echo $!", NULL};
	struct proc_opts o;
	struct run run;

	run_init(&run);
	memset(&o, 0, sizeof o);
	o.timeout_ms = 200;
	o.kill_grace_ms = 100;
	run_start(&run, argv, &o);
	uv_run(&run.loop, UV_RUN_DEFAULT);
	assert_int_equal(run.done, 1);
	assert_int_equal(run.r.timed_out, 1);
	assert_int_equal(run.r.exited, 1);
	assert_true(run.r.duration_ms >= 300);
	assert_true(run.r.duration_ms < 5000);
	assert_true(run.gpid > 0);
	assert_false(pid_gone(run.gpid)); /* out of reach: still there */
	kill(run.gpid, SIGKILL);
	assert_pid_gone_soon(run.gpid);
	run_finish(&run);
}

static void on_poll_kill_after_exit(uv_timer_t *t)
{
	struct run *run = t->data;

	if (run->gpid == 0 || !child_reaped(run->pid))
		return;
	assert_int_equal(run->done, 0);
	proc_kill(run->p); /* exited, pipes open: must not signal the pid */
	proc_kill(run->p);
	uv_close((uv_handle_t *)t, NULL);
}

static void test_kill_after_exit_before_report_is_safe(void **state)
{
	const char *argv[] = {"sh", "-c", "sleep 30 & echo $!", NULL};
	struct proc_opts o;
	struct run run;

	run_init(&run);
	memset(&o, 0, sizeof o);
	o.kill_grace_ms = 100;
	run.kill_in_exit = 1;
	run_start(&run, argv, &o);
	uv_timer_init(&run.loop, &run.poll);
	run.poll.data = &run;
	uv_timer_start(&run.poll, on_poll_kill_after_exit, 10, 10);
	uv_run(&run.loop, UV_RUN_DEFAULT);
	assert_int_equal(run.done, 1);
	assert_int_equal(run.r.exited, 1);
	assert_int_equal(run.r.exit_status, 0);
	assert_int_equal(run.r.timed_out, 0);
	assert_int_equal(run.nlines, 1);
	kill(run.gpid, SIGKILL);
	assert_pid_gone_soon(run.gpid);
	run_finish(&run);
}

struct many {
	int done;
	int ok;
};

static void many_on_exit(struct proc *p, const struct proc_result *r,
			 void *data)
{
	struct many *m = data;

	m->done++;
	if (r->exited && r->exit_status == 0)
		m->ok++;
}

static void test_two_hundred_parallel_procs_all_complete(void **state)
{
	const char *argv[] = {"true", NULL};
	uint64_t before = proc_spawn_count();
	struct many m = {0, 0};
	struct proc_opts o;
	uv_loop_t loop;
	int i;

	assert_int_equal(uv_loop_init(&loop), 0);
	memset(&o, 0, sizeof o);
	o.argv = argv;
	o.on_exit = many_on_exit;
	o.data = &m;
	for (i = 0; i < 200; i++)
		proc_spawn(&loop, &o);
	assert_int_equal(proc_live_count(), 200);
	assert_int_equal(proc_spawn_count() - before, 200);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(m.done, 200);
	assert_int_equal(m.ok, 200);
	assert_int_equal(proc_live_count(), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_capture_is_bounded_by_max_capture(void **state)
{
	const char *argv[] = {"sh", "-c",
			      "head -c 100000 /dev/zero; echo err >&2", NULL};
	struct proc_opts o;
	struct run run;

	run_init(&run);
	memset(&o, 0, sizeof o);
	o.capture = 1;
	o.max_capture = 1000;
	run_start(&run, argv, &o);
	uv_run(&run.loop, UV_RUN_DEFAULT);
	assert_int_equal(run.r.exit_status, 0);
	assert_int_equal(run.r.out.len, 1000);
	assert_int_equal(run.r.out_truncated, 1);
	assert_string_equal(run.r.err.data, "err\n");
	assert_int_equal(run.r.err_truncated, 0);
	run_finish(&run);
}

static void test_env_and_cwd_are_applied(void **state)
{
	const char *argv[] = {"sh", "-c", "echo \"$BOTTLE_T:$HOME\"; pwd",
			      NULL};
	const char *env[] = {"BOTTLE_T=hello", "PATH=/usr/bin:/bin", NULL};
	struct proc_opts o;
	struct run run;

	run_init(&run);
	memset(&o, 0, sizeof o);
	o.capture = 1;
	o.env = env;
	o.cwd = "/";
	run_start(&run, argv, &o);
	uv_run(&run.loop, UV_RUN_DEFAULT);
	assert_int_equal(run.r.exit_status, 0);
	assert_string_equal(run.r.out.data, "hello:\n/\n");
	run_finish(&run);
}

static void test_describe_formats_one_line(void **state)
{
	const char *t[] = {"true", NULL};
	const char *k[] = {"sh", "-c", "kill -9 $$", NULL};
	const char *s[] = {"sleep", "30", NULL};
	struct proc_result r;
	char *d;

	memset(&r, 0, sizeof r);
	r.exited = 1;
	r.duration_ms = 12;
	d = proc_describe(t, &r);
	assert_string_equal(d, "true → exit 0 in 12 ms");
	free(d);

	memset(&r, 0, sizeof r);
	r.term_signal = 9;
	r.duration_ms = 5;
	d = proc_describe(k, &r);
	assert_string_equal(d, "sh -c 'kill -9 $$' → killed by signal 9 "
			       "(SIGKILL) in 5 ms");
	free(d);

	r.term_signal = 15;
	r.timed_out = 1;
	r.duration_ms = 30000;
	d = proc_describe(s, &r);
	assert_string_equal(d, "sleep 30 → timed out after 30000 ms, killed "
			       "by signal 15 (SIGTERM)");
	free(d);

	memset(&r, 0, sizeof r);
	r.spawn_error = UV_ENOENT;
	d = proc_describe(t, &r);
	assert_string_equal(d, "true → not started: ENOENT (no such file or "
			       "directory)");
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exit_status_zero_is_reported),
	    cmocka_unit_test(test_exit_status_three_is_reported),
	    cmocka_unit_test(test_death_by_signal_is_reported),
	    cmocka_unit_test(test_missing_program_is_reported_from_the_loop),
	    cmocka_unit_test(test_empty_argv_is_reported_from_the_loop),
	    cmocka_unit_test(test_stdout_and_stderr_are_captured_byte_exact),
	    cmocka_unit_test(test_stdin_data_round_trips_through_cat),
	    cmocka_unit_test(test_empty_stdin_data_gives_immediate_eof),
	    cmocka_unit_test(test_child_ignoring_stdin_data_does_not_hurt_us),
	    cmocka_unit_test(test_children_do_not_inherit_ignored_sigpipe),
	    cmocka_unit_test(
		test_lines_come_per_stream_and_last_one_unterminated),
	    cmocka_unit_test(test_long_line_arrives_in_pieces),
	    cmocka_unit_test(test_timeout_terminates_with_sigterm),
	    cmocka_unit_test(test_child_ignoring_term_is_killed_after_grace),
	    cmocka_unit_test(test_group_kill_reaches_term_ignoring_grandchild),
	    cmocka_unit_test(test_new_pgrp_kill_reaches_grandchild),
	    cmocka_unit_test(test_completion_waits_for_eof_after_exit),
	    cmocka_unit_test(test_group_is_not_signalled_after_leader_reaped),
	    cmocka_unit_test(test_group_is_signalled_while_leader_alive),
	    cmocka_unit_test(test_timeout_gives_up_on_pipes_out_of_reach),
	    cmocka_unit_test(test_kill_after_exit_before_report_is_safe),
	    cmocka_unit_test(test_two_hundred_parallel_procs_all_complete),
	    cmocka_unit_test(test_capture_is_bounded_by_max_capture),
	    cmocka_unit_test(test_env_and_cwd_are_applied),
	    cmocka_unit_test(test_describe_formats_one_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
