/* bottle-step.c: the step machine: the sequences, begin, advance,
 * finish, rollback. See bottle-int.h. */
#include "bottle-int.h"

/* The one table: every step's name and what starts it. A step function
 * ends by calling bottle_step_next (done) or bottle_step_fail. */
struct bottle_step_def {
	const char *name;
	void (*start)(struct bottle *b);
};

static const struct bottle_step_def bottle_step_table[] = {
    [BOTTLE_STEP_NONE] = {"idle", NULL},
    [BOTTLE_STEP_ALLOCATE] = {"allocate", bottle_up_allocate},
    [BOTTLE_STEP_NETWORK] = {"network", bottle_up_network},
    [BOTTLE_STEP_BUNDLE] = {"bundle", bottle_up_bundle},
    [BOTTLE_STEP_BUNDLE_HEALTH] = {"bundle-health", bottle_up_bundle_health},
    [BOTTLE_STEP_SMOLFILE] = {"smolfile", bottle_up_smolfile},
    [BOTTLE_STEP_VM_IMAGE] = {"vm-image", bottle_up_vm_image},
    [BOTTLE_STEP_VM_CREATE] = {"vm-create", bottle_up_vm_create},
    [BOTTLE_STEP_VM_START] = {"vm-start", bottle_up_vm_start},
    [BOTTLE_STEP_PROBE] = {"probe", bottle_proof_step},
    [BOTTLE_STEP_VM_STOP] = {"vm-stop", bottle_down_vm_stop},
    [BOTTLE_STEP_VM_DELETE] = {"vm-delete", bottle_down_vm_delete},
    [BOTTLE_STEP_BUNDLE_RM] = {"bundle-rm", bottle_down_bundle_rm},
    [BOTTLE_STEP_NETWORK_RM] = {"network-rm", bottle_down_network_rm},
    [BOTTLE_STEP_FORGET] = {"forget", bottle_down_forget},
};

const char *bottle_step_name(enum bottle_step s)
{
	return (size_t)s < UTIL_NELEM(bottle_step_table)
		   ? bottle_step_table[s].name
		   : "?";
}

/* The sequences: up, down, rm, and a failed up's undo. */
static const enum bottle_step bottle_up_steps[] = {
    BOTTLE_STEP_ALLOCATE,      BOTTLE_STEP_NETWORK,  BOTTLE_STEP_BUNDLE,
    BOTTLE_STEP_BUNDLE_HEALTH, BOTTLE_STEP_SMOLFILE, BOTTLE_STEP_VM_IMAGE,
    BOTTLE_STEP_VM_CREATE,     BOTTLE_STEP_VM_START, BOTTLE_STEP_PROBE,
    BOTTLE_STEP_NONE,
};
static const enum bottle_step bottle_down_steps[] = {
    BOTTLE_STEP_VM_STOP,    BOTTLE_STEP_VM_DELETE, BOTTLE_STEP_BUNDLE_RM,
    BOTTLE_STEP_NETWORK_RM, BOTTLE_STEP_NONE,
};
static const enum bottle_step bottle_rm_steps[] = {
    BOTTLE_STEP_VM_STOP,    BOTTLE_STEP_VM_DELETE, BOTTLE_STEP_BUNDLE_RM,
    BOTTLE_STEP_NETWORK_RM, BOTTLE_STEP_FORGET,	   BOTTLE_STEP_NONE,
};
/* The undo of a failed up, newest part first; each step runs only when
 * this up created its part (bottle_rollback_needed). */
static const enum bottle_step bottle_undo_steps[] = {
    BOTTLE_STEP_VM_STOP,    BOTTLE_STEP_VM_DELETE, BOTTLE_STEP_BUNDLE_RM,
    BOTTLE_STEP_NETWORK_RM, BOTTLE_STEP_FORGET,	   BOTTLE_STEP_NONE,
};

