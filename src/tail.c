/* tail.c: restartable, bounded tails of a bottle's logs (see tail.h).
 *
 * A struct tail owns one timer (start kick, file backstop poll, docker
 * restart delay), for file sources one uv_fs_event on the file's
 * directory, and at most one child (docker logs, or smolvm data-dir). It
 * is freed when every handle it initialised has closed and its child has
 * reported (refs reaches 0 after tail_close).
 *
 * Bytes become lines in three splitters (index 0: the file, 1 and 2: the
 * child's stdout and stderr); each piece goes through tail_piece, which
 * drops the continuation of a cut line, and tail_emit, which turns it
 * into a struct tail_line for the callback and the logbuf. */
#include "tail.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "docker.h"
#include "lines.h"
#include "paths.h"
#include "proc.h"
#include "smolvm.h"
#include "state.h"

#define TAIL_READ_SIZE 65536
#define TAIL_BUDGET ((uint64_t)1 << 20) /* bytes read per wake-up */
/* The delay before the next budget. Not 0: libuv (1.44) runs a timer
 * re-armed with 0 from its own callback again in the same iteration, so
 * a file growing faster than we read held the loop (keys, drawing) for as
 * long as the flood lasted. */
#define TAIL_YIELD_MS 1
#define TAIL_DEFAULT_POLL_MS 1000
#define TAIL_DEFAULT_RETRY_MS 250
#define TAIL_RETRY_FACTOR 32	/* the backoff stops at retry_ms * this */
#define TAIL_STABLE_RUN_MS 5000 /* a run this long resets the backoff */
#define TAIL_ROTATIONS 2	/* PATH.1 and PATH.2 are older copies */
#define TAIL_TS_MAX 48
#define TAIL_DOCKER_TIMEOUT_MS 30000
#define TAIL_EGRESS_POLL_MS 2000 /* egress-events is a subprocess a poll */
#define TAIL_EGRESS_LIMIT 1000	 /* records asked for while following */
/* A follow run asks for the lines since the last one seen, among the
 * last TAIL_FOLLOW_TAIL: docker reads those from the end of its log file,
 * whereas --since alone makes it scan the whole file (slow under a
 * flood). More lines than that between two runs are lost. */
#define TAIL_FOLLOW_TAIL 10000

enum tail_phase {
	TAIL_PHASE_START = 0, /* the timer will start the source */
	TAIL_PHASE_BACKLOG,   /* docker logs --tail N (no -f) is running */
	TAIL_PHASE_HELD,      /* caught up, waiting for tail_follow */
	TAIL_PHASE_FOLLOW,    /* following */
	TAIL_PHASE_RETRY,     /* the timer restarts the child */
	TAIL_PHASE_DONE,      /* backlog only: finished */
};

/* One line splitter and where its pieces go. */
struct tail_split {
	struct tail *t;
	int fd;	      /* 0: file, 1: stdout, 2: stderr */
	int skipping; /* dropping the rest of a cut line */
	struct lines lines;
};

/* The followed file (events, vm). */
struct tail_file {
	char *path; /* owned; NULL until known (vm: data-dir) */
	char *dir;  /* owned */
	char *base; /* owned */
	int fd;	    /* -1 when not open */
	dev_t dev;
	ino_t ino;
	uint64_t off;	      /* next byte to read */
	uint64_t backlog_end; /* the backlog ends here in the current file */
	uint64_t mtime_ms;    /* of the file being read, for vm backlog */
};

struct tail {
	uv_loop_t *loop;
	struct tail_opts o; /* copy; its strings point at the copies below */
	char *name;
	char *state_dir;
	struct smolvm_cli smolvm;	      /* bin owned (NULL: none) */
	const struct smolvm_cli *smolvm_live; /* borrowed: the caller's, whose
						 version may be learnt later */
	struct strv smolvm_env;
	struct sanitize_opts san;
	int refs;    /* open handles + a live child */
	int closing; /* tail_close was called */
	enum tail_phase phase;
	int caught_up;
	int released; /* following is allowed (not held) */
	uint64_t nlines;
	unsigned restarts;
	uint64_t start_wall_ms;

	uv_timer_t timer;
	uv_fs_event_t fsev;
	int fsev_inited;
	int fsev_active;

	struct tail_split split[3];
	struct buf text; /* display text of the current line */
	char rbuf[TAIL_READ_SIZE];

	/* files */
	struct tail_file f;

	/* children */
	struct proc *proc;     /* docker logs or smolvm data-dir, borrowed */
	struct strv argv;      /* of proc */
	uint64_t run_start_ms; /* monotonic */
	uint64_t run_lines;
	uint64_t backoff_ms;
	char since[TAIL_TS_MAX];   /* --since for the next follow run */
	char last_ts[TAIL_TS_MAX]; /* docker's (egress: smolvm's) timestamp
				      of the last line */
	size_t last_ts_seen;	   /* egress: records at last_ts delivered */
	uint64_t last_wall_ms;
	int dedupe;	       /* drop lines at or before last_ts */
	struct buf docker_err; /* docker's own last stderr line */
	char *error;	       /* last reported problem, or NULL */
};

static void tail_unref(struct tail *t);
static void tail_file_check(struct tail *t);
static void tail_bundle_spawn(struct tail *t, int follow);
static void tail_vm_data_dir(struct tail *t);
static void tail_egress_spawn(struct tail *t);
static void tail_arm(struct tail *t, uint64_t ms);

