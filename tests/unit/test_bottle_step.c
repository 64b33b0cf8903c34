/* test_bottle_step.c: the lifecycle step machine (bottle-step.c and the
 * steps of bottle-up.c, bottle-down.c, bottle-proof.c) driven on a libuv
 * loop with fake docker and smolvm scripts (tests/unit/fakes/): no root,
 * no daemon, no VM. The bottle's subnet comes from a loopback pool, so its
 * bundle address is a 127.77.x.y where this test answers the health
 * check; every probe connect is only reported by the fake smolvm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tmp-tree.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "wall.h"
#include "bottle.h"
#include "config.h"
#include "state.h"
#include "util.h"

#define FAKES BOTTLE_SRCDIR "/tests/unit/fakes"
#define NAME "t1"
#define NET "bottle-" NAME
#define CTR "bottle-" NAME "-bundle"
#define VM "bottle-" NAME

/* ---- a bundle that answers HTTP on 127.77.0.2 and 127.77.0.18 -------- */

struct http_conn {
	uv_tcp_t tcp;
	uv_write_t w;
	char buf[1024];
	int answered;
};

static void http_on_close(uv_handle_t *h)
{
	free(h->data);
}

static void http_on_written(uv_write_t *w, int status)
{
	struct http_conn *c = w->data;

	(void)status;
	uv_close((uv_handle_t *)&c->tcp, http_on_close);
}

static void http_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct http_conn *c = h->data;

	(void)hint;
	*b = uv_buf_init(c->buf, sizeof c->buf);
}

static void http_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: "
				    "application/json\r\nContent-Length: 2\r\n"
				    "Connection: close\r\n\r\n{}";
	struct http_conn *c = s->data;
	uv_buf_t out = uv_buf_init((char *)reply, sizeof reply - 1);

	(void)b;
	if (n == 0)
		return;
	uv_read_stop(s);
	if (n < 0 || c->answered) {
		uv_close((uv_handle_t *)s, http_on_close);
		return;
	}
	c->answered = 1;
	c->w.data = c;
	if (uv_write(&c->w, s, &out, 1, http_on_written) != 0)
		uv_close((uv_handle_t *)s, http_on_close);
}

static void http_on_connection(uv_stream_t *server, int status)
{
	struct http_conn *c;

	if (status != 0)
		return;
	c = xcalloc(1, sizeof *c);
	uv_tcp_init(server->loop, &c->tcp);
	c->tcp.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
		uv_close((uv_handle_t *)&c->tcp, http_on_close);
		return;
	}
	uv_read_start((uv_stream_t *)&c->tcp, http_alloc, http_on_read);
}

/* http_listen: a server on ip:*port (port 0: any, then set). */
static void http_listen(uv_loop_t *loop, uv_tcp_t *t, const char *ip, int *port)
{
	struct sockaddr_in a;
	int len = sizeof a;

	assert_int_equal(uv_tcp_init(loop, t), 0);
	assert_int_equal(uv_ip4_addr(ip, *port, &a), 0);
	assert_int_equal(uv_tcp_bind(t, (struct sockaddr *)&a, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)t, 16, http_on_connection),
			 0);
	assert_int_equal(uv_tcp_getsockname(t, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	uv_unref((uv_handle_t *)t); /* the core's handles keep the loop */
}

/* ---- the fixture ------------------------------------------------------ */

struct fx {
	char dir[64];
	char fake[96];
	char state[96];
	uv_loop_t loop;
	uv_tcp_t http[2];
	int port; /* the bundle's proxy (pipelock) port */
	struct config *cfg;
	struct bottle_core *core;
	struct bottle *b;
	int done;
	char *error; /* the last operation's, owned */
	int timers;  /* fx_start: periodic refresh, health and probes on */
	uv_prepare_t prep;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "/tmp/test_bottle_step.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->fake, sizeof f->fake, "%s/fake", f->dir);
	snprintf(f->state, sizeof f->state, "%s/state", f->dir);
	assert_int_equal(mkdir(f->fake, 0700), 0);
	assert_int_equal(mkdir(f->state, 0700), 0);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	http_listen(&f->loop, &f->http[0], "127.77.0.2", &f->port);
	http_listen(&f->loop, &f->http[1], "127.77.0.18", &f->port);
	setenv("FAKE_DIR", f->fake, 1);
	setenv("BOTTLE_DOCKER", FAKES "/docker", 1);
	{
		/* smolvm gets an environment bottle builds from scratch, so
		 * the fake's settings travel in a wrapper, not in ours */
		char port[16], *path, *text;
		FILE *fp;
		snprintf(port, sizeof port, "%d", f->port);
		setenv("FAKE_PROXY_PORT", port, 1);
		path = xasprintf("%s/smolvm", f->dir);
		text = xasprintf("#!/bin/sh\nFAKE_DIR='%s' FAKE_PROXY_PORT=%s "
				 "exec '%s/smolvm' \"$@\"\n",
				 f->fake, port, FAKES);
		fp = fopen(path, "w");
		assert_non_null(fp);
		fputs(text, fp);
		fclose(fp);
		assert_int_equal(chmod(path, 0755), 0);
		setenv("BOTTLE_SMOLVM", path, 1);
		free(path);
		free(text);
	}
	*state = f;
	return 0;
}

static void http_on_server_close(uv_handle_t *h)
{
	(void)h;
}

static void fx_stop(struct fx *f);

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->core != NULL)
		fx_stop(f);
	uv_close((uv_handle_t *)&f->http[0], http_on_server_close);
	uv_close((uv_handle_t *)&f->http[1], http_on_server_close);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	free(f->error);
	rm_tree(f->dir);
	free(f);
	return 0;
}

