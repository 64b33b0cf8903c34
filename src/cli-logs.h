/* cli-logs.h: `bottle logs`. */
#ifndef BOTTLE_CLI_LOGS_H
#define BOTTLE_CLI_LOGS_H

#include "cli.h"

/* cli_logs_main: bottle logs NAME [--source events|bundle|vm|egress|all] [-f]
 * [-n N] [--raw]. */
int cli_logs_main(const struct cli_global *g, int argc, char **argv);

#endif
