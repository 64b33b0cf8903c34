/* test_state.c: state.json, atomic writes, locks and the events log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "state.h"

/* A fresh temporary state directory per test. */
struct fixture {
	char dir[64];
};

static int rm_rf_at(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st) != 0)
		return 0;
	if (S_ISDIR(st.st_mode)) {
		d = opendir(path);
		if (d != NULL) {
			while ((e = readdir(d)) != NULL) {
				char *sub;
				if (strcmp(e->d_name, ".") == 0 ||
				    strcmp(e->d_name, "..") == 0)
					continue;
				sub = xasprintf("%s/%s", path, e->d_name);
				rm_rf_at(sub);
				free(sub);
			}
			closedir(d);
		}
		return rmdir(path);
	}
	return unlink(path);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "/tmp/test_state.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	state_set_lock_timeout_ms(5000);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	rm_rf_at(f->dir);
	free(f);
	return 0;
}

static char *slurp(const char *path)
{
	char *text = NULL, *cause = NULL;

	if (util_read_file(path, &text, NULL, &cause) != 0) {
		free(cause);
		return NULL;
	}
	return text;
}

static void assert_file_is(const char *path, const char *want)
{
	char *text = slurp(path);

	if (text == NULL)
		fail_msg("%s: cannot be read", path);
	assert_string_equal(text, want);
	free(text);
}

static void spit(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Entries in dir other than . and .. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

/* ------------------------------------------------------------------ */

static int put_two(struct state *s, void *data, char **cause)
{
	struct state_bottle *b;

	b = state_upsert(s, "web");
	state_set_str(&b->subnet, "10.213.0.0/28");
	state_set_str(&b->bundle_ip, "10.213.0.2");
	state_set_str(&b->step, "healthy");
	b->updated_ms = 1700000000123ULL;
	b = state_upsert(s, "api");
	state_set_str(&b->subnet, "10.213.0.16/28");
	state_set_str(&b->step, "failed");
	state_set_str(&b->error, "docker: \"quoted\"\nnewline");
	return 0;
}

static void test_round_trip_keeps_every_field(void **state)
{
	struct fixture *f = *state;
	struct state *s = NULL;
	struct state_bottle *b;
	char *cause = NULL;

	assert_int_equal(state_update(f->dir, put_two, NULL, &cause), 0);
	assert_int_equal(state_read(f->dir, &s, &cause), 0);
	assert_int_equal(s->n, 2);
	/* sorted by name */
	assert_string_equal(s->bottles[0].name, "api");
	assert_string_equal(s->bottles[1].name, "web");
	b = state_find(s, "web");
	assert_non_null(b);
	assert_string_equal(b->subnet, "10.213.0.0/28");
	assert_string_equal(b->bundle_ip, "10.213.0.2");
	assert_string_equal(b->step, "healthy");
	assert_null(b->error);
	assert_int_equal(b->updated_ms, 1700000000123ULL);
	b = state_find(s, "api");
	assert_null(b->bundle_ip);
	assert_int_equal(b->updated_ms, 0);
	assert_string_equal(b->error, "docker: \"quoted\"\nnewline");
	assert_null(state_find(s, "nope"));
	state_free(s);
}

static void test_file_is_versioned_json_with_iso_time(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL, *path, *text;

	assert_int_equal(state_update(f->dir, put_two, NULL, &cause), 0);
	path = xasprintf("%s/state.json", f->dir);
	text = slurp(path);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"version\":\t1"));
	assert_non_null(
	    strstr(text, "\"updated\":\t\"2023-11-14T22:13:20.123Z\""));
	assert_non_null(strstr(text, "\"subnet\":\t\"10.213.0.0/28\""));
	assert_int_equal(text[strlen(text) - 1], '\n');
	free(text);
	free(path);
}

