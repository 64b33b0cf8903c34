/* smolvm.h: argv for every smolvm 0.8.x command bottle runs (see
 * smolvm-0.8.md) and pure parsers of their output. Nothing here spawns a
 * process. The binary is a parameter: real smolvm or the simulator.
 *
 * A bottle NAME owns the machine "bottle-NAME". Every argv is a
 * NULL-terminated strv owned by the caller (strv_release). */
#ifndef BOTTLE_SMOLVM_H
#define BOTTLE_SMOLVM_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct cJSON;

/* The releases bottle knows (smolvm-1.9.md §5). A band is a range of
 * releases with one argv and one meaning of the allowlist:
 *   A 0.8.0         TSI; positional names; stop of an unknown machine
 *                   exits 0; a guest signal is exit 255
 *   B 0.8.1-1.0.1   TSI; positional names
 *   C 1.0.2-1.1.2   TSI; --name flags
 *   D 1.1.3-1.7.x   virtio-net (the VMM's userspace gateway)
 *   E 1.8.0-1.9.x   virtio-net, --label, egress-events (1.8.1): the
 *                   first-class target
 * smolvm itself documented (1.1.3) that its TSI filter did not enforce
 * allowlists: on A-C only bottle's probes stand behind the isolation. */
enum smolvm_band {
	SMOLVM_BAND_UNKNOWN = 0, /* older than 0.8.0 or not a version */
	SMOLVM_BAND_A,
	SMOLVM_BAND_B,
	SMOLVM_BAND_C,
	SMOLVM_BAND_D,
	SMOLVM_BAND_E,
	SMOLVM_BAND_NEWER, /* newer than any known release */
};

#define SMOLVM_NEWEST_KNOWN "1.9.3"

/* A smolvm release as --version printed it. */
struct smolvm_version {
	int major, minor, patch;
};

/* The smolvm bottle talks to: every argv builder takes it. */
struct smolvm_cli {
	const char *bin; /* borrowed; real smolvm or the simulator */
	struct smolvm_version v;
	enum smolvm_band band; /* of v (NEWER only when allowed) */
};

/* Features by release (the first release that has each). */
enum smolvm_feature {
	SMOLVM_F_STOP_UNKNOWN_FAILS, /* 0.8.1: stop of an unknown name exit 1 */
	SMOLVM_F_SIGNAL_128,	    /* 0.8.1: exec of a signalled guest 128+N */
	SMOLVM_F_DELETE_STOPS,	    /* 0.8.1: delete stops a running VM */
	SMOLVM_F_PROXY,		    /* 0.8.1: start --proxy */
	SMOLVM_F_CONFINE,	    /* 0.8.2: SMOLVM_SECCOMP/LANDLOCK */
	SMOLVM_F_NAME_FLAG,	    /* 1.0.2: create/delete/data-dir --name */
	SMOLVM_F_LOCAL_IMAGE,	    /* 1.1.0: create -I /abs/archive.tar */
	SMOLVM_F_VIRTIO,	    /* 1.1.3: the allowlist on virtio-net */
	SMOLVM_F_DNS_FLAG,	    /* 1.2.5: create --dns IP */
	SMOLVM_F_CONSOLE_TRUNCATED, /* 1.6.1: console log truncated per boot */
	SMOLVM_F_GATEWAY_LOOPBACK,  /* 1.7.2: gateway → host loopback */
	SMOLVM_F_LABELS,	    /* 1.8.0: create --label, ls labels */
	SMOLVM_F_FROM_KEEPS_ALLOW,  /* 1.8.0: --from keeps --allow-cidr */
	SMOLVM_F_EGRESS_EVENTS,	    /* 1.8.1: machine egress-events */
	SMOLVM_F_HOST_NAME,	    /* 1.8.3: host.smolvm.internal */
	SMOLVM_F_COUNT
};

/* The guest's gateway under virtio-net: the host's loopback from 1.7.2. */
#define SMOLVM_GATEWAY "100.96.0.1"

/* Labels bottle puts on its machines (1.8.0+). */
#define SMOLVM_LABEL_MANAGED "dev.bottle.managed"
#define SMOLVM_LABEL_NAME "dev.bottle.name"

/* What a failed smolvm command's stderr says went wrong. */
enum smolvm_error {
	SMOLVM_ERR_OTHER = 0,
	SMOLVM_ERR_NOT_FOUND,	   /* no such machine */
	SMOLVM_ERR_ALREADY_EXISTS, /* create of an existing machine */
	SMOLVM_ERR_NOT_RUNNING,	   /* exec into a machine that is not up */
	SMOLVM_ERR_AGENT_TIMEOUT,  /* start: the guest agent never answered */
};

