/* bottle.c: the model, its status, running commands, the allowlist read
 * back, the core's lifetime. See bottle.h; the jobs live in bottle-*.c
 * (bottle-int.h says which). */
#include "bottle-int.h"
#include "wall.h"

/* ---- small helpers ---------------------------------------------------- */

void bottle_emit(struct bottle_core *core, struct bottle *b,
		 enum bottle_event ev, const char *msg)
{
	if (core->listener != NULL && !core->closing)
		core->listener(core, b, ev, msg, core->ldata);
}

void bottle_set_str(char **field, const char *value)
{
	if (util_streq(*field, value))
		return;
	free(*field);
	*field = value != NULL ? xstrdup(value) : NULL;
}

/* A written file's fsync, on the thread pool. */
struct bottle_sync_job {
	uv_work_t work;
	struct bottle_core *core;
	char *path; /* owned */
};

static void bottle_sync_work(uv_work_t *w)
{
	struct bottle_sync_job *j = w->data;

	/* best effort: the file is in place already; a crash before this
	 * ran can cost its content, and the next up writes it again */
	(void)state_sync_file(j->path);
}

static void bottle_sync_after(uv_work_t *w, int status)
{
	struct bottle_sync_job *j = w->data;
	struct bottle_core *core = j->core;

	(void)status;
	free(j->path);
	free(j);
	bottle_core_unref(core);
}

/* bottle_write_file: written and renamed into place on the loop (the page
 * cache: no wait), its fsync on the thread pool, so the loop never waits
 * on the disk. Smolfile and probes.json are rewritten by every up. */
int bottle_write_file(struct bottle *b, const char *file, const char *text,
		      char **cause)
{
	struct bottle_core *core = b->priv->core;
	struct bottle_sync_job *j;
	char *dir;

	if (state_write_bottle_file_nosync(core->state_dir, b->name, file, text,
					   strlen(text), cause) != 0)
		return -1;
	j = xcalloc(1, sizeof *j);
	j->core = core;
	dir = state_bottle_dir(core->state_dir, b->name);
	j->path = xasprintf("%s/%s", dir, file);
	free(dir);
	j->work.data = j;
	core->refs++;
	if (uv_queue_work(core->loop, &j->work, bottle_sync_work,
			  bottle_sync_after) != 0) {
		free(j->path);
		free(j);
		core->refs--;
	}
	return 0;
}

/* ---- state.json updates off the loop ---------------------------------- */

static void bottle_state_kick(struct bottle_core *core);

static void bottle_state_work(uv_work_t *w)
{
	struct bottle_state_job *j = w->data;
	struct bottle_core *core = j->core;

	/* core->state_dir and state_wait_ms never change after
	 * bottle_core_new; state_cancel is atomic */
	j->rc = state_update_wait(core->state_dir, j->fn, j->ctx,
				  core->state_wait_ms, &core->state_cancel,
				  &j->cause);
}

static void bottle_state_after(uv_work_t *w, int status)
{
	struct bottle_state_job *j = w->data;
	struct bottle_core *core = j->core;

	core->state_head = j->next;
	if (core->state_head == NULL)
		core->state_tail = NULL;
	if (!core->closing)
		uv_timer_stop(&core->state_timer);
	if (status != 0 && j->rc == 0) {
		j->rc = -1;
		j->cause = xasprintf("state: update cancelled: %s",
				     uv_strerror(status));
	}
	if (core->state_waiting != NULL) {
		free(core->state_waiting);
		core->state_waiting = NULL;
		bottle_emit(core, j->b, BOTTLE_EV_CHANGED, NULL);
	}
	if (j->done != NULL && !core->closing)
		j->done(j->b, j->rc, j->cause, j->ctx);
	if (j->ctx_free != NULL)
		j->ctx_free(j->ctx);
	free(j->cause);
	free(j);
	bottle_state_kick(core);
	bottle_core_unref(core);
}

/* The head of the queue has waited BOTTLE_STATE_NOTE_MS: say who holds
 * the lock (again each second, in case that changes). */
static void bottle_state_on_timer(uv_timer_t *t)
{
	struct bottle_core *core = t->data;
	struct bottle_state_job *j = core->state_head;
	char *who, *msg;

	if (j == NULL || core->closing)
		return;
	who = state_lock_holder(core->state_dir);
	msg =
	    xasprintf("waiting for the state lock (held by %s): %s/state.lock",
		      who != NULL ? who : "another process", core->state_dir);
	free(who);
	if (!util_streq(msg, core->state_waiting)) {
		free(core->state_waiting);
		core->state_waiting = msg;
		if (j->b != NULL)
			bottle_log(j->b, "%s", msg);
		bottle_emit(core, j->b, BOTTLE_EV_MESSAGE, msg);
	} else {
		free(msg);
	}
	uv_timer_start(&core->state_timer, bottle_state_on_timer, 1000, 0);
}

