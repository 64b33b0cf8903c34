/* test_probe.c: probe verdicts (pure), bottle-probe's line, the canary,
 * and whole probe runs through a fake smolvm that runs `machine exec`
 * commands on the host. Every connect goes to 127.0.0.1 ports this test
 * opened (or just closed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "canary.h"
#include "probe.h"
#include "util.h"
#include "local-sockets.h"

#define HELPER BOTTLE_SRCDIR "/build/bottle-probe"
#define CONTROL_FAILED "positive control bundle-reach did not pass"

/* ---- sockets ----------------------------------------------------------------
 */

/* connect_local: a blocking connect to 127.0.0.1:port; the fd or -1. */
static int connect_local(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- bottle-probe's line
 * ------------------------------------------------------ */

static void test_helper_line_connected(void **state)
{
	const char *l = "bottle-probe connect 10.213.0.2 8888 result=connected "
			"errno=none(0) ms=3\n";
	int connected = -1;
	char *err = (char *)"untouched";
	uint64_t ms = 0;

	(void)state;
	assert_int_equal(
	    probe_parse_helper_line(l, strlen(l), &connected, &err, &ms), 0);
	assert_int_equal(connected, 1);
	assert_null(err);
	assert_int_equal(ms, 3);
}

static void test_helper_line_results_and_errno_names(void **state)
{
	static const struct {
		const char *line;
		enum probe_outcome out;
		const char *err;
	} cases[] = {
	    {"bottle-probe connect 10.0.0.2 9099 result=refused "
	     "errno=ECONNREFUSED(111) ms=0",
	     PROBE_OUT_REFUSED, "ECONNREFUSED"},
	    {"bottle-probe connect 127.0.0.1 4000 result=denied "
	     "errno=EACCES(13) ms=1\r\n",
	     PROBE_OUT_DENIED, "EACCES"},
	    {"bottle-probe connect 1.1.1.1 53 result=timeout "
	     "errno=ETIMEDOUT(110) ms=2000",
	     PROBE_OUT_TIMEOUT, "ETIMEDOUT"},
	    {"bottle-probe connect 10.0.0.9 1 result=error errno=unknown(97) "
	     "ms=1 newer=field",
	     PROBE_OUT_ERROR, "unknown"},
	};
	enum probe_outcome out;
	int connected;
	char *err;
	uint64_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < UTIL_NELEM(cases); i++) {
		const char *l = cases[i].line;
		assert_int_equal(
		    probe_parse_helper_result(l, strlen(l), &out, &err, &ms),
		    0);
		assert_int_equal(out, cases[i].out);
		assert_string_equal(err, cases[i].err);
		free(err);
		assert_int_equal(probe_parse_helper_line(l, strlen(l),
							 &connected, &err, &ms),
				 0);
		assert_int_equal(connected, 0);
		free(err);
	}
}

static void test_helper_line_rejects_what_is_not_one(void **state)
{
	static const char *const bad[] = {
	    "",
	    "bottle-probe: usage: bottle-probe connect IPV4 PORT TIMEOUT_MS",
	    "bottle-probe connect 10.0.0.2 8888",
	    "bottle-probe connect 10.0.0.2 8888 errno=none(0) ms=1",
	    "bottle-probe connect 10.0.0.2 8888 result=maybe",
	    "bottle-probe connect 10.0.0.2 99999 result=connected",
	    "bottle-probe connect 10.0.0.2 port result=connected",
	    "bottle-probe connect 10.0.0.2  8888 result=connected",
	    "bottle-probe connect 10.0.0.2 8888 result=connected ",
	    "bottle-probe connect 10.0.0.2 8888 result=connected ms=x",
	    "bottle-probe connect 10.0.0.2 8888 result=refused errno=E(1",
	    "bottle-probe connect 10.0.0.2 8888 result=refused "
	    "result=connected",
	    "nc: can't connect to remote host (10.0.0.2): Connection refused",
	    "Bottle-probe connect 10.0.0.2 8888 result=connected",
	};
	int connected = -1;
	char *err = NULL;
	uint64_t ms = 0;
	size_t i;

	(void)state;
	for (i = 0; i < UTIL_NELEM(bad); i++)
		assert_int_equal(probe_parse_helper_line(bad[i], strlen(bad[i]),
							 &connected, &err, &ms),
				 -1);
	assert_int_equal(connected, -1);
	assert_null(err);
	/* only len bytes count: the rest of the buffer is not the line */
	assert_int_equal(probe_parse_helper_line(
			     "bottle-probe connect h 1 result=connectedXYZ", 41,
			     &connected, &err, &ms),
			 0);
	assert_int_equal(connected, 1);
}

/* An unanswered batch item for HOST and PORT word. */
#define ITEM(h, p)                                                             \
	{                                                                      \
		.host = (h), .port = (p), .out = PROBE_OUT_NONE                \
	}

/* items_release: free what probe_parse_helper_output put in items. */
static void items_release(struct probe_batch_item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(items[i].err_name);
		items[i].err_name = NULL;
	}
}

static void test_helper_output_answers_each_target_in_order(void **state)
{
	static const char out[] =
	    "bottle-probe connect 10.0.0.2 8888 result=connected "
	    "errno=none(0) ms=3\n"
	    "some noise from the guest\n"
	    "\n"
	    "bottle-probe connect 127.0.0.1 4000 result=denied "
	    "errno=EACCES(13) ms=1\r\n"
	    "bottle-probe connect 10.0.0.2 9099 result=refused "
	    "errno=ECONNREFUSED(111) ms=0"; /* no final newline */
	struct probe_batch_item items[] = {
	    ITEM("10.0.0.2", "8888"),
	    ITEM("127.0.0.1", "4000"),
	    ITEM("10.0.0.2", "9099"),
	};

	(void)state;
	assert_int_equal(probe_parse_helper_output(out, strlen(out), items, 3),
			 3);
	assert_int_equal(items[0].out, PROBE_OUT_CONNECTED);
	assert_null(items[0].err_name);
	assert_int_equal(items[0].ms, 3);
	assert_int_equal(items[1].out, PROBE_OUT_DENIED);
	assert_string_equal(items[1].err_name, "EACCES");
	assert_int_equal(items[1].ms, 1);
	assert_int_equal(items[2].out, PROBE_OUT_REFUSED);
	assert_string_equal(items[2].err_name, "ECONNREFUSED");
	items_release(items, 3);
	assert_int_equal(probe_parse_helper_output(NULL, 0, items, 3), 0);
	assert_int_equal(probe_parse_helper_output("", 0, items, 3), 0);
}

static void test_helper_output_leaves_unmatched_targets_unanswered(void **state)
{
	/* line 2 names the wrong port, line 3 is missing; an extra line
	 * past the targets is counted but answers nothing */
	static const char out[] =
	    "bottle-probe connect 10.0.0.2 8888 result=refused "
	    "errno=ECONNREFUSED(111) ms=0\n"
	    "bottle-probe connect 10.0.0.3 9999 result=denied "
	    "errno=EACCES(13) ms=0\n";
	static const char extra[] =
	    "bottle-probe connect 10.0.0.2 8888 result=refused ms=0\n"
	    "bottle-probe connect 10.0.0.3 9099 result=connected ms=0\n"
	    "bottle-probe connect 10.0.0.3 9099 result=connected ms=0\n";
	struct probe_batch_item items[] = {
	    ITEM("10.0.0.2", "8888"),
	    ITEM("10.0.0.3", "9099"),
	    ITEM("10.0.0.4", "9099"),
	};
	struct probe_batch_item two[] = {
	    ITEM("10.0.0.2", "8888"),
	    ITEM("10.0.0.3", "9099"),
	};

	(void)state;
	assert_int_equal(probe_parse_helper_output(out, strlen(out), items, 3),
			 2);
	assert_int_equal(items[0].out, PROBE_OUT_REFUSED);
	assert_int_equal(items[1].out, PROBE_OUT_NONE);
	assert_null(items[1].err_name);
	assert_int_equal(items[2].out, PROBE_OUT_NONE);
	items_release(items, 3);

	assert_int_equal(
	    probe_parse_helper_output(extra, strlen(extra), two, 2), 3);
	assert_int_equal(two[0].out, PROBE_OUT_REFUSED);
	assert_int_equal(two[1].out, PROBE_OUT_CONNECTED);
	items_release(two, 2);
}

/* ---- verdicts (pure)
 * ------------------------------------------------------------ */

/* A raw record with n attempts: outs[i] with info infos[i]. */
static void raw_set(struct probe_raw *raw, size_t n,
		    const enum probe_outcome *outs, const char *const *infos)
{
	size_t i;

	memset(raw, 0, sizeof *raw);
	raw->applicable = 1;
	raw->n_att = n;
	raw->att = xcalloc(n ? n : 1, sizeof *raw->att);
	for (i = 0; i < n; i++) {
		raw->att[i].target = xasprintf("10.0.0.2:%zu", 9000 + i);
		raw->att[i].out = outs[i];
		raw->att[i].info = infos && infos[i] ? xstrdup(infos[i]) : NULL;
		raw->att[i].ms = 2;
	}
}

/* judge: verdict of id over one attempt; *detail owned by the caller. */
static enum probe_verdict judge1(enum probe_id id, enum probe_outcome out,
				 const char *info, enum probe_verdict control,
				 uint64_t canary_hits, char **detail)
{
	struct probe_raw raw;
	struct probe_result res = {0};

	raw_set(&raw, 1, &out, &info);
	raw.canary_hits = canary_hits;
	probe_judge(id, &raw, control, &res);
	probe_raw_release(&raw);
	*detail = res.detail;
	return res.verdict;
}

static void test_bundle_reach_passes_only_when_connected(void **state)
{
	char *d;

	(void)state;
	assert_int_equal(judge1(PROBE_BUNDLE_REACH, PROBE_OUT_CONNECTED, NULL,
				PROBE_NONE, 0, &d),
			 PROBE_PASS);
	assert_string_equal(d, "10.0.0.2:9000: connected in 2 ms");
	free(d);
	assert_int_equal(judge1(PROBE_BUNDLE_REACH, PROBE_OUT_REFUSED,
				"ECONNREFUSED", PROBE_NONE, 0, &d),
			 PROBE_FAIL);
	assert_string_equal(d, "10.0.0.2:9000: refused (ECONNREFUSED)");
	free(d);
	assert_int_equal(judge1(PROBE_BUNDLE_REACH, PROBE_OUT_DENIED, "EACCES",
				PROBE_NONE, 0, &d),
			 PROBE_FAIL);
	free(d);
	assert_int_equal(
	    judge1(PROBE_BUNDLE_REACH, PROBE_OUT_NONE, NULL, PROBE_NONE, 0, &d),
	    PROBE_UNKNOWN);
	free(d);
}

static void test_smolvm_failure_is_unknown_never_pass(void **state)
{
	const char *msg = "smolvm: agent operation failed: connect: machine "
			  "'bottle-x' is not running";
	enum probe_id ids[] = {PROBE_BUNDLE_REACH,	 PROBE_LOCALHOST_REACH,
			       PROBE_EGRESS_PORT_BYPASS, PROBE_EXEC_FIDELITY,
			       PROBE_CROSS_BOTTLE,	 PROBE_DNS_HOLE};
	char *d;
	size_t i;

	(void)state;
	for (i = 0; i < UTIL_NELEM(ids); i++) {
		assert_int_equal(
		    judge1(ids[i], PROBE_OUT_BROKEN, msg, PROBE_PASS, 0, &d),
		    PROBE_UNKNOWN);
		assert_non_null(strstr(d, "is not running"));
		free(d);
	}
}

