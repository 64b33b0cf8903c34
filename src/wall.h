/* wall.h: the second wall. Where a bottle's VMM runs under a uid of its
 * own (vmmwatch_vmm_uid), kernel rules on the host let that uid reach only
 * the bundle's address B and count what they refuse, whatever the VMM's
 * own allowlist does.
 *
 * Per bottle one chain, BOTTLE-W-<world>-<name> (28 characters: 8 hex of
 * the state directory, 10 hex of the bottle name), jumped to from the top
 * of OUTPUT for that uid only (-m owner --uid-owner U):
 *   IPv4  -d B/32 -p tcp --dport P --ctstate NEW -j RETURN  (the probe's
 *                                                  port: bundle-reach)
 *         -d B/32 -j RETURN                        (the rest to B)
 *         -d 127.0.0.0/8                           (counts: host loopback)
 *         -p tcp -j REJECT --reject-with tcp-reset
 *         -j DROP
 *   IPv6  -d ::1/128 (counts), -p tcp -j REJECT tcp-reset, -j DROP
 * RETURN, not ACCEPT: the wall only ever takes away; what else OUTPUT
 * says still applies to B. Nothing matches another uid.
 *
 * The pure part builds restore scripts and parses `iptables-save -c`;
 * the rest (wall_bottle_*, wall_core_*) runs iptables synchronously (a
 * few ms; only when the rules change, one save per family per refresh
 * and two around a probe run). */
#ifndef BOTTLE_WALL_H
#define BOTTLE_WALL_H

#include <stddef.h>
#include <stdint.h>

#define WALL_CHAIN_PREFIX "BOTTLE-W-"
#define WALL_CHAIN_MAX 28

/* One BOTTLE-W- chain as iptables-save -c showed it (one family). */
struct wall_chain {
	char name[WALL_CHAIN_MAX + 4];
	int n_jumps;	    /* OUTPUT rules jumping to it */
	unsigned uid;	    /* of the (first) jump, 0 when none */
	char bundle_ip[64]; /* the -d of its RETURN rules ("" none) */
	int probe_port;	    /* the --dport of the probe rule, 0 none */
	uint64_t probe_new; /* packets: new connections to B:probe_port */
	uint64_t to_b;	    /* packets of the other RETURN rule */
	uint64_t loopback;  /* packets to the host's loopback */
	uint64_t refused;   /* packets of REJECT + DROP */
	int n_rules;
	int has_reject, has_drop;
};

/* Every BOTTLE-W- chain of one family's listing. */
struct wall_listing {
	struct wall_chain *v; /* owned */
	size_t n;
	char **jumps;	 /* owned: each OUTPUT jump rule's spec after "-A
			    OUTPUT " (for deleting it), parallel to jump_of */
	size_t *jump_of; /* index into v of jumps[i] */
	size_t n_jumps;
	int ok; /* the listing was read */
};

/* wall_chain_name: "BOTTLE-W-" + 8 hex of world + "-" + 10 hex of name
 * into out (>= WALL_CHAIN_MAX + 1 bytes). */
void wall_chain_name(const char *world, const char *name, char *out,
		     size_t outsz);
/* wall_world_prefix: "BOTTLE-W-" + 8 hex of world + "-". */
void wall_world_prefix(const char *world, char *out, size_t outsz);

/* wall_script_install: the iptables-restore --noflush script that
 * (re)creates chain for uid (v4: B = bundle_ip, probe port; v6: refuse
 * all) and its one jump at the top of OUTPUT, deleting the jumps l has
 * for it first. Caller frees. */
char *wall_script_install(const struct wall_listing *l, const char *chain,
			  unsigned uid, const char *bundle_ip, int probe_port,
			  int v6);
/* wall_script_remove: the script that removes chain and every jump to it
 * that l shows; NULL when l has no such chain. Caller frees. */
char *wall_script_remove(const struct wall_listing *l, const char *chain);

/* wall_parse_save: `iptables-save -c -t filter` (or without -c) text into
 * *l (released first). 0, or -1 when it has no *filter table. */
int wall_parse_save(const char *buf, size_t len, struct wall_listing *l);
void wall_listing_release(struct wall_listing *l);
/* wall_listing_find: chain's entry in l or NULL (borrowed). */
const struct wall_chain *wall_listing_find(const struct wall_listing *l,
					   const char *chain);
/* wall_chain_matches: c is exactly what wall_script_install makes for
 * uid, bundle_ip (NULL for v6) and probe_port. */
int wall_chain_matches(const struct wall_chain *c, unsigned uid,
		       const char *bundle_ip, int probe_port);

struct bottle;
struct bottle_core;

/* wall_capable: 1 when this process can keep walls (root, iptables-save
 * and iptables-restore found, BOTTLE_WALL is not "off"); else 0 and *why
 * (static) says why not. */
int wall_capable(const char **why);

/* wall_core_refresh_async: the refresh's share, once for every bottle:
 * read the four socket tables and the two rule listings (iptables-save,
 * ip6tables-save) on libuv's thread pool, then on the loop for each
 * bottle its VMM's uid, stray sockets, the wall (installed when its
 * running VM has none) and its counters; chains of this state directory
 * whose bottle runs no VM (or whose uid changed), and chains of any state
 * directory for a uid now owned by one of these VMs, are removed (only
 * when vm_known: smolvm's listing was read). A bottle in an operation or
 * a probe run is left to it. Then done(core, vm_known), also when the
 * core closed meanwhile (then nothing else was done). Holds a core
 * reference. */
void wall_core_refresh_async(struct bottle_core *core, int vm_known,
			     void (*done)(struct bottle_core *core,
					  int vm_known));

/* wall_bottle_ensure: before a probe run: b's wall is put in place when it
 * can be (b's VMM uid found now if the refresh did not see it yet) and
 * its counters read into b->wall_run_*. 1 when the wall is in place. */
int wall_bottle_ensure(struct bottle *b);
/* wall_bottle_after: after a probe run: the counters again; 1 when the
 * wall stayed in place throughout (same chain, uid, counters not reset);
 * *d_probe, *d_loop and *d_refused get what the run added. */
int wall_bottle_after(struct bottle *b, uint64_t *d_probe, uint64_t *d_loop,
		      uint64_t *d_refused);
/* wall_remove: remove bottle name's wall (both families) now; for down,
 * rm and a failed up's rollback, once the VM is stopped. Safe to call
 * when there is none, or when this process can't keep walls. */
void wall_remove(struct bottle_core *core, const char *name);
/* wall_bottle_settle: at the end of b's operation: remove b's wall when
 * its VM no longer runs. */
void wall_bottle_settle(struct bottle *b);

/* wall_breach: 1 when b's wall refused packets of b's VMM's own uid (the
 * VMM's allowlist let them through). */
int wall_breach(const struct bottle *b);
/* wall_guest_reported: 1 when a probe of b's latest run PASSed on the
 * guest's word only (no host evidence): b is never plainly healthy. */
int wall_guest_reported(const struct bottle *b);
/* wall_describe: one line on b's second wall for status and the
 * dashboard ("in place (uid 2000000 → 10.213.0.2 only): 12 packets to B,
 * 0 refused"). Caller frees. */
char *wall_describe(const struct bottle *b);

/* wall_host_refuses: connects from the host to ip:PORT for each of the n
 * ports, all at once and all bounded by ms: 1 every one was refused, 0
 * one was accepted (*accepted: its port), -1 one had no answer (or ip is
 * not IPv4). */
int wall_host_refuses(const char *ip, const int *ports, size_t n, int ms,
		      int *accepted);

#endif
