/* cli-exec.c: `bottle exec` and `bottle shell` on `smolvm machine exec`.
 *
 * The guest's exit status comes through as bottle's; bottle's own failures
 * are 125, so that a script can tell "the command failed" from "bottle
 * could not run it":
 *
 *   0-255  the guest's exit status (smolvm passes it through)
 *   124    --timeout expired (smolvm's)
 *   125    bottle or smolvm could not run the command: usage, no such
 *          bottle, VM not running, smolvm's own "Error: ..." (exit 1)
 *   255    smolvm 0.8.0: the guest was killed by a signal, or exited 255
 *   128+N  smolvm itself was killed by signal N
 *
 * stdout (and with -i/-t stdin) is the terminal's own file, inherited by
 * smolvm: byte-exact, live, interactive. Without -t, stderr is piped
 * through bottle and forwarded byte for byte as it arrives, while bottle
 * watches whether it starts with "Error: " (smolvm's own failure; a guest
 * whose stderr starts so and that exits 1 cannot be told from it). With -t
 * all three are inherited (smolvm puts the terminal in raw mode) and the
 * terminal's modes are restored afterwards whatever smolvm left. Before
 * running anything, bottle checks that the VM is running. */
#include "cli-exec.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "proc.h"
#include "smolvm.h"
#include "state.h"

#define CLI_EXEC_PIPE_GRACE_MS 500 /* stderr held open after the exit */
#define CLI_EXEC_STATUS_TIMEOUT_MS 30000
#define CLI_EXEC_ERR_MARK "Error: "
#define CLI_EXEC_ERR_MARK_LEN 7

static const char cli_exec_usage_text[] =
    "NAME [-e K=V]... [-w DIR] [--timeout DUR] [-i] [-t] [--] CMD...";
static const char cli_exec_shell_usage_text[] = "NAME [-e K=V]... [-w DIR]";

/* What the command line asked for. */
struct cli_exec_req {
	const char *name;
	struct strv env;     /* owned; "K=V" */
	const char *workdir; /* borrowed from argv */
	const char *timeout; /* as written, for messages */
	uint64_t timeout_ms;
	int interactive;
	int tty;
	const char *const *cmd; /* borrowed; NULL-terminated */
	const char *verb;	/* "exec" or "shell" */
};

/* The running smolvm exec. */
struct cli_exec_run {
	struct cli_target *target;
	const struct cli_exec_req *req;
	uv_process_t proc;
	uv_pipe_t err;
	uv_signal_t sig[4];
	uv_timer_t grace;
	int piped; /* stderr goes through err */
	int exited;
	int err_eof;
	int64_t status;
	int term_signal;
	int err_match;	      /* "Error: " bytes matched at the start of
				 stderr; -1: it cannot match any more */
	int own_error;	      /* stderr started with "Error: " */
	struct buf err_first; /* that line, bounded, for events.log */
	int in_err_line;      /* still copying it */
	uint64_t t0;	      /* monotonic */
	char rbuf[65536];
};

/* ---- argument parsing ------------------------------------------------- */

UTIL_PRINTF(2, 3)
static int cli_exec_usage(const struct cli_exec_req *r, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int shell = strcmp(r->verb, "shell") == 0;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	cli_usage(r->verb,
		  shell ? cli_exec_shell_usage_text : cli_exec_usage_text, "%s",
		  msg);
	free(msg);
	return -1;
}

enum { CLI_EXEC_OPT_TIMEOUT = CLI_OPT_LONG };

static const struct option cli_exec_opts[] = {
    {"env", required_argument, NULL, 'e'},
    {"workdir", required_argument, NULL, 'w'},
    {"timeout", required_argument, NULL, CLI_EXEC_OPT_TIMEOUT},
    {"interactive", no_argument, NULL, 'i'},
    {"tty", no_argument, NULL, 't'},
    {NULL, 0, NULL, 0},
};
/* shell: -e and -w only */
static const struct option cli_exec_shell_opts[] = {
    {"env", required_argument, NULL, 'e'},
    {"workdir", required_argument, NULL, 'w'},
    {NULL, 0, NULL, 0},
};