static void test_negative_probes_are_unknown_without_the_control(void **state)
{
	enum probe_id ids[] = {PROBE_LOCALHOST_REACH, PROBE_EGRESS_PORT_BYPASS,
			       PROBE_CROSS_BOTTLE, PROBE_DNS_HOLE};
	enum probe_verdict controls[] = {PROBE_FAIL, PROBE_UNKNOWN, PROBE_NONE};
	char *d;
	size_t i, c;

	(void)state;
	for (i = 0; i < UTIL_NELEM(ids); i++) {
		for (c = 0; c < UTIL_NELEM(controls); c++) {
			/* refused, or never run: both UNKNOWN, not PASS */
			assert_int_equal(judge1(ids[i], PROBE_OUT_REFUSED,
						"ECONNREFUSED", controls[c], 0,
						&d),
					 PROBE_UNKNOWN);
			assert_string_equal(d, CONTROL_FAILED);
			free(d);
			assert_int_equal(judge1(ids[i], PROBE_OUT_NONE, NULL,
						controls[c], 0, &d),
					 PROBE_UNKNOWN);
			free(d);
		}
		assert_int_equal(judge1(ids[i], PROBE_OUT_DENIED, "EACCES",
					PROBE_PASS, 0, &d),
				 PROBE_PASS);
		free(d);
	}
}

static void test_localhost_reach_fails_on_a_canary_hit(void **state)
{
	char *d;

	(void)state;
	/* the connect looked refused, but the canary saw it arrive */
	assert_int_equal(judge1(PROBE_LOCALHOST_REACH, PROBE_OUT_REFUSED,
				"ECONNREFUSED", PROBE_PASS, 1, &d),
			 PROBE_FAIL);
	assert_non_null(strstr(d, "the canary on the host's 127.0.0.1 saw 1 "
				  "connection carrying this run's nonce"));
	free(d);
	/* evidence of reach fails even when the control did not pass */
	assert_int_equal(judge1(PROBE_LOCALHOST_REACH, PROBE_OUT_CONNECTED,
				NULL, PROBE_FAIL, 0, &d),
			 PROBE_FAIL);
	free(d);
	assert_int_equal(judge1(PROBE_LOCALHOST_REACH, PROBE_OUT_DENIED,
				"EACCES", PROBE_PASS, 0, &d),
			 PROBE_PASS);
	assert_string_equal(d, "10.0.0.2:9000: denied (EACCES); the canary "
			       "saw no connection carrying this run's nonce");
	free(d);
}

static void test_egress_fails_when_any_closed_port_connects(void **state)
{
	enum probe_outcome mixed[] = {PROBE_OUT_REFUSED, PROBE_OUT_CONNECTED,
				      PROBE_OUT_TIMEOUT};
	enum probe_outcome closed[] = {PROBE_OUT_REFUSED, PROBE_OUT_DENIED,
				       PROBE_OUT_TIMEOUT, PROBE_OUT_ERROR};
	enum probe_outcome broken[] = {PROBE_OUT_REFUSED, PROBE_OUT_BROKEN};
	struct probe_raw raw;
	struct probe_result res = {0};

	(void)state;
	raw_set(&raw, 3, mixed, NULL);
	probe_judge(PROBE_EGRESS_PORT_BYPASS, &raw, PROBE_PASS, &res);
	assert_int_equal(res.verdict, PROBE_FAIL);
	assert_string_equal(res.detail, "10.0.0.2:9001: connected in 2 ms");
	probe_raw_release(&raw);

	raw_set(&raw, 4, closed, NULL);
	probe_judge(PROBE_EGRESS_PORT_BYPASS, &raw, PROBE_PASS, &res);
	assert_int_equal(res.verdict, PROBE_PASS);
	assert_string_equal(res.detail,
			    "10.0.0.2:9000: refused; 10.0.0.2:9001: "
			    "denied; 10.0.0.2:9002: timed out; "
			    "10.0.0.2:9003: error");
	probe_raw_release(&raw);

	raw_set(&raw, 2, broken, NULL);
	probe_judge(PROBE_CROSS_BOTTLE, &raw, PROBE_PASS, &res);
	assert_int_equal(res.verdict, PROBE_UNKNOWN);
	probe_raw_release(&raw);
	probe_result_release(&res);
}

static void test_dns_hole_warns_when_reachable(void **state)
{
	struct probe_raw raw = {0};
	struct probe_result res = {0};
	char *d;

	(void)state;
	assert_int_equal(judge1(PROBE_DNS_HOLE, PROBE_OUT_CONNECTED, NULL,
				PROBE_PASS, 0, &d),
			 PROBE_WARN);
	assert_non_null(strstr(d, "smolvm adds the resolver to every "
				  "allowlist"));
	free(d);
	assert_int_equal(judge1(PROBE_DNS_HOLE, PROBE_OUT_DENIED, "EACCES",
				PROBE_PASS, 0, &d),
			 PROBE_PASS);
	free(d);
	raw.applicable = 0;
	raw.skip_reason = "no resolver configured";
	probe_judge(PROBE_DNS_HOLE, &raw, PROBE_PASS, &res);
	assert_int_equal(res.verdict, PROBE_SKIP);
	assert_string_equal(res.detail, "no resolver configured");
	probe_judge(PROBE_CROSS_BOTTLE, &raw, PROBE_FAIL, &res);
	assert_int_equal(res.verdict, PROBE_SKIP); /* nothing to aim at */
	probe_result_release(&res);
}

static void test_exec_fidelity_needs_exit_42_back(void **state)
{
	struct probe_raw raw;
	struct probe_result res = {0};
	enum probe_outcome out = PROBE_OUT_EXITED;
	int statuses[] = {42, 0, 1, 255};
	size_t i;

	(void)state;
	for (i = 0; i < UTIL_NELEM(statuses); i++) {
		raw_set(&raw, 1, &out, NULL);
		raw.att[0].exit_status = statuses[i];
		probe_judge(PROBE_EXEC_FIDELITY, &raw, PROBE_FAIL, &res);
		assert_int_equal(res.verdict,
				 statuses[i] == 42 ? PROBE_PASS : PROBE_FAIL);
		if (statuses[i] == 0)
			assert_string_equal(res.detail,
					    "exit 42 came back as 0");
		probe_raw_release(&raw);
	}
	probe_result_release(&res);
}

static void test_report_tally(void **state)
{
	struct probe_report rep;
	size_t i;

	(void)state;
	memset(&rep, 0, sizeof rep);
	for (i = 0; i < PROBE_COUNT; i++)
		rep.r[i].verdict = PROBE_PASS;
	rep.r[PROBE_DNS_HOLE].verdict = PROBE_WARN;
	rep.r[PROBE_CROSS_BOTTLE].verdict = PROBE_SKIP;
	probe_report_tally(&rep);
	assert_int_equal(rep.all_pass, 1);
	assert_int_equal(rep.any_fail, 0);
	rep.r[PROBE_EXEC_FIDELITY].verdict = PROBE_UNKNOWN;
	probe_report_tally(&rep);
	assert_int_equal(rep.all_pass, 0);
	assert_int_equal(rep.any_fail, 0);
	rep.r[PROBE_EXEC_FIDELITY].verdict = PROBE_NONE;
	probe_report_tally(&rep);
	assert_int_equal(rep.all_pass, 0);
	rep.r[PROBE_EXEC_FIDELITY].verdict = PROBE_FAIL;
	probe_report_tally(&rep);
	assert_int_equal(rep.all_pass, 0);
	assert_int_equal(rep.any_fail, 1);
	assert_string_equal(probe_name(PROBE_EGRESS_PORT_BYPASS),
			    "egress-port-bypass");
	assert_string_equal(probe_verdict_name(PROBE_WARN), "WARN");
}

static void test_result_copy_is_deep(void **state)
{
	struct probe_result a = {PROBE_PASS, xstrdup("ok"), 3, 4,
				 xstrdup("nc")};
	struct probe_result b;

	(void)state;
	probe_result_copy(&b, &a);
	probe_result_release(&a);
	assert_string_equal(b.detail, "ok");
	assert_string_equal(b.method, "nc");
	assert_int_equal(b.latency_ms, 3);
	probe_result_release(&b);
	assert_null(b.detail);
}

/* ---- reply=, and verdicts under virtio-net (1.1.3+) ---------------------- */

static void test_parse_reply_cases_and_rejections(void **state)
{
	static const struct {
		const char *s;
		enum probe_reply reply;
		int code, n;
	} ok[] = {
	    {"http(200)", PROBE_REPLY_HTTP, 200, 0},
	    {"http(599)", PROBE_REPLY_HTTP, 599, 0},
	    {"http(100)", PROBE_REPLY_HTTP, 100, 0},
	    {"data(17)", PROBE_REPLY_DATA, 0, 17},
	    {"data(0)", PROBE_REPLY_DATA, 0, 0},
	    {"eof", PROBE_REPLY_EOF, 0, 0},
	    {"reset", PROBE_REPLY_RESET, 0, 0},
	    {"silent", PROBE_REPLY_SILENT, 0, 0},
	    {"dns(0,1)", PROBE_REPLY_DNS, 0, 1},
	    {"dns(3,0)", PROBE_REPLY_DNS, 3, 0},
	    {"dns(15,12)", PROBE_REPLY_DNS, 15, 12},
	};
	static const char *const bad[] = {
	    "",		 "http",      "http()",	    "http(99)",	 "http(600)",
	    "http(2x0)", "http(200",  "http200",    "http(1,2)", "data()",
	    "data(-1)",	 "data(1,2)", "dns(0)",	    "dns(16,1)", "dns(0,)",
	    "dns(,1)",	 "dns(0,1",   "Reset",	    "eof ",	 "silently",
	    "tls(1)",	 "dns(0,1)x", "http(200)x",
	};
	enum probe_reply r;
	int code, n;
	size_t i;

	(void)state;
	for (i = 0; i < UTIL_NELEM(ok); i++) {
		r = PROBE_REPLY_NONE;
		if (probe_parse_reply(ok[i].s, strlen(ok[i].s), &r, &code,
				      &n) != 0)
			fail_msg("%s refused", ok[i].s);
		if (r != ok[i].reply || code != ok[i].code || n != ok[i].n)
			fail_msg("%s: %d %d %d", ok[i].s, r, code, n);
	}
	for (i = 0; i < UTIL_NELEM(bad); i++)
		if (probe_parse_reply(bad[i], strlen(bad[i]), &r, &code, &n) ==
		    0)
			fail_msg("\"%s\" accepted", bad[i]);
	/* only len bytes count */
	assert_int_equal(probe_parse_reply("resetXX", 5, &r, &code, &n), 0);
	assert_int_equal(r, PROBE_REPLY_RESET);
}

