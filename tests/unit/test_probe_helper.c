/* test_probe_helper.c: build/bottle-probe against listeners on 127.0.0.1:
 * connects, what comes back after them (HTTP, data, EOF, reset, silence)
 * and DNS queries over UDP and TCP to fake servers.
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
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "canary.h"
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

/* run_helper_in: run bottle-probe with args and stdin (or NULL) in loop
 * (which may hold listeners of the test's own, so it stops at exit). */
static void run_helper_in(uv_loop_t *loop, const char *const *args,
			  const char *stdin_text, struct run *run)
{
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
	o.stdin_data = stdin_text;
	o.stdin_len = stdin_text ? strlen(stdin_text) : 0;
	proc_spawn(loop, &o);
	while (!run->done)
		uv_run(loop, UV_RUN_ONCE);
	strv_release(&argv);
	assert_int_equal(run->term_signal, 0);
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

/* next_line_word: out begins with "bottle-probe connect 127.0.0.1 PORT
 * result=R errno=E ms=N" with N a number, then " reply=REPLY" when reply
 * is not NULL, then "\n"; returns what follows it and N in *ms. */
static const char *next_line_word(const char *out, const char *port,
				  const char *result, const char *err,
				  const char *reply, long *ms)
{
	char *want = xasprintf("bottle-probe connect 127.0.0.1 %s result=%s "
			       "errno=%s ms=",
			       port, result, err);
	char *tail = reply ? xasprintf(" reply=%s\n", reply) : xstrdup("\n");
	const char *rest;

	if (strncmp(out, want, strlen(want)) != 0)
		fail_msg("got \"%s\", want prefix \"%s\"", out, want);
	rest = out + strlen(want);
	assert_true(*rest >= '0' && *rest <= '9');
	*ms = strtol(rest, NULL, 10);
	rest += strspn(rest, "0123456789");
	if (strncmp(rest, tail, strlen(tail)) != 0)
		fail_msg("got \"%s\", want \"%s\" after ms=", out, tail);
	rest += strlen(tail);
	free(want);
	free(tail);
	return rest;
}

/* next_line: next_line_word for a numeric PORT; a connected target
 * expects reply=silent (nobody answers on these listeners). */
static const char *next_line(const char *out, int port, const char *result,
			     const char *err, long *ms)
{
	char ps[16];

	snprintf(ps, sizeof ps, "%d", port);
	return next_line_word(
	    out, ps, result, err,
	    strcmp(result, "connected") == 0 ? "silent" : NULL, ms);
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

/* ---- talking after the connect, and DNS queries ------------------------ */

enum srv_mode {
	SRV_HTTP,    /* read the request, answer an HTTP status line */
	SRV_DATA,    /* answer bytes that are no HTTP status line */
	SRV_EOF,     /* read the request, close */
	SRV_RESET,   /* read the request, close with a reset */
	SRV_SILENT,  /* read the request, say nothing until stopped */
	SRV_DNS_UDP, /* answer one A query over UDP */
	SRV_DNS_TCP, /* answer one A query over TCP */
};

/* A listener on 127.0.0.1 served by a thread: one connection (or one
 * datagram), as mode says. */
struct srv {
	enum srv_mode mode;
	int rcode; /* DNS: the answer's rcode; 0 gives one A record */
	int fd;
	int port;
	int stop[2]; /* SRV_SILENT holds its connection until written */
	pthread_t th;
	int served; /* a request came */
};

/* srv_dns_answer: the answer to query q[0..n) into a (at most max): same
 * id and question, QR set, rcode, and one A record 127.0.0.1 when the
 * rcode is 0. Returns its length. */
static size_t srv_dns_answer(const unsigned char *q, size_t n, int rcode,
			     unsigned char *a, size_t max)
{
	static const unsigned char rr[] = {0xc0, 0x0c, 0, 1, 0,	  1, 0, 0,
					   0,	 60,   0, 4, 127, 0, 0, 1};
	size_t len = n;

	assert_true(n >= 12 && n + sizeof rr <= max);
	memcpy(a, q, n);
	a[2] = 0x81;			      /* QR, RD */
	a[3] = (unsigned char)(0x80 | rcode); /* RA */
	a[6] = 0;
	a[7] = rcode == 0 ? 1 : 0;
	if (rcode == 0) {
		memcpy(a + len, rr, sizeof rr);
		len += sizeof rr;
	}
	return len;
}

static void *srv_main(void *arg)
{
	static const char http[] =
	    "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	static const char data[] = "SSH-2.0-OpenSSH_9.6\r\n";
	struct srv *s = arg;
	unsigned char q[600], a[700];
	struct sockaddr_in from;
	socklen_t flen = sizeof from;
	struct linger lg = {1, 0};
	ssize_t n;
	size_t len;
	int c;
	char b;

	if (s->mode == SRV_DNS_UDP) {
		n = recvfrom(s->fd, q, sizeof q, 0, (struct sockaddr *)&from,
			     &flen);
		if (n <= 0)
			return NULL;
		s->served = 1;
		len = srv_dns_answer(q, (size_t)n, s->rcode, a, sizeof a);
		sendto(s->fd, a, len, 0, (struct sockaddr *)&from, flen);
		return NULL;
	}
	c = accept(s->fd, NULL, NULL);
	if (c < 0)
		return NULL;
	if (s->mode == SRV_DATA) {
		n = write(c, data, sizeof data - 1);
		(void)n;
		s->served = 1;
		close(c);
		return NULL;
	}
	n = read(c, q, sizeof q);
	s->served = n > 0;
	switch (s->mode) {
	case SRV_HTTP:
		n = write(c, http, sizeof http - 1);
		break;
	case SRV_RESET:
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		break;
	case SRV_SILENT:
		n = read(s->stop[0], &b, 1);
		break;
	case SRV_DNS_TCP:
		/* one read holds the length and the query on loopback */
		if (n >= 14) {
			len = srv_dns_answer(q + 2, (size_t)n - 2, s->rcode,
					     a + 2, sizeof a - 2);
			a[0] = (unsigned char)(len >> 8);
			a[1] = (unsigned char)len;
			n = write(c, a, len + 2);
		}
		break;
	default:
		break;
	}
	(void)n;
	close(c);
	return NULL;
}

static void srv_start(struct srv *s, enum srv_mode mode, int rcode)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int udp = mode == SRV_DNS_UDP;

	memset(s, 0, sizeof *s);
	s->mode = mode;
	s->rcode = rcode;
	s->fd =
	    socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	assert_true(s->fd >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&sin, &len), 0);
	s->port = ntohs(sin.sin_port);
	if (!udp)
		assert_int_equal(listen(s->fd, 8), 0);
	assert_int_equal(pipe(s->stop), 0);
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

/* srv_stop: release and join the thread (it must have been served). */
static void srv_stop(struct srv *s)
{
	ssize_t n = write(s->stop[1], "x", 1);

	(void)n;
	assert_int_equal(pthread_join(s->th, NULL), 0);
	close(s->stop[0]);
	close(s->stop[1]);
	close(s->fd);
	assert_true(s->served);
}

/* talk: run the helper against s with PORT word port (NULL: s's port)
 * and check its one line. */
static void talk(struct srv *s, const char *port, const char *timeout_ms,
		 const char *result, const char *err, const char *reply,
		 int exit_status)
{
	char ps[300];
	const char *args[] = {"connect", "127.0.0.1", ps, timeout_ms, NULL};
	struct run run;
	long ms;

	if (port == NULL)
		snprintf(ps, sizeof ps, "%d", s->port);
	else
		snprintf(ps, sizeof ps, "%d%s", s->port, port);
	run_helper(args, &run);
	assert_int_equal(run.exit_status, exit_status);
	assert_string_equal(
	    next_line_word(run.out, ps, result, err, reply, &ms), "");
	assert_string_equal(run.err, "");
	run_release(&run);
}

static void test_http_answer_is_reply_http(void **state)
{
	struct srv s;

	(void)state;
	srv_start(&s, SRV_HTTP, 0);
	talk(&s, NULL, "5000", "connected", "none(0)", "http(200)", 0);
	srv_stop(&s);
}

static void test_other_bytes_are_reply_data(void **state)
{
	struct srv s;

	(void)state;
	srv_start(&s, SRV_DATA, 0);
	talk(&s, NULL, "5000", "connected", "none(0)", "data(21)", 0);
	srv_stop(&s);
}

static void test_accept_then_close_is_reply_eof(void **state)
{
	struct srv s;

	(void)state;
	srv_start(&s, SRV_EOF, 0);
	talk(&s, NULL, "5000", "connected", "none(0)", "eof", 0);
	srv_stop(&s);
}

/* What the VMM does for an allowed address whose port is closed. */
static void test_accept_then_reset_is_reply_reset(void **state)
{
	struct srv s;

	(void)state;
	srv_start(&s, SRV_RESET, 0);
	talk(&s, NULL, "5000", "connected", "none(0)", "reset", 0);
	srv_stop(&s);
}

static void test_accept_and_silence_is_reply_silent(void **state)
{
	struct srv s;

	(void)state;
	srv_start(&s, SRV_SILENT, 0);
	talk(&s, NULL, "400", "connected", "none(0)", "silent", 0);
	srv_stop(&s);
}

static void test_udp_dns_answer_is_reply_dns(void **state)
{
	struct srv s;

	(void)state;
	srv_start(&s, SRV_DNS_UDP, 0);
	talk(&s, "/udp:example.com", "5000", "connected", "none(0)", "dns(0,1)",
	     0);
	srv_stop(&s);
	srv_start(&s, SRV_DNS_UDP, 3);
	talk(&s, "/udp:no.such.name.example.", "5000", "connected", "none(0)",
	     "dns(3,0)", 0);
	srv_stop(&s);
}

static void test_tcp_dns_answer_is_reply_dns(void **state)
{
	struct srv s;

	(void)state;
	srv_start(&s, SRV_DNS_TCP, 0);
	talk(&s, "/tcp:example.com", "5000", "connected", "none(0)", "dns(0,1)",
	     0);
	srv_stop(&s);
	srv_start(&s, SRV_DNS_TCP, 3);
	talk(&s, "/tcp:example.com", "5000", "connected", "none(0)", "dns(3,0)",
	     0);
	srv_stop(&s);
}

/* An HTTP answer to a DNS query is not a DNS answer. */
static void test_non_dns_answer_to_a_query_is_data(void **state)
{
	struct srv s;

	(void)state;
	srv_start(&s, SRV_HTTP, 0);
	talk(&s, "/tcp:example.com", "5000", "connected", "none(0)", "data(38)",
	     0);
	srv_stop(&s);
}

/* A UDP query to a closed port: the ICMP error reads as a reset. */
static void test_udp_query_to_a_closed_port_is_reply_reset(void **state)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), port;
	char ps[64];
	const char *args[] = {"connect", "127.0.0.1", ps, "3000", NULL};
	struct run run;
	long ms;

	(void)state;
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd); /* nothing listens there now */
	snprintf(ps, sizeof ps, "%d/udp:example.com", port);
	run_helper(args, &run);
	assert_int_equal(run.exit_status, 0);
	assert_string_equal(
	    next_line_word(run.out, ps, "connected", "none(0)", "reset", &ms),
	    "");
	run_release(&run);
}

