/* tail.h: restartable, bounded tails of a bottle's three log sources.
 *
 *   events  STATE_DIR/NAME/events.log (bottle's own record, rotated to
 *           events.log.1 by state.c); each line starts with its ISO 8601
 *           time, which becomes the line's time and is not part of text.
 *   bundle  `docker logs --timestamps` of bottle-NAME-bundle, run as a
 *           child in our own session (killed when the tail closes; not
 *           a session of its own, which the scheduler would weigh apart
 *           from ours), restarted with backoff when it
 *           ends while following (container stopped, recreated, docker
 *           restarted). docker's timestamp becomes the line's time.
 *           pipelock audit lines are summarised (audit.h), blocked
 *           requests highlighted.
 *   vm      the guest console log agent-console.log in the directory
 *           printed by `smolvm machine data-dir bottle-NAME` (rotated by
 *           smolvm at 10 MB to .1 and .2; truncated in place at every
 *           boot from 1.6.1); lines get their arrival time (backlog
 *           lines: the file's modification time).
 *   egress  what the VMM denied the guest: `smolvm machine egress-events
 *           --json` (1.8.1+), polled every poll_ms (at least 2 s) while
 *           following; each new record becomes one highlighted line
 *           "denied connect to IP:PORT" at smolvm's time. On older releases
 *           the tail says once that this smolvm cannot report denials
 *           and delivers nothing.
 *
 * A tail first delivers the last `backlog` lines (history), then calls
 * on_caught_up, then (when following) delivers new lines as they come.
 * Files are followed across rotation by rename (inode change), truncation
 * and re-creation; they are watched with inotify on their directory plus
 * a slow backstop timer, so an idle tail costs nothing but that timer.
 * Lines are split by lines.h and bounded (max_line bytes; the rest of a
 * longer line is dropped, never held, and the line flagged
 * LOGBUF_TRUNCATED; its display text ends with the marker
 * " [cut: the line is longer than MAX bytes]", its raw text does not).
 *
 * No callback is ever called from inside tail_start or tail_close. */
#ifndef BOTTLE_TAIL_H
#define BOTTLE_TAIL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "logbuf.h"
#include "sanitize.h"
#include "smolvm.h"

enum tail_source {
	TAIL_EVENTS = 0,
	TAIL_BUNDLE,
	TAIL_VM,
	TAIL_EGRESS,
};
#define TAIL_SOURCE_COUNT 4

enum tail_mode {
	TAIL_BACKLOG_ONLY = 0, /* deliver the backlog, then stop */
	TAIL_FOLLOW,	       /* backlog, then follow at once */
	TAIL_FOLLOW_HELD,      /* backlog, then follow once tail_follow() is
				  called (nothing is lost meanwhile) */
};

struct tail;

/* One line. Every pointer is borrowed, valid only during the callback. */
struct tail_line {
	enum tail_source source;
	uint64_t wall_ms; /* the line's time (Unix ms) */
	int flags;   /* LOGBUF_STDERR, LOGBUF_HIGHLIGHT, LOGBUF_TRUNCATED */
	int backlog; /* 1 for history delivered before on_caught_up */
	const char *text; /* display form: sanitized, or an audit summary;
			     NUL-terminated, safe for a terminal */
	size_t len;
	const char *raw; /* the line as the source wrote it (without
			    docker's timestamp), NOT sanitized, not
			    NUL-terminated */
	size_t raw_len;
};

typedef void (*tail_line_cb)(struct tail *t, const struct tail_line *l,
			     void *data);
/* The backlog has been delivered (exactly once per tail). */
typedef void (*tail_caught_up_cb)(struct tail *t, void *data);
/* Something the user should know: "docker logs: No such container: ...;
 * retrying", "following again". msg is sanitized and borrowed; error is 1
 * for problems, 0 for recoveries. */
typedef void (*tail_status_cb)(struct tail *t, int error, const char *msg,
			       void *data);

struct tail_opts {
	enum tail_source source;
	const char *name;		 /* the bottle NAME (required) */
	const char *state_dir;		 /* events: STATE_DIR (or set path) */
	const struct smolvm_cli *smolvm; /* vm, egress: smolvm (or set
					    path); borrowed, must outlive
					    the tail: its version is read
					    again before each smolvm run */
	const char *const *smolvm_env;	 /* vm: smolvm's environment */
	const char *path; /* events, vm: follow this file instead (its
			     rotated copies are PATH.1, PATH.2) */
	int backlog;	  /* the last N lines first; 0: none */
	enum tail_mode mode;
	struct logbuf *lb; /* optional, borrowed: every line is pushed,
			      its display text (raw text when raw) */
	int raw;	   /* push raw lines into lb */
	const struct sanitize_opts *san; /* borrowed; NULL: defaults */
	size_t max_line;      /* bytes kept of a line; 0: LINES_DEFAULT_MAX */
	uint64_t poll_ms;     /* files' backstop poll; 0: 1000 */
	uint64_t retry_ms;    /* first restart delay; 0: 250 (doubles, up
				 to 32 times it) */
	tail_line_cb on_line; /* optional */
	tail_caught_up_cb on_caught_up; /* optional */
	tail_status_cb on_status;	/* optional */
	void *data;			/* passed to every callback */
};

/* tail_start: start a tail on loop; *out is owned by the caller until
 * tail_close. -1 with *cause when the options are unusable. */
int tail_start(uv_loop_t *loop, const struct tail_opts *o, struct tail **out,
	       char **cause);

/* tail_follow: start following a TAIL_FOLLOW_HELD tail that has caught
 * up (or start following at catch-up when called earlier). */
void tail_follow(struct tail *t);

/* tail_close: stop (killing the docker logs child), close
 * every handle; t is freed from the loop. No callback fires after it. */
void tail_close(struct tail *t);

/* tail_caught_up: 1 once the backlog was delivered. */
int tail_caught_up(const struct tail *t);

/* tail_lines: lines delivered so far (backlog included). */
uint64_t tail_lines(const struct tail *t);

/* tail_restarts: how many times the docker child was restarted. */
unsigned tail_restarts(const struct tail *t);

/* tail_source_name: "events", "bundle", "vm". */
const char *tail_source_name(enum tail_source s);

/* tail_source_parse: 0 and *out for "events", "bundle" or "vm", else -1. */
int tail_source_parse(const char *s, enum tail_source *out);

#endif