/* cli_exec_option: option c with value v (typed: as written); 0 or -1
 * (message printed). */
static int cli_exec_option(struct cli_exec_req *r, int c, const char *v,
			   const char *typed)
{
	switch (c) {
	case 'e':
		if (v[0] == '=' || strchr(v, '=') == NULL)
			return cli_exec_usage(r, "-e %s: expected K=V", v);
		strv_push(&r->env, v);
		return 0;
	case 'w':
		if (v[0] == '\0')
			return cli_exec_usage(r, "%s needs a directory", typed);
		r->workdir = v;
		return 0;
	case CLI_EXEC_OPT_TIMEOUT:
		if (util_parse_duration(v, &r->timeout_ms) != 0 ||
		    r->timeout_ms == 0)
			return cli_exec_usage(
			    r,
			    "--timeout %s: expected a positive "
			    "duration such as 30s, 500ms, 2m",
			    v);
		r->timeout = v;
		return 0;
	case 'i':
		r->interactive = 1;
		return 0;
	case 't':
		r->tty = 1;
		return 0;
	}
	return cli_exec_usage(r, "unknown option %s", typed);
}

/* cli_exec_missing: the message for option typed without its value. */
static int cli_exec_missing(struct cli_exec_req *r, const char *typed)
{
	const char *what = "a value";

	if (strcmp(typed, "-e") == 0 || strncmp(typed, "--e", 3) == 0)
		what = "K=V";
	else if (strcmp(typed, "-w") == 0 || strncmp(typed, "--w", 3) == 0)
		what = "a directory";
	else if (strncmp(typed, "--t", 3) == 0)
		what = "a duration";
	return cli_exec_usage(r, "%s needs %s", typed, what);
}

/* cli_exec_parse: NAME, options and the command; 0 or -1. Options come
 * before the command; "--" or the first word after NAME starts it. */
static int cli_exec_parse(struct cli_exec_req *r, int argc, char **argv,
			  int shell)
{
	const char *typed = NULL, *value = NULL;
	int c;

	optind = 0;
	for (;;) {
		/* "+": stop at the first word that is no option (NAME, then
		 * the command) */
		c = cli_getopt(argc, argv, shell ? "+:e:w:" : "+:e:w:it",
			       shell ? cli_exec_shell_opts : cli_exec_opts,
			       &typed);
		if (c == ':')
			return cli_exec_missing(r, typed);
		if (c != -1) {
			value = optarg;
			if (c != '?') /* the word that holds the option */
				typed = optarg != NULL && optind >= 2 &&
						optarg == argv[optind - 1]
					    ? argv[optind - 2]
					    : argv[optind - 1];
			if (cli_exec_option(r, c, optarg, typed) != 0)
				return -1;
			continue;
		}
		if (optind >= argc || r->name != NULL ||
		    (strcmp(argv[optind - 1], "--") == 0 &&
		     argv[optind - 1] != value))
			break; /* the end, the command, or "--" */
		r->name = argv[optind++];
	}
	if (r->name == NULL)
		return cli_exec_usage(r, "which bottle?");
	if (shell) {
		if (optind < argc)
			return cli_exec_usage(r, "unexpected %s", argv[optind]);
		return 0;
	}
	if (optind >= argc)
		return cli_exec_usage(r, "no command given");
	r->cmd = (const char *const *)argv + optind;
	return 0;
}

/* ---- the VM must be running ------------------------------------------- */

struct cli_exec_status {
	int done;
	int ok;
	char *state; /* owned, or NULL */
	enum smolvm_error error;
	char *message; /* owned: smolvm's first stderr line, or NULL */
};

static void cli_exec_on_status(struct proc *p, const struct proc_result *r,
			       void *data)
{
	struct cli_exec_status *s = data;
	struct smolvm_machine m;
	char *cause = NULL;
	const char *err = r->err.data ? r->err.data : "";

	(void)p;
	s->done = 1;
	if (r->exited && r->exit_status == 0 && r->out.data != NULL &&
	    smolvm_parse_status(r->out.data, r->out.len, &m, &cause) == 0) {
		s->ok = 1;
		s->state = xstrdup(m.state);
		smolvm_machine_release(&m);
		return;
	}
	free(cause);
	s->error = smolvm_classify(err);
	if (err[0] != '\0')
		s->message = xstrndup(err, strcspn(err, "\r\n"));
	else if (r->spawn_error != 0)
		s->message = xasprintf("smolvm could not be run: %s",
				       uv_strerror(r->spawn_error));
}