static void bottle_state_kick(struct bottle_core *core)
{
	struct bottle_state_job *j = core->state_head;

	if (j == NULL || j->running)
		return;
	j->running = 1;
	j->work.data = j;
	if (uv_queue_work(core->loop, &j->work, bottle_state_work,
			  bottle_state_after) != 0) {
		/* cannot happen with valid arguments; run it as an error */
		j->rc = -1;
		j->cause = xstrdup("state: could not queue the update");
		bottle_state_after(&j->work, 0);
		return;
	}
	if (!core->closing)
		uv_timer_start(&core->state_timer, bottle_state_on_timer,
			       BOTTLE_STATE_NOTE_MS, 0);
}

void bottle_state_update(struct bottle *b, state_update_fn fn, void *ctx,
			 void (*ctx_free)(void *ctx), bottle_state_done_fn done)
{
	struct bottle_core *core = b->priv->core;
	struct bottle_state_job *j = xcalloc(1, sizeof *j);

	j->core = core;
	j->b = b;
	j->fn = fn;
	j->ctx = ctx;
	j->ctx_free = ctx_free;
	j->done = done;
	core->refs++; /* dropped in bottle_state_after */
	if (core->state_tail != NULL)
		core->state_tail->next = j;
	else
		core->state_head = j;
	core->state_tail = j;
	bottle_state_kick(core);
}

const char *bottle_core_state_waiting(const struct bottle_core *core)
{
	return core->state_waiting;
}