static void test_unknown_fields_are_ignored(void **state)
{
	const char *json =
	    "{\"version\":1,\"future\":[1,2],\"bottles\":{\"web\":"
	    "{\"subnet\":\"10.213.0.0/28\",\"colour\":\"blue\","
	    "\"nested\":{\"x\":1},\"updated\":\"2024-01-02T03:04:05Z\"}}}";
	struct state *s = NULL;
	char *cause = NULL;

	(void)state;
	assert_int_equal(state_parse(json, strlen(json), "t", &s, &cause), 0);
	assert_int_equal(s->n, 1);
	assert_string_equal(s->bottles[0].subnet, "10.213.0.0/28");
	assert_int_equal(s->bottles[0].updated_ms, 1704164645000ULL);
	state_free(s);
}

static void test_missing_file_and_directory_read_as_empty(void **state)
{
	struct fixture *f = *state;
	struct state *s = NULL;
	char *cause = NULL, *missing;
	struct stat st;

	assert_int_equal(state_read(f->dir, &s, &cause), 0);
	assert_int_equal(s->n, 0);
	state_free(s);
	missing = xasprintf("%s/not/yet", f->dir);
	assert_int_equal(state_read(missing, &s, &cause), 0);
	assert_int_equal(s->n, 0);
	state_free(s);
	/* reading never creates the directory */
	assert_int_not_equal(stat(missing, &st), 0);
	free(missing);
}

static int put_one(struct state *s, void *data, char **cause)
{
	state_set_str(&state_upsert(s, "web")->step, data);
	return 0;
}

static void test_corrupt_file_is_an_error_naming_it_and_kept(void **state)
{
	struct fixture *f = *state;
	struct state *s = NULL;
	char *cause = NULL, *path = xasprintf("%s/state.json", f->dir);

	spit(path, "{\"version\":1,\"bottles\":{\"web\":{\"subnet\":");
	assert_int_equal(state_read(f->dir, &s, &cause), -1);
	assert_null(s);
	assert_non_null(strstr(cause, path));
	assert_non_null(strstr(cause, "not valid JSON"));
	assert_true(strncmp(cause, "state: ", 7) == 0);
	free(cause);
	cause = NULL;
	/* an update refuses too: never a silent reset */
	assert_int_equal(state_update(f->dir, put_one, "x", &cause), -1);
	assert_non_null(strstr(cause, path));
	free(cause);
	assert_file_is(path,
		       "{\"version\":1,\"bottles\":{\"web\":{\"subnet\":");
	free(path);
}

static void expect_parse_error(const char *json, const char *want)
{
	struct state *s = NULL;
	char *cause = NULL;

	assert_int_equal(
	    state_parse(json, strlen(json), "/s/state.json", &s, &cause), -1);
	assert_null(s);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, want);
	free(cause);
}

static void test_wrong_shapes_are_errors_naming_the_key(void **state)
{
	(void)state;
	expect_parse_error(
	    "{\"version\":1,\"bottles\":{\"web\":{\"subnet\":5}}}",
	    "state: /s/state.json: bottles.web.subnet: expected a "
	    "string");
	expect_parse_error("{\"version\":1,\"bottles\":{\"web\":{\"updated\":"
			   "\"yesterday\"}}}",
			   "bottles.web.updated: expected an ISO 8601");
	expect_parse_error("{\"version\":1,\"bottles\":[]}",
			   "bottles: expected an object");
	expect_parse_error("{\"version\":1,\"bottles\":{\"../etc\":{}}}",
			   "not a valid bottle name");
	expect_parse_error("{\"version\":2,\"bottles\":{}}",
			   "version 2 is not supported");
	expect_parse_error("{\"bottles\":{}}", "version: expected an integer");
	expect_parse_error("[1]", "expected a JSON object");
	expect_parse_error("{\"version\":1} trailing", "not valid JSON");
	expect_parse_error("", "not valid JSON");
}

static void test_upsert_set_and_remove(void **state)
{
	struct state *s = state_new();
	struct state_bottle src = {0}, *b;

	(void)state;
	state_upsert(s, "m");
	state_upsert(s, "a");
	state_upsert(s, "z");
	assert_int_equal(s->n, 3);
	assert_string_equal(s->bottles[0].name, "a");
	assert_string_equal(s->bottles[2].name, "z");
	assert_ptr_equal(state_upsert(s, "m"), &s->bottles[1]);
	src.name = "m";
	src.subnet = "10.0.0.0/28";
	src.updated_ms = 5;
	b = state_set(s, &src);
	assert_string_equal(b->subnet, "10.0.0.0/28");
	assert_ptr_not_equal(b->subnet, src.subnet);
	assert_int_equal(b->updated_ms, 5);
	assert_int_equal(state_remove(s, "m"), 1);
	assert_int_equal(state_remove(s, "m"), 0);
	assert_int_equal(s->n, 2);
	assert_string_equal(s->bottles[1].name, "z");
	state_free(s);
}