/* cli_exec_running: 1 when bottle-NAME runs, else prints why (0). The
 * refresh already read `machine ls`; anything but "running" there is
 * confirmed with `machine status`. */
static int cli_exec_running(struct cli_target *t)
{
	struct cli_exec_status s;
	struct proc_opts o;
	struct strv a;

	if (util_streq(t->vm_state, "running"))
		return 1;
	memset(&s, 0, sizeof s);
	a = smolvm_argv_status(&t->cli, t->name);
	memset(&o, 0, sizeof o);
	o.argv = (const char *const *)a.v;
	o.env = (const char *const *)t->env.v;
	o.capture = 1;
	o.timeout_ms = CLI_EXEC_STATUS_TIMEOUT_MS;
	o.on_exit = cli_exec_on_status;
	o.data = &s;
	proc_spawn(&t->c.loop, &o);
	while (!s.done && uv_run(&t->c.loop, UV_RUN_ONCE) != 0)
		;
	strv_release(&a);
	if (s.ok && strcmp(s.state, "running") == 0) {
		free(s.state);
		return 1;
	}
	if (s.ok)
		fprintf(stderr,
			"bottle %s is not running (state: %s); start it with: "
			"bottle up %s\n",
			t->name, s.state, t->name);
	else if (s.error == SMOLVM_ERR_NOT_FOUND)
		fprintf(stderr,
			"bottle %s is not running (it has no VM); start it "
			"with: bottle up %s\n",
			t->name, t->name);
	else
		fprintf(stderr, "bottle: %s: cannot read the VM's state: %s\n",
			t->name, s.message ? s.message : "smolvm failed");
	free(s.state);
	free(s.message);
	return 0;
}

/* ---- forwarding stderr ------------------------------------------------- */

/* cli_exec_write_all: all of buf to fd, waiting out EAGAIN. */
static void cli_exec_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = {fd, POLLOUT, 0};
			poll(&p, 1, -1);
			continue;
		}
		if (n <= 0)
			return; /* stderr is gone: nothing to tell anyone */
		buf += n;
		len -= (size_t)n;
	}
}

/* cli_exec_scan: watch for stderr starting with "Error: ". smolvm prints
 * its own failure before any output of the guest (which it streams
 * through the same stderr), so only the first line is looked at: a
 * guest's "Error: ..." after other output stays the guest's. */
static void cli_exec_scan(struct cli_exec_run *x, const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = buf[i];
		if (x->err_match < 0 && !x->in_err_line)
			return; /* past the first line: nothing to watch */
		if (x->in_err_line) {
			if (c == '\n' || x->err_first.len >= 512)
				x->in_err_line = 0;
			else
				buf_addc(&x->err_first, c);
		}
		if (c == '\n') {
			x->err_match = -1; /* only the first line counts */
			continue;
		}
		if (x->err_match < 0 || x->err_match >= CLI_EXEC_ERR_MARK_LEN)
			continue;
		if (c != CLI_EXEC_ERR_MARK[x->err_match]) {
			x->err_match = -1;
			continue;
		}
		if (++x->err_match == CLI_EXEC_ERR_MARK_LEN && !x->own_error) {
			x->own_error = 1;
			x->in_err_line = 1;
			buf_adds(&x->err_first, CLI_EXEC_ERR_MARK);
		}
	}
}

static void cli_exec_close_all(struct cli_exec_run *x);

static void cli_exec_maybe_done(struct cli_exec_run *x)
{
	if (x->exited && x->err_eof)
		cli_exec_close_all(x);
}

static void cli_exec_err_end(struct cli_exec_run *x)
{
	if (x->err_eof)
		return;
	x->err_eof = 1;
	uv_read_stop((uv_stream_t *)&x->err);
	uv_close((uv_handle_t *)&x->err, NULL);
}

