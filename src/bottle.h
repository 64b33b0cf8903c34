/* bottle.h: the model and the lifecycle state machine.
 *
 * struct bottle_core owns every bottle (configured and discovered), the
 * environment findings (docker, smolvm) and the timers that refresh them.
 * It is the only state ui/ reads. Everything runs on one libuv loop;
 * docker and smolvm are watched subprocesses (proc.h). Each bottle runs
 * at most one lifecycle operation at a time, one subprocess at a time;
 * different bottles run in parallel. Callbacks change the model and then
 * call the core's listener, which only marks things dirty (UI) or prints
 * a progress line (CLI). */
#ifndef BOTTLE_BOTTLE_H
#define BOTTLE_BOTTLE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "smolvm.h"
#include "health.h"
#include "logbuf.h"
#include "probe.h"

enum bottle_op {
	BOTTLE_OP_NONE = 0,
	BOTTLE_OP_UP,
	BOTTLE_OP_DOWN,
	BOTTLE_OP_RM,
};

/* Steps, in lifecycle order; each is idempotent. */
enum bottle_step {
	BOTTLE_STEP_NONE = 0,
	BOTTLE_STEP_ALLOCATE,	   /* subnet from the pool, persisted */
	BOTTLE_STEP_NETWORK,	   /* docker network create */
	BOTTLE_STEP_BUNDLE,	   /* docker run the bundle, pinned IP */
	BOTTLE_STEP_BUNDLE_HEALTH, /* wait until its services answer */
	BOTTLE_STEP_SMOLFILE,	   /* render and write the Smolfile */
	BOTTLE_STEP_VM_IMAGE,	   /* the image as a local archive (1.1.0+) */
	BOTTLE_STEP_VM_CREATE,	   /* smolvm machine create */
	BOTTLE_STEP_VM_START,	   /* smolvm machine start */
	BOTTLE_STEP_PROBE,	   /* the probes: prove the isolation */
	BOTTLE_STEP_VM_STOP,	   /* down: smolvm machine stop */
	BOTTLE_STEP_VM_DELETE,	   /* down: smolvm machine delete -f */
	BOTTLE_STEP_BUNDLE_RM,	   /* down: docker rm -f */
	BOTTLE_STEP_NETWORK_RM,	   /* down: docker network rm */
	BOTTLE_STEP_FORGET,	   /* rm: drop the subnet allocation */
};

/* What a user is shown, most important first. */
enum bottle_status {
	BOTTLE_STOPPED = 0, /* nothing exists */
	BOTTLE_BUSY,	    /* an operation is in progress (see step) */
	BOTTLE_UNSAFE,	    /* a probe FAILED: isolation disproven */
	BOTTLE_FAILED,	    /* the last operation failed (see error) */
	BOTTLE_DEGRADED,    /* running, a health problem (kill switch, ...) */
	BOTTLE_UNKNOWN,	    /* running but not (yet) proven, or docker or
			       smolvm cannot tell what exists */
	BOTTLE_HEALTHY,	    /* running and every probe passed */
	BOTTLE_DRIFT,	    /* parts exist that should not, or are missing */
};

enum bottle_event {
	BOTTLE_EV_CHANGED = 0, /* anything about b changed (b may be NULL:
				  global state, bottles added/removed) */
	BOTTLE_EV_STEP,	       /* b started a step (msg: its description) */
	BOTTLE_EV_DONE,	       /* b's operation finished (msg NULL = ok) */
	BOTTLE_EV_LOG,	       /* a line was added to one of b's logs */
	BOTTLE_EV_MESSAGE,     /* a message for the user (msg) */
};

struct bottle_core;

