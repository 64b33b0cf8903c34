/* test_ipam.c: subnet parsing, overlap, allocation and the parsers of
 * /proc/net/route and docker's IPAM config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipam.h"
#include "util.h"

/* Parse s, which must be valid. */
static struct ipam_net net(const char *s)
{
	struct ipam_net n;
	char *cause = NULL;

	if (ipam_parse_cidr(s, &n, &cause) < 0) {
		print_error("%s\n", cause);
		free(cause);
		fail();
	}
	return n;
}

static void assert_net(const struct ipam_net *n, const char *want)
{
	char *s = ipam_format_cidr(n);

	assert_string_equal(s, want);
	free(s);
}

static void test_parses_and_formats_cidrs(void **state)
{
	static const struct {
		const char *in;
		uint32_t addr;
		int prefix;
	} cases[] = {
	    {"10.213.0.0/16", 0x0ad50000, 16},
	    {"0.0.0.0/0", 0, 0},
	    {"255.255.255.255/32", 0xffffffff, 32},
	    {"192.168.1.16/28", 0xc0a80110, 28},
	    {"172.16.0.0/12", 0xac100000, 12},
	    {"10.0.0.1/32", 0x0a000001, 32},
	};
	struct ipam_net n;
	char *cause = NULL;
	size_t i;

	for (i = 0; i < UTIL_NELEM(cases); i++) {
		assert_int_equal(ipam_parse_cidr(cases[i].in, &n, &cause), 0);
		assert_int_equal(n.addr, cases[i].addr);
		assert_int_equal(n.prefix, cases[i].prefix);
		assert_net(&n, cases[i].in);
	}
}

static void test_rejects_malformed_cidrs(void **state)
{
	static const char *const bad[] = {
	    "",
	    "10.213.0.0",
	    "10.213.0.0/",
	    "10.213.0/16",
	    "10.213.0.0.0/16",
	    "10.213.0.256/24",
	    "10.213.0.0/33",
	    "10.213.0.0/-1",
	    "10.213.0.0/016",
	    "010.213.0.0/16",
	    "10.213.0.0 /16",
	    " 10.213.0.0/16",
	    "10.213.0.0/16 ",
	    "10..0.0/16",
	    "a.b.c.d/8",
	    "::/0",
	    "fd00::/64",
	    "10.213.0.0/1a",
	    "1000.0.0.0/8",
	    "10.213.0.0/16/16",
	};
	struct ipam_net n;
	char *cause, *want;
	size_t i;

	for (i = 0; i < UTIL_NELEM(bad); i++) {
		cause = NULL;
		assert_int_equal(ipam_parse_cidr(bad[i], &n, &cause), -1);
		want = xasprintf("ipam: \"%s\": expected an IPv4 CIDR such as "
				 "10.213.0.0/16",
				 bad[i]);
		assert_string_equal(cause, want);
		free(want);
		free(cause);
	}
}

static void test_rejects_cidr_with_host_bits(void **state)
{
	struct ipam_net n;
	char *cause = NULL;

	assert_int_equal(ipam_parse_cidr("10.213.0.5/28", &n, &cause), -1);
	assert_string_equal(cause, "ipam: 10.213.0.5/28: host bits are set "
				   "(did you mean 10.213.0.0/28?)");
	free(cause);
	assert_int_equal(ipam_parse_cidr("172.17.0.0/12", &n, &cause), -1);
	assert_string_equal(cause, "ipam: 172.17.0.0/12: host bits are set "
				   "(did you mean 172.16.0.0/12?)");
	free(cause);
}

static void test_parses_plain_addresses_strictly(void **state)
{
	uint32_t a;

	assert_int_equal(ipam_parse_addr("10.213.0.2", &a), 0);
	assert_int_equal(a, 0x0ad50002);
	assert_int_equal(ipam_parse_addr("0.0.0.0", &a), 0);
	assert_int_equal(a, 0);
	assert_int_equal(ipam_parse_addr("10.213.0.2/32", &a), -1);
	assert_int_equal(ipam_parse_addr("10.213.0.02", &a), -1);
	assert_int_equal(ipam_parse_addr("10.213.0", &a), -1);
	assert_int_equal(ipam_parse_addr("10.213.0.2.", &a), -1);
	assert_int_equal(ipam_parse_addr("+1.2.3.4", &a), -1);
	assert_int_equal(ipam_parse_addr("1.2.3.4\n", &a), -1);
}