static void test_helper_output_carries_the_reply(void **state)
{
	static const char out[] =
	    "bottle-probe connect 10.213.0.2 8888 result=connected "
	    "errno=none(0) ms=3 reply=http(200)\n"
	    "bottle-probe connect 10.213.0.2 9099 result=connected "
	    "errno=none(0) ms=1 reply=reset\n"
	    "bottle-probe connect 100.96.0.1 53 result=connected "
	    "errno=none(0) ms=2 reply=dns(0,1)\n"
	    "bottle-probe connect 100.96.0.1 53/tcp:example.com "
	    "result=connected errno=none(0) ms=2 reply=dns(3,0)\n"
	    "bottle-probe connect 10.213.0.6 8888 result=refused "
	    "errno=ECONNREFUSED(111) ms=0\n"
	    "bottle-probe connect 10.213.0.2 9100 result=connected "
	    "errno=none(0) ms=1 reply=bogus\n";
	struct probe_batch_item items[] = {
	    ITEM("10.213.0.2", "8888"),
	    ITEM("10.213.0.2", "9099"),
	    /* the PORT word must match as given: 53 is not 53/udp:... */
	    ITEM("100.96.0.1", "53/udp:example.com"),
	    ITEM("100.96.0.1", "53/tcp:example.com"),
	    ITEM("10.213.0.6", "8888"),
	    ITEM("10.213.0.2", "9100"),
	};

	(void)state;
	/* the last line's reply= is no reply: not a helper line */
	assert_int_equal(probe_parse_helper_output(out, strlen(out), items, 6),
			 5);
	assert_int_equal(items[0].out, PROBE_OUT_CONNECTED);
	assert_int_equal(items[0].reply, PROBE_REPLY_HTTP);
	assert_int_equal(items[0].reply_code, 200);
	assert_int_equal(items[1].reply, PROBE_REPLY_RESET);
	assert_int_equal(items[2].out, PROBE_OUT_NONE);
	assert_int_equal(items[3].out, PROBE_OUT_CONNECTED);
	assert_int_equal(items[3].reply, PROBE_REPLY_DNS);
	assert_int_equal(items[3].reply_code, 3);
	assert_int_equal(items[3].reply_n, 0);
	assert_int_equal(items[4].out, PROBE_OUT_REFUSED);
	assert_int_equal(items[4].reply, PROBE_REPLY_NONE);
	assert_string_equal(items[4].err_name, "ECONNREFUSED");
	assert_int_equal(items[5].out, PROBE_OUT_NONE);
	items_release(items, 6);
}

/* One attempt judged with everything the virtio-net verdicts read. */
struct vcase {
	enum probe_outcome out;
	enum probe_reply reply;
	int code, n;
	int virtio, attribution, attributed;
	const char *attribution_error;
};

static enum probe_verdict judge_v(enum probe_id id, const struct vcase *c,
				  enum probe_verdict control, char **detail)
{
	struct probe_raw raw;
	struct probe_result res = {0};
	const char *info = c->out == PROBE_OUT_REFUSED ? "ECONNREFUSED" : NULL;

	raw_set(&raw, 1, &c->out, &info);
	raw.att[0].reply = c->reply;
	raw.att[0].reply_code = c->code;
	raw.att[0].reply_n = c->n;
	raw.att[0].attributed = c->attributed;
	raw.virtio = c->virtio;
	raw.attribution = c->attribution;
	raw.attribution_error =
	    c->attribution_error ? xstrdup(c->attribution_error) : NULL;
	probe_judge(id, &raw, control, &res);
	probe_raw_release(&raw);
	if (detail != NULL)
		*detail = res.detail;
	else
		free(res.detail);
	return res.verdict;
}

#define C PROBE_OUT_CONNECTED
#define R PROBE_OUT_REFUSED

static void expect_v(enum probe_id id, struct vcase c, enum probe_verdict want)
{
	char *d = NULL;
	enum probe_verdict got = judge_v(id, &c, PROBE_PASS, &d);

	if (got != want)
		fail_msg("%s out=%d reply=%d virtio=%d attribution=%d "
			 "attributed=%d: %s (%s), want %s",
			 probe_name(id), c.out, c.reply, c.virtio,
			 c.attribution, c.attributed, probe_verdict_name(got),
			 d ? d : "", probe_verdict_name(want));
	free(d);
}

static void test_virtio_bundle_reach_needs_an_http_answer(void **state)
{
	char *d;
	struct vcase reset = {C, PROBE_REPLY_RESET, 0, 0, 1, 0, 0, NULL};

	(void)state;
	expect_v(PROBE_BUNDLE_REACH,
		 (struct vcase){C, PROBE_REPLY_HTTP, 200, 0, 1, 0, 0, NULL},
		 PROBE_PASS);
	/* a 5xx is still the service answering over the network */
	expect_v(PROBE_BUNDLE_REACH,
		 (struct vcase){C, PROBE_REPLY_HTTP, 503, 0, 1, 0, 0, NULL},
		 PROBE_PASS);
	assert_int_equal(judge_v(PROBE_BUNDLE_REACH, &reset, PROBE_NONE, &d),
			 PROBE_FAIL);
	assert_non_null(strstr(d, "then reset with nothing answered"));
	free(d);
	expect_v(PROBE_BUNDLE_REACH,
		 (struct vcase){C, PROBE_REPLY_EOF, 0, 0, 1, 0, 0, NULL},
		 PROBE_FAIL);
	expect_v(PROBE_BUNDLE_REACH,
		 (struct vcase){C, PROBE_REPLY_DATA, 0, 5, 1, 0, 0, NULL},
		 PROBE_FAIL);
	expect_v(PROBE_BUNDLE_REACH,
		 (struct vcase){C, PROBE_REPLY_SILENT, 0, 0, 1, 0, 0, NULL},
		 PROBE_UNKNOWN);
	/* a bare connect (nc) proves nothing under virtio-net */
	expect_v(PROBE_BUNDLE_REACH,
		 (struct vcase){C, PROBE_REPLY_NONE, 0, 0, 1, 0, 0, NULL},
		 PROBE_UNKNOWN);
	expect_v(PROBE_BUNDLE_REACH,
		 (struct vcase){R, PROBE_REPLY_NONE, 0, 0, 1, 0, 0, NULL},
		 PROBE_FAIL);
	/* TSI: a bare connect still is the control */
	expect_v(PROBE_BUNDLE_REACH,
		 (struct vcase){C, PROBE_REPLY_NONE, 0, 0, 0, 0, 0, NULL},
		 PROBE_PASS);
	expect_v(PROBE_BUNDLE_REACH,
		 (struct vcase){C, PROBE_REPLY_HTTP, 200, 0, 0, 0, 0, NULL},
		 PROBE_PASS);
}

static void test_virtio_egress_port_needs_reset_after_connect(void **state)
{
	(void)state;
	expect_v(PROBE_EGRESS_PORT_BYPASS,
		 (struct vcase){C, PROBE_REPLY_RESET, 0, 0, 1, 0, 0, NULL},
		 PROBE_PASS);
	expect_v(PROBE_EGRESS_PORT_BYPASS,
		 (struct vcase){C, PROBE_REPLY_EOF, 0, 0, 1, 0, 0, NULL},
		 PROBE_PASS);
	expect_v(PROBE_EGRESS_PORT_BYPASS,
		 (struct vcase){C, PROBE_REPLY_DATA, 0, 3, 1, 0, 0, NULL},
		 PROBE_FAIL);
	expect_v(PROBE_EGRESS_PORT_BYPASS,
		 (struct vcase){C, PROBE_REPLY_HTTP, 404, 0, 1, 0, 0, NULL},
		 PROBE_FAIL);
	expect_v(PROBE_EGRESS_PORT_BYPASS,
		 (struct vcase){C, PROBE_REPLY_SILENT, 0, 0, 1, 0, 0, NULL},
		 PROBE_UNKNOWN);
	expect_v(PROBE_EGRESS_PORT_BYPASS,
		 (struct vcase){C, PROBE_REPLY_NONE, 0, 0, 1, 0, 0, NULL},
		 PROBE_UNKNOWN);
	/* refused at connect: B itself denied, which contradicts the
	 * control */
	expect_v(PROBE_EGRESS_PORT_BYPASS,
		 (struct vcase){R, PROBE_REPLY_NONE, 0, 0, 1, 0, 0, NULL},
		 PROBE_UNKNOWN);
	/* TSI: unchanged, a connect is a leak and a refusal a pass */
	expect_v(PROBE_EGRESS_PORT_BYPASS,
		 (struct vcase){C, PROBE_REPLY_RESET, 0, 0, 0, 0, 0, NULL},
		 PROBE_FAIL);
	expect_v(PROBE_EGRESS_PORT_BYPASS,
		 (struct vcase){R, PROBE_REPLY_NONE, 0, 0, 0, 0, 0, NULL},
		 PROBE_PASS);
}

static void test_virtio_denials_need_their_record(void **state)
{
	enum probe_id ids[] = {PROBE_CROSS_BOTTLE, PROBE_LOCALHOST_REACH};
	char *d;
	size_t i;

	(void)state;
	for (i = 0; i < UTIL_NELEM(ids); i++) {
		/* E (attribution): refused and recorded */
		expect_v(
		    ids[i],
		    (struct vcase){R, PROBE_REPLY_NONE, 0, 0, 1, 1, 1, NULL},
		    PROBE_PASS);
		/* refused, but smolvm recorded no denial */
		expect_v(
		    ids[i],
		    (struct vcase){R, PROBE_REPLY_NONE, 0, 0, 1, 1, 0, NULL},
		    PROBE_UNKNOWN);
		/* a connect is a leak, recorded or not */
		expect_v(
		    ids[i],
		    (struct vcase){C, PROBE_REPLY_RESET, 0, 0, 1, 1, 0, NULL},
		    PROBE_FAIL);
		expect_v(
		    ids[i],
		    (struct vcase){C, PROBE_REPLY_SILENT, 0, 0, 1, 0, 0, NULL},
		    PROBE_FAIL);
		/* D (no egress-events): refused at connect is the proof */
		expect_v(
		    ids[i],
		    (struct vcase){R, PROBE_REPLY_NONE, 0, 0, 1, 0, 0, NULL},
		    PROBE_PASS);
		expect_v(ids[i],
			 (struct vcase){PROBE_OUT_TIMEOUT, PROBE_REPLY_NONE, 0,
					0, 1, 0, 0, NULL},
			 PROBE_UNKNOWN);
		/* egress-events could not be read */
		expect_v(ids[i],
			 (struct vcase){R, PROBE_REPLY_NONE, 0, 0, 1, 1, 0,
					"smolvm machine egress-events: exit 1"},
			 PROBE_UNKNOWN);
		/* TSI: a timeout or an error still counts as not reached */
		expect_v(ids[i],
			 (struct vcase){PROBE_OUT_TIMEOUT, PROBE_REPLY_NONE, 0,
					0, 0, 0, 0, NULL},
			 PROBE_PASS);
	}
	assert_int_equal(
	    judge_v(PROBE_CROSS_BOTTLE,
		    &(struct vcase){R, PROBE_REPLY_NONE, 0, 0, 1, 1, 0,
				    "smolvm machine egress-events: exit 1"},
		    PROBE_PASS, &d),
	    PROBE_UNKNOWN);
	assert_string_equal(d, "no proof of the denial: smolvm machine "
			       "egress-events: exit 1");
	free(d);
	assert_int_equal(
	    judge_v(PROBE_CROSS_BOTTLE,
		    &(struct vcase){R, PROBE_REPLY_NONE, 0, 0, 1, 1, 1, NULL},
		    PROBE_PASS, &d),
	    PROBE_PASS);
	assert_string_equal(d, "10.0.0.2:9000: refused (ECONNREFUSED), denial "
			       "recorded by smolvm");
	free(d);
	/* without the control, a recorded denial is still no PASS */
	assert_int_equal(
	    judge_v(PROBE_CROSS_BOTTLE,
		    &(struct vcase){R, PROBE_REPLY_NONE, 0, 0, 1, 1, 1, NULL},
		    PROBE_FAIL, NULL),
	    PROBE_UNKNOWN);
}

