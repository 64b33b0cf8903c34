/* helper.h: each bottle's own copy of the probe helper, checked against
 * the digest built into bottle.
 *
 * The static bottle-probe is mounted into the VM and every connect probe
 * runs it. bottle keeps a copy per bottle, STATE/NAME/helper/bottle-probe
 * (the directory holds nothing else: it is what the VM mounts), made
 * from the installed helper only when what was read matches the SHA-256
 * the Makefile compiled in, and checked again before each probe run. */
#ifndef BOTTLE_HELPER_H
#define BOTTLE_HELPER_H

/* The lower-case hex SHA-256 of the helper bottle was built with
 * (build/gen/helper-digest.c, made by the Makefile). */
extern const char helper_digest[];

#define HELPER_FILE "bottle-probe"
#define HELPER_SUBDIR "helper"

/* helper_prepare: copy the installed helper (paths_probe_helper_dir())
 * into STATE/NAME/helper/ (directory 0755 inside the bottle's 0700
 * directory, file 0755, written to a temporary name with O_EXCL and
 * O_NOFOLLOW and renamed), verifying the digest of the source as read
 * and of the copy. 0 and *dir (caller frees) the directory to mount, or
 * -1 with *cause ("probe helper PATH does not match the digest built
 * into bottle; reinstall bottle"). */
int helper_prepare(const char *state_dir, const char *name, char **dir,
		   char **cause);

/* helper_prepare_from: helper_prepare from the helper at src, which must
 * have the hex SHA-256 want (the tests give their own). */
int helper_prepare_from(const char *src, const char *want,
			const char *state_dir, const char *name, char **dir,
			char **cause);

/* helper_verify: 0 when STATE/NAME/helper/bottle-probe (no symlink on
 * the way) has the digest built into bottle, else -1 with *cause. Cheap:
 * called before each probe run. */
int helper_verify(const char *state_dir, const char *name, char **cause);

/* helper_verify_with: helper_verify against the hex SHA-256 want. */
int helper_verify_with(const char *state_dir, const char *name,
		       const char *want, char **cause);

/* helper_file_digest: the hex SHA-256 (65 bytes) of the regular file at
 * path, opened without following a symlink; 0, or -1 with *cause. */
int helper_file_digest(const char *path, char hex[65], char **cause);

#endif
