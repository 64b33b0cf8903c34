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

#define SMOLVM_MAJOR 0 /* the one major.minor bottle speaks */
#define SMOLVM_MINOR 8

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

/* BIN --version */
struct strv smolvm_argv_version(const char *bin);
/* BIN machine create bottle-NAME -s SMOLFILE (an absolute path) */
struct strv smolvm_argv_create(const char *bin, const char *name,
			       const char *smolfile);
/* BIN machine start --name bottle-NAME */
struct strv smolvm_argv_start(const char *bin, const char *name);
/* BIN machine stop --name bottle-NAME */
struct strv smolvm_argv_stop(const char *bin, const char *name);
/* BIN machine delete bottle-NAME -f (never prompts; stop first) */
struct strv smolvm_argv_delete(const char *bin, const char *name);
/* BIN machine status --name bottle-NAME --json */
struct strv smolvm_argv_status(const char *bin, const char *name);
/* BIN machine ls --json */
struct strv smolvm_argv_ls(const char *bin);
/* BIN machine exec --name bottle-NAME [-e K=V]... [-w DIR] [--timeout Ns]
 * [-i] [-t] [--stream] -- ARGV... (o may be NULL; argv NULL-terminated,
 * borrowed) */
struct strv smolvm_argv_exec(const char *bin, const char *name,
			     const struct smolvm_exec_opts *o,
			     const char *const *argv);
/* BIN machine data-dir bottle-NAME */
struct strv smolvm_argv_data_dir(const char *bin, const char *name);
/* BIN pack create -s SMOLFILE -o OUT */
struct strv smolvm_argv_pack_create(const char *bin, const char *smolfile,
				    const char *out);

/* smolvm_parse_version: "smolvm X.Y.Z" (as --version prints it) into its
 * numbers. 0, or -1 when text is not a version. */
int smolvm_parse_version(const char *text, int *major, int *minor, int *patch);

/* smolvm_version_check: 0 when text is a 0.8.x version, else -1 with a
 * cause saying which version was found and which one bottle speaks. */
int smolvm_version_check(const char *text, char **cause);

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