static void test_virtio_dns_hole_fails_when_names_resolve(void **state)
{
	char *d;

	(void)state;
	assert_int_equal(
	    judge_v(PROBE_DNS_HOLE,
		    &(struct vcase){C, PROBE_REPLY_DNS, 0, 1, 1, 0, 0, NULL},
		    PROBE_PASS, &d),
	    PROBE_FAIL);
	assert_non_null(strstr(d, "DNS answer rcode 0 with 1 record"));
	assert_non_null(strstr(d, "names resolve from inside the VM"));
	free(d);
	/* a resolved name fails even without the control */
	assert_int_equal(
	    judge_v(PROBE_DNS_HOLE,
		    &(struct vcase){C, PROBE_REPLY_DNS, 0, 2, 1, 0, 0, NULL},
		    PROBE_FAIL, NULL),
	    PROBE_FAIL);
	expect_v(PROBE_DNS_HOLE,
		 (struct vcase){C, PROBE_REPLY_DNS, 2, 0, 1, 0, 0, NULL},
		 PROBE_PASS);
	expect_v(PROBE_DNS_HOLE,
		 (struct vcase){C, PROBE_REPLY_DNS, 0, 0, 1, 0, 0, NULL},
		 PROBE_PASS);
	expect_v(PROBE_DNS_HOLE,
		 (struct vcase){C, PROBE_REPLY_SILENT, 0, 0, 1, 0, 0, NULL},
		 PROBE_PASS);
	expect_v(PROBE_DNS_HOLE,
		 (struct vcase){C, PROBE_REPLY_RESET, 0, 0, 1, 0, 0, NULL},
		 PROBE_PASS);
	/* a TCP connect to port 53 reaches the gateway: no proof of a
	 * hole by itself */
	expect_v(PROBE_DNS_HOLE,
		 (struct vcase){C, PROBE_REPLY_NONE, 0, 0, 1, 0, 0, NULL},
		 PROBE_PASS);
	/* TSI: a connect to the resolver is the (known) hole: WARN */
	expect_v(PROBE_DNS_HOLE,
		 (struct vcase){C, PROBE_REPLY_NONE, 0, 0, 0, 0, 0, NULL},
		 PROBE_WARN);
	expect_v(PROBE_DNS_HOLE,
		 (struct vcase){PROBE_OUT_DENIED, PROBE_REPLY_NONE, 0, 0, 0, 0,
				0, NULL},
		 PROBE_PASS);
}

#undef C
#undef R

static void test_denial_recorded_matches_connect_dest_and_window(void **state)
{
	static const struct smolvm_egress_event ev[] = {
	    {(char *)"2026-08-13T02:31:05Z", (char *)"sendto",
	     (char *)"10.213.0.6:8888"},
	    {(char *)"2026-08-13T02:31:05Z", (char *)"connect",
	     (char *)"10.213.0.7:8888"},
	    {(char *)"2026-08-13T02:29:00Z", (char *)"connect",
	     (char *)"10.213.0.6:8888"},
	    {(char *)"13 Aug 2026 02:31:06", (char *)"connect",
	     (char *)"10.213.0.6:8888"},
	    {(char *)"2026-08-13T02:31:06Z", (char *)"connect",
	     (char *)"10.213.0.6:8888"},
	};
	const char *from = "2026-08-13T02:31:04.120Z";
	const char *to = "2026-08-13T02:31:07.500Z";

	(void)state;
	assert_int_equal(
	    probe_denial_recorded(ev, 5, "10.213.0.6", 8888, from, to), 1);
	/* without the last one: sendto, another dest, outside the window
	 * and a malformed stamp do not count */
	assert_int_equal(
	    probe_denial_recorded(ev, 4, "10.213.0.6", 8888, from, to), 0);
	assert_int_equal(
	    probe_denial_recorded(ev, 5, "10.213.0.6", 8889, from, to), 0);
	assert_int_equal(
	    probe_denial_recorded(ev, 5, "10.213.0.60", 8888, from, to), 0);
	/* the window's bounds are inclusive to the second */
	assert_int_equal(probe_denial_recorded(ev + 4, 1, "10.213.0.6", 8888,
					       "2026-08-13T02:31:06.999Z",
					       "2026-08-13T02:31:06.000Z"),
			 1);
	assert_int_equal(probe_denial_recorded(ev + 4, 1, "10.213.0.6", 8888,
					       "2026-08-13T02:31:07.000Z",
					       "2026-08-13T02:31:09.000Z"),
			 0);
	assert_int_equal(probe_denial_recorded(ev + 2, 1, "10.213.0.6", 8888,
					       "2026-08-13T02:29:00.000Z", to),
			 1);
	assert_int_equal(
	    probe_denial_recorded(NULL, 0, "10.213.0.6", 8888, from, to), 0);
}

/* ---- the canary
 * ------------------------------------------------------------------ */

struct wait {
	struct canary *c;
	uint64_t hits, unrelated; /* stop once both are reached */
	int ticks;
};

static void wait_on_timer(uv_timer_t *t)
{
	struct wait *w = t->data;

	if ((canary_hits(w->c) >= w->hits &&
	     canary_unrelated(w->c) >= w->unrelated) ||
	    ++w->ticks > 400) {
		uv_close((uv_handle_t *)t, NULL);
		uv_stop(t->loop); /* the listening canary keeps it alive */
	}
}

/* wait_for: run the loop until the canary counted hits and unrelated. */
static void wait_for(uv_loop_t *loop, struct canary *c, uint64_t hits,
		     uint64_t unrelated)
{
	uv_timer_t t;
	struct wait w = {c, hits, unrelated, 0};

	uv_timer_init(loop, &t);
	t.data = &w;
	uv_timer_start(&t, wait_on_timer, 5, 5);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_run(loop, UV_RUN_NOWAIT); /* the timer's close */
}

static void send_text(int fd, const char *text)
{
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

/* read_all: what the canary sent before closing, NUL-terminated. */
static void read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
}

static void count_unrelated(struct canary *c, const char *why, void *data)
{
	char *last = data;

	(void)c;
	snprintf(last, 64, "%s", why);
}

static void test_canary_nonce_words(void **state)
{
	(void)state;
	assert_true(canary_nonce_ok("a"));
	assert_true(canary_nonce_ok("0123456789abcdefABCDEF"));
	assert_false(canary_nonce_ok(""));
	assert_false(canary_nonce_ok(NULL));
	assert_false(canary_nonce_ok("ab cd"));
	assert_false(canary_nonce_ok("ab\n"));
	assert_false(canary_nonce_ok("0123456789012345678901234567890123456789"
				     "0123456789012345678901234"));
}

/* only a connection carrying an expected nonce is a hit (answered); a
 * connection with another nonce, no nonce, or nothing at all is
 * unrelated, closed unanswered, and never a hit */
static void test_canary_counts_only_its_nonce(void **state)
{
	uv_loop_t loop;
	struct canary *c;
	int port = 0, fd;
	char buf[64], last[64] = "";

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(canary_open(&loop, &c, &port), 0);
	assert_true(port > 0);
	assert_int_equal(canary_port(c), port);
	canary_on_unrelated(c, count_unrelated, last);
	assert_int_equal(canary_expect(c, "feed42"), 0);
	assert_int_equal(canary_expect(c, "feed42"), -1); /* already */
	assert_int_equal(canary_expect(c, "not one"), -1);

	/* the probe's own connection */
	fd = connect_local(port);
	assert_true(fd >= 0);
	send_text(fd, CANARY_MAGIC "feed42\n");
	wait_for(&loop, c, 1, 0);
	assert_int_equal(canary_hits(c), 1);
	assert_int_equal(canary_nonce_hits(c, "feed42"), 1);
	read_all(fd, buf, sizeof buf);
	assert_string_equal(buf, CANARY_ACK);
	close(fd);

	/* another local user's: a wrong nonce, junk, nothing said */
	fd = connect_local(port);
	send_text(fd, CANARY_MAGIC "feed43\n");
	wait_for(&loop, c, 1, 1);
	assert_string_equal(last, "an unknown nonce");
	read_all(fd, buf, sizeof buf);
	assert_string_equal(buf, ""); /* closed, unanswered */
	close(fd);
	fd = connect_local(port);
	send_text(fd, "GET / HTTP/1.0\r\n\r\n");
	wait_for(&loop, c, 1, 2);
	assert_string_equal(last, "no nonce");
	close(fd);
	fd = connect_local(port);
	shutdown(fd, SHUT_WR);
	wait_for(&loop, c, 1, 3);
	assert_string_equal(last, "silent");
	close(fd);
	assert_int_equal(canary_hits(c), 1);
	assert_int_equal(canary_nonce_hits(c, "feed42"), 1);
	assert_int_equal(canary_unrelated(c), 3);

	/* a forgotten nonce is an unknown one */
	canary_forget(c, "feed42");
	assert_int_equal(canary_nonce_hits(c, "feed42"), 0);
	fd = connect_local(port);
	send_text(fd, CANARY_MAGIC "feed42\n");
	wait_for(&loop, c, 1, 4);
	assert_int_equal(canary_hits(c), 1);
	close(fd);

	canary_close(c);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	/* nothing listens there any more */
	assert_int_equal(connect_local(port), -1);
}

/* drain judges queued connections without running the loop: one with
 * the nonce already sent is a hit, a silent one is not; closing the
 * canary with a connection still waiting leaves nothing open */
