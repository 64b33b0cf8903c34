/* cli-logs.c: `bottle logs NAME [--source events|bundle|vm|egress|all] [-f]
 * [-n N] [--raw]`.
 *
 * Each source is a tail (tail.h) held after its backlog: once every
 * source has delivered its last N lines, they are printed merged by time,
 * then (with -f) every tail is released and new lines are printed as
 * they come, until SIGINT or SIGTERM. Lines are sanitized (or, with
 * --raw, printed as the source wrote them) and flushed CLI_LOGS_FLUSH_MS
 * after the first unflushed line (a flood costs one write per 64 KiB or
 * per CLI_LOGS_FLUSH_MS, not one per line).
 *
 * Output, one line per log line:
 *   TIME TEXT              one source
 *   TIME SOURCE| TEXT      all sources ("events|", "bundle|", "vm    |")
 *   [SOURCE| ]RAW          --raw: the bytes of the line, nothing added
 *                          but the source prefix of "all"
 * TIME is UTC, ISO 8601 with milliseconds: the line's own time for
 * events (from the line) and bundle (docker's), the arrival time for vm
 * (for history: the console file's modification time), smolvm's own
 * (second precision) for egress, the VMM's record of what it denied the
 * guest (smolvm 1.8.1+; "all" leaves it out on older releases). */
#include "cli-logs.h"

#include <errno.h>
#include <langinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logbuf.h"
#include "tail.h"

#define CLI_LOGS_DEFAULT_N 100
#define CLI_LOGS_MAX_N 10000000
#define CLI_LOGS_FLUSH_MS 20
#define CLI_LOGS_WHEN_LEN 24 /* 2026-01-01T00:00:00.000Z */

static const char cli_logs_usage_text[] =
    "NAME [--source events|bundle|vm|egress|all] [-f] [-n N] [--raw]";

struct cli_logs;

/* One source being printed. */
struct cli_logs_src {
	struct cli_logs *l;
	enum tail_source source;
	struct tail *t;		/* owned until tail_close */
	struct logbuf *pending; /* owned: its backlog, until printed */
	int caught_up;
	int failed; /* its last status was an error */
};

struct cli_logs {
	/* what was asked */
	const char *name;
	int all;
	enum tail_source only;
	int follow;
	int backlog;
	int raw;
	/* state */
	struct cli_target target;
	struct cli_logs_src src[TAIL_SOURCE_COUNT];
	size_t n;
	size_t caught_up; /* sources caught up */
	int released;	  /* the merged backlog was printed */
	int stopping;
	int out_failed; /* stdout is gone (EPIPE) or broken */
	int dirty;	/* stdout has unflushed lines */
	struct sanitize_opts san;
	uv_signal_t sig[2];
	uv_timer_t flush; /* armed while stdout has unflushed lines */
	int handles_on;
	char when[32]; /* the last time printed (cli_logs_when) */
	uint64_t when_sec;
	int when_ok; /* when holds when_sec's seconds */
};

/* ---- output ------------------------------------------------------------ */

static void cli_logs_on_flush(uv_timer_t *h);

/* cli_logs_when: "YYYY-MM-DDTHH:MM:SS.mmmZ" of wall_ms into l->when; the
 * part up to the seconds is formatted once per second (a flood prints
 * many lines a second). */
static void cli_logs_when(struct cli_logs *l, uint64_t wall_ms)
{
	uint64_t sec = wall_ms / 1000;
	unsigned ms = (unsigned)(wall_ms % 1000);

	if (!l->when_ok || sec != l->when_sec) {
		util_iso8601(sec * 1000, l->when, sizeof l->when);
		l->when_ok = strlen(l->when) == CLI_LOGS_WHEN_LEN;
		l->when_sec = sec;
		if (!l->when_ok) {
			util_iso8601(wall_ms, l->when, sizeof l->when);
			return;
		}
	}
	l->when[CLI_LOGS_WHEN_LEN - 4] = (char)('0' + ms / 100);
	l->when[CLI_LOGS_WHEN_LEN - 3] = (char)('0' + ms / 10 % 10);
	l->when[CLI_LOGS_WHEN_LEN - 2] = (char)('0' + ms % 10);
}

