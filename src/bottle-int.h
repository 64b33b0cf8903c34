/* bottle-int.h: the core's insides, shared by bottle.c and bottle-*.c and
 * by nothing else (ui/ and cli*.c use bottle.h).
 *
 * Who does what:
 *   bottle.c          the model and its status, running a command for a
 *                     bottle, the allowlist read back, the core's lifetime
 *   bottle-step.c     the step machine: one table, begin/advance/finish,
 *                     rollback; the step pause timer (wake)
 *   bottle-up.c       the `up` steps, top to bottom
 *   bottle-down.c     the `down` and `rm` steps (and a failed up's undo)
 *   bottle-refresh.c  what exists (refresh and its timer), the subnet
 *                     cache, detection
 *   bottle-proof.c    probes, on_unsafe, health checks, their timers
 *   bottle-logs.c     log tails;  bottle-exec.c  exec for the dashboard
 *
 * Timers: one per job, each with a single due function that both arms it
 * and decides, when it fires, whether to act (so the two cannot disagree
 * and spin the loop): core->refresh_timer, and per bottle priv->wake,
 * priv->health_timer, priv->probe_timer. Every timer holds a core
 * reference, dropped in its close callback. */
#ifndef BOTTLE_BOTTLE_INT_H
#define BOTTLE_BOTTLE_INT_H

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bottle.h"
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
#define BOTTLE_SAVE_TIMEOUT_MS                                                 \
	(30 * 60 * 1000) /* docker save of a VM image                          \
			  */
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
/* A state update that has waited this long for the lock says so. */
#define BOTTLE_STATE_NOTE_MS 100
/* How long a CLI one-shot waits for the state lock (the dashboard waits
 * as long as it takes, its loop live meanwhile). */
#define BOTTLE_STATE_WAIT_MS 60000

/* The continuation of a state update, on the loop: rc 0, or -1 with cause
 * (borrowed); ctx is the update's (freed after this returns). Not called
 * once the core is closing. */
typedef void (*bottle_state_done_fn)(struct bottle *b, int rc,
				     const char *cause, void *ctx);

/* One state.json update, run on libuv's thread pool. The core keeps them
 * in one queue and runs one at a time, in order. */
struct bottle_state_job {
	struct bottle_state_job *next;
	uv_work_t work;
	struct bottle_core *core;
	struct bottle *b;   /* borrowed: bottles live as long as the core */
	state_update_fn fn; /* runs on the worker: touches ctx only */
	void *ctx;	    /* owned, a deep copy of what fn needs */
	void (*ctx_free)(void *ctx);
	bottle_state_done_fn done; /* may be NULL */
	int running;
	int rc;
	char *cause; /* owned, set by the worker */
};

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
	int64_t create_t0;    /* Unix s when this up's machine create began */
	int64_t prev_pfrom, prev_pto; /* the record's pending span before */
	int vm_left_alone;   /* down: the machine is not bottle's: untouched */
	char *fail;	     /* the error being rolled back, owned */
	char *image_archive; /* vm-image: the docker save archive create
				boots from (-I), owned, or NULL */
	/* Timers, one per job, each armed by its job's own due function:
	 * the step machine's pause (bottle_step_wake), the periodic health
	 * check and the periodic probe run (bottle_proof_arm). */
	uv_timer_t wake;
	void (*wake_fn)(struct bottle *b); /* run when wake fires */
	uv_timer_t health_timer;
	uv_timer_t probe_timer;
	uint64_t wait_deadline; /* bundle-health wait */
	unsigned wait_polls;
	uint64_t next_health; /* monotonic ms, 0 = not scheduled */
	uint64_t next_probe;
	unsigned backoff; /* consecutive failures of docker/smolvm */
	uint64_t touched; /* monotonic ms an operation last changed its parts */
	struct tail *tails[TAIL_SOURCE_COUNT]; /* while logs are open */
	char *allow;			       /* bottle_allowlist's text */
	char *allow_key;		       /* what it was read for */
	enum bottle_allow allow_state;
	struct ipam_net *taken; /* allocation: nets in use */
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
	/* the periodic refresh (bottle-refresh.c); each bottle has its own
	 * timers (struct bottle_priv) */
	uv_timer_t refresh_timer;
	struct health *health;
	struct canary *canary;
	int canary_port;
	int closing;
	int parts_known;    /* the last refresh heard from docker and smolvm */
	struct proc **live; /* every child not yet finished, killed on close */
	/* docker networks' subnets for allocation (bottle_refresh_ipam_want) */
	struct ipam_net *ipam;
	size_t n_ipam;
	uint64_t ipam_at; /* monotonic ms of the fetch, 0 = never */
	int ipam_fetching;
	unsigned ipam_tries;
	struct bottle **ipam_waiters;
	size_t n_ipam_waiters;
	size_t n_live;
	unsigned refs; /* every timer, live procs and probe runs */
	enum config_vmm vmm;
	int allow_newer; /* defaults.smolvm_allow_newer */
	/* state.json updates: a queue run on the thread pool, one at a time
	 * (bottle_state_update); the loop never waits on the lock or fsync */
	struct bottle_state_job *state_head, *state_tail;
	atomic_int state_cancel; /* closing: stop waiting for the lock */
	unsigned state_wait_ms;	 /* lock wait limit, 0: no limit */
	uv_timer_t state_timer;	 /* the "waiting for the lock" note */
	char *state_waiting;	 /* that note while shown, or NULL */
};

