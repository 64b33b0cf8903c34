/* test_health.c: HTTP and TCP health checks against servers on 127.0.0.1
 * that the test runs itself (a tiny HTTP responder in a thread). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "health.h"
#include "util.h"
#include "local-sockets.h"

#define PIPELOCK_OK                                                            \
	"{\"status\":\"healthy\",\"version\":\"0.2.7\",\"mode\":\"balanced\"," \
	"\"uptime_seconds\":12,\"kill_switch_active\":false,"                  \
	"\"forward_proxy_enabled\":true,\"dlp_patterns\":46}"
#define PIPELOCK_KILLED                                                        \
	"{\"status\":\"healthy\",\"version\":\"0.2.7\",\"mode\":\"strict\","   \
	"\"kill_switch_active\":true,\"forward_proxy_enabled\":false}"

/* ---- a tiny HTTP server in a thread ---------------------------------------
 */

enum srv_mode {
	SRV_REPLY,  /* answer every request with status + body */
	SRV_SILENT, /* accept, read nothing, never answer */
	SRV_HUGE,   /* 200 with a 200 KiB body */
};

struct srv {
	int fd; /* listening socket */
	int port;
	enum srv_mode mode;
	int status;
	const char *body; /* borrowed */
	int stop[2];	  /* pipe: the main thread writes to stop */
	int held[128];	  /* SRV_SILENT connections */
	size_t n_held;
	pthread_t thread;
};

