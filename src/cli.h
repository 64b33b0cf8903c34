/* cli.h: the scriptable command line (every verb but the dashboard). */
#ifndef BOTTLE_CLI_H
#define BOTTLE_CLI_H

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

/* cli_main: run verb argv[0] with its arguments; returns the exit status.
 * Unknown verbs are usage errors. */
int cli_main(const struct cli_global *g, int argc, char **argv);

/* cli_progress: one progress line on stderr ("bottle: NAME: MSG"), unless
 * quiet. */
void cli_progress(const char *name, const char *fmt, ...) UTIL_PRINTF(2, 3);

/* cli_quote_arg: what the user typed, quoted and made safe to print
 * (escapes visible, bounded); a static buffer valid until the next call. */
const char *cli_quote_arg(const char *arg);

#endif
