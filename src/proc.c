/* proc.c: watched subprocesses on libuv (see proc.h).
 *
 * Life of a proc: proc_spawn initialises every handle inside struct proc
 * and calls uv_spawn. From then on three things must happen, in any
 * order: the exit callback, EOF on stdout, EOF on stderr. When all three
 * have, on_exit is called once and every handle is closed; the struct is
 * freed by the last close callback. A failed uv_spawn marks all three as
 * done and lets a zero-delay timer report it from the loop.
 *
 * Stopping (timeout or proc_kill) uses the same timer in phases: SIGTERM,
 * then SIGKILL after the grace, then, after one more grace, stop waiting
 * for EOF on pipes that something outside our reach still holds open (a
 * grandchild in another process group, or any process left behind once
 * the child has been reaped: see proc_signal). */
#include "proc.h"

#include <fcntl.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"

#define PROC_DEFAULT_GRACE_MS 2000
#define PROC_DEFAULT_MAX_CAPTURE ((size_t)16 << 20)
/* A streaming child's stdout is a pipe of PROC_PIPE_SIZE (libuv's own
 * stdio pipes are socketpairs, whose per-write overhead holds only a few
 * hundred short lines: a flood then ping-pongs between the child and us).
 * Reads take up to PROC_READ_SIZE, more than the pipe holds, so that a
 * read never fills the buffer and libuv returns to the loop after it: at
 * most PROC_PIPE_SIZE bytes per stream per loop iteration. */
#define PROC_PIPE_SIZE ((size_t)256 << 10)
#define PROC_READ_SIZE (PROC_PIPE_SIZE + 4096)

enum proc_phase {
	PROC_RUNNING,	  /* the timer, if armed, is the timeout */
	PROC_TERM_SENT,	  /* the timer is the grace before SIGKILL */
	PROC_KILL_SENT,	  /* the timer is the grace before giving up pipes */
	PROC_NOT_STARTED, /* the timer reports the spawn error */
};

/* One output pipe of the child. pipe must stay the first member: the read
 * callback turns the uv_stream_t back into its proc_stream. */
struct proc_stream {
	uv_pipe_t pipe;
	struct proc *p;	     /* owner */
	int fd;		     /* 1 or 2 */
	int eof;	     /* EOF, read error, or given up */
	struct lines lines;  /* used only with on_line */
	struct buf *capture; /* &p->result.out or &p->result.err */
	int *truncated;
};

struct proc {
	uv_process_t process; /* valid once process_inited */
	struct proc_stream out;
	struct proc_stream err;
	uv_pipe_t in; /* only when has_stdin */
	uv_write_t in_req;
	uv_timer_t timer;
	char *in_data; /* owned copy of opts.stdin_data */
	size_t in_len;
	int has_stdin;
	int process_inited;

	uint64_t kill_grace_ms;
	size_t max_capture;
	int capture;
	int new_pgrp;
	proc_line_cb on_line;
	proc_data_cb on_data;
	proc_exit_cb on_exit;
	void *data; /* the caller's, borrowed */

	enum proc_phase phase;
	int exited;   /* exit callback seen, or never started */
	int reported; /* on_exit called */
	int handles;  /* initialised handles not yet closed */
	uint64_t start_ms;
	struct proc_result result; /* out/err owned here */
	struct buf line;	   /* NUL-terminated copy for on_line */
	char rbuf[PROC_READ_SIZE]; /* shared by both pipes' reads */
};

static int proc_once_done;
static size_t proc_live;
static uint64_t proc_spawned;

static void proc_once(void)
{
	struct sigaction sa;

	if (proc_once_done)
		return;
	proc_once_done = 1;
	uv_disable_stdio_inheritance();
	/* A child that exits without reading all of stdin_data must not kill
	 * us with SIGPIPE. libuv resets signal dispositions in the child. */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
}

static void proc_free(struct proc *p)
{
	lines_release(&p->out.lines);
	lines_release(&p->err.lines);
	buf_release(&p->result.out);
	buf_release(&p->result.err);
	buf_release(&p->line);
	free(p->in_data);
	free(p);
}

static void proc_on_close(uv_handle_t *h)
{
	struct proc *p = h->data;

	if (--p->handles == 0)
		proc_free(p);
}

static void proc_close(void *handle)
{
	uv_handle_t *h = handle;

	if (!uv_is_closing(h))
		uv_close(h, proc_on_close);
}