static void on_done(struct bottle_core *core, struct bottle *b,
		    const char *error, void *data)
{
	struct fx *f = data;

	(void)core;
	(void)b;
	assert_int_equal(f->done, 0); /* once */
	f->done = 1;
	free(f->error);
	f->error = error != NULL ? xstrdup(error) : NULL;
}

/* fx_start: the core over a one-bottle config; extra is spliced into the
 * bottle's object (vm settings, on_unsafe). */
static void fx_start(struct fx *f, const char *extra)
{
	struct bottle_core_opts o;
	char *json, *cause = NULL;

	json = xasprintf(
	    "{\"defaults\": {\"vmm\": \"smolvm\","
	    " \"subnet_pool\": \"127.77.0.0/16\", \"subnet_prefix\": 28,"
	    " \"vm\": {\"image\": \"vm:1\", \"cpus\": 1, \"memory\": 256},"
	    " \"bundle\": {\"image\": \"bundle:1\", \"proxy\": \"pipelock\","
	    "  \"services\": {\"git-gate\": null, \"supervise\": null,"
	    "   \"pipelock\": {\"port\": %d, \"bind\": \"0.0.0.0\","
	    "    \"agent_reachable\": true, \"health\": \"/health\"}}},"
	    " \"probes\": {\"resolver\": null, \"timeout_s\": 5},"
	    " \"health_interval_s\": 1},"
	    " \"bottles\": {\"" NAME "\": {%s}}}",
	    f->port, extra ? extra : "");
	/* a loopback pool: the fake bundle answers health on 127.77.x.2 */
	if (config_parse_opts(json, strlen(json), "test",
			      &(struct config_opts){.loopback_pool = 1},
			      &f->cfg, &cause) != 0)
		fail_msg("%s", cause);
	free(json);
	memset(&o, 0, sizeof o);
	o.no_timers = !f->timers;
	o.docker_check = BOTTLE_DOCKER_CHECK_NEVER;
	if (bottle_core_new(&f->loop, f->cfg, f->state, &o, &f->core, &cause) !=
	    0)
		fail_msg("%s", cause);
	f->b = bottle_core_find(f->core, NAME);
	assert_non_null(f->b);
	f->done = 0;
	bottle_core_start(f->core, on_done, f);
	while (!f->done)
		assert_int_not_equal(uv_run(&f->loop, UV_RUN_ONCE), 0);
	assert_int_equal(bottle_core_env(f->core)->smolvm_ok, 1);
	assert_int_equal(bottle_core_env(f->core)->docker_ok, 1);
}

typedef int (*op_fn)(struct bottle_core *, struct bottle *, bottle_done_cb,
		     void *, char **);

/* fx_op: run up/down/rm to its end; its error (NULL = ok, borrowed). */
static const char *fx_op(struct fx *f, op_fn op)
{
	char *cause = NULL;

	f->done = 0;
	if (op(f->core, f->b, on_done, f, &cause) != 0)
		fail_msg("%s", cause);
	while (!f->done)
		assert_int_not_equal(uv_run(&f->loop, UV_RUN_ONCE), 0);
	assert_int_equal(f->b->op, BOTTLE_OP_NONE);
	return f->error;
}

