/* cli-main.c: verb → the module that runs it. The only file that includes
 * the verbs' headers: they include cli.h alone, so none imports another. */
#include "cli-main.h"

#include <stdio.h>
#include <string.h>

#include "cli-exec.h"
#include "cli-complete.h"
#include "cli-logs.h"
#include "cli-verbs.h"

static const struct {
	const char *verb;
	int (*run)(const struct cli_global *g, int argc, char **argv);
} cli_main_verbs[] = {
    {"ls", cli_verbs_ls},	    {"up", cli_verbs_up},
    {"down", cli_verbs_down},	    {"rm", cli_verbs_rm},
    {"status", cli_verbs_status},   {"probe", cli_verbs_probe},
    {"prepare", cli_verbs_prepare}, {"doctor", cli_verbs_doctor},
    {"exec", cli_exec_main},	    {"shell", cli_exec_shell},
    {"logs", cli_logs_main},	    {"__complete", cli_complete_main},
};

int cli_main(const struct cli_global *g, int argc, char **argv)
{
	size_t i;

	for (i = 0; i < UTIL_NELEM(cli_main_verbs); i++)
		if (strcmp(argv[0], cli_main_verbs[i].verb) == 0)
			return cli_main_verbs[i].run(g, argc, argv);
	fprintf(stderr, "bottle: unknown command %s (see bottle --help)\n",
		cli_quote_arg(argv[0]));
	return CLI_EXIT_USAGE;
}