static void proc_close_all(struct proc *p)
{
	if (p->process_inited)
		proc_close(&p->process);
	if (p->has_stdin)
		proc_close(&p->in);
	proc_close(&p->out.pipe);
	proc_close(&p->err.pipe);
	proc_close(&p->timer);
}

/* proc_check_done: report and tear down once exited and both pipes are
 * at EOF. */
static void proc_check_done(struct proc *p)
{
	if (p->reported || !p->exited || !p->out.eof || !p->err.eof)
		return;
	p->reported = 1;
	uv_timer_stop(&p->timer);
	p->result.duration_ms = util_mono_ms() - p->start_ms;
	proc_live--;
	p->on_exit(p, &p->result, p->data);
	proc_close_all(p);
}

static void proc_on_piece(void *data, const char *line, size_t len, int cut)
{
	struct proc_stream *s = data;
	struct proc *p = s->p;

	buf_reset(&p->line);
	buf_add(&p->line, line, len);
	p->on_line(p, s->fd, p->line.data, len, p->data);
}

static void proc_capture(struct proc *p, struct proc_stream *s, const char *buf,
			 size_t n)
{
	size_t room = p->max_capture - s->capture->len;

	if (n > room) {
		n = room;
		*s->truncated = 1;
	}
	if (n > 0)
		buf_add(s->capture, buf, n);
}

/* proc_stream_end: no more output from this pipe. */
static void proc_stream_end(struct proc *p, struct proc_stream *s)
{
	if (s->eof)
		return;
	s->eof = 1;
	uv_read_stop((uv_stream_t *)&s->pipe);
	if (p->on_line != NULL)
		lines_flush(&s->lines, proc_on_piece, s);
}

static void proc_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct proc *p = h->data;

	*b = uv_buf_init(p->rbuf, sizeof p->rbuf);
}

static void proc_on_read(uv_stream_t *h, ssize_t n, const uv_buf_t *b)
{
	struct proc_stream *s = (struct proc_stream *)h;
	struct proc *p = s->p;

	if (n == 0) /* EAGAIN, not EOF */
		return;
	if (n < 0) { /* UV_EOF, or an error that ends the stream too */
		proc_stream_end(p, s);
		proc_check_done(p);
		return;
	}
	if (p->capture)
		proc_capture(p, s, b->base, (size_t)n);
	if (p->on_data != NULL)
		p->on_data(p, s->fd, b->base, (size_t)n, p->data);
	if (p->on_line != NULL)
		lines_feed(&s->lines, b->base, (size_t)n, proc_on_piece, s);
}

static void proc_on_process_exit(uv_process_t *h, int64_t status, int sig)
{
	struct proc *p = h->data;

	p->exited = 1;
	p->result.exited = sig == 0;
	p->result.exit_status = (int)status;
	p->result.term_signal = sig;
	proc_check_done(p);
}

/* proc_signal: send sig to the child's process group (new_pgrp) or the
 * child; 0 if it reached something, -1 if nothing is left to reach.
 *
 * Only while the leader is known alive: until its exit callback has run
 * libuv has not reaped it, so its pid (and the group id, the same number)
 * is still held by it, at worst as a zombie, and cannot name anything
 * else. Once it has been reaped neither the pid nor -pid is ever
 * signalled again: with every member of the group gone, the number can
 * belong to an unrelated process or group. Members that outlive their
 * leader are left alone; proc stops waiting for the pipes they hold after
 * the grace (PROC_KILL_SENT). */
static int proc_signal(struct proc *p, int sig)
{
	pid_t pid = p->process.pid;

	if (p->phase == PROC_NOT_STARTED || pid <= 0 || p->exited)
		return -1;
	if (p->new_pgrp)
		return kill(-pid, sig) == 0 ? 0 : -1;
	return uv_process_kill(&p->process, sig) == 0 ? 0 : -1;
}

static void proc_on_timer(uv_timer_t *t);

/* proc_stop: SIGTERM now; the timer escalates. With nothing left to
 * signal, only the wait for the pipes remains. */
static void proc_stop(struct proc *p)
{
	if (proc_signal(p, SIGTERM) == 0)
		p->phase = PROC_TERM_SENT;
	else
		p->phase = PROC_KILL_SENT;
	uv_timer_start(&p->timer, proc_on_timer, p->kill_grace_ms, 0);
}