/* fx_stop: close the core and let its handles close. */
static void fx_stop(struct fx *f)
{
	bottle_core_close(f->core);
	f->core = NULL;
	uv_run(&f->loop, UV_RUN_DEFAULT);
	config_free(f->cfg);
	f->cfg = NULL;
}

/* ---- what the fakes hold ---------------------------------------------- */

static char *fake_read(struct fx *f, const char *file)
{
	char *path = xasprintf("%s/%s", f->fake, file), *text = NULL;
	size_t len;

	if (util_read_file(path, &text, &len, NULL) != 0)
		text = NULL;
	free(path);
	return text;
}

static int fake_has(struct fx *f, const char *file)
{
	char *t = fake_read(f, file);
	int has = t != NULL;

	free(t);
	return has;
}

static void fake_write(struct fx *f, const char *file, const char *text)
{
	char *path = xasprintf("%s/%s", f->fake, file);
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	free(path);
}

/* fake_count: how many commands in the log start with prefix. */
static int fake_count(struct fx *f, const char *prefix)
{
	char *log = fake_read(f, "log"), *p;
	int n = 0;

	for (p = log; p != NULL && *p != '\0';) {
		char *nl = strchr(p, '\n');
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			n++;
		p = nl ? nl + 1 : p + strlen(p);
	}
	free(log);
	return n;
}

/* fake_order: 1 when the log has a line starting with a, and a later one
 * starting with b. */
static int fake_order(struct fx *f, const char *a, const char *b)
{
	char *log = fake_read(f, "log"), *p;
	int seen_a = 0, ok = 0;

	for (p = log; p != NULL && *p != '\0' && !ok;) {
		char *nl = strchr(p, '\n');
		if (seen_a && strncmp(p, b, strlen(b)) == 0)
			ok = 1;
		if (strncmp(p, a, strlen(a)) == 0)
			seen_a = 1;
		p = nl ? nl + 1 : p + strlen(p);
	}
	free(log);
	return ok;
}

/* nothing_left: no network, container or machine, no allocation. */
static void assert_nothing_left(struct fx *f)
{
	struct state *s = NULL;
	char *cause = NULL;

	assert_false(fake_has(f, "net-" NET));
	assert_false(fake_has(f, "ctr-" CTR));
	assert_false(fake_has(f, "vm-" VM));
	assert_null(f->b->subnet);
	assert_int_equal(state_read(f->state, &s, &cause), 0);
	assert_null(state_find(s, NAME));
	state_free(s);
}

static void assert_vm(struct fx *f, const char *st)
{
	char *t = fake_read(f, "vm-" VM);

	assert_non_null(t);
	assert_string_equal(t, st);
	free(t);
}

/* ---- the tests -------------------------------------------------------- */

static void test_up_down_rm_happy_path(void **state)
{
	struct fx *f = *state;
	const char *err;
	char *smolfile, *allow;
	const char *text = NULL;
	size_t i;

	fx_start(f, NULL);
	assert_int_equal(bottle_allowlist(f->b, &text), BOTTLE_ALLOW_NONE);
	assert_string_equal(text, "- (no allocation)");
	err = fx_op(f, bottle_up);
	assert_null(err);
	assert_null(f->b->error);
	assert_string_equal(f->b->subnet, "127.77.0.0/28");
	assert_string_equal(f->b->bundle_ip, "127.77.0.2");
	/* the steps, in their order, each one command */
	assert_true(
	    fake_order(f, "docker network ls -q", "docker network create"));
	assert_true(fake_order(f, "docker network create", "docker run -d"));
	assert_true(
	    fake_order(f, "docker run -d", "smolvm machine create " VM));
	assert_true(
	    fake_order(f, "smolvm machine create", "smolvm machine start"));
	assert_true(
	    fake_order(f, "smolvm machine start", "smolvm machine exec"));
	assert_int_equal(fake_count(f, "docker run"), 1);
	assert_true(fake_has(f, "net-" NET));
	assert_true(fake_has(f, "ctr-" CTR));
	assert_vm(f, "running\n");
	/* the Smolfile allows the bundle and nothing else */
	smolfile = fake_read(f, "smolfile-" VM);
	assert_non_null(smolfile);
	allow = strstr(smolfile, "allow_cidrs");
	assert_non_null(allow);
	assert_non_null(strstr(allow, "\"127.77.0.2/32\"]"));
	free(smolfile);
	/* and the core reads it back so (what the dashboard shows) */
	assert_int_equal(bottle_allowlist(f->b, &text), BOTTLE_ALLOW_OK);
	assert_string_equal(text, "127.77.0.2/32");
	/* proven */
	assert_int_not_equal(f->b->probes_at_ms, 0);
	for (i = 0; i < PROBE_COUNT; i++)
		assert_true(f->b->probes[i].verdict == PROBE_PASS ||
			    f->b->probes[i].verdict == PROBE_SKIP);

	err = fx_op(f, bottle_down);
	assert_null(err);
	assert_false(fake_has(f, "vm-" VM));
	assert_false(fake_has(f, "ctr-" CTR));
	assert_false(fake_has(f, "net-" NET));
	assert_true(
	    fake_order(f, "smolvm machine stop", "smolvm machine delete"));
	assert_true(
	    fake_order(f, "smolvm machine delete", "docker rm -f " CTR));
	assert_true(fake_order(f, "docker rm -f", "docker network rm " NET));
	assert_string_equal(f->b->subnet, "127.77.0.0/28"); /* kept */

	err = fx_op(f, bottle_rm);
	assert_null(err);
	assert_nothing_left(f);
}

