/* cli-complete.h: the hidden `bottle __complete` sub-command that feeds
 * the shell completion scripts (assets/completion/): plain lines, one
 * candidate each, so that no shell ever parses JSON.
 *
 *   bottle [-c FILE] __complete names     bottle names: the configuration's,
 *                                         then state.json's, then docker's
 *                                         (labelled containers; 1 s at most)
 *   bottle __complete verbs               VERB<TAB>ARGS<TAB>DESCRIPTION;
 *                                         ARGS is "", "name" or "names"
 *   bottle __complete options [VERB]      OPTION<TAB>VALUE<TAB>DESCRIPTION;
 *                                         VALUE is "" (a flag), "file",
 *                                         "source", "number", "duration",
 *                                         "env" or "dir"; no VERB: the
 *                                         global options
 *   bottle __complete sources             the values of logs --source
 *
 * It never prints an error for a broken configuration or an absent
 * docker: completion offers what it can find and stays quiet. */
#ifndef BOTTLE_CLI_COMPLETE_H
#define BOTTLE_CLI_COMPLETE_H

#include "cli.h"

/* cli_complete_main: argv[0] is "__complete"; returns the exit status
 * (0, or CLI_EXIT_USAGE for an unknown request or verb). */
int cli_complete_main(const struct cli_global *g, int argc, char **argv);

#endif
