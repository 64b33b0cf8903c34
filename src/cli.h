/* cli.h: what every verb of the command line shares: global options, exit
 * statuses, the configuration, the core's set-up and teardown, option
 * parsing and quoting. The verbs live in cli-verbs.c, cli-exec.c and
 * cli-logs.c, each including only this header; cli-main.c dispatches. */
#ifndef BOTTLE_CLI_H
#define BOTTLE_CLI_H

#include <getopt.h>
#include <uv.h>

#include "smolvm.h"
#include "bottle.h"
#include "config.h"

/* Exit statuses shared by every verb. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_CONFIG 78

/* Global options, parsed by main. */
struct cli_global {
	const char *config_path; /* -c FILE, or NULL for the default */
	int read_only;		 /* --read-only */
	const char *argv0;	 /* how bottle was invoked */
};

/* cli_load_config: the configuration named by g (or the default path);
 * on error prints the message and returns NULL (exit CLI_EXIT_CONFIG). */
struct config *cli_load_config(const struct cli_global *g);

/* cli_progress: one progress line on stderr ("bottle: NAME: MSG"), unless
 * BOTTLE_QUIET is set. */
void cli_progress(const char *name, const char *fmt, ...) UTIL_PRINTF(2, 3);

/* cli_quote_arg: what the user typed, quoted and made safe to print
 * (escapes visible, bounded); a static buffer valid until the next call. */
const char *cli_quote_arg(const char *arg);

/* cli_usage: "bottle VERB: MSG" (when fmt is not NULL), then "usage:
 * bottle VERB USAGE", on stderr; returns CLI_EXIT_USAGE. */
int cli_usage(const char *verb, const char *usage, const char *fmt, ...)
    UTIL_PRINTF(3, 4);

/* Long options without a short form take a val from CLI_OPT_LONG on, so
 * that a message can name them as typed. */
#define CLI_OPT_LONG 256

/* cli_getopt: getopt_long over argv (argv[0] is the verb) without
 * getopt's own messages. Set optind = 0 before the first call. Returns
 * what getopt_long returns; for '?' (unknown option) and ':' (missing
 * value: shortopts starts with ":" or "+:") *typed is the option as the
 * user wrote it (borrowed, or a static buffer). */
int cli_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts, const char **typed);

/* What cli_open does beyond opening: */
enum {
	CLI_OPEN_OPTIONAL = 1, /* no configuration file is no error */
};

/* A configuration, a loop and a core without timers over them. */
struct cli_core {
	struct config *cfg; /* owned */
	char *state_dir;    /* owned */
	uv_loop_t loop;
	struct bottle_core *core; /* NULL once closed */
};

/* cli_open: load the configuration (an empty one when CLI_OPEN_OPTIONAL
 * and there is no file at the default path), make the loop and the core
 * with o. CLI_EXIT_OK, else CLI_EXIT_CONFIG or CLI_EXIT_FAIL with the
 * message printed and nothing left to close. */
int cli_open(struct cli_core *c, const struct cli_global *g,
	     const struct bottle_core_opts *o, unsigned flags);

/* cli_ready: start the core and run the loop until its first refresh. */
void cli_ready(struct cli_core *c);

/* cli_close: close the core (unless closed), run the loop until every
 * handle closed (fatal when one leaked), free everything. */
void cli_close(struct cli_core *c);

/* One bottle as exec and logs need it: found through a core that is
 * closed once it answered (configured, or discovered in docker/smolvm).
 * Every string is owned; the loop stays usable until cli_target_close. */
struct cli_target {
	struct cli_core c;
	char *name;
	char *smolvm;	       /* the smolvm binary (or the simulator) */
	struct smolvm_cli cli; /* bin = smolvm; its release */
	struct strv env;       /* smolvm's environment (TERM included) */
	char *smolvm_version;  /* "smolvm 0.8.0", or NULL */
	char *smolvm_error;    /* why smolvm is unusable, or NULL */
	int simulated;
	char *vm_state;	    /* smolvm's state of bottle-NAME, or NULL */
	char *bundle_state; /* docker's state of the bundle, or NULL */
};

/* cli_target_open: load the configuration, refresh once (no docker
 * version check), find name. 0, or config_rc (configuration error) or
 * fail_rc (no such bottle, no core) with the message printed and
 * nothing left to close. */
int cli_target_open(struct cli_target *t, const struct cli_global *g,
		    const char *name, int config_rc, int fail_rc);

/* cli_target_close: cli_close, and free the rest. */
void cli_target_close(struct cli_target *t);

#endif
