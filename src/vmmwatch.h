/* vmmwatch.h: the VMM's sockets seen from the host.
 *
 * Every connection a guest makes to the outside is a socket of its VMM on
 * the host (virtio-net: the userspace gateway dials; TSI: the guest's
 * socket is a host socket). When that VMM runs under a uid of its own (a
 * *dedicated* uid, see vmmwatch_vmm_uid), the host's socket tables tell
 * what the VM reaches without asking the guest or the VMM: one read of
 * /proc/net/{tcp,tcp6,udp,udp6} per refresh serves every bottle.
 *
 * Parsers are pure over (buf, len); vmmwatch_read and vmmwatch_vmm_uid
 * read /proc. */
#ifndef BOTTLE_VMMWATCH_H
#define BOTTLE_VMMWATCH_H

#include <stddef.h>
#include <stdint.h>

/* Real smolvm 1.2.5+ run as root drops each VMM to a per-VM uid at or
 * above this (smolvm-1.9.md §4.6). */
#define VMMWATCH_VM_UID_MIN 2000000u
/* The simulator's guest uids (assets/demo/smolvm UID_MIN..UID_MAX). */
#define VMMWATCH_SIM_UID_MIN 61000u
#define VMMWATCH_SIM_UID_MAX 61999u

enum vmmwatch_proto {
	VMMWATCH_TCP = 0,
	VMMWATCH_UDP,
};

/* One socket with a peer (listeners and unconnected UDP are dropped). */
struct vmmwatch_sock {
	unsigned uid;
	enum vmmwatch_proto proto;
	int state;     /* the kernel's st column (TCP: 1 established...) */
	char peer[64]; /* "10.1.2.3" or "2001:db8::1" (v4-mapped as v4) */
	int peer_port;
};

/* Every socket with a peer, from one read of the four tables. */
struct vmmwatch_table {
	struct vmmwatch_sock *v; /* owned */
	size_t n;
	int read_ok; /* 1 when /proc/net/tcp could be read */
};

/* vmmwatch_parse: the sockets with a peer of one /proc/net/{tcp,udp}[6]
 * text appended to t (TCP listeners and sockets whose peer is 0.0.0.0 or
 * :: are skipped, and so are malformed lines). Returns how many were
 * added. */
size_t vmmwatch_parse(const char *buf, size_t len, int v6,
		      enum vmmwatch_proto proto, struct vmmwatch_table *t);
/* vmmwatch_read: /proc/net/tcp, tcp6, udp, udp6 (under root, "/proc"
 * normally), each read once, into t (released first). */
void vmmwatch_read(const char *root, struct vmmwatch_table *t);
void vmmwatch_table_release(struct vmmwatch_table *t);

/* vmmwatch_stray: the sockets of uid whose peer is neither allowed nor
 * allowed2 (either may be NULL), as "VMM socket to 10.0.0.9:443 (tcp)"
 * joined with "; " (at most 4 named, then "and N more"), or NULL when
 * there is none. Caller frees. */
char *vmmwatch_stray(const struct vmmwatch_table *t, unsigned uid,
		     const char *allowed, const char *allowed2);
/* vmmwatch_count: sockets of uid whose peer is ip (any port). */
size_t vmmwatch_count(const struct vmmwatch_table *t, unsigned uid,
		      const char *ip);

/* vmmwatch_parse_status_uid: the Uid: line of /proc/PID/status text into
 * *uid (real) and *uniform (real, effective, saved and fs uid agree).
 * 0, or -1 when there is no such line. */
int vmmwatch_parse_status_uid(const char *buf, size_t len, unsigned *uid,
			      int *uniform);

/* What kind of uid a VMM's sockets run under. */
enum vmmwatch_kind {
	VMMWATCH_NONE = 0, /* no uid of its own: the sockets can't be told */
	VMMWATCH_VMM,	   /* the VMM's own per-VM uid (virtio-net): a
			      socket to anything but B is the VMM's
			      allowlist failing */
	VMMWATCH_GUEST,	   /* the guest's uid (the simulator's TSI mode):
			      the guest's own sockets, denials expected */
};

/* vmmwatch_sim_uid: the simulator's _sim-vmm boot.json text → the uid of
 * its host sockets: virtio → 2,000,000 + (guest uid - 61000) (its
 * vm_host_uid), TSI modes → the guest uid. 0, or -1 with a cause. */
int vmmwatch_sim_uid(const char *boot_json, size_t len, unsigned *uid,
		     enum vmmwatch_kind *kind, char **cause);

/* vmmwatch_vmm_uid: the dedicated uid of the VMM whose pid smolvm's
 * `ls --json` reported. Dedicated means: all four uids of the process
 * agree and are >= 2,000,000 (real smolvm 1.2.5+ run as root: a uid no
 * other process shares), or, for the simulator only (simulated != 0),
 * the uid its boot record gives (found through the pid's cmdline). -1
 * with a cause saying why there is none (root-run VMM, a user's uid,
 * no such process). */
int vmmwatch_vmm_uid(int pid, int simulated, unsigned *uid,
		     enum vmmwatch_kind *kind, char **cause);

#endif