/* A failure at each step of up undoes what that up created, in reverse,
 * and reports the step's own error. */
static void test_rollback_at_every_step(void **state)
{
	static const struct {
		const char *fail; /* fail-KEY file, or NULL */
		const char *extra;
		const char *error;	/* in the reported error */
		const char *not_undone; /* a command the rollback must skip */
	} cases[] = {
	    {"fail-network-create", NULL, "docker network create: exit 1: boom",
	     "docker network rm"},
	    {"fail-run", NULL,
	     "bundle image bundle:1 is not available: docker run (bundle): "
	     "exit 1: Unable to find image",
	     "docker rm -f"},
	    {NULL, "\"vm\": {\"volumes\": [\"/nonexistent-bottle-step:/w\"]}",
	     "host directory \"/nonexistent-bottle-step\" does not exist",
	     "smolvm machine stop"},
	    {"fail-create", NULL, "smolvm machine create: exit 1: Error: boom",
	     "smolvm machine stop"},
	    {"fail-start", NULL, "smolvm machine start: exit 1: Error: boom",
	     NULL},
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < UTIL_NELEM(cases); i++) {
		const char *err;
		if (f->core != NULL)
			fx_stop(f);
		fake_write(f, "log", "");
		if (cases[i].fail != NULL)
			fake_write(f, cases[i].fail,
				   strstr(cases[i].fail, "run")
				       ? "Unable to find image 'bundle:1' "
					 "locally\n"
				   : strstr(cases[i].fail, "network")
				       ? "boom\n"
				       : "Error: boom\n");
		fx_start(f, cases[i].extra);
		err = fx_op(f, bottle_up);
		assert_non_null(err);
		if (strstr(err, cases[i].error) == NULL)
			fail_msg("case %zu: %s", i, err);
		assert_nothing_left(f);
		assert_string_equal(f->b->error, err);
		assert_int_equal(bottle_status(f->b), BOTTLE_FAILED);
		if (cases[i].not_undone != NULL)
			assert_int_equal(fake_count(f, cases[i].not_undone), 0);
	}
}

/* A stale container of the bundle's name: removed once, run again. */
static void test_name_conflict_is_retried_once(void **state)
{
	struct fx *f = *state;

	fake_write(f, "ctr-" CTR, "exited\n");
	fx_start(f, NULL);
	assert_null(fx_op(f, bottle_up));
	assert_int_equal(fake_count(f, "docker run"), 2);
	assert_true(fake_order(f, "docker run", "docker rm -f " CTR));
	assert_true(fake_order(f, "docker rm -f " CTR, "docker run"));
	assert_true(fake_has(f, "ctr-" CTR));
}

/* A second conflict is not retried: up fails and rolls back. */
static void test_name_conflict_twice_fails(void **state)
{
	struct fx *f = *state;
	const char *err;

	fake_write(f, "ctr-" CTR, "exited\n");
	fake_write(f, "fail-rm", "kill\n"); /* rm -f leaves it there */
	fx_start(f, NULL);
	err = fx_op(f, bottle_up);
	assert_non_null(err);
	assert_non_null(strstr(err, "already in use"));
	assert_int_equal(fake_count(f, "docker run"), 2);
	assert_false(fake_has(f, "net-" NET)); /* rolled back */
}

