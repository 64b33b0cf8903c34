/* test_probe_helper.c: build/bottle-probe against listeners on 127.0.0.1.
 * Only ever connects to 127.0.0.1 ports this test opened. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proc.h"

#define HELPER BOTTLE_SRCDIR "/build/bottle-probe"

struct run {
	int done;
	int exit_status;
	int term_signal;
	uint64_t ms;
	char *out; /* owned */
	char *err; /* owned */
};

static void run_on_exit(struct proc *p, const struct proc_result *r, void *data)
{
	struct run *run = data;

	run->done = 1;
	run->exit_status = r->exit_status;
	run->term_signal = r->term_signal;
	run->ms = r->duration_ms;
	run->out = xstrndup(r->out.data ? r->out.data : "", r->out.len);
	run->err = xstrndup(r->err.data ? r->err.data : "", r->err.len);
}

/* run_helper: run bottle-probe with args, wait, fill *run. */
static void run_helper(const char *const *args, struct run *run)
{
	uv_loop_t loop;
	struct proc_opts o;
	struct strv argv = STRV_INIT;

	for (strv_push(&argv, HELPER); *args != NULL; args++)
		strv_push(&argv, *args);
	memset(&o, 0, sizeof o);
	memset(run, 0, sizeof *run);
	o.argv = (const char *const *)argv.v;
	o.capture = 1;
	o.timeout_ms = 20000;
	o.on_exit = run_on_exit;
	o.data = run;
	assert_int_equal(uv_loop_init(&loop), 0);
	proc_spawn(&loop, &o);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	strv_release(&argv);
	assert_true(run->done);
	assert_int_equal(run->term_signal, 0);
}

static void run_release(struct run *run)
{
	free(run->out);
	free(run->err);
}

/* next_line: out begins with "bottle-probe connect 127.0.0.1 PORT
 * result=R errno=E ms=N\n" with N a number; returns what follows it and
 * N in *ms. */
static const char *next_line(const char *out, int port, const char *result,
			     const char *err, long *ms)
{
	char *want = xasprintf("bottle-probe connect 127.0.0.1 %d result=%s "
			       "errno=%s ms=",
			       port, result, err);
	const char *rest;

	if (strncmp(out, want, strlen(want)) != 0)
		fail_msg("got \"%s\", want prefix \"%s\"", out, want);
	rest = out + strlen(want);
	assert_true(*rest >= '0' && *rest <= '9');
	*ms = strtol(rest, NULL, 10);
	rest += strspn(rest, "0123456789");
	assert_int_equal(*rest, '\n');
	free(want);
	return rest + 1;
}

/* assert_line: out is exactly one such line. */
static void assert_line(const char *out, int port, const char *result,
			const char *err)
{
	long ms;

	assert_string_equal(next_line(out, port, result, err, &ms), "");
}