/* ---- names ------------------------------------------------------------ */

static const char *const tail_names[TAIL_SOURCE_COUNT] = {"events", "bundle",
							  "vm", "egress"};

const char *tail_source_name(enum tail_source s)
{
	return (unsigned)s < TAIL_SOURCE_COUNT ? tail_names[s] : "?";
}

int tail_source_parse(const char *s, enum tail_source *out)
{
	unsigned i;

	for (i = 0; i < TAIL_SOURCE_COUNT; i++)
		if (strcmp(s, tail_names[i]) == 0) {
			*out = (enum tail_source)i;
			return 0;
		}
	return -1;
}

int tail_caught_up(const struct tail *t)
{
	return t->caught_up;
}

uint64_t tail_lines(const struct tail *t)
{
	return t->nlines;
}

unsigned tail_restarts(const struct tail *t)
{
	return t->restarts;
}

/* ---- status ----------------------------------------------------------- */

/* tail_status: tell the user, once per distinct problem. */
static void tail_status(struct tail *t, int error, const char *msg)
{
	struct buf clean = BUF_INIT;

	if (t->closing)
		return;
	if (error) {
		if (util_streq(t->error, msg))
			return;
		free(t->error);
		t->error = xstrdup(msg);
	} else {
		if (t->error == NULL)
			return;
		free(t->error);
		t->error = NULL;
	}
	sanitize_line(msg, strlen(msg), &clean, &t->san);
	if (t->o.on_status != NULL)
		t->o.on_status(t, error, clean.data ? clean.data : "",
			       t->o.data);
	buf_release(&clean);
}

static void tail_set_caught_up(struct tail *t)
{
	if (t->caught_up || t->closing)
		return;
	t->caught_up = 1;
	if (t->o.on_caught_up != NULL)
		t->o.on_caught_up(t, t->o.data);
}

/* tail_resume: start following (released, caught up). */
static void tail_resume(struct tail *t)
{
	if (t->o.source == TAIL_BUNDLE) {
		tail_bundle_spawn(t, 1);
	} else if (t->o.source == TAIL_EGRESS) {
		t->phase = TAIL_PHASE_FOLLOW;
		tail_arm(t, t->o.poll_ms);
	} else {
		t->phase = TAIL_PHASE_FOLLOW;
		tail_arm(t, 0);
	}
}

/* tail_backlog_done: the backlog is out; stop, hold or follow. The
 * callback may call tail_follow or tail_close. */
static void tail_backlog_done(struct tail *t)
{
	if (t->o.mode == TAIL_BACKLOG_ONLY) {
		t->phase = TAIL_PHASE_DONE;
		tail_set_caught_up(t);
		return;
	}
	t->phase = TAIL_PHASE_HELD;
	tail_set_caught_up(t);
	if (!t->closing && t->released && t->phase == TAIL_PHASE_HELD)
		tail_resume(t);
}

/* ---- lines ------------------------------------------------------------ */

/* tail_audit_shown: summarise audit lines that say something about a
 * request; plain JSON events (a service listening) stay as they are. */
static int tail_audit_shown(const struct audit_event *ev)
{
	return audit_is_blocked(ev) || ev->scanner != NULL ||
	       ev->reason != NULL || ev->url != NULL || ev->target != NULL ||
	       ev->error != NULL;
}

/* tail_display: the display text of content into t->text; flags gains
 * LOGBUF_HIGHLIGHT for a blocked request. */
static void tail_display(struct tail *t, const char *content, size_t len,
			 int *flags)
{
	struct audit_event ev;

	memset(&ev, 0, sizeof ev);
	buf_reset(&t->text);
	if (t->o.source == TAIL_BUNDLE && audit_parse(content, len, &ev) &&
	    tail_audit_shown(&ev)) {
		char *sum = audit_summary(&ev, t->san.ascii);
		buf_adds(&t->text, sum);
		free(sum);
		if (audit_is_blocked(&ev))
			*flags |= LOGBUF_HIGHLIGHT;
	} else {
		sanitize_line(content, len, &t->text, &t->san);
	}
	audit_event_free(&ev);
	if (*flags & LOGBUF_TRUNCATED)
		buf_addf(&t->text, " [cut: the line is longer than %zu bytes]",
			 t->split[0].lines.max_line != 0
			     ? t->split[0].lines.max_line
			     : (size_t)LINES_DEFAULT_MAX);
	if (t->text.data == NULL)
		buf_adds(&t->text, "");
}

/* tail_bundle_time: strip docker's timestamp; 0 to drop the line. */
static int tail_bundle_time(struct tail *t, const char **line, size_t *len,
			    uint64_t *wall)
{
	size_t off = audit_strip_docker_timestamp(*line, *len, wall);
	size_t tslen = off > 0 ? off - 1 : 0;

	if (off == 0)
		return 1;
	if (t->dedupe && t->last_ts[0] != '\0') {
		size_t n = strlen(t->last_ts);
		int older = n == tslen ? memcmp(*line, t->last_ts, n) <= 0
				       : *wall < t->last_wall_ms;
		if (older)
			return 0;
	}
	t->dedupe = 0;
	if (tslen < sizeof t->last_ts) {
		memcpy(t->last_ts, *line, tslen);
		t->last_ts[tslen] = '\0';
	}
	t->last_wall_ms = *wall;
	*line += off;
	*len -= off;
	return 1;
}