/* The network exists with another subnet than state.json says: the
 * allocation follows the network, and the rollback would keep it. */
static void test_existing_network_is_adopted(void **state)
{
	struct fx *f = *state;
	struct state *s = NULL;
	char *cause = NULL;

	fake_write(f, "net-" NET, "127.77.0.16/28\n");
	fx_start(f, NULL);
	assert_null(fx_op(f, bottle_up));
	assert_string_equal(f->b->subnet, "127.77.0.16/28");
	assert_string_equal(f->b->bundle_ip, "127.77.0.18");
	assert_true(fake_order(f, "docker network create",
			       "docker network inspect --format"));
	assert_int_equal(state_read(f->state, &s, &cause), 0);
	assert_string_equal(state_find(s, NAME)->subnet, "127.77.0.16/28");
	state_free(s);
	/* the bundle is pinned inside it */
	assert_true(fake_order(f, "docker network inspect", "docker run -d"));
}

static void test_adopted_network_survives_a_rollback(void **state)
{
	struct fx *f = *state;

	fake_write(f, "net-" NET, "127.77.0.16/28\n");
	fake_write(f, "fail-start", "Error: boom\n");
	fx_start(f, NULL);
	assert_non_null(fx_op(f, bottle_up));
	assert_true(fake_has(f, "net-" NET)); /* not this up's to remove */
	assert_false(fake_has(f, "ctr-" CTR));
	assert_false(fake_has(f, "vm-" VM));
	assert_int_equal(fake_count(f, "docker network rm"), 0);
}

/* docker killed in the middle of a command (SIGKILL): the step fails with
 * what happened and up rolls back. */
static void test_kill_in_the_middle_of_a_command(void **state)
{
	struct fx *f = *state;
	const char *err;

	fake_write(f, "fail-run", "kill\n");
	fx_start(f, NULL);
	err = fx_op(f, bottle_up);
	assert_non_null(err);
	assert_non_null(strstr(err, "docker run (bundle): killed by signal 9"));
	assert_nothing_left(f);
	assert_int_equal(fake_count(f, "docker network rm " NET), 1);
}

/* smolvm hangs in machine start: bottle kills it at its timeout (the
 * BOTTLE_TEST_SMOLVM_TIMEOUT_MS hook), says so, and rolls back. */
static void test_hung_command_is_killed_and_rolled_back(void **state)
{
	struct fx *f = *state;
	const char *err;

	fake_write(f, "fail-start", "hang\n");
	fx_start(f, NULL);
	/* read at each command: long enough for the fake's other commands
	 * on a loaded machine, short for the hung one */
	setenv("BOTTLE_TEST_SMOLVM_TIMEOUT_MS", "2000", 1);
	err = fx_op(f, bottle_up);
	unsetenv("BOTTLE_TEST_SMOLVM_TIMEOUT_MS");
	assert_non_null(err);
	assert_non_null(strstr(err, "smolvm machine start: did not finish "
				    "within 2000 ms; killed"));
	assert_nothing_left(f);
	assert_int_equal(fake_count(f, "smolvm machine delete " VM), 1);
}

/* The test hook that pauses before every step (kill -9 tests use it)
 * goes through the bottle's wake timer: up still runs every step once,
 * in order. */
static void test_pause_before_every_step(void **state)
{
	struct fx *f = *state;

	setenv("BOTTLE_TEST_STEP_DELAY_MS", "1", 1);
	fx_start(f, NULL);
	assert_null(fx_op(f, bottle_up));
	assert_null(fx_op(f, bottle_rm));
	unsetenv("BOTTLE_TEST_STEP_DELAY_MS");
	assert_int_equal(fake_count(f, "docker network create"), 1);
	assert_int_equal(fake_count(f, "smolvm machine start"), 1);
	assert_nothing_left(f);
}

/* A rollback step that fails keeps the allocation (a part still holds
 * the subnet) and reports the original error. */
static void test_failed_rollback_keeps_the_allocation(void **state)
{
	struct fx *f = *state;
	const char *err;

	fake_write(f, "fail-start", "Error: boom\n");
	fake_write(f, "fail-network-rm",
		   "Error response from daemon: error "
		   "while removing network: has active "
		   "endpoints\n");
	fx_start(f, NULL);
	err = fx_op(f, bottle_up);
	assert_non_null(
	    strstr(err, "smolvm machine start: exit 1: Error: boom"));
	assert_true(fake_has(f, "net-" NET));
	assert_string_equal(f->b->subnet, "127.77.0.0/28");
}