static const enum bottle_step *bottle_steps(const struct bottle *b)
{
	if (b->priv->fail != NULL)
		return bottle_undo_steps; /* rolling back */
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

/* bottle_test_step_delay_ms: $BOTTLE_TEST_STEP_DELAY_MS, a hook of test
 * builds only that pauses before every lifecycle step (0 = none). */
static uint64_t bottle_test_step_delay_ms(void)
{
#ifdef BOTTLE_TEST_HOOKS
	const char *v = getenv("BOTTLE_TEST_STEP_DELAY_MS");

	return v != NULL ? strtoull(v, NULL, 10) : 0;
#else
	return 0;
#endif
}

static void bottle_step_advance(struct bottle *b);

/* bottle_step_dispatch: start b->step. */
static void bottle_step_dispatch(struct bottle *b)
{
	if ((size_t)b->step < UTIL_NELEM(bottle_step_table) &&
	    bottle_step_table[b->step].start != NULL)
		bottle_step_table[b->step].start(b);
}

/* ---- begin, advance, fail (rollback), finish ------------------------ */

int bottle_step_begin(struct bottle_core *core, struct bottle *b,
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
	b->priv->vm_left_alone = 0;
	bottle_set_str(&b->error, NULL);
	bottle_set_str(&b->drift, NULL);
	bottle_log(b, "%s: start", bottle_op_name(op));
	if (op == BOTTLE_OP_UP) {
		bottle_reset_probes(b);
	}
	bottle_emit(core, b, BOTTLE_EV_CHANGED, NULL);
	bottle_step_advance(b);
	return 0;
}

/* bottle_step_advance: advance to the step after b->step and start it. */
static void bottle_step_advance(struct bottle *b)
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
			bottle_step_finish(b, fail, 1);
			free(fail);
		} else {
			bottle_step_finish(b, NULL, 0);
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
		bottle_step_wake(b, bottle_test_step_delay_ms(),
				 bottle_step_dispatch);
		return;
	}
	bottle_step_dispatch(b);
}

/* bottle_step_next: the step after b->step in the current sequence. */
void bottle_step_next(struct bottle *b)
{
	bottle_step_advance(b);
}

static void bottle_step_on_wake(uv_timer_t *t)
{
	struct bottle *b = t->data;
	void (*fn)(struct bottle *) = b->priv->wake_fn;

	b->priv->wake_fn = NULL;
	if (fn != NULL && !b->priv->core->closing)
		fn(b);
}

void bottle_step_wake(struct bottle *b, uint64_t ms,
		      void (*fn)(struct bottle *b))
{
	if (b->priv->core->closing)
		return;
	b->priv->wake_fn = fn;
	uv_timer_start(&b->priv->wake, bottle_step_on_wake, ms, 0);
}

void bottle_step_fail_cmd(struct bottle *b, const char *what,
			  const struct proc_result *r)
{
	char *e = bottle_cmd_error(what, r);

	bottle_step_fail(b, "%s", e);
	free(e);
}

void bottle_step_fail(struct bottle *b, const char *fmt, ...)
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
		bottle_step_advance(b);
		return;
	}
	if (b->priv->fail != NULL) {
		/* a rollback step failed: keep going, remember it */
		b->priv->rollback_failed = 1;
		bottle_log(b, "rollback: %s", msg);
		free(msg);
		bottle_step_advance(b);
		return;
	}
	bottle_step_finish(b, msg, 1);
	free(msg);
}

/* An operation's end, carried through the state update that records it:
 * the operation is over (done called, the busy lock released) only once
 * state.json says so. */
struct bottle_finish {
	struct bottle_step_persist_ctx *p; /* NULL: nothing to record */
	enum bottle_op op;
	char *error; /* owned or NULL */
	bottle_done_cb done;
	void *done_data;
};

static void bottle_finish_free(void *ctx)
{
	struct bottle_finish *f = ctx;

	bottle_step_persist_ctx_free(f->p);
	free(f->error);
	free(f);
}

static int bottle_finish_persist_fn(struct state *s, void *data, char **cause)
{
	struct bottle_finish *f = data;

	return bottle_step_persist_fn(s, f->p, cause);
}

