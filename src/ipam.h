/* ipam.h: IPv4 subnets: parse, format, overlap, allocate from a pool, and
 * read the nets already in use (host routes, docker networks). Pure: the
 * caller reads /proc/net/route and runs docker; these functions only parse
 * text. Addresses are in host byte order. */
#ifndef BOTTLE_IPAM_H
#define BOTTLE_IPAM_H

#include <stddef.h>
#include <stdint.h>

/* An IPv4 network: addr has every host bit zero once parsed. */
struct ipam_net {
	uint32_t addr; /* host byte order */
	int prefix;    /* 0..32 */
};

/* ipam_parse_addr: a strict dotted-quad literal ("10.213.0.2": four
 * decimal octets, no leading zeros, nothing else) into *out. 0 or -1. */
int ipam_parse_addr(const char *s, uint32_t *out);

/* ipam_format_addr: "a.b.c.d". Caller frees. */
char *ipam_format_addr(uint32_t addr);

/* ipam_parse_cidr: "a.b.c.d/n" with every host bit zero into *out; -1 and
 * cause "ipam: S: ..." otherwise. */
int ipam_parse_cidr(const char *s, struct ipam_net *out, char **cause);

/* ipam_parse_net: "a.b.c.d/n" (strict dotted quad, n 0..32 without a
 * leading zero) that is exactly s[0..len), host bits as written (not
 * checked). 0 or -1. The one CIDR parser: config.c's pool check uses
 * it too. */
int ipam_parse_net(const char *s, size_t len, struct ipam_net *out);

/* ipam_format_cidr: "a.b.c.d/n". Caller frees. */
char *ipam_format_cidr(const struct ipam_net *n);

/* ipam_mask: the netmask of a prefix length 0..32 (host byte order). */
uint32_t ipam_mask(int prefix);

/* ipam_overlaps: 1 when a and b share at least one address, else 0. */
int ipam_overlaps(const struct ipam_net *a, const struct ipam_net *b);

/* ipam_allocate: the first /prefix subnet inside pool (lowest address)
 * that overlaps none of taken[0..n_taken) (docker networks, host routes,
 * other bottles' allocations) into *out. prefix must be in
 * pool->prefix..30 (a gateway and a bundle address must fit). -1 with
 * cause "subnet pool P is exhausted (N subnets of /X in use or blocked)"
 * when every subnet is taken. taken is borrowed. */
int ipam_allocate(const struct ipam_net *pool, int prefix,
		  const struct ipam_net *taken, size_t n_taken,
		  struct ipam_net *out, char **cause);

/* ipam_gateway: the first host address (network + 1), dotted. Caller
 * frees. */
char *ipam_gateway(const struct ipam_net *n);

/* ipam_bundle_ip: the bundle's pinned address (network + 2), dotted.
 * Caller frees. */
char *ipam_bundle_ip(const struct ipam_net *n);

/* ipam_parse_proc_route: the text of /proc/net/route (header line, then
 * one route per line, destination and mask as the kernel's native-endian
 * hex of the network-order address) appended to (*nets, *n) (grown with
 * xreallocarray; caller frees *nets). The default route 0.0.0.0/0 is
 * skipped: it would block every subnet. -1 with cause on a malformed
 * line (nothing appended then). */
int ipam_parse_proc_route(const char *text, size_t len, struct ipam_net **nets,
			  size_t *n, char **cause);

/* ipam_parse_docker_ipam: the output of
 * `docker network inspect --format '{{json .IPAM.Config}}' ID...` (one
 * JSON array or null per line, elements {"Subnet": "...", ...}) appended
 * to (*nets, *n) (caller frees *nets). IPv6 subnets and elements without a
 * Subnet are ignored; host bits docker may keep are cleared. -1 with
 * cause on a line that is not such JSON (nothing appended then). */
int ipam_parse_docker_ipam(const char *text, size_t len, struct ipam_net **nets,
			   size_t *n, char **cause);

#endif