/* What bottle_step_persist_fn records; every string owned (it travels to
 * a worker thread): bottle_step_persist_ctx_new, _free. */
struct bottle_step_persist_ctx {
	char *name;
	char *step;
	char *error;
	char *subnet;	 /* set when non-NULL */
	char *bundle_ip; /* set when non-NULL */
	int forget;	 /* drop the record */
};

/* ---- bottle.c: helpers, running commands, the model ------------------ */

/* bottle_emit: tell the listener (not while closing). */
void bottle_emit(struct bottle_core *core, struct bottle *b,
		 enum bottle_event ev, const char *msg);
/* bottle_set_str: *field = a copy of value (NULL frees), if it differs. */
void bottle_set_str(char **field, const char *value);
/* bottle_vm_record_write: record that bottle created b's machine between
 * from and to (Unix seconds); bottle_vm_record_remove forgets it. */
int bottle_vm_record_write(struct bottle *b, int64_t from, int64_t to,
			   char **cause);
/* bottle_vm_record_pending: record that a create of b's machine begins at
 * t0 (kept until bottle_vm_record_write: a kill meanwhile is covered);
 * bottle_vm_record_unpend: that create ended having created nothing. */
int bottle_vm_record_pending(struct bottle *b, int64_t t0, char **cause);
void bottle_vm_record_unpend(struct bottle *b);
void bottle_vm_record_remove(struct bottle *b);
/* bottle_vm_foreign: NULL when m (named like b's machine) is the machine
 * bottle created for b (its labels from 1.8.0 and the creation record);
 * otherwise why it is not (static text). */
const char *bottle_vm_foreign(const struct bottle *b,
			      const struct smolvm_machine *m);
/* bottle_write_file: atomically write text as file in b's state directory. */
int bottle_write_file(struct bottle *b, const char *file, const char *text,
		      char **cause);
/* bottle_waiters_add: fn(data) joins list (fn NULL: nothing). */
void bottle_waiters_add(struct bottle_waiter **list, bottle_done_cb fn,
			void *data);
/* bottle_waiters_fire: call and free every waiter of list, in order. */
void bottle_waiters_fire(struct bottle_core *core, struct bottle_waiter **list,
			 struct bottle *b, const char *error);
