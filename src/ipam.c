/* ipam.c: IPv4 subnet parsing, overlap and first-fit allocation. */
#include "ipam.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Parse one decimal number of 1..maxdig digits without a leading zero
 * (except "0" itself) from s[0..len) into *out. */
static int ipam_parse_dec(const char *s, size_t len, size_t maxdig,
			  unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (len == 0 || len > maxdig || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Parse a dotted quad from exactly s[0..len). */
static int ipam_parse_addr_n(const char *s, size_t len, uint32_t *out)
{
	uint32_t addr = 0;
	size_t start = 0, i;
	int octets = 0;
	unsigned v;

	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (octets == 4 ||
		    ipam_parse_dec(s + start, i - start, 3, &v) < 0 || v > 255)
			return -1;
		addr = addr << 8 | v;
		octets++;
		start = i + 1;
	}
	if (octets != 4)
		return -1;
	*out = addr;
	return 0;
}

int ipam_parse_addr(const char *s, uint32_t *out)
{
	return ipam_parse_addr_n(s, strlen(s), out);
}

char *ipam_format_addr(uint32_t addr)
{
	return xasprintf("%u.%u.%u.%u", (unsigned)(addr >> 24) & 0xff,
			 (unsigned)(addr >> 16) & 0xff,
			 (unsigned)(addr >> 8) & 0xff, (unsigned)addr & 0xff);
}

uint32_t ipam_mask(int prefix)
{
	if (prefix <= 0)
		return 0;
	if (prefix >= 32)
		return UINT32_MAX;
	return UINT32_MAX << (32 - prefix);
}

int ipam_parse_net(const char *s, size_t len, struct ipam_net *out)
{
	const char *slash = memchr(s, '/', len);
	unsigned prefix;
	size_t alen;

	if (slash == NULL)
		return -1;
	alen = (size_t)(slash - s);
	if (ipam_parse_addr_n(s, alen, &out->addr) < 0 ||
	    ipam_parse_dec(slash + 1, len - alen - 1, 2, &prefix) < 0 ||
	    prefix > 32)
		return -1;
	out->prefix = (int)prefix;
	return 0;
}

int ipam_parse_cidr(const char *s, struct ipam_net *out, char **cause)
{
	struct ipam_net n;
	char *want;

	if (ipam_parse_net(s, strlen(s), &n) < 0)
		return util_fail(cause,
				 "ipam: \"%s\": expected an IPv4 CIDR such as "
				 "10.213.0.0/16",
				 s);
	if ((n.addr & ~ipam_mask(n.prefix)) != 0) {
		n.addr &= ipam_mask(n.prefix);
		want = ipam_format_cidr(&n);
		util_fail(cause,
			  "ipam: %s: host bits are set (did you mean %s?)", s,
			  want);
		free(want);
		return -1;
	}
	*out = n;
	return 0;
}

char *ipam_format_cidr(const struct ipam_net *n)
{
	char *addr = ipam_format_addr(n->addr);
	char *s = xasprintf("%s/%d", addr, n->prefix);

	free(addr);
	return s;
}

int ipam_overlaps(const struct ipam_net *a, const struct ipam_net *b)
{
	int p = a->prefix < b->prefix ? a->prefix : b->prefix;

	return ((a->addr ^ b->addr) & ipam_mask(p)) == 0;
}

/* The last address of n, as a 64-bit number so that +1 cannot wrap. */
static uint64_t ipam_last(const struct ipam_net *n)
{
	return (uint64_t)(n->addr | ~ipam_mask(n->prefix));
}

/* The first taken net that overlaps cand, or NULL. */
static const struct ipam_net *ipam_blocker(const struct ipam_net *cand,
					   const struct ipam_net *taken,
					   size_t n_taken)
{
	size_t i;

	for (i = 0; i < n_taken; i++)
		if (ipam_overlaps(cand, &taken[i]))
			return &taken[i];
	return NULL;
}

int ipam_allocate(const struct ipam_net *pool, int prefix,
		  const struct ipam_net *taken, size_t n_taken,
		  struct ipam_net *out, char **cause)
{
	uint64_t size, next, end;
	const struct ipam_net *t;
	struct ipam_net cand;
	char *p;

	if (pool->prefix < 0 || pool->prefix > 32 ||
	    (pool->addr & ~ipam_mask(pool->prefix)) != 0)
		return util_fail(cause, "ipam: subnet pool is not a network");
	if (prefix < pool->prefix || prefix > 30)
		return util_fail(cause,
				 "ipam: subnet size /%d does not fit pool /%d "
				 "(expected /%d to /30)",
				 prefix, pool->prefix, pool->prefix);
	size = (uint64_t)1 << (32 - prefix);
	next = pool->addr;
	end = ipam_last(pool);
	cand.prefix = prefix;
	while (next <= end) {
		cand.addr = (uint32_t)next;
		t = ipam_blocker(&cand, taken, n_taken);
		if (t == NULL) {
			*out = cand;
			return 0;
		}
		/* Jump past both the candidate and its blocker, aligned: each
		 * blocker is passed at most once. */
		next = ipam_last(t) > ipam_last(&cand) ? ipam_last(t) + 1
						       : ipam_last(&cand) + 1;
		next = (next + size - 1) / size * size;
	}
	p = ipam_format_cidr(pool);
	util_fail(cause,
		  "subnet pool %s is exhausted (%" PRIu64
		  " subnets of /%d in use or blocked)",
		  p, (uint64_t)1 << (prefix - pool->prefix), prefix);
	free(p);
	return -1;
}

char *ipam_gateway(const struct ipam_net *n)
{
	return ipam_format_addr(n->addr + 1);
}

char *ipam_bundle_ip(const struct ipam_net *n)
{
	return ipam_format_addr(n->addr + 2);
}

/* A list being built; appended to the caller's only on success. */
struct ipam_list {
	struct ipam_net *v; /* owned */
	size_t n;
};

static void ipam_list_push(struct ipam_list *l, const struct ipam_net *net)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n++] = *net;
}