/* The operation is over: tell everyone. */
static void bottle_step_finished(struct bottle *b, int rc, const char *cause,
				 void *ctx)
{
	struct bottle_finish *f = ctx;
	struct bottle_core *core = b->priv->core;

	if (rc != 0) {
		/* docker and smolvm remain the truth the next refresh reads */
		bottle_log(b, "could not record state: %s", cause);
		bottle_emit(core, b, BOTTLE_EV_MESSAGE, cause);
	}
	b->op = BOTTLE_OP_NONE;
	b->step = BOTTLE_STEP_NONE;
	b->priv->touched = util_mono_ms();
	state_bottle_unlock(b->priv->lock);
	b->priv->lock = NULL;
	bottle_update_drift(b);
	if (f->done != NULL)
		f->done(core, b, f->error, f->done_data);
	bottle_emit(core, b, BOTTLE_EV_DONE, f->error);
	bottle_refresh_soon(core);
	bottle_proof_arm(b);
}

void bottle_step_finish(struct bottle *b, const char *error, int mark_failed)
{
	struct bottle_finish *f = xcalloc(1, sizeof *f);

	f->op = b->op;
	f->error = error != NULL ? xstrdup(error) : NULL;
	f->done = b->priv->done;
	f->done_data = b->priv->done_data;
	b->priv->touched = util_mono_ms();
	b->priv->done = NULL;
	uv_timer_stop(&b->priv->wake);
	b->priv->wake_fn = NULL;
	free(b->priv->fail);
	b->priv->fail = NULL;
	free(b->priv->taken);
	b->priv->taken = NULL;
	b->priv->n_taken = 0;
	if (mark_failed)
		bottle_set_str(&b->error, error);
	if (error != NULL)
		bottle_log(b, "%s failed: %s", bottle_op_name(f->op), error);
	else
		bottle_log(b, "%s done", bottle_op_name(f->op));
	if (b->subnet == NULL) { /* nothing to record once forgotten */
		bottle_step_finished(b, 0, NULL, f);
		bottle_finish_free(f);
		return;
	}
	/* b stays busy (its op set) until the record is written */
	f->p = bottle_step_persist_ctx_new(
	    b->name, error != NULL ? "failed" : bottle_op_name(f->op),
	    mark_failed ? error : NULL);
	bottle_state_update(b, bottle_finish_persist_fn, f, bottle_finish_free,
			    bottle_step_finished);
}

struct bottle_step_persist_ctx *bottle_step_persist_ctx_new(const char *name,
							    const char *step,
							    const char *error)
{
	struct bottle_step_persist_ctx *c = xcalloc(1, sizeof *c);

	c->name = xstrdup(name);
	c->step = step != NULL ? xstrdup(step) : NULL;
	c->error = error != NULL ? xstrdup(error) : NULL;
	return c;
}

void bottle_step_persist_ctx_free(void *ctx)
{
	struct bottle_step_persist_ctx *c = ctx;

	if (c == NULL)
		return;
	free(c->name);
	free(c->step);
	free(c->error);
	free(c->subnet);
	free(c->bundle_ip);
	free(c);
}

int bottle_step_persist_fn(struct state *s, void *data, char **cause)
{
	struct bottle_step_persist_ctx *c = data;
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

static void bottle_step_persisted(struct bottle *b, int rc, const char *cause,
				  void *ctx)
{
	(void)ctx;
	if (rc != 0) {
		bottle_log(b, "could not record state: %s", cause);
		bottle_emit(b->priv->core, b, BOTTLE_EV_MESSAGE, cause);
	}
}

/* bottle_step_persist: record b's last step (and error) in state.json. A
 * failure to persist is logged, not fatal: docker and smolvm remain the
 * truth that the next refresh reads. */
void bottle_step_persist(struct bottle *b, const char *step, const char *error)
{
	bottle_state_update(b, bottle_step_persist_fn,
			    bottle_step_persist_ctx_new(b->name, step, error),
			    bottle_step_persist_ctx_free,
			    bottle_step_persisted);
}
