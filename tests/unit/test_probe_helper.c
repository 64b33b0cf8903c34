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
	char *out; /* owned */
	char *err; /* owned */
};

static void run_on_exit(struct proc *p, const struct proc_result *r, void *data)
{
	struct run *run = data;

	run->done = 1;
	run->exit_status = r->exit_status;
	run->term_signal = r->term_signal;
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

/* assert_line: out is "bottle-probe connect 127.0.0.1 PORT result=R
 * errno=E ms=N\n" with N a number. */
static void assert_line(const char *out, int port, const char *result,
			const char *err)
{
	char *want = xasprintf("bottle-probe connect 127.0.0.1 %d result=%s "
			       "errno=%s ms=",
			       port, result, err);
	const char *rest;

	if (strncmp(out, want, strlen(want)) != 0)
		fail_msg("got \"%s\", want prefix \"%s\"", out, want);
	rest = out + strlen(want);
	assert_true(*rest >= '0' && *rest <= '9');
	rest += strspn(rest, "0123456789");
	assert_string_equal(rest, "\n");
	free(want);
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

static void test_usage_errors_exit_2_with_nothing_on_stdout(void **state)
{
	static const char *const cases[][5] = {
	    {NULL},
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
	    cmocka_unit_test(test_usage_errors_exit_2_with_nothing_on_stdout),
	    cmocka_unit_test(test_version_prints_format_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