static int abort_update(struct state *s, void *data, char **cause)
{
	state_upsert(s, "web");
	return util_fail(cause, "nothing to do");
}

static void test_aborted_update_writes_nothing(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL, *path = xasprintf("%s/state.json", f->dir);
	struct stat st;

	assert_int_equal(state_update(f->dir, abort_update, NULL, &cause), -1);
	assert_string_equal(cause, "nothing to do");
	free(cause);
	assert_int_not_equal(stat(path, &st), 0);
	free(path);
}

/* ------------------------------------------------------------------ */
/* Atomicity */

static void test_atomic_write_replaces_content(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL, *path = xasprintf("%s/file", f->dir);

	spit(path, "old content");
	assert_int_equal(state_write_atomic(path, "new", 3, &cause), 0);
	assert_file_is(path, "new");
	assert_int_equal(count_entries(f->dir), 1); /* no temp left */
	free(path);
}

static void test_atomic_write_under_a_regular_file_fails_naming_it(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL, *parent = xasprintf("%s/plain", f->dir);
	char *path = xasprintf("%s/state.json", parent);

	spit(parent, "i am a file");
	assert_int_equal(state_write_atomic(path, "x", 1, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, path));
	assert_non_null(strstr(cause, strerror(ENOTDIR)));
	free(cause);
	free(path);
	free(parent);
}

/* In a child limited to 64-byte files (a full disk, in effect): writing
 * 4 KiB must fail, name the file and leave the old content intact. */
static void test_full_disk_keeps_old_content(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/state.json", f->dir);
	char big[4096], msg[512] = "";
	int pfd[2], status;
	pid_t pid;
	ssize_t n;

	spit(path, "{\"version\":1,\"bottles\":{}}\n");
	memset(big, 'x', sizeof big);
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = {64, 64};
		char *cause = NULL;
		int rc;

		close(pfd[0]);
		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		rc = state_write_atomic(path, big, sizeof big, &cause);
		if (rc == -1 && cause != NULL &&
		    write(pfd[1], cause, strlen(cause)) < 0)
			_exit(3);
		free(cause);
		_exit(rc == -1 ? 0 : 1);
	}
	close(pfd[1]);
	n = read(pfd[0], msg, sizeof msg - 1);
	close(pfd[0]);
	assert_true(n > 0);
	msg[n] = '\0';
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(msg, path));
	assert_non_null(strstr(msg, strerror(EFBIG)));
	assert_file_is(path, "{\"version\":1,\"bottles\":{}}\n");
	assert_int_equal(count_entries(f->dir), 1); /* the temp is gone */
	free(path);
}

/* ------------------------------------------------------------------ */
/* Locks */

/* Fork a child with two pipes: down (parent to child) and up (child to
 * parent); each side closes the ends it does not use. The pid, 0 in the
 * child. */
static pid_t fork_with_pipes(int down[2], int up[2])
{
	pid_t pid;

	assert_int_equal(pipe(down), 0);
	assert_int_equal(pipe(up), 0);
	pid = fork();
	assert_true(pid >= 0);
	close(pid == 0 ? down[1] : down[0]);
	close(pid == 0 ? up[0] : up[1]);
	return pid;
}

/* Fork a child that takes the bottle lock, says "1" on ready and waits
 * until told to exit on go. */
