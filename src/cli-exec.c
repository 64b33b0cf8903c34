/* cli-exec.c: `bottle exec` and `bottle shell` (being written). */
#include "cli-exec.h"

#include <stdio.h>

int cli_exec_main(const struct cli_global *g, int argc, char **argv)
{
	(void)g;
	(void)argc;
	(void)argv;
	fputs("bottle: exec is not implemented yet\n", stderr);
	return CLI_EXEC_CANNOT_RUN;
}

int cli_exec_shell(const struct cli_global *g, int argc, char **argv)
{
	return cli_exec_main(g, argc, argv);
}
