/* bottle.c: the model and the lifecycle state machine. See bottle.h. */
#include "bottle.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "docker.h"
#include "ipam.h"
#include "paths.h"
#include "proc.h"
#include "sanitize.h"
#include "smolfile.h"
#include "smolvm.h"
#include "state.h"
#include "tail.h"

#define BOTTLE_DOCKER_TIMEOUT_MS 60000
#define BOTTLE_SMOLVM_TIMEOUT_MS 60000
#define BOTTLE_START_TIMEOUT_MS 120000
#define BOTTLE_BUNDLE_WAIT_MS 30000
#define BOTTLE_BUNDLE_POLL_MS 250
#define BOTTLE_REFRESH_MS 10000
#define BOTTLE_REFRESH_FAST_MS 2000
#define BOTTLE_EXEC_TIMEOUT_MS 600000
#define BOTTLE_HEALTH_TIMEOUT_MS 3000
#define BOTTLE_BUNDLE_POLL_TIMEOUT_MS 1000
#define BOTTLE_COMMANDS_LINES 2000

struct bottle_waiter {
	bottle_done_cb fn;
	void *data;
	struct bottle_waiter *next;
};

/* Called with a finished command's result (borrowed). */
typedef void (*bottle_next_fn)(struct bottle *b, const struct proc_result *r);

struct bottle_priv {
	struct bottle_core *core;
	struct proc *proc;   /* the operation's current subprocess */
	bottle_done_cb done; /* the operation's completion */
	void *done_data;
	struct state_lock *lock; /* held while an operation runs */
	struct probe_run *probe_run;
	struct bottle_waiter *probe_waiters;
	struct bottle_waiter *health_waiters;
	int health_inflight;
	int configured;
	int allocated_here;   /* this up allocated the subnet */
	int rollback_failed;  /* a rollback step failed: keep the allocation */
	int created_net;      /* this up created the network */
	int created_bundle;   /* ... the bundle container */
	int created_vm;	      /* ... the machine */
	char *probe_summary;  /* why the last probe run was not all PASS */
	int conflict_retried; /* one rm -f + run after a name conflict */
	int create_retried;   /* one delete + create after "exists" */
	char *fail;	      /* the error being rolled back, owned */
	uint64_t wake_at;     /* monotonic ms, 0 = none */
	void (*wake_fn)(struct bottle *b);
	uint64_t wait_deadline; /* bundle-health wait */
	unsigned wait_polls;
	uint64_t next_health; /* monotonic ms, 0 = not scheduled */
	uint64_t next_probe;
	unsigned backoff; /* consecutive failures of docker/smolvm */
	uint64_t touched; /* monotonic ms an operation last changed its parts */
	struct tail *tails[TAIL_SOURCE_COUNT]; /* while logs are open */
	struct ipam_net *taken;		       /* allocation: nets in use */
	size_t n_taken;
};

struct bottle_core {
	uv_loop_t *loop;
	const struct config *cfg; /* borrowed */
	char *state_dir;
	struct bottle_core_opts opts;
	struct bottle **v;
	size_t n;
	struct bottle_env env;
	bottle_listener listener;
	void *ldata;
	/* refresh */
	int refreshing;
	uint64_t refresh_started; /* monotonic ms the running refresh began */
	int refresh_again;
	unsigned refresh_left;
	struct buf ps_out, net_out, vm_out;
	int ps_ok, net_ok, vm_ok;
	char *ps_err, *vm_err;
	struct bottle_waiter *refresh_waiters;
	struct bottle_waiter *refresh_next_waiters;
	uint64_t next_refresh;
	/* detection */
	unsigned detect_left;
	struct bottle_waiter *start_waiters;
	/* scheduling: one timer for everything */
	uv_timer_t timer;
	struct health *health;
	struct canary *canary;
	int canary_port;
	int closing;
	int parts_known;    /* the last refresh heard from docker and smolvm */
	struct proc **live; /* every child not yet finished, killed on close */
	/* docker networks' subnets for allocation (bottle_ipam_want) */
	struct ipam_net *ipam;
	size_t n_ipam;
	uint64_t ipam_at; /* monotonic ms of the fetch, 0 = never */
	int ipam_fetching;
	unsigned ipam_tries;
	struct bottle **ipam_waiters;
	size_t n_ipam_waiters;
	size_t n_live;
	unsigned refs; /* the timer, live procs and probe runs */
	enum config_vmm vmm;
	int allow_newer; /* defaults.smolvm_allow_newer */
};

static void bottle_core_unref(struct bottle_core *core);
static void bottle_waiters_drop(struct bottle_waiter **list);
static void bottle_rearm(struct bottle_core *core);
static void bottle_op_step(struct bottle *b);
static void bottle_op_fail(struct bottle *b, const char *fmt, ...)
    UTIL_PRINTF(2, 3);

/* ---- small helpers ---------------------------------------------------- */

static void bottle_emit(struct bottle_core *core, struct bottle *b,
			enum bottle_event ev, const char *msg)
{
	if (core->listener != NULL && !core->closing)
		core->listener(core, b, ev, msg, core->ldata);
}

static void bottle_set_str(char **field, const char *value)
{
	if (util_streq(*field, value))
		return;
	free(*field);
	*field = value != NULL ? xstrdup(value) : NULL;
}