/* cli_logs_print: one line (display text or raw bytes) on stdout. stdout
 * is fully buffered and only this thread writes it: the unlocked calls. */
static void cli_logs_print(struct cli_logs *l, enum tail_source s,
			   uint64_t wall_ms, const char *text, size_t len)
{
	if (l->out_failed)
		return;
	if (!l->raw) {
		cli_logs_when(l, wall_ms);
		fwrite_unlocked(l->when, 1, strlen(l->when), stdout);
		putc_unlocked(' ', stdout);
	}
	if (l->all)
		fprintf(stdout, "%-6s| ", tail_source_name(s));
	fwrite_unlocked(text, 1, len, stdout);
	putc_unlocked('\n', stdout);
	if (!l->dirty && l->handles_on && !l->stopping)
		uv_timer_start(&l->flush, cli_logs_on_flush, CLI_LOGS_FLUSH_MS,
			       0);
	l->dirty = 1;
}

static void cli_logs_stop(struct cli_logs *l);

/* cli_logs_flush: write out what was printed; a reader that went away
 * ends a follow quietly. */
static void cli_logs_flush(struct cli_logs *l)
{
	int err;

	if (!l->dirty || l->out_failed)
		return;
	l->dirty = 0;
	if (fflush(stdout) == 0)
		return;
	err = errno;
	if (err != EPIPE)
		fprintf(stderr, "bottle: logs: stdout: %s\n", strerror(err));
	l->out_failed = err == EPIPE ? 1 : 2;
	cli_logs_stop(l);
}

static void cli_logs_on_flush(uv_timer_t *h)
{
	cli_logs_flush(h->data);
}

/* cli_logs_print_backlog: every source's backlog, merged by time (ties
 * keep the order of the sources, and each source keeps its own order). */
static void cli_logs_print_backlog(struct cli_logs *l)
{
	size_t next[TAIL_SOURCE_COUNT] = {0};
	size_t i;

	for (;;) {
		const struct logbuf_entry *best = NULL;
		size_t bi = 0;
		for (i = 0; i < l->n; i++) {
			const struct logbuf_entry *e =
			    logbuf_get(l->src[i].pending, next[i]);
			if (e != NULL &&
			    (best == NULL || e->wall_ms < best->wall_ms)) {
				best = e;
				bi = i;
			}
		}
		if (best == NULL)
			break;
		cli_logs_print(l, l->src[bi].source, best->wall_ms, best->text,
			       best->len);
		next[bi]++;
	}
	for (i = 0; i < l->n; i++)
		logbuf_clear(l->src[i].pending);
}

/* ---- tails -------------------------------------------------------------- */

static void cli_logs_on_line(struct tail *t, const struct tail_line *ln,
			     void *data)
{
	struct cli_logs_src *s = data;
	struct cli_logs *l = s->l;
	const char *text = l->raw ? ln->raw : ln->text;
	size_t len = l->raw ? ln->raw_len : ln->len;

	(void)t;
	if (!l->released)
		logbuf_push(s->pending, ln->wall_ms, ln->flags, text, len);
	else
		cli_logs_print(l, s->source, ln->wall_ms, text, len);
}

static void cli_logs_on_status(struct tail *t, int error, const char *msg,
			       void *data)
{
	struct cli_logs_src *s = data;

	(void)t;
	s->failed = error;
	fprintf(stderr, "bottle: %s: %s: %s\n", s->l->name,
		tail_source_name(s->source), msg);
}

static void cli_logs_on_caught_up(struct tail *t, void *data)
{
	struct cli_logs_src *s = data;
	struct cli_logs *l = s->l;
	size_t i;

	(void)t;
	s->caught_up = 1;
	if (++l->caught_up < l->n)
		return;
	cli_logs_print_backlog(l);
	l->released = 1;
	cli_logs_flush(l);
	if (!l->follow) {
		cli_logs_stop(l);
		return;
	}
	for (i = 0; i < l->n && !l->stopping; i++)
		tail_follow(l->src[i].t);
}