static void test_canary_drain_and_close(void **state)
{
	uv_loop_t loop;
	struct canary *c;
	int port = 0, fd, fd2, fd3;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(canary_open(&loop, &c, &port), 0);
	assert_int_equal(canary_expect(c, "abc"), 0);
	fd = connect_local(port);
	send_text(fd, CANARY_MAGIC "abc\n");
	fd2 = connect_local(port); /* says nothing (yet) */
	assert_int_equal(canary_drain(c), 1);
	assert_int_equal(canary_nonce_hits(c, "abc"), 1);
	assert_int_equal(canary_unrelated(c), 0); /* still waiting */
	/* a line that comes after the drain is read by the loop */
	send_text(fd2, CANARY_MAGIC "abc\n");
	wait_for(&loop, c, 2, 0);
	assert_int_equal(canary_nonce_hits(c, "abc"), 2);
	fd3 = connect_local(port);
	uv_run(&loop, UV_RUN_NOWAIT);
	canary_close(c);
	uv_run(&loop, UV_RUN_DEFAULT);
	close(fd);
	close(fd2);
	close(fd3);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- whole runs through a fake smolvm
 * ------------------------------------------- */

/* The fake implements `machine exec --name M --timeout T -- ARGV...` by
 * running ARGV on the host under timeout(1), with nc being busybox's.
 * Machine "stopped" answers like smolvm for a stopped VM, "slow" hangs,
 * "expired" exits 124 like smolvm's --timeout. With ALLOW set it plays
 * TSI: a helper or nc connect to anything but ALLOW is denied the way the
 * tool would report EACCES (or, with HANG set, hangs instead; with LEAK
 * set, the helper makes the connect anyway and still says denied: a VMM
 * that lies). */
static const char fake_smolvm[] =
    "#!/bin/sh\n"
    "# fake smolvm written by test_probe\n"
    "ALLOW='%s'\n"
    "HANG='%s'\n"
    "LEAK='%s'\n"
    "# tsi_probe HELPER connect H P MS [H P]...: one line per target\n"
    "tsi_probe() {\n"
    "	helper=$1 ms=$5 st=0 list=\"$3:$4\"\n"
    "	[ -x \"$helper\" ] || exit 127\n"
    "	shift 5\n"
    "	while [ $# -ge 2 ]; do list=\"$list $1:$2\"; shift 2; done\n"
    "	for hp in $list; do\n"
    "		[ \"$hp\" = \"$ALLOW\" ] || [ -z \"$HANG\" ] || "
    "exec sleep 30\n"
    "	done\n"
    "	for hp in $list; do\n"
    "		h=${hp%%:*} p=${hp#*:}\n"
    "		if [ \"$hp\" = \"$ALLOW\" ]; then\n"
    "			\"$helper\" connect \"$h\" \"$p\" \"$ms\" || st=1\n"
    "			continue\n"
    "		fi\n"
    "		[ -z \"$LEAK\" ] || \"$helper\" connect \"$h\" \"$p\" "
    "\"$ms\" >/dev/null\n"
    "		echo \"bottle-probe connect $h $p result=denied "
    "errno=EACCES(13) ms=2\"\n"
    "		st=1\n"
    "	done\n"
    "	exit $st\n"
    "}\n"
    "if [ \"$1\" != machine ] || [ \"$2\" != exec ]; then\n"
    "	echo \"Error: fake smolvm: only machine exec\" >&2; exit 1\n"
    "fi\n"
    "shift 2\n"
    "name= t=\n"
    "while [ $# -gt 0 ]; do\n"
    "	case $1 in\n"
    "	--name) name=$2; shift 2 ;;\n"
    "	--timeout) t=$2; shift 2 ;;\n"
    "	-i) shift ;; # stdin stays open: the helper's nonce\n"
    "	--) shift; break ;;\n"
    "	*) echo \"error: unexpected argument '$1'\" >&2; exit 2 ;;\n"
    "	esac\n"
    "done\n"
    "if [ -z \"$name\" ] || [ -z \"$t\" ]; then\n"
    "	echo 'error: --name and --timeout are required' >&2; exit 2\n"
    "fi\n"
    "case $name in\n"
    "bottle-stopped) echo \"Error: agent operation failed: connect: machine "
    "'$name' is not running. Start it first\" >&2; exit 1 ;;\n"
    "bottle-slow) exec sleep 30 ;;\n"
    "bottle-expired) exit 124 ;;\n"
    "esac\n"
    "if [ -n \"$ALLOW\" ]; then\n"
    "	case $1 in\n"
    "	*bottle-probe) [ \"$2\" = connect ] && tsi_probe \"$@\" ;;\n"
    "	nc) if [ \"$4:$5\" != \"$ALLOW\" ]; then\n"
    "		[ -n \"$HANG\" ] && exec sleep 30\n"
    "		echo \"nc: can't connect to remote host ($4): Permission "
    "denied\" >&2\n"
    "		exit 1\n"
    "	fi ;;\n"
    "	esac\n"
    "fi\n"
    "PATH=\"%s/bin:$PATH\" exec timeout \"$t\" \"$@\"\n";

/* A helper that answers only its first target, then stops. */
static const char partial_helper[] =
    "#!/bin/sh\n"
    "echo \"bottle-probe connect $2 $3 result=connected errno=none(0) "
    "ms=4321\"\n"
    "exit 1\n";

struct fake {
	char dir[64];
	char smolvm[128];
	char nc[128];
	char bin[96];
	char partial[128]; /* partial_helper */
};

static void write_script(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, 0755), 0);
}

static int fake_have_busybox(void)
{
	return access("/usr/bin/busybox", X_OK) == 0;
}

static void fake_make(struct fake *f, const char *allow, int hang, int leak)
{
	FILE *fp;

	snprintf(f->dir, sizeof f->dir, "/tmp/test_probe.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->smolvm, sizeof f->smolvm, "%s/smolvm", f->dir);
	snprintf(f->bin, sizeof f->bin, "%s/bin", f->dir);
	snprintf(f->nc, sizeof f->nc, "%s/bin/nc", f->dir);
	snprintf(f->partial, sizeof f->partial, "%s/partial-probe", f->dir);
	write_script(f->partial, partial_helper);
	fp = fopen(f->smolvm, "w");
	assert_non_null(fp);
	fprintf(fp, fake_smolvm, allow ? allow : "", hang ? "1" : "",
		leak ? "1" : "", f->dir);
	fclose(fp);
	assert_int_equal(chmod(f->smolvm, 0755), 0);
	assert_int_equal(mkdir(f->bin, 0755), 0);
	if (fake_have_busybox())
		assert_int_equal(symlink("/usr/bin/busybox", f->nc), 0);
}

static void fake_remove(struct fake *f)
{
	unlink(f->nc);
	unlink(f->partial);
	rmdir(f->bin);
	unlink(f->smolvm);
	rmdir(f->dir);
}

struct prun {
	uv_loop_t loop;
	struct fake fake;
	struct canary *canary;
	uv_tcp_t bundle; /* plays the bundle's pipelock: answers HTTP 200 */
	int bundle_open;
	int bundle_port;
	struct smolvm_cli cli;
	struct strv env;
	struct probe_port closed[6];
	const char *others[2];
	struct probe_target t;
	struct probe_run *run;
	int done;
	struct probe_report rep; /* deep copy */
	char *cmds[32];		 /* each command, for display */
	size_t n_cmds;
	uint64_t t0, t_done;
	uv_timer_t cancel_timer;
};

static void prun_on_command(const char *const *argv,
			    const struct proc_result *r, void *data)
{
	struct prun *p = data;

	assert_true(p->n_cmds < UTIL_NELEM(p->cmds));
	assert_string_equal(argv[0], p->fake.smolvm);
	p->cmds[p->n_cmds++] = proc_describe(argv, r);
}

static void prun_on_done(struct probe_run *run, const struct probe_report *rep,
			 void *data)
{
	struct prun *p = data;
	size_t i;

	assert_ptr_equal(run, p->run);
	p->done++;
	p->t_done = util_mono_ms();
	p->rep.all_pass = rep->all_pass;
	p->rep.any_fail = rep->any_fail;
	for (i = 0; i < PROBE_COUNT; i++)
		probe_result_copy(&p->rep.r[i], &rep->r[i]);
	uv_stop(&p->loop); /* the listening canary keeps it alive */
}

/* ---- the bundle: answers one HTTP request per connection, then closes */

static void bundle_free(uv_handle_t *h)
{
	free(h);
}

static void bundle_on_write(uv_write_t *w, int status)
{
	(void)status;
	uv_close((uv_handle_t *)w->handle, bundle_free);
	free(w);
}

static void bundle_alloc(uv_handle_t *h, size_t size, uv_buf_t *b)
{
	static char buf[2048];

	(void)h;
	(void)size;
	*b = uv_buf_init(buf, sizeof buf);
}

static void bundle_on_read(uv_stream_t *c, ssize_t n, const uv_buf_t *b)
{
	static char answer[] = "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	uv_buf_t out = uv_buf_init(answer, sizeof answer - 1);
	uv_write_t *w;

	(void)b;
	if (n == 0)
		return;
	uv_read_stop(c);
	if (n < 0) {
		uv_close((uv_handle_t *)c, bundle_free);
		return;
	}
	w = xcalloc(1, sizeof *w);
	if (uv_write(w, c, &out, 1, bundle_on_write) != 0) {
		free(w);
		uv_close((uv_handle_t *)c, bundle_free);
	}
}

static void bundle_on_connection(uv_stream_t *server, int status)
{
	uv_tcp_t *c;

	if (status != 0)
		return;
	c = xcalloc(1, sizeof *c);
	uv_tcp_init(server->loop, c);
	if (uv_accept(server, (uv_stream_t *)c) == 0)
		uv_read_start((uv_stream_t *)c, bundle_alloc, bundle_on_read);
	else
		uv_close((uv_handle_t *)c, bundle_free);
}

/* prun_bundle_gone: the bundle is gone; its port now refuses. */
static void prun_bundle_gone(struct prun *p)
{
	if (p->bundle_open)
		uv_close((uv_handle_t *)&p->bundle, NULL);
	p->bundle_open = 0;
	p->bundle_port = closed_port();
	p->t.proxy_port = p->bundle_port;
}

/* prun_cli: the target speaks smolvm at version text. */
static void prun_cli(struct prun *p, const char *text)
{
	char *cause = NULL;

	if (smolvm_cli_init(&p->cli, p->fake.smolvm, text, 0, &cause) != 0)
		fail_msg("%s", cause);
	strv_release(&p->env);
	smolvm_env(&p->cli, 0, 0, &p->env);
	p->t.cli = &p->cli;
	p->t.env = (const char *const *)p->env.v;
}

/* prun_init: loop, canary, a bundle listener, the fake (smolvm 0.8.0),
 * and a target (the bottle NAME) with one closed port (egress). */
static void prun_init(struct prun *p, const char *name, const char *allow)
{
	int fd;

	memset(p, 0, sizeof *p);
	assert_int_equal(uv_loop_init(&p->loop), 0);
	assert_int_equal(canary_open(&p->loop, &p->canary, NULL), 0);
	fd = listen_local(&p->bundle_port);
	assert_int_equal(uv_tcp_init(&p->loop, &p->bundle), 0);
	assert_int_equal(uv_tcp_open(&p->bundle, fd), 0);
	assert_int_equal(
	    uv_listen((uv_stream_t *)&p->bundle, 128, bundle_on_connection), 0);
	p->bundle_open = 1;
	fake_make(&p->fake, allow, 0, 0);
	p->closed[0] = (struct probe_port){"egress", closed_port()};
	prun_cli(p, "smolvm 0.8.0\n");
	p->t.name = name;
	p->t.bundle_ip = "127.0.0.1";
	p->t.proxy_port = p->bundle_port;
	p->t.closed = p->closed;
	p->t.n_closed = 1;
	p->t.others = p->others;
	p->t.timeout_s = 5;
	p->t.canary = p->canary;
}

/* prun_tsi: the fake plays TSI with only the bundle allowed. */
static void prun_tsi(struct prun *p, int hang, int leak)
{
	char allow[64];

	snprintf(allow, sizeof allow, "127.0.0.1:%d", p->bundle_port);
	fake_remove(&p->fake);
	fake_make(&p->fake, allow, hang, leak);
}

static void prun_go(struct prun *p)
{
	p->t0 = util_mono_ms();
	p->run =
	    probe_run_start(&p->loop, &p->t, prun_on_command, prun_on_done, p);
	assert_int_equal(p->done, 0); /* never from inside start */
	uv_run(&p->loop, UV_RUN_DEFAULT);
	assert_int_equal(p->done, 1);
}

static void prun_finish(struct prun *p)
{
	size_t i;

	canary_close(p->canary); /* NULL-safe */
	if (p->bundle_open)
		uv_close((uv_handle_t *)&p->bundle, NULL);
	uv_run(&p->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&p->loop), 0);
	assert_int_equal(proc_live_count(), 0);
	fake_remove(&p->fake);
	for (i = 0; i < PROBE_COUNT; i++)
		probe_result_release(&p->rep.r[i]);
	for (i = 0; i < p->n_cmds; i++)
		free(p->cmds[i]);
	strv_release(&p->env);
}