void bottle_waiters_add(struct bottle_waiter **list, bottle_done_cb fn,
			void *data)
{
	struct bottle_waiter *w, **tail;

	if (fn == NULL)
		return;
	w = xcalloc(1, sizeof *w);
	w->fn = fn;
	w->data = data;
	for (tail = list; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = w;
}

void bottle_waiters_fire(struct bottle_core *core, struct bottle_waiter **list,
			 struct bottle *b, const char *error)
{
	struct bottle_waiter *w = *list, *next;

	*list = NULL;
	for (; w != NULL; w = next) {
		next = w->next;
		w->fn(core, b, error, w->data);
		free(w);
	}
}

/* bottle_log: one line in b's events ring and events.log. */
void bottle_log(struct bottle *b, const char *fmt, ...)
{
	struct bottle_core *core = b->priv->core;
	struct buf clean = BUF_INIT;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	state_event(core->state_dir, b->name, "%s", msg);
	if (b->priv->tails[TAIL_EVENTS] == NULL) {
		/* while the events.log tail runs, the line comes from it */
		sanitize_line(msg, strlen(msg), &clean, NULL);
		logbuf_push(b->log_events, util_wall_ms(), 0,
			    clean.data ? clean.data : "", clean.len);
	}
	buf_release(&clean);
	free(msg);
	bottle_emit(core, b, BOTTLE_EV_LOG, NULL);
}

const char *bottle_first_line(const struct buf *err, char *out, size_t outsz)
{
	const char *p = err->data != NULL ? err->data : "";
	const char *line = p, *nl;

	/* the first line that says something, preferring smolvm's "Error:" */
	if ((nl = strstr(p, "Error: ")) != NULL && (nl == p || nl[-1] == '\n'))
		line = nl;
	while (*line == '\n' || *line == ' ')
		line++;
	nl = strchr(line, '\n');
	{
		/* docker's and smolvm's stderr carries guest text (an exec's
		 * stderr, a console line): made safe here, where it enters
		 * every message, log line and JSON field built from it */
		struct buf clean = BUF_INIT;
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		sanitize_line(line, n < 4096 ? n : 4096, &clean, NULL);
		snprintf(out, outsz, "%s", clean.data ? clean.data : "");
		buf_release(&clean);
	}
	return out;
}

/* bottle_timeout: a command's timeout; in test builds only,
 * BOTTLE_TEST_DOCKER_TIMEOUT_MS and BOTTLE_TEST_SMOLVM_TIMEOUT_MS override
 * every docker or smolvm command's, so that hang tests run in seconds. */
uint64_t bottle_timeout(uint64_t ms, int smolvm)
{
#ifdef BOTTLE_TEST_HOOKS
	const char *v = getenv(smolvm ? "BOTTLE_TEST_SMOLVM_TIMEOUT_MS"
				      : "BOTTLE_TEST_DOCKER_TIMEOUT_MS");

	if (v != NULL && *v >= '1' && *v <= '9')
		return strtoull(v, NULL, 10);
#else
	(void)smolvm;
#endif
	return ms;
}

/* bottle_state_wait_ms: how long a CLI verb waits for the state lock;
 * in test builds only, BOTTLE_TEST_STATE_WAIT_MS overrides it. */
static unsigned bottle_state_wait_ms(void)
{
#ifdef BOTTLE_TEST_HOOKS
	const char *v = getenv("BOTTLE_TEST_STATE_WAIT_MS");

	if (v != NULL && *v >= '1' && *v <= '9')
		return (unsigned)strtoul(v, NULL, 10);
#endif
	return BOTTLE_STATE_WAIT_MS;
}

/* ---- running commands for a bottle ------------------------------------ */

void bottle_live_add(struct bottle_core *core, struct proc *p)
{
	core->live =
	    xreallocarray(core->live, core->n_live + 1, sizeof *core->live);
	core->live[core->n_live++] = p;
}

void bottle_live_remove(struct bottle_core *core, struct proc *p)
{
	size_t i;

	for (i = 0; i < core->n_live; i++) {
		if (core->live[i] == p) {
			core->live[i] = core->live[--core->n_live];
			return;
		}
	}
}

/* The timeout of the command whose completion is being handled (set around
 * the next() callback), so that messages name the limit, not the time. */
static uint64_t bottle_cur_timeout_ms;

struct bottle_run {
	struct bottle *b; /* NULL for core-level commands */
	struct bottle_core *core;
	bottle_next_fn next;
	void (*core_next)(struct bottle_core *core, const struct proc_result *r,
			  void *data);
	void *data;
	struct strv argv;
	int quiet; /* not shown in the commands log (periodic refresh) */
	uint64_t timeout_ms;
};

void bottle_record(struct bottle *b, const struct strv *argv,
		   const struct proc_result *r)
{
	/* shown with every -e/--env value hidden (docker.h) */
	struct strv shown = docker_argv_redact((const char *const *)argv->v);
	char *desc = proc_describe((const char *const *)shown.v, r);
	char first[512] = "";
	struct buf clean = BUF_INIT;

	if (r->err.len > 0 && !(r->exited && r->exit_status == 0))
		bottle_first_line(&r->err, first, sizeof first);
	free(b->last_command);
	b->last_command = util_argv_display((const char *const *)shown.v);
	strv_release(&shown);
	b->last_command_status = r->exited ? r->exit_status : -1;
	state_event(b->priv->core->state_dir, b->name, "command: %s%s%s", desc,
		    first[0] ? ": " : "", first);
	sanitize_line(desc, strlen(desc), &clean, NULL);
	if (first[0] != '\0') {
		buf_adds(&clean, ": ");
		sanitize_line(first, strlen(first), &clean, NULL);
	}
	logbuf_push(b->log_commands, util_wall_ms(),
		    (r->exited && r->exit_status == 0) ? 0 : LOGBUF_HIGHLIGHT,
		    clean.data ? clean.data : "", clean.len);
	buf_release(&clean);
	free(desc);
	bottle_emit(b->priv->core, b, BOTTLE_EV_LOG, NULL);
}

static void bottle_on_exit(struct proc *p, const struct proc_result *r,
			   void *data)
{
	struct bottle_run *run = data;
	struct bottle_core *core = run->core;

	bottle_live_remove(core, p);
	bottle_cur_timeout_ms = run->timeout_ms;
	if (run->b != NULL) {
		if (run->b->priv->proc == p)
			run->b->priv->proc = NULL;
		if (!core->closing)
			bottle_record(run->b, &run->argv, r);
		if (run->next != NULL && !core->closing)
			run->next(run->b, r);
	} else if (run->core_next != NULL && !core->closing) {
		run->core_next(core, r, run->data);
	}
	bottle_cur_timeout_ms = 0;
	strv_release(&run->argv);
	free(run);
	bottle_core_unref(core);
}

static struct proc *bottle_spawn(struct bottle_core *core,
				 struct bottle_run *run, uint64_t timeout_ms)
{
	struct proc_opts o;
	struct proc *p;

	memset(&o, 0, sizeof o);
	o.argv = (const char *const *)run->argv.v;
	/* smolvm never sees the caller's environment (smolvm-1.9.md §3.7) */
	if (core->env.smolvm_path != NULL &&
	    strcmp(run->argv.v[0], core->env.smolvm_path) == 0)
		o.env = (const char *const *)core->env.smolvm_env.v;
	o.timeout_ms = timeout_ms;
	run->timeout_ms = timeout_ms;
	o.capture = 1;
	o.max_capture = 4 * 1024 * 1024;
	o.on_exit = bottle_on_exit;
	o.data = run;
	o.new_pgrp = 1; /* a timeout kills the command's children too */

	core->refs++;
	p = proc_spawn(core->loop, &o);
	bottle_live_add(core, p);
	return p;
}

/* bottle_run: run argv (consumed) for b; next(b, r) when it finished. */
void bottle_run(struct bottle *b, struct strv *argv, uint64_t timeout_ms,
		bottle_next_fn next)
{
	struct bottle_run *run = xcalloc(1, sizeof *run);

	run->b = b;
	run->core = b->priv->core;
	run->next = next;
	run->argv = *argv;
	argv->v = NULL;
	argv->n = 0;
	b->priv->proc = bottle_spawn(run->core, run, timeout_ms);
}

/* bottle_core_run: a command that belongs to no bottle (refresh). */
void bottle_core_run(struct bottle_core *core, struct strv *argv,
		     uint64_t timeout_ms,
		     void (*next)(struct bottle_core *,
				  const struct proc_result *, void *),
		     void *data)
{
	struct bottle_run *run = xcalloc(1, sizeof *run);

	run->core = core;
	run->core_next = next;
	run->data = data;
	run->argv = *argv;
	argv->v = NULL;
	argv->n = 0;
	bottle_spawn(core, run, timeout_ms);
}

int bottle_ok(const struct proc_result *r)
{
	return r->exited && r->exit_status == 0 && r->spawn_error == 0;
}

/* bottle_cmd_error: "docker network create failed: <first stderr line>". */
char *bottle_cmd_error(const char *what, const struct proc_result *r)
{
	char first[512];

	if (r->spawn_error != 0)
		return xasprintf("%s: could not run the command: %s", what,
				 uv_strerror(r->spawn_error));
	if (r->timed_out && bottle_cur_timeout_ms != 0)
		return xasprintf("%s: did not finish within %llu ms; killed "
				 "(SIGTERM, then SIGKILL)",
				 what,
				 (unsigned long long)bottle_cur_timeout_ms);
	if (r->timed_out)
		return xasprintf("%s: timed out after %llu ms and was killed",
				 what, (unsigned long long)r->duration_ms);
	if (!r->exited)
		return xasprintf("%s: killed by signal %d", what,
				 r->term_signal);
	bottle_first_line(&r->err, first, sizeof first);
	if (first[0] == '\0')
		bottle_first_line(&r->out, first, sizeof first);
	return xasprintf("%s: exit %d%s%s", what, r->exit_status,
			 first[0] ? ": " : "", first);
}

const char *bottle_err_text(const struct proc_result *r)
{
	return r->err.data != NULL ? r->err.data : "";
}

/* ---- model ------------------------------------------------------------ */

struct bottle *bottle_new(struct bottle_core *core, const char *name,
			  const struct config_bottle *cfg)
{
	struct bottle *b = xcalloc(1, sizeof *b);
	size_t lines = cfg != NULL ? (size_t)cfg->log_lines : 10000;

	b->name = xstrdup(name);
	b->cfg = cfg;
	b->priv = xcalloc(1, sizeof *b->priv);
	b->priv->core = core;
	b->priv->configured = cfg != NULL;
	b->health_ok = -1;
	b->last_command_status = -1;
	b->log_events = logbuf_new(lines, 0);
	b->log_commands = logbuf_new(BOTTLE_COMMANDS_LINES, 0);
	b->log_exec = logbuf_new(lines, 0);
	b->log_bundle = logbuf_new(lines, 0);
	b->log_vm = logbuf_new(lines, 0);
	b->log_egress = logbuf_new(lines, 0);
	uv_timer_init(core->loop, &b->priv->wake);
	uv_timer_init(core->loop, &b->priv->health_timer);
	uv_timer_init(core->loop, &b->priv->probe_timer);
	b->priv->wake.data = b;
	b->priv->health_timer.data = b;
	b->priv->probe_timer.data = b;
	core->refs += 3; /* released by bottle_on_bottle_timer_close */
	core->v = xreallocarray(core->v, core->n + 1, sizeof *core->v);
	core->v[core->n++] = b;
	return b;
}

void bottle_reset_probes(struct bottle *b)
{
	size_t i;

	for (i = 0; i < PROBE_COUNT; i++)
		probe_result_release(&b->probes[i]);
	b->probes_at_ms = 0;
	b->probes_vm_pid = 0;
}

void bottle_reset_health(struct bottle *b)
{
	size_t i;

	for (i = 0; i < b->n_health; i++)
		health_service_result_release(&b->health[i]);
	free(b->health);
	b->health = NULL;
	b->n_health = 0;
	b->health_ok = -1;
	b->kill_switch = 0;
	b->health_at_ms = 0;
}

static void bottle_free(struct bottle *b)
{
	free(b->name);
	free(b->subnet);
	free(b->bundle_ip);
	free(b->bundle_state);
	free(b->vm_state);
	free(b->vm_foreign);
	free(b->drift);
	free(b->error);
	free(b->busy_other);
	free(b->last_command);
	bottle_reset_probes(b);
	bottle_reset_health(b);
	logbuf_free(b->log_events);
	logbuf_free(b->log_commands);
	logbuf_free(b->log_exec);
	logbuf_free(b->log_bundle);
	logbuf_free(b->log_vm);
	logbuf_free(b->log_egress);
	state_bottle_unlock(b->priv->lock);
	free(b->priv->fail);
	free(b->priv->image_archive);
	free(b->priv->taken);
	free(b->priv->probe_summary);
	free(b->priv->allow);
	free(b->priv->allow_key);
	free(b->priv);
	free(b);
}

struct bottle *bottle_core_find(struct bottle_core *core, const char *name)
{
	size_t i;

	for (i = 0; i < core->n; i++)
		if (strcmp(core->v[i]->name, name) == 0)
			return core->v[i];
	return NULL;
}

size_t bottle_core_count(const struct bottle_core *core)
{
	return core->n;
}

struct bottle *bottle_core_at(struct bottle_core *core, size_t i)
{
	return i < core->n ? core->v[i] : NULL;
}

const struct bottle_env *bottle_core_env(const struct bottle_core *core)
{
	return &core->env;
}

uv_loop_t *bottle_core_loop(struct bottle_core *core)
{
	return core->loop;
}

const char *bottle_core_state_dir(const struct bottle_core *core)
{
	return core->state_dir;
}

void bottle_machine(const struct bottle *b, char *out, size_t outsz)
{
	snprintf(out, outsz, "bottle-%s", b->name);
}

const struct smolvm_cli *bottle_cli(struct bottle_core *core)
{
	core->env.smolvm.bin =
	    core->env.smolvm_path != NULL ? core->env.smolvm_path : "smolvm";
	return &core->env.smolvm;
}

int bottle_vm_running(const struct bottle *b)
{
	return util_streq(b->vm_state, "running");
}

int bottle_bundle_running(const struct bottle *b)
{
	return util_streq(b->bundle_state, "running");
}

static int bottle_any_fail(const struct bottle *b)
{
	size_t i;

	for (i = 0; i < PROBE_COUNT; i++)
		if (b->probes[i].verdict == PROBE_FAIL)
			return 1;
	return 0;
}

int bottle_all_pass(const struct bottle *b)
{
	size_t i;

	for (i = 0; i < PROBE_COUNT; i++) {
		enum probe_verdict v = b->probes[i].verdict;
		if (v != PROBE_PASS && v != PROBE_WARN && v != PROBE_SKIP)
			return 0;
	}
	return 1;
}

enum bottle_status bottle_status(const struct bottle *b)
{
	int running = bottle_vm_running(b) && bottle_bundle_running(b);

	if (b->op != BOTTLE_OP_NONE || b->busy_other != NULL)
		return BOTTLE_BUSY;
	if (b->priv != NULL && !b->priv->core->parts_known)
		return BOTTLE_UNKNOWN; /* never "stopped" when unsure */
	/* disproven by a probe, or by the host: a socket of the VMM to
	 * anything but B, or packets the second wall had to refuse */
	if (bottle_vm_running(b) &&
	    (bottle_any_fail(b) || b->vmm_stray[0] != '\0' || wall_breach(b)))
		return BOTTLE_UNSAFE;
	if (b->error != NULL)
		return BOTTLE_FAILED;
	if (!b->net_present && b->bundle_state == NULL && b->vm_state == NULL)
		return BOTTLE_STOPPED;
	if (b->drift != NULL || !running)
		return BOTTLE_DRIFT;
	if (b->health_ok == 0 || b->kill_switch)
		return BOTTLE_DEGRADED;
	if (b->probes_at_ms != 0 && bottle_all_pass(b)) {
		uint64_t age = util_wall_ms() - b->probes_at_ms;
		uint64_t limit =
		    3000ull * (b->cfg ? b->cfg->probe_interval_s : 60);
		/* a PASS on the guest's word only is never plainly healthy */
		if (age <= limit && !wall_guest_reported(b))
			return BOTTLE_HEALTHY;
	}
	return BOTTLE_UNKNOWN;
}

const char *bottle_status_name(enum bottle_status s)
{
	static const char *const names[] = {
	    [BOTTLE_STOPPED] = "stopped",   [BOTTLE_BUSY] = "busy",
	    [BOTTLE_UNSAFE] = "unsafe",	    [BOTTLE_FAILED] = "failed",
	    [BOTTLE_DEGRADED] = "degraded", [BOTTLE_UNKNOWN] = "unknown",
	    [BOTTLE_HEALTHY] = "healthy",   [BOTTLE_DRIFT] = "drift",
	};
	return (size_t)s < UTIL_NELEM(names) ? names[s] : "?";
}

const char *bottle_op_name(enum bottle_op op)
{
	switch (op) {
	case BOTTLE_OP_UP:
		return "up";
	case BOTTLE_OP_DOWN:
		return "down";
	case BOTTLE_OP_RM:
		return "rm";
	case BOTTLE_OP_NONE:
		break;
	}
	return "none";
}

/* ---- the allowlist, read back ---------------------------------------- */

static void bottle_allow_set(const struct bottle *b, enum bottle_allow st,
			     char *text)
{
	free(b->priv->allow);
	b->priv->allow = text;
	b->priv->allow_state = st;
}

enum bottle_allow bottle_allowlist(const struct bottle *b, const char **text)
{
	struct bottle_priv *p = b->priv;
	char *dir, *path, *key, *smolfile = NULL, *cause = NULL;
	struct stat st;
	size_t len = 0;

	if (b->bundle_ip == NULL) {
		free(p->allow_key);
		p->allow_key = NULL;
		bottle_allow_set(b, BOTTLE_ALLOW_NONE,
				 xstrdup("- (no allocation)"));
		*text = p->allow;
		return p->allow_state;
	}
	dir = state_bottle_dir(p->core->state_dir, b->name);
	path = xasprintf("%s/Smolfile", dir);
	free(dir);
	if (stat(path, &st) != 0)
		key = xasprintf("%s none", b->bundle_ip);
	else
		key = xasprintf("%s %llu %llu %lld.%09ld", b->bundle_ip,
				(unsigned long long)st.st_ino,
				(unsigned long long)st.st_size,
				(long long)st.st_mtim.tv_sec,
				(long)st.st_mtim.tv_nsec);
	if (util_streq(key, p->allow_key)) {
		free(key);
		free(path);
		*text = p->allow;
		return p->allow_state;
	}
	free(p->allow_key);
	p->allow_key = key;
	if (util_read_file_max(path, UTIL_READ_SMALL_MAX, &smolfile, &len,
			       &cause) != 0)
		bottle_allow_set(b, BOTTLE_ALLOW_NONE,
				 xstrdup("- (no Smolfile yet)"));
	else if (smolfile_check(smolfile, len, b->bundle_ip, NULL, &cause) != 0)
		bottle_allow_set(b, BOTTLE_ALLOW_BAD,
				 xasprintf("UNVERIFIED: %s", cause));
	else
		bottle_allow_set(b, BOTTLE_ALLOW_OK,
				 xasprintf("%s/32", b->bundle_ip));
	free(cause);
	free(smolfile);
	free(path);
	*text = p->allow;
	return p->allow_state;
}

/* ---- drift ------------------------------------------------------------ */

void bottle_update_drift(struct bottle *b)
{
	struct buf d = BUF_INIT;
	int net = b->net_present, bundle = b->bundle_state != NULL;
	int vm = b->vm_state != NULL;

	if (b->op != BOTTLE_OP_NONE)
		return;
	if (!b->priv->configured && (net || bundle || vm))
		buf_adds(&d, "not in the configuration; ");
	if (net || bundle || vm) {
		if (!net)
			buf_adds(&d, "network missing; ");
		if (!bundle)
			buf_adds(&d, "bundle missing; ");
		else if (!bottle_bundle_running(b))
			buf_addf(&d, "bundle %s; ", b->bundle_state);
		if (!vm)
			buf_adds(&d, "VM missing; ");
		else if (!bottle_vm_running(b))
			buf_addf(&d, "VM %s; ", b->vm_state);
	}
	if (d.len >= 2)
		d.data[d.len - 2] = '\0';
	bottle_set_str(&b->drift, d.len > 0 ? d.data : NULL);
	buf_release(&d);
}

int bottle_proxy_port(const struct config_bottle *cfg)
{
	const struct config_service *s =
	    config_service_find(cfg, cfg->bundle.proxy);

	return s != NULL ? s->port : 0;
}

/* ---- core lifetime ---------------------------------------------------- */

int bottle_core_new(uv_loop_t *loop, const struct config *cfg,
		    const char *state_dir, const struct bottle_core_opts *o,
		    struct bottle_core **out, char **cause)
{
	struct bottle_core *core;
	struct state *s = NULL;
	size_t i;

	if (state_read(state_dir, &s, cause) != 0)
		return -1;
	for (i = 1; cfg != NULL && i < cfg->n_bottles; i++) {
		if (cfg->bottles[i].vmm != cfg->bottles[0].vmm) {
			state_free(s);
			return util_fail(
			    cause,
			    "config: bottles.%s.vmm differs from "
			    "bottles.%s.vmm: every bottle uses the "
			    "same VMM (set \"vmm\" in \"defaults\")",
			    cfg->bottles[i].name, cfg->bottles[0].name);
		}
	}
	core = xcalloc(1, sizeof *core);
	core->loop = loop;
	core->cfg = cfg;
	core->state_dir = xstrdup(state_dir);
	if (o != NULL)
		core->opts = *o;
	core->env.docker_ok = -1;
	core->env.smolvm_ok = -1;
	core->vmm = CONFIG_VMM_AUTO;
	core->allow_newer = cfg != NULL && cfg->smolvm_allow_newer;
	for (i = 0; cfg != NULL && i < cfg->n_bottles; i++) {
		core->vmm = cfg->bottles[i].vmm;
		bottle_new(core, cfg->bottles[i].name, &cfg->bottles[i]);
	}
	for (i = 0; i < s->n; i++) {
		struct bottle *b =
		    bottle_refresh_find_or_discover(core, s->bottles[i].name);
		if (b == NULL)
			continue;
		bottle_set_str(&b->subnet, s->bottles[i].subnet);
		bottle_set_str(&b->bundle_ip, s->bottles[i].bundle_ip);
		if (s->bottles[i].error != NULL &&
		    util_streq(s->bottles[i].step, "failed"))
			bottle_set_str(&b->error, s->bottles[i].error);
		/* up in another process: its completion is the best start
		 * time known (cleared by the refresh if the VM is not up) */
		if (util_streq(s->bottles[i].step, "up"))
			b->up_since_ms = s->bottles[i].updated_ms;
	}
	for (i = 0; i < core->n; i++)
		bottle_proof_load(core->v[i]);
	state_free(s);
	uv_timer_init(loop, &core->refresh_timer);
	core->refresh_timer.data = core;
	core->refs++; /* the refresh timer */
	uv_timer_init(loop, &core->state_timer);
	core->state_timer.data = core;
	core->refs++; /* the state timer */
	atomic_init(&core->state_cancel, 0);
	/* the dashboard (timers on) waits for the lock as long as it takes;
	 * a one-shot CLI verb gives up with a clear error */
	core->state_wait_ms = core->opts.no_timers ? bottle_state_wait_ms() : 0;
	core->health = health_new(loop);
	bottle_refresh_choose_vmm(core);
	*out = core;
	return 0;
}

void bottle_core_set_listener(struct bottle_core *core, bottle_listener fn,
			      void *data)
{
	core->listener = fn;
	core->ldata = data;
}

/* ---- the public operations, done by bottle-*.c ------------------------ */

int bottle_rm(struct bottle_core *core, struct bottle *b, bottle_done_cb done,
	      void *data, char **cause)
{
	return bottle_step_begin(core, b, BOTTLE_OP_RM, done, data, cause);
}

void bottle_core_start(struct bottle_core *core, bottle_done_cb done,
		       void *data)
{
	bottle_refresh_detect(core, done, data);
}

void bottle_core_refresh(struct bottle_core *core, bottle_done_cb done,
			 void *data)
{
	bottle_refresh_request(core, done, data);
}

void bottle_core_prefetch_ipam(struct bottle_core *core)
{
	bottle_refresh_prefetch_ipam(core);
}

int bottle_probe(struct bottle_core *core, struct bottle *b,
		 bottle_done_cb done, void *data, char **cause)
{
	return bottle_proof_run(core, b, done, data, cause);
}

int bottle_health_now(struct bottle_core *core, struct bottle *b,
		      bottle_done_cb done, void *data, char **cause)
{
	return bottle_proof_health_now(core, b, done, data, cause);
}

static void bottle_core_free(struct bottle_core *core)
{
	size_t i;

	for (i = 0; i < core->n; i++)
		bottle_free(core->v[i]);
	free(core->v);
	free(core->live);
	free(core->ipam);
	free(core->ipam_waiters);
	free(core->state_dir);
	free(core->state_waiting);
	buf_release(&core->ps_out);
	buf_release(&core->net_out);
	buf_release(&core->vm_out);
	free(core->env.docker_version);
	free(core->env.docker_error);
	free(core->env.smolvm_path);
	free(core->env.smolvm_version);
	free(core->env.smolvm_error);
	strv_release(&core->env.smolvm_env);
	free(core);
}

void bottle_core_unref(struct bottle_core *core)
{
	if (--core->refs == 0)
		bottle_core_free(core);
}

static void bottle_on_timer_close(uv_handle_t *h)
{
	bottle_core_unref(h->data);
}

static void bottle_on_bottle_timer_close(uv_handle_t *h)
{
	struct bottle *b = h->data;

	bottle_core_unref(b->priv->core);
}

static void bottle_close_timer(uv_timer_t *t)
{
	uv_timer_stop(t);
	uv_close((uv_handle_t *)t, bottle_on_bottle_timer_close);
}

void bottle_waiters_drop(struct bottle_waiter **list)
{
	struct bottle_waiter *w = *list, *next;

	*list = NULL;
	for (; w != NULL; w = next) {
		next = w->next;
		free(w);
	}
}

void bottle_core_close(struct bottle_core *core)
{
	size_t i;

	if (core->closing)
		return;
	core->closing = 1;
	for (i = 0; i < core->n_live; i++)
		proc_kill(core->live[i]);
	for (i = 0; i < core->n; i++) {
		struct bottle *b = core->v[i];
		if (b->priv->probe_run != NULL)
			probe_run_cancel(b->priv->probe_run);
		bottle_waiters_drop(&b->priv->probe_waiters);
		bottle_waiters_drop(&b->priv->health_waiters);
		bottle_logs_close(core, b);
		state_bottle_unlock(b->priv->lock);
		b->priv->lock = NULL;
		bottle_close_timer(&b->priv->wake);
		bottle_close_timer(&b->priv->health_timer);
		bottle_close_timer(&b->priv->probe_timer);
	}
	bottle_waiters_drop(&core->refresh_waiters);
	bottle_waiters_drop(&core->refresh_next_waiters);
	bottle_waiters_drop(&core->start_waiters);
	if (core->health != NULL)
		health_free(core->health);
	core->health = NULL;
	if (core->canary != NULL)
		canary_close(core->canary);
	core->canary = NULL;
	uv_timer_stop(&core->refresh_timer);
	uv_close((uv_handle_t *)&core->refresh_timer, bottle_on_timer_close);
	/* a queued state update still runs, but no longer waits for the
	 * lock (its continuation is not called) */
	atomic_store(&core->state_cancel, 1);
	uv_timer_stop(&core->state_timer);
	uv_close((uv_handle_t *)&core->state_timer, bottle_on_timer_close);
}

/* ---- which machine is ours -------------------------------------------- */

/* The creation record ("machine" in b's state directory): bottle created
 * b's machine between FROM and TO (Unix seconds, smolvm's created_at
 * clock; 0 0 when none is known). PFROM..PTO, when not 0, covers creates
 * that began and were not seen to end (bottle may have been killed while
 * one ran: a machine created in that span is that one); a create that
 * ends without creating anything gives its span back. Labels say the
 * same from 1.8.0; on older releases the record is what tells bottle's
 * machine from one someone else made under the name. */
#define BOTTLE_VM_RECORD "machine"
#define BOTTLE_VM_PENDING_S 120

struct bottle_vm_record {
	long long from, to, pfrom, pto;
};

/* The record into *r; -1 when there is none (or it is not a plain file of
 * ours, or not what bottle writes). */
static int bottle_vm_record_read(const struct bottle *b,
				 struct bottle_vm_record *r)
{
	char *dir = state_bottle_dir(b->priv->core->state_dir, b->name);
	char *path = xasprintf("%s/%s", dir, BOTTLE_VM_RECORD);
	char *text = NULL;
	size_t len = 0;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0 &&
	    util_read_fd_max(fd, path, 4096, &text, &len, NULL) == 0 &&
	    sscanf(text,
		   "{\"created_from\": %lld, \"created_to\": %lld, "
		   "\"pending_from\": %lld, \"pending_to\": %lld}",
		   &r->from, &r->to, &r->pfrom, &r->pto) == 4 &&
	    r->from <= r->to && r->pfrom <= r->pto)
		rc = 0;
	if (fd >= 0)
		close(fd);
	free(text);
	free(path);
	free(dir);
	return rc;
}