/* tail_emit: one bounded line from split fd. */
static void tail_emit(struct tail *t, int fd, const char *line, size_t len,
		      int flags)
{
	struct tail_line l;
	const char *content = line;
	size_t clen = len;
	uint64_t wall = 0;

	memset(&l, 0, sizeof l);
	l.backlog = !t->caught_up;
	if (t->o.source == TAIL_BUNDLE) {
		if (fd == 2 &&
		    audit_strip_docker_timestamp(line, len, NULL) == 0) {
			/* docker's own message, not the container's */
			buf_reset(&t->docker_err);
			buf_add(&t->docker_err, line, len < 1024 ? len : 1024);
			return;
		}
		if (!tail_bundle_time(t, &content, &clen, &wall))
			return;
		line = content;
		len = clen;
		if (fd == 2)
			flags |= LOGBUF_STDERR;
	} else if (t->o.source == TAIL_EVENTS) {
		size_t off = audit_strip_docker_timestamp(line, len, &wall);
		content = line + off;
		clen = len - off;
	} else if (t->o.source == TAIL_EGRESS) {
		wall = t->last_wall_ms;
	}
	if (wall == 0)
		wall = l.backlog && t->f.mtime_ms != 0 ? t->f.mtime_ms
						       : util_wall_ms();
	tail_display(t, content, clen, &flags);
	t->nlines++;
	t->run_lines++;
	if (t->error != NULL && !l.backlog)
		tail_status(t, 0, "following again");
	l.source = t->o.source;
	l.wall_ms = wall;
	l.flags = flags;
	l.text = t->text.data;
	l.len = t->text.len;
	l.raw = line;
	l.raw_len = len;
	if (t->o.lb != NULL) {
		if (t->o.raw)
			logbuf_push(t->o.lb, wall, flags, line, len);
		else
			logbuf_push(t->o.lb, wall, flags, l.text, l.len);
	}
	if (t->o.on_line != NULL)
		t->o.on_line(t, &l, t->o.data);
}

/* tail_piece: lines_cb; keeps the first max_line bytes of a line. */
static void tail_piece(void *data, const char *line, size_t len, int cut)
{
	struct tail_split *s = data;

	if (s->t->closing)
		return;
	if (s->skipping) {
		s->skipping = cut;
		return;
	}
	s->skipping = cut;
	tail_emit(s->t, s->fd, line, len, cut ? LOGBUF_TRUNCATED : 0);
}

static void tail_feed(struct tail *t, int fd, const char *buf, size_t len)
{
	lines_feed(&t->split[fd].lines, buf, len, tail_piece, &t->split[fd]);
}

static void tail_flush(struct tail *t, int fd)
{
	lines_flush(&t->split[fd].lines, tail_piece, &t->split[fd]);
	t->split[fd].skipping = 0;
}

/* ---- files ------------------------------------------------------------ */

static uint64_t tail_mtime_ms(const struct stat *st)
{
	return (uint64_t)st->st_mtim.tv_sec * 1000 +
	       (uint64_t)st->st_mtim.tv_nsec / 1000000;
}

static ssize_t tail_pread(int fd, char *buf, size_t n, uint64_t off)
{
	ssize_t r;

	do
		r = pread(fd, buf, n, (off_t)off);
	while (r < 0 && errno == EINTR);
	return r;
}

/* tail_scan_back: where the last want lines of fd[0..size) start; a last
 * line without "\n" counts. *found: the lines there (<= want). */
static int tail_scan_back(struct tail *t, int fd, uint64_t size, uint64_t want,
			  uint64_t *start, uint64_t *found)
{
	uint64_t end = size, pos, n = 0;
	char last;

	*start = size;
	*found = 0;
	if (want == 0 || size == 0)
		return 0;
	if (tail_pread(fd, &last, 1, size - 1) != 1)
		return -1;
	if (last == '\n')
		end = size - 1; /* it ends the last line, starts none */
	pos = end;
	while (pos > 0) {
		size_t chunk =
		    pos < sizeof t->rbuf ? (size_t)pos : sizeof t->rbuf;
		size_t i;
		pos -= chunk;
		if (tail_pread(fd, t->rbuf, chunk, pos) != (ssize_t)chunk)
			return -1;
		for (i = chunk; i-- > 0;)
			if (t->rbuf[i] == '\n' && ++n == want) {
				*start = pos + i + 1;
				*found = want;
				return 0;
			}
	}
	*start = 0;
	*found = n + 1;
	return 0;
}

/* tail_read_range: feed fd[from..to) through the file splitter. */
static int tail_read_range(struct tail *t, int fd, uint64_t from, uint64_t to)
{
	while (from < to && !t->closing) {
		size_t want = to - from < sizeof t->rbuf ? (size_t)(to - from)
							 : sizeof t->rbuf;
		ssize_t n = tail_pread(fd, t->rbuf, want, from);
		if (n <= 0)
			return n == 0 ? 0 : -1;
		tail_feed(t, 0, t->rbuf, (size_t)n);
		from += (uint64_t)n;
	}
	return 0;
}

/* tail_backlog_rotated: the older copies' share of the backlog (need
 * lines), oldest first. */