static void assert_verdict(const struct prun *p, enum probe_id id,
			   enum probe_verdict v)
{
	const struct probe_result *r = &p->rep.r[id];

	if (r->verdict != v)
		fail_msg("%s: %s (%s), expected %s", probe_name(id),
			 probe_verdict_name(r->verdict),
			 r->detail ? r->detail : "", probe_verdict_name(v));
}

static int prun_ran(const struct prun *p, const char *needle)
{
	size_t i, n = 0;

	for (i = 0; i < p->n_cmds; i++)
		n += strstr(p->cmds[i], needle) != NULL;
	return (int)n;
}

/* no_nonce_on_argv: no command holds a run of 32 hex digits (the size
 * of a run's nonce). */
static void no_nonce_on_argv(const struct prun *p)
{
	size_t i, run;
	const char *c;

	for (i = 0; i < p->n_cmds; i++) {
		for (c = p->cmds[i], run = 0; *c != '\0'; c++) {
			run = strchr("0123456789abcdef", *c) ? run + 1 : 0;
			if (run >= 32)
				fail_msg("a nonce on an argv: %s", p->cmds[i]);
		}
	}
}

static void test_run_with_the_helper_sees_the_host_loopback(void **state)
{
	struct prun p;
	uint64_t wall0 = util_wall_ms();
	char want[160];

	(void)state;
	if (access(HELPER, X_OK) != 0)
		skip(); /* `make build/bottle-probe` first */
	prun_init(&p, "t", NULL);
	p.t.helper = HELPER;
	prun_go(&p);
	assert_verdict(&p, PROBE_BUNDLE_REACH, PROBE_PASS);
	assert_string_equal(p.rep.r[PROBE_BUNDLE_REACH].method, "bottle-probe");
	/* on the host the canary is reachable: exactly what must FAIL */
	assert_verdict(&p, PROBE_LOCALHOST_REACH, PROBE_FAIL);
	assert_non_null(
	    strstr(p.rep.r[PROBE_LOCALHOST_REACH].detail, "connected"));
	/* the canary saw the helper's connection with the run's nonce
	 * (handed over on stdin, not on the argv) */
	assert_int_equal(canary_hits(p.canary), 1);
	assert_non_null(strstr(p.rep.r[PROBE_LOCALHOST_REACH].detail,
			       "saw 1 connection carrying this run's nonce"));
	assert_verdict(&p, PROBE_EGRESS_PORT_BYPASS, PROBE_PASS);
	assert_non_null(strstr(p.rep.r[PROBE_EGRESS_PORT_BYPASS].detail,
			       "(egress): refused (ECONNREFUSED)"));
	assert_verdict(&p, PROBE_EXEC_FIDELITY, PROBE_PASS);
	assert_string_equal(p.rep.r[PROBE_EXEC_FIDELITY].method, "sh");
	assert_verdict(&p, PROBE_CROSS_BOTTLE, PROBE_SKIP);
	assert_verdict(&p, PROBE_DNS_HOLE, PROBE_SKIP);
	assert_int_equal(p.rep.all_pass, 0);
	assert_int_equal(p.rep.any_fail, 1);
	assert_true(p.rep.r[PROBE_BUNDLE_REACH].at_ms >= wall0);
	assert_true(p.rep.r[PROBE_BUNDLE_REACH].latency_ms < 5000);
	assert_string_equal(p.rep.r[PROBE_LOCALHOST_REACH].method,
			    "bottle-probe");
	assert_string_equal(p.rep.r[PROBE_EGRESS_PORT_BYPASS].method,
			    "bottle-probe");
	/* two execs, each with smolvm 0.8.0's exec syntax: every connect
	 * in one helper call, the control first, and exec-fidelity */
	assert_int_equal(p.n_cmds, 2);
	assert_int_equal(prun_ran(&p, " machine exec --name bottle-t --timeout "
				      "5s "),
			 2);
	assert_int_equal(prun_ran(&p, "--timeout 5s -- sh -c 'exit 42'"), 1);
	/* the batch keeps stdin open (-i) for the nonce, which is on no
	 * argv: the canary's target is PORT/canary and nothing follows the
	 * last target */
	snprintf(want, sizeof want,
		 "--timeout 5s -i -- " HELPER " connect 127.0.0.1 %d 3000 "
		 "127.0.0.1 %d/canary 127.0.0.1 %d →",
		 p.bundle_port, canary_port(p.canary), p.closed[0].port);
	assert_int_equal(prun_ran(&p, want), 1);
	no_nonce_on_argv(&p);
	prun_finish(&p);
}

/* a helper that cannot run in the guest: the connect probes have no
 * answer, and nothing in the guest (nc) stands in for it */
static void test_run_without_a_runnable_helper_is_unknown(void **state)
{
	struct prun p;
	size_t i;

	(void)state;
	prun_init(&p, "t", NULL);
	p.t.helper = "/nonexistent/bottle-probe";
	prun_go(&p);
	assert_verdict(&p, PROBE_BUNDLE_REACH, PROBE_UNKNOWN);
	assert_non_null(strstr(p.rep.r[PROBE_BUNDLE_REACH].detail,
			       "bottle-probe could not run in the guest "
			       "(exit 127)"));
	for (i = 0; i < PROBE_COUNT; i++)
		if (i != PROBE_EXEC_FIDELITY && i != PROBE_CROSS_BOTTLE &&
		    i != PROBE_DNS_HOLE)
			assert_verdict(&p, (enum probe_id)i, PROBE_UNKNOWN);
	assert_verdict(&p, PROBE_EXEC_FIDELITY, PROBE_PASS);
	assert_int_equal(prun_ran(&p, "/nonexistent/bottle-probe connect"), 1);
	assert_int_equal(prun_ran(&p, " nc "), 0);
	assert_int_equal(p.n_cmds, 2);
	assert_int_equal(p.rep.all_pass, 0);
	prun_finish(&p);
}

/* no verified helper at all: every connect probe UNKNOWN with that
 * reason, nothing run for them; exec-fidelity still runs (it tests exec
 * itself) and a probe with nothing to aim at is still SKIP */
static void test_run_without_a_verified_helper_is_unknown(void **state)
{
	struct prun p;
	size_t i;

	(void)state;
	prun_init(&p, "t", NULL);
	p.t.helper = NULL;
	prun_go(&p);
	for (i = 0; i < PROBE_COUNT; i++) {
		if (i == PROBE_EXEC_FIDELITY || i == PROBE_CROSS_BOTTLE ||
		    i == PROBE_DNS_HOLE)
			continue;
		assert_verdict(&p, (enum probe_id)i, PROBE_UNKNOWN);
		assert_string_equal(p.rep.r[i].detail,
				    "no verified probe helper");
	}
	assert_verdict(&p, PROBE_EXEC_FIDELITY, PROBE_PASS);
	assert_verdict(&p, PROBE_CROSS_BOTTLE, PROBE_SKIP);
	assert_int_equal(p.n_cmds, 1);
	assert_int_equal(prun_ran(&p, "sh -c 'exit 42'"), 1);
	/* the canary was not even aimed at */
	assert_int_equal(canary_hits(p.canary), 0);
	assert_int_equal(p.rep.all_pass, 0);
	assert_int_equal(p.rep.any_fail, 0);
	prun_finish(&p);
}

static void test_run_passes_when_only_the_bundle_is_reachable(void **state)
{
	struct prun p;
	int lport, lfd = listen_local(&lport);
	size_t i;

	(void)state;
	if (access(HELPER, X_OK) != 0)
		skip();
	/* the fake allows only the bundle, like TSI with ["B/32"] would
	 * (ports aside) */
	prun_init(&p, "t", NULL);
	prun_tsi(&p, 0, 0);
	p.t.helper = HELPER;
	for (i = 0; i < UTIL_NELEM(p.closed); i++)
		p.closed[i] = (struct probe_port){"egress", lport};
	p.t.n_closed = UTIL_NELEM(p.closed);
	/* denied by the fake without any connect being made */
	p.others[0] = "127.0.0.2";
	p.t.n_others = 1;
	p.t.resolver = "127.0.0.1";
	prun_go(&p);
	for (i = 0; i < PROBE_COUNT; i++)
		assert_verdict(&p, (enum probe_id)i, PROBE_PASS);
	assert_int_equal(p.rep.all_pass, 1);
	assert_int_equal(p.rep.any_fail, 0);
	assert_int_equal(canary_hits(p.canary), 0);
	assert_non_null(strstr(p.rep.r[PROBE_DNS_HOLE].detail,
			       "127.0.0.1:53 (resolver): denied (EACCES)"));
	assert_non_null(
	    strstr(p.rep.r[PROBE_CROSS_BOTTLE].detail, "127.0.0.2:"));
	for (i = 0; i < PROBE_COUNT; i++)
		assert_string_equal(p.rep.r[i].method, i == PROBE_EXEC_FIDELITY
							   ? "sh"
							   : "bottle-probe");
	/* latency is the helper's own time (the fake's ms=2), not the
	 * exec's */
	assert_int_equal(p.rep.r[PROBE_CROSS_BOTTLE].latency_ms, 2);
	assert_int_equal(p.rep.r[PROBE_DNS_HOLE].latency_ms, 2);
	/* nine connects, one exec for all of them */
	assert_int_equal(p.n_cmds, 2);
	assert_int_equal(prun_ran(&p, "bottle-probe connect "), 1);
	prun_finish(&p);
	close(lfd);
}

static void
test_run_cross_bottle_fails_when_another_bundle_answers(void **state)
{
	struct prun p;

	(void)state;
	if (access(HELPER, X_OK) != 0)
		skip();
	prun_init(&p, "t", NULL);
	p.t.helper = HELPER;
	p.others[0] = "127.0.0.1"; /* "another bundle": our own listener */
	p.t.n_others = 1;
	prun_go(&p);
	assert_verdict(&p, PROBE_CROSS_BOTTLE, PROBE_FAIL);
	assert_non_null(
	    strstr(p.rep.r[PROBE_CROSS_BOTTLE].detail, "connected"));
	prun_finish(&p);
}

static void test_run_smolvm_error_makes_everything_unknown(void **state)
{
	struct prun p;
	size_t i;

	(void)state;
	prun_init(&p, "stopped", NULL);
	p.t.helper = HELPER;
	prun_go(&p);
	for (i = 0; i < PROBE_COUNT; i++)
		if (i != PROBE_CROSS_BOTTLE && i != PROBE_DNS_HOLE)
			assert_verdict(&p, (enum probe_id)i, PROBE_UNKNOWN);
	assert_non_null(strstr(p.rep.r[PROBE_BUNDLE_REACH].detail,
			       ": smolvm: agent operation failed: connect: "
			       "machine 'bottle-stopped' is not running"));
	assert_non_null(strstr(p.rep.r[PROBE_EXEC_FIDELITY].detail,
			       "smolvm: agent operation failed"));
	assert_string_equal(p.rep.r[PROBE_LOCALHOST_REACH].detail,
			    CONTROL_FAILED);
	/* a smolvm error is not a missing helper: no nc retry */
	assert_int_equal(p.n_cmds, 2);
	assert_int_equal(p.rep.all_pass, 0);
	assert_int_equal(p.rep.any_fail, 0);
	prun_finish(&p);
}

