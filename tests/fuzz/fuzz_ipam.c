/* fuzz_ipam.c: the ipam parsers and the allocator against brute force.
 *
 * Input: byte 0 % 4 picks the mode, the rest is its data:
 *   0  a CIDR string: if it parses, formatting gives it back exactly
 *   1  /proc/net/route text: parsed nets are networks, never 0.0.0.0/0
 *   2  docker IPAM lines: parsed nets are networks
 *   3  allocator: pool (4 address bytes, prefix byte), subnet prefix byte,
 *      then 5 bytes per taken net; the result must match a brute-force
 *      first fit over every candidate (pools of up to 2^12 subnets).
 * Any mismatch aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipam.h"
#include "util.h"

static void fuzz_assert(int ok)
{
	if (!ok)
		abort();
}

static void fuzz_cidr(const uint8_t *d, size_t n)
{
	char *s = xstrndup((const char *)d, n), *back, *cause = NULL;
	struct ipam_net net;

	if (strlen(s) == n && ipam_parse_cidr(s, &net, &cause) == 0) {
		back = ipam_format_cidr(&net);
		fuzz_assert(strcmp(back, s) == 0);
		free(back);
	} else {
		free(cause);
	}
	free(s);
}

static void fuzz_nets_are_networks(const struct ipam_net *nets, size_t n,
				   int no_default)
{
	size_t i;

	for (i = 0; i < n; i++) {
		fuzz_assert(nets[i].prefix >= 0 && nets[i].prefix <= 32);
		fuzz_assert((nets[i].addr & ~ipam_mask(nets[i].prefix)) == 0);
		fuzz_assert(!no_default || nets[i].prefix > 0);
	}
}

static void fuzz_parsers(int which, const uint8_t *d, size_t n)
{
	struct ipam_net *nets = NULL;
	size_t count = 0;
	char *cause = NULL;
	int rc;

	if (which == 1)
		rc = ipam_parse_proc_route((const char *)d, n, &nets, &count,
					   &cause);
	else
		rc = ipam_parse_docker_ipam((const char *)d, n, &nets, &count,
					    &cause);
	if (rc == 0)
		fuzz_nets_are_networks(nets, count, which == 1);
	else
		fuzz_assert(cause != NULL && count == 0);
	free(cause);
	free(nets);
}

static struct ipam_net fuzz_net(const uint8_t *d)
{
	struct ipam_net n;

	n.prefix = d[4] % 33;
	n.addr = ((uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
		  (uint32_t)d[2] << 8 | d[3]) &
		 ipam_mask(n.prefix);
	return n;
}

static void fuzz_allocate(const uint8_t *d, size_t n)
{
	struct ipam_net pool, *taken, out, cand;
	size_t n_taken, i;
	uint64_t k, count;
	char *cause = NULL;
	int prefix, rc, free_found = 0;

	if (n < 6)
		return;
	pool = fuzz_net(d);
	prefix = d[5] % 33;
	n_taken = (n - 6) / 5;
	taken = xcalloc(n_taken + 1, sizeof *taken);
	for (i = 0; i < n_taken; i++)
		taken[i] = fuzz_net(d + 6 + 5 * i);
	rc = ipam_allocate(&pool, prefix, taken, n_taken, &out, &cause);
	if (prefix < pool.prefix || prefix > 30) {
		fuzz_assert(rc == -1);
		goto done;
	}
	count = (uint64_t)1 << (prefix - pool.prefix);
	if (count > 4096) {
		if (rc == 0)
			for (i = 0; i < n_taken; i++)
				fuzz_assert(!ipam_overlaps(&out, &taken[i]));
		goto done;
	}
	cand.prefix = prefix;
	for (k = 0; k < count && !free_found; k++) {
		cand.addr = pool.addr + (uint32_t)(k << (32 - prefix));
		free_found = 1;
		for (i = 0; i < n_taken; i++)
			if (ipam_overlaps(&cand, &taken[i]))
				free_found = 0;
	}
	fuzz_assert(rc == (free_found ? 0 : -1));
	if (rc == 0)
		fuzz_assert(out.addr == cand.addr && out.prefix == prefix);
done:
	free(cause);
	free(taken);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		fuzz_cidr(data + 1, size - 1);
		break;
	case 1:
	case 2:
		fuzz_parsers(data[0] % 4, data + 1, size - 1);
		break;
	default:
		fuzz_allocate(data + 1, size - 1);
		break;
	}
	return 0;
}