static int cli_logs_start_tail(struct cli_logs *l, struct cli_logs_src *s)
{
	struct tail_opts o;
	char *cause = NULL;

	memset(&o, 0, sizeof o);
	o.source = s->source;
	o.name = l->name;
	o.state_dir = l->target.c.state_dir;
	o.smolvm = &l->target.cli;
	o.smolvm_env = (const char *const *)l->target.env.v;
	o.backlog = l->backlog;
	o.mode = l->follow ? TAIL_FOLLOW_HELD : TAIL_BACKLOG_ONLY;
	o.san = &l->san;
	o.on_line = cli_logs_on_line;
	o.on_caught_up = cli_logs_on_caught_up;
	o.on_status = cli_logs_on_status;
	o.data = s;
	if (tail_start(&l->target.c.loop, &o, &s->t, &cause) != 0) {
		fprintf(stderr, "bottle: %s: %s\n", l->name, cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* ---- lifetime ----------------------------------------------------------- */

static void cli_logs_on_signal(uv_signal_t *h, int signum)
{
	(void)signum;
	cli_logs_stop(h->data);
}

/* cli_logs_stop: close every tail and handle; the loop then ends. */
static void cli_logs_stop(struct cli_logs *l)
{
	size_t i;

	if (l->stopping)
		return;
	l->stopping = 1;
	for (i = 0; i < l->n; i++) {
		tail_close(l->src[i].t);
		l->src[i].t = NULL;
	}
	if (l->handles_on) {
		for (i = 0; i < UTIL_NELEM(l->sig); i++)
			uv_close((uv_handle_t *)&l->sig[i], NULL);
		uv_close((uv_handle_t *)&l->flush, NULL);
	}
}

static void cli_logs_handles(struct cli_logs *l)
{
	static const int sigs[2] = {SIGINT, SIGTERM};
	size_t i;

	for (i = 0; i < UTIL_NELEM(sigs); i++) {
		uv_signal_init(&l->target.c.loop, &l->sig[i]);
		l->sig[i].data = l;
		uv_signal_start(&l->sig[i], cli_logs_on_signal, sigs[i]);
	}
	uv_timer_init(&l->target.c.loop, &l->flush);
	l->flush.data = l;
	l->handles_on = 1;
}

/* cli_logs_wanted: the sources to show. Without -f, "all" leaves out the
 * parts that do not exist (no container, no VM) instead of complaining. */
static int cli_logs_wanted(const struct cli_logs *l, enum tail_source s)
{
	if (!l->all)
		return s == l->only;
	if (s == TAIL_EGRESS)
		return smolvm_has(&l->target.cli.v, SMOLVM_F_EGRESS_EVENTS);
	if (l->follow)
		return 1;
	if (s == TAIL_BUNDLE)
		return l->target.bundle_state != NULL;
	if (s == TAIL_VM)
		return l->target.vm_state != NULL;
	return 1;
}

static int cli_logs_run(struct cli_logs *l)
{
	const char *cs = nl_langinfo(CODESET);
	size_t i, failed = 0;
	unsigned s;

	/* flushed by the flush timer, not per line */
	setvbuf(stdout, NULL, _IOFBF, (size_t)1 << 16);
	l->san = (struct sanitize_opts)SANITIZE_OPTS_INIT;
	l->san.ascii =
	    cs == NULL || (strcmp(cs, "UTF-8") != 0 && strcmp(cs, "utf8") != 0);
	for (s = 0; s < TAIL_SOURCE_COUNT; s++) {
		struct cli_logs_src *src;
		if (!cli_logs_wanted(l, (enum tail_source)s))
			continue;
		src = &l->src[l->n++];
		src->l = l;
		src->source = (enum tail_source)s;
		src->pending =
		    logbuf_new(l->backlog > 0 ? (size_t)l->backlog : 1, 0);
	}
	cli_logs_handles(l);
	for (i = 0; i < l->n; i++)
		if (cli_logs_start_tail(l, &l->src[i]) != 0) {
			cli_logs_stop(l);
			break;
		}
	if (l->n == 0) /* nothing exists of it: nothing to show */
		cli_logs_stop(l);
	uv_run(&l->target.c.loop, UV_RUN_DEFAULT);
	cli_logs_stop(l);
	uv_run(&l->target.c.loop, UV_RUN_DEFAULT);
	if (!l->out_failed && fflush(stdout) != 0 && errno != EPIPE)
		l->out_failed = 2;
	for (i = 0; i < l->n; i++) {
		failed += l->src[i].failed;
		logbuf_free(l->src[i].pending);
	}
	if (l->out_failed == 2)
		return CLI_EXIT_FAIL;
	return l->n > 0 && failed == l->n ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* ---- arguments ---------------------------------------------------------- */

static int cli_logs_usage(const char *msg, const char *arg)
{
	return cli_usage("logs", cli_logs_usage_text, "%s%s", msg,
			 arg != NULL ? arg : "");
}

static int cli_logs_parse_n(const char *v, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 0 ||
	    n > CLI_LOGS_MAX_N)
		return -1;
	*out = (int)n;
	return 0;
}

enum { CLI_LOGS_OPT_SOURCE = CLI_OPT_LONG, CLI_LOGS_OPT_RAW };

static const struct option cli_logs_opts[] = {
    {"follow", no_argument, NULL, 'f'},
    {"raw", no_argument, NULL, CLI_LOGS_OPT_RAW},
    {"source", required_argument, NULL, CLI_LOGS_OPT_SOURCE},
    {"lines", required_argument, NULL, 'n'},
    {"tail", required_argument, NULL, 'n'},
    {NULL, 0, NULL, 0},
};

static int cli_logs_parse(struct cli_logs *l, int argc, char **argv)
{
	const char *typed = NULL, *v;
	int c;

	l->all = 1;
	l->backlog = CLI_LOGS_DEFAULT_N;
	optind = 0;
	/* "-": NAME comes back as 1 wherever it stands */
	while ((c = cli_getopt(argc, argv, "-:fn:", cli_logs_opts, &typed)) !=
	       -1) {
		v = optarg;
		switch (c) {
		case 'f':
			l->follow = 1;
			break;
		case CLI_LOGS_OPT_RAW:
			l->raw = 1;
			break;
		case CLI_LOGS_OPT_SOURCE:
			l->all = strcmp(v, "all") == 0;
			if (!l->all && tail_source_parse(v, &l->only) != 0)
				return cli_logs_usage("unknown source ", v);
			break;
		case 'n':
			if (v[0] == '=' && v != argv[optind - 1])
				v++; /* -n=N, as written before getopt */
			if (cli_logs_parse_n(v, &l->backlog) != 0)
				return cli_logs_usage(
				    "-n: expected a number of "
				    "lines, got ",
				    v);
			break;
		case ':':
			return cli_logs_usage(strncmp(typed, "--s", 3) == 0
						  ? "--source needs a value"
						  : "-n needs a number",
					      NULL);
		case 1:
			if (l->name != NULL)
				return cli_logs_usage("unexpected ", v);
			l->name = v;
			break;
		default:
			return cli_logs_usage("unknown option ", typed);
		}
	}
	if (optind < argc) /* words after "--" */
		return cli_logs_usage("unexpected ", argv[optind]);
	if (l->name == NULL)
		return cli_logs_usage("which bottle?", NULL);
	return 0;
}

int cli_logs_main(const struct cli_global *g, int argc, char **argv)
{
	struct cli_logs l;
	int rc;

	memset(&l, 0, sizeof l);
	if ((rc = cli_logs_parse(&l, argc, argv)) != 0)
		return rc;
	rc = cli_target_open(&l.target, g, l.name, CLI_EXIT_CONFIG,
			     CLI_EXIT_FAIL);
	if (rc != 0)
		return rc;
	rc = cli_logs_run(&l);
	cli_target_close(&l.target);
	return rc;
}