struct bottle {
	char *name;			 /* owned */
	const struct config_bottle *cfg; /* borrowed from the core's config;
					    NULL when only discovered */
	/* Allocation (state.json) */
	char *subnet;	 /* owned or NULL */
	char *bundle_ip; /* owned or NULL */
	/* Observed by the last refresh */
	int net_present;    /* docker network bottle-NAME exists */
	char *bundle_state; /* owned: docker state ("running", "exited") or
			       NULL when there is no container */
	char *vm_state;	    /* owned: smolvm state or NULL when no machine */
	int vm_pid;
	char *drift;	      /* owned: what is inconsistent, or NULL */
	uint64_t up_since_ms; /* wall clock when the VM was started, or 0 */
	/* Lifecycle */
	enum bottle_op op;
	enum bottle_step step;
	uint64_t step_started_ms; /* monotonic */
	char *error;		  /* owned: last failure, or NULL */
	char *busy_other;	  /* owned: "PID OP" when another bottle
				     process runs an operation on it */
	char *last_command;	  /* owned: display form of the last command */
	int last_command_status;  /* its exit status, or -1 */
	/* Proof */
	struct probe_result probes[PROBE_COUNT];
	uint64_t probes_at_ms; /* wall clock of the last completed run */
	int probes_vm_pid;     /* the VMM pid that run ran against (0: not
				  known; then, as for another pid, the
				  results prove nothing of the VM running) */
	int probes_run_vm_pid; /* the VMM pid as the run in flight began */
	int probing;	       /* a probe run is in flight */
	char *vm_foreign;      /* owned or NULL: why the machine under b's
				  name is not bottle's (not adopted, not
				  probed, not stopped or deleted) */
	struct health_service_result *health; /* owned array */
	size_t n_health;
	uint64_t health_at_ms;
	int health_ok;	 /* -1 unknown, 0 problem, 1 ok */
	int kill_switch; /* pipelock kill switch on */
	/* Logs (owned rings of sanitized lines) */
	struct logbuf *log_events;   /* lifecycle steps, probe verdicts */
	struct logbuf *log_commands; /* every docker/smolvm command run */
	struct logbuf *log_exec;     /* output of dashboard exec */
	struct logbuf *log_bundle;   /* the bundle's docker logs (when open) */
	struct logbuf *log_vm;	     /* the guest console log (when open) */
	struct logbuf *log_egress;   /* smolvm's denials (when open, 1.8.1+) */
	int logs_open;		     /* bottle_logs_open is in effect */
	/* private to bottle.c */
	struct bottle_priv *priv;
	/* The host's own view of the VM (vmmwatch.h, wall.h), set by the
	 * refresh (wall_core_refresh_async) and around probe runs; fixed
	 * buffers, nothing to free. */
	unsigned vmm_uid;	 /* the VMM's dedicated uid, 0 when none */
	int vmm_uid_kind;	 /* enum vmmwatch_kind of vmm_uid */
	char vmm_uid_why[192];	 /* why there is none ("" when there is) */
	char vmm_stray[320];	 /* its sockets to anything but B, or "" */
	int wall;		 /* 1 in place, 0 not (yet), -1 can't */
	char wall_why[192];	 /* why not in place, or "" */
	char wall_chain[32];	 /* its chain, "" when none */
	uint64_t wall_to_b;	 /* packets the wall let through to B */
	uint64_t wall_loopback;	 /* ... refused to the host's loopback */
	uint64_t wall_refused;	 /* ... refused in all (v4 + v6) */
	uint64_t wall_run_probe; /* at a probe run's start: new connections */
	uint64_t wall_run_loop;	 /*   to B:port, loopback and refused */
	uint64_t wall_run_refused;
	int wall_run_ok; /* the wall was in place when it started */
	/* who stands behind each of probes[]: enum probe_evidence, and
	 * what the host saw or lacked ("" none) */
	int probe_evidence[PROBE_COUNT];
	char probe_evidence_text[PROBE_COUNT][160];
};

/* Environment findings, refreshed by bottle_core_detect(). */
struct bottle_env {
	int docker_ok;		  /* -1 unknown, 0 unreachable, 1 ok */
	char *docker_version;	  /* owned or NULL */
	char *docker_error;	  /* owned or NULL: why unreachable */
	int smolvm_ok;		  /* -1 unknown, 0 unusable, 1 ok */
	char *smolvm_path;	  /* owned: the binary used */
	char *smolvm_version;	  /* owned or NULL */
	char *smolvm_error;	  /* owned or NULL */
	int simulated;		  /* the smolvm simulator is in use */
	struct smolvm_cli smolvm; /* bin = smolvm_path; band once known */
	struct strv smolvm_env;	  /* smolvm's whole environment */
};

typedef void (*bottle_listener)(struct bottle_core *core, struct bottle *b,
				enum bottle_event ev, const char *msg,
				void *data);
/* Completion of an operation: error is NULL on success (borrowed). */
typedef void (*bottle_done_cb)(struct bottle_core *core, struct bottle *b,
			       const char *error, void *data);

enum bottle_docker_check {
	BOTTLE_DOCKER_CHECK_ALWAYS,	/* beside the first refresh */
	BOTTLE_DOCKER_CHECK_ON_FAILURE, /* when the first refresh's docker
					   commands fail, for its advice (a
					   verb that reports on docker) */
	BOTTLE_DOCKER_CHECK_NEVER,	/* a verb that does not need docker */
};

struct bottle_core_opts {
	int no_timers; /* CLI: no periodic refresh/health/probes */
	int read_only; /* refuse every mutating operation */
	/* when bottle_core_start runs `docker version` (env.docker_version
	 * is NULL without it; env.docker_ok comes from the refresh's docker
	 * ps then) */
	enum bottle_docker_check docker_check;
};

/* bottle_core_new: a core over cfg (borrowed; must outlive the core) and
 * the state directory. Loads state.json; errors (corrupt state) are
 * returned with cause. Does not spawn anything yet. */
int bottle_core_new(uv_loop_t *loop, const struct config *cfg,
		    const char *state_dir, const struct bottle_core_opts *o,
		    struct bottle_core **out, char **cause);