static void srv_write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void srv_answer(struct srv *s, int c)
{
	char req[4096], head[256];
	size_t have = 0, blen;
	struct pollfd pfd = {c, POLLIN, 0};
	char *big = NULL;
	const char *body = s->body ? s->body : "";
	ssize_t n;

	while (have < sizeof req - 1 && poll(&pfd, 1, 2000) == 1) {
		n = read(c, req + have, sizeof req - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		req[have] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	if (s->mode == SRV_HUGE) {
		blen = 200 << 10;
		big = xmalloc(blen);
		memset(big, 'x', blen);
		body = big;
	} else {
		blen = strlen(body);
	}
	snprintf(head, sizeof head,
		 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		 s->status ? s->status : 200, blen);
	srv_write_all(c, head, strlen(head));
	srv_write_all(c, body, blen);
	free(big);
	close(c);
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	struct pollfd p[2] = {{s->fd, POLLIN, 0}, {s->stop[0], POLLIN, 0}};
	int c;

	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		if (s->mode == SRV_SILENT && s->n_held < UTIL_NELEM(s->held))
			s->held[s->n_held++] = c;
		else if (s->mode == SRV_SILENT)
			close(c);
		else
			srv_answer(s, c);
	}
	return NULL;
}

static void srv_start(struct srv *s, enum srv_mode mode, int status,
		      const char *body)
{
	memset(s, 0, sizeof *s);
	s->mode = mode;
	s->status = status;
	s->body = body;
	s->fd = listen_local(&s->port);
	assert_int_equal(pipe(s->stop), 0);
	assert_int_equal(pthread_create(&s->thread, NULL, srv_main, s), 0);
}

static void srv_stop(struct srv *s)
{
	size_t i;

	srv_write_all(s->stop[1], "x", 1);
	pthread_join(s->thread, NULL);
	for (i = 0; i < s->n_held; i++)
		close(s->held[i]);
	close(s->fd);
	close(s->stop[0]);
	close(s->stop[1]);
}

/* ---- driving health on a loop ----------------------------------------------
 */

struct got {
	int calls;
	size_t n;
	struct health_service_result *res; /* owned copies */
	int all_ok;
	int kill_switch;
	uint64_t at_ms;
	uint64_t t_done; /* monotonic */
};

static void got_on_done(const struct health_report *rep, void *data)
{
	struct got *g = data;
	size_t i;

	g->calls++;
	g->n = rep->n;
	g->all_ok = rep->all_ok;
	g->kill_switch = rep->kill_switch;
	g->at_ms = rep->at_ms;
	g->t_done = util_mono_ms();
	g->res = xcalloc(rep->n ? rep->n : 1, sizeof *g->res);
	for (i = 0; i < rep->n; i++) {
		const struct health_service_result *s = &rep->services[i];
		g->res[i] = *s;
		g->res[i].name = s->name ? xstrdup(s->name) : NULL;
		g->res[i].error = s->error ? xstrdup(s->error) : NULL;
		g->res[i].pipelock_version =
		    s->pipelock_version ? xstrdup(s->pipelock_version) : NULL;
		g->res[i].pipelock_mode =
		    s->pipelock_mode ? xstrdup(s->pipelock_mode) : NULL;
	}
}

static void got_release(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		health_service_result_release(&g->res[i]);
	free(g->res);
	memset(g, 0, sizeof *g);
}

/* check: one batch at 127.0.0.1, run to completion, free, close. */
static void check(const struct health_service_target *t, size_t n,
		  uint64_t timeout_ms, struct got *g)
{
	uv_loop_t loop;
	struct health *h;

	memset(g, 0, sizeof *g);
	assert_int_equal(uv_loop_init(&loop), 0);
	h = health_new(&loop);
	assert_int_equal(
	    health_check(h, "127.0.0.1", t, n, timeout_ms, got_on_done, g), 0);
	assert_int_equal(g->calls, 0); /* never from inside health_check */
	uv_run(&loop, UV_RUN_DEFAULT);
	health_free(h);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(g->calls, 1);
}

/* ---- pure parsing ----------------------------------------------------------
 */

static void test_parse_pipelock_reads_every_field(void **state)
{
	struct health_service_result r = {0};

	(void)state;
	assert_int_equal(
	    health_parse_pipelock(PIPELOCK_OK, strlen(PIPELOCK_OK), &r), 0);
	assert_int_equal(r.kill_switch_active, 0);
	assert_int_equal(r.forward_proxy_enabled, 1);
	assert_string_equal(r.pipelock_version, "0.2.7");
	assert_string_equal(r.pipelock_mode, "balanced");
	assert_null(r.error);
	health_service_result_release(&r);
}

static void test_parse_pipelock_wrong_types_are_unknown(void **state)
{
	const char *j = "{\"status\":\"healthy\",\"version\":7,\"mode\":null,"
			"\"kill_switch_active\":\"yes\","
			"\"forward_proxy_enabled\":1}";
	struct health_service_result r = {0};

	(void)state;
	assert_int_equal(health_parse_pipelock(j, strlen(j), &r), 0);
	assert_int_equal(r.kill_switch_active, -1);
	assert_int_equal(r.forward_proxy_enabled, -1);
	assert_null(r.pipelock_version);
	assert_null(r.pipelock_mode);
	health_service_result_release(&r);
}

static void test_parse_pipelock_rejects_non_objects(void **state)
{
	static const char *const bad[] = {"",	     "[]",     "true",
					  "{\"a\":", "<html>", "\"healthy\""};
	struct health_service_result r = {0};
	size_t i;

	(void)state;
	for (i = 0; i < UTIL_NELEM(bad); i++) {
		assert_int_equal(
		    health_parse_pipelock(bad[i], strlen(bad[i]), &r), -1);
		assert_int_equal(r.kill_switch_active, -1);
		assert_int_equal(r.forward_proxy_enabled, -1);
		assert_null(r.pipelock_version);
	}
	/* not NUL-terminated: only len bytes count */
	assert_int_equal(health_parse_pipelock("{}xyz", 2, &r), 0);
	health_service_result_release(&r);
}

static void test_parse_pipelock_unhealthy_status_is_an_error(void **state)
{
	const char *j =
	    "{\"status\":\"degraded\",\"kill_switch_active\":false}";
	struct health_service_result r = {0};

	(void)state;
	assert_int_equal(health_parse_pipelock(j, strlen(j), &r), 0);
	assert_string_equal(r.error, "pipelock status: degraded");
	assert_int_equal(r.kill_switch_active, 0);
	health_service_result_release(&r);
}

/* ---- real checks
 * ------------------------------------------------------------- */

static void test_pipelock_200_with_kill_switch_off_is_ok(void **state)
{
	struct srv s;
	struct got g;
	struct health_service_target t;

	(void)state;
	srv_start(&s, SRV_REPLY, 200, PIPELOCK_OK);
	t = (struct health_service_target){"pipelock", s.port, "/health", 1};
	check(&t, 1, 3000, &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.res[0].name, "pipelock");
	assert_int_equal(g.res[0].ok, 1);
	assert_int_equal(g.res[0].http_status, 200);
	assert_null(g.res[0].error);
	assert_int_equal(g.res[0].kill_switch_active, 0);
	assert_int_equal(g.res[0].forward_proxy_enabled, 1);
	assert_string_equal(g.res[0].pipelock_version, "0.2.7");
	assert_string_equal(g.res[0].pipelock_mode, "balanced");
	assert_int_equal(g.all_ok, 1);
	assert_int_equal(g.kill_switch, 0);
	assert_true(g.at_ms > 1600000000000ull);
	got_release(&g);
	srv_stop(&s);
}

static void test_pipelock_kill_switch_on_is_a_red_state(void **state)
{
	struct srv s;
	struct got g;
	struct health_service_target t;

	(void)state;
	srv_start(&s, SRV_REPLY, 200, PIPELOCK_KILLED);
	t = (struct health_service_target){"pipelock", s.port, "health", 1};
	check(&t, 1, 3000, &g);
	assert_int_equal(g.res[0].ok, 1); /* it answered */
	assert_int_equal(g.res[0].kill_switch_active, 1);
	assert_int_equal(g.res[0].forward_proxy_enabled, 0);
	assert_string_equal(g.res[0].pipelock_mode, "strict");
	assert_int_equal(g.kill_switch, 1);
	assert_int_equal(g.all_ok, 0);
	got_release(&g);
	srv_stop(&s);
}

static void test_http_500_is_not_ok_and_keeps_the_status(void **state)
{
	struct srv s;
	struct got g;
	struct health_service_target t;

	(void)state;
	srv_start(&s, SRV_REPLY, 500, "oops");
	t = (struct health_service_target){"git-gate", s.port, "/healthz", 0};
	check(&t, 1, 3000, &g);
	assert_int_equal(g.res[0].ok, 0);
	assert_int_equal(g.res[0].http_status, 500);
	assert_string_equal(g.res[0].error, "HTTP 500");
	assert_int_equal(g.res[0].kill_switch_active, -1);
	assert_int_equal(g.all_ok, 0);
	got_release(&g);
	srv_stop(&s);
}

static void test_pipelock_200_with_garbage_body_is_not_ok(void **state)
{
	struct srv s;
	struct got g;
	struct health_service_target t;

	(void)state;
	srv_start(&s, SRV_REPLY, 200, "<html>fine</html>");
	t = (struct health_service_target){"pipelock", s.port, "/health", 1};
	check(&t, 1, 3000, &g);
	assert_int_equal(g.res[0].ok, 0);
	assert_int_equal(g.res[0].http_status, 200);
	assert_string_equal(g.res[0].error,
			    "pipelock health: not a JSON object");
	assert_int_equal(g.res[0].kill_switch_active, -1);
	got_release(&g);
	srv_stop(&s);
}

static void test_pipelock_body_over_the_cap_is_refused(void **state)
{
	struct srv s;
	struct got g;
	struct health_service_target t;

	(void)state;
	srv_start(&s, SRV_HUGE, 200, NULL);
	t = (struct health_service_target){"pipelock", s.port, "/health", 1};
	check(&t, 1, 3000, &g);
	assert_int_equal(g.res[0].ok, 0);
	assert_string_equal(g.res[0].error, "response over 64 KiB");
	got_release(&g);
	srv_stop(&s);
}

static void test_other_service_ignores_a_big_body(void **state)
{
	struct srv s;
	struct got g;
	struct health_service_target t;

	(void)state;
	srv_start(&s, SRV_HUGE, 200, NULL);
	t = (struct health_service_target){"supervise", s.port, "/", 0};
	check(&t, 1, 3000, &g);
	assert_int_equal(g.res[0].ok, 1);
	assert_int_equal(g.res[0].http_status, 200);
	got_release(&g);
	srv_stop(&s);
}

static void test_closed_port_is_refused_quickly(void **state)
{
	struct health_service_target t = {"pipelock", closed_port(), "/health",
					  1};
	struct got g;
	uint64_t t0 = util_mono_ms();

	(void)state;
	check(&t, 1, 5000, &g);
	assert_int_equal(g.res[0].ok, 0);
	assert_int_equal(g.res[0].http_status, 0);
	assert_string_equal(g.res[0].error, "connection refused");
	assert_true(util_mono_ms() - t0 < 2000);
	assert_int_equal(g.all_ok, 0);
	got_release(&g);
}

static void test_silent_server_times_out_within_the_bound(void **state)
{
	struct srv s;
	struct got g;
	struct health_service_target t;
	uint64_t t0;

	(void)state;
	srv_start(&s, SRV_SILENT, 0, NULL);
	t = (struct health_service_target){"pipelock", s.port, "/health", 1};
	t0 = util_mono_ms();
	check(&t, 1, 300, &g);
	assert_int_equal(g.res[0].ok, 0);
	assert_string_equal(g.res[0].error, "timeout");
	assert_true(g.t_done - t0 >= 280);
	assert_true(g.t_done - t0 < 1500);
	assert_true(g.res[0].latency_ms >= 280);
	got_release(&g);
	srv_stop(&s);
}

static void test_tcp_check_connects_or_is_refused(void **state)
{
	int port, fd = listen_local(&port); /* the kernel accepts */
	struct health_service_target t[2] = {
	    {"git-gate", port, NULL, 0},
	    {"supervise", closed_port(), NULL, 0},
	};
	struct got g;

	(void)state;
	check(t, 2, 3000, &g);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.res[0].ok, 1);
	assert_null(g.res[0].error);
	assert_int_equal(g.res[0].http_status, 0);
	assert_int_equal(g.res[1].ok, 0);
	assert_string_equal(g.res[1].error, "connection refused");
	assert_int_equal(g.all_ok, 0);
	got_release(&g);
	close(fd);
}

