/* paths.h: where bottle's files and helper programs live. */
#ifndef BOTTLE_PATHS_H
#define BOTTLE_PATHS_H

/* paths_state_dir: $BOTTLE_STATE_DIR, else $XDG_STATE_HOME/bottle, else
 * ~/.local/state/bottle. Caller frees. */
char *paths_state_dir(void);

/* paths_sim: the smolvm simulator, from the source tree when run from
 * there (BOTTLE_SRCDIR/assets/demo/smolvm), else the installed copy
 * (BOTTLE_DATADIR/demo/smolvm). Caller frees. */
char *paths_sim(void);

/* paths_probe_helper_dir: directory holding the static bottle-probe
 * (BOTTLE_SRCDIR/build/helper when built there, else BOTTLE_DATADIR/helper):
 * a directory holding nothing else, since it is mounted into every VM.
 * Caller frees. */
char *paths_probe_helper_dir(void);

/* paths_demo_config: the demo bottles.json (source tree or datadir).
 * Caller frees. */
char *paths_demo_config(void);

/* paths_docker: $BOTTLE_DOCKER or "docker". Borrowed (environment or a
 * literal): do not free, do not keep across setenv. */
const char *paths_docker(void);

/* paths_smolvm: $BOTTLE_SMOLVM or "smolvm". Borrowed, as paths_docker. */
const char *paths_smolvm(void);

#endif