/* bottle_core_state_waiting: while a state update has waited more than
 * ~100 ms for the state lock, the note the listener was sent ("waiting
 * for the state lock ... (held by pid N (COMM))", borrowed); NULL
 * otherwise. A BOTTLE_EV_CHANGED follows when it is over. */
const char *bottle_core_state_waiting(const struct bottle_core *core);
/* bottle_core_set_listener: one listener (UI or CLI). */
void bottle_core_set_listener(struct bottle_core *core, bottle_listener fn,
			      void *data);
/* bottle_core_start: detect docker and smolvm, refresh, start timers.
 * done (optional) fires after the first refresh. */
void bottle_core_start(struct bottle_core *core, bottle_done_cb done,
		       void *data);
/* bottle_core_prefetch_ipam: start fetching the docker networks' subnets
 * now, side by side with the start-up checks, for an `up` that will
 * allocate; the allocation step then finds them fresh (or joins the fetch
 * in flight) instead of waiting for two docker commands. */
void bottle_core_prefetch_ipam(struct bottle_core *core);
/* bottle_core_refresh: one refresh (docker ps, docker network ls,
 * smolvm machine ls: three subprocesses whatever the number of bottles).
 * Coalesced: a refresh requested while one runs runs once after it. */
void bottle_core_refresh(struct bottle_core *core, bottle_done_cb done,
			 void *data);
/* bottle_core_close: cancel everything, kill children, close handles;
 * the core is freed once the loop has run its close callbacks. */
void bottle_core_close(struct bottle_core *core);

const struct bottle_env *bottle_core_env(const struct bottle_core *core);
size_t bottle_core_count(const struct bottle_core *core);
struct bottle *bottle_core_at(struct bottle_core *core, size_t i);
struct bottle *bottle_core_find(struct bottle_core *core, const char *name);
uv_loop_t *bottle_core_loop(struct bottle_core *core);
const char *bottle_core_state_dir(const struct bottle_core *core);

/* Operations. Each returns 0 when started (done fires later, once) or -1
 * with *cause (busy, read-only, not configured) and no callback. */
int bottle_up(struct bottle_core *core, struct bottle *b, bottle_done_cb done,
	      void *data, char **cause);
int bottle_down(struct bottle_core *core, struct bottle *b, bottle_done_cb done,
		void *data, char **cause);
int bottle_rm(struct bottle_core *core, struct bottle *b, bottle_done_cb done,
	      void *data, char **cause);
int bottle_probe(struct bottle_core *core, struct bottle *b,
		 bottle_done_cb done, void *data, char **cause);
/* bottle_health_now: check the bundle's services now (libcurl, no
 * subprocess); done fires once with NULL, or -1 when there's no running
 * bundle to check. */
int bottle_health_now(struct bottle_core *core, struct bottle *b,
		      bottle_done_cb done, void *data, char **cause);
/* bottle_logs_open: follow b's logs into its rings: events.log (all
 * processes' records) into log_events, the bundle's docker logs into
 * log_bundle, the guest console into log_vm; each tail restarts by
 * itself. Idempotent. bottle_logs_close stops them (the rings stay). */
void bottle_logs_open(struct bottle_core *core, struct bottle *b);
void bottle_logs_close(struct bottle_core *core, struct bottle *b);
/* bottle_exec_capture: run argv in the VM (smolvm exec, non-interactive),
 * lines go to b->log_exec; done's error is NULL when it ran; the guest's
 * exit status is in b->last_command_status. */
int bottle_exec_capture(struct bottle_core *core, struct bottle *b,
			const char *const *argv, bottle_done_cb done,
			void *data, char **cause);

enum bottle_status bottle_status(const struct bottle *b);
/* 1 when b's latest probe run has no FAIL, UNKNOWN or NONE verdict. */
int bottle_all_pass(const struct bottle *b);
const char *bottle_status_name(enum bottle_status s); /* "healthy" */
const char *bottle_step_name(enum bottle_step s);     /* "network" */
const char *bottle_op_name(enum bottle_op op);	      /* "up" */
/* What bottle_allowlist found in b's Smolfile. */
enum bottle_allow {
	BOTTLE_ALLOW_NONE = 0, /* no allocation or no Smolfile yet */
	BOTTLE_ALLOW_OK,       /* exactly allow_cidrs = ["B/32"], checked */
	BOTTLE_ALLOW_BAD,      /* unreadable, or not exactly that */
};
/* bottle_allowlist: b's Smolfile read back from the state directory and
 * checked (smolfile_check); *text (borrowed, valid until the next call for
 * b) is "B/32" or why it is not verified. Cached while the file's
 * identity, size and mtime and b's bundle address stay the same. */
enum bottle_allow bottle_allowlist(const struct bottle *b, const char **text);
/* bottle_machine: "bottle-NAME" into out. */
void bottle_machine(const struct bottle *b, char *out, size_t outsz);

#endif