static void tail_backlog_rotated(struct tail *t, uint64_t need)
{
	int fds[TAIL_ROTATIONS];
	uint64_t starts[TAIL_ROTATIONS], sizes[TAIL_ROTATIONS];
	uint64_t mtimes[TAIL_ROTATIONS];
	int i, n = 0;

	for (i = 1; i <= TAIL_ROTATIONS && need > 0; i++, n++) {
		char *p = xasprintf("%s.%d", t->f.path, i);
		struct stat st;
		uint64_t found;
		int fd = open(p, O_RDONLY | O_CLOEXEC);

		free(p);
		fds[n] = fd;
		if (fd < 0 || fstat(fd, &st) != 0 ||
		    tail_scan_back(t, fd, (uint64_t)st.st_size, need,
				   &starts[n], &found) != 0) {
			starts[n] = sizes[n] = 0;
			n++;
			break;
		}
		sizes[n] = (uint64_t)st.st_size;
		mtimes[n] = tail_mtime_ms(&st);
		need -= found;
	}
	for (i = n - 1; i >= 0; i--) {
		if (fds[i] < 0)
			continue;
		if (starts[i] < sizes[i]) {
			t->f.mtime_ms = mtimes[i];
			tail_read_range(t, fds[i], starts[i], sizes[i]);
			tail_flush(t, 0);
		}
		close(fds[i]);
	}
}

static void tail_file_close_fd(struct tail *t)
{
	if (t->f.fd >= 0)
		close(t->f.fd);
	t->f.fd = -1;
}

/* tail_file_open: open the current file at offset off; 0, or -1 when it
 * does not exist (yet). */
static int tail_file_open(struct tail *t, struct stat *st)
{
	int fd = open(t->f.path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, st) != 0) {
		close(fd);
		return -1;
	}
	tail_file_close_fd(t);
	t->f.fd = fd;
	t->f.dev = st->st_dev;
	t->f.ino = st->st_ino;
	t->f.off = 0;
	t->f.mtime_ms = tail_mtime_ms(st);
	return 0;
}

static void tail_on_fs_event(uv_fs_event_t *h, const char *filename, int events,
			     int status)
{
	struct tail *t = h->data;
	size_t n = strlen(t->f.base);

	if (t->closing)
		return;
	/* only this file and its rotated copies */
	if (filename != NULL && (strncmp(filename, t->f.base, n) != 0 ||
				 (filename[n] != '\0' && filename[n] != '.')))
		return;
	/* Not read here: under a flood inotify queues an event per write,
	 * all delivered in one loop iteration, and a check per event (each
	 * with its own budget) read on without end while keys waited. The
	 * timer makes it one check, one budget, per iteration. */
	if (t->phase == TAIL_PHASE_FOLLOW)
		tail_arm(t, 0);
}

/* tail_watch: inotify on the file's directory (retried from the poll
 * while the directory does not exist). */
static void tail_watch(struct tail *t)
{
	if (t->fsev_active || t->closing || t->f.dir == NULL)
		return;
	if (!t->fsev_inited) {
		uv_fs_event_init(t->loop, &t->fsev);
		t->fsev.data = t;
		t->fsev_inited = 1;
		t->refs++;
	}
	if (uv_fs_event_start(&t->fsev, tail_on_fs_event, t->f.dir, 0) == 0)
		t->fsev_active = 1;
}

static void tail_on_timer(uv_timer_t *timer);

static void tail_arm(struct tail *t, uint64_t ms)
{
	if (!t->closing)
		uv_timer_start(&t->timer, tail_on_timer, ms, 0);
}

/* tail_file_begin: the backlog of a file source (older copies read now,
 * the current file from its computed start), then the first check. */
static void tail_file_begin(struct tail *t, int late)
{
	struct stat st;
	uint64_t want = t->o.backlog > 0 ? (uint64_t)t->o.backlog : 0;
	uint64_t start = 0, found = 0;
	char *slash = strrchr(t->f.path, '/');

	free(t->f.dir);
	free(t->f.base);
	t->f.dir = slash ? xstrndup(t->f.path, (size_t)(slash - t->f.path) + 1)
			 : xstrdup(".");
	t->f.base = xstrdup(slash ? slash + 1 : t->f.path);
	t->f.backlog_end = 0;
	if (tail_file_open(t, &st) == 0) {
		if (late) {
			/* found after catch-up: new if written since */
			t->f.off = tail_mtime_ms(&st) >= t->start_wall_ms
				       ? 0
				       : (uint64_t)st.st_size;
		} else if (tail_scan_back(t, t->f.fd, (uint64_t)st.st_size,
					  want, &start, &found) == 0) {
			t->f.off = start;
			t->f.backlog_end = (uint64_t)st.st_size;
		} else {
			t->f.off = t->f.backlog_end = (uint64_t)st.st_size;
		}
	}
	if (!late && found < want)
		tail_backlog_rotated(t, want - found);
	if (t->o.mode != TAIL_BACKLOG_ONLY)
		tail_watch(t);
	t->phase = TAIL_PHASE_FOLLOW;
	tail_file_check(t);
}

/* tail_file_drain: read the open file up to limit (or EOF) within the
 * budget; 1 when the budget ran out first. */
