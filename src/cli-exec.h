/* cli-exec.h: `bottle exec` and `bottle shell`. */
#ifndef BOTTLE_CLI_EXEC_H
#define BOTTLE_CLI_EXEC_H

#include <uv.h>

#include "cli.h"

/* Exit status when bottle (or smolvm) could not run the command at all. */
#define CLI_EXEC_CANNOT_RUN 125
/* Exit status of a command stopped by --timeout (smolvm's). */
#define CLI_EXEC_TIMEOUT 124
/* smolvm 0.8.0's status for a guest killed by a signal (or exit 255). */
#define CLI_EXEC_SIGNALLED 255

/* cli_exec_main: bottle exec NAME [-e K=V]... [-w DIR] [--timeout DUR]
 * [-i] [-t] -- CMD...; returns the guest's exit status, 124 on timeout,
 * 125 when it could not be run. */
int cli_exec_main(const struct cli_global *g, int argc, char **argv);

/* cli_exec_shell: bottle shell NAME [-e K=V]... [-w DIR]: an interactive
 * shell ($BOTTLE_SHELL, else /bin/sh) in the VM; the host terminal is
 * restored afterwards. */
int cli_exec_shell(const struct cli_global *g, int argc, char **argv);

#endif