static void cli_exec_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct cli_exec_run *x = h->data;

	(void)suggested;
	*b = uv_buf_init(x->rbuf, sizeof x->rbuf);
}

static void cli_exec_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct cli_exec_run *x = s->data;

	if (n == 0)
		return;
	if (n < 0) {
		cli_exec_err_end(x);
		cli_exec_maybe_done(x);
		return;
	}
	cli_exec_write_all(STDERR_FILENO, b->base, (size_t)n);
	cli_exec_scan(x, b->base, (size_t)n);
}

/* A guest process left in the background may hold smolvm's stderr open
 * after smolvm exited: stop waiting for it after a grace. */
static void cli_exec_on_grace(uv_timer_t *t)
{
	struct cli_exec_run *x = t->data;

	cli_exec_err_end(x);
	cli_exec_maybe_done(x);
}

static void cli_exec_on_exit(uv_process_t *p, int64_t status, int sig)
{
	struct cli_exec_run *x = p->data;

	x->exited = 1;
	x->status = status;
	x->term_signal = sig;
	if (!x->err_eof)
		uv_timer_start(&x->grace, cli_exec_on_grace,
			       CLI_EXEC_PIPE_GRACE_MS, 0);
	cli_exec_maybe_done(x);
}

/* ---- signals ------------------------------------------------------------ */

/* cli_exec_on_signal: pass termination signals on to smolvm. A SIGINT or
 * SIGQUIT typed at the terminal already reached smolvm (same foreground
 * process group): it is not sent twice. bottle itself waits for smolvm
 * to end. */
static void cli_exec_on_signal(uv_signal_t *h, int signum)
{
	struct cli_exec_run *x = h->data;

	if (x->exited)
		return;
	if ((signum == SIGINT || signum == SIGQUIT) && isatty(STDIN_FILENO) &&
	    tcgetpgrp(STDIN_FILENO) == getpgrp())
		return;
	uv_process_kill(&x->proc, signum);
}

static void cli_exec_signals_start(struct cli_exec_run *x, uv_loop_t *loop)
{
	static const int sigs[4] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	size_t i;

	for (i = 0; i < UTIL_NELEM(sigs); i++) {
		uv_signal_init(loop, &x->sig[i]);
		x->sig[i].data = x;
		uv_signal_start(&x->sig[i], cli_exec_on_signal, sigs[i]);
	}
}

static void cli_exec_close_all(struct cli_exec_run *x)
{
	size_t i;

	for (i = 0; i < UTIL_NELEM(x->sig); i++)
		if (!uv_is_closing((uv_handle_t *)&x->sig[i]))
			uv_close((uv_handle_t *)&x->sig[i], NULL);
	if (!uv_is_closing((uv_handle_t *)&x->grace))
		uv_close((uv_handle_t *)&x->grace, NULL);
	if (!uv_is_closing((uv_handle_t *)&x->proc))
		uv_close((uv_handle_t *)&x->proc, NULL);
}

/* ---- running smolvm machine exec --------------------------------------- */

/* cli_exec_spawn: start smolvm; 0, or a negative UV_E* (handles closed
 * by the caller's loop run either way). */