static void test_bad_dns_port_words_are_usage_errors(void **state)
{
	static const char *const words[] = {
	    "53/udp:",
	    "53/tcp:",
	    "53/dns:example.com",
	    "53/udp",
	    "/udp:example.com",
	    "0/udp:example.com",
	    "53/udp:a..b",
	    "53/udp:.",
	    "70000/tcp:example.com",
	    "53/udp:" /* a 64-byte label */
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    ".com",
	    "53x/udp:example.com",
	};
	struct run run;
	size_t i;

	(void)state;
	for (i = 0; i < UTIL_NELEM(words); i++) {
		const char *args[] = {"connect", "127.0.0.1", words[i], "100",
				      NULL};
		run_helper(args, &run);
		if (run.exit_status != 2)
			fail_msg("%s: exit %d, out %s", words[i],
				 run.exit_status, run.out);
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
	assert_string_equal(run.out, "bottle-probe 3\n");
	run_release(&run);
}

/* PORT/canary: the helper sends the nonce from its stdin to bottle's
 * canary, which counts it and answers; a wrong nonce is no hit; without
 * a nonce on stdin it is a usage error (the nonce is never an argument) */
static void test_canary_target_sends_the_nonce_from_stdin(void **state)
{
	uv_loop_t loop;
	struct canary *c;
	struct run run;
	char word[32];
	const char *args[] = {"connect", "127.0.0.1", word, "3000", NULL};
	long ms;
	int port;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(canary_open(&loop, &c, &port), 0);
	assert_int_equal(canary_expect(c, "0f1e2d3c"), 0);
	snprintf(word, sizeof word, "%d/canary", port);

	run_helper_in(&loop, args, "0f1e2d3c\n", &run);
	assert_int_equal(run.exit_status, 0);
	assert_string_equal(next_line_word(run.out, word, "connected",
					   "none(0)", "data(17)", &ms),
			    "");
	assert_int_equal(canary_nonce_hits(c, "0f1e2d3c"), 1);
	run_release(&run);

	/* another nonce: the canary closes it unanswered, no hit */
	run_helper_in(&loop, args, "ffff\n", &run);
	assert_int_equal(run.exit_status, 0);
	assert_string_equal(
	    next_line_word(run.out, word, "connected", "none(0)", "eof", &ms),
	    "");
	assert_int_equal(canary_nonce_hits(c, "0f1e2d3c"), 1);
	assert_int_equal(canary_hits(c), 1);
	assert_int_equal(canary_unrelated(c), 1);
	run_release(&run);

	/* no nonce, or one that is not [0-9A-Za-z]: usage errors */
	run_helper_in(&loop, args, NULL, &run);
	assert_int_equal(run.exit_status, 2);
	assert_string_equal(run.out, "");
	assert_non_null(strstr(run.err, "PORT/canary needs a nonce on stdin"));
	run_release(&run);
	run_helper_in(&loop, args, "a b\n", &run);
	assert_int_equal(run.exit_status, 2);
	run_release(&run);
	assert_int_equal(canary_hits(c), 1);

	canary_close(c);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
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
	    cmocka_unit_test(test_canary_target_sends_the_nonce_from_stdin),
	    cmocka_unit_test(test_http_answer_is_reply_http),
	    cmocka_unit_test(test_other_bytes_are_reply_data),
	    cmocka_unit_test(test_accept_then_close_is_reply_eof),
	    cmocka_unit_test(test_accept_then_reset_is_reply_reset),
	    cmocka_unit_test(test_accept_and_silence_is_reply_silent),
	    cmocka_unit_test(test_udp_dns_answer_is_reply_dns),
	    cmocka_unit_test(test_tcp_dns_answer_is_reply_dns),
	    cmocka_unit_test(test_non_dns_answer_to_a_query_is_data),
	    cmocka_unit_test(test_udp_query_to_a_closed_port_is_reply_reset),
	    cmocka_unit_test(test_bad_dns_port_words_are_usage_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
