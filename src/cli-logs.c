/* cli-logs.c: `bottle logs` (being written). */
#include "cli-logs.h"

#include <stdio.h>

int cli_logs_main(const struct cli_global *g, int argc, char **argv)
{
	(void)g;
	(void)argc;
	(void)argv;
	fputs("bottle: logs is not implemented yet\n", stderr);
	return CLI_EXIT_FAIL;
}