static int cli_exec_spawn(struct cli_exec_run *x, uv_loop_t *loop,
			  const struct strv *argv)
{
	const struct cli_exec_req *r = x->req;
	uv_process_options_t uo;
	uv_stdio_container_t stdio[3];
	int rc;

	memset(&uo, 0, sizeof uo);
	memset(stdio, 0, sizeof stdio);
	x->piped = !r->tty;
	if (r->interactive || r->tty) {
		stdio[0].flags = UV_INHERIT_FD;
		stdio[0].data.fd = STDIN_FILENO;
	} else {
		stdio[0].flags = UV_IGNORE;
	}
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = STDOUT_FILENO;
	if (x->piped) {
		uv_pipe_init(loop, &x->err, 0);
		x->err.data = x;
		stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
		stdio[2].data.stream = (uv_stream_t *)&x->err;
	} else {
		x->err_eof = 1;
		stdio[2].flags = UV_INHERIT_FD;
		stdio[2].data.fd = STDERR_FILENO;
	}
	uo.file = argv->v[0];
	uo.args = argv->v;
	uo.env = x->target->env.v;
	uo.exit_cb = cli_exec_on_exit;
	uo.stdio_count = 3;
	uo.stdio = stdio;
	uv_timer_init(loop, &x->grace);
	x->grace.data = x;
	cli_exec_signals_start(x, loop);
	x->t0 = util_mono_ms();
	rc = uv_spawn(loop, &x->proc, &uo);
	x->proc.data = x;
	if (rc != 0) {
		x->exited = 1;
		cli_exec_err_end(x);
		cli_exec_close_all(x);
		return rc;
	}
	if (x->piped && uv_read_start((uv_stream_t *)&x->err, cli_exec_on_alloc,
				      cli_exec_on_read) != 0)
		cli_exec_err_end(x);
	return 0;
}

/* cli_exec_outcome: bottle's exit status for what smolvm reported, with
 * a line on stderr when it needs explaining. *what: for events.log. */
static int cli_exec_outcome(const struct cli_exec_run *x, uint64_t ms,
			    char **what)
{
	const struct cli_target *t = x->target;
	const struct cli_exec_req *r = x->req;
	int major = 0, minor = 0, patch = 0;
	int st = (int)x->status;

	if (x->term_signal != 0) {
		if (x->term_signal != SIGINT && x->term_signal != SIGPIPE)
			fprintf(stderr,
				"bottle: %s: smolvm was killed by signal "
				"%d\n",
				t->name, x->term_signal);
		*what = xasprintf("smolvm killed by signal %d", x->term_signal);
		return 128 + x->term_signal;
	}
	if (st == 1 && x->own_error) {
		fprintf(stderr,
			"bottle: %s: smolvm could not run the command "
			"(exit %d)\n",
			t->name, CLI_EXEC_CANNOT_RUN);
		*what = xasprintf("smolvm failed: %s", x->err_first.data);
		return CLI_EXEC_CANNOT_RUN;
	}
	if (st == CLI_EXEC_TIMEOUT && r->timeout_ms != 0 &&
	    ms >= r->timeout_ms) {
		fprintf(stderr, "bottle: %s: the command timed out after %s\n",
			t->name, r->timeout);
		*what = xasprintf("timed out after %s (exit 124)", r->timeout);
		return CLI_EXEC_TIMEOUT;
	}
	/* a signalled guest is 255 on 0.8.0, and for image machines on
	 * 1.4.1-1.6.13 too; 128+N elsewhere (smolvm-1.9.md §4.4) */
	if (st == CLI_EXEC_SIGNALLED &&
	    (t->smolvm_version == NULL ||
	     smolvm_parse_version(t->smolvm_version, &major, &minor, &patch) !=
		 0 ||
	     !smolvm_has(&t->cli.v, SMOLVM_F_SIGNAL_128) ||
	     (major == 1 && minor >= 4 && minor <= 6 &&
	      (minor > 4 || patch >= 1)))) {
		fprintf(stderr,
			"bottle: %s: the command was killed by a signal or "
			"exited 255; smolvm %d.%d.%d cannot tell which\n",
			t->name, major, minor, patch);
		*what = xstrdup("exit 255 (killed by a signal, or exit 255)");
		return CLI_EXEC_SIGNALLED;
	}
	*what = xasprintf("exit %d", st);
	return st;
}

/* cli_exec_terminal: save (save=1) or restore the terminal's modes. */
static void cli_exec_terminal(int save, struct termios *tio, int *saved)
{
	if (save) {
		*saved =
		    isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, tio) == 0;
		return;
	}
	if (*saved)
		tcsetattr(STDIN_FILENO, TCSADRAIN, tio);
}

