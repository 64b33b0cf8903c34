/* cli-exec.h: `bottle exec` and `bottle shell`. */
#ifndef BOTTLE_CLI_EXEC_H
#define BOTTLE_CLI_EXEC_H

#include <uv.h>

#include "smolvm.h"

#include "cli.h"

/* Exit status when bottle (or smolvm) could not run the command at all. */
#define CLI_EXEC_CANNOT_RUN 125
/* Exit status of a command stopped by --timeout (smolvm's). */
#define CLI_EXEC_TIMEOUT 124
/* smolvm 0.8.0's status for a guest killed by a signal (or exit 255). */
#define CLI_EXEC_SIGNALLED 255

/* One bottle as exec and logs need it: found through a core without
 * timers (configured, or discovered in docker/smolvm), after which the
 * core is closed. Every string is owned; the loop stays usable until
 * cli_exec_target_close. */
struct cli_exec_target {
	uv_loop_t loop;
	struct config *cfg;
	char *name;
	char *state_dir;
	char *smolvm;	       /* the smolvm binary (or the simulator) */
	struct smolvm_cli cli; /* bin = smolvm; its release */
	struct strv env;       /* smolvm's environment (TERM included) */
	char *smolvm_version;  /* "smolvm 0.8.0", or NULL */
	char *smolvm_error;    /* why smolvm is unusable, or NULL */
	int simulated;
	char *vm_state;	    /* smolvm's state of bottle-NAME, or NULL */
	char *bundle_state; /* docker's state of the bundle, or NULL */
};

/* cli_exec_target_open: load the configuration, refresh once, find name.
 * 0, or an exit status (config error, no such bottle: message printed,
 * nothing left to close) for which fail_rc is used except for
 * configuration errors (CLI_EXIT_CONFIG unless fail_rc is 125). */
int cli_exec_target_open(struct cli_exec_target *t, const struct cli_global *g,
			 const char *name, int fail_rc);

/* cli_exec_target_close: run the loop until every handle closed (fatal
 * when one leaked), free everything. */
void cli_exec_target_close(struct cli_exec_target *t);

/* cli_exec_main: bottle exec NAME [-e K=V]... [-w DIR] [--timeout DUR]
 * [-i] [-t] -- CMD...; returns the guest's exit status, 124 on timeout,
 * 125 when it could not be run. */
int cli_exec_main(const struct cli_global *g, int argc, char **argv);

/* cli_exec_shell: bottle shell NAME [-e K=V]... [-w DIR]: an interactive
 * shell ($BOTTLE_SHELL, else /bin/sh) in the VM; the host terminal is
 * restored afterwards. */
int cli_exec_shell(const struct cli_global *g, int argc, char **argv);

#endif