static void test_overlap_is_symmetric_and_exact(void **state)
{
	static const struct {
		const char *a, *b;
		int overlaps;
	} cases[] = {
	    {"10.213.0.0/16", "10.213.5.0/24", 1},
	    {"10.213.0.0/28", "10.213.0.16/28", 0},
	    {"10.213.0.0/28", "10.213.0.15/32", 1},
	    {"10.213.0.0/28", "10.213.0.16/32", 0},
	    {"0.0.0.0/0", "192.168.0.0/16", 1},
	    {"10.0.0.0/8", "11.0.0.0/8", 0},
	    {"255.255.255.255/32", "255.255.255.255/32", 1},
	};
	struct ipam_net a, b;
	size_t i;

	for (i = 0; i < UTIL_NELEM(cases); i++) {
		a = net(cases[i].a);
		b = net(cases[i].b);
		assert_int_equal(ipam_overlaps(&a, &b), cases[i].overlaps);
		assert_int_equal(ipam_overlaps(&b, &a), cases[i].overlaps);
	}
}

/* A /prefix from pool, around taken[n], is want. */
static void check_alloc(const char *pool, int prefix,
			const struct ipam_net *taken, size_t n,
			const char *want)
{
	struct ipam_net p = net(pool), out;
	char *cause = NULL;

	assert_int_equal(ipam_allocate(&p, prefix, taken, n, &out, &cause), 0);
	assert_net(&out, want);
}

/* No /prefix from pool around taken[n]: the cause is want. */
static void check_alloc_fails(const char *pool, int prefix,
			      const struct ipam_net *taken, size_t n,
			      const char *want)
{
	struct ipam_net p = net(pool), out;
	char *cause = NULL;

	assert_int_equal(ipam_allocate(&p, prefix, taken, n, &out, &cause), -1);
	assert_string_equal(cause, want);
	free(cause);
}

static void test_allocates_first_free_subnet(void **state)
{
	check_alloc("10.213.0.0/16", 28, NULL, 0, "10.213.0.0/28");
}

static void test_allocation_skips_docker_routes_and_bottles(void **state)
{
	struct ipam_net taken[] = {
	    net("10.213.0.0/28"),  /* another bottle */
	    net("10.213.0.16/28"), /* another bottle */
	    net("10.213.0.40/29"), /* a docker network in the 3rd /28 */
	    net("10.213.0.49/32"), /* a host route in the 4th */
	    net("10.213.0.64/26"), /* a VPN route: 5th to 8th */
	};

	check_alloc("10.213.0.0/16", 28, taken, UTIL_NELEM(taken),
		    "10.213.0.128/28");
}

static void test_allocation_jumps_over_a_wide_blocker(void **state)
{
	struct ipam_net taken[] = {net("10.0.0.0/9"), net("10.128.0.0/10"),
				   net("10.192.0.0/29")};

	check_alloc("10.0.0.0/8", 29, taken, UTIL_NELEM(taken),
		    "10.192.0.8/29");
}

static void test_supernet_of_the_pool_exhausts_it(void **state)
{
	struct ipam_net taken[] = {net("10.0.0.0/8")};

	check_alloc_fails("10.213.0.0/16", 28, taken, 1,
			  "subnet pool 10.213.0.0/16 is exhausted "
			  "(4096 subnets of /28 in use or blocked)");
}

static void test_reports_exhaustion_with_counts(void **state)
{
	struct ipam_net taken[] = {net("10.213.0.0/28"), net("10.213.0.16/28"),
				   net("10.213.0.32/27")};

	check_alloc_fails("10.213.0.0/26", 28, taken, UTIL_NELEM(taken),
			  "subnet pool 10.213.0.0/26 is exhausted "
			  "(4 subnets of /28 in use or blocked)");
	/* freeing one makes room again */
	check_alloc("10.213.0.0/26", 28, taken + 1, 2, "10.213.0.0/28");
}