static int tail_file_drain(struct tail *t, uint64_t limit, uint64_t *budget)
{
	while (t->f.fd >= 0 && t->f.off < limit && !t->closing) {
		uint64_t left = limit - t->f.off;
		size_t want =
		    left < sizeof t->rbuf ? (size_t)left : sizeof t->rbuf;
		ssize_t n;

		if (*budget == 0)
			return 1;
		n = tail_pread(t->f.fd, t->rbuf, want, t->f.off);
		if (n <= 0)
			return 0;
		t->f.off += (uint64_t)n;
		*budget = *budget > (uint64_t)n ? *budget - (uint64_t)n : 0;
		tail_feed(t, 0, t->rbuf, (size_t)n);
	}
	return 0;
}

/* tail_file_rotated: 1 when PATH is now another file than the open one
 * (renamed away and re-created) or was truncated below our offset; the
 * switch is made (the old file drained first). */
static int tail_file_rotated(struct tail *t)
{
	struct stat st;

	if (stat(t->f.path, &st) != 0)
		return 0; /* renamed away, not re-created yet: keep reading */
	if (t->f.fd < 0)
		return tail_file_open(t, &st) == 0;
	if (st.st_dev != t->f.dev || st.st_ino != t->f.ino) {
		uint64_t all = UINT64_MAX;
		tail_file_drain(t, UINT64_MAX, &all); /* what came last */
		tail_flush(t, 0);
		return tail_file_open(t, &st) == 0;
	}
	if ((uint64_t)st.st_size < t->f.off) {
		tail_flush(t, 0);
		t->f.off = 0;
		return 1;
	}
	return 0;
}

/* tail_file_check: read what is new, follow rotation, re-arm the poll. */
static void tail_file_check(struct tail *t)
{
	uint64_t budget = TAIL_BUDGET;

	if (t->closing || t->phase != TAIL_PHASE_FOLLOW)
		return;
	if (!t->caught_up) {
		if (tail_file_drain(t, t->f.backlog_end, &budget)) {
			tail_arm(t, TAIL_YIELD_MS);
			return;
		}
		if (t->o.mode == TAIL_BACKLOG_ONLY)
			tail_flush(t, 0); /* a last line without "\n" */
		t->f.mtime_ms = 0;
		tail_backlog_done(t);
		return;
	}
	if (!t->released) {
		t->phase = TAIL_PHASE_HELD;
		return;
	}
	do {
		if (tail_file_drain(t, UINT64_MAX, &budget)) {
			tail_arm(t, TAIL_YIELD_MS);
			return;
		}
	} while (!t->closing && tail_file_rotated(t));
	tail_watch(t);
	tail_arm(t, t->o.poll_ms);
}

/* ---- docker logs ------------------------------------------------------ */

static void tail_since_now(struct tail *t)
{
	uint64_t now = util_wall_ms();

	snprintf(t->since, sizeof t->since, "%llu.%03u",
		 (unsigned long long)(now / 1000), (unsigned)(now % 1000));
}

/* tail_bundle_argv: docker logs --timestamps --tail N bottle-NAME-bundle,
 * or docker logs -f --timestamps --since S --tail 10000 ... */
static void tail_bundle_argv(struct tail *t, int follow)
{
	strv_release(&t->argv);
	t->argv = follow
		      ? docker_argv_logs(t->name, 1,
					 t->last_ts[0] ? t->last_ts : t->since,
					 TAIL_FOLLOW_TAIL)
		      : docker_argv_logs(t->name, 0, NULL, t->o.backlog);
}

/* tail_child_error: why a child failed, for the user. Caller frees. */
static char *tail_child_error(struct tail *t, const struct proc_result *r,
			      const char *what)
{
	if (r->spawn_error != 0)
		return xasprintf("%s could not be run: %s", what,
				 uv_strerror(r->spawn_error));
	if (t->docker_err.len > 0)
		return xasprintf("%s: %s", what, t->docker_err.data);
	if (r->term_signal != 0)
		return xasprintf("%s was killed by signal %d", what,
				 r->term_signal);
	return xasprintf("%s exited %d", what, r->exit_status);
}

static void tail_schedule_retry(struct tail *t)
{
	uint64_t ran = util_mono_ms() - t->run_start_ms;
	uint64_t max = t->o.retry_ms * TAIL_RETRY_FACTOR;

	if (ran >= TAIL_STABLE_RUN_MS || t->run_lines > 0)
		t->backoff_ms = t->o.retry_ms;
	else if (t->backoff_ms < max)
		t->backoff_ms =
		    t->backoff_ms * 2 < max ? t->backoff_ms * 2 : max;
	t->phase = TAIL_PHASE_RETRY;
	tail_arm(t, t->backoff_ms);
}

static void tail_on_docker_exit(struct proc *p, const struct proc_result *r,
				void *data)
{
	struct tail *t = data;
	int failed = r->spawn_error != 0 || !r->exited || r->exit_status != 0;

	(void)p;
	t->proc = NULL;
	if (!t->closing) {
		tail_flush(t, 1);
		tail_flush(t, 2);
	}
	if (!t->closing && failed && !r->timed_out) {
		char *msg = tail_child_error(t, r, "docker logs");
		tail_status(t, 1, msg);
		free(msg);
	}
	buf_reset(&t->docker_err);
	if (!t->closing && t->phase == TAIL_PHASE_BACKLOG)
		tail_backlog_done(t);
	else if (!t->closing && t->phase == TAIL_PHASE_FOLLOW) {
		tail_schedule_retry(t);
	}
	tail_unref(t);
}