/* One machine from `machine status --json` or `machine ls --json`. */
struct smolvm_machine {
	char *name;	    /* owned; "bottle-web" */
	char *state;	    /* owned; created|running|stopped|failed|
			       unreachable (or whatever smolvm said) */
	int pid;	    /* 0 when null or absent */
	int cpus;	    /* 0 when absent */
	int memory_mib;	    /* 0 when absent */
	int network;	    /* 1 when networking is on */
	int64_t created_at; /* Unix seconds, 0 when absent */
	char *image;	    /* owned or NULL */
	int has_labels;	    /* 1.8.0+: the JSON had a labels object */
	int managed;	    /* labels say dev.bottle.managed=1 */
	char *label_name;   /* owned or NULL: dev.bottle.name */
};

/* One record of `machine egress-events --json` (1.8.1+). */
struct smolvm_egress_event {
	char *timestamp; /* owned; RFC 3339, second precision */
	char *operation; /* owned; connect, sendto, resolve */
	char *dest;	 /* owned; "IP:PORT", "[v6]:PORT" or a name */
};

/* Options of `machine create`. */
struct smolvm_create_opts {
	const char *smolfile; /* absolute path */
	const char *dns;      /* --dns IP (1.2.5+), or NULL */
	const char *image;    /* -I /abs/archive (1.1.0+), or NULL */
};

/* Options of `machine exec`; a zeroed struct means none. */
struct smolvm_exec_opts {
	const struct strv *env; /* borrowed; "K=V" each → -e K=V; or NULL */
	const char *workdir;	/* -w DIR, or NULL */
	unsigned timeout_s;	/* --timeout Ns, 0: none */
	int interactive;	/* -i */
	int tty;		/* -t */
	int stream;		/* --stream */
};

/* smolvm_machine_name: "bottle-NAME". Caller frees. */
char *smolvm_machine_name(const char *name);
/* smolvm_bottle_name: NAME when machine is "bottle-NAME", else NULL.
 * Borrowed from machine. */
const char *smolvm_bottle_name(const char *machine);
/* smolvm_owned_name: the bottle a listed machine belongs to: from its
 * labels when it has them (1.8.0+), else from the name prefix; NULL when
 * it is not bottle's. Borrowed from m. */
const char *smolvm_owned_name(const struct smolvm_machine *m);

/* smolvm_band_of: the band of a release. */
enum smolvm_band smolvm_band_of(const struct smolvm_version *v);
/* smolvm_has: 1 when release v has feature f. */
int smolvm_has(const struct smolvm_version *v, enum smolvm_feature f);
/* smolvm_band_name: "A".."E", "newer", "unknown". Static. */
const char *smolvm_band_name(enum smolvm_band b);
/* smolvm_band_meaning: one sentence on what stands behind the isolation
 * on this band, for doctor, status and the dashboard. Static. */
const char *smolvm_band_meaning(enum smolvm_band b);
/* smolvm_band_is_tsi: the allowlist rides on TSI (A-C). */
int smolvm_band_is_tsi(enum smolvm_band b);

/* smolvm_cli_init: c for bin at version text (as --version printed it).
 * 0, or -1 with a cause: not a version, older than 0.8.0, or newer than
 * any known release while allow_newer is 0 (the cause names the newest
 * known release and the switch). */
int smolvm_cli_init(struct smolvm_cli *c, const char *bin, const char *text,
		    int allow_newer, char **cause);

/* smolvm_env: the whole environment smolvm runs with, built from
 * scratch (smolvm-1.9.md §3.7): HOME, PATH, XDG_DATA_HOME,
 * XDG_CACHE_HOME and XDG_RUNTIME_DIR from getenv (when set), TERM when
 * tty, SMOLVM_SECCOMP=enforce and SMOLVM_LANDLOCK=enforce on Linux from
 * 0.8.2, and, for the simulator only (sim), the SMOLVM_SIM_* variables.
 * Nothing else of the caller's environment reaches smolvm. */
void smolvm_env(const struct smolvm_cli *c, int sim, int tty, struct strv *env);
/* smolvm_env_confined: 1 when smolvm_env asks for seccomp and Landlock. */
int smolvm_env_confined(const struct smolvm_cli *c);

/* BIN --version (needs only bin) */
struct strv smolvm_argv_version(const char *bin);
/* BIN machine create bottle-NAME -s F (A, B), or
 * BIN machine create --name bottle-NAME -s F (C+), then
 * --label dev.bottle.managed=1 --label dev.bottle.name=NAME (1.8.0+),
 * --dns IP (1.2.5+, when o->dns), -I IMAGE (1.1.0+, when o->image). */
