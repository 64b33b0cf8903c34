/* proc.h: watched subprocesses on libuv (uv_spawn wrapper).
 *
 * A proc is finished when the child has exited AND every pipe reached EOF,
 * in either order; only then is on_exit called, exactly once, after which
 * the proc frees itself (handles are closed, memory released in their
 * close callbacks). A spawn failure is reported the same way, from the
 * loop (never from inside proc_spawn), with result.spawn_error set.
 * Arguments are argv arrays: no shell ever sees them.
 *
 * The first proc_spawn calls uv_disable_stdio_inheritance() and, if
 * SIGPIPE has its default disposition, ignores it in this process (a
 * child that exits without reading stdin_data must not kill us); libuv
 * gives every child default signal dispositions again. */
#ifndef BOTTLE_PROC_H
#define BOTTLE_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "util.h"

struct proc;

struct proc_result {
	int exited;	      /* 1 when the child exited normally */
	int exit_status;      /* its status when exited */
	int term_signal;      /* signal number when killed by one, else 0 */
	int spawn_error;      /* negative UV_E* when uv_spawn failed, else 0 */
	int timed_out;	      /* 1 when proc killed it for its timeout */
	uint64_t duration_ms; /* spawn to completion */
	struct buf out;	      /* captured stdout (opts.capture), borrowed */
	struct buf err;	      /* captured stderr (opts.capture), borrowed */
	int out_truncated;    /* capture hit max_capture */
	int err_truncated;
};

/* fd is 1 (stdout) or 2 (stderr); line is borrowed and NUL-terminated. */
typedef void (*proc_line_cb)(struct proc *p, int fd, const char *line,
			     size_t len, void *data);
/* fd is 1 or 2; buf[0..len) is one chunk exactly as read, borrowed. */
typedef void (*proc_data_cb)(struct proc *p, int fd, const char *buf,
			     size_t len, void *data);
/* result is borrowed: valid only during the call. */
typedef void (*proc_exit_cb)(struct proc *p, const struct proc_result *r,
			     void *data);

struct proc_opts {
	const char *const *argv; /* required; argv[0] looked up in PATH */
	const char *const *env;	 /* NULL = inherit the environment */
	const char *cwd;	 /* NULL = inherit */
	uint64_t timeout_ms;	 /* 0 = no timeout */
	uint64_t kill_grace_ms;	 /* TERM → KILL delay; 0 = 2000 */
	int capture;		 /* collect stdout/stderr into the result */
	size_t max_capture;	 /* per stream; 0 = 16 MiB */
	proc_line_cb on_line;	 /* optional: each output line, as it comes */
	proc_data_cb on_data;	 /* optional: each output chunk, unsplit (for
				    callers that split lines themselves) */
	proc_exit_cb on_exit;	 /* required */
	void *data;		 /* passed to every callback */
	int new_pgrp;		 /* child leads a new process group; kills
				    go to the whole group while the child
				    has not been reaped, never after */
	const char *stdin_data;	 /* written to stdin, then closed; NULL:
				    stdin is /dev/null */
	size_t stdin_len;
};

/* proc_spawn: start a child. Never fails synchronously: see above.
 * Returns the proc (borrowed; valid until on_exit returns). */
struct proc *proc_spawn(uv_loop_t *loop, const struct proc_opts *o);

/* proc_kill: SIGTERM now, SIGKILL after kill_grace_ms if still running.
 * on_exit still fires. Safe to call more than once. */
void proc_kill(struct proc *p);

/* proc_pid: the child's pid, or 0 if it never started. */
pid_t proc_pid(const struct proc *p);

/* proc_live_count: procs not yet finished (for tests and shutdown). */
size_t proc_live_count(void);

/* proc_spawn_count: total procs ever spawned by this process (benchmarks
 * and tests count subprocesses per refresh with it). */
uint64_t proc_spawn_count(void);

/* proc_describe: one line "argv... → exit 0 in 12 ms" (or "killed by
 * signal 9", "timed out after 30000 ms", "not started: ENOENT") for logs.
 * Caller frees. */
char *proc_describe(const char *const *argv, const struct proc_result *r);

#endif
