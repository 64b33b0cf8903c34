/* bottle-int.h: the core's insides, shared by bottle.c and bottle-*.c and
 * by nothing else (ui/ and cli*.c use bottle.h).
 *
 * Who does what:
 *   bottle.c          the model and its status, running a command for a
 *                     bottle, the timers, the core's lifetime
 *   bottle-step.c     the step machine: one table, begin/advance/finish,
 *                     rollback
 *   bottle-up.c       the `up` steps, top to bottom
 *   bottle-down.c     the `down` and `rm` steps (and a failed up's undo)
 *   bottle-refresh.c  what exists (refresh), the subnet cache, detection
 *   bottle-proof.c    probes, on_unsafe, health checks
 *   bottle-logs.c     log tails;  bottle-exec.c  exec for the dashboard */
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
	/* docker networks' subnets for allocation (bottle_refresh_ipam_want) */
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
};

struct bottle_step_persist_ctx {
	const char *name;
	const char *step;
	const char *error;
	const char *subnet;    /* set when non-NULL */
	const char *bundle_ip; /* set when non-NULL */
	int forget;	       /* drop the record */
};

/* bottle.c */
void bottle_emit(struct bottle_core *core, struct bottle *b,
		 enum bottle_event ev, const char *msg);
void bottle_set_str(char **field, const char *value);
void bottle_waiters_add(struct bottle_waiter **list, bottle_done_cb fn,
			void *data);
void bottle_waiters_fire(struct bottle_core *core, struct bottle_waiter **list,
			 struct bottle *b, const char *error);
void bottle_log(struct bottle *b, const char *fmt, ...) UTIL_PRINTF(2, 3);
const char *bottle_first_line(const struct buf *err, char *out, size_t outsz);
uint64_t bottle_timeout(uint64_t ms, int smolvm);
void bottle_live_add(struct bottle_core *core, struct proc *p);
void bottle_live_remove(struct bottle_core *core, struct proc *p);
void bottle_record(struct bottle *b, const struct strv *argv,
		   const struct proc_result *r);
void bottle_run(struct bottle *b, struct strv *argv, uint64_t timeout_ms,
		bottle_next_fn next);
void bottle_core_run(struct bottle_core *core, struct strv *argv,
		     uint64_t timeout_ms,
		     void (*next)(struct bottle_core *,
				  const struct proc_result *, void *),
		     void *data);
int bottle_ok(const struct proc_result *r);
char *bottle_cmd_error(const char *what, const struct proc_result *r);
const char *bottle_err_text(const struct proc_result *r);
struct bottle *bottle_new(struct bottle_core *core, const char *name,
			  const struct config_bottle *cfg);
void bottle_reset_probes(struct bottle *b);
void bottle_reset_health(struct bottle *b);
const char *bottle_smolvm(const struct bottle_core *core);
int bottle_vm_running(const struct bottle *b);
int bottle_bundle_running(const struct bottle *b);
void bottle_update_drift(struct bottle *b);
int bottle_proxy_port(const struct config_bottle *cfg);
char *bottle_helper_dir(void);
void bottle_rearm(struct bottle_core *core);
void bottle_core_unref(struct bottle_core *core);
void bottle_waiters_drop(struct bottle_waiter **list);

/* bottle-step.c */
int bottle_step_begin(struct bottle_core *core, struct bottle *b,
		      enum bottle_op op, bottle_done_cb done, void *data,
		      char **cause);
int bottle_step_persist_fn(struct state *s, void *data, char **cause);
void bottle_step_persist(struct bottle *b, const char *step, const char *error);
void bottle_step_finish(struct bottle *b, const char *error, int mark_failed);
void bottle_step_fail(struct bottle *b, const char *fmt, ...) UTIL_PRINTF(2, 3);
void bottle_step_next(struct bottle *b);

/* bottle-up.c */
void bottle_up_alloc_commit(struct bottle *b);
void bottle_up_allocate(struct bottle *b);
void bottle_up_network(struct bottle *b);
void bottle_up_bundle(struct bottle *b);
void bottle_up_bundle_health(struct bottle *b);
void bottle_up_smolfile(struct bottle *b);
void bottle_up_vm_create(struct bottle *b);
void bottle_up_vm_start(struct bottle *b);

/* bottle-down.c */
void bottle_down_vm_stop(struct bottle *b);
void bottle_down_vm_delete(struct bottle *b);
void bottle_down_bundle_rm(struct bottle *b);
void bottle_down_network_rm(struct bottle *b);
void bottle_down_forget(struct bottle *b);

/* bottle-refresh.c */
struct bottle *bottle_refresh_find_or_discover(struct bottle_core *core,
					       const char *name);
void bottle_refresh_soon(struct bottle_core *core);
void bottle_refresh_ipam_want(struct bottle *b);
void bottle_refresh_choose_vmm(struct bottle_core *core);
void bottle_refresh_detect(struct bottle_core *core, bottle_done_cb done,
			   void *data);
void bottle_refresh_request(struct bottle_core *core, bottle_done_cb done,
			    void *data);
void bottle_refresh_prefetch_ipam(struct bottle_core *core);

/* bottle-proof.c */
size_t bottle_proof_health_targets(const struct bottle *b,
				   struct health_service_target *t, size_t max);
void bottle_proof_store_health(struct bottle *b,
			       const struct health_report *rep);
char *bottle_proof_health_problems(const struct health_report *rep);
void bottle_proof_load(struct bottle *b);
void bottle_proof_schedule(struct bottle *b);
int bottle_proof_start(struct bottle *b, char **cause);
void bottle_proof_step(struct bottle *b);
void bottle_proof_health_start(struct bottle *b);
int bottle_proof_run(struct bottle_core *core, struct bottle *b,
		     bottle_done_cb done, void *data, char **cause);
int bottle_proof_health_now(struct bottle_core *core, struct bottle *b,
			    bottle_done_cb done, void *data, char **cause);

#endif