/* Move l's nets to the end of (*nets, *n) and release l. */
static void ipam_list_append_to(struct ipam_list *l, struct ipam_net **nets,
				size_t *n)
{
	if (l->n > 0) {
		*nets = xreallocarray(*nets, *n + l->n, sizeof **nets);
		memcpy(*nets + *n, l->v, l->n * sizeof *l->v);
		*n += l->n;
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Split s[0..len) on blanks: up to max fields into f/flen; returns the
 * field count (which may exceed max). */
static size_t ipam_fields(const char *s, size_t len, const char **f,
			  size_t *flen, size_t max)
{
	size_t i = 0, start, n = 0;

	for (;;) {
		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
			i++;
		if (i == len)
			return n;
		start = i;
		while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			i++;
		if (n < max) {
			f[n] = s + start;
			flen[n] = i - start;
		}
		n++;
	}
}

/* Exactly eight hex digits into *out. */
static int ipam_parse_hex32(const char *s, size_t len, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;
	int d;

	if (len != 8)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 0;
}

/* The prefix length of a contiguous netmask, or -1. */
static int ipam_mask_prefix(uint32_t mask)
{
	int p = 0;

	while (p < 32 && (mask & (UINT32_C(1) << (31 - p))) != 0)
		p++;
	return ipam_mask(p) == mask ? p : -1;
}

/* One route line (fields Iface Destination Gateway Flags RefCnt Use
 * Metric Mask ...): push it unless it is the header or the default. */
static int ipam_route_line(const char *s, size_t len, struct ipam_list *l)
{
	const char *f[8];
	size_t flen[8];
	uint32_t dest, mask;
	struct ipam_net net;

	size_t nf = ipam_fields(s, len, f, flen, 8);

	if (nf == 0)
		return 0;
	if (flen[0] == 5 && memcmp(f[0], "Iface", 5) == 0)
		return 0;
	if (nf < 8 || ipam_parse_hex32(f[1], flen[1], &dest) < 0 ||
	    ipam_parse_hex32(f[7], flen[7], &mask) < 0)
		return -1;
	/* The kernel prints the network-order word as a native integer. */
	net.prefix = ipam_mask_prefix(ntohl(mask));
	if (net.prefix < 0)
		return -1;
	net.addr = ntohl(dest) & ipam_mask(net.prefix);
	if (net.prefix > 0)
		ipam_list_push(l, &net);
	return 0;
}

/* Call fn on each line of text[0..len); stop at the first failure and
 * return its 1-based line number, or 0 when every line passed. */
static size_t ipam_each_line(const char *text, size_t len,
			     int (*fn)(const char *, size_t,
				       struct ipam_list *),
			     struct ipam_list *l)
{
	size_t i = 0, lineno = 0, end;
	const char *nl;

	while (i < len) {
		nl = memchr(text + i, '\n', len - i);
		end = nl != NULL ? (size_t)(nl - text) : len;
		lineno++;
		if (fn(text + i, end - i, l) < 0)
			return lineno;
		i = end + 1;
	}
	return 0;
}

/* ipam_parse_lines: fn over every line, the nets into (*nets, *n); -1 with
 * cause "ipam: SOURCE line N: expected WANT" at the first bad line. */
static int ipam_parse_lines(const char *text, size_t len,
			    int (*fn)(const char *, size_t, struct ipam_list *),
			    const char *source, const char *want,
			    struct ipam_net **nets, size_t *n, char **cause)
{
	struct ipam_list l = {NULL, 0};
	size_t bad = ipam_each_line(text, len, fn, &l);

	if (bad != 0) {
		free(l.v);
		return util_fail(cause, "ipam: %s line %zu: expected %s",
				 source, bad, want);
	}
	ipam_list_append_to(&l, nets, n);
	return 0;
}

int ipam_parse_proc_route(const char *text, size_t len, struct ipam_net **nets,
			  size_t *n, char **cause)
{
	return ipam_parse_lines(text, len, ipam_route_line, "/proc/net/route",
				"hex destination and contiguous mask", nets, n,
				cause);
}

/* One IPAM.Config element: push its IPv4 subnet, if any. */
static int ipam_docker_elem(const cJSON *e, struct ipam_list *l)
{
	const cJSON *sub;
	const char *s;
	struct ipam_net net;

	if (!cJSON_IsObject(e))
		return -1;
	sub = cJSON_GetObjectItemCaseSensitive(e, "Subnet");
	if (sub == NULL || cJSON_IsNull(sub))
		return 0;
	s = cJSON_GetStringValue(sub);
	if (s == NULL)
		return -1;
	if (s[0] == '\0' || strchr(s, ':') != NULL)
		return 0; /* none, or IPv6 */
	if (ipam_parse_net(s, strlen(s), &net) < 0)
		return -1;
	net.addr &= ipam_mask(net.prefix);
	ipam_list_push(l, &net);
	return 0;
}

/* One line: a JSON array of IPAM.Config elements, or null. */
static int ipam_docker_line(const char *s, size_t len, struct ipam_list *l)
{
	cJSON *root, *e;
	char *line;
	int rc = 0;

	while (len > 0 &&
	       (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	while (len > 0 && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		len--;
	}
	if (len == 0)
		return 0;
	if (memchr(s, '\0', len) != NULL)
		return -1;
	line = xstrndup(s, len);
	root = cJSON_ParseWithOpts(line, NULL, 1); /* no trailing garbage */
	free(line);
	if (root == NULL)
		return -1;
	if (cJSON_IsArray(root)) {
		cJSON_ArrayForEach(e, root)
		{
			if (ipam_docker_elem(e, l) < 0) {
				rc = -1;
				break;
			}
		}
	} else if (!cJSON_IsNull(root)) {
		rc = -1;
	}
	cJSON_Delete(root);
	return rc;
}

int ipam_parse_docker_ipam(const char *text, size_t len, struct ipam_net **nets,
			   size_t *n, char **cause)
{
	return ipam_parse_lines(
	    text, len, ipam_docker_line, "docker network inspect",
	    "a JSON array of {\"Subnet\": ...}", nets, n, cause);
}