/* cli_exec_run: run r in target's VM; returns bottle's exit status. */
static int cli_exec_run(struct cli_target *t, const struct cli_exec_req *r)
{
	struct smolvm_exec_opts so;
	struct cli_exec_run *x = xcalloc(1, sizeof *x);
	struct strv argv;
	struct termios tio;
	char *display, *what = NULL;
	int saved = 0, rc;
	uint64_t ms;

	memset(&so, 0, sizeof so);
	so.env = r->env.n > 0 ? &r->env : NULL;
	so.workdir = r->workdir;
	so.timeout_s = (unsigned)((r->timeout_ms + 999) / 1000);
	so.interactive = r->interactive;
	so.tty = r->tty;
	so.stream = !r->interactive && !r->tty;
	argv = smolvm_argv_exec(&t->cli, t->name, &so, r->cmd);
	x->target = t;
	x->req = r;
	if (r->tty)
		cli_exec_terminal(1, &tio, &saved);
	rc = cli_exec_spawn(x, &t->c.loop, &argv);
	if (rc != 0) {
		uv_run(&t->c.loop, UV_RUN_DEFAULT);
		fprintf(stderr, "bottle: %s: %s could not be run: %s\n",
			t->name, argv.v[0], uv_strerror(rc));
		what = xasprintf("not started: %s", uv_strerror(rc));
		rc = CLI_EXEC_CANNOT_RUN;
	} else {
		uv_run(&t->c.loop, UV_RUN_DEFAULT);
		ms = util_mono_ms() - x->t0;
		cli_exec_terminal(0, &tio, &saved);
		rc = cli_exec_outcome(x, ms, &what);
	}
	ms = util_mono_ms() - x->t0;
	display = util_argv_display(r->cmd);
	state_event(t->c.state_dir, t->name,
		    "%s: %s%s%s \xe2\x86\x92 %s in %llu ms", r->verb,
		    r->tty ? "(tty) " : "", display,
		    r->interactive && !r->tty ? " (stdin)" : "", what,
		    (unsigned long long)ms);
	free(display);
	free(what);
	strv_release(&argv);
	buf_release(&x->err_first);
	free(x);
	return rc;
}

/* cli_exec_go: everything after parsing. */
static int cli_exec_go(const struct cli_global *g, struct cli_exec_req *r)
{
	struct cli_target t;
	int rc;

	if (g->read_only) {
		fprintf(stderr, "bottle: read-only mode: %s refused\n",
			r->verb);
		return CLI_EXEC_CANNOT_RUN;
	}
	rc = cli_target_open(&t, g, r->name, CLI_EXEC_CANNOT_RUN,
			     CLI_EXEC_CANNOT_RUN);
	if (rc != 0)
		return rc;
	if (t.smolvm_error != NULL) {
		fprintf(stderr, "bottle: %s\n", t.smolvm_error);
		rc = CLI_EXEC_CANNOT_RUN;
	} else if (!cli_exec_running(&t)) {
		rc = CLI_EXEC_CANNOT_RUN;
	} else {
		rc = cli_exec_run(&t, r);
	}
	cli_target_close(&t);
	return rc;
}

int cli_exec_main(const struct cli_global *g, int argc, char **argv)
{
	struct cli_exec_req r;
	int rc;

	memset(&r, 0, sizeof r);
	r.verb = "exec";
	if (cli_exec_parse(&r, argc, argv, 0) != 0)
		rc = CLI_EXEC_CANNOT_RUN;
	else
		rc = cli_exec_go(g, &r);
	strv_release(&r.env);
	return rc;
}

int cli_exec_shell(const struct cli_global *g, int argc, char **argv)
{
	struct cli_exec_req r;
	const char *shell = getenv("BOTTLE_SHELL");
	const char *cmd[2];
	int rc;

	memset(&r, 0, sizeof r);
	r.verb = "shell";
	if (cli_exec_parse(&r, argc, argv, 1) != 0) {
		strv_release(&r.env);
		return CLI_EXEC_CANNOT_RUN;
	}
	cmd[0] = shell != NULL && shell[0] != '\0' ? shell : "/bin/sh";
	cmd[1] = NULL;
	r.cmd = cmd;
	r.interactive = 1;
	r.tty = 1;
	rc = cli_exec_go(g, &r);
	strv_release(&r.env);
	return rc;
}
