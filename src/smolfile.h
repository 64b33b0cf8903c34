/* smolfile.h: render a bottle's Smolfile (TOML for smolvm 0.8) and check
 * one strictly. Pure: no I/O.
 *
 * The output always has exactly one [network] table holding exactly
 * allow_cidrs = ["BUNDLE_IP/32"], and never ports, net or allow_hosts.
 * Every string is a TOML basic string with full escaping, so no config
 * value can add a key or a table. Strings must be valid UTF-8: invalid
 * UTF-8 is rejected (naming the field), not replaced, since configs are
 * written by people and a silently changed value is worse than an error. */
#ifndef BOTTLE_SMOLFILE_H
#define BOTTLE_SMOLFILE_H

#include <stddef.h>

#include "config.h"

/* Mount point of the helper directory inside the VM. */
#define SMOLFILE_HELPER_GUEST "/opt/bottle"

struct smolfile_in {
	const struct config_vm *vm; /* borrowed: image, entrypoint, cmd, env,
				       workdir, cpus, memory_mib, volumes */
	const char *bundle_ip;	    /* borrowed; IPv4 literal, the only
				       address the VM may reach */
	int proxy_port;		    /* the bundle's forward proxy: sets
				       HTTP(S)_PROXY and http(s)_proxy to
				       http://BUNDLE_IP:PORT; 0 = no proxy */
	const char *helper_dir;	    /* borrowed; absolute host dir holding
				       bottle-probe, mounted read-only at
				       /opt/bottle; NULL = none */
};

/* smolfile_render: the Smolfile text into *out (caller frees), or -1 with
 * cause "smolfile: FIELD: ..." (caller frees). The env is the vm env plus
 * the proxy variables, sorted by key (bytewise). Rejected: a vm env entry
 * that is not KEY=VALUE, a key with a space or control character, a key
 * set twice, a key bottle sets itself (HTTP_PROXY, HTTPS_PROXY and their
 * lower-case forms, when proxy_port is set; NO_PROXY is never emitted and
 * left to the user), and a volume at or under /opt/bottle when helper_dir
 * is set. Empty entrypoint/cmd/env/volumes and a NULL or empty workdir are
 * omitted. */
int smolfile_render(const struct smolfile_in *in, char **out, char **cause);

/* smolfile_render_mounts: smolfile_render with the volumes as
 * config_check_volumes_now resolved them (m, borrowed) instead of
 * in->vm->volumes: each mount as "HOST:GUEST[:ro]", a git_ro one followed
 * by "HOST/.git:GUEST/.git:ro" (smolvm and the simulator mount in order,
 * so the read-only .git lies over the read-write parent). */
int smolfile_render_mounts(const struct smolfile_in *in,
			   const struct config_mounts *m, char **out,
			   char **cause);

/* smolfile_mount_lines: what smolfile_render_mounts (m) or, m NULL,
 * smolfile_render mounts, one line each into *out ("mount: HOST -> GUEST
 * (rw)", "mount: HOST/.git -> GUEST/.git (ro, git stays read-only)", the
 * helper last), control characters shown as '?'. For `up` to print. */
void smolfile_mount_lines(const struct smolfile_in *in,
			  const struct config_mounts *m, struct strv *out);

/* smolfile_check: strictly read text[0..len) as the TOML subset
 * smolfile_render writes (known keys once each with their types, basic
 * strings with valid escapes and UTF-8, one [network] table holding only
 * allow_cidrs = ["BUNDLE_IP/32"]). On success, when vm != NULL, the
 * decoded values are stored in *vm (caller releases with
 * smolfile_vm_release). -1 with cause on the first violation. */
int smolfile_check(const char *text, size_t len, const char *bundle_ip,
		   struct config_vm *vm, char **cause);

/* smolfile_vm_release: free what smolfile_check stored in vm; zeroes it. */
void smolfile_vm_release(struct config_vm *vm);

#endif
