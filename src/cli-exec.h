/* cli-exec.h: `bottle exec` and `bottle shell`. */
#ifndef BOTTLE_CLI_EXEC_H
#define BOTTLE_CLI_EXEC_H

#include "cli.h"

/* Exit status when bottle (or smolvm) could not run the command at all. */
#define CLI_EXEC_CANNOT_RUN 125

/* cli_exec_main: bottle exec NAME [-e K=V]... [-w DIR] [--timeout DUR]
 * [-i] [-t] -- CMD...; returns the guest's exit status, 124 on timeout,
 * 125 when it could not be run. */
int cli_exec_main(const struct cli_global *g, int argc, char **argv);

/* cli_exec_shell: bottle shell NAME: an interactive shell in the VM. */
int cli_exec_shell(const struct cli_global *g, int argc, char **argv);

#endif