static void prun_on_cancel_timer(uv_timer_t *t)
{
	struct prun *p = t->data;

	probe_run_cancel(p->run);
	probe_run_cancel(p->run); /* twice is harmless */
	uv_close((uv_handle_t *)t, NULL);
}

static void test_run_cancel_kills_the_execs_and_reports_unknown(void **state)
{
	struct prun p;
	size_t i;

	(void)state;
	prun_init(&p, "slow", NULL);
	p.t.helper = HELPER;
	uv_timer_init(&p.loop, &p.cancel_timer);
	p.cancel_timer.data = &p;
	uv_timer_start(&p.cancel_timer, prun_on_cancel_timer, 100, 0);
	prun_go(&p);
	assert_true(p.t_done - p.t0 < 4000);
	for (i = 0; i < PROBE_COUNT; i++) {
		assert_verdict(&p, (enum probe_id)i, PROBE_UNKNOWN);
		assert_string_equal(p.rep.r[i].detail, "cancelled");
	}
	assert_int_equal(p.n_cmds, 2); /* the batch and exec-fidelity */
	assert_int_equal(p.rep.all_pass, 0);
	prun_finish(&p);
}

static void prun_on_cancel_and_close(uv_timer_t *t)
{
	struct prun *p = t->data;

	probe_run_cancel(p->run);
	/* a cancelled run no longer touches the canary: close it now */
	canary_close(p->canary);
	p->canary = NULL;
	uv_close((uv_handle_t *)t, NULL);
}

static void test_run_cancel_frees_the_canary_for_closing(void **state)
{
	struct prun p;

	(void)state;
	if (access(HELPER, X_OK) != 0)
		skip();
	prun_init(&p, "t", NULL);
	prun_tsi(&p, 1, 0); /* a connect to anything but the bundle hangs */
	p.t.helper = HELPER;
	uv_timer_init(&p.loop, &p.cancel_timer);
	p.cancel_timer.data = &p;
	uv_timer_start(&p.cancel_timer, prun_on_cancel_and_close, 400, 0);
	prun_go(&p);
	assert_true(p.t_done - p.t0 < 4000);
	assert_verdict(&p, PROBE_LOCALHOST_REACH, PROBE_UNKNOWN);
	assert_string_equal(p.rep.r[PROBE_LOCALHOST_REACH].detail, "cancelled");
	/* the batch (killed) and exec-fidelity; no nc fallback */
	assert_int_equal(p.n_cmds, 2);
	prun_finish(&p);
}

static void test_run_without_canary_is_unknown_not_pass(void **state)
{
	struct prun p;
	char want[128];

	(void)state;
	if (access(HELPER, X_OK) != 0)
		skip();
	prun_init(&p, "t", NULL);
	p.t.helper = HELPER;
	p.t.canary = NULL;
	prun_go(&p);
	assert_verdict(&p, PROBE_BUNDLE_REACH, PROBE_PASS);
	assert_verdict(&p, PROBE_LOCALHOST_REACH, PROBE_UNKNOWN);
	assert_non_null(strstr(p.rep.r[PROBE_LOCALHOST_REACH].detail,
			       "no canary listener"));
	/* the batch aims at the bundle and egress only */
	assert_int_equal(p.n_cmds, 2);
	snprintf(want, sizeof want, "connect 127.0.0.1 %d 3000 127.0.0.1 %d →",
		 p.bundle_port, p.closed[0].port);
	assert_int_equal(prun_ran(&p, want), 1);
	prun_finish(&p);
}

static void
test_run_batch_without_the_control_leaves_negatives_unknown(void **state)
{
	struct prun p;
	size_t i;

	(void)state;
	if (access(HELPER, X_OK) != 0)
		skip();
	prun_init(&p, "t", NULL);
	prun_bundle_gone(&p);
	p.bundle_port = closed_port();
	p.t.proxy_port = p.bundle_port;
	prun_tsi(&p, 0, 0);
	p.t.helper = HELPER;
	p.others[0] = "127.0.0.2";
	p.t.n_others = 1;
	p.t.resolver = "127.0.0.1";
	prun_go(&p);
	assert_verdict(&p, PROBE_BUNDLE_REACH, PROBE_FAIL);
	assert_non_null(strstr(p.rep.r[PROBE_BUNDLE_REACH].detail, "refused"));
	assert_verdict(&p, PROBE_EXEC_FIDELITY, PROBE_PASS);
	/* their connects were made (and denied) in the batch: still not
	 * PASS without the control */
	for (i = 0; i < PROBE_COUNT; i++) {
		if (i == PROBE_BUNDLE_REACH || i == PROBE_EXEC_FIDELITY)
			continue;
		assert_verdict(&p, (enum probe_id)i, PROBE_UNKNOWN);
		assert_string_equal(p.rep.r[i].detail, CONTROL_FAILED);
	}
	assert_int_equal(p.n_cmds, 2);
	assert_int_equal(p.rep.all_pass, 0);
	assert_int_equal(p.rep.any_fail, 1);
	prun_finish(&p);
}

static void test_run_batch_canary_hit_fails_localhost_reach(void **state)
{
	struct prun p;
	int control;

	(void)state;
	if (access(HELPER, X_OK) != 0)
		skip();
	/* the VMM says denied but lets the connects through: only the
	 * canary knows; with the control passing, then failing */
	for (control = 1; control >= 0; control--) {
		prun_init(&p, "t", NULL);
		if (!control) {
			prun_bundle_gone(&p);
			p.bundle_port = closed_port();
			p.t.proxy_port = p.bundle_port;
		}
		prun_tsi(&p, 0, 1);
		p.t.helper = HELPER;
		prun_go(&p);
		assert_verdict(&p, PROBE_BUNDLE_REACH,
			       control ? PROBE_PASS : PROBE_FAIL);
		assert_verdict(&p, PROBE_LOCALHOST_REACH, PROBE_FAIL);
		assert_non_null(strstr(p.rep.r[PROBE_LOCALHOST_REACH].detail,
				       "the canary on the host's 127.0.0.1 "
				       "saw 1 connection"));
		assert_null(
		    strstr(p.rep.r[PROBE_LOCALHOST_REACH].detail, "connected"));
		assert_verdict(&p, PROBE_EGRESS_PORT_BYPASS,
			       control ? PROBE_PASS : PROBE_UNKNOWN);
		assert_int_equal(canary_hits(p.canary), 1);
		assert_int_equal(p.n_cmds, 2);
		assert_int_equal(p.rep.any_fail, 1);
		prun_finish(&p);
	}
}

static void test_run_batch_exec_timeout_is_unknown_for_all(void **state)
{
	struct prun p;
	size_t i;

	(void)state;
	prun_init(&p, "expired", NULL);
	p.t.helper = HELPER;
	p.others[0] = "127.0.0.2";
	p.t.n_others = 1;
	prun_go(&p);
	for (i = 0; i < PROBE_COUNT; i++)
		if (i != PROBE_DNS_HOLE)
			assert_verdict(&p, (enum probe_id)i, PROBE_UNKNOWN);
	assert_string_equal(strstr(p.rep.r[PROBE_BUNDLE_REACH].detail, ": "),
			    ": exec timed out after 5 s");
	assert_string_equal(p.rep.r[PROBE_EXEC_FIDELITY].detail,
			    "exec timed out after 5 s");
	assert_string_equal(p.rep.r[PROBE_CROSS_BOTTLE].detail, CONTROL_FAILED);
	/* a timeout is not a missing helper: no nc retry */
	assert_int_equal(p.n_cmds, 2);
	assert_int_equal(p.rep.any_fail, 0);
	prun_finish(&p);
}

static void test_run_batch_target_without_a_line_is_unknown(void **state)
{
	struct prun p;

	(void)state;
	prun_init(&p, "t", NULL);
	p.t.helper = p.fake.partial; /* answers the bundle only */
	prun_go(&p);
	assert_verdict(&p, PROBE_BUNDLE_REACH, PROBE_PASS);
	/* the helper's time, not the exec's */
	assert_non_null(
	    strstr(p.rep.r[PROBE_BUNDLE_REACH].detail, "connected in 4321 ms"));
	assert_int_equal(p.rep.r[PROBE_BUNDLE_REACH].latency_ms, 4321);
	assert_verdict(&p, PROBE_LOCALHOST_REACH, PROBE_UNKNOWN);
	assert_non_null(strstr(p.rep.r[PROBE_LOCALHOST_REACH].detail,
			       "no line from bottle-probe for it"));
	assert_verdict(&p, PROBE_EGRESS_PORT_BYPASS, PROBE_UNKNOWN);
	assert_int_equal(p.n_cmds, 2); /* some lines came: no nc retry */
	prun_finish(&p);
}

/* a helper that says nothing: no answer for any connect, and no nc */
static void test_run_helper_that_prints_nothing_is_unknown(void **state)
{
	struct prun p;

	(void)state;
	prun_init(&p, "t", NULL);
	p.t.helper = "/bin/false"; /* runs, exits 1, says nothing */
	prun_go(&p);
	assert_verdict(&p, PROBE_BUNDLE_REACH, PROBE_UNKNOWN);
	assert_non_null(strstr(p.rep.r[PROBE_BUNDLE_REACH].detail,
			       "no line from bottle-probe (exit 1)"));
	assert_verdict(&p, PROBE_LOCALHOST_REACH, PROBE_UNKNOWN);
	assert_verdict(&p, PROBE_EGRESS_PORT_BYPASS, PROBE_UNKNOWN);
	assert_int_equal(prun_ran(&p, " nc "), 0);
	assert_int_equal(p.n_cmds, 2);
	prun_finish(&p);
}

/* smolvm 1.9.3 (band E) played without a VM: the helper's lines are what
 * virtio-net gives (the bundle answers HTTP, a closed port on it resets
 * after the connect, every other address is refused at connect, the
 * gateway's DNS says NXDOMAIN), and `machine egress-events` records the
 * denial of RECORD (HOST:PORT, or nothing), or fails with EVENTS_EXIT.
 * No connect is made: the addresses are only words. */