static void bottle_waiters_add(struct bottle_waiter **list, bottle_done_cb fn,
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

static void bottle_waiters_fire(struct bottle_core *core,
				struct bottle_waiter **list, struct bottle *b,
				const char *error)
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
static void bottle_log(struct bottle *b, const char *fmt, ...)
    UTIL_PRINTF(2, 3);
static void bottle_log(struct bottle *b, const char *fmt, ...)
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

static const char *bottle_first_line(const struct buf *err, char *out,
				     size_t outsz)
{
	const char *p = err->data != NULL ? err->data : "";
	const char *line = p, *nl;

	/* the first line that says something, preferring smolvm's "Error:" */
	if ((nl = strstr(p, "Error: ")) != NULL && (nl == p || nl[-1] == '\n'))
		line = nl;
	while (*line == '\n' || *line == ' ')
		line++;
	nl = strchr(line, '\n');
	snprintf(out, outsz, "%.*s",
		 (int)(nl ? (size_t)(nl - line) : strlen(line)), line);
	return out;
}

/* bottle_timeout: a command's timeout; BOTTLE_TEST_DOCKER_TIMEOUT_MS and
 * BOTTLE_TEST_SMOLVM_TIMEOUT_MS (test hooks) override every docker or
 * smolvm command's, so that hang tests run in seconds. */
static uint64_t bottle_timeout(uint64_t ms, int smolvm)
{
	const char *v = getenv(smolvm ? "BOTTLE_TEST_SMOLVM_TIMEOUT_MS"
				      : "BOTTLE_TEST_DOCKER_TIMEOUT_MS");

	if (v != NULL && *v >= '1' && *v <= '9')
		return strtoull(v, NULL, 10);
	return ms;
}

/* ---- running commands for a bottle ------------------------------------ */

static void bottle_live_add(struct bottle_core *core, struct proc *p)
{
	core->live =
	    xreallocarray(core->live, core->n_live + 1, sizeof *core->live);
	core->live[core->n_live++] = p;
}

static void bottle_live_remove(struct bottle_core *core, struct proc *p)
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

static void bottle_record(struct bottle *b, const struct strv *argv,
			  const struct proc_result *r)
{
	char *desc = proc_describe((const char *const *)argv->v, r);
	char first[512] = "";
	struct buf clean = BUF_INIT;

	if (r->err.len > 0 && !(r->exited && r->exit_status == 0))
		bottle_first_line(&r->err, first, sizeof first);
	free(b->last_command);
	b->last_command = util_argv_display((const char *const *)argv->v);
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
static void bottle_run(struct bottle *b, struct strv *argv, uint64_t timeout_ms,
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
static void bottle_core_run(struct bottle_core *core, struct strv *argv,
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

static int bottle_ok(const struct proc_result *r)
{
	return r->exited && r->exit_status == 0 && r->spawn_error == 0;
}

/* bottle_cmd_error: "docker network create failed: <first stderr line>". */
static char *bottle_cmd_error(const char *what, const struct proc_result *r)
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

static const char *bottle_err_text(const struct proc_result *r)
{
	return r->err.data != NULL ? r->err.data : "";
}

/* ---- model ------------------------------------------------------------ */

static struct bottle *bottle_new(struct bottle_core *core, const char *name,
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
	core->v = xreallocarray(core->v, core->n + 1, sizeof *core->v);
	core->v[core->n++] = b;
	return b;
}

static void bottle_reset_probes(struct bottle *b)
{
	size_t i;

	for (i = 0; i < PROBE_COUNT; i++)
		probe_result_release(&b->probes[i]);
	b->probes_at_ms = 0;
}

static void bottle_reset_health(struct bottle *b)
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
	free(b->priv->taken);
	free(b->priv->probe_summary);
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

static const struct smolvm_cli *bottle_cli(struct bottle_core *core)
{
	core->env.smolvm.bin =
	    core->env.smolvm_path != NULL ? core->env.smolvm_path : "smolvm";
	return &core->env.smolvm;
}

static int bottle_vm_running(const struct bottle *b)
{
	return util_streq(b->vm_state, "running");
}

static int bottle_bundle_running(const struct bottle *b)
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

static int bottle_all_pass(const struct bottle *b)
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
	if (bottle_vm_running(b) && bottle_any_fail(b))
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
		if (age <= limit)
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

const char *bottle_step_name(enum bottle_step s)
{
	static const char *const names[] = {
	    [BOTTLE_STEP_NONE] = "idle",
	    [BOTTLE_STEP_ALLOCATE] = "allocate",
	    [BOTTLE_STEP_NETWORK] = "network",
	    [BOTTLE_STEP_BUNDLE] = "bundle",
	    [BOTTLE_STEP_BUNDLE_HEALTH] = "bundle-health",
	    [BOTTLE_STEP_SMOLFILE] = "smolfile",
	    [BOTTLE_STEP_VM_CREATE] = "vm-create",
	    [BOTTLE_STEP_VM_START] = "vm-start",
	    [BOTTLE_STEP_PROBE] = "probe",
	    [BOTTLE_STEP_VM_STOP] = "vm-stop",
	    [BOTTLE_STEP_VM_DELETE] = "vm-delete",
	    [BOTTLE_STEP_BUNDLE_RM] = "bundle-rm",
	    [BOTTLE_STEP_NETWORK_RM] = "network-rm",
	    [BOTTLE_STEP_FORGET] = "forget",
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

/* ---- drift ------------------------------------------------------------ */

static void bottle_update_drift(struct bottle *b)
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

/* ---- refresh: three subprocesses whatever the number of bottles ------- */

static struct bottle *bottle_find_or_discover(struct bottle_core *core,
					      const char *name)
{
	struct bottle *b = bottle_core_find(core, name);

	if (b == NULL && config_name_valid(name))
		b = bottle_new(core, name, NULL);
	return b;
}

static void bottle_refresh_merge(struct bottle_core *core)
{
	struct docker_container *c = NULL;
	struct docker_network *nw = NULL;
	struct smolvm_machine *m = NULL;
	size_t nc = 0, nn = 0, nm = 0, i;
	char *cause = NULL;
	int docker_known = core->ps_ok && core->net_ok;
	int vm_known = core->vm_ok;

	if (docker_known &&
	    (docker_parse_ps(core->ps_out.data, core->ps_out.len, &c, &nc,
			     &cause) != 0 ||
	     docker_parse_networks(core->net_out.data, core->net_out.len, &nw,
				   &nn, &cause) != 0)) {
		bottle_set_str(&core->env.docker_error, cause);
		docker_known = 0;
	}
	free(cause);
	cause = NULL;
	if (vm_known && smolvm_parse_ls(core->vm_out.data, core->vm_out.len, &m,
					&nm, &cause) != 0) {
		bottle_set_str(&core->env.smolvm_error, cause);
		vm_known = 0;
	}
	free(cause);

	for (i = 0; docker_known && i < nc; i++)
		if (c[i].bottle != NULL)
			bottle_find_or_discover(core, c[i].bottle);
	for (i = 0; docker_known && i < nn; i++)
		if (nw[i].bottle != NULL)
			bottle_find_or_discover(core, nw[i].bottle);
	for (i = 0; vm_known && i < nm; i++)
		if (smolvm_owned_name(&m[i]) != NULL)
			bottle_find_or_discover(core, smolvm_owned_name(&m[i]));

	core->parts_known = docker_known && vm_known;
	for (i = 0; i < core->n; i++) {
		struct bottle *b = core->v[i];
		size_t j;
		int was_running = bottle_vm_running(b);

		if (b->op != BOTTLE_OP_NONE ||
		    b->priv->touched >= core->refresh_started) {
			/* the listings may predate what the operation did:
			 * the model is newer, keep it */
			continue;
		}
		free(b->busy_other);
		b->busy_other =
		    b->op == BOTTLE_OP_NONE
			? state_bottle_holder(core->state_dir, b->name)
			: NULL;

		if (docker_known) {
			const char *st = NULL;
			int net = 0;
			for (j = 0; j < nc; j++)
				if (util_streq(c[j].bottle, b->name))
					st = c[j].state;
			for (j = 0; j < nn; j++)
				if (util_streq(nw[j].bottle, b->name))
					net = 1;
			bottle_set_str(&b->bundle_state, st);
			b->net_present = net;
		}
		if (vm_known) {
			char machine[64];
			const char *st = NULL;
			int pid = 0;
			bottle_machine(b, machine, sizeof machine);
			for (j = 0; j < nm; j++)
				if (util_streq(m[j].name, machine)) {
					st = m[j].state;
					pid = m[j].pid;
				}
			bottle_set_str(&b->vm_state, st);
			b->vm_pid = pid;
		}
		if (vm_known && !bottle_vm_running(b) &&
		    b->op == BOTTLE_OP_NONE && !b->probing) {
			/* proof of a VM that no longer runs proves nothing */
			if (was_running || b->probes_at_ms != 0)
				bottle_reset_probes(b);
			b->up_since_ms = 0;
		}
		if (!bottle_bundle_running(b) && b->op == BOTTLE_OP_NONE)
			bottle_reset_health(b);
		bottle_update_drift(b);
	}
	docker_containers_free(c, nc);
	docker_networks_free(nw, nn);
	smolvm_machines_free(m, nm);
}

static void bottle_refresh_start(struct bottle_core *core);

static void bottle_refresh_done_one(struct bottle_core *core)
{
	if (--core->refresh_left > 0)
		return;
	bottle_refresh_merge(core);
	core->refreshing = 0;
	if (!core->opts.no_timers && !core->closing &&
	    (core->env.docker_ok != 1 || !core->parts_known)) {
		/* docker or smolvm stopped answering: look again soon, not a
		 * whole period after this refresh began (it was planned while
		 * all was well), so that their return shows within seconds */
		uint64_t soon = util_mono_ms() + BOTTLE_REFRESH_FAST_MS;
		if (core->next_refresh == 0 || core->next_refresh > soon) {
			core->next_refresh = soon;
			bottle_rearm(core);
		}
	}
	bottle_emit(core, NULL, BOTTLE_EV_CHANGED, NULL);
	bottle_waiters_fire(core, &core->refresh_waiters, NULL, NULL);
	if (core->refresh_again && !core->closing) {
		core->refresh_again = 0;
		core->refresh_waiters = core->refresh_next_waiters;
		core->refresh_next_waiters = NULL;
		bottle_refresh_start(core);
	}
}

/* bottle_docker_down: the error for a docker command that failed for want
 * of docker, with what to do about it: not installed, or an engine that
 * does not answer (refused, or hung until its timeout). Caller frees. */
static char *bottle_docker_down(const struct proc_result *r)
{
	if (r->spawn_error == UV_ENOENT)
		return xasprintf("docker: %s not found; install docker "
				 "(Debian: apt-get install docker.io)",
				 paths_docker());
	if (r->spawn_error != 0)
		return bottle_cmd_error("docker", r);
	return bottle_cmd_error("docker: the engine does not answer "
				"(start it: sudo systemctl start docker)",
				r);
}

static void bottle_docker_status(struct bottle_core *core,
				 const struct proc_result *r, int *ok)
{
	*ok = bottle_ok(r);
	if (*ok) {
		core->env.docker_ok = 1;
		bottle_set_str(&core->env.docker_error, NULL);
		return;
	}
	/* a hung docker counts as down: another command would only hang as
	 * long again */
	if (r->timed_out || r->spawn_error != 0 ||
	    docker_classify(bottle_err_text(r)) == DOCKER_ERR_UNREACHABLE) {
		char *e = bottle_docker_down(r);
		core->env.docker_ok = 0;
		bottle_set_str(&core->env.docker_error, e);
		free(e);
	}
}

static void bottle_on_ps(struct bottle_core *core, const struct proc_result *r,
			 void *data)
{
	(void)data;
	bottle_docker_status(core, r, &core->ps_ok);
	buf_reset(&core->ps_out);
	if (r->out.len > 0)
		buf_add(&core->ps_out, r->out.data, r->out.len);
	bottle_refresh_done_one(core);
}

static void bottle_on_netls(struct bottle_core *core,
			    const struct proc_result *r, void *data)
{
	(void)data;
	bottle_docker_status(core, r, &core->net_ok);
	buf_reset(&core->net_out);
	if (r->out.len > 0)
		buf_add(&core->net_out, r->out.data, r->out.len);
	bottle_refresh_done_one(core);
}

static void bottle_on_vmls(struct bottle_core *core,
			   const struct proc_result *r, void *data)
{
	(void)data;
	core->vm_ok = bottle_ok(r);
	buf_reset(&core->vm_out);
	if (core->vm_ok) {
		buf_add(&core->vm_out, r->out.data ? r->out.data : "",
			r->out.len);
		if (core->env.smolvm_ok != 0)
			bottle_set_str(&core->env.smolvm_error, NULL);
	} else {
		char *e = bottle_cmd_error("smolvm machine ls", r);
		bottle_set_str(&core->env.smolvm_error, e);
		free(e);
	}
	bottle_refresh_done_one(core);
}

static void bottle_refresh_start(struct bottle_core *core)
{
	struct strv a;

	core->refreshing = 1;
	core->refresh_started = util_mono_ms();
	core->refresh_left = 3;
	a = docker_argv_ps();
	bottle_core_run(core, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
			bottle_on_ps, NULL);
	a = docker_argv_network_ls_managed();
	bottle_core_run(core, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
			bottle_on_netls, NULL);
	a = smolvm_argv_ls(bottle_cli(core));
	bottle_core_run(core, &a, bottle_timeout(BOTTLE_SMOLVM_TIMEOUT_MS, 1),
			bottle_on_vmls, NULL);
}

void bottle_core_refresh(struct bottle_core *core, bottle_done_cb done,
			 void *data)
{
	if (core->closing)
		return;
	if (core->refreshing) {
		core->refresh_again = 1;
		bottle_waiters_add(&core->refresh_next_waiters, done, data);
		return;
	}
	bottle_waiters_add(&core->refresh_waiters, done, data);
	bottle_refresh_start(core);
}

static void bottle_refresh_soon(struct bottle_core *core)
{
	core->next_refresh = util_mono_ms() + 300;
	bottle_rearm(core);
}

/* ---- operations: begin, steps, finish --------------------------------- */

static const enum bottle_step bottle_up_steps[] = {
    BOTTLE_STEP_ALLOCATE,      BOTTLE_STEP_NETWORK,  BOTTLE_STEP_BUNDLE,
    BOTTLE_STEP_BUNDLE_HEALTH, BOTTLE_STEP_SMOLFILE, BOTTLE_STEP_VM_CREATE,
    BOTTLE_STEP_VM_START,      BOTTLE_STEP_PROBE,    BOTTLE_STEP_NONE,
};
static const enum bottle_step bottle_down_steps[] = {
    BOTTLE_STEP_VM_STOP,    BOTTLE_STEP_VM_DELETE, BOTTLE_STEP_BUNDLE_RM,
    BOTTLE_STEP_NETWORK_RM, BOTTLE_STEP_NONE,
};
static const enum bottle_step bottle_rm_steps[] = {
    BOTTLE_STEP_VM_STOP,    BOTTLE_STEP_VM_DELETE, BOTTLE_STEP_BUNDLE_RM,
    BOTTLE_STEP_NETWORK_RM, BOTTLE_STEP_FORGET,	   BOTTLE_STEP_NONE,
};

static const enum bottle_step *bottle_steps(const struct bottle *b)
{
	if (b->priv->fail != NULL)
		return bottle_rm_steps; /* filtered by bottle_rollback_needed */
	switch (b->op) {
	case BOTTLE_OP_UP:
		return bottle_up_steps;
	case BOTTLE_OP_DOWN:
		return bottle_down_steps;
	case BOTTLE_OP_RM:
		return bottle_rm_steps;
	case BOTTLE_OP_NONE:
		break;
	}
	return bottle_down_steps + UTIL_NELEM(bottle_down_steps) - 1;
}

struct bottle_persist_ctx {
	const char *name;
	const char *step;
	const char *error;
	const char *subnet;    /* set when non-NULL */
	const char *bundle_ip; /* set when non-NULL */
	int forget;	       /* drop the record */
};

static int bottle_persist_fn(struct state *s, void *data, char **cause)
{
	struct bottle_persist_ctx *c = data;
	struct state_bottle *sb;

	(void)cause;
	if (c->forget) {
		state_remove(s, c->name);
		return 0;
	}
	sb = state_upsert(s, c->name);
	if (c->step != NULL)
		state_set_str(&sb->step, c->step);
	state_set_str(&sb->error, c->error);
	if (c->subnet != NULL)
		state_set_str(&sb->subnet, c->subnet);
	if (c->bundle_ip != NULL)
		state_set_str(&sb->bundle_ip, c->bundle_ip);
	sb->updated_ms = util_wall_ms();
	return 0;
}

/* bottle_persist: record b's last step (and error) in state.json. A
 * failure to persist is logged, not fatal: docker and smolvm remain the
 * truth that the next refresh reads. */
static void bottle_persist(struct bottle *b, const char *step,
			   const char *error)
{
	struct bottle_persist_ctx c = {b->name, step, error, NULL, NULL, 0};
	char *cause = NULL;

	if (state_update(b->priv->core->state_dir, bottle_persist_fn, &c,
			 &cause) != 0) {
		bottle_log(b, "could not record state: %s", cause);
		bottle_emit(b->priv->core, b, BOTTLE_EV_MESSAGE, cause);
		free(cause);
	}
}

static void bottle_finish(struct bottle *b, const char *error, int mark_failed)
{
	struct bottle_core *core = b->priv->core;
	bottle_done_cb done = b->priv->done;
	void *done_data = b->priv->done_data;
	enum bottle_op op = b->op;

	b->op = BOTTLE_OP_NONE;
	b->step = BOTTLE_STEP_NONE;
	b->priv->touched = util_mono_ms();
	b->priv->done = NULL;
	b->priv->wake_at = 0;
	free(b->priv->fail);
	b->priv->fail = NULL;
	free(b->priv->taken);
	b->priv->taken = NULL;
	b->priv->n_taken = 0;
	if (mark_failed)
		bottle_set_str(&b->error, error);
	if (error != NULL)
		bottle_log(b, "%s failed: %s", bottle_op_name(op), error);
	else
		bottle_log(b, "%s done", bottle_op_name(op));
	if (b->subnet != NULL) /* nothing to record once forgotten */
		bottle_persist(b, error != NULL ? "failed" : bottle_op_name(op),
			       mark_failed ? error : NULL);
	state_bottle_unlock(b->priv->lock);
	b->priv->lock = NULL;
	bottle_update_drift(b);
	if (done != NULL)
		done(core, b, error, done_data);
	bottle_emit(core, b, BOTTLE_EV_DONE, error);
	bottle_refresh_soon(core);
}

static void bottle_op_fail(struct bottle *b, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (b->op == BOTTLE_OP_UP && b->priv->fail == NULL) {
		/* Undo what this up created, so a failed up leaves nothing
		 * half-built; then report the original error. */
		b->priv->fail = msg;
		bottle_log(b, "up failed at %s: %s; rolling back",
			   bottle_step_name(b->step), msg);
		b->step = BOTTLE_STEP_NONE;
		bottle_op_step(b);
		return;
	}
	if (b->priv->fail != NULL) {
		/* a rollback step failed: keep going, remember it */
		b->priv->rollback_failed = 1;
		bottle_log(b, "rollback: %s", msg);
		free(msg);
		bottle_op_step(b);
		return;
	}
	bottle_finish(b, msg, 1);
	free(msg);
}

/* bottle_op_next: the step after b->step in the current sequence. */
static void bottle_op_next(struct bottle *b)
{
	bottle_op_step(b);
}

static void bottle_step_allocate(struct bottle *b);
static void bottle_step_network(struct bottle *b);
static void bottle_step_bundle(struct bottle *b);
static void bottle_step_bundle_health(struct bottle *b);
static void bottle_step_smolfile(struct bottle *b);
static void bottle_step_vm_create(struct bottle *b);
static void bottle_step_vm_start(struct bottle *b);
static void bottle_step_probe(struct bottle *b);
static void bottle_step_vm_stop(struct bottle *b);
static void bottle_step_vm_delete(struct bottle *b);
static void bottle_step_bundle_rm(struct bottle *b);
static void bottle_step_network_rm(struct bottle *b);
static void bottle_step_forget(struct bottle *b);

static void bottle_step_dispatch(struct bottle *b);

/* bottle_test_step_delay_ms: $BOTTLE_TEST_STEP_DELAY_MS, a test hook that
 * pauses before every lifecycle step (0 = none). */
static uint64_t bottle_test_step_delay_ms(void)
{
	const char *v = getenv("BOTTLE_TEST_STEP_DELAY_MS");

	return v != NULL ? strtoull(v, NULL, 10) : 0;
}

/* bottle_rollback_needed: 1 when a failed up must undo step's part. */
static int bottle_rollback_needed(const struct bottle *b, enum bottle_step step)
{
	switch (step) {
	case BOTTLE_STEP_VM_STOP:
	case BOTTLE_STEP_VM_DELETE:
		return b->priv->created_vm;
	case BOTTLE_STEP_BUNDLE_RM:
		return b->priv->created_bundle;
	case BOTTLE_STEP_NETWORK_RM:
		return b->priv->created_net;
	case BOTTLE_STEP_FORGET:
		/* a part left behind still holds the subnet */
		return b->priv->allocated_here && !b->priv->rollback_failed;
	default:
		return 1;
	}
}

/* bottle_op_step: advance to the step after b->step and start it. */
static void bottle_op_step(struct bottle *b)
{
	const enum bottle_step *seq = bottle_steps(b);
	size_t i = 0;

	if (b->step != BOTTLE_STEP_NONE) {
		while (seq[i] != BOTTLE_STEP_NONE && seq[i] != b->step)
			i++;
		if (seq[i] != BOTTLE_STEP_NONE)
			i++;
	}
	/* a rollback undoes only what this up created */
	while (b->priv->fail != NULL && seq[i] != BOTTLE_STEP_NONE &&
	       !bottle_rollback_needed(b, seq[i]))
		i++;
	b->step = seq[i];
	b->step_started_ms = util_mono_ms();
	b->priv->touched = b->step_started_ms;
	if (b->step == BOTTLE_STEP_NONE) {
		if (b->priv->fail != NULL) {
			char *fail = b->priv->fail;
			b->priv->fail = NULL;
			bottle_finish(b, fail, 1);
			free(fail);
		} else {
			bottle_finish(b, NULL, 0);
		}
		return;
	}
	state_event(b->priv->core->state_dir, b->name, "step %s: %s%s",
		    bottle_op_name(b->op), bottle_step_name(b->step),
		    b->priv->fail != NULL ? " (rollback)" : "");
	bottle_emit(b->priv->core, b, BOTTLE_EV_STEP,
		    bottle_step_name(b->step));
	if (bottle_test_step_delay_ms() > 0) {
		/* test hook: make every step reachable for kill -9 tests */
		b->priv->wake_at = util_mono_ms() + bottle_test_step_delay_ms();
		b->priv->wake_fn = bottle_step_dispatch;
		bottle_rearm(b->priv->core);
		return;
	}
	bottle_step_dispatch(b);
}

/* bottle_step_dispatch: start b->step. */
static void bottle_step_dispatch(struct bottle *b)
{
	switch (b->step) {
	case BOTTLE_STEP_ALLOCATE:
		bottle_step_allocate(b);
		break;
	case BOTTLE_STEP_NETWORK:
		bottle_step_network(b);
		break;
	case BOTTLE_STEP_BUNDLE:
		bottle_step_bundle(b);
		break;
	case BOTTLE_STEP_BUNDLE_HEALTH:
		bottle_step_bundle_health(b);
		break;
	case BOTTLE_STEP_SMOLFILE:
		bottle_step_smolfile(b);
		break;
	case BOTTLE_STEP_VM_CREATE:
		bottle_step_vm_create(b);
		break;
	case BOTTLE_STEP_VM_START:
		bottle_step_vm_start(b);
		break;
	case BOTTLE_STEP_PROBE:
		bottle_step_probe(b);
		break;
	case BOTTLE_STEP_VM_STOP:
		bottle_step_vm_stop(b);
		break;
	case BOTTLE_STEP_VM_DELETE:
		bottle_step_vm_delete(b);
		break;
	case BOTTLE_STEP_BUNDLE_RM:
		bottle_step_bundle_rm(b);
		break;
	case BOTTLE_STEP_NETWORK_RM:
		bottle_step_network_rm(b);
		break;
	case BOTTLE_STEP_FORGET:
		bottle_step_forget(b);
		break;
	case BOTTLE_STEP_NONE:
		break;
	}
}

static int bottle_op_begin(struct bottle_core *core, struct bottle *b,
			   enum bottle_op op, bottle_done_cb done, void *data,
			   char **cause)
{
	if (core->closing)
		return util_fail(cause, "bottle %s: shutting down", b->name);
	if (core->opts.read_only)
		return util_fail(cause, "bottle %s: read-only mode: %s refused",
				 b->name, bottle_op_name(op));
	if (b->op != BOTTLE_OP_NONE)
		return util_fail(
		    cause, "bottle %s is busy: %s in progress (%s)", b->name,
		    bottle_op_name(b->op), bottle_step_name(b->step));
	if (op == BOTTLE_OP_UP && b->cfg == NULL)
		return util_fail(
		    cause,
		    "bottle %s is not in the configuration; only down "
		    "and rm work on it",
		    b->name);
	if (op == BOTTLE_OP_UP && core->env.smolvm_ok == 0)
		return util_fail(cause, "bottle %s: %s", b->name,
				 core->env.smolvm_error
				     ? core->env.smolvm_error
				     : "smolvm is not usable");
	if (core->env.docker_ok == 0)
		return util_fail(cause, "bottle %s: %s", b->name,
				 core->env.docker_error
				     ? core->env.docker_error
				     : "docker is not reachable");
	if (state_bottle_lock(core->state_dir, b->name, bottle_op_name(op),
			      &b->priv->lock, cause) != 0)
		return -1;
	if (b->priv->probe_run != NULL)
		probe_run_cancel(b->priv->probe_run);
	b->op = op;
	b->step = BOTTLE_STEP_NONE;
	b->priv->done = done;
	b->priv->done_data = data;
	b->priv->allocated_here = 0;
	b->priv->rollback_failed = 0;
	b->priv->created_net = 0;
	b->priv->created_bundle = 0;
	b->priv->created_vm = 0;
	b->priv->conflict_retried = 0;
	b->priv->create_retried = 0;
	bottle_set_str(&b->error, NULL);
	bottle_set_str(&b->drift, NULL);
	bottle_log(b, "%s: start", bottle_op_name(op));
	if (op == BOTTLE_OP_UP) {
		bottle_reset_probes(b);
	}
	bottle_emit(core, b, BOTTLE_EV_CHANGED, NULL);
	bottle_op_step(b);
	return 0;
}

int bottle_up(struct bottle_core *core, struct bottle *b, bottle_done_cb done,
	      void *data, char **cause)
{
	return bottle_op_begin(core, b, BOTTLE_OP_UP, done, data, cause);
}

int bottle_down(struct bottle_core *core, struct bottle *b, bottle_done_cb done,
		void *data, char **cause)
{
	return bottle_op_begin(core, b, BOTTLE_OP_DOWN, done, data, cause);
}

int bottle_rm(struct bottle_core *core, struct bottle *b, bottle_done_cb done,
	      void *data, char **cause)
{
	return bottle_op_begin(core, b, BOTTLE_OP_RM, done, data, cause);
}

/* ---- up: allocate ----------------------------------------------------- */

struct bottle_alloc_ctx {
	struct bottle *b;
	char *subnet;	 /* out, owned */
	char *bundle_ip; /* out, owned */
	int fresh;	 /* allocated now (not found in state) */
};

static int bottle_alloc_fn(struct state *s, void *data, char **cause)
{
	struct bottle_alloc_ctx *c = data;
	struct bottle *b = c->b;
	struct state_bottle *sb = state_find(s, b->name);
	struct ipam_net pool, got, *taken;
	size_t n = b->priv->n_taken, i;
	int rc;

	if (sb != NULL && sb->subnet != NULL && sb->bundle_ip != NULL) {
		c->subnet = xstrdup(sb->subnet);
		c->bundle_ip = xstrdup(sb->bundle_ip);
		return 0;
	}
	if (ipam_parse_cidr(b->cfg->subnet_pool, &pool, cause) != 0)
		return -1;
	taken = xcalloc(n + s->n + 1, sizeof *taken);
	if (n > 0)
		memcpy(taken, b->priv->taken, n * sizeof *taken);
	for (i = 0; i < s->n; i++) {
		if (s->bottles[i].subnet != NULL &&
		    ipam_parse_cidr(s->bottles[i].subnet, &taken[n], NULL) == 0)
			n++;
	}
	rc = ipam_allocate(&pool, b->cfg->subnet_prefix, taken, n, &got, cause);
	free(taken);
	if (rc != 0)
		return -1;
	c->subnet = ipam_format_cidr(&got);
	c->bundle_ip = ipam_bundle_ip(&got);
	c->fresh = 1;
	sb = state_upsert(s, b->name);
	state_set_str(&sb->subnet, c->subnet);
	state_set_str(&sb->bundle_ip, c->bundle_ip);
	state_set_str(&sb->step, "allocated");
	sb->updated_ms = util_wall_ms();
	return 0;
}

static void bottle_alloc_commit(struct bottle *b)
{
	struct bottle_alloc_ctx c = {b, NULL, NULL, 0};
	char *cause = NULL;
	char *route = NULL;
	size_t len = 0;

	/* host routes: a subnet that overlaps one would shadow it */
	if (util_read_file("/proc/net/route", &route, &len, NULL) == 0) {
		if (ipam_parse_proc_route(route, len, &b->priv->taken,
					  &b->priv->n_taken, &cause) != 0) {
			bottle_log(b, "ignoring /proc/net/route: %s", cause);
			free(cause);
			cause = NULL;
		}
		free(route);
	}
	if (state_update(b->priv->core->state_dir, bottle_alloc_fn, &c,
			 &cause) != 0) {
		bottle_op_fail(b, "allocate: %s", cause);
		free(cause);
		free(c.subnet);
		free(c.bundle_ip);
		return;
	}
	b->priv->allocated_here = c.fresh;
	free(b->subnet);
	free(b->bundle_ip);
	b->subnet = c.subnet;
	b->bundle_ip = c.bundle_ip;
	bottle_log(b, "allocate: subnet %s, bundle %s%s", b->subnet,
		   b->bundle_ip, c.fresh ? "" : " (kept)");
	bottle_op_next(b);
}

/* The docker networks' subnets, fetched once for every bottle allocating
 * at the same time (docker network ls -q, then inspect: two subprocesses
 * whatever the number of bottles) and reused for a few seconds. A network
 * removed between the two commands makes inspect fail: fetch again. */
#define BOTTLE_IPAM_FRESH_MS 3000
#define BOTTLE_IPAM_TRIES 3

static void bottle_ipam_fetch(struct bottle_core *core);

static void bottle_ipam_deliver(struct bottle_core *core, const char *error)
{
	struct bottle **w = core->ipam_waiters;
	size_t n = core->n_ipam_waiters, i;

	core->ipam_waiters = NULL;
	core->n_ipam_waiters = 0;
	core->ipam_fetching = 0;
	for (i = 0; i < n; i++) {
		struct bottle *b = w[i];
		if (b->op != BOTTLE_OP_UP || b->step != BOTTLE_STEP_ALLOCATE)
			continue;
		if (error != NULL) {
			bottle_op_fail(b, "allocate: %s", error);
			continue;
		}
		b->priv->taken = xreallocarray(
		    b->priv->taken, b->priv->n_taken + core->n_ipam + 1,
		    sizeof *b->priv->taken);
		if (core->n_ipam > 0)
			memcpy(b->priv->taken + b->priv->n_taken, core->ipam,
			       core->n_ipam * sizeof *core->ipam);
		b->priv->n_taken += core->n_ipam;
		bottle_alloc_commit(b);
	}
	free(w);
}

static void bottle_on_ipam_inspect(struct bottle_core *core,
				   const struct proc_result *r, void *data)
{
	char *cause = NULL;

	(void)data;
	if (!bottle_ok(r)) {
		if (docker_classify(bottle_err_text(r)) ==
			DOCKER_ERR_NOT_FOUND &&
		    ++core->ipam_tries < BOTTLE_IPAM_TRIES) {
			bottle_ipam_fetch(
			    core); /* a network went away: again */
			return;
		}
		cause = bottle_cmd_error("docker network inspect", r);
		bottle_ipam_deliver(core, cause);
		free(cause);
		return;
	}
	free(core->ipam);
	core->ipam = NULL;
	core->n_ipam = 0;
	if (ipam_parse_docker_ipam(r->out.data ? r->out.data : "", r->out.len,
				   &core->ipam, &core->n_ipam, &cause) != 0) {
		bottle_ipam_deliver(core, cause);
		free(cause);
		return;
	}
	core->ipam_at = util_mono_ms();
	bottle_ipam_deliver(core, NULL);
}

static void bottle_on_ipam_ids(struct bottle_core *core,
			       const struct proc_result *r, void *data)
{
	struct strv ids = STRV_INIT, a;
	const char *p, *e;

	(void)data;
	if (!bottle_ok(r)) {
		char *err = bottle_cmd_error("docker network ls", r);
		bottle_ipam_deliver(core, err);
		free(err);
		return;
	}
	for (p = r->out.data ? r->out.data : ""; *p != '\0'; p = e) {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		if (e > p)
			strv_pushf(&ids, "%.*s", (int)(e - p), p);
		if (*e == '\n')
			e++;
	}
	if (ids.n == 0) {
		strv_release(&ids);
		free(core->ipam);
		core->ipam = NULL;
		core->n_ipam = 0;
		core->ipam_at = util_mono_ms();
		bottle_ipam_deliver(core, NULL);
		return;
	}
	a = docker_argv_network_inspect_ipam(&ids);
	strv_release(&ids);
	bottle_core_run(core, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
			bottle_on_ipam_inspect, NULL);
}

static void bottle_ipam_fetch(struct bottle_core *core)
{
	struct strv a = docker_argv_network_ids();

	core->ipam_fetching = 1;
	bottle_core_run(core, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
			bottle_on_ipam_ids, NULL);
}

/* bottle_ipam_want: b gets the docker subnets, from the cache when fresh,
 * else with the next fetch (joined when one is in flight). */
static void bottle_ipam_want(struct bottle *b)
{
	struct bottle_core *core = b->priv->core;

	core->ipam_waiters =
	    xreallocarray(core->ipam_waiters, core->n_ipam_waiters + 1,
			  sizeof *core->ipam_waiters);
	core->ipam_waiters[core->n_ipam_waiters++] = b;
	if (core->ipam_fetching)
		return;
	if (core->ipam_at != 0 &&
	    util_mono_ms() - core->ipam_at < BOTTLE_IPAM_FRESH_MS) {
		bottle_ipam_deliver(core, NULL);
		return;
	}
	core->ipam_tries = 0;
	bottle_ipam_fetch(core);
}

void bottle_core_prefetch_ipam(struct bottle_core *core)
{
	if (core->closing || core->ipam_fetching ||
	    (core->ipam_at != 0 &&
	     util_mono_ms() - core->ipam_at < BOTTLE_IPAM_FRESH_MS))
		return;
	core->ipam_tries = 0;
	bottle_ipam_fetch(core);
}

static void bottle_step_allocate(struct bottle *b)
{
	struct state *s = NULL;
	struct state_bottle *sb;
	char *cause = NULL;

	/* an allocation that exists is kept until rm */
	if (state_read(b->priv->core->state_dir, &s, &cause) != 0) {
		bottle_op_fail(b, "allocate: %s", cause);
		free(cause);
		return;
	}
	sb = state_find(s, b->name);
	if (sb != NULL && sb->subnet != NULL && sb->bundle_ip != NULL) {
		bottle_set_str(&b->subnet, sb->subnet);
		bottle_set_str(&b->bundle_ip, sb->bundle_ip);
		state_free(s);
		bottle_log(b, "allocate: subnet %s, bundle %s (kept)",
			   b->subnet, b->bundle_ip);
		bottle_op_next(b);
		return;
	}
	state_free(s);
	bottle_ipam_want(b);
}

/* ---- up: network, bundle ---------------------------------------------- */

/* The network existed already: make the allocation match its subnet (a
 * crash or a lost state.json can leave them apart), so the bundle's
 * pinned address is inside it. */
static void bottle_on_network_inspect(struct bottle *b,
				      const struct proc_result *r)
{
	struct bottle_persist_ctx c;
	struct ipam_net *nets = NULL;
	size_t n = 0;
	char *subnet = NULL, *ip = NULL, *cause = NULL;

	if (!bottle_ok(r) ||
	    ipam_parse_docker_ipam(r->out.data ? r->out.data : "", r->out.len,
				   &nets, &n, &cause) != 0 ||
	    n == 0) {
		char *e = cause ? cause
				: bottle_cmd_error("docker network inspect", r);
		bottle_op_fail(b,
			       "network bottle-%s exists but its subnet is "
			       "unknown: %s",
			       b->name, e);
		free(e);
		free(nets);
		return;
	}
	subnet = ipam_format_cidr(&nets[0]);
	if (!util_streq(subnet, b->subnet)) {
		ip = ipam_bundle_ip(&nets[0]);
		bottle_log(b,
			   "network: bottle-%s exists with subnet %s (state "
			   "said %s); adopting it",
			   b->name, subnet, b->subnet ? b->subnet : "nothing");
		memset(&c, 0, sizeof c);
		c.name = b->name;
		c.step = "network";
		c.subnet = subnet;
		c.bundle_ip = ip;
		if (state_update(b->priv->core->state_dir, bottle_persist_fn,
				 &c, &cause) != 0) {
			bottle_op_fail(b, "%s", cause);
			free(cause);
			free(subnet);
			free(ip);
			free(nets);
			return;
		}
		free(b->subnet);
		free(b->bundle_ip);
		b->subnet = subnet;
		b->bundle_ip = ip;
		subnet = NULL;
	}
	free(subnet);
	free(nets);
	b->net_present = 1;
	bottle_op_next(b);
}

static void bottle_on_network(struct bottle *b, const struct proc_result *r)
{
	if (!bottle_ok(r) &&
	    docker_classify(bottle_err_text(r)) == DOCKER_ERR_EXISTS) {
		struct strv a = STRV_INIT;
		strv_push(&a, paths_docker());
		strv_pushv(&a,
			   (const char *const[]){"network", "inspect",
						 "--format",
						 "{{json .IPAM.Config}}"},
			   4);
		strv_pushf(&a, "bottle-%s", b->name);
		bottle_run(b, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
			   bottle_on_network_inspect);
		return;
	}
	if (!bottle_ok(r)) {
		char *e = bottle_cmd_error("docker network create", r);
		bottle_op_fail(b, "%s", e);
		free(e);
		return;
	}
	b->priv->created_net = 1;
	b->net_present = 1;
	bottle_op_next(b);
}

static void bottle_step_network(struct bottle *b)
{
	struct ipam_net n;
	struct strv a;
	char *gw, *cause = NULL;

	if (ipam_parse_cidr(b->subnet, &n, &cause) != 0) {
		bottle_op_fail(b, "network: %s", cause);
		free(cause);
		return;
	}
	gw = ipam_gateway(&n);
	a = docker_argv_network_create(b->name, b->subnet, gw);
	free(gw);
	bottle_run(b, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
		   bottle_on_network);
}

static void bottle_step_bundle(struct bottle *b);

static void bottle_on_bundle_rm_retry(struct bottle *b,
				      const struct proc_result *r)
{
	(void)r;
	bottle_step_bundle(b);
}

static void bottle_on_bundle(struct bottle *b, const struct proc_result *r)
{
	enum docker_error e = bottle_ok(r)
				  ? DOCKER_ERR_OTHER
				  : docker_classify(bottle_err_text(r));

	if (!bottle_ok(r) && e == DOCKER_ERR_EXISTS &&
	    !b->priv->conflict_retried) {
		/* a stale container of the same name: replace it once */
		struct strv a = docker_argv_bundle_rm(b->name);
		b->priv->conflict_retried = 1;
		bottle_run(b, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
			   bottle_on_bundle_rm_retry);
		return;
	}
	if (!bottle_ok(r)) {
		char *msg = bottle_cmd_error("docker run (bundle)", r);
		if (e == DOCKER_ERR_IMAGE)
			bottle_op_fail(b,
				       "bundle image %s is not available: %s",
				       b->cfg->bundle.image, msg);
		else
			bottle_op_fail(b, "%s", msg);
		free(msg);
		return;
	}
	b->priv->created_bundle = 1;
	bottle_set_str(&b->bundle_state, "running");
	bottle_op_next(b);
}

static void bottle_step_bundle(struct bottle *b)
{
	struct strv env = STRV_INIT, a;

	if (bottle_bundle_running(b) && b->priv->conflict_retried == 0 &&
	    b->net_present) {
		/* already up (idempotent re-run): keep it */
		bottle_log(b, "bundle: already running");
		bottle_op_next(b);
		return;
	}
	/* the user's bundle.env, then the bind knob (which it cannot name) */
	strv_pushv(&env, (const char *const *)b->cfg->bundle.env.v,
		   b->cfg->bundle.env.n);
	docker_bundle_env(b->cfg, &env);
	a = docker_argv_bundle_run(b->name, b->cfg->bundle.image, b->bundle_ip,
				   &env);
	strv_release(&env);
	bottle_run(b, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
		   bottle_on_bundle);
}

/* ---- up: wait for the bundle's services ------------------------------- */

/* The services reachable from outside the bundle (agent-reachable ones
 * bind a non-loopback address; loopback-bound ones can't be checked from
 * the host and are proven unreachable by the probes instead). */
static size_t bottle_health_targets(const struct bottle *b,
				    struct health_service_target *t, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < b->cfg->bundle.n_services && n < max; i++) {
		const struct config_service *s = &b->cfg->bundle.services[i];
		if (!s->agent_reachable)
			continue;
		t[n].name = s->name;
		t[n].port = s->port;
		t[n].path = s->health;
		t[n].pipelock = util_streq(s->name, b->cfg->bundle.proxy) ||
				util_streq(s->name, "pipelock");
		n++;
	}
	return n;
}

static void bottle_store_health(struct bottle *b,
				const struct health_report *rep)
{
	size_t i;

	bottle_reset_health(b);
	b->health = xcalloc(rep->n ? rep->n : 1, sizeof *b->health);
	for (i = 0; i < rep->n; i++) {
		const struct health_service_result *s = &rep->services[i];
		struct health_service_result *d = &b->health[i];
		*d = *s;
		d->name = s->name ? xstrdup(s->name) : NULL;
		d->error = s->error ? xstrdup(s->error) : NULL;
		d->pipelock_version =
		    s->pipelock_version ? xstrdup(s->pipelock_version) : NULL;
		d->pipelock_mode =
		    s->pipelock_mode ? xstrdup(s->pipelock_mode) : NULL;
	}
	b->n_health = rep->n;
	b->health_ok = rep->all_ok ? 1 : 0;
	b->kill_switch = rep->kill_switch;
	b->health_at_ms = rep->at_ms;
}

static char *bottle_health_problems(const struct health_report *rep)
{
	struct buf d = BUF_INIT;
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct health_service_result *s = &rep->services[i];
		if (s->ok)
			continue;
		buf_addf(&d, "%s%s: ", d.len ? "; " : "", s->name);
		if (s->error != NULL)
			buf_adds(&d, s->error);
		else
			buf_addf(&d, "HTTP %ld", s->http_status);
	}
	if (rep->kill_switch)
		buf_addf(&d, "%spipelock kill switch is on", d.len ? "; " : "");
	return buf_detach(&d);
}

static void bottle_wait_bundle(struct bottle *b);

/* bottle_bundle_poll_ms: 25 ms, doubling up to BOTTLE_BUNDLE_POLL_MS: a
 * bundle answers within a few tens of ms of docker run returning. */
static uint64_t bottle_bundle_poll_ms(const struct bottle *b)
{
	uint64_t ms = 25;
	unsigned i;

	for (i = 0; i < b->priv->wait_polls && ms < BOTTLE_BUNDLE_POLL_MS; i++)
		ms *= 2;
	return ms < BOTTLE_BUNDLE_POLL_MS ? ms : BOTTLE_BUNDLE_POLL_MS;
}

static void bottle_on_bundle_state(struct bottle *b,
				   const struct proc_result *r)
{
	const char *out = r->out.data ? r->out.data : "";

	if (bottle_ok(r) && strncmp(out, "running", 7) != 0) {
		char first[256];
		bottle_first_line(&r->out, first, sizeof first);
		bottle_op_fail(b,
			       "bundle container is not running (%s); see "
			       "`bottle logs %s --source bundle`",
			       first, b->name);
		return;
	}
	b->priv->wake_at = util_mono_ms() + bottle_bundle_poll_ms(b);
	b->priv->wake_fn = bottle_wait_bundle;
	bottle_rearm(b->priv->core);
}

static void bottle_on_bundle_health(const struct health_report *rep, void *data)
{
	struct bottle *b = data;
	int answered = 1;
	size_t i;

	b->priv->health_inflight = 0;
	if (b->op != BOTTLE_OP_UP || b->step != BOTTLE_STEP_BUNDLE_HEALTH)
		return;
	for (i = 0; i < rep->n; i++)
		if (!rep->services[i].ok && rep->services[i].http_status == 0)
			answered = 0;
	bottle_store_health(b, rep);
	if (answered) {
		bottle_log(b, "bundle-health: every service answers%s",
			   rep->kill_switch ? " (pipelock kill switch is on)"
					    : "");
		bottle_op_next(b);
		return;
	}
	if (util_mono_ms() >= b->priv->wait_deadline) {
		char *p = bottle_health_problems(rep);
		bottle_op_fail(b,
			       "bundle services did not answer within %d s: %s",
			       BOTTLE_BUNDLE_WAIT_MS / 1000, p);
		free(p);
		return;
	}
	if (++b->priv->wait_polls == 2 || b->priv->wait_polls % 6 == 0) {
		/* a bundle that died won't answer: say so without waiting */
		struct strv a = STRV_INIT;
		strv_push(&a, paths_docker());
		strv_pushv(&a,
			   (const char *const[]){
			       "inspect", "--format",
			       "{{.State.Status}} (exit {{.State.ExitCode}})"},
			   3);
		strv_pushf(&a, "bottle-%s-bundle", b->name);
		bottle_run(b, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
			   bottle_on_bundle_state);
		return;
	}
	b->priv->wake_at = util_mono_ms() + bottle_bundle_poll_ms(b);
	b->priv->wake_fn = bottle_wait_bundle;
	bottle_rearm(b->priv->core);
}

static void bottle_wait_bundle(struct bottle *b)
{
	struct health_service_target t[32];
	size_t n = bottle_health_targets(b, t, UTIL_NELEM(t));

	if (n == 0) {
		bottle_op_next(b);
		return;
	}
	b->priv->health_inflight = 1;
	if (health_check(b->priv->core->health, b->bundle_ip, t, n,
			 BOTTLE_BUNDLE_POLL_TIMEOUT_MS, bottle_on_bundle_health,
			 b) != 0) {
		b->priv->health_inflight = 0;
		bottle_op_fail(b,
			       "bundle-health: could not start an HTTP check");
	}
}

static void bottle_step_bundle_health(struct bottle *b)
{
	b->priv->wait_deadline = util_mono_ms() + BOTTLE_BUNDLE_WAIT_MS;
	b->priv->wait_polls = 0;
	bottle_wait_bundle(b);
}

/* ---- up: Smolfile, VM ------------------------------------------------- */

static int bottle_proxy_port(const struct config_bottle *cfg)
{
	const struct config_service *s =
	    config_service_find(cfg, cfg->bundle.proxy);

	return s != NULL ? s->port : 0;
}

static char *bottle_helper_dir(void)
{
	char *dir = paths_probe_helper_dir();
	char *bin = xasprintf("%s/bottle-probe", dir);
	int ok = access(bin, X_OK) == 0;

	free(bin);
	if (!ok) {
		free(dir);
		return NULL;
	}
	return dir;
}

static char *bottle_smolfile_path(const struct bottle *b)
{
	char *dir = state_bottle_dir(b->priv->core->state_dir, b->name);
	char *path = xasprintf("%s/Smolfile", dir);

	free(dir);
	return path;
}

static void bottle_step_smolfile(struct bottle *b)
{
	struct smolfile_in in;
	char *text = NULL, *cause = NULL, *helper;
	size_t i;

	for (i = 0; i < b->cfg->vm.volumes.n; i++) {
		const char *v = b->cfg->vm.volumes.v[i];
		const char *colon = strchr(v, ':');
		char *host =
		    xstrndup(v, colon ? (size_t)(colon - v) : strlen(v));
		struct stat st;
		int ok = stat(host, &st) == 0 && S_ISDIR(st.st_mode);
		if (!ok) {
			bottle_op_fail(b,
				       "bottles.%s.vm.volumes[%zu]: host "
				       "directory %s does not exist",
				       b->name, i, host);
			free(host);
			return;
		}
		free(host);
	}
	helper = bottle_helper_dir();
	memset(&in, 0, sizeof in);
	in.vm = &b->cfg->vm;
	in.bundle_ip = b->bundle_ip;
	in.proxy_port = bottle_proxy_port(b->cfg);
	in.helper_dir = helper;
	if (smolfile_render(&in, &text, &cause) != 0) {
		bottle_op_fail(b, "%s", cause);
		free(cause);
		free(helper);
		return;
	}
	free(helper);
	if (state_write_bottle_file(b->priv->core->state_dir, b->name,
				    "Smolfile", text, strlen(text),
				    &cause) != 0) {
		bottle_op_fail(b, "%s", cause);
		free(cause);
		free(text);
		return;
	}
	free(text);
	bottle_log(b, "smolfile: written; allow_cidrs = [\"%s/32\"]",
		   b->bundle_ip);
	bottle_op_next(b);
}

static void bottle_step_vm_create(struct bottle *b);

static void bottle_on_vm_recreate(struct bottle *b, const struct proc_result *r)
{
	(void)r;
	bottle_step_vm_create(b);
}

static void bottle_on_vm_create(struct bottle *b, const struct proc_result *r)
{
	struct bottle_core *core = b->priv->core;

	if (!bottle_ok(r) &&
	    smolvm_classify(bottle_err_text(r)) == SMOLVM_ERR_ALREADY_EXISTS) {
		if (bottle_vm_running(b)) {
			/* running already (idempotent re-run): prove it */
			bottle_log(b, "vm-create: machine exists and runs; "
				      "probing it as it is");
			b->step = BOTTLE_STEP_VM_START;
			bottle_op_next(b);
			return;
		}
		if (!b->priv->create_retried) {
			/* stopped with an older Smolfile: recreate it, so the
			 * allowlist is the one just rendered */
			struct strv a =
			    smolvm_argv_delete(bottle_cli(core), b->name);
			b->priv->create_retried = 1;
			bottle_run(b, &a,
				   bottle_timeout(BOTTLE_SMOLVM_TIMEOUT_MS, 1),
				   bottle_on_vm_recreate);
			return;
		}
	}
	if (!bottle_ok(r)) {
		char *e = bottle_cmd_error("smolvm machine create", r);
		bottle_op_fail(b, "%s", e);
		free(e);
		return;
	}
	b->priv->created_vm = 1;
	bottle_set_str(&b->vm_state, "created");
	bottle_op_next(b);
}

static void bottle_step_vm_create(struct bottle *b)
{
	char *path = bottle_smolfile_path(b);
	struct smolvm_create_opts co = {0};
	struct strv a;

	co.smolfile = path;
	/* virtio-net forwards every guest DNS query upstream, ungated by
	 * the allowlist, unless --dns names the resolver: the bundle */
	co.dns = b->bundle_ip;
	a = smolvm_argv_create(bottle_cli(b->priv->core), b->name, &co);

	free(path);
	bottle_run(b, &a, bottle_timeout(BOTTLE_SMOLVM_TIMEOUT_MS, 1),
		   bottle_on_vm_create);
}

static void bottle_on_vm_start(struct bottle *b, const struct proc_result *r)
{
	if (!bottle_ok(r)) {
		char *e = bottle_cmd_error("smolvm machine start", r);
		bottle_op_fail(b, "%s", e);
		free(e);
		return;
	}
	bottle_set_str(&b->vm_state, "running");
	b->up_since_ms = util_wall_ms();
	bottle_op_next(b);
}

static void bottle_step_vm_start(struct bottle *b)
{
	struct strv a =
	    smolvm_argv_start(bottle_cli(b->priv->core), b->name, NULL);

	bottle_run(b, &a, bottle_timeout(BOTTLE_START_TIMEOUT_MS, 1),
		   bottle_on_vm_start);
}

/* ---- down ------------------------------------------------------------- */

static void bottle_on_down_cmd(struct bottle *b, const struct proc_result *r,
			       const char *what, int not_found)
{
	if (!bottle_ok(r) && !not_found) {
		char *e = bottle_cmd_error(what, r);
		bottle_op_fail(b, "%s", e);
		free(e);
		return;
	}
	bottle_op_next(b);
}

static void bottle_on_vm_stop(struct bottle *b, const struct proc_result *r)
{
	int nf = smolvm_classify(bottle_err_text(r)) == SMOLVM_ERR_NOT_FOUND;

	if (bottle_ok(r) || nf) {
		bottle_set_str(&b->vm_state, b->vm_state ? "stopped" : NULL);
		bottle_reset_probes(b);
		b->up_since_ms = 0;
	}
	bottle_on_down_cmd(b, r, "smolvm machine stop", nf);
}

static void bottle_step_vm_stop(struct bottle *b)
{
	struct strv a = smolvm_argv_stop(bottle_cli(b->priv->core), b->name);

	bottle_run(b, &a, bottle_timeout(BOTTLE_SMOLVM_TIMEOUT_MS, 1),
		   bottle_on_vm_stop);
}

static void bottle_on_vm_delete(struct bottle *b, const struct proc_result *r)
{
	int nf = smolvm_classify(bottle_err_text(r)) == SMOLVM_ERR_NOT_FOUND;

	if (bottle_ok(r) || nf)
		bottle_set_str(&b->vm_state, NULL);
	bottle_on_down_cmd(b, r, "smolvm machine delete", nf);
}

static void bottle_step_vm_delete(struct bottle *b)
{
	struct strv a = smolvm_argv_delete(bottle_cli(b->priv->core), b->name);

	bottle_run(b, &a, bottle_timeout(BOTTLE_SMOLVM_TIMEOUT_MS, 1),
		   bottle_on_vm_delete);
}

static void bottle_on_bundle_rm(struct bottle *b, const struct proc_result *r)
{
	int nf = docker_classify(bottle_err_text(r)) == DOCKER_ERR_NOT_FOUND;

	if (bottle_ok(r) || nf) {
		bottle_set_str(&b->bundle_state, NULL);
		bottle_reset_health(b);
	}
	bottle_on_down_cmd(b, r, "docker rm (bundle)", nf);
}

static void bottle_step_bundle_rm(struct bottle *b)
{
	struct strv a = docker_argv_bundle_rm(b->name);

	bottle_run(b, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
		   bottle_on_bundle_rm);
}

static void bottle_on_network_rm(struct bottle *b, const struct proc_result *r)
{
	int nf = docker_classify(bottle_err_text(r)) == DOCKER_ERR_NOT_FOUND;

	if (bottle_ok(r) || nf)
		b->net_present = 0;
	bottle_on_down_cmd(b, r, "docker network rm", nf);
}

static void bottle_step_network_rm(struct bottle *b)
{
	struct strv a = docker_argv_network_rm(b->name);

	bottle_run(b, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
		   bottle_on_network_rm);
}

static void bottle_step_forget(struct bottle *b)
{
	struct bottle_persist_ctx c = {b->name, NULL, NULL, NULL, NULL, 1};
	char *cause = NULL;

	if (state_update(b->priv->core->state_dir, bottle_persist_fn, &c,
			 &cause) != 0) {
		bottle_op_fail(b, "%s", cause);
		free(cause);
		return;
	}
	bottle_set_str(&b->subnet, NULL);
	bottle_set_str(&b->bundle_ip, NULL);
	bottle_log(b, "forget: subnet allocation released");
	bottle_op_next(b);
}

/* ---- probe results on disk: NAME/probes.json ------------------------- */

/* The latest probe results are kept in the bottle's directory, so that
 * `bottle status` in another process shows what the dashboard proved. */
static void bottle_save_probes(struct bottle *b)
{
	cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
	char *text, *cause = NULL;
	size_t i;

	cJSON_AddNumberToObject(root, "at_ms", (double)b->probes_at_ms);
	for (i = 0; i < PROBE_COUNT; i++) {
		const struct probe_result *r = &b->probes[i];
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "probe",
					probe_name((enum probe_id)i));
		cJSON_AddNumberToObject(e, "verdict", (double)r->verdict);
		if (r->detail != NULL)
			cJSON_AddStringToObject(e, "detail", r->detail);
		if (r->method != NULL)
			cJSON_AddStringToObject(e, "method", r->method);
		cJSON_AddNumberToObject(e, "latency_ms", (double)r->latency_ms);
		cJSON_AddNumberToObject(e, "at_ms", (double)r->at_ms);
		cJSON_AddItemToArray(arr, e);
	}
	cJSON_AddItemToObject(root, "probes", arr);
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (state_write_bottle_file(b->priv->core->state_dir, b->name,
				    "probes.json", text, strlen(text),
				    &cause) != 0) {
		bottle_log(b, "could not save probe results: %s", cause);
		free(cause);
	}
	cJSON_free(text);
}

static void bottle_load_probes(struct bottle *b)
{
	char *dir = state_bottle_dir(b->priv->core->state_dir, b->name);
	char *path = xasprintf("%s/probes.json", dir), *text = NULL;
	size_t len = 0, i;
	cJSON *root, *arr, *e;

	free(dir);
	if (util_read_file(path, &text, &len, NULL) != 0) {
		free(path);
		return;
	}
	free(path);
	root = cJSON_ParseWithLength(text, len);
	free(text);
	arr = cJSON_GetObjectItemCaseSensitive(root, "probes");
	for (i = 0; cJSON_IsArray(arr) && i < PROBE_COUNT; i++) {
		const cJSON *v, *d, *m;
		e = cJSON_GetArrayItem(arr, (int)i);
		v = cJSON_GetObjectItemCaseSensitive(e, "verdict");
		d = cJSON_GetObjectItemCaseSensitive(e, "detail");
		m = cJSON_GetObjectItemCaseSensitive(e, "method");
		if (!cJSON_IsNumber(v) || v->valuedouble < PROBE_NONE ||
		    v->valuedouble > PROBE_SKIP)
			continue;
		b->probes[i].verdict = (enum probe_verdict)v->valueint;
		b->probes[i].detail =
		    cJSON_IsString(d) ? xstrdup(d->valuestring) : NULL;
		b->probes[i].method =
		    cJSON_IsString(m) ? xstrdup(m->valuestring) : NULL;
		v = cJSON_GetObjectItemCaseSensitive(e, "latency_ms");
		b->probes[i].latency_ms =
		    cJSON_IsNumber(v) ? (uint64_t)v->valuedouble : 0;
		v = cJSON_GetObjectItemCaseSensitive(e, "at_ms");
		b->probes[i].at_ms =
		    cJSON_IsNumber(v) ? (uint64_t)v->valuedouble : 0;
	}
	e = cJSON_GetObjectItemCaseSensitive(root, "at_ms");
	if (cJSON_IsNumber(e))
		b->probes_at_ms = (uint64_t)e->valuedouble;
	cJSON_Delete(root);
}

/* ---- probes ----------------------------------------------------------- */

static void bottle_schedule_probe(struct bottle *b)
{
	const struct bottle_core *core = b->priv->core;
	uint64_t base, jitter;
	unsigned shift = b->priv->backoff > 3 ? 3 : b->priv->backoff;

	if (core->opts.no_timers || b->cfg == NULL)
		return;
	base = 1000ull * (uint64_t)b->cfg->probe_interval_s << shift;
	jitter = base / 10;
	b->priv->next_probe = util_mono_ms() + base - jitter +
			      (jitter ? (uint64_t)rand() % (2 * jitter) : 0);
}

static char *bottle_probe_summary(const struct probe_report *rep)
{
	struct buf d = BUF_INIT;
	size_t i;

	for (i = 0; i < PROBE_COUNT; i++) {
		const struct probe_result *r = &rep->r[i];
		if (r->verdict == PROBE_PASS || r->verdict == PROBE_SKIP ||
		    r->verdict == PROBE_WARN)
			continue;
		buf_addf(&d, "%s%s %s", d.len ? "; " : "",
			 probe_name((enum probe_id)i),
			 probe_verdict_name(r->verdict));
		if (r->detail != NULL)
			buf_addf(&d, " (%s)", r->detail);
	}
	return buf_detach(&d);
}

static void bottle_on_probe_command(const char *const *argv,
				    const struct proc_result *r, void *data)
{
	struct bottle *b = data;
	struct strv a = STRV_INIT;
	size_t n = 0;

	while (argv[n] != NULL)
		n++;
	strv_pushv(&a, argv, n);
	bottle_record(b, &a, r);
	strv_release(&a);
}

static void bottle_probe_finish(struct bottle *b);

static void bottle_on_unsafe_stop(struct bottle *b, const struct proc_result *r)
{
	char *msg;

	if (bottle_ok(r)) {
		bottle_set_str(&b->vm_state, "stopped");
		msg = xasprintf("isolation disproven (%s); the VM was stopped "
				"(on_unsafe is \"stop\")",
				b->priv->probe_summary);
	} else {
		char *e = bottle_cmd_error("smolvm machine stop", r);
		msg = xasprintf("isolation disproven (%s); stopping the VM "
				"failed: %s",
				b->priv->probe_summary, e);
		free(e);
	}
	bottle_log(b, "on_unsafe: %s", msg);
	/* the error keeps the bottle red once the VM is gone */
	bottle_set_str(&b->error, msg);
	if (b->op == BOTTLE_OP_NONE)
		bottle_persist(b, "failed", msg);
	free(msg);
	bottle_probe_finish(b);
}

static void bottle_on_probe_done(struct probe_run *run,
				 const struct probe_report *rep, void *data)
{
	struct bottle *b = data;
	struct bottle_core *core = b->priv->core;
	size_t i;
	int unknown = 0;

	(void)run;
	b->priv->probe_run = NULL;
	b->probing = 0;
	bottle_core_unref(core);
	if (core->closing)
		return;
	for (i = 0; i < PROBE_COUNT; i++) {
		probe_result_release(&b->probes[i]);
		probe_result_copy(&b->probes[i], &rep->r[i]);
		if (rep->r[i].verdict == PROBE_UNKNOWN)
			unknown = 1;
		bottle_log(b, "probe %s: %s%s%s", probe_name((enum probe_id)i),
			   probe_verdict_name(rep->r[i].verdict),
			   rep->r[i].detail ? " " : "",
			   rep->r[i].detail ? rep->r[i].detail : "");
	}
	b->probes_at_ms = util_wall_ms();
	bottle_save_probes(b);
	b->priv->backoff = unknown ? b->priv->backoff + 1 : 0;
	bottle_schedule_probe(b);
	free(b->priv->probe_summary);
	b->priv->probe_summary =
	    rep->all_pass ? NULL : bottle_probe_summary(rep);
	if (rep->any_fail && b->cfg != NULL &&
	    b->cfg->on_unsafe == CONFIG_ON_UNSAFE_STOP) {
		struct strv a = smolvm_argv_stop(bottle_cli(core), b->name);
		bottle_log(b, "on_unsafe is \"stop\": stopping the VM");
		bottle_run(b, &a, bottle_timeout(BOTTLE_SMOLVM_TIMEOUT_MS, 1),
			   bottle_on_unsafe_stop);
		return;
	}
	bottle_probe_finish(b);
}

/* bottle_probe_finish: report a completed probe run (after on_unsafe). */
static void bottle_probe_finish(struct bottle *b)
{
	struct bottle_core *core = b->priv->core;
	const char *summary = b->priv->probe_summary;

	bottle_waiters_fire(core, &b->priv->probe_waiters, b, summary);
	if (b->op == BOTTLE_OP_UP && b->step == BOTTLE_STEP_PROBE) {
		if (summary != NULL) {
			/* the bottle is up but not proven: report, keep it */
			char *msg =
			    xasprintf("isolation not proven: %s", summary);
			bottle_finish(b, msg, 0);
			free(msg);
		} else {
			bottle_op_next(b);
		}
	}
	bottle_rearm(core);
	bottle_emit(core, b, BOTTLE_EV_CHANGED, NULL);
}

/* bottle_probe_start: one probe run for b (which must be running). */
static int bottle_probe_start(struct bottle *b, char **cause)
{
	struct bottle_core *core = b->priv->core;
	struct probe_port closed[32];
	const char **others;
	struct probe_target t;
	char machine[64], *helper_guest = NULL;
	size_t i, n_closed = 0, n_others = 0;

	if (b->cfg == NULL || b->bundle_ip == NULL)
		return util_fail(cause, "bottle %s is not configured and up",
				 b->name);
	for (i = 0; i < b->cfg->bundle.n_services && n_closed < 32; i++) {
		const struct config_service *s = &b->cfg->bundle.services[i];
		if (s->agent_reachable)
			continue;
		closed[n_closed].service = s->name;
		closed[n_closed].port = s->port;
		n_closed++;
	}
	others = xcalloc(core->n + 1, sizeof *others);
	for (i = 0; i < core->n; i++) {
		struct bottle *o = core->v[i];
		if (o != b && o->bundle_ip != NULL && bottle_bundle_running(o))
			others[n_others++] = o->bundle_ip;
	}
	{
		char *dir = bottle_helper_dir();
		if (dir != NULL)
			helper_guest =
			    xstrdup(SMOLFILE_HELPER_GUEST "/bottle-probe");
		free(dir);
	}
	bottle_machine(b, machine, sizeof machine);
	memset(&t, 0, sizeof t);
	t.cli = bottle_cli(core);
	t.env = (const char *const *)core->env.smolvm_env.v;
	t.name = b->name;
	t.dns_name = b->cfg->dns_name;
	t.bundle_ip = b->bundle_ip;
	t.proxy_port = bottle_proxy_port(b->cfg);
	t.closed = closed;
	t.n_closed = n_closed;
	t.others = others;
	t.n_others = n_others;
	t.resolver = b->cfg->resolver;
	t.timeout_s = b->cfg->probe_timeout_s;
	t.helper = helper_guest;
	t.canary = core->canary;
	b->probing = 1;
	core->refs++;
	b->priv->probe_run = probe_run_start(
	    core->loop, &t, bottle_on_probe_command, bottle_on_probe_done, b);
	free(others);
	free(helper_guest);
	bottle_emit(core, b, BOTTLE_EV_CHANGED, NULL);
	return 0;
}

static void bottle_step_probe(struct bottle *b)
{
	char *cause = NULL;

	if (bottle_probe_start(b, &cause) != 0) {
		bottle_op_fail(b, "%s", cause);
		free(cause);
	}
}

int bottle_probe(struct bottle_core *core, struct bottle *b,
		 bottle_done_cb done, void *data, char **cause)
{
	if (core->closing)
		return util_fail(cause, "shutting down");
	if (b->op != BOTTLE_OP_NONE)
		return util_fail(cause, "bottle %s is busy: %s in progress",
				 b->name, bottle_op_name(b->op));
	if (!bottle_vm_running(b))
		return util_fail(cause,
				 "bottle %s: the VM is not running "
				 "(state: %s)",
				 b->name, b->vm_state ? b->vm_state : "absent");
	bottle_waiters_add(&b->priv->probe_waiters, done, data);
	if (b->probing)
		return 0; /* joins the run in flight: no overlap */
	if (bottle_probe_start(b, cause) != 0) {
		struct bottle_waiter *w = b->priv->probe_waiters;
		b->priv->probe_waiters = NULL;
		while (w != NULL) {
			struct bottle_waiter *next = w->next;
			free(w);
			w = next;
		}
		return -1;
	}
	return 0;
}

/* ---- periodic health -------------------------------------------------- */

static void bottle_on_periodic_health(const struct health_report *rep,
				      void *data)
{
	struct bottle *b = data;
	int before = b->health_ok, ks = b->kill_switch;

	b->priv->health_inflight = 0;
	if (b->op != BOTTLE_OP_NONE) {
		bottle_waiters_fire(b->priv->core, &b->priv->health_waiters, b,
				    NULL);
		return;
	}
	bottle_store_health(b, rep);
	if (before != b->health_ok || ks != b->kill_switch) {
		char *p = bottle_health_problems(rep);
		bottle_log(b, "health: %s", p[0] ? p : "every service answers");
		free(p);
	}
	bottle_waiters_fire(b->priv->core, &b->priv->health_waiters, b, NULL);
	bottle_emit(b->priv->core, b, BOTTLE_EV_CHANGED, NULL);
}

int bottle_health_now(struct bottle_core *core, struct bottle *b,
		      bottle_done_cb done, void *data, char **cause)
{
	struct health_service_target t[32];
	size_t n;

	if (core->closing || b->cfg == NULL || b->bundle_ip == NULL ||
	    !bottle_bundle_running(b))
		return util_fail(cause, "bottle %s: no running bundle",
				 b->name);
	n = bottle_health_targets(b, t, UTIL_NELEM(t));
	if (n == 0)
		return util_fail(cause, "bottle %s: no service to check",
				 b->name);
	bottle_waiters_add(&b->priv->health_waiters, done, data);
	if (b->priv->health_inflight)
		return 0;
	b->priv->health_inflight = 1;
	if (health_check(core->health, b->bundle_ip, t, n,
			 BOTTLE_HEALTH_TIMEOUT_MS, bottle_on_periodic_health,
			 b) != 0) {
		b->priv->health_inflight = 0;
		bottle_waiters_drop(&b->priv->health_waiters);
		return util_fail(
		    cause, "bottle %s: could not start an HTTP check", b->name);
	}
	return 0;
}

static void bottle_health_start(struct bottle *b)
{
	struct health_service_target t[32];
	size_t n;

	if (b->cfg == NULL || b->bundle_ip == NULL || b->priv->health_inflight)
		return;
	n = bottle_health_targets(b, t, UTIL_NELEM(t));
	if (n == 0)
		return;
	b->priv->health_inflight = 1;
	if (health_check(b->priv->core->health, b->bundle_ip, t, n,
			 BOTTLE_HEALTH_TIMEOUT_MS, bottle_on_periodic_health,
			 b) != 0)
		b->priv->health_inflight = 0;
}

/* ---- the one timer ---------------------------------------------------- */

/* bottle_periodic: whether b's periodic health checks and probes apply
 * now. bottle_on_timer and bottle_rearm must agree on it: a due time that
 * is never acted on would make the timer fire in a loop. */
static int bottle_periodic(const struct bottle_core *core,
			   const struct bottle *b)
{
	return !core->opts.no_timers && b->op == BOTTLE_OP_NONE &&
	       b->cfg != NULL;
}

static void bottle_on_timer(uv_timer_t *t)
{
	struct bottle_core *core = t->data;
	uint64_t now = util_mono_ms();
	size_t i;

	if (core->closing)
		return;
	if (core->next_refresh != 0 && now >= core->next_refresh) {
		core->next_refresh = 0;
		bottle_core_refresh(core, NULL, NULL);
		if (!core->opts.no_timers) {
			int fast = core->env.docker_ok != 1;
			for (i = 0; i < core->n; i++)
				if (core->v[i]->op != BOTTLE_OP_NONE)
					fast = 1;
			core->next_refresh =
			    now +
			    (fast ? BOTTLE_REFRESH_FAST_MS : BOTTLE_REFRESH_MS);
		}
	}
	for (i = 0; i < core->n; i++) {
		struct bottle *b = core->v[i];
		struct bottle_priv *p = b->priv;
		int up = bottle_vm_running(b) && bottle_bundle_running(b);

		if (p->wake_at != 0 && now >= p->wake_at) {
			void (*fn)(struct bottle *) = p->wake_fn;
			p->wake_at = 0;
			p->wake_fn = NULL;
			if (fn != NULL)
				fn(b);
		}
		if (!bottle_periodic(core, b))
			continue;
		if (bottle_bundle_running(b)) {
			if (p->next_health == 0 || now >= p->next_health) {
				bottle_health_start(b);
				p->next_health =
				    now +
				    1000ull *
					(uint64_t)b->cfg->health_interval_s;
			}
		} else {
			p->next_health = 0;
		}
		if (up) {
			if (p->next_probe == 0 && b->probes_at_ms == 0)
				p->next_probe = now + 500; /* prove it soon */
			else if (p->next_probe == 0)
				bottle_schedule_probe(b);
			if (p->next_probe != 0 && now >= p->next_probe &&
			    !b->probing) {
				char *cause = NULL;
				p->next_probe = 0;
				if (bottle_probe_start(b, &cause) != 0)
					free(cause);
			}
		} else {
			p->next_probe = 0;
		}
	}
	bottle_rearm(core);
}

static void bottle_rearm(struct bottle_core *core)
{
	uint64_t now = util_mono_ms(), due = UINT64_MAX;
	size_t i;

	if (core->closing)
		return;
	if (core->next_refresh != 0)
		due = core->next_refresh;
	for (i = 0; i < core->n; i++) {
		const struct bottle *b = core->v[i];
		const struct bottle_priv *p = b->priv;
		uint64_t t;

		if (p->wake_at != 0 && p->wake_at < due)
			due = p->wake_at;
		if (!bottle_periodic(core, b))
			continue;
		if (bottle_bundle_running(b)) {
			t = p->next_health == 0 ? now : p->next_health;
			if (t < due)
				due = t;
		}
		if (bottle_vm_running(b) && bottle_bundle_running(b) &&
		    !b->probing) {
			t = p->next_probe == 0 ? now + 500 : p->next_probe;
			if (t < due)
				due = t;
		}
	}
	if (due == UINT64_MAX) {
		uv_timer_stop(&core->timer);
		return;
	}
	uv_timer_start(&core->timer, bottle_on_timer, due > now ? due - now : 0,
		       0);
}

/* ---- log tails ---------------------------------------------------------- */

static void bottle_on_tail_line(struct tail *t, const struct tail_line *l,
				void *data)
{
	struct bottle *b = data;

	(void)t;
	(void)l;
	bottle_emit(b->priv->core, b, BOTTLE_EV_LOG, NULL);
}

static struct logbuf *bottle_tail_ring(struct bottle *b, enum tail_source src)
{
	switch (src) {
	case TAIL_BUNDLE:
		return b->log_bundle;
	case TAIL_VM:
		return b->log_vm;
	case TAIL_EGRESS:
		return b->log_egress;
	case TAIL_EVENTS:
		break;
	}
	return b->log_events;
}

static void bottle_on_tail_status(struct tail *t, int error, const char *msg,
				  void *data)
{
	struct bottle *b = data;
	struct logbuf *lb = b->log_events;
	size_t i;

	for (i = 0; i < TAIL_SOURCE_COUNT; i++)
		if (b->priv->tails[i] == t)
			lb = bottle_tail_ring(b, (enum tail_source)i);
	logbuf_push(lb, util_wall_ms(), error ? LOGBUF_HIGHLIGHT : 0, msg,
		    strlen(msg));
	bottle_emit(b->priv->core, b, BOTTLE_EV_LOG, NULL);
}

void bottle_logs_open(struct bottle_core *core, struct bottle *b)
{
	size_t i;

	if (core->closing || b->logs_open)
		return;
	b->logs_open = 1;
	for (i = 0; i < TAIL_SOURCE_COUNT; i++) {
		enum tail_source src = (enum tail_source)i;
		struct tail_opts o;
		char *cause = NULL;

		memset(&o, 0, sizeof o);
		o.source = src;
		o.name = b->name;
		o.state_dir = core->state_dir;
		o.smolvm = bottle_cli(core);
		o.smolvm_env = (const char *const *)core->env.smolvm_env.v;
		o.backlog = 200;
		o.mode = TAIL_FOLLOW;
		o.lb = bottle_tail_ring(b, src);
		o.on_line = bottle_on_tail_line;
		o.on_status = bottle_on_tail_status;
		o.data = b;
		if (src == TAIL_EVENTS)
			logbuf_clear(b->log_events); /* the file has it all */
		if (tail_start(core->loop, &o, &b->priv->tails[i], &cause) !=
		    0) {
			logbuf_push(o.lb, util_wall_ms(), LOGBUF_HIGHLIGHT,
				    cause, strlen(cause));
			free(cause);
			b->priv->tails[i] = NULL;
		}
	}
}

void bottle_logs_close(struct bottle_core *core, struct bottle *b)
{
	size_t i;

	(void)core;
	for (i = 0; i < TAIL_SOURCE_COUNT; i++) {
		if (b->priv->tails[i] != NULL)
			tail_close(b->priv->tails[i]);
		b->priv->tails[i] = NULL;
	}
	b->logs_open = 0;
}

/* ---- exec for the dashboard ------------------------------------------- */

struct bottle_exec {
	struct bottle *b;
	bottle_done_cb done;
	void *data;
	struct strv argv;
};

static void bottle_on_exec_line(struct proc *p, int fd, const char *line,
				size_t len, void *data)
{
	struct bottle_exec *x = data;

	(void)p;
	if (x->b->priv->core->closing)
		return;
	logbuf_push_sanitized(x->b->log_exec, util_wall_ms(),
			      fd == 2 ? LOGBUF_STDERR : 0, line, len, NULL);
	bottle_emit(x->b->priv->core, x->b, BOTTLE_EV_LOG, NULL);
}

static void bottle_on_exec_exit(struct proc *p, const struct proc_result *r,
				void *data)
{
	struct bottle_exec *x = data;
	struct bottle *b = x->b;
	struct bottle_core *core = b->priv->core;
	char *err = NULL, *line;

	bottle_live_remove(core, p);
	if (!core->closing) {
		bottle_record(b, &x->argv, r);
		if (r->exited && r->exit_status == 1 &&
		    smolvm_is_own_error(bottle_err_text(r)))
			err = bottle_cmd_error("smolvm machine exec", r);
		else if (!r->exited || r->spawn_error != 0)
			err = bottle_cmd_error("smolvm machine exec", r);
		if (err != NULL)
			line = xasprintf("[bottle could not run it: %s]", err);
		else if (r->timed_out || (r->exited && r->exit_status == 124))
			line = xasprintf("[timed out: exit 124]");
		else
			line = xasprintf("[exit %d]", r->exit_status);
		logbuf_push_sanitized(b->log_exec, util_wall_ms(),
				      LOGBUF_HIGHLIGHT, line, strlen(line),
				      NULL);
		free(line);
		if (x->done != NULL)
			x->done(core, b, err, x->data);
		bottle_emit(core, b, BOTTLE_EV_LOG, NULL);
	}
	free(err);
	strv_release(&x->argv);
	free(x);
	bottle_core_unref(core);
}

int bottle_exec_capture(struct bottle_core *core, struct bottle *b,
			const char *const *argv, bottle_done_cb done,
			void *data, char **cause)
{
	struct bottle_exec *x;
	struct proc_opts o;
	char *shown;

	if (core->closing)
		return util_fail(cause, "shutting down");
	if (core->opts.read_only)
		return util_fail(cause, "read-only mode: exec refused");
	if (argv == NULL || argv[0] == NULL)
		return util_fail(cause, "exec: empty command");
	x = xcalloc(1, sizeof *x);
	x->b = b;
	x->done = done;
	x->data = data;
	{
		/* --stream: output reaches the exec pane as it is printed */
		struct smolvm_exec_opts eo;
		memset(&eo, 0, sizeof eo);
		eo.stream = 1;
		x->argv =
		    smolvm_argv_exec(bottle_cli(core), b->name, &eo, argv);
	}
	shown = util_argv_display(argv);
	{
		char *head = xasprintf("$ %s", shown);
		logbuf_push_sanitized(b->log_exec, util_wall_ms(),
				      LOGBUF_HIGHLIGHT, head, strlen(head),
				      NULL);
		free(head);
	}
	free(shown);
	memset(&o, 0, sizeof o);
	o.argv = (const char *const *)x->argv.v;
	o.timeout_ms = BOTTLE_EXEC_TIMEOUT_MS;
	o.capture = 1;
	o.max_capture = 64 * 1024;
	o.on_line = bottle_on_exec_line;
	o.on_exit = bottle_on_exec_exit;
	o.data = x;
	core->refs++;
	bottle_live_add(core, proc_spawn(core->loop, &o));
	return 0;
}

/* ---- detection: docker and smolvm ------------------------------------- */

static char *bottle_which(const char *prog)
{
	const char *path = getenv("PATH");
	const char *p, *e;

	if (strchr(prog, '/') != NULL)
		return access(prog, X_OK) == 0 ? xstrdup(prog) : NULL;
	for (p = path ? path : "/usr/bin:/bin"; *p != '\0'; p = e) {
		char *cand;
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		cand = xasprintf("%.*s/%s", (int)(e - p), p, prog);
		if (e > p && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (*e == ':')
			e++;
	}
	return NULL;
}

static void bottle_detect_done(struct bottle_core *core);

static void bottle_on_docker_version(struct bottle_core *core,
				     const struct proc_result *r, void *data)
{
	char *v = NULL, *cause = NULL;

	(void)data;
	if (r->out.len > 0 &&
	    docker_parse_version(r->out.data, r->out.len, &v, &cause) == 0) {
		core->env.docker_ok = 1;
		free(core->env.docker_version);
		core->env.docker_version = v;
		bottle_set_str(&core->env.docker_error, NULL);
	} else {
		char *e = bottle_docker_down(r);
		core->env.docker_ok = 0;
		free(core->env.docker_error);
		core->env.docker_error = e;
	}
	free(cause);
	bottle_detect_done(core);
}

static void bottle_on_smolvm_version(struct bottle_core *core,
				     const struct proc_result *r, void *data)
{
	char *cause = NULL;
	const char *out = r->out.data ? r->out.data : "";

	(void)data;
	if (bottle_ok(r) &&
	    smolvm_cli_init(&core->env.smolvm, core->env.smolvm_path, out,
			    core->allow_newer, &cause) == 0) {
		size_t n = strcspn(out, "\r\n");
		core->env.smolvm_ok = 1;
		free(core->env.smolvm_version);
		core->env.smolvm_version = xstrndup(out, n);
		bottle_set_str(&core->env.smolvm_error, NULL);
		strv_release(&core->env.smolvm_env);
		smolvm_env(&core->env.smolvm, core->env.simulated, 0,
			   &core->env.smolvm_env);
	} else {
		char *e;
		if (cause != NULL)
			e = xstrdup(cause);
		else if (r->spawn_error != 0)
			e = xasprintf(
			    "smolvm: %s could not be run (%s); install "
			    "smolvm " SMOLVM_NEWEST_KNOWN
			    " or set \"vmm\": \"sim\"",
			    core->env.smolvm_path, uv_strerror(r->spawn_error));
		else
			e = bottle_cmd_error("smolvm --version", r);
		core->env.smolvm_ok = 0;
		free(core->env.smolvm_error);
		core->env.smolvm_error = e;
	}
	free(cause);
	bottle_detect_done(core);
}

static void bottle_choose_vmm_path(struct bottle_core *core);

/* bottle_choose_vmm: which smolvm, and the environment it gets until its
 * version is known (then smolvm_env adds what the release supports). */
static void bottle_choose_vmm(struct bottle_core *core)
{
	bottle_choose_vmm_path(core);
	strv_release(&core->env.smolvm_env);
	smolvm_env(bottle_cli(core), core->env.simulated, 0,
		   &core->env.smolvm_env);
}

static void bottle_choose_vmm_path(struct bottle_core *core)
{
	char *found;

	free(core->env.smolvm_path);
	core->env.smolvm_path = NULL;
	core->env.simulated = 0;
	if (core->vmm == CONFIG_VMM_SIM) {
		core->env.smolvm_path = paths_sim();
		core->env.simulated = 1;
		return;
	}
	found = bottle_which(paths_smolvm());
	if (found != NULL || core->vmm == CONFIG_VMM_SMOLVM) {
		core->env.smolvm_path = found ? found : xstrdup(paths_smolvm());
		return;
	}
	core->env.smolvm_path = paths_sim();
	core->env.simulated = 1;
	bottle_emit(core, NULL, BOTTLE_EV_MESSAGE,
		    "smolvm not found: using the SIMULATOR (vmm \"auto\"); it "
		    "enforces the network allowlist with netfilter but it is "
		    "not a VM");
}

static void bottle_detect_done(struct bottle_core *core)
{
	if (--core->detect_left > 0)
		return;
	/* both version checks and the first refresh are in */
	bottle_emit(core, NULL, BOTTLE_EV_CHANGED, NULL);
	bottle_waiters_fire(core, &core->start_waiters, NULL, NULL);
	if (!core->opts.no_timers) {
		int fast = core->env.docker_ok != 1 || !core->parts_known;
		core->next_refresh =
		    util_mono_ms() +
		    (fast ? BOTTLE_REFRESH_FAST_MS : BOTTLE_REFRESH_MS);
		bottle_rearm(core);
	}
}

static void bottle_docker_version_start(struct bottle_core *core)
{
	struct strv a = docker_argv_version();

	bottle_core_run(core, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
			bottle_on_docker_version, NULL);
}

static void bottle_on_first_refresh(struct bottle_core *core, struct bottle *b,
				    const char *error, void *data)
{
	(void)b;
	(void)error;
	(void)data;
	if (core->opts.docker_check == BOTTLE_DOCKER_CHECK_ON_FAILURE &&
	    core->env.docker_ok == -1 && !core->closing) {
		/* docker ps failed, not for a reason the refresh could name:
		 * `docker version` says why */
		bottle_docker_version_start(core);
		return;
	}
	bottle_detect_done(core);
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
		    bottle_find_or_discover(core, s->bottles[i].name);
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
		bottle_load_probes(core->v[i]);
	state_free(s);
	uv_timer_init(loop, &core->timer);
	core->timer.data = core;
	core->refs = 1; /* the timer */
	core->health = health_new(loop);
	bottle_choose_vmm(core);
	*out = core;
	return 0;
}

void bottle_core_set_listener(struct bottle_core *core, bottle_listener fn,
			      void *data)
{
	core->listener = fn;
	core->ldata = data;
}

void bottle_core_start(struct bottle_core *core, bottle_done_cb done,
		       void *data)
{
	struct strv a;

	if (core->canary == NULL &&
	    canary_open(core->loop, &core->canary, &core->canary_port) != 0)
		core->canary = NULL;
	bottle_waiters_add(&core->start_waiters, done, data);
	/* the version checks and the first refresh run side by side, or
	 * docker's answer to the refresh stands for its check */
	core->detect_left =
	    core->opts.docker_check == BOTTLE_DOCKER_CHECK_ALWAYS ? 3 : 2;
	bottle_core_refresh(core, bottle_on_first_refresh, NULL);
	if (core->opts.docker_check == BOTTLE_DOCKER_CHECK_ALWAYS)
		bottle_docker_version_start(core);
	a = smolvm_argv_version(core->env.smolvm_path);
	bottle_core_run(core, &a, bottle_timeout(BOTTLE_SMOLVM_TIMEOUT_MS, 1),
			bottle_on_smolvm_version, NULL);
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

static void bottle_core_unref(struct bottle_core *core)
{
	if (--core->refs == 0)
		bottle_core_free(core);
}

static void bottle_on_timer_close(uv_handle_t *h)
{
	bottle_core_unref(h->data);
}

static void bottle_waiters_drop(struct bottle_waiter **list)
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
	uv_timer_stop(&core->timer);
	uv_close((uv_handle_t *)&core->timer, bottle_on_timer_close);
}