static void proc_on_timer(uv_timer_t *t)
{
	struct proc *p = t->data;

	switch (p->phase) {
	case PROC_NOT_STARTED:
		proc_check_done(p);
		break;
	case PROC_RUNNING:
		p->result.timed_out = 1;
		proc_stop(p);
		break;
	case PROC_TERM_SENT:
		proc_signal(p, SIGKILL);
		p->phase = PROC_KILL_SENT;
		uv_timer_start(&p->timer, proc_on_timer, p->kill_grace_ms, 0);
		break;
	case PROC_KILL_SENT:
		proc_stream_end(p, &p->out);
		proc_stream_end(p, &p->err);
		proc_check_done(p);
		break;
	}
}

static void proc_on_stdin_written(uv_write_t *req, int status)
{
	struct proc *p = req->data;

	proc_close(&p->in);
}

/* proc_write_stdin: queue all of stdin_data, then close the pipe. */
static void proc_write_stdin(struct proc *p)
{
	uv_buf_t b;

	b.base = p->in_data;
	b.len = p->in_len; /* size_t on unix: no uv_buf_init truncation */
	p->in_req.data = p;
	if (p->in_len == 0 || uv_write(&p->in_req, (uv_stream_t *)&p->in, &b, 1,
				       proc_on_stdin_written) != 0)
		proc_close(&p->in);
}

static void proc_stream_init(uv_loop_t *loop, struct proc *p,
			     struct proc_stream *s, int fd)
{
	uv_pipe_init(loop, &s->pipe, 0);
	s->pipe.data = p;
	s->p = p;
	s->fd = fd;
	s->capture = fd == 1 ? &p->result.out : &p->result.err;
	s->truncated =
	    fd == 1 ? &p->result.out_truncated : &p->result.err_truncated;
	p->handles++;
}

static struct proc *proc_new(uv_loop_t *loop, const struct proc_opts *o)
{
	struct proc *p = xcalloc(1, sizeof *p);

	p->kill_grace_ms =
	    o->kill_grace_ms != 0 ? o->kill_grace_ms : PROC_DEFAULT_GRACE_MS;
	p->max_capture =
	    o->max_capture != 0 ? o->max_capture : PROC_DEFAULT_MAX_CAPTURE;
	p->capture = o->capture;
	p->new_pgrp = o->new_pgrp;
	p->on_line = o->on_line;
	p->on_data = o->on_data;
	p->on_exit = o->on_exit;
	p->data = o->data;
	p->start_ms = util_mono_ms();
	uv_timer_init(loop, &p->timer);
	p->timer.data = p;
	p->handles++;
	proc_stream_init(loop, p, &p->out, 1);
	proc_stream_init(loop, p, &p->err, 2);
	if (o->stdin_data != NULL) {
		p->has_stdin = 1;
		p->in_len = o->stdin_len;
		p->in_data = xmalloc(o->stdin_len);
		memcpy(p->in_data, o->stdin_data, o->stdin_len);
		uv_pipe_init(loop, &p->in, 0);
		p->in.data = p;
		p->handles++;
	}
	return p;
}

/* proc_start: uv_spawn with our stdio; 0 or a negative UV_E*. */
static int proc_start(uv_loop_t *loop, struct proc *p,
		      const struct proc_opts *o)
{
	uv_process_options_t uo;
	uv_stdio_container_t stdio[3];
	int fds[2] = {-1, -1};
	int r;

	if (o->argv == NULL || o->argv[0] == NULL)
		return UV_EINVAL;
	memset(&uo, 0, sizeof uo);
	memset(stdio, 0, sizeof stdio);
	stdio[0].flags = UV_IGNORE;
	if (p->has_stdin) {
		stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
		stdio[0].data.stream = (uv_stream_t *)&p->in;
	}
	if (p->on_data != NULL && uv_pipe(fds, 0, 0) == 0) {
		(void)fcntl(fds[0], F_SETPIPE_SZ, (int)PROC_PIPE_SIZE);
		stdio[1].flags = UV_INHERIT_FD;
		stdio[1].data.fd = fds[1];
	} else {
		stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
		stdio[1].data.stream = (uv_stream_t *)&p->out.pipe;
	}
	stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[2].data.stream = (uv_stream_t *)&p->err.pipe;
	uo.exit_cb = proc_on_process_exit;
	uo.file = o->argv[0];
	uo.args = (char **)o->argv;
	uo.env = (char **)o->env;
	uo.cwd = o->cwd;
	/* DETACHED makes the child call setsid(): it leads a new session and
	 * so a new process group whose id is its pid. */
	uo.flags = o->new_pgrp ? UV_PROCESS_DETACHED : 0;
	uo.stdio_count = 3;
	uo.stdio = stdio;
	r = uv_spawn(loop, &p->process, &uo);
	if (fds[1] >= 0) {
		close(fds[1]); /* the child has its copy */
		if (uv_pipe_open(&p->out.pipe, fds[0]) != 0)
			close(fds[0]); /* reading fails: EOF at once */
	}
	/* uv_spawn initialises the handle even when it fails. */
	p->process.data = p;
	p->process_inited = 1;
	p->handles++;
	return r;
}