static int bottle_vm_record_put(struct bottle *b,
				const struct bottle_vm_record *r, char **cause)
{
	char *text =
	    xasprintf("{\"created_from\": %lld, \"created_to\": %lld, "
		      "\"pending_from\": %lld, \"pending_to\": %lld}\n",
		      r->from, r->to, r->pfrom, r->pto);
	int rc = bottle_write_file(b, BOTTLE_VM_RECORD, text, cause);

	free(text);
	return rc;
}

int bottle_vm_record_pending(struct bottle *b, int64_t t0, char **cause)
{
	struct bottle_vm_record r = {0, 0, 0, 0};

	if (bottle_vm_record_read(b, &r) != 0)
		memset(&r, 0, sizeof r);
	b->priv->prev_pfrom = r.pfrom;
	b->priv->prev_pto = r.pto;
	if (r.pfrom == 0 || t0 < r.pfrom)
		r.pfrom = t0;
	r.pto = t0 + BOTTLE_VM_PENDING_S;
	return bottle_vm_record_put(b, &r, cause);
}

void bottle_vm_record_unpend(struct bottle *b)
{
	struct bottle_vm_record r;
	char *cause = NULL;

	if (bottle_vm_record_read(b, &r) != 0)
		return;
	r.pfrom = b->priv->prev_pfrom;
	r.pto = b->priv->prev_pto;
	if (r.from == 0 && r.to == 0 && r.pfrom == 0) {
		bottle_vm_record_remove(b);
		return;
	}
	if (bottle_vm_record_put(b, &r, &cause) != 0) {
		bottle_log(b, "could not update the machine record: %s", cause);
		free(cause);
	}
}