/* Isolation disproven during up: with on_unsafe "stop" the VM is stopped
 * and the bottle stays red; with "report" it keeps running. */
static void test_on_unsafe_stop_and_report(void **state)
{
	struct fx *f = *state;
	const char *err;

	fake_write(f, "leak", "1\n");
	fx_start(f, "\"on_unsafe\": \"stop\"");
	err = fx_op(f, bottle_up);
	assert_non_null(err);
	assert_non_null(strstr(err, "isolation not proven"));
	assert_vm(f, "stopped\n");
	assert_non_null(f->b->error);
	assert_non_null(strstr(f->b->error, "on_unsafe is \"stop\""));
	assert_int_equal(fake_count(f, "smolvm machine stop"), 1);
	assert_true(fake_has(f, "ctr-" CTR)); /* no rollback: kept to look at */

	/* again with "report": the VM is recreated (it exists, stopped) and
	 * keeps running, unsafe */
	fx_stop(f);
	fx_start(f, "\"on_unsafe\": \"report\"");
	err = fx_op(f, bottle_up);
	assert_non_null(err);
	assert_non_null(strstr(err, "isolation not proven"));
	assert_true(fake_order(f, "smolvm machine create",
			       "smolvm machine delete " VM " -f"));
	assert_vm(f, "running\n");
	assert_int_equal(fake_count(f, "smolvm machine stop"), 1);
	assert_int_equal(bottle_status(f->b), BOTTLE_UNSAFE);
}

static void count_iterations(uv_prepare_t *p)
{
	(*(unsigned *)p->data)++;
}

/* With timers on (the dashboard), the bottle's own health timer checks
 * the bundle every health_interval_s once up is done, and the loop sleeps
 * in between: a timer armed for a due time that nothing acts on would
 * fire again at once, thousands of times a second (it did once). */
static void test_health_timer_after_up_and_no_spinning(void **state)
{
	struct fx *f = *state;
	uv_prepare_t *prep = &f->prep;
	unsigned iterations = 0;
	uint64_t first;

	f->timers = 1;
	fx_start(f, NULL);
	assert_null(fx_op(f, bottle_up));
	first = f->b->health_at_ms; /* up's bundle-health step's */
	assert_int_not_equal(first, 0);
	/* the first periodic check follows at once */
	while (f->b->health_at_ms == first)
		assert_int_not_equal(uv_run(&f->loop, UV_RUN_ONCE), 0);
	assert_int_equal(f->b->health_ok, 1);
	first = f->b->health_at_ms;
	/* the next periodic check, counting loop iterations meanwhile */
	uv_prepare_init(&f->loop, prep);
	prep->data = &iterations;
	uv_prepare_start(prep, count_iterations);
	while (f->b->health_at_ms == first && iterations <= 100)
		assert_int_not_equal(uv_run(&f->loop, UV_RUN_ONCE), 0);
	uv_prepare_stop(prep);
	uv_close((uv_handle_t *)prep, NULL); /* f outlives it */
	assert_true(f->b->health_at_ms > first);
	/* a second apart: about ten wake-ups (the timer, the HTTP exchange,
	 * a refresh), not a spin (a 1 ms one makes hundreds) */
	if (iterations > 100)
		fail_msg("%u loop iterations between two health checks",
			 iterations);
	/* the fake smolvm gives no host evidence: guest-reported, never
	 * plainly healthy */
	assert_int_equal(bottle_status(f->b), BOTTLE_UNKNOWN);
	assert_true(wall_guest_reported(f->b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	    T(test_up_down_rm_happy_path),
	    T(test_rollback_at_every_step),
	    T(test_name_conflict_is_retried_once),
	    T(test_name_conflict_twice_fails),
	    T(test_existing_network_is_adopted),
	    T(test_adopted_network_survives_a_rollback),
	    T(test_kill_in_the_middle_of_a_command),
	    T(test_hung_command_is_killed_and_rolled_back),
	    T(test_pause_before_every_step),
	    T(test_failed_rollback_keeps_the_allocation),
	    T(test_on_unsafe_stop_and_report),
	    T(test_health_timer_after_up_and_no_spinning),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