static void tail_on_docker_data(struct proc *p, int fd, const char *buf,
				size_t len, void *data)
{
	struct tail *t = data;

	(void)p;
	if (!t->closing)
		tail_feed(t, fd, buf, len);
}

/* tail_bundle_spawn: the backlog run (docker logs --tail N) or a follow
 * run (docker logs -f --since the last line seen). */
static void tail_bundle_spawn(struct tail *t, int follow)
{
	struct proc_opts po;

	if (t->closing)
		return;
	tail_bundle_argv(t, follow);
	memset(&po, 0, sizeof po);
	po.argv = (const char *const *)t->argv.v;
	po.on_data = tail_on_docker_data;
	po.on_exit = tail_on_docker_exit;
	po.data = t;
	/* docker logs stays in our session and process group: a child that
	 * leads a session of its own is, where the kernel groups scheduling
	 * by session (autogroup), scheduled apart from us, and under load
	 * got far less CPU than a docker logs run from the same shell (0.46x
	 * its lines; 0.94x in ours). docker logs has no children of its
	 * own: killing it is enough (proc stops waiting for pipes a
	 * wrapper's leftover might hold after its grace). */
	po.new_pgrp = 0;
	po.kill_grace_ms = 1000;
	if (!follow)
		po.timeout_ms = TAIL_DOCKER_TIMEOUT_MS;
	t->phase = follow ? TAIL_PHASE_FOLLOW : TAIL_PHASE_BACKLOG;
	t->dedupe = follow;
	t->run_lines = 0;
	t->run_start_ms = util_mono_ms();
	t->refs++;
	t->proc = proc_spawn(t->loop, &po);
}

/* tail_bundle_start: remember when we started (the first follow run
 * starts there when the backlog was empty), then the backlog run. */
static void tail_bundle_start(struct tail *t)
{
	tail_since_now(t);
	if (t->o.backlog > 0)
		tail_bundle_spawn(t, 0);
	else
		tail_backlog_done(t);
}

/* ---- smolvm machine data-dir ------------------------------------------ */

static void tail_on_data_dir(struct proc *p, const struct proc_result *r,
			     void *data)
{
	struct tail *t = data;
	const char *out = r->out.data ? r->out.data : "";
	size_t n = strcspn(out, "\r\n");

	(void)p;
	t->proc = NULL;
	if (!t->closing && r->exited && r->exit_status == 0 && n > 0) {
		char *dir = xstrndup(out, n);
		free(t->f.path);
		t->f.path = xasprintf("%s/agent-console.log", dir);
		free(dir);
		tail_status(t, 0, "found the console log");
		tail_file_begin(t, t->caught_up);
	} else if (!t->closing) {
		char first[512];
		const char *e = r->err.data ? r->err.data : "";
		size_t m = strcspn(e, "\r\n");
		char *msg;
		snprintf(first, sizeof first, "%.*s", (int)(m < 500 ? m : 500),
			 e);
		if (first[0] != '\0')
			msg = xasprintf("smolvm machine data-dir: %s", first);
		else
			msg = tail_child_error(t, r, "smolvm machine data-dir");
		tail_status(t, 1, msg);
		free(msg);
		if (t->o.mode == TAIL_BACKLOG_ONLY) {
			t->phase = TAIL_PHASE_DONE;
			tail_set_caught_up(t);
		} else {
			t->phase = TAIL_PHASE_RETRY;
			tail_set_caught_up(t);
			t->run_lines = 0;
			if (!t->closing)
				tail_schedule_retry(t);
		}
	}
	tail_unref(t);
}

/* tail_smolvm_sync: smolvm's version as the caller knows it now (the
 * dashboard opens its tails before `smolvm --version` has answered). */
static void tail_smolvm_sync(struct tail *t)
{
	if (t->smolvm_live == NULL)
		return;
	t->smolvm.v = t->smolvm_live->v;
	t->smolvm.band = t->smolvm_live->band;
}

static int tail_smolvm_known(const struct tail *t)
{
	const struct smolvm_version *v = &t->smolvm.v;

	return v->major != 0 || v->minor != 0 || v->patch != 0;
}

static void tail_vm_data_dir(struct tail *t)
{
	struct proc_opts po;

	tail_smolvm_sync(t);

	strv_release(&t->argv);
	t->argv = smolvm_argv_data_dir(&t->smolvm, t->name);
	memset(&po, 0, sizeof po);
	po.argv = (const char *const *)t->argv.v;
	po.env = (const char *const *)t->smolvm_env.v;
	po.capture = 1;
	po.max_capture = 65536;
	po.timeout_ms = TAIL_DOCKER_TIMEOUT_MS;
	po.on_exit = tail_on_data_dir;
	po.data = t;
	t->run_start_ms = util_mono_ms();
	t->refs++;
	t->proc = proc_spawn(t->loop, &po);
}

/* ---- smolvm machine egress-events (1.8.1+) ---------------------------- */

/* tail_egress_new: index of the first record of e[0..n) not delivered
 * yet. Records come oldest first with second-precision stamps, so the
 * new ones are those after last_ts, and at last_ts those beyond the
 * last_ts_seen already delivered. */
static size_t tail_egress_new(const struct tail *t,
			      const struct smolvm_egress_event *e, size_t n)
{
	size_t i, at = 0;

	if (t->last_ts[0] == '\0')
		return 0;
	for (i = 0; i < n; i++) {
		int c = strcmp(e[i].timestamp, t->last_ts);
		if (c > 0)
			return i;
		if (c == 0 && ++at > t->last_ts_seen)
			return i;
	}
	return n;
}