static void test_allocation_at_top_of_address_space(void **state)
{
	struct ipam_net taken[] = {
	    net("255.255.255.0/25"), net("255.255.255.128/26"),
	    net("255.255.255.192/27"), net("255.255.255.224/28")};

	check_alloc("255.255.255.0/24", 28, taken, UTIL_NELEM(taken),
		    "255.255.255.240/28");
	check_alloc_fails("255.255.255.0/24", 27, taken, UTIL_NELEM(taken),
			  "subnet pool 255.255.255.0/24 is exhausted "
			  "(8 subnets of /27 in use or blocked)");
}

static void test_rejects_prefix_outside_pool(void **state)
{
	check_alloc_fails("10.213.0.0/16", 15, NULL, 0,
			  "ipam: subnet size /15 does not fit pool "
			  "/16 (expected /16 to /30)");
	check_alloc_fails("10.213.0.0/16", 31, NULL, 0,
			  "ipam: subnet size /31 does not fit pool "
			  "/16 (expected /16 to /30)");
	check_alloc("10.213.0.0/16", 16, NULL, 0, "10.213.0.0/16");
}

static void test_gateway_and_bundle_ip(void **state)
{
	struct ipam_net n = net("10.213.0.48/28");
	char *gw = ipam_gateway(&n), *b = ipam_bundle_ip(&n);

	assert_string_equal(gw, "10.213.0.49");
	assert_string_equal(b, "10.213.0.50");
	free(gw);
	free(b);
}

/* A real /proc/net/route (x86-64, little-endian): default via
 * 192.168.1.1 on wlan0, 192.168.1.0/24, docker0 172.17.0.0/16, a
 * br-... 10.213.0.0/28, a host route 10.9.8.7/32 and a tun 100.64.0.0/10. */
static const char route_sample[] =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\t"
    "MTU\tWindow\tIRTT                                                       "
    "\n"
    "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0      "
    "                                                                     \n"
    "wlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0      "
    "                                                                     \n"
    "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
    "br-1a2b3c\t0000D50A\t00000000\t0001\t0\t0\t0\tF0FFFFFF\t0\t0\t0\n"
    "tun0\t0708090A\t00000000\t0005\t0\t0\t0\tFFFFFFFF\t0\t0\t0\n"
    "tun0\t00004064\t00000000\t0001\t0\t0\t0\t0000C0FF\t0\t0\t0\n";

static int little_endian(void)
{
	uint16_t one = 1;

	return *(const uint8_t *)&one == 1;
}

static void test_parses_proc_net_route_skipping_default(void **state)
{
	static const char *const want[] = {
	    "192.168.1.0/24", "172.17.0.0/16", "10.213.0.0/28",
	    "10.9.8.7/32",    "100.64.0.0/10",
	};
	struct ipam_net *nets = NULL;
	size_t n = 0, i;
	char *cause = NULL;

	if (!little_endian())
		skip(); /* the sample is the kernel's native-endian text */
	assert_int_equal(ipam_parse_proc_route(route_sample,
					       strlen(route_sample), &nets, &n,
					       &cause),
			 0);
	assert_int_equal(n, UTIL_NELEM(want));
	for (i = 0; i < n; i++)
		assert_net(&nets[i], want[i]);
	free(nets);
}

