/* paths.h: where bottle's files and helper programs live. */
#ifndef BOTTLE_PATHS_H
#define BOTTLE_PATHS_H

/* paths_state_dir: $BOTTLE_STATE_DIR, else $XDG_STATE_HOME/bottle, else
 * ~/.local/state/bottle. Caller frees. */
char *paths_state_dir(void);

/* paths_in_tree: 1 when the running program is a build inside its source
 * tree (its /proc/self/exe lies under BOTTLE_SRCDIR, and the tree is
 * still there); then the simulator, the probe helper and the demo
 * configuration are the tree's. An installed bottle (anywhere else) reads
 * only its installed files, even while the source tree exists. */
int paths_in_tree(void);

/* paths_sim: the smolvm simulator: BOTTLE_SRCDIR/assets/demo/smolvm in
 * the tree, else the installed copy BOTTLE_DATADIR/demo/smolvm (never on
 * PATH as smolvm). Caller frees. */
char *paths_sim(void);

/* paths_probe_helper_dir: directory holding the static bottle-probe
 * (BOTTLE_SRCDIR/build/helper in the tree, else BOTTLE_LIBEXECDIR/helper):
 * the source of each bottle's own copy (helper.c checks it against the
 * digest built into bottle; the VM mounts the copy, never this).
 * Caller frees. */
char *paths_probe_helper_dir(void);

/* paths_demo_config: the demo bottles.json (the tree's, else
 * BOTTLE_DATADIR/demo/bottles.json). Caller frees. */
char *paths_demo_config(void);

/* paths_clean_search: the absolute entries of a PATH value, in order
 * (empty and relative ones dropped: they would make bottle run ./docker
 * or ./smolvm from the current directory). Caller frees. */
char *paths_clean_search(const char *path);

/* paths_secure_search_path: replace this process's PATH with its absolute
 * entries (every child, docker and smolvm included, is looked up there;
 * "/usr/bin:/bin" when none is left). Called once at start-up. */
void paths_secure_search_path(void);

/* paths_docker: $BOTTLE_DOCKER or "docker". Borrowed (environment or a
 * literal): do not free, do not keep across setenv. */
const char *paths_docker(void);

/* paths_smolvm: $BOTTLE_SMOLVM or "smolvm". Borrowed, as paths_docker. */
const char *paths_smolvm(void);

#endif