static void tail_egress_emit(struct tail *t,
			     const struct smolvm_egress_event *e)
{
	char *line = xasprintf(
	    "denied %s %s %s", e->operation,
	    strcmp(e->operation, "resolve") == 0 ? "of" : "to", e->dest);
	uint64_t ms = 0;

	/* the line's time is smolvm's stamp (second precision) */
	if (util_parse_rfc3339(e->timestamp, strlen(e->timestamp), &ms) == 0)
		ms = util_wall_ms();
	t->last_wall_ms = ms;

	if (strcmp(e->timestamp, t->last_ts) == 0) {
		t->last_ts_seen++;
	} else {
		snprintf(t->last_ts, sizeof t->last_ts, "%s", e->timestamp);
		t->last_ts_seen = 1;
	}
	tail_emit(t, 1, line, strlen(line), LOGBUF_HIGHLIGHT);
	free(line);
}

static void tail_on_egress(struct proc *p, const struct proc_result *r,
			   void *data)
{
	struct tail *t = data;
	struct smolvm_egress_event *e = NULL;
	size_t n = 0, i, first;
	char *why = NULL;

	(void)p;
	t->proc = NULL;
	if (t->closing) {
		tail_unref(t);
		return;
	}
	if (!r->exited || r->exit_status != 0)
		why = tail_child_error(t, r, "smolvm machine egress-events");
	else if (smolvm_parse_egress_events(r->out.data, r->out.len, &e, &n,
					    &why) != 0)
		e = NULL;
	if (why != NULL) {
		tail_status(t, 1, why);
		free(why);
		tail_set_caught_up(t);
		if (t->o.mode == TAIL_BACKLOG_ONLY)
			t->phase = TAIL_PHASE_DONE;
		else
			tail_schedule_retry(t);
		tail_unref(t);
		return;
	}
	first = tail_egress_new(t, e, n);
	if (!t->caught_up && t->o.backlog >= 0 &&
	    n - first > (size_t)t->o.backlog)
		first = n - (size_t)t->o.backlog;
	if (!t->caught_up && first > 0) {
		/* skipped backlog: remember where it ends */
		snprintf(t->last_ts, sizeof t->last_ts, "%s",
			 e[first - 1].timestamp);
		t->last_ts_seen = 0;
		for (i = 0; i < first; i++)
			t->last_ts_seen +=
			    strcmp(e[i].timestamp, t->last_ts) == 0;
	}
	for (i = first; i < n && !t->closing; i++)
		tail_egress_emit(t, &e[i]);
	smolvm_egress_events_free(e, n);
	if (t->error != NULL)
		tail_status(t, 0, "reading smolvm's denials again");
	if (!t->caught_up)
		tail_backlog_done(t);
	else if (!t->closing)
		tail_arm(t, t->o.poll_ms);
	tail_unref(t);
}

static void tail_egress_spawn(struct tail *t)
{
	struct proc_opts po;

	tail_smolvm_sync(t);
	if (!tail_smolvm_known(t) && t->o.mode != TAIL_BACKLOG_ONLY) {
		t->phase = TAIL_PHASE_RETRY; /* ask again once it is known */
		tail_arm(t, t->o.poll_ms);
		return;
	}
	if (!smolvm_has(&t->smolvm.v, SMOLVM_F_EGRESS_EVENTS)) {
		char *msg = xasprintf(
		    "smolvm %d.%d.%d cannot report denials (machine "
		    "egress-events arrived in 1.8.1)",
		    t->smolvm.v.major, t->smolvm.v.minor, t->smolvm.v.patch);
		tail_status(t, 1, msg);
		free(msg);
		t->phase = TAIL_PHASE_DONE;
		tail_set_caught_up(t);
		return;
	}
	if (t->phase == TAIL_PHASE_START)
		t->phase = TAIL_PHASE_BACKLOG;
	strv_release(&t->argv);
	t->argv = smolvm_argv_egress_events(&t->smolvm, t->name,
					    t->caught_up || t->o.backlog <= 0
						? TAIL_EGRESS_LIMIT
						: (unsigned)t->o.backlog);
	memset(&po, 0, sizeof po);
	po.argv = (const char *const *)t->argv.v;
	po.env = (const char *const *)t->smolvm_env.v;
	po.capture = 1;
	po.max_capture = 1 << 20; /* 1000 records; transient */
	po.timeout_ms = TAIL_DOCKER_TIMEOUT_MS;
	po.on_exit = tail_on_egress;
	po.data = t;
	t->run_start_ms = util_mono_ms();
	t->run_lines = 0;
	t->refs++;
	t->proc = proc_spawn(t->loop, &po);
}

/* ---- lifetime --------------------------------------------------------- */