static void test_route_parse_appends_and_rejects_garbage(void **state)
{
	static const char *const bad[] = {
	    "Iface\tDestination\nlo\t0000007F\n",
	    "eth0\t0000007G\t0\t0\t0\t0\t0\t000000FF\n",
	    "eth0\t0000007F\t0\t0\t0\t0\t0\t00FF00FF\n", /* holes in mask */
	    "eth0\t7F\t0\t0\t0\t0\t0\t000000FF\n",
	};
	static const char lo[] = "lo\t0000007F\t0\t0\t0\t0\t0\t000000FF\r\n";
	struct ipam_net *nets = xmalloc(sizeof *nets);
	size_t n = 1, i;
	char *cause = NULL;

	nets[0] = net("1.2.3.0/24");
	if (!little_endian()) {
		free(nets);
		skip();
	}
	assert_int_equal(
	    ipam_parse_proc_route("Iface\tx\n\n", 9, &nets, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_int_equal(
	    ipam_parse_proc_route(lo, strlen(lo), &nets, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_net(&nets[0], "1.2.3.0/24");
	assert_net(&nets[1], "127.0.0.0/8");
	for (i = 0; i < UTIL_NELEM(bad); i++) {
		assert_int_equal(ipam_parse_proc_route(bad[i], strlen(bad[i]),
						       &nets, &n, &cause),
				 -1);
		assert_non_null(strstr(cause, "ipam: /proc/net/route line "));
		free(cause);
		assert_int_equal(n, 2); /* nothing appended on failure */
	}
	free(nets);
}

static void test_parses_docker_ipam_lines(void **state)
{
	static const char text[] =
	    "[{\"Subnet\":\"172.17.0.0/16\",\"Gateway\":\"172.17.0.1\"}]\n"
	    "[]\n"
	    "null\n"
	    "\n"
	    "[{\"Subnet\":\"10.213.0.0/28\",\"Gateway\":\"10.213.0.1\"},"
	    "{\"Subnet\":\"fd00:dead:beef::/64\",\"Gateway\":\"fd00::1\"}]\n"
	    "[{\"Subnet\":\"fd00::/48\"}]\n"
	    "[{\"IPRange\":\"10.1.0.0/24\"}]\n"
	    "[{\"Subnet\":\"192.168.50.7/24\"}]\r\n"
	    "  [{\"Subnet\":\"\"}]  ";
	static const char *const want[] = {"172.17.0.0/16", "10.213.0.0/28",
					   "192.168.50.0/24"};
	struct ipam_net *nets = NULL;
	size_t n = 0, i;
	char *cause = NULL;

	assert_int_equal(
	    ipam_parse_docker_ipam(text, strlen(text), &nets, &n, &cause), 0);
	assert_int_equal(n, UTIL_NELEM(want));
	for (i = 0; i < n; i++)
		assert_net(&nets[i], want[i]);
	free(nets);
}

static void test_docker_ipam_rejects_what_it_cannot_read(void **state)
{
	static const struct {
		const char *text;
		const char *cause;
	} cases[] = {
	    {"[]\n<no value>\n", "ipam: docker network inspect line 2: "
				 "expected a JSON array of {\"Subnet\": ...}"},
	    {"{\"Subnet\":\"10.0.0.0/8\"}\n",
	     "ipam: docker network inspect line 1: expected a JSON array "
	     "of {\"Subnet\": ...}"},
	    {"[{\"Subnet\":\"10.0.0/8\"}]", "ipam: docker network inspect "
					    "line 1: expected a JSON "
					    "array of {\"Subnet\": ...}"},
	    {"[{\"Subnet\":8}]", "ipam: docker network inspect line 1: "
				 "expected a JSON array of {\"Subnet\": "
				 "...}"},
	    {"[\"10.0.0.0/8\"]", "ipam: docker network inspect line 1: "
				 "expected a JSON array of {\"Subnet\": "
				 "...}"},
	    {"[] []", "ipam: docker network inspect line 1: expected a "
		      "JSON array of {\"Subnet\": ...}"},
	};
	struct ipam_net *nets = NULL;
	size_t n = 0, i;
	char *cause;

	for (i = 0; i < UTIL_NELEM(cases); i++) {
		cause = NULL;
		assert_int_equal(ipam_parse_docker_ipam(cases[i].text,
							strlen(cases[i].text),
							&nets, &n, &cause),
				 -1);
		assert_string_equal(cause, cases[i].cause);
		free(cause);
		assert_int_equal(n, 0);
	}
	/* a NUL inside a line */
	assert_int_equal(ipam_parse_docker_ipam("[]\0[]", 5, &nets, &n, &cause),
			 -1);
	free(cause);
	free(nets);
}

static void test_allocates_around_parsed_docker_and_routes(void **state)
{
	static const char docker[] =
	    "[{\"Subnet\":\"10.213.0.0/28\",\"Gateway\":\"10.213.0.1\"}]\n";
	static const char routes[] =
	    "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n"
	    "eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\n"
	    "tun0\t1000D50A\t00000000\t0001\t0\t0\t0\tF0FFFFFF\n";
	struct ipam_net pool = net("10.213.0.0/16"), out;
	struct ipam_net *nets = NULL;
	size_t n = 0;
	char *cause = NULL;

	if (!little_endian())
		skip();
	assert_int_equal(
	    ipam_parse_docker_ipam(docker, strlen(docker), &nets, &n, &cause),
	    0);
	assert_int_equal(
	    ipam_parse_proc_route(routes, strlen(routes), &nets, &n, &cause),
	    0);
	assert_int_equal(n, 2);
	assert_int_equal(ipam_allocate(&pool, 28, nets, n, &out, &cause), 0);
	assert_net(&out, "10.213.0.32/28");
	free(nets);
}

/* ipam_parse_net: the one CIDR parser (config.c's pool check too):
 * host bits as written, exactly the given length. */
static void test_parse_net_keeps_host_bits_and_length(void **state)
{
	struct ipam_net n;
	static const char *const bad[] = {
	    "10.0.0.0",
	    "10.0.0.0/",
	    "10.0.0.0/08",
	    "10.0.0.0/33",
	    "10.0.0/8",
	    "010.0.0.0/8",
	    "10.0.0.0/8x",
	    " 10.0.0.0/8",
	    "10.0.0.256/8",
	    "10.0.0.0/123",
	    "",
	};
	size_t i;

	(void)state;
	assert_int_equal(ipam_parse_net("10.213.0.7/16", 13, &n), 0);
	assert_int_equal(n.addr, 0x0ad50007u);
	assert_int_equal(n.prefix, 16);
	assert_int_equal(ipam_parse_net("10.0.0.0/0", 10, &n), 0);
	assert_int_equal(n.prefix, 0);
	/* only s[0..len) counts */
	assert_int_equal(ipam_parse_net("10.0.0.0/8 and more", 10, &n), 0);
	assert_int_equal(n.prefix, 8);
	assert_int_equal(ipam_parse_net("10.0.0.0/24", 10, &n), 0);
	assert_int_equal(n.prefix, 2);
	for (i = 0; i < UTIL_NELEM(bad); i++)
		assert_int_equal(ipam_parse_net(bad[i], strlen(bad[i]), &n),
				 -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parses_and_formats_cidrs),
	    cmocka_unit_test(test_rejects_malformed_cidrs),
	    cmocka_unit_test(test_rejects_cidr_with_host_bits),
	    cmocka_unit_test(test_parse_net_keeps_host_bits_and_length),
	    cmocka_unit_test(test_parses_plain_addresses_strictly),
	    cmocka_unit_test(test_overlap_is_symmetric_and_exact),
	    cmocka_unit_test(test_allocates_first_free_subnet),
	    cmocka_unit_test(test_allocation_skips_docker_routes_and_bottles),
	    cmocka_unit_test(test_allocation_jumps_over_a_wide_blocker),
	    cmocka_unit_test(test_supernet_of_the_pool_exhausts_it),
	    cmocka_unit_test(test_reports_exhaustion_with_counts),
	    cmocka_unit_test(test_allocation_at_top_of_address_space),
	    cmocka_unit_test(test_rejects_prefix_outside_pool),
	    cmocka_unit_test(test_gateway_and_bundle_ip),
	    cmocka_unit_test(test_parses_proc_net_route_skipping_default),
	    cmocka_unit_test(test_route_parse_appends_and_rejects_garbage),
	    cmocka_unit_test(test_parses_docker_ipam_lines),
	    cmocka_unit_test(test_docker_ipam_rejects_what_it_cannot_read),
	    cmocka_unit_test(test_allocates_around_parsed_docker_and_routes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