/* tcp_socket: a TCP socket bound to 127.0.0.1:0; *port set. */
static int tcp_socket(int *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static void test_listening_port_is_connected_exit_0(void **state)
{
	struct run run;
	int port, fd = tcp_socket(&port);
	char ps[16];
	const char *args[] = {"connect", "127.0.0.1", ps, "2000", NULL};

	assert_int_equal(listen(fd, 8), 0);
	snprintf(ps, sizeof ps, "%d", port);
	run_helper(args, &run);
	assert_int_equal(run.exit_status, 0);
	assert_line(run.out, port, "connected", "none(0)");
	assert_string_equal(run.err, "");
	run_release(&run);
	close(fd);
}

static void test_bound_but_closed_port_is_refused_exit_1(void **state)
{
	struct run run;
	int port, fd = tcp_socket(&port); /* bound, never listening */
	char ps[16];
	const char *args[] = {"connect", "127.0.0.1", ps, "2000", NULL};

	snprintf(ps, sizeof ps, "%d", port);
	run_helper(args, &run);
	assert_int_equal(run.exit_status, 1);
	assert_line(run.out, port, "refused", "ECONNREFUSED(111)");
	run_release(&run);
	close(fd);
}

static int abort_on_overflow(void)
{
	char c = '0';
	int fd = open("/proc/sys/net/ipv4/tcp_abort_on_overflow", O_RDONLY);

	if (fd >= 0) {
		if (read(fd, &c, 1) != 1)
			c = '0';
		close(fd);
	}
	return c == '1';
}

static void test_unanswered_connect_is_timeout_exit_1(void **state)
{
	struct run run;
	int port, fd = tcp_socket(&port);
	int clients[4];
	char ps[16];
	const char *args[] = {"connect", "127.0.0.1", ps, "300", NULL};
	struct sockaddr_in sin;
	struct pollfd pfd;
	size_t i;

	if (abort_on_overflow())
		skip(); /* a full queue answers with a reset then */
	/* backlog 0 and nobody accepting: once the queue is full the kernel
	 * drops further SYNs, so the probe's connect gets no answer */
	assert_int_equal(listen(fd, 0), 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	for (i = 0; i < UTIL_NELEM(clients); i++) {
		clients[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		assert_true(clients[i] >= 0);
		connect(clients[i], (struct sockaddr *)&sin, sizeof sin);
	}
	pfd.fd = clients[0];
	pfd.events = POLLOUT;
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	snprintf(ps, sizeof ps, "%d", port);
	run_helper(args, &run);
	assert_int_equal(run.exit_status, 1);
	assert_line(run.out, port, "timeout", "ETIMEDOUT(110)");
	run_release(&run);
	for (i = 0; i < UTIL_NELEM(clients); i++)
		close(clients[i]);
	close(fd);
}

static void test_many_targets_answer_in_argument_order(void **state)
{
	struct run run;
	int lport, cport, lfd = tcp_socket(&lport), cfd = tcp_socket(&cport);
	char lp[16], cp[16];
	const char *mixed[] = {"connect",   "127.0.0.1", cp,	      "2000",
			       "127.0.0.1", lp,		 "127.0.0.1", cp,
			       "127.0.0.1", lp,		 NULL};
	const char *all[] = {"connect",	  "127.0.0.1", lp,  "2000",
			     "127.0.0.1", lp,	       NULL};
	const char *rest;
	long ms;

	assert_int_equal(listen(lfd, 8), 0); /* cfd: bound, not listening */
	snprintf(lp, sizeof lp, "%d", lport);
	snprintf(cp, sizeof cp, "%d", cport);
	run_helper(mixed, &run);
	assert_int_equal(run.exit_status, 1); /* one did not connect */
	rest = next_line(run.out, cport, "refused", "ECONNREFUSED(111)", &ms);
	rest = next_line(rest, lport, "connected", "none(0)", &ms);
	rest = next_line(rest, cport, "refused", "ECONNREFUSED(111)", &ms);
	rest = next_line(rest, lport, "connected", "none(0)", &ms);
	assert_string_equal(rest, "");
	assert_string_equal(run.err, "");
	run_release(&run);

	run_helper(all, &run);
	assert_int_equal(run.exit_status, 0); /* every one connected */
	rest = next_line(run.out, lport, "connected", "none(0)", &ms);
	rest = next_line(rest, lport, "connected", "none(0)", &ms);
	assert_string_equal(rest, "");
	run_release(&run);
	close(lfd);
	close(cfd);
}

static void test_many_unanswered_connects_share_one_timeout(void **state)
{
	struct run run;
	int port, fd = tcp_socket(&port), clients[4];
	char ps[16];
	const char *args[] = {"connect",   "127.0.0.1", ps,	     "600",
			      "127.0.0.1", ps,		"127.0.0.1", ps,
			      "127.0.0.1", ps,		NULL};
	const char *rest;
	struct sockaddr_in sin;
	struct pollfd pfd;
	size_t i;
	long ms;

	if (abort_on_overflow())
		skip();
	/* as in the single timeout test: a full backlog drops SYNs */
	assert_int_equal(listen(fd, 0), 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	for (i = 0; i < UTIL_NELEM(clients); i++) {
		clients[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		assert_true(clients[i] >= 0);
		connect(clients[i], (struct sockaddr *)&sin, sizeof sin);
	}
	pfd.fd = clients[0];
	pfd.events = POLLOUT;
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	snprintf(ps, sizeof ps, "%d", port);
	run_helper(args, &run);
	assert_int_equal(run.exit_status, 1);
	rest = run.out;
	for (i = 0; i < 4; i++) {
		rest = next_line(rest, port, "timeout", "ETIMEDOUT(110)", &ms);
		assert_true(ms >= 590 && ms < 2000);
	}
	assert_string_equal(rest, "");
	/* four connects in parallel: about one timeout, not four */
	assert_true(run.ms < 2400);
	run_release(&run);
	for (i = 0; i < UTIL_NELEM(clients); i++)
		close(clients[i]);
	close(fd);
}

static void test_usage_errors_exit_2_with_nothing_on_stdout(void **state)
{
	static const char *const cases[][8] = {
	    {NULL},
	    {"connect", "127.0.0.1", "80", "100", "127.0.0.1", NULL},
	    {"connect", "127.0.0.1", "80", "100", "127.0.0.1", "80", "x", NULL},
	    {"connect", "127.0.0.1", "80", "100", "localhost", "80", NULL},
	    {"connect", "127.0.0.1", "80", "100", "127.0.0.1", "0", NULL},
	    {"connect", "127.0.0.1", "80", "100", "127.0.0.1", "80", "100",
	     NULL},
	    {"connect", "127.0.0.1", "80", NULL},
	    {"connect", "localhost", "80", "100", NULL},
	    {"connect", "::1", "80", "100", NULL},
	    {"connect", "127.0.0.1", "0", "100", NULL},
	    {"connect", "127.0.0.1", "65536", "100", NULL},
	    {"connect", "127.0.0.1", "80x", "100", NULL},
	    {"connect", "127.0.0.1", "80", "-5", NULL},
	    {"listen", "127.0.0.1", "80", "100", NULL},
	};
	struct run run;
	size_t i;

	for (i = 0; i < UTIL_NELEM(cases); i++) {
		run_helper(cases[i], &run);
		assert_int_equal(run.exit_status, 2);
		assert_string_equal(run.out, "");
		assert_non_null(strstr(run.err, "usage: bottle-probe"));
		run_release(&run);
	}
}

static void test_more_than_1024_targets_is_a_usage_error(void **state)
{
	struct strv args = STRV_INIT;
	struct run run;
	size_t i;

	strv_pushv(&args,
		   (const char *const[]){"connect", "127.0.0.1", "1", "100"},
		   4);
	for (i = 1; i < 1025; i++)
		strv_pushv(&args, (const char *const[]){"127.0.0.1", "1"}, 2);
	run_helper((const char *const *)args.v, &run);
	assert_int_equal(run.exit_status, 2);
	assert_string_equal(run.out, "");
	assert_non_null(strstr(run.err, "too many targets"));
	run_release(&run);
	strv_release(&args);
}

static void test_version_prints_format_version(void **state)
{
	const char *args[] = {"version", NULL};
	struct run run;

	run_helper(args, &run);
	assert_int_equal(run.exit_status, 0);
	assert_string_equal(run.out, "bottle-probe 1\n");
	run_release(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_listening_port_is_connected_exit_0),
	    cmocka_unit_test(test_bound_but_closed_port_is_refused_exit_1),
	    cmocka_unit_test(test_unanswered_connect_is_timeout_exit_1),
	    cmocka_unit_test(test_many_targets_answer_in_argument_order),
	    cmocka_unit_test(test_many_unanswered_connects_share_one_timeout),
	    cmocka_unit_test(test_usage_errors_exit_2_with_nothing_on_stdout),
	    cmocka_unit_test(test_more_than_1024_targets_is_a_usage_error),
	    cmocka_unit_test(test_version_prints_format_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