static void test_many_services_in_one_batch_report_once(void **state)
{
	struct srv ok, bad;
	int lport, lfd = listen_local(&lport), dead = closed_port();
	struct health_service_target t[24];
	char names[24][16];
	struct got g;
	size_t i;

	(void)state;
	srv_start(&ok, SRV_REPLY, 200, PIPELOCK_OK);
	srv_start(&bad, SRV_REPLY, 503, "no");
	for (i = 0; i < UTIL_NELEM(t); i++) {
		snprintf(names[i], sizeof names[i], "svc-%zu", i);
		t[i].name = names[i];
		t[i].pipelock = 0;
		t[i].path = "/health";
		switch (i % 4) {
		case 0:
			t[i].port = ok.port;
			t[i].pipelock = 1;
			break;
		case 1:
			t[i].port = bad.port;
			break;
		case 2:
			t[i].port = lport;
			t[i].path = NULL;
			break;
		default:
			t[i].port = dead;
			break;
		}
	}
	check(t, UTIL_NELEM(t), 5000, &g);
	assert_int_equal(g.n, UTIL_NELEM(t));
	for (i = 0; i < UTIL_NELEM(t); i++) {
		assert_string_equal(g.res[i].name, names[i]);
		assert_int_equal(g.res[i].ok, i % 4 == 0 || i % 4 == 2);
		if (i % 4 == 0)
			assert_int_equal(g.res[i].kill_switch_active, 0);
		if (i % 4 == 1)
			assert_int_equal(g.res[i].http_status, 503);
		if (i % 4 == 3)
			assert_string_equal(g.res[i].error,
					    "connection refused");
	}
	assert_int_equal(g.all_ok, 0);
	got_release(&g);
	srv_stop(&ok);
	srv_stop(&bad);
	close(lfd);
}

