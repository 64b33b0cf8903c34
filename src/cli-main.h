/* cli-main.h: the scriptable command line (every verb but the
 * dashboard): verb → the module that runs it. */
#ifndef BOTTLE_CLI_MAIN_H
#define BOTTLE_CLI_MAIN_H

#include "cli.h"

/* cli_main: run verb argv[0] with its arguments; returns the exit status.
 * Unknown verbs are usage errors. */
int cli_main(const struct cli_global *g, int argc, char **argv);

#endif