/* bottle_waiters_drop: free every waiter of list without calling it. */
void bottle_waiters_drop(struct bottle_waiter **list);
/* bottle_log: one line in b's events ring and events.log. */
void bottle_log(struct bottle *b, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* bottle_first_line: the first telling line of err into out. */
const char *bottle_first_line(const struct buf *err, char *out, size_t outsz);
/* bottle_timeout: ms, or the BOTTLE_TEST_*_TIMEOUT_MS test hook's. */
uint64_t bottle_timeout(uint64_t ms, int smolvm);
/* bottle_live_add, _remove: the children killed by bottle_core_close. */
void bottle_live_add(struct bottle_core *core, struct proc *p);
void bottle_live_remove(struct bottle_core *core, struct proc *p);
/* bottle_record: a finished command into b's commands log. */
void bottle_record(struct bottle *b, const struct strv *argv,
		   const struct proc_result *r);
/* bottle_run: run argv (consumed) for b; next(b, r) when it finished. */
void bottle_run(struct bottle *b, struct strv *argv, uint64_t timeout_ms,
		bottle_next_fn next);
/* bottle_core_run: a command that belongs to no bottle (refresh). */
void bottle_core_run(struct bottle_core *core, struct strv *argv,
		     uint64_t timeout_ms,
		     void (*next)(struct bottle_core *,
				  const struct proc_result *, void *),
		     void *data);
/* bottle_ok: the command ran and exited 0. */
int bottle_ok(const struct proc_result *r);
/* bottle_cmd_error: "WHAT: exit N: first stderr line" (caller frees). */
char *bottle_cmd_error(const char *what, const struct proc_result *r);
/* bottle_err_text: r's stderr, "" when none (borrowed). */
const char *bottle_err_text(const struct proc_result *r);
/* bottle_new: a bottle added to core (cfg NULL: discovered). */
struct bottle *bottle_new(struct bottle_core *core, const char *name,
			  const struct config_bottle *cfg);
/* bottle_reset_probes, _health: forget the proof. */
void bottle_reset_probes(struct bottle *b);
void bottle_reset_health(struct bottle *b);
/* bottle_cli: the smolvm in use, its release once known (borrowed). */
const struct smolvm_cli *bottle_cli(struct bottle_core *core);
/* bottle_vm_running, bottle_bundle_running: as last seen. */
int bottle_vm_running(const struct bottle *b);
int bottle_bundle_running(const struct bottle *b);
/* bottle_update_drift: b->drift from what exists (idle bottles only). */
void bottle_update_drift(struct bottle *b);
/* bottle_proxy_port: the proxy service's port, 0 when none. */
int bottle_proxy_port(const struct config_bottle *cfg);
/* bottle_core_unref: drop a reference; the last frees the core. */
void bottle_core_unref(struct bottle_core *core);
/* bottle_state_update: run state_update(fn, ctx) off the loop, after
 * every update queued before it; then done(b, rc, cause, ctx) on the
 * loop. ctx (owned, freed with ctx_free) must hold copies of all fn
 * reads. While it waits for the lock, the listener hears a
 * BOTTLE_EV_MESSAGE saying who holds it (bottle_core_state_waiting). */
void bottle_state_update(struct bottle *b, state_update_fn fn, void *ctx,
			 void (*ctx_free)(void *ctx),
			 bottle_state_done_fn done);

/* ---- bottle-step.c: the step machine ---------------------------------- */

/* bottle_step_begin: start op on b (checks, lock, first step). */
int bottle_step_begin(struct bottle_core *core, struct bottle *b,
		      enum bottle_op op, bottle_done_cb done, void *data,
		      char **cause);
/* bottle_step_next: b's step is done: start the next one. */
void bottle_step_next(struct bottle *b);
/* bottle_step_fail: b's step failed: an up rolls back, else finish. */
void bottle_step_fail(struct bottle *b, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* bottle_step_fail_cmd: b's step failed with command what's result r. */
void bottle_step_fail_cmd(struct bottle *b, const char *what,
			  const struct proc_result *r);
/* bottle_step_finish: end b's operation now (error NULL: ok). */
void bottle_step_finish(struct bottle *b, const char *error, int mark_failed);
/* bottle_step_wake: fn(b) in ms (b's wake timer); finish cancels it. */
void bottle_step_wake(struct bottle *b, uint64_t ms,
		      void (*fn)(struct bottle *b));
/* bottle_step_persist_ctx_new: a ctx recording step and error for name
 * (copies; subnet, bundle_ip NULL, forget 0). */
struct bottle_step_persist_ctx *bottle_step_persist_ctx_new(const char *name,
							    const char *step,
							    const char *error);
/* bottle_step_persist_ctx_free: free a ctx (void * for bottle_state_update). */
void bottle_step_persist_ctx_free(void *ctx);
/* bottle_step_persist_fn: a state_update callback over a persist ctx. */
int bottle_step_persist_fn(struct state *s, void *data, char **cause);
/* bottle_step_persist: b's last step (and error) into state.json, off the
 * loop (a failure is logged and told to the listener). */
void bottle_step_persist(struct bottle *b, const char *step, const char *error);

/* ---- bottle-up.c: the up steps, in order ------------------------------ */

void bottle_up_allocate(struct bottle *b);
/* bottle_up_alloc_commit: allocate with b->priv->taken known. */
void bottle_up_alloc_commit(struct bottle *b);
void bottle_up_network(struct bottle *b);
void bottle_up_bundle(struct bottle *b);
void bottle_up_bundle_health(struct bottle *b);
/* bottle_up_vm_image: the VM image as a local archive, so that no
 * registry pull happens inside the one-address allowlist (1.1.0+). */
void bottle_up_vm_image(struct bottle *b);
void bottle_up_smolfile(struct bottle *b);
void bottle_up_vm_create(struct bottle *b);
void bottle_up_vm_start(struct bottle *b);

/* ---- bottle-down.c: the down and rm steps, in order ------------------- */

void bottle_down_vm_stop(struct bottle *b);
void bottle_down_vm_delete(struct bottle *b);
void bottle_down_bundle_rm(struct bottle *b);
void bottle_down_network_rm(struct bottle *b);
void bottle_down_forget(struct bottle *b);

/* ---- bottle-refresh.c: what exists, the subnet cache, detection ------- */

/* bottle_refresh_detect: bottle_core_start's work. */
void bottle_refresh_detect(struct bottle_core *core, bottle_done_cb done,
			   void *data);
/* bottle_refresh_choose_vmm: env.smolvm_path from the config's vmm. */
void bottle_refresh_choose_vmm(struct bottle_core *core);
/* bottle_refresh_request: bottle_core_refresh's work. */
void bottle_refresh_request(struct bottle_core *core, bottle_done_cb done,
			    void *data);
/* bottle_refresh_soon: a refresh in 300 ms (after an operation). */
void bottle_refresh_soon(struct bottle_core *core);
/* bottle_refresh_arm: (re)start the refresh timer for core->next_refresh
 * (0 = stopped). */
void bottle_refresh_arm(struct bottle_core *core);
/* bottle_refresh_find_or_discover: name's bottle, added if valid. */
struct bottle *bottle_refresh_find_or_discover(struct bottle_core *core,
					       const char *name);
/* bottle_refresh_ipam_want: docker's subnets for b's allocation, then
 * bottle_up_alloc_commit (or bottle_step_fail). */
void bottle_refresh_ipam_want(struct bottle *b);
/* bottle_refresh_prefetch_ipam: bottle_core_prefetch_ipam's work. */
void bottle_refresh_prefetch_ipam(struct bottle_core *core);

/* ---- bottle-proof.c: probes and health -------------------------------- */

/* bottle_proof_step: up's probe step. */
void bottle_proof_step(struct bottle *b);
/* bottle_proof_start: one probe run for b (which must be running). */
int bottle_proof_start(struct bottle *b, char **cause);
/* bottle_proof_run: bottle_probe's work. */
int bottle_proof_run(struct bottle_core *core, struct bottle *b,
		     bottle_done_cb done, void *data, char **cause);
/* bottle_proof_schedule: b's next periodic probe (interval, backoff,
 * jitter). */
void bottle_proof_schedule(struct bottle *b);
/* bottle_proof_load: the last probe results from NAME/probes.json. */
void bottle_proof_load(struct bottle *b);
/* bottle_proof_health_targets: b's services checkable from the host. */
size_t bottle_proof_health_targets(const struct bottle *b,
				   struct health_service_target *t, size_t max);
/* bottle_proof_store_health: a health report into b. */
void bottle_proof_store_health(struct bottle *b,
			       const struct health_report *rep);
/* bottle_proof_health_problems: "svc: why; ..." (caller frees). */
char *bottle_proof_health_problems(const struct health_report *rep);
/* bottle_proof_health_start: a periodic health check of b. */
void bottle_proof_health_start(struct bottle *b);
/* bottle_proof_health_now: bottle_health_now's work. */
int bottle_proof_health_now(struct bottle_core *core, struct bottle *b,
			    bottle_done_cb done, void *data, char **cause);
/* bottle_proof_arm: (re)arm b's health and probe timers from b's state;
 * call it when that state may have changed (refresh, op done). */
void bottle_proof_arm(struct bottle *b);

#endif