static pid_t hold_bottle_lock(const char *dir, const char *name,
			      const char *what, int *go)
{
	int ready[2], gop[2];
	pid_t pid;
	char c;

	pid = fork_with_pipes(gop, ready);
	if (pid == 0) {
		struct state_lock *l = NULL;
		char *cause = NULL;

		c = state_bottle_lock(dir, name, what, &l, &cause) == 0 ? '1'
									: '0';
		if (write(ready[1], &c, 1) != 1)
			_exit(2);
		if (read(gop[0], &c, 1) < 0)
			_exit(2);
		state_bottle_unlock(l);
		free(cause);
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	assert_int_equal(c, '1');
	*go = gop[1];
	return pid;
}

static void test_busy_bottle_names_the_holder(void **state)
{
	struct fixture *f = *state;
	struct state_lock *l = NULL;
	char *cause = NULL, *want;
	int go, status;
	pid_t pid = hold_bottle_lock(f->dir, "web", "up", &go);

	assert_int_equal(state_bottle_lock(f->dir, "web", "down", &l, &cause),
			 -1);
	assert_null(l);
	want = xasprintf("bottle web is busy: another bottle process (pid %ld) "
			 "is running \"up\"",
			 (long)pid);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	cause = NULL;
	/* another bottle is not affected */
	assert_int_equal(state_bottle_lock(f->dir, "api", "up", &l, &cause), 0);
	state_bottle_unlock(l);
	assert_int_equal(write(go, "x", 1), 1);
	close(go);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(state_bottle_lock(f->dir, "web", "down", &l, &cause),
			 0);
	state_bottle_unlock(l);
}

static void test_killed_holder_leaves_no_stale_lock(void **state)
{
	struct fixture *f = *state;
	struct state_lock *l = NULL;
	char *cause = NULL;
	int go, status;
	pid_t pid = hold_bottle_lock(f->dir, "web", "up", &go);

	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	close(go);
	assert_int_equal(state_bottle_lock(f->dir, "web", "rm", &l, &cause), 0);
	assert_non_null(l);
	state_bottle_unlock(l);
}

static void test_bottle_lock_refuses_path_names(void **state)
{
	struct fixture *f = *state;
	struct state_lock *l = NULL;
	char *cause = NULL;

	assert_int_equal(state_bottle_lock(f->dir, "../x", "up", &l, &cause),
			 -1);
	assert_non_null(strstr(cause, "not a valid bottle name"));
	free(cause);
	assert_int_equal(count_entries(f->dir), 0);
}

static int increment(struct state *s, void *data, char **cause)
{
	struct state_bottle *b = state_upsert(s, "counter");
	long v = b->step != NULL ? strtol(b->step, NULL, 10) : 0;
	char *next = xasprintf("%ld", v + 1);

	free(b->step);
	b->step = next;
	return 0;
}

static void test_concurrent_updates_lose_nothing(void **state)
{
	struct fixture *f = *state;
	struct state *s = NULL;
	char *cause = NULL;
	pid_t pids[2];
	int i, status;

	for (i = 0; i < 2; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			int k, bad = 0;
			state_set_lock_timeout_ms(60000);
			for (k = 0; k < 200; k++) {
				char *c = NULL;
				if (state_update(f->dir, increment, NULL, &c)) {
					bad = 1;
					free(c);
				}
			}
			_exit(bad);
		}
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(state_read(f->dir, &s, &cause), 0);
	assert_string_equal(state_find(s, "counter")->step, "400");
	state_free(s);
}

static int wait_on_pipe(struct state *s, void *data, char **cause)
{
	int *fds = data;
	char c;

	if (write(fds[1], "r", 1) != 1 || read(fds[0], &c, 1) != 1)
		return util_fail(cause, "pipe");
	return 0;
}

static void test_held_state_lock_times_out_as_busy(void **state)
{
	struct fixture *f = *state;
	int to_child[2], to_parent[2], status;
	char c, *cause = NULL, *want;
	struct state *s = NULL;
	pid_t pid;

	/* the child hears EOF (and quits) even when an assertion fails */
	pid = fork_with_pipes(to_child, to_parent);
	if (pid == 0) {
		int fds[2] = {to_child[0], to_parent[1]};
		char *cc = NULL;
		int rc;

		rc = state_update(f->dir, wait_on_pipe, fds, &cc);
		free(cc);
		_exit(rc == 0 ? 0 : 1);
	}
	assert_int_equal(read(to_parent[0], &c, 1), 1);
	state_set_lock_timeout_ms(150);
	assert_int_equal(state_update(f->dir, put_one, "x", &cause), -1);
	/* the message names the holder, found in /proc/locks */
	want = xasprintf("state: %s/state.lock: busy (held by pid %ld (",
			 f->dir, (long)pid);
	assert_non_null(cause);
	assert_memory_equal(cause, want, strlen(want));
	assert_non_null(strstr(cause, "for more than 150 ms"));
	free(cause);
	cause = NULL;
	free(want);
	want = state_lock_holder(f->dir);
	assert_non_null(want);
	assert_true(strncmp(want, "pid ", 4) == 0);
	assert_int_equal(strtol(want + 4, NULL, 10), pid);
	free(want);
	/* a reader never waits: state.json is only replaced by rename */
	assert_int_equal(state_read(f->dir, &s, &cause), 0);
	state_free(s);
	s = NULL;
	assert_int_equal(write(to_child[1], "g", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(state_update(f->dir, put_one, "x", &cause), 0);
	close(to_child[1]);
	close(to_parent[0]);
}

/* ------------------------------------------------------------------ */
/* Per-bottle files and events.log */

static void test_bottle_file_is_written_in_a_private_dir(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL, *bdir = state_bottle_dir(f->dir, "web");
	char *path = xasprintf("%s/Smolfile", bdir);
	struct stat st;

	assert_int_equal(state_write_bottle_file(f->dir, "web", "Smolfile",
						 "image = \"x\"\n", 12, &cause),
			 0);
	assert_file_is(path, "image = \"x\"\n");
	assert_int_equal(stat(bdir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(
	    state_write_bottle_file(f->dir, "web", "../escape", "x", 1, &cause),
	    -1);
	assert_non_null(strstr(cause, "not a valid file name"));
	free(cause);
	free(path);
	free(bdir);
}

/* 1 when line is "YYYY-MM-DDTHH:MM:SS.mmmZ " + rest. */
static int has_stamp(const char *line, const char *rest)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ ";
	size_t i;

	for (i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == 'd' ? (line[i] < '0' || line[i] > '9')
				    : line[i] != shape[i])
			return 0;
	}
	return strcmp(line + i, rest) == 0;
}

static void test_events_are_stamped_single_lines(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/web/events.log", f->dir), *text, *nl;

	assert_int_equal(state_event(f->dir, "web", "step %s", "network"), 0);
	assert_int_equal(state_event(f->dir, "web", "%s",
				     "multi\nline\r\ttext \x1b[31mred\x7f\n"),
			 0);
	text = slurp(path);
	assert_non_null(text);
	nl = strchr(text, '\n');
	assert_non_null(nl);
	*nl = '\0';
	assert_true(has_stamp(text, "step network"));
	assert_true(has_stamp(nl + 1, "multi line  text  [31mred\n"));
	free(text);
	free(path);
}

static void test_events_log_rotates_past_one_mib(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/web/events.log", f->dir);
	char *old = xasprintf("%s.1", path);
	char chunk[4001];
	struct stat st;
	int i;

	memset(chunk, 'a', sizeof chunk - 1);
	chunk[sizeof chunk - 1] = '\0';
	for (i = 0; i < 300; i++)
		assert_int_equal(state_event(f->dir, "web", "%s", chunk), 0);
	assert_int_equal(stat(old, &st), 0);
	assert_true(st.st_size >= STATE_EVENTS_MAX);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size < STATE_EVENTS_MAX);
	assert_true(st.st_size > 0);
	free(old);
	free(path);
}

static void test_event_for_a_bad_name_fails(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(state_event(f->dir, "a/b", "x"), -1);
	assert_int_equal(state_event(f->dir, "", "x"), -1);
	assert_int_equal(count_entries(f->dir), 0);
}

/* state_update_wait: without a limit it waits as long as the lock is
 * held and then loses nothing; *cancel makes it give up. */
static void test_update_wait_unbounded_and_cancelled(void **state)
{
	struct fixture *f = *state;
	int to_child[2], to_parent[2], status;
	atomic_int cancel;
	char c, *cause = NULL;
	struct state *s = NULL;
	pid_t holder, waiter;

	holder = fork_with_pipes(to_child, to_parent);
	if (holder == 0) {
		int fds[2] = {to_child[0], to_parent[1]};
		char *cc = NULL;
		int rc = state_update(f->dir, wait_on_pipe, fds, &cc);
		free(cc);
		_exit(rc == 0 ? 0 : 1);
	}
	assert_int_equal(read(to_parent[0], &c, 1), 1);
	/* cancelled: gives up instead of waiting */
	atomic_init(&cancel, 1);
	assert_int_equal(
	    state_update_wait(f->dir, put_one, "x", 0, &cancel, &cause), -1);
	assert_non_null(strstr(cause, "gave up waiting"));
	free(cause);
	cause = NULL;
	/* unbounded: still waiting while the lock is held */
	waiter = fork();
	assert_true(waiter >= 0);
	if (waiter == 0) {
		char *cc = NULL;
		int rc =
		    state_update_wait(f->dir, put_one, "late", 0, NULL, &cc);
		free(cc);
		_exit(rc == 0 ? 0 : 1);
	}
	usleep(300 * 1000); /* let it wait; the check below holds anyway */
	assert_int_equal(waitpid(waiter, &status, WNOHANG), 0);
	assert_int_equal(write(to_child[1], "g", 1), 1);
	assert_int_equal(waitpid(holder, &status, 0), holder);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(waitpid(waiter, &status, 0), waiter);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(state_read(f->dir, &s, &cause), 0);
	assert_string_equal(state_find(s, "web")->step, "late");
	state_free(s);
	close(to_child[1]);
	close(to_parent[0]);
}

/* ------------------------------------------------------------------ */
/* Hardening: links, ownership and mode, size, what is read back */

static int put_web(struct state *s, void *data, char **cause)
{
	struct state_bottle *b = state_upsert(s, "web");

	(void)data;
	(void)cause;
	state_set_str(&b->subnet, "10.213.0.0/28");
	state_set_str(&b->bundle_ip, "10.213.0.2");
	return 0;
}

/* A file outside the state directory with known bytes; the caller frees
 * the path and unlinks it. */
static char *outside_file(const char *text)
{
	char *path = xstrdup("/tmp/test_state_target.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_symlinked_state_json_is_refused_target_untouched(void **state)
{
	struct fixture *f = *state;
	const char *orig = "{\"version\": 1, \"precious\": true}\n";
	char *target = outside_file(orig);
	char *link = xasprintf("%s/state.json", f->dir), *cause = NULL, *text;
	struct state *s = NULL;

	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(state_read(f->dir, &s, &cause), -1);
	assert_null(s);
	assert_non_null(strstr(cause, "state.json: is a symbolic link"));
	free(cause);
	cause = NULL;
	assert_int_equal(state_update(f->dir, put_web, NULL, &cause), -1);
	assert_non_null(strstr(cause, "state.json: is a symbolic link"));
	free(cause);
	text = slurp(target);
	assert_string_equal(text, orig);
	free(text);
	unlink(target);
	free(target);
	free(link);
}

static void test_symlinked_lock_is_refused_target_untouched(void **state)
{
	struct fixture *f = *state;
	const char *orig = "not a lock\n";
	char *target = outside_file(orig);
	char *link = xasprintf("%s/state.lock", f->dir), *cause = NULL, *text;
	char *dangling = xasprintf("%s.gone", target);
	struct state_lock *l = NULL;

	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(state_update(f->dir, put_web, NULL, &cause), -1);
	assert_non_null(strstr(cause, "state.lock: is a symbolic link"));
	free(cause);
	cause = NULL;
	text = slurp(target);
	assert_string_equal(text, orig);
	free(text);
	/* a dangling link is not followed to create its target either */
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink(dangling, link), 0);
	assert_int_equal(state_update(f->dir, put_web, NULL, &cause), -1);
	assert_non_null(strstr(cause, "is a symbolic link"));
	free(cause);
	cause = NULL;
	assert_int_equal(access(dangling, F_OK), -1);
	/* the per-bottle lock and events.log too */
	free(link);
	link = xasprintf("%s/web", f->dir);
	assert_int_equal(mkdir(link, 0700), 0);
	free(link);
	link = xasprintf("%s/web/lock", f->dir);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(state_bottle_lock(f->dir, "web", "up", &l, &cause),
			 -1);
	assert_null(l);
	assert_non_null(strstr(cause, "web/lock: is a symbolic link"));
	free(cause);
	assert_null(state_bottle_holder(f->dir, "web"));
	free(link);
	link = xasprintf("%s/web/events.log", f->dir);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(state_event(f->dir, "web", "hello"), -1);
	text = slurp(target);
	assert_string_equal(text, orig);
	free(text);
	unlink(target);
	free(target);
	free(dangling);
	free(link);
}

static void test_symlinked_bottle_dir_or_file_is_refused(void **state)
{
	struct fixture *f = *state;
	char *elsewhere = xstrdup("/tmp/test_state_dir.XXXXXX");
	char *link = xasprintf("%s/web", f->dir), *cause = NULL;
	char *in = NULL;

	assert_non_null(mkdtemp(elsewhere));
	assert_int_equal(symlink(elsewhere, link), 0);
	assert_int_equal(
	    state_write_bottle_file(f->dir, "web", "Smolfile", "x", 1, &cause),
	    -1);
	assert_non_null(strstr(cause, "is a symbolic link"));
	free(cause);
	cause = NULL;
	in = xasprintf("%s/Smolfile", elsewhere);
	assert_int_equal(access(in, F_OK), -1);
	/* a link in place of the Smolfile is refused, not replaced */
	assert_int_equal(unlink(link), 0);
	assert_int_equal(mkdir(link, 0700), 0);
	free(link);
	link = xasprintf("%s/web/Smolfile", f->dir);
	assert_int_equal(symlink(in, link), 0);
	assert_int_equal(
	    state_write_bottle_file(f->dir, "web", "Smolfile", "x", 1, &cause),
	    -1);
	assert_non_null(strstr(cause, "Smolfile: is a symbolic link"));
	free(cause);
	assert_int_equal(access(in, F_OK), -1);
	rmdir(elsewhere);
	free(in);
	free(elsewhere);
	free(link);
}

static void test_untrusted_state_dir_is_refused_saying_what_to_fix(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL, *want, *bdir;
	struct state *s = NULL;

	assert_int_equal(chmod(f->dir, 0770), 0);
	assert_int_equal(state_read(f->dir, &s, &cause), -1);
	want = xasprintf("state: %s: writable by group or others (mode 0770): "
			 "fix it with `chmod go-w %s`",
			 f->dir, f->dir);
	assert_memory_equal(cause, want, strlen(want));
	free(cause);
	cause = NULL;
	assert_int_equal(state_update(f->dir, put_web, NULL, &cause), -1);
	assert_memory_equal(cause, want, strlen(want));
	free(cause);
	cause = NULL;
	assert_int_equal(state_event(f->dir, "web", "x"), -1);
	free(want);
	assert_int_equal(chmod(f->dir, 0700), 0);
	assert_int_equal(state_update(f->dir, put_web, NULL, &cause), 0);
	/* a per-bottle directory too */
	bdir = xasprintf("%s/web", f->dir);
	assert_int_equal(mkdir(bdir, 0777), 0);
	assert_int_equal(chmod(bdir, 0777), 0);
	assert_int_equal(
	    state_write_bottle_file(f->dir, "web", "Smolfile", "x", 1, &cause),
	    -1);
	assert_non_null(strstr(cause, "web: writable by group or others"));
	free(cause);
	free(bdir);
	/* created afresh: 0700 */
	{
		char *fresh = xasprintf("%s/new/state", f->dir);
		struct stat st;
		assert_int_equal(state_update(fresh, put_web, NULL, &cause), 0);
		assert_int_equal(stat(fresh, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0700);
		free(fresh);
	}
}

static void test_oversized_state_json_is_refused(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/state.json", f->dir), *cause = NULL;
	struct state *s = NULL;
	int fd = open(path, O_WRONLY | O_CREAT, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, STATE_JSON_MAX + 1), 0);
	close(fd);
	assert_int_equal(state_read(f->dir, &s, &cause), -1);
	assert_non_null(strstr(cause, "state.json: larger than 16777216 "
				      "bytes"));
	free(cause);
	free(path);
}

static void check_addrs(const char *subnet, const char *ip, int ok)
{
	char *text = xasprintf("{\"version\": 1, \"bottles\": {\"web\": "
			       "{\"subnet\": \"%s\", \"bundle_ip\": \"%s\"}}}",
			       subnet, ip);
	struct state *s = NULL;
	char *cause = NULL;
	int rc = state_parse(text, strlen(text), "S/state.json", &s, &cause);

	if (ok) {
		assert_int_equal(rc, 0);
		assert_string_equal(state_find(s, "web")->bundle_ip, ip);
	} else {
		assert_int_equal(rc, -1);
		assert_null(s);
		assert_non_null(strstr(cause, "state: S/state.json: "
					      "bottles.web."));
		assert_non_null(strstr(cause, "fix or remove bottles.web"));
	}
	state_free(s);
	free(cause);
	free(text);
}

static void test_bundle_ip_must_be_a_host_of_its_subnet(void **state)
{
	(void)state;
	check_addrs("10.213.0.0/28", "10.213.0.2", 1);
	check_addrs("10.213.0.16/28", "10.213.0.30", 1);
	check_addrs("10.213.0.0/28", "1.1.1.1", 0);	  /* outside */
	check_addrs("10.213.0.0/28", "10.213.0.16", 0);	  /* next subnet */
	check_addrs("10.213.0.0/28", "10.213.0.0", 0);	  /* network */
	check_addrs("10.213.0.0/28", "10.213.0.15", 0);	  /* broadcast */
	check_addrs("10.213.0.0/28", "10.213.0.2/32", 0); /* not an address */
	check_addrs("10.213.0.0/28", "", 0);
	check_addrs("10.213.0.1/28", "10.213.0.2", 0); /* host bits */
	check_addrs("0.0.0.0/0", "10.213.0.2", 0);     /* not allocated */
	check_addrs("10.213.0.0/32", "10.213.0.0", 0);
	{
		/* a bundle_ip without a subnet is corrupt too */
		const char *t = "{\"version\": 1, \"bottles\": {\"web\": "
				"{\"bundle_ip\": \"10.213.0.2\"}}}";
		struct state *s = NULL;
		char *cause = NULL;
		assert_int_equal(state_parse(t, strlen(t), "S", &s, &cause),
				 -1);
		assert_non_null(strstr(cause, "bottles.web.subnet"));
		free(cause);
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_round_trip_keeps_every_field),
	    T(test_file_is_versioned_json_with_iso_time),
	    T(test_unknown_fields_are_ignored),
	    T(test_missing_file_and_directory_read_as_empty),
	    T(test_corrupt_file_is_an_error_naming_it_and_kept),
	    T(test_wrong_shapes_are_errors_naming_the_key),
	    T(test_upsert_set_and_remove),
	    T(test_aborted_update_writes_nothing),
	    T(test_atomic_write_replaces_content),
	    T(test_atomic_write_under_a_regular_file_fails_naming_it),
	    T(test_full_disk_keeps_old_content),
	    T(test_busy_bottle_names_the_holder),
	    T(test_killed_holder_leaves_no_stale_lock),
	    T(test_bottle_lock_refuses_path_names),
	    T(test_concurrent_updates_lose_nothing),
	    T(test_held_state_lock_times_out_as_busy),
	    T(test_bottle_file_is_written_in_a_private_dir),
	    T(test_events_are_stamped_single_lines),
	    T(test_events_log_rotates_past_one_mib),
	    T(test_event_for_a_bad_name_fails),
	    T(test_update_wait_unbounded_and_cancelled),
	    T(test_symlinked_state_json_is_refused_target_untouched),
	    T(test_symlinked_lock_is_refused_target_untouched),
	    T(test_symlinked_bottle_dir_or_file_is_refused),
	    T(test_untrusted_state_dir_is_refused_saying_what_to_fix),
	    T(test_oversized_state_json_is_refused),
	    T(test_bundle_ip_must_be_a_host_of_its_subnet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