int bottle_vm_record_write(struct bottle *b, int64_t from, int64_t to,
			   char **cause)
{
	struct bottle_vm_record r = {from, to, 0, 0};

	return bottle_vm_record_put(b, &r, cause);
}

void bottle_vm_record_remove(struct bottle *b)
{
	char *dir = state_bottle_dir(b->priv->core->state_dir, b->name);
	char *path = xasprintf("%s/%s", dir, BOTTLE_VM_RECORD);

	if (unlink(path) != 0 && errno != ENOENT)
		bottle_log(b, "could not remove %s: %s", path, strerror(errno));
	free(path);
	free(dir);
}

const char *bottle_vm_foreign(const struct bottle *b,
			      const struct smolvm_machine *m)
{
	struct bottle_vm_record r;
	int labelled = m->has_labels && m->managed;
	long long t = m->created_at;

	if (labelled && !util_streq(smolvm_owned_name(m), b->name))
		return "its bottle labels name another bottle";
	if (bottle_vm_record_read(b, &r) != 0) {
		/* 1.8.0+: bottle labels every machine it creates (a machine
		 * made before the record was kept has only the labels) */
		if (labelled)
			return NULL;
		return m->has_labels ? "it has no bottle labels and bottle has "
				       "no record of creating it"
				     : "bottle has no record of creating it";
	}
	if (t == 0)
		return NULL; /* smolvm gave no creation time: the record */
	/* smolvm's created_at is whole seconds: a second of slack */
	if (r.to != 0 && t >= r.from - 1 && t <= r.to + 1)
		return NULL;
	if (r.pfrom != 0 && t >= r.pfrom - 1 && t <= r.pto)
		return NULL;
	return "it was created at another time than the machine bottle "
	       "created";
}