struct proc *proc_spawn(uv_loop_t *loop, const struct proc_opts *o)
{
	struct proc *p;
	int r;

	if (o->on_exit == NULL)
		fatal("proc_spawn: on_exit is required");
	proc_once();
	p = proc_new(loop, o);
	proc_live++;
	proc_spawned++;
	r = proc_start(loop, p, o);
	if (r != 0) {
		p->result.spawn_error = r;
		p->phase = PROC_NOT_STARTED;
		p->exited = p->out.eof = p->err.eof = 1;
		uv_timer_start(&p->timer, proc_on_timer, 0, 0);
		return p;
	}
	if (uv_read_start((uv_stream_t *)&p->out.pipe, proc_on_alloc,
			  proc_on_read) != 0)
		p->out.eof = 1;
	if (uv_read_start((uv_stream_t *)&p->err.pipe, proc_on_alloc,
			  proc_on_read) != 0)
		p->err.eof = 1;
	if (p->has_stdin)
		proc_write_stdin(p);
	if (o->timeout_ms != 0) {
		uv_update_time(loop); /* uv_spawn blocks; count from now */
		uv_timer_start(&p->timer, proc_on_timer, o->timeout_ms, 0);
	}
	return p;
}

void proc_kill(struct proc *p)
{
	if (p->reported || p->phase != PROC_RUNNING)
		return;
	proc_stop(p);
}

pid_t proc_pid(const struct proc *p)
{
	if (p->phase == PROC_NOT_STARTED || !p->process_inited)
		return 0;
	return p->process.pid;
}

size_t proc_live_count(void)
{
	return proc_live;
}

uint64_t proc_spawn_count(void)
{
	return proc_spawned;
}

static const char *proc_signame(int sig)
{
	switch (sig) {
	case SIGHUP:
		return "SIGHUP";
	case SIGINT:
		return "SIGINT";
	case SIGQUIT:
		return "SIGQUIT";
	case SIGABRT:
		return "SIGABRT";
	case SIGKILL:
		return "SIGKILL";
	case SIGSEGV:
		return "SIGSEGV";
	case SIGPIPE:
		return "SIGPIPE";
	case SIGTERM:
		return "SIGTERM";
	default:
		return NULL;
	}
}

/* proc_add_end: "exit N" or "killed by signal N (SIGX)". */
static void proc_add_end(struct buf *b, const struct proc_result *r)
{
	const char *name = proc_signame(r->term_signal);

	if (r->term_signal == 0) {
		buf_addf(b, "exit %d", r->exit_status);
		return;
	}
	buf_addf(b, "killed by signal %d", r->term_signal);
	if (name != NULL)
		buf_addf(b, " (%s)", name);
}

char *proc_describe(const char *const *argv, const struct proc_result *r)
{
	struct buf b = BUF_INIT;
	char *cmd = argv != NULL && argv[0] != NULL ? util_argv_display(argv)
						    : xstrdup("(no command)");
	unsigned long long ms = (unsigned long long)r->duration_ms;

	buf_addf(&b, "%s → ", cmd);
	free(cmd);
	if (r->spawn_error != 0) {
		buf_addf(&b, "not started: %s (%s)",
			 uv_err_name(r->spawn_error),
			 uv_strerror(r->spawn_error));
	} else if (r->timed_out) {
		buf_addf(&b, "timed out after %llu ms, ", ms);
		proc_add_end(&b, r);
	} else {
		proc_add_end(&b, r);
		buf_addf(&b, " in %llu ms", ms);
	}
	return buf_detach(&b);
}