static const char fake_smolvm_e[] =
    "#!/bin/sh\n"
    "RECORD='%s'\n"
    "EVENTS_EXIT='%s'\n"
    "if [ \"$1 $2\" = 'machine egress-events' ]; then\n"
    "	[ \"$3 $4 $5 $6\" = '--name bottle-t --json --limit' ] || "
    "{ echo \"error: unexpected argument '$3'\" >&2; exit 2; }\n"
    "	[ -z \"$EVENTS_EXIT\" ] || { echo 'Error: boom' >&2; "
    "exit \"$EVENTS_EXIT\"; }\n"
    "	now=$(date -u +%%Y-%%m-%%dT%%H:%%M:%%SZ)\n"
    "	printf '[{\"timestamp\": \"%%s\", \"operation\": \"sendto\", "
    "\"dest\": \"10.9.9.9:123\"}' \"$now\"\n"
    "	[ -z \"$RECORD\" ] || printf ',\\n {\"timestamp\": \"%%s\", "
    "\"operation\": \"connect\", \"dest\": \"%%s\"}' \"$now\" \"$RECORD\"\n"
    "	echo ']'\n"
    "	exit 0\n"
    "fi\n"
    "[ \"$1 $2 $3 $4\" = 'machine exec --name bottle-t' ] || "
    "{ echo \"error: unexpected argument '$3'\" >&2; exit 2; }\n"
    "shift 4\n"
    "while [ \"$1\" != -- ]; do shift; done\n"
    "shift\n"
    "answer() {\n"
    "	l=\"bottle-probe connect $1 $2\"\n"
    "	case $2 in\n"
    "	53/udp:*|53/tcp:*) echo \"$l result=connected errno=none(0) ms=2 "
    "reply=dns(3,0)\" ;;\n"
    "	8888) if [ \"$1\" = 10.213.0.2 ]; then\n"
    "		echo \"$l result=connected errno=none(0) ms=3 "
    "reply=http(200)\"\n"
    "	else\n"
    "		echo \"$l result=refused errno=ECONNREFUSED(111) ms=1\"\n"
    "	fi ;;\n"
    "	*) if [ \"$1\" = 10.213.0.2 ]; then\n"
    "		echo \"$l result=connected errno=none(0) ms=1 reply=reset\"\n"
    "	else\n"
    "		echo \"$l result=refused errno=ECONNREFUSED(111) ms=1\"\n"
    "	fi ;;\n"
    "	esac\n"
    "}\n"
    "case $1 in\n"
    "*bottle-probe)\n"
    "	shift 2\n"
    "	answer \"$1\" \"$2\"\n"
    "	shift 3\n"
    "	while [ $# -ge 2 ]; do answer \"$1\" \"$2\"; shift 2; done\n"
    "	exit 1 ;;\n"
    "*) exec \"$@\" ;;\n"
    "esac\n";

/* prun_band_e: p plays smolvm 1.9.3 with bundle 10.213.0.2 (pipelock on
 * 8888, egress 9099 loopback-only) and another bottle at 10.213.0.6. */
static void prun_band_e(struct prun *p, const char *record,
			const char *events_exit)
{
	FILE *fp;

	prun_init(p, "t", NULL);
	fp = fopen(p->fake.smolvm, "w");
	assert_non_null(fp);
	fprintf(fp, fake_smolvm_e, record, events_exit);
	fclose(fp);
	prun_cli(p, "smolvm 1.9.3\n");
	p->t.bundle_ip = "10.213.0.2";
	p->t.proxy_port = 8888;
	p->closed[0] = (struct probe_port){"egress", 9099};
	p->others[0] = "10.213.0.6";
	p->t.n_others = 1;
	p->t.dns_name = "example.com";
	p->t.helper = "/opt/bottle/bottle-probe";
}

/* prun_index: the index of the first command containing needle, or -1. */
static int prun_index(const struct prun *p, const char *needle)
{
	size_t i;

	for (i = 0; i < p->n_cmds; i++)
		if (strstr(p->cmds[i], needle) != NULL)
			return (int)i;
	return -1;
}

static void test_run_band_e_reads_egress_events_after_the_batch(void **state)
{
	struct prun p;
	char want[200];
	int batch, events;

	(void)state;
	prun_band_e(&p, "10.213.0.6:8888", "");
	prun_go(&p);
	assert_verdict(&p, PROBE_BUNDLE_REACH, PROBE_PASS);
	assert_non_null(
	    strstr(p.rep.r[PROBE_BUNDLE_REACH].detail, "answered HTTP 200"));
	assert_verdict(&p, PROBE_EGRESS_PORT_BYPASS, PROBE_PASS);
	assert_non_null(strstr(p.rep.r[PROBE_EGRESS_PORT_BYPASS].detail,
			       "then reset with nothing answered"));
	assert_verdict(&p, PROBE_EXEC_FIDELITY, PROBE_PASS);
	/* refused and recorded */
	assert_verdict(&p, PROBE_CROSS_BOTTLE, PROBE_PASS);
	assert_non_null(strstr(p.rep.r[PROBE_CROSS_BOTTLE].detail,
			       "denial recorded by smolvm"));
	/* the gateway was refused too, but smolvm recorded nothing */
	assert_verdict(&p, PROBE_LOCALHOST_REACH, PROBE_UNKNOWN);
	assert_non_null(strstr(p.rep.r[PROBE_LOCALHOST_REACH].detail,
			       "smolvm recorded no denial for it"));
	/* UDP and TCP queries through the gateway: NXDOMAIN */
	assert_verdict(&p, PROBE_DNS_HOLE, PROBE_PASS);
	assert_non_null(strstr(p.rep.r[PROBE_DNS_HOLE].detail,
			       "100.96.0.1:53 (gateway, UDP)"));
	assert_non_null(strstr(p.rep.r[PROBE_DNS_HOLE].detail,
			       "100.96.0.1:53 (gateway, TCP)"));
	/* the batch aims at the gateway, not 127.0.0.1, and queries names */
	snprintf(want, sizeof want,
		 "-- /opt/bottle/bottle-probe connect 10.213.0.2 8888 3000 "
		 "100.96.0.1 %d/canary 10.213.0.2 9099 10.213.0.6 8888 "
		 "100.96.0.1 "
		 "53/udp:example.com 100.96.0.1 53/tcp:example.com",
		 canary_port(p.canary));
	batch = prun_index(&p, want);
	if (batch < 0)
		fail_msg("no batch %s in %s", want, p.cmds[0]);
	events = prun_index(
	    &p, " machine egress-events --name bottle-t --json --limit 1000");
	assert_true(events >= 0);
	assert_true(events > batch);
	assert_int_equal(p.n_cmds, 3);
	assert_int_equal(prun_ran(&p, "127.0.0.1"), 0);
	prun_finish(&p);
}

static void test_run_band_e_without_records_proves_nothing(void **state)
{
	struct prun p;

	(void)state;
	/* nothing recorded: a refusal is no proof of a denial */
	prun_band_e(&p, "", "");
	prun_go(&p);
	assert_verdict(&p, PROBE_BUNDLE_REACH, PROBE_PASS);
	assert_verdict(&p, PROBE_CROSS_BOTTLE, PROBE_UNKNOWN);
	assert_verdict(&p, PROBE_LOCALHOST_REACH, PROBE_UNKNOWN);
	assert_verdict(&p, PROBE_EGRESS_PORT_BYPASS, PROBE_PASS);
	prun_finish(&p);
	/* egress-events failed: said so */
	prun_band_e(&p, "10.213.0.6:8888", "1");
	prun_go(&p);
	assert_verdict(&p, PROBE_CROSS_BOTTLE, PROBE_UNKNOWN);
	assert_non_null(strstr(p.rep.r[PROBE_CROSS_BOTTLE].detail,
			       "no proof of the denial: smolvm: boom"));
	assert_verdict(&p, PROBE_LOCALHOST_REACH, PROBE_UNKNOWN);
	assert_verdict(&p, PROBE_DNS_HOLE, PROBE_PASS);
	prun_finish(&p);
}

/* Band D (1.5.0): virtio-net without egress-events: no such command is
 * run, and a refusal at connect is the proof. */
static void test_run_band_d_judges_refusals_without_events(void **state)
{
	struct prun p;

	(void)state;
	prun_band_e(&p, "", "");
	prun_cli(&p, "smolvm 1.5.0\n");
	prun_go(&p);
	assert_verdict(&p, PROBE_BUNDLE_REACH, PROBE_PASS);
	assert_verdict(&p, PROBE_CROSS_BOTTLE, PROBE_PASS);
	assert_verdict(&p, PROBE_LOCALHOST_REACH, PROBE_PASS);
	assert_verdict(&p, PROBE_EGRESS_PORT_BYPASS, PROBE_PASS);
	assert_verdict(&p, PROBE_DNS_HOLE, PROBE_PASS);
	assert_int_equal(prun_ran(&p, "egress-events"), 0);
	assert_int_equal(p.n_cmds, 2);
	prun_finish(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_helper_line_connected),
	    cmocka_unit_test(test_helper_line_results_and_errno_names),
	    cmocka_unit_test(test_helper_line_rejects_what_is_not_one),
	    cmocka_unit_test(test_helper_output_answers_each_target_in_order),
	    cmocka_unit_test(
		test_helper_output_leaves_unmatched_targets_unanswered),
	    cmocka_unit_test(test_bundle_reach_passes_only_when_connected),
	    cmocka_unit_test(test_smolvm_failure_is_unknown_never_pass),
	    cmocka_unit_test(
		test_negative_probes_are_unknown_without_the_control),
	    cmocka_unit_test(test_localhost_reach_fails_on_a_canary_hit),
	    cmocka_unit_test(test_egress_fails_when_any_closed_port_connects),
	    cmocka_unit_test(test_dns_hole_warns_when_reachable),
	    cmocka_unit_test(test_exec_fidelity_needs_exit_42_back),
	    cmocka_unit_test(test_report_tally),
	    cmocka_unit_test(test_result_copy_is_deep),
	    cmocka_unit_test(test_parse_reply_cases_and_rejections),
	    cmocka_unit_test(test_helper_output_carries_the_reply),
	    cmocka_unit_test(test_virtio_bundle_reach_needs_an_http_answer),
	    cmocka_unit_test(test_virtio_egress_port_needs_reset_after_connect),
	    cmocka_unit_test(test_virtio_denials_need_their_record),
	    cmocka_unit_test(test_virtio_dns_hole_fails_when_names_resolve),
	    cmocka_unit_test(
		test_denial_recorded_matches_connect_dest_and_window),
	    cmocka_unit_test(test_canary_nonce_words),
	    cmocka_unit_test(test_canary_counts_only_its_nonce),
	    cmocka_unit_test(test_canary_drain_and_close),
	    cmocka_unit_test(test_run_with_the_helper_sees_the_host_loopback),
	    cmocka_unit_test(test_run_without_a_runnable_helper_is_unknown),
	    cmocka_unit_test(test_run_without_a_verified_helper_is_unknown),
	    cmocka_unit_test(test_run_passes_when_only_the_bundle_is_reachable),
	    cmocka_unit_test(
		test_run_cross_bottle_fails_when_another_bundle_answers),
	    cmocka_unit_test(test_run_smolvm_error_makes_everything_unknown),
	    cmocka_unit_test(
		test_run_cancel_kills_the_execs_and_reports_unknown),
	    cmocka_unit_test(test_run_cancel_frees_the_canary_for_closing),
	    cmocka_unit_test(test_run_without_canary_is_unknown_not_pass),
	    cmocka_unit_test(
		test_run_batch_without_the_control_leaves_negatives_unknown),
	    cmocka_unit_test(test_run_batch_canary_hit_fails_localhost_reach),
	    cmocka_unit_test(test_run_batch_exec_timeout_is_unknown_for_all),
	    cmocka_unit_test(test_run_batch_target_without_a_line_is_unknown),
	    cmocka_unit_test(test_run_helper_that_prints_nothing_is_unknown),
	    cmocka_unit_test(
		test_run_band_e_reads_egress_events_after_the_batch),
	    cmocka_unit_test(test_run_band_e_without_records_proves_nothing),
	    cmocka_unit_test(test_run_band_d_judges_refusals_without_events),
	};

	return cmocka_run_group_tests(tests, NULL, closed_ports_release);
}