struct strv smolvm_argv_create(const struct smolvm_cli *c, const char *name,
			       const struct smolvm_create_opts *o);
/* BIN machine start --name bottle-NAME [--proxy URL] (0.8.1+ for it) */
struct strv smolvm_argv_start(const struct smolvm_cli *c, const char *name,
			      const char *proxy);
/* BIN machine stop --name bottle-NAME */
struct strv smolvm_argv_stop(const struct smolvm_cli *c, const char *name);
/* BIN machine delete bottle-NAME -f (A, B) / --name bottle-NAME -f (C+)
 * (never prompts; on A stop first) */
struct strv smolvm_argv_delete(const struct smolvm_cli *c, const char *name);
/* BIN machine status --name bottle-NAME --json */
struct strv smolvm_argv_status(const struct smolvm_cli *c, const char *name);
/* BIN machine ls --json */
struct strv smolvm_argv_ls(const struct smolvm_cli *c);
/* BIN machine exec --name bottle-NAME [-e K=V]... [-w DIR] [--timeout Ns]
 * [-i] [-t] [--stream] -- ARGV... (o may be NULL; argv NULL-terminated,
 * borrowed) */
struct strv smolvm_argv_exec(const struct smolvm_cli *c, const char *name,
			     const struct smolvm_exec_opts *o,
			     const char *const *argv);
/* BIN machine data-dir bottle-NAME (A, B) / --name bottle-NAME (C+) */
struct strv smolvm_argv_data_dir(const struct smolvm_cli *c, const char *name);
/* BIN machine egress-events --name bottle-NAME --json --limit N (1.8.1+) */
struct strv smolvm_argv_egress_events(const struct smolvm_cli *c,
				      const char *name, unsigned limit);
/* BIN pack create -I IMAGE -o OUT (a cache: no machine is ever created
 * from it) */
struct strv smolvm_argv_pack_image(const struct smolvm_cli *c,
				   const char *image, const char *out);
/* BIN pack create -s SMOLFILE -o OUT */
struct strv smolvm_argv_pack_create(const struct smolvm_cli *c,
				    const char *smolfile, const char *out);

/* smolvm_parse_version: "smolvm X.Y.Z" (as --version prints it) into its
 * numbers. 0, or -1 when text is not a version. */
int smolvm_parse_version(const char *text, int *major, int *minor, int *patch);

/* smolvm_version_check: 0 when text is a release bottle knows (0.8.0 to
 * 1.9.x), else -1 with a cause saying which version was found and which
 * ones bottle speaks. */
int smolvm_version_check(const char *text, char **cause);

/* smolvm_parse_egress_events: `machine egress-events --json` (an array,
 * oldest first) into a new array *out of *n events (free with
 * smolvm_egress_events_free). Items of another shape are skipped. */
int smolvm_parse_egress_events(const char *buf, size_t len,
			       struct smolvm_egress_event **out, size_t *n,
			       char **cause);
void smolvm_egress_events_free(struct smolvm_egress_event *e, size_t n);

/* smolvm_parse_machine: one status/ls JSON object into *out (released
 * with smolvm_machine_release). A missing or non-string name or state is
 * an error; other fields of a wrong type or out of range read as absent. */
int smolvm_parse_machine(const struct cJSON *obj, struct smolvm_machine *out,
			 char **cause);
/* smolvm_machine_release: free out's strings and zero it. */
void smolvm_machine_release(struct smolvm_machine *m);

/* smolvm_parse_ls: `machine ls --json` (a JSON array) into a new array
 * *out of *n machines (free with smolvm_machines_free). */
int smolvm_parse_ls(const char *buf, size_t len, struct smolvm_machine **out,
		    size_t *n, char **cause);
void smolvm_machines_free(struct smolvm_machine *m, size_t n);

/* smolvm_parse_status: `machine status --json` into *out (release with
 * smolvm_machine_release). */
int smolvm_parse_status(const char *buf, size_t len, struct smolvm_machine *out,
			char **cause);

/* smolvm_classify: what stderr of a failed smolvm command means. */
enum smolvm_error smolvm_classify(const char *stderr_text);

/* smolvm_is_own_error: 1 when stderr has a line starting "Error: ", the
 * mark of smolvm's own failure (exec exit 1 is otherwise the guest's). */
int smolvm_is_own_error(const char *stderr_text);

/* smolvm_error_name: "not found", ... Static string. */
const char *smolvm_error_name(enum smolvm_error e);

#endif