static void tail_on_timer(uv_timer_t *timer)
{
	struct tail *t = timer->data;

	if (t->closing)
		return;
	switch (t->phase) {
	case TAIL_PHASE_START:
		if (t->o.source == TAIL_EGRESS)
			tail_egress_spawn(t);
		else if (t->o.source == TAIL_BUNDLE)
			tail_bundle_start(t);
		else if (t->f.path != NULL)
			tail_file_begin(t, 0);
		else
			tail_vm_data_dir(t);
		break;
	case TAIL_PHASE_RETRY:
		t->restarts++;
		if (t->o.source == TAIL_EGRESS)
			tail_egress_spawn(t);
		else if (t->o.source == TAIL_BUNDLE)
			tail_bundle_spawn(t, 1);
		else
			tail_vm_data_dir(t);
		break;
	case TAIL_PHASE_FOLLOW:
		if (t->o.source == TAIL_EGRESS)
			tail_egress_spawn(t);
		else if (t->o.source != TAIL_BUNDLE)
			tail_file_check(t);
		break;
	case TAIL_PHASE_BACKLOG:
	case TAIL_PHASE_HELD:
	case TAIL_PHASE_DONE:
		break;
	}
}

void tail_follow(struct tail *t)
{
	if (t->released || t->closing)
		return;
	t->released = 1;
	if (t->phase == TAIL_PHASE_HELD)
		tail_resume(t);
}

static void tail_free(struct tail *t)
{
	int i;

	for (i = 0; i < 3; i++)
		lines_release(&t->split[i].lines);
	tail_file_close_fd(t);
	free(t->f.path);
	free(t->f.dir);
	free(t->f.base);
	buf_release(&t->text);
	buf_release(&t->docker_err);
	strv_release(&t->argv);
	free(t->error);
	free(t->name);
	free(t->state_dir);
	free((char *)t->smolvm.bin);
	strv_release(&t->smolvm_env);
	free(t);
}

static void tail_unref(struct tail *t)
{
	if (--t->refs == 0)
		tail_free(t);
}

static void tail_on_close(uv_handle_t *h)
{
	tail_unref(h->data);
}

int tail_start(uv_loop_t *loop, const struct tail_opts *o, struct tail **out,
	       char **cause)
{
	struct tail *t;
	int i;

	*out = NULL;
	if ((unsigned)o->source >= TAIL_SOURCE_COUNT)
		return util_fail(cause, "tail: unknown source");
	if (o->name == NULL)
		return util_fail(cause, "tail: no bottle name");
	if (o->source == TAIL_EVENTS && o->path == NULL && o->state_dir == NULL)
		return util_fail(cause,
				 "tail: events needs the state directory");
	if ((o->source == TAIL_VM || o->source == TAIL_EGRESS) &&
	    o->path == NULL && o->smolvm == NULL)
		return util_fail(cause, "tail: %s needs the smolvm binary",
				 tail_source_name(o->source));
	t = xcalloc(1, sizeof *t);
	t->loop = loop;
	t->o = *o;
	t->name = xstrdup(o->name);
	t->state_dir = o->state_dir ? xstrdup(o->state_dir) : NULL;
	if (o->smolvm != NULL) {
		size_t k;
		t->smolvm = *o->smolvm;
		t->smolvm.bin = xstrdup(o->smolvm->bin);
		t->smolvm_live = o->smolvm;
		for (k = 0; o->smolvm_env && o->smolvm_env[k]; k++)
			strv_push(&t->smolvm_env, o->smolvm_env[k]);
		if (o->smolvm_env == NULL) /* fail closed */
			smolvm_env(o->smolvm, 0, 0, &t->smolvm_env);
	}
	t->o.name = t->name;
	t->o.state_dir = t->state_dir;
	t->o.smolvm = o->smolvm != NULL ? &t->smolvm : NULL;
	t->o.smolvm_env = NULL;
	t->o.path = NULL;
	if (t->o.poll_ms == 0)
		t->o.poll_ms = TAIL_DEFAULT_POLL_MS;
	if (o->source == TAIL_EGRESS && t->o.poll_ms < TAIL_EGRESS_POLL_MS)
		t->o.poll_ms = TAIL_EGRESS_POLL_MS;
	if (t->o.retry_ms == 0)
		t->o.retry_ms = TAIL_DEFAULT_RETRY_MS;
	t->backoff_ms = t->o.retry_ms;
	if (o->san != NULL)
		t->san = *o->san;
	else
		t->san = (struct sanitize_opts)SANITIZE_OPTS_INIT;
	t->o.san = NULL;
	t->released = o->mode == TAIL_FOLLOW;
	t->start_wall_ms = util_wall_ms();
	t->f.fd = -1;
	if (o->path != NULL) {
		t->f.path = xstrdup(o->path);
	} else if (o->source == TAIL_EVENTS) {
		char *dir = state_bottle_dir(o->state_dir, o->name);
		t->f.path = xasprintf("%s/events.log", dir);
		free(dir);
	}
	for (i = 0; i < 3; i++) {
		t->split[i].t = t;
		t->split[i].fd = i;
		t->split[i].lines.max_line = o->max_line;
	}
	uv_timer_init(loop, &t->timer);
	t->timer.data = t;
	t->refs = 1;
	t->phase = TAIL_PHASE_START;
	uv_timer_start(&t->timer, tail_on_timer, 0, 0);
	*out = t;
	return 0;
}

void tail_close(struct tail *t)
{
	if (t == NULL || t->closing)
		return;
	t->closing = 1;
	if (t->proc != NULL)
		proc_kill(t->proc);
	uv_timer_stop(&t->timer);
	uv_close((uv_handle_t *)&t->timer, tail_on_close);
	if (t->fsev_inited) {
		uv_fs_event_stop(&t->fsev);
		uv_close((uv_handle_t *)&t->fsev, tail_on_close);
	}
	tail_file_close_fd(t);
}
