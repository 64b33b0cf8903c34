/* cli-verbs.h: the verbs over the core: ls, up, down, rm, status, probe,
 * prepare, doctor. Each takes argv[0] = the verb and returns the exit
 * status. */
#ifndef BOTTLE_CLI_VERBS_H
#define BOTTLE_CLI_VERBS_H

#include "cli.h"

/* bottle ls [--json] */
int cli_verbs_ls(const struct cli_global *g, int argc, char **argv);
/* bottle up NAME...|--all */
int cli_verbs_up(const struct cli_global *g, int argc, char **argv);
/* bottle down NAME...|--all */
int cli_verbs_down(const struct cli_global *g, int argc, char **argv);
/* bottle rm NAME... */
int cli_verbs_rm(const struct cli_global *g, int argc, char **argv);
/* bottle status NAME [--json] */
int cli_verbs_status(const struct cli_global *g, int argc, char **argv);
/* bottle probe NAME...|--all [--json] */
int cli_verbs_probe(const struct cli_global *g, int argc, char **argv);
/* bottle prepare NAME: smolvm pack create, a prepare-time cache */
int cli_verbs_prepare(const struct cli_global *g, int argc, char **argv);
/* bottle doctor: every finding with its fix */
int cli_verbs_doctor(const struct cli_global *g, int argc, char **argv);

#endif