static void test_empty_batch_reports_from_the_loop(void **state)
{
	struct got g;

	(void)state;
	check(NULL, 0, 1000, &g);
	assert_int_equal(g.n, 0);
	assert_int_equal(g.all_ok, 1);
	got_release(&g);
}

/* ---- freeing and reentrancy -------------------------------------------------
 */

struct mid {
	struct health *h;
	int calls;
	uv_timer_t timer;
};

static void mid_on_done(const struct health_report *rep, void *data)
{
	struct mid *m = data;

	(void)rep;
	m->calls++;
}

static void mid_on_timer(uv_timer_t *t)
{
	struct mid *m = t->data;

	health_free(m->h);
	uv_close((uv_handle_t *)t, NULL);
}

static void test_free_in_the_middle_of_a_batch_leaks_nothing(void **state)
{
	struct srv s;
	uv_loop_t loop;
	struct mid m = {0};
	struct health_service_target t[3];
	uint64_t t0;

	(void)state;
	srv_start(&s, SRV_SILENT, 0, NULL);
	t[0] = (struct health_service_target){"a", s.port, "/health", 1};
	t[1] = (struct health_service_target){"b", s.port, NULL, 0};
	t[2] = (struct health_service_target){"c", s.port, "/x", 0};
	assert_int_equal(uv_loop_init(&loop), 0);
	m.h = health_new(&loop);
	/* two batches in flight; the TCP check of the first one finishes */
	assert_int_equal(
	    health_check(m.h, "127.0.0.1", t, 3, 10000, mid_on_done, &m), 0);
	assert_int_equal(
	    health_check(m.h, "127.0.0.1", t, 1, 10000, mid_on_done, &m), 0);
	uv_timer_init(&loop, &m.timer);
	m.timer.data = &m;
	uv_timer_start(&m.timer, mid_on_timer, 150, 0);
	t0 = util_mono_ms();
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_true(util_mono_ms() - t0 < 2000);
	assert_int_equal(m.calls, 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	srv_stop(&s);
}

struct chain {
	struct health *h;
	const struct health_service_target *t;
	int calls;
	int ok[3];
	int free_in_last;
};

static void chain_on_done(const struct health_report *rep, void *data)
{
	struct chain *c = data;

	c->ok[c->calls++] = rep->all_ok;
	if (c->calls < 3)
		assert_int_equal(health_check(c->h, "127.0.0.1", c->t, 1, 2000,
					      chain_on_done, c),
				 0);
	else if (c->free_in_last) {
		health_free(c->h);
		/* still allocated until its close callbacks, but refusing */
		assert_int_equal(health_check(c->h, "127.0.0.1", c->t, 1, 2000,
					      chain_on_done, c),
				 -1);
	}
}

static void test_done_may_start_a_check_or_free(void **state)
{
	struct srv s;
	uv_loop_t loop;
	struct chain c = {0};
	struct health_service_target t;

	(void)state;
	srv_start(&s, SRV_REPLY, 200, PIPELOCK_OK);
	t = (struct health_service_target){"pipelock", s.port, "/health", 1};
	assert_int_equal(uv_loop_init(&loop), 0);
	c.h = health_new(&loop);
	c.t = &t;
	c.free_in_last = 1;
	assert_int_equal(
	    health_check(c.h, "127.0.0.1", &t, 1, 2000, chain_on_done, &c), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(c.calls, 3);
	assert_int_equal(c.ok[0] && c.ok[1] && c.ok[2], 1);
	assert_int_equal(uv_loop_close(&loop), 0);
	srv_stop(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_pipelock_reads_every_field),
	    cmocka_unit_test(test_parse_pipelock_wrong_types_are_unknown),
	    cmocka_unit_test(test_parse_pipelock_rejects_non_objects),
	    cmocka_unit_test(test_parse_pipelock_unhealthy_status_is_an_error),
	    cmocka_unit_test(test_pipelock_200_with_kill_switch_off_is_ok),
	    cmocka_unit_test(test_pipelock_kill_switch_on_is_a_red_state),
	    cmocka_unit_test(test_http_500_is_not_ok_and_keeps_the_status),
	    cmocka_unit_test(test_pipelock_200_with_garbage_body_is_not_ok),
	    cmocka_unit_test(test_pipelock_body_over_the_cap_is_refused),
	    cmocka_unit_test(test_other_service_ignores_a_big_body),
	    cmocka_unit_test(test_closed_port_is_refused_quickly),
	    cmocka_unit_test(test_silent_server_times_out_within_the_bound),
	    cmocka_unit_test(test_tcp_check_connects_or_is_refused),
	    cmocka_unit_test(test_many_services_in_one_batch_report_once),
	    cmocka_unit_test(test_empty_batch_reports_from_the_loop),
	    cmocka_unit_test(test_free_in_the_middle_of_a_batch_leaks_nothing),
	    cmocka_unit_test(test_done_may_start_a_check_or_free),
	};

	return cmocka_run_group_tests(tests, NULL, closed_ports_release);
}
