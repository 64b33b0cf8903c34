/* test_docker.c: docker argv builders, output parsers and stderr
 * classification, against output captured from this machine's docker
 * (client 28.2.2 and 20.10.24, engine 20.10.24) and, when an engine is
 * reachable, against the engine itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "docker.h"
#include "paths.h"

#include "argv-assert.h"

/* docker 28.2.2 client, dockerd 20.10.24: ps -a --no-trunc --filter
 * label=dev.bottle.managed=1 --format {{json .}} */
static const char ps_docker28[] =
    "{\"Command\":\"\\\"/bin/busybox sh -c 'exit 3'\\\"\",\"CreatedAt\":\""
    "2026-11-28 16:11:32 +0000 UTC\",\"ID\":\"fa0222c302b2f2cc825f36d63dc"
    "51f085e329b38d416d63dbdc14e27f5d13a0e\",\"Image\":\"statedocker-test"
    ":1\",\"Labels\":\"dev.bottle.managed=1,dev.bottle.name=sdtest-5170-e"
    "\",\"LocalVolumes\":\"0\",\"Mounts\":\"\",\"Names\":\"bottle-sdtest-"
    "5170-exited\",\"Networks\":\"bridge\",\"Platform\":null,\"Ports\":\""
    "\",\"RunningFor\":\"19 seconds ago\",\"Size\":\"0B (virtual 1.98MB)\""
    ",\"State\":\"exited\",\"Status\":\"Exited (3) 18 seconds ago\"}\n"
    "{\"Command\":\"\\\"/bin/busybox true\\\"\",\"CreatedAt\":\"2026-11-2"
    "8 16:11:32 +0000 UTC\",\"ID\":\"b5444d42f954ed27811cd407b71f309785c7"
    "8d491b96b6ca84e1d633cad8dd9e\",\"Image\":\"statedocker-test:1\",\"La"
    "bels\":\"dev.bottle.managed=1,dev.bottle.name=sdtest-5170-c\",\"Loca"
    "lVolumes\":\"0\",\"Mounts\":\"\",\"Names\":\"bottle-sdtest-5170-crea"
    "ted\",\"Networks\":\"bridge\",\"Platform\":null,\"Ports\":\"\",\"Run"
    "ningFor\":\"19 seconds ago\",\"Size\":\"0B (virtual 1.98MB)\",\"Stat"
    "e\":\"created\",\"Status\":\"Created\"}\n"
    "{\"Command\":\"\\\"/bin/busybox sleep 3600\\\"\",\"CreatedAt\":\"202"
    "6-11-28 16:11:32 +0000 UTC\",\"ID\":\"ef62e9c9e64d75716cfa87d84faecc"
    "18914d25dfa7b6d37fb511489ef0af9692\",\"Image\":\"statedocker-test:1\""
    ",\"Labels\":\"dev.bottle.managed=1,dev.bottle.name=sdtest-5170\",\"L"
    "ocalVolumes\":\"0\",\"Mounts\":\"\",\"Names\":\"bottle-sdtest-5170-b"
    "undle\",\"Networks\":\"bottle-sdtest-5170\",\"Platform\":null,\"Port"
    "s\":\"\",\"RunningFor\":\"19 seconds ago\",\"Size\":\"0B (virtual 1."
    "98MB)\",\"State\":\"running\",\"Status\":\"Up 18 seconds\"}\n";

/* the same from the docker 20.10.24 client (no "Platform") */
static const char ps_docker20[] =
    "{\"Command\":\"\\\"/bin/busybox sleep 3600\\\"\",\"CreatedAt\":\"202"
    "6-11-28 16:11:32 +0000 UTC\",\"ID\":\"ef62e9c9e64d75716cfa87d84faecc"
    "18914d25dfa7b6d37fb511489ef0af9692\",\"Image\":\"statedocker-test:1\""
    ",\"Labels\":\"dev.bottle.managed=1,dev.bottle.name=sdtest-5170\",\"L"
    "ocalVolumes\":\"0\",\"Mounts\":\"\",\"Names\":\"bottle-sdtest-5170-b"
    "undle\",\"Networks\":\"bottle-sdtest-5170\",\"Ports\":\"\",\"Running"
    "For\":\"19 seconds ago\",\"Size\":\"0B (virtual 1.98MB)\",\"State\":"
    "\"running\",\"Status\":\"Up 18 seconds\"}\n";

/* docker network ls --no-trunc --format {{json .}} */
static const char netls_all[] =
    "{\"CreatedAt\":\"2026-11-28 16:11:31.941241282 +0000 UTC\",\"Driver\""
    ":\"bridge\",\"ID\":\"53307bdc4a3aef2929922468588755e954f02b9b70824bf"
    "6116b0df491fb7bc1\",\"IPv4\":\"false\",\"IPv6\":\"false\",\"Internal"
    "\":\"false\",\"Labels\":\"dev.bottle.name=sdtest-5170,dev.bottle.man"
    "aged=1\",\"Name\":\"bottle-sdtest-5170\",\"Scope\":\"local\"}\n"
    "{\"CreatedAt\":\"2026-11-28 16:04:36.686627002 +0000 UTC\",\"Driver\""
    ":\"bridge\",\"ID\":\"740fed572128f0b9dc623b1272bf1ec7a855acba2e25225"
    "95614fd998d31d10e\",\"IPv4\":\"false\",\"IPv6\":\"false\",\"Internal"
    "\":\"false\",\"Labels\":\"\",\"Name\":\"bridge\",\"Scope\":\"local\""
    "}\n"
    "{\"CreatedAt\":\"2026-11-28 16:04:36.668690693 +0000 UTC\",\"Driver\""
    ":\"host\",\"ID\":\"ffced081096c6e671258349bd443bcb504165c16eda5510e3"
    "7094b2c77390965\",\"IPv4\":\"false\",\"IPv6\":\"false\",\"Internal\""
    ":\"false\",\"Labels\":\"\",\"Name\":\"host\",\"Scope\":\"local\"}\n"
    "{\"CreatedAt\":\"2026-11-28 16:04:36.657656577 +0000 UTC\",\"Driver\""
    ":\"null\",\"ID\":\"5fb0808679e4f8c65fcde55d4b053f6e38d801e02f49be708"
    "2e5e8188776cc53\",\"IPv4\":\"false\",\"IPv6\":\"false\",\"Internal\""
    ":\"false\",\"Labels\":\"\",\"Name\":\"none\",\"Scope\":\"local\"}\n";

/* docker version --format {{json .}} (client 28.2.2, engine 20.10.24) */
static const char version_ok[] =
    "{\"Client\":{\"Version\":\"28.2.2\",\"ApiVersion\":\"1.41\",\"Defaul"
    "tAPIVersion\":\"1.50\",\"GitCommit\":\"e6534b4\",\"GoVersion\":\"go1"
    ".24.3\",\"Os\":\"linux\",\"Arch\":\"amd64\",\"BuildTime\":\"Fri May "
    "30 12:07:14 2025\",\"Context\":\"default\"},\"Server\":{\"Platform\""
    ":{\"Name\":\"\"},\"Components\":[{\"Name\":\"Engine\",\"Version\":\""
    "20.10.24+dfsg1\",\"Details\":{\"ApiVersion\":\"1.41\",\"Arch\":\"amd"
    "64\",\"BuildTime\":\"Thu May  7 21:09:36 2026\",\"Experimental\":\"f"
    "alse\",\"GitCommit\":\"5d6db84\",\"GoVersion\":\"go1.19.8\",\"Kernel"
    "Version\":\"6.18.44-fc-v669\",\"MinAPIVersion\":\"1.12\",\"Os\":\"li"
    "nux\"}},{\"Name\":\"containerd\",\"Version\":\"1.6.20~ds1\",\"Detail"
    "s\":{\"GitCommit\":\"1.6.20~ds1-1+deb12u3\"}},{\"Name\":\"runc\",\"V"
    "ersion\":\"1.1.5+ds1\",\"Details\":{\"GitCommit\":\"1.1.5+ds1-1+deb1"
    "2u1\"}},{\"Name\":\"docker-init\",\"Version\":\"0.19.0\",\"Details\""
    ":{\"GitCommit\":\"\"}}],\"Version\":\"20.10.24+dfsg1\",\"ApiVersion\""
    ":\"1.41\",\"MinAPIVersion\":\"1.12\",\"GitCommit\":\"5d6db84\",\"GoV"
    "ersion\":\"go1.19.8\",\"Os\":\"linux\",\"Arch\":\"amd64\",\"KernelVe"
    "rsion\":\"6.18.44-fc-v669\",\"BuildTime\":\"2026-05-07T21:09:36.0000"
    "00000+00:00\"}}\n";

static int setup(void **state)
{
	unsetenv("BOTTLE_DOCKER");
	return 0;
}

static void test_argv_builders_produce_exact_words(void **state)
{
	struct strv ids = STRV_INIT;

	ASSERT_ARGV(docker_argv_version(), "docker", "version", "--format",
		    "{{json .}}");
	ASSERT_ARGV(
	    docker_argv_network_create("web", "10.213.0.0/28", "10.213.0.1"),
	    "docker", "network", "create", "--driver", "bridge", "--subnet",
	    "10.213.0.0/28", "--gateway", "10.213.0.1", "--label",
	    "dev.bottle.managed=1", "--label", "dev.bottle.name=web",
	    "bottle-web");
	ASSERT_ARGV(docker_argv_network_rm("web"), "docker", "network", "rm",
		    "bottle-web");
	ASSERT_ARGV(docker_argv_bundle_rm("web"), "docker", "rm", "-f",
		    "bottle-web-bundle");
	ASSERT_ARGV(docker_argv_ps(), "docker", "ps", "-a", "--no-trunc",
		    "--filter", "label=dev.bottle.managed=1", "--format",
		    "{{json .}}");
	ASSERT_ARGV(docker_argv_network_ls_managed(), "docker", "network", "ls",
		    "--no-trunc", "--filter", "label=dev.bottle.managed=1",
		    "--format", "{{json .}}");
	ASSERT_ARGV(docker_argv_network_ids(), "docker", "network", "ls", "-q",
		    "--no-trunc");
	strv_push(&ids, "aaa");
	strv_push(&ids, "bbb");
	ASSERT_ARGV(docker_argv_network_inspect_ipam(&ids), "docker", "network",
		    "inspect", "--format", "{{json .IPAM.Config}}", "aaa",
		    "bbb");
	strv_release(&ids);
	ASSERT_ARGV(docker_argv_network_inspect("web"), "docker", "network",
		    "inspect", "--format", "{{json .IPAM.Config}}",
		    "bottle-web");
	ASSERT_ARGV(docker_argv_bundle_state("web"), "docker", "inspect",
		    "--format", "{{.State.Status}} (exit {{.State.ExitCode}})",
		    "bottle-web-bundle");
}

static void test_logs_argv_follows_and_tails(void **state)
{
	ASSERT_ARGV(docker_argv_logs("web", 1, NULL, 200), "docker", "logs",
		    "-f", "--timestamps", "--tail", "200", "bottle-web-bundle");
	ASSERT_ARGV(docker_argv_logs("web", 0, NULL, -1), "docker", "logs",
		    "--timestamps", "--tail", "all", "bottle-web-bundle");
	ASSERT_ARGV(docker_argv_logs("web", 1, "1700000000.250", 10000),
		    "docker", "logs", "-f", "--timestamps", "--since",
		    "1700000000.250", "--tail", "10000", "bottle-web-bundle");
}

static void test_bundle_run_pins_ip_labels_and_env(void **state)
{
	struct strv env = STRV_INIT;

	strv_push(&env, "BOTTLE_PIPELOCK_LISTEN=0.0.0.0:8888");
	strv_push(&env, "BOTTLE_EGRESS_LISTEN=127.0.0.1:9099");
	ASSERT_ARGV(docker_argv_bundle_run("web", "bundle:1", "10.213.0.2",
					   &env, "/s/web/bundle.env"),
		    "docker", "run", "-d", "--name", "bottle-web-bundle",
		    "--network", "bottle-web", "--ip", "10.213.0.2", "--label",
		    "dev.bottle.managed=1", "--label", "dev.bottle.name=web",
		    "--restart", "no", "--env-file", "/s/web/bundle.env", "-e",
		    "BOTTLE_PIPELOCK_LISTEN=0.0.0.0:8888", "-e",
		    "BOTTLE_EGRESS_LISTEN=127.0.0.1:9099", "bundle:1");
	ASSERT_ARGV(docker_argv_bundle_run("a", "i", "10.0.0.2", NULL, NULL),
		    "docker", "run", "-d", "--name", "bottle-a-bundle",
		    "--network", "bottle-a", "--ip", "10.0.0.2", "--label",
		    "dev.bottle.managed=1", "--label", "dev.bottle.name=a",
		    "--restart", "no", "i");
	strv_release(&env);
}

static void test_docker_binary_comes_from_the_environment(void **state)
{
	setenv("BOTTLE_DOCKER", "/opt/bin/docker", 1);
	ASSERT_ARGV(docker_argv_network_rm("x"), "/opt/bin/docker", "network",
		    "rm", "bottle-x");
	setenv("BOTTLE_DOCKER", "", 1);
	ASSERT_ARGV(docker_argv_network_rm("x"), "docker", "network", "rm",
		    "bottle-x");
	unsetenv("BOTTLE_DOCKER");
}

static void test_object_names(void **state)
{
	char *n = docker_network_name("web"), *c = docker_container_name("web");

	assert_string_equal(n, "bottle-web");
	assert_string_equal(c, "bottle-web-bundle");
	free(n);
	free(c);
}

static void test_bundle_env_is_the_bind_knob(void **state)
{
	struct config_service svc[] = {
	    {"egress", "127.0.0.1", 9099, 0, NULL},
	    {"git-gate", "0.0.0.0", 9418, 1, NULL},
	    {"pipelock", "0.0.0.0", 8888, 1, "/health"},
	};
	struct config_bottle b;
	struct strv env = STRV_INIT;

	memset(&b, 0, sizeof b);
	b.name = "web";
	b.bundle.services = svc;
	b.bundle.n_services = UTIL_NELEM(svc);
	strv_push(&env, "KEEP=1");
	docker_bundle_env(&b, &env);
	assert_int_equal(env.n, 4);
	assert_string_equal(env.v[0], "KEEP=1");
	assert_string_equal(env.v[1], "BOTTLE_EGRESS_LISTEN=127.0.0.1:9099");
	assert_string_equal(env.v[2], "BOTTLE_GIT_GATE_LISTEN=0.0.0.0:9418");
	assert_string_equal(env.v[3], "BOTTLE_PIPELOCK_LISTEN=0.0.0.0:8888");
	strv_release(&env);
}

/* ------------------------------------------------------------------ */
/* The bundle's env file */

/* A secret that no message may quote. */
#define SECRET "s3cr3t-do-not-show"

/* entry is refused, and the message names want (and not the secret). */
static void assert_entry_refused(const char *entry, size_t len,
				 const char *want)
{
	char *cause = NULL;

	if (docker_env_entry_check(entry, len, &cause) == 0)
		fail_msg("accepted: %.*s", (int)(len > 60 ? 60 : len), entry);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", cause, want);
	assert_null(strstr(cause, SECRET));
	free(cause);
}

static void test_env_file_text_is_what_docker_reads(void **state)
{
	struct strv env = STRV_INIT;
	struct buf out = BUF_INIT;
	char *cause = NULL;

	/* docker keeps a value literally after the first '=': quotes, '#',
	 * '=', leading blanks, a CR inside, tabs, UTF-8, empty */
	strv_push(&env, "A=" SECRET);
	strv_push(&env, "B=\"quoted\" 'x' # not a comment");
	strv_push(&env, "C==x=y");
	strv_push(&env, "D=  leading blanks and trailing  ");
	strv_push(&env, "E=tab\there\rcr \xc3\xa9 \xf0\x9f\x8d\xbe");
	strv_push(&env, "_F1=");
	assert_int_equal(docker_env_file_text(&env, &out, &cause), 0);
	assert_null(cause);
	assert_string_equal(
	    out.data,
	    "# bottle: the bundle's environment for docker run --env-file; "
	    "removed once the container is created\n"
	    "A=" SECRET "\n"
	    "B=\"quoted\" 'x' # not a comment\n"
	    "C==x=y\n"
	    "D=  leading blanks and trailing  \n"
	    "E=tab\there\rcr \xc3\xa9 \xf0\x9f\x8d\xbe\n"
	    "_F1=\n");
	buf_release(&out);

	/* one bad entry: nothing is appended to what out held */
	buf_adds(&out, "kept");
	strv_push(&env, "G=" SECRET "\nH=injected");
	assert_int_equal(docker_env_file_text(&env, &out, &cause), -1);
	assert_string_equal(out.data, "kept");
	assert_int_equal(out.len, 4);
	assert_non_null(strstr(cause, "bundle.env.G: "));
	assert_null(strstr(cause, SECRET));
	free(cause);
	buf_release(&out);
	strv_release(&env);
}

static void test_env_entry_check_refuses_what_docker_would_change(void **state)
{
	static const char nul[] = "K=" SECRET "\0tail";
	char *longline;
	size_t n = DOCKER_ENV_FILE_LINE_MAX;

	assert_entry_refused("K=" SECRET "\n", strlen("K=" SECRET "\n"),
			     "bundle.env.K: the value cannot contain a "
			     "newline");
	assert_entry_refused("K=a\nB=" SECRET, strlen("K=a\nB=" SECRET),
			     "newline");
	assert_entry_refused(nul, sizeof nul - 1,
			     "bundle.env.K: "
			     "the value cannot contain "
			     "a NUL byte");
	assert_entry_refused("K=" SECRET "\r", strlen("K=" SECRET "\r"),
			     "bundle.env.K: the value cannot end with a "
			     "carriage return");
	/* invalid UTF-8: a stray byte, an overlong '/', a surrogate */
	assert_entry_refused("K=" SECRET "\xff", strlen("K=" SECRET "\xff"),
			     "bundle.env.K: the value is not valid UTF-8");
	assert_entry_refused("K=\xc0\xaf", 4, "not valid UTF-8");
	assert_entry_refused("K=\xed\xa0\x80", 5, "not valid UTF-8");
	/* names docker would trim, split or misread, and no name at all */
	assert_entry_refused("1K=" SECRET, strlen("1K=" SECRET),
			     "not a valid environment variable name");
	assert_entry_refused(" K=" SECRET, strlen(" K=" SECRET),
			     "not a valid environment variable name");
	assert_entry_refused("K Y=" SECRET, strlen("K Y=" SECRET),
			     "not a valid environment variable name");
	assert_entry_refused("K-Y=" SECRET, strlen("K-Y=" SECRET),
			     "not a valid environment variable name");
	assert_entry_refused("#K=" SECRET, strlen("#K=" SECRET),
			     "not a valid environment variable name");
	assert_entry_refused("=" SECRET, strlen("=" SECRET),
			     "not a valid environment variable name");
	assert_entry_refused(SECRET, strlen(SECRET),
			     "not a valid environment variable name");
	assert_entry_refused("", 0, "not a valid environment variable name");
	/* the longest line docker reads passes, one byte more does not */
	longline = xmalloc(n + 2);
	memset(longline, 'x', n + 1);
	memcpy(longline, "K=", 2);
	longline[n + 1] = '\0';
	assert_int_equal(docker_env_entry_check(longline, n, NULL), 0);
	assert_entry_refused(longline, n + 1,
			     "bundle.env.K: the value is too "
			     "long");
	free(longline);
	/* accepted: a CR inside, UTF-8, an empty value */
	assert_int_equal(docker_env_entry_check("K=a\rb", 5, NULL), 0);
	assert_int_equal(docker_env_entry_check("K=\xc3\xa9", 4, NULL), 0);
	assert_int_equal(docker_env_entry_check("K=", 2, NULL), 0);
}

/* A fresh temporary directory (caller removes it). */
static char *env_tmpdir(void)
{
	char *t = xstrdup("/tmp/test_docker.envXXXXXX");

	if (mkdtemp(t) == NULL)
		fail_msg("mkdtemp: %s", strerror(errno));
	return t;
}

/* The content of path (caller frees), or NULL. */
static char *env_slurp(const char *path)
{
	char *out = NULL, *cause = NULL;
	size_t len = 0;

	if (util_read_file(path, &out, &len, &cause) != 0) {
		free(cause);
		return NULL;
	}
	return out;
}

static void test_env_file_is_0600_in_the_bottle_dir(void **state)
{
	struct strv env = STRV_INIT;
	struct buf want = BUF_INIT;
	char *tmp = env_tmpdir(), *dir, *path = NULL, *cause = NULL, *got;
	struct stat st;
	mode_t old = umask(0);

	dir = xasprintf("%s/web", tmp);
	strv_push(&env, "TOKEN=" SECRET);
	strv_push(&env, "OTHER=x y");
	/* the bottle's directory is made 0700 when missing; the file is
	 * 0600 even under umask 0 */
	assert_int_equal(docker_env_file_write(dir, &env, &path, &cause), 0);
	umask(old);
	assert_null(cause);
	assert_non_null(path);
	assert_string_equal(path + strlen(dir), "/bundle.env");
	assert_int_equal(lstat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(docker_env_file_text(&env, &want, NULL), 0);
	got = env_slurp(path);
	assert_non_null(got);
	assert_string_equal(got, want.data);
	free(got);
	free(path);

	/* a file left by a crash is replaced */
	assert_int_equal(docker_env_file_write(dir, &env, &path, &cause), 0);
	got = env_slurp(path);
	assert_string_equal(got, want.data);
	free(got);

	/* removed; removing it again is not an error */
	assert_int_equal(docker_env_file_remove(dir, &cause), 0);
	assert_int_not_equal(lstat(path, &st), 0);
	assert_int_equal(docker_env_file_remove(dir, &cause), 0);
	assert_null(cause);
	free(path);

	/* an empty env: no file, and a leftover one is removed */
	assert_int_equal(docker_env_file_write(dir, &env, &path, &cause), 0);
	free(path);
	{
		struct strv none = STRV_INIT;
		assert_int_equal(
		    docker_env_file_write(dir, &none, &path, &cause), 0);
		assert_null(path);
		got = xasprintf("%s/bundle.env", dir);
		assert_int_not_equal(lstat(got, &st), 0);
		free(got);
	}

	buf_release(&want);
	strv_release(&env);
	rmdir(dir);
	rmdir(tmp);
	free(dir);
	free(tmp);
}

static void test_env_file_refusals_write_nothing(void **state)
{
	struct strv env = STRV_INIT, bad = STRV_INIT;
	char *tmp = env_tmpdir(), *dir, *path = NULL, *cause = NULL, *p, *got;
	char *target, *link;
	struct stat st;
	int fd;

	dir = xasprintf("%s/web", tmp);
	p = xasprintf("%s/bundle.env", dir);
	strv_push(&env, "TOKEN=" SECRET);
	strv_push(&bad, "TOKEN=" SECRET);
	strv_push(&bad, "EVIL=x\nBOTTLE_PIPELOCK_LISTEN=0.0.0.0:1");

	/* a refused entry: no file (a leftover one is gone too), no path,
	 * and the message names the key, not the secret */
	assert_int_equal(docker_env_file_write(dir, &env, &path, &cause), 0);
	free(path);
	assert_int_equal(docker_env_file_write(dir, &bad, &path, &cause), -1);
	assert_null(path);
	assert_non_null(strstr(cause, "bundle.env.EVIL: "));
	assert_null(strstr(cause, SECRET));
	free(cause);
	cause = NULL;
	assert_int_not_equal(lstat(p, &st), 0);

	/* a symlink planted at the file's name is removed, not followed */
	target = xasprintf("%s/target", tmp);
	fd = open(target, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "untouched", 9), 9);
	close(fd);
	assert_int_equal(symlink(target, p), 0);
	assert_int_equal(docker_env_file_write(dir, &env, &path, &cause), 0);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	got = env_slurp(target);
	assert_string_equal(got, "untouched");
	free(got);
	free(path);
	assert_int_equal(docker_env_file_remove(dir, &cause), 0);

	/* the bottle directory must be ours and private: not a symlink, not
	 * group- or world-writable */
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(docker_env_file_write(dir, &env, &path, &cause), -1);
	assert_non_null(strstr(cause, "writable only by it"));
	free(cause);
	cause = NULL;
	assert_int_not_equal(lstat(p, &st), 0);
	assert_int_equal(chmod(dir, 0700), 0);
	link = xasprintf("%s/link", tmp);
	assert_int_equal(symlink(dir, link), 0);
	assert_int_equal(docker_env_file_write(link, &env, &path, &cause), -1);
	assert_non_null(strstr(cause, "not a directory"));
	free(cause);
	assert_null(path);
	assert_int_not_equal(lstat(p, &st), 0);

	unlink(link);
	unlink(target);
	rmdir(dir);
	rmdir(tmp);
	free(link);
	free(target);
	free(p);
	free(dir);
	free(tmp);
	strv_release(&bad);
	strv_release(&env);
}

/* docker_argv_redact of the NULL-terminated in is exactly want. */
static void assert_redacted(const char *const *in, const char *const *want)
{
	struct strv got = docker_argv_redact(in);

	assert_argv(&got, want);
	strv_release(&got);
}

static void test_redact_hides_env_values(void **state)
{
	const char *const run_in[] = {"docker",
				      "run",
				      "-d",
				      "--env-file",
				      "/s/web/bundle.env",
				      "-e",
				      "BOTTLE_PIPELOCK_LISTEN=0.0.0.0:8888",
				      "-e",
				      "TOKEN=" SECRET,
				      "--env",
				      "K2=" SECRET,
				      "--env=K3=" SECRET,
				      "-eK4=" SECRET,
				      "-e",
				      "BOTTLE_X_LISTEN=" SECRET,
				      "-e",
				      "FROM_HOST",
				      "img",
				      NULL};
	const char *const run_want[] = {"docker",
					"run",
					"-d",
					"--env-file",
					"/s/web/bundle.env",
					"-e",
					"BOTTLE_PIPELOCK_LISTEN=0.0.0.0:8888",
					"-e",
					"TOKEN=***",
					"--env",
					"K2=***",
					"--env=K3=***",
					"-eK4=***",
					"-e",
					"BOTTLE_X_LISTEN=***",
					"-e",
					"FROM_HOST",
					"img",
					NULL};
	/* smolvm exec: its -e values are hidden too; the command after
	 * "--" is the user's own and is shown as typed */
	const char *const exec_in[] = {
	    "smolvm", "machine",	 "exec", "--name", "bottle-web",
	    "-e",     "API_KEY=" SECRET, "--",	 "grep",   "-e",
	    "A=b",    "--env=x",	 NULL};
	const char *const exec_want[] = {
	    "smolvm", "machine",     "exec", "--name", "bottle-web",
	    "-e",     "API_KEY=***", "--",   "grep",   "-e",
	    "A=b",    "--env=x",     NULL};
	const char *const tail_in[] = {"docker", "x", "-e", NULL};
	const char *const empty[] = {NULL};
	struct strv none;

	assert_redacted(run_in, run_want);
	assert_redacted(exec_in, exec_want);
	assert_redacted(tail_in, tail_in);
	none = docker_argv_redact(empty);
	assert_int_equal(none.n, 0);
	assert_null(none.v[0]);
	strv_release(&none);
	/* what bottle runs for a bundle shows no secret */
	{
		struct strv env = STRV_INIT, a, shown;
		char *line;

		strv_push(&env, "BOTTLE_EGRESS_LISTEN=127.0.0.1:9099");
		a = docker_argv_bundle_run("web", "b:1", "10.0.0.2", &env,
					   "/s/web/bundle.env");
		shown = docker_argv_redact((const char *const *)a.v);
		line = util_argv_display((const char *const *)shown.v);
		assert_string_equal(
		    line, "docker run -d --name bottle-web-bundle --network "
			  "bottle-web --ip 10.0.0.2 --label "
			  "dev.bottle.managed=1 --label dev.bottle.name=web "
			  "--restart no --env-file /s/web/bundle.env -e "
			  "BOTTLE_EGRESS_LISTEN=127.0.0.1:9099 b:1");
		free(line);
		strv_release(&shown);
		strv_release(&a);
		strv_release(&env);
	}
}

/* ------------------------------------------------------------------ */
/* Parsers */

static void test_parse_ps_reads_real_docker28_output(void **state)
{
	struct docker_container *c = NULL;
	size_t n = 0;
	char *cause = NULL;

	assert_int_equal(
	    docker_parse_ps(ps_docker28, strlen(ps_docker28), &c, &n, &cause),
	    0);
	assert_int_equal(n, 3);
	assert_string_equal(c[0].id, "fa0222c302b2f2cc825f36d63dc51f085e329b38d"
				     "416d63dbdc14e27f5d13a0e");
	assert_string_equal(c[0].names, "bottle-sdtest-5170-exited");
	assert_string_equal(c[0].state, "exited");
	assert_string_equal(c[0].status, "Exited (3) 18 seconds ago");
	assert_int_equal(c[0].exit_code, 3);
	assert_string_equal(c[0].bottle, "sdtest-5170-e");
	assert_string_equal(c[1].state, "created");
	assert_int_equal(c[1].exit_code, -1);
	assert_string_equal(c[2].names, "bottle-sdtest-5170-bundle");
	assert_string_equal(c[2].image, "statedocker-test:1");
	assert_string_equal(c[2].state, "running");
	assert_int_equal(c[2].managed, 1);
	assert_string_equal(c[2].bottle, "sdtest-5170");
	assert_int_equal(c[2].labels.n, 2);
	assert_int_equal(c[2].networks.n, 1);
	assert_string_equal(c[2].networks.v[0], "bottle-sdtest-5170");
	docker_containers_free(c, n);
}

static void test_parse_ps_reads_real_docker20_output(void **state)
{
	struct docker_container *c = NULL;
	size_t n = 0;
	char *cause = NULL;

	assert_int_equal(
	    docker_parse_ps(ps_docker20, strlen(ps_docker20), &c, &n, &cause),
	    0);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].state, "running");
	assert_string_equal(c[0].status, "Up 18 seconds");
	assert_string_equal(c[0].bottle, "sdtest-5170");
	docker_containers_free(c, n);
}

static void test_parse_ps_derives_state_from_status(void **state)
{
	static const char text[] =
	    "{\"ID\":\"a\",\"Names\":\"x\",\"Status\":\"Up 2 minutes "
	    "(Paused)\"}\n"
	    "{\"ID\":\"b\",\"Names\":\"y\",\"Status\":\"Exited (137) 5 "
	    "hours ago\",\"State\":\"\"}\n"
	    "{\"ID\":\"c\",\"Names\":\"z,alias\",\"Status\":\"Restarting "
	    "(1) 3 seconds ago\",\"Networks\":\"n1,n2\"}\n";
	struct docker_container *c = NULL;
	size_t n = 0;
	char *cause = NULL;

	assert_int_equal(docker_parse_ps(text, strlen(text), &c, &n, &cause),
			 0);
	assert_int_equal(n, 3);
	assert_string_equal(c[0].state, "paused");
	assert_string_equal(c[1].state, "exited");
	assert_int_equal(c[1].exit_code, 137);
	assert_string_equal(c[2].state, "restarting");
	assert_int_equal(c[2].networks.n, 2);
	assert_string_equal(c[2].networks.v[1], "n2");
	assert_null(c[2].bottle);
	assert_int_equal(c[2].managed, 0);
	docker_containers_free(c, n);
}

static void test_parse_ps_tolerates_wrong_types(void **state)
{
	static const char text[] =
	    "{\"ID\":\"a\",\"Names\":5,\"Labels\":{\"x\":1},\"Networks\":"
	    "[1],\"State\":7,\"Status\":null,\"Image\":false}\r\n";
	struct docker_container *c = NULL;
	size_t n = 0;
	char *cause = NULL;

	assert_int_equal(docker_parse_ps(text, strlen(text), &c, &n, &cause),
			 0);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].names, "");
	assert_string_equal(c[0].state, "unknown");
	assert_null(c[0].status);
	assert_null(c[0].image);
	assert_int_equal(c[0].labels.n, 0);
	assert_int_equal(c[0].networks.n, 0);
	assert_null(c[0].bottle);
	docker_containers_free(c, n);
}

static void expect_ps_error(const char *text, const char *want)
{
	struct docker_container *c = NULL;
	size_t n = 7;
	char *cause = NULL;

	assert_int_equal(docker_parse_ps(text, strlen(text), &c, &n, &cause),
			 -1);
	assert_null(c);
	assert_int_equal(n, 0);
	if (strstr(cause, want) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, want);
	free(cause);
}

static void test_parse_ps_rejects_what_is_not_docker_output(void **state)
{
	struct docker_container *c = NULL;
	size_t n = 7;
	char *cause = NULL;

	assert_int_equal(docker_parse_ps("\n \n\t\n", 5, &c, &n, &cause), 0);
	assert_int_equal(n, 0);
	docker_containers_free(c, n);
	assert_int_equal(docker_parse_ps("", 0, &c, &n, &cause), 0);
	assert_int_equal(n, 0);
	docker_containers_free(c, n);
	expect_ps_error("{\"ID\":\"a\"}\nWARNING: something\n",
			"docker ps: line 2: expected a JSON object");
	expect_ps_error("[{\"ID\":\"a\"}]\n", "line 1");
	expect_ps_error("{\"ID\":\"a\"}\n{\"Names\":\"b\"}\n",
			"docker ps: container 2 has no ID");
	expect_ps_error("{\"ID\":\"\"}", "has no ID");
}

static void test_parse_networks_reads_real_output(void **state)
{
	struct docker_network *nw = NULL;
	size_t n = 0;
	char *cause = NULL;

	assert_int_equal(docker_parse_networks(netls_all, strlen(netls_all),
					       &nw, &n, &cause),
			 0);
	assert_int_equal(n, 4);
	assert_string_equal(nw[0].id, "53307bdc4a3aef2929922468588755e954f02b9b"
				      "70824bf6116b0df491fb7bc1");
	assert_string_equal(nw[0].name, "bottle-sdtest-5170");
	assert_string_equal(nw[0].driver, "bridge");
	/* docker printed the labels in the other order here */
	assert_string_equal(nw[0].bottle, "sdtest-5170");
	assert_int_equal(nw[0].managed, 1);
	assert_string_equal(nw[1].name, "bridge");
	assert_null(nw[1].bottle);
	assert_int_equal(nw[1].managed, 0);
	assert_int_equal(nw[1].labels.n, 0);
	assert_string_equal(nw[3].driver, "null");
	docker_networks_free(nw, n);
	assert_int_equal(
	    docker_parse_networks("{\"ID\":\"x\"}", 10, &nw, &n, &cause), -1);
	assert_non_null(strstr(cause, "network 1 has no ID or Name"));
	free(cause);
}

static void test_parse_version_reads_the_engine_version(void **state)
{
	static const char down[] =
	    "{\"Client\":{\"Version\":\"28.2.2\"},\"Server\":null}\n";
	char *v = NULL, *cause = NULL;

	assert_int_equal(
	    docker_parse_version(version_ok, strlen(version_ok), &v, &cause),
	    0);
	assert_string_equal(v, "20.10.24+dfsg1");
	free(v);
	assert_int_equal(docker_parse_version(down, strlen(down), &v, &cause),
			 -1);
	assert_null(v);
	assert_string_equal(cause, "docker version: no answer from the docker "
				   "engine");
	free(cause);
	assert_int_equal(docker_parse_version("{\"Server\":{\"Version\":3}}",
					      25, &v, &cause),
			 -1);
	free(cause);
	assert_int_equal(docker_parse_version("garbage", 7, &v, &cause), -1);
	assert_string_equal(cause, "docker version: expected a JSON object");
	free(cause);
}

static void test_labels_keep_commas_inside_values(void **state)
{
	struct strv l = STRV_INIT;

	docker_parse_labels("a=1,b=x,y,c=3", &l);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[1], "b=x,y");
	assert_string_equal(docker_label(&l, "c"), "3");
	assert_string_equal(docker_label(&l, "b"), "x,y");
	assert_null(docker_label(&l, "x"));
	assert_null(docker_label(&l, "")); /* no key "" */
	strv_release(&l);
	docker_parse_labels("", &l);
	assert_int_equal(l.n, 0);
	docker_parse_labels(",,k=,", &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(docker_label(&l, "k"), "");
	/* a second call never merges into the first call's labels */
	docker_parse_labels("tail", &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[1], "tail");
	strv_release(&l);
}

static void test_classify_real_stderr(void **state)
{
	static const struct {
		const char *text;
		enum docker_error want;
	} cases[] = {
	    /* docker 28.2.2 / 20.10.24 clients against a missing engine */
	    {"Cannot connect to the Docker daemon at "
	     "unix:///tmp/nonexistent.sock. Is the docker daemon running?\n",
	     DOCKER_ERR_UNREACHABLE},
	    {"permission denied while trying to connect to the Docker "
	     "daemon socket at unix:///var/run/docker.sock: Get ...",
	     DOCKER_ERR_UNREACHABLE},
	    {"Error response from daemon: network nonexistent-xyz-5170 not "
	     "found\nexit status 1\n",
	     DOCKER_ERR_NOT_FOUND},
	    {"Error: No such network: nonexistent-xyz\n", DOCKER_ERR_NOT_FOUND},
	    {"Error response from daemon: No such container: "
	     "nonexistent-xyz-5170\n",
	     DOCKER_ERR_NOT_FOUND},
	    {"Error: No such container: nonexistent-xyz\n",
	     DOCKER_ERR_NOT_FOUND},
	    {"docker: Error response from daemon: network "
	     "nonexistent-net-xyz not found\n\nRun 'docker run --help' for "
	     "more information\n",
	     DOCKER_ERR_NOT_FOUND},
	    {"Error response from daemon: network with name "
	     "bottle-sdtest-5170 already exists\n",
	     DOCKER_ERR_EXISTS},
	    {"docker: Error response from daemon: Conflict. The container "
	     "name \"/bottle-sdtest-5170-bundle\" is already in use by "
	     "container \"ef62e9c9e64d\". You have to remove (or rename) "
	     "that container to be able to reuse that name.\n",
	     DOCKER_ERR_EXISTS},
	    {"Unable to find image 'nonexistent-image-xyz:latest' locally\n"
	     "docker: Error response from daemon: Get "
	     "\"https://registry-1.docker.io/v2/\": dial tcp: lookup "
	     "registry-1.docker.io on 10.255.255.53:53: no such host\n",
	     DOCKER_ERR_IMAGE},
	    {"docker: Error response from daemon: No such image: "
	     "nonexistent-image-xyz:latest\n",
	     DOCKER_ERR_IMAGE},
	    {"Error response from daemon: no such image: "
	     "nonexistent-image-xyz:latest: No such image: "
	     "nonexistent-image-xyz:latest\n",
	     DOCKER_ERR_IMAGE},
	    {"Error response from daemon: pull access denied for x, "
	     "repository does not exist or may require 'docker login'\n",
	     DOCKER_ERR_IMAGE},
	    {"Error response from daemon: Pool overlaps with other one on "
	     "this address space\n",
	     DOCKER_ERR_SUBNET},
	    {"docker: Error response from daemon: Address already in use.\n",
	     DOCKER_ERR_SUBNET},
	    {"no matching subnet for gateway 10.251.0.1\n", DOCKER_ERR_SUBNET},
	    {"docker: Error response from daemon: Invalid address "
	     "10.250.99.2: It does not belong to any of this network's "
	     "subnets.\n",
	     DOCKER_ERR_SUBNET},
	    {"Error response from daemon: error while removing network: "
	     "network bottle-sdtest-5170 id 53307bdc has active endpoints\n",
	     DOCKER_ERR_IN_USE},
	    {"docker: Error response from daemon: failed to create shim: "
	     "OCI runtime create failed: exec: \"nope\": executable file "
	     "not found in $PATH: unknown.\n",
	     DOCKER_ERR_OTHER},
	    {"", DOCKER_ERR_OTHER},
	    {"something else entirely", DOCKER_ERR_OTHER},
	};
	size_t i;

	for (i = 0; i < UTIL_NELEM(cases); i++) {
		enum docker_error got = docker_classify(cases[i].text);
		if (got != cases[i].want)
			fail_msg("case %zu: got %s, want %s: %s", i,
				 docker_error_name(got),
				 docker_error_name(cases[i].want),
				 cases[i].text);
	}
	assert_int_equal(docker_classify(NULL), DOCKER_ERR_OTHER);
	assert_string_equal(docker_error_name(DOCKER_ERR_UNREACHABLE),
			    "unreachable");
}

/* ------------------------------------------------------------------ */
/* Against the real engine (left out when none is reachable). */

struct run {
	int status; /* exit status, or -1 when killed */
	char *out;  /* owned */
	char *err;  /* owned */
};

static char *read_fd_all(int fd)
{
	struct buf b = BUF_INIT;
	char tmp[4096];
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, tmp, sizeof tmp)) > 0)
		buf_add(&b, tmp, (size_t)n);
	close(fd);
	return buf_detach(&b);
}

/* Run argv to completion (60 s at most), capturing both streams. */
static void run_argv(char *const *argv, struct run *r)
{
	char outp[] = "/tmp/test_docker.out.XXXXXX";
	char errp[] = "/tmp/test_docker.err.XXXXXX";
	int out = mkstemp(outp), err = mkstemp(errp), status;
	pid_t pid;

	assert_true(out >= 0 && err >= 0);
	unlink(outp);
	unlink(errp);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(out, 1);
		dup2(err, 2);
		alarm(60);
		execvp(argv[0], argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r->out = read_fd_all(out);
	r->err = read_fd_all(err);
}

/* Build with call, run, and free the argv. */
#define RUN(call, r)                                                           \
	do {                                                                   \
		struct strv a_ = call;                                         \
		run_argv(a_.v, r);                                             \
		strv_release(&a_);                                             \
	} while (0)

static struct strv image_inspect_argv(const char *image)
{
	struct strv v = STRV_INIT;

	strv_push(&v, paths_docker());
	strv_pushv(
	    &v,
	    (const char *const[]){"image", "inspect", "--format", "{{.Id}}"},
	    4);
	strv_push(&v, image);
	return v;
}

static void run_release(struct run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof *r);
}

static char *run_plain(const char *a0, const char *a1, const char *a2,
		       const char *a3, const char *a4)
{
	char *argv[] = {(char *)a0, (char *)a1, (char *)a2,
			(char *)a3, (char *)a4, NULL};
	struct run r;

	run_argv(argv, &r);
	free(r.err);
	return r.out;
}

struct live {
	char name[32];	/* bottle name */
	char image[64]; /* throwaway image */
	char dir[64];	/* a private temporary directory (mkdtemp) */
	char tar[96];	/* its rootfs tarball, in dir */
	char root[96];	/* its rootfs, in dir */
};

static int live_setup(void **state)
{
	struct live *l = xcalloc(1, sizeof *l);

	unsetenv("BOTTLE_DOCKER");
	snprintf(l->name, sizeof l->name, "utdk%ld", (long)getpid());
	snprintf(l->image, sizeof l->image, "bottle-unit-docker:%ld",
		 (long)getpid());
	snprintf(l->dir, sizeof l->dir, "/tmp/test_docker.XXXXXX");
	assert_non_null(mkdtemp(l->dir));
	snprintf(l->tar, sizeof l->tar, "%s/rootfs.tar", l->dir);
	snprintf(l->root, sizeof l->root, "%s/root", l->dir);
	*state = l;
	return 0;
}

static int live_teardown(void **state)
{
	struct live *l = *state;
	struct run r;
	char *bin;

	RUN(docker_argv_bundle_rm(l->name), &r);
	run_release(&r);
	RUN(docker_argv_network_rm(l->name), &r);
	run_release(&r);
	free(run_plain("docker", "image", "rm", "-f", l->image));
	bin = xasprintf("%s/bin/busybox", l->root);
	unlink(bin);
	free(bin);
	bin = xasprintf("%s/bin", l->root);
	rmdir(bin);
	free(bin);
	rmdir(l->root);
	unlink(l->tar);
	rmdir(l->dir);
	free(l);
	return 0;
}

/* A one-file image running "busybox sleep 3600": docker import of a
 * tarball of the host's static busybox. 0, or -1 when that is missing. */
static int live_make_image(struct live *l)
{
	char *dir = xasprintf("%s/bin", l->root);
	char cmd[] = "CMD [\"/bin/busybox\",\"sleep\",\"3600\"]";
	char *argv[] = {"docker", "import", "-c", cmd, l->tar, l->image, NULL};
	char *cp[] = {"cp", "/bin/busybox", dir, NULL};
	char *tar[] = {"tar", "-C", l->root, "-cf", l->tar, ".", NULL};
	struct run r;
	int rc = -1;

	if (access("/bin/busybox", X_OK) != 0)
		goto out;
	mkdir(l->root, 0700);
	mkdir(dir, 0700);
	run_argv(cp, &r);
	rc = r.status;
	run_release(&r);
	if (rc == 0) {
		run_argv(tar, &r);
		rc = r.status;
		run_release(&r);
	}
	if (rc == 0) {
		run_argv(argv, &r);
		rc = r.status;
		run_release(&r);
	}
out:
	free(dir);
	return rc == 0 ? 0 : -1;
}

/* Create bottle-NAME on a free /28, trying a few candidates. */
static char *live_network_create(struct live *l, int *third_out)
{
	struct run r;
	int i;

	for (i = 0; i < 32; i++) {
		int third = (int)((getpid() + i * 7) % 256);
		char *subnet = xasprintf("10.251.%d.0/28", third);
		char *gw = xasprintf("10.251.%d.1", third);
		RUN(docker_argv_network_create(l->name, subnet, gw), &r);
		free(gw);
		if (r.status == 0) {
			run_release(&r);
			*third_out = third;
			return subnet;
		}
		free(subnet);
		if (docker_classify(r.err) != DOCKER_ERR_SUBNET)
			fail_msg("network create: %s", r.err);
		run_release(&r);
	}
	fail_msg("no free 10.251.x.0/28 subnet");
	return NULL;
}

static void test_live_network_argv_and_parsers_agree_with_docker(void **state)
{
	struct live *l = *state;
	struct docker_network *nw = NULL;
	struct strv ids = STRV_INIT;
	char *subnet, *gw, *cause = NULL, *v = NULL;
	size_t n = 0, i;
	struct run r;
	int found = 0, third;

	RUN(docker_argv_version(), &r);
	assert_int_equal(docker_parse_version(r.out, strlen(r.out), &v, &cause),
			 0);
	assert_true(strlen(v) > 0);
	free(v);
	run_release(&r);

	subnet = live_network_create(l, &third);
	gw = xasprintf("10.251.%d.1", third);
	RUN(docker_argv_network_create(l->name, subnet, gw), &r);
	free(gw);
	assert_int_not_equal(r.status, 0);
	assert_int_equal(docker_classify(r.err), DOCKER_ERR_EXISTS);
	run_release(&r);

	RUN(docker_argv_network_ls_managed(), &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(
	    docker_parse_networks(r.out, strlen(r.out), &nw, &n, &cause), 0);
	for (i = 0; i < n; i++) {
		if (util_streq(nw[i].bottle, l->name)) {
			found = 1;
			assert_int_equal(nw[i].managed, 1);
			assert_string_equal(nw[i].driver, "bridge");
			strv_push(&ids, nw[i].id);
		}
	}
	assert_true(found);
	docker_networks_free(nw, n);
	run_release(&r);

	RUN(docker_argv_network_ids(), &r);
	assert_non_null(strstr(r.out, ids.v[0]));
	run_release(&r);
	RUN(docker_argv_network_inspect_ipam(&ids), &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, subnet));
	run_release(&r);
	strv_release(&ids);

	RUN(docker_argv_network_rm(l->name), &r);
	assert_int_equal(r.status, 0);
	run_release(&r);
	RUN(docker_argv_network_rm(l->name), &r);
	assert_int_not_equal(r.status, 0);
	assert_int_equal(docker_classify(r.err), DOCKER_ERR_NOT_FOUND);
	run_release(&r);
	free(subnet);
}

static void test_live_missing_things_classify(void **state)
{
	struct live *l = *state;
	struct run r;

	/* docker 28 exits 0 for rm -f of nothing, 20.10 exits 1: both say */
	RUN(docker_argv_bundle_rm(l->name), &r);
	assert_int_equal(docker_classify(r.err), DOCKER_ERR_NOT_FOUND);
	run_release(&r);
	RUN(docker_argv_logs(l->name, 0, NULL, 10), &r);
	assert_int_not_equal(r.status, 0);
	assert_int_equal(docker_classify(r.err), DOCKER_ERR_NOT_FOUND);
	run_release(&r);
	/* not a command bottle runs (no builder in docker.c): it keeps
	 * the classifier checked against docker's own missing-image words */
	RUN(image_inspect_argv("bottle-unit-no-such-image:0"), &r);
	assert_int_not_equal(r.status, 0);
	assert_int_equal(docker_classify(r.err), DOCKER_ERR_IMAGE);
	run_release(&r);
}

static void test_live_bundle_runs_pinned_and_labelled(void **state)
{
	struct live *l = *state;
	struct docker_container *c = NULL;
	struct strv env = STRV_INIT, secret = STRV_INIT;
	char *subnet, *ip, *cause = NULL, *got, *netname, *cname;
	char *envdir, *envfile = NULL;
	size_t n = 0, i;
	struct run r;
	int found = 0, third;

	if (live_make_image(l) != 0)
		fail_msg("cannot build a busybox image with docker import");
	subnet = live_network_create(l, &third);
	ip = xasprintf("10.251.%d.2", third);
	netname = docker_network_name(l->name);
	cname = docker_container_name(l->name);
	strv_push(&env, "BOTTLE_PIPELOCK_LISTEN=0.0.0.0:8888");
	/* bundle.env's values reach the container through the env file */
	strv_push(&secret, "TOKEN=" SECRET);
	strv_push(&secret, "ODD= '\"#x=y\r\t\xc3\xa9 ");
	envdir = xstrdup("/tmp/test_docker.env.XXXXXX");
	assert_non_null(mkdtemp(envdir));
	assert_int_equal(
	    docker_env_file_write(envdir, &secret, &envfile, &cause), 0);
	{
		struct strv a = docker_argv_bundle_run(l->name, l->image, ip,
						       &env, envfile);
		for (i = 0; i < a.n; i++)
			assert_null(strstr(a.v[i], SECRET));
		strv_release(&a);
	}
	RUN(docker_argv_bundle_run(l->name, l->image, ip, &env, envfile), &r);
	assert_int_equal(docker_env_file_remove(envdir, &cause), 0);
	rmdir(envdir);
	free(envdir);
	free(envfile);
	if (r.status != 0)
		fail_msg("docker run: %s", r.err);
	run_release(&r);
	strv_release(&env);
	strv_release(&secret);

	RUN(docker_argv_ps(), &r);
	assert_int_equal(docker_parse_ps(r.out, strlen(r.out), &c, &n, &cause),
			 0);
	for (i = 0; i < n; i++) {
		if (!util_streq(c[i].bottle, l->name))
			continue;
		found = 1;
		assert_int_equal(c[i].managed, 1);
		assert_string_equal(c[i].state, "running");
		assert_string_equal(c[i].image, l->image);
		assert_int_equal(c[i].networks.n, 1);
		assert_string_equal(c[i].networks.v[0], netname);
	}
	docker_containers_free(c, n);
	run_release(&r);
	assert_true(found);

	/* the pinned address and the knob, as docker recorded them */
	got = run_plain("docker", "inspect", "--format",
			"{{range .NetworkSettings.Networks}}{{.IPAddress}}"
			"{{end}} {{range .Config.Env}}{{.}};{{end}}",
			cname);
	assert_true(strncmp(got, ip, strlen(ip)) == 0);
	assert_int_equal(got[strlen(ip)], ' ');
	assert_non_null(strstr(got, "BOTTLE_PIPELOCK_LISTEN=0.0.0.0:8888;"));
	/* each whole: after the address's ' ' or the previous ';' */
	assert_true(strstr(got, " TOKEN=" SECRET ";") != NULL ||
		    strstr(got, ";TOKEN=" SECRET ";") != NULL);
	assert_true(strstr(got, " ODD= '\"#x=y\r\t\xc3\xa9 ;") != NULL ||
		    strstr(got, ";ODD= '\"#x=y\r\t\xc3\xa9 ;") != NULL);
	free(got);

	RUN(docker_argv_logs(l->name, 0, NULL, 5), &r);
	assert_int_equal(r.status, 0);
	run_release(&r);
	RUN(docker_argv_network_rm(l->name), &r);
	assert_int_equal(docker_classify(r.err), DOCKER_ERR_IN_USE);
	run_release(&r);
	RUN(docker_argv_bundle_rm(l->name), &r);
	assert_int_equal(r.status, 0);
	run_release(&r);
	RUN(docker_argv_network_rm(l->name), &r);
	assert_int_equal(r.status, 0);
	run_release(&r);
	free(cname);
	free(netname);
	free(ip);
	free(subnet);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, NULL)
#define LIVE(fn) cmocka_unit_test_setup_teardown(fn, live_setup, live_teardown)

/* 1 when `docker version` reaches an engine. */
static int docker_reachable(void)
{
	struct strv v = docker_argv_version();
	struct run r;
	int ok;

	unsetenv("BOTTLE_DOCKER");
	run_argv(v.v, &r);
	ok = r.status == 0;
	run_release(&r);
	strv_release(&v);
	return ok;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_argv_builders_produce_exact_words),
	    T(test_logs_argv_follows_and_tails),
	    T(test_bundle_run_pins_ip_labels_and_env),
	    T(test_docker_binary_comes_from_the_environment),
	    T(test_object_names),
	    T(test_bundle_env_is_the_bind_knob),
	    T(test_env_file_text_is_what_docker_reads),
	    T(test_env_entry_check_refuses_what_docker_would_change),
	    T(test_env_file_is_0600_in_the_bottle_dir),
	    T(test_env_file_refusals_write_nothing),
	    T(test_redact_hides_env_values),
	    T(test_parse_ps_reads_real_docker28_output),
	    T(test_parse_ps_reads_real_docker20_output),
	    T(test_parse_ps_derives_state_from_status),
	    T(test_parse_ps_tolerates_wrong_types),
	    T(test_parse_ps_rejects_what_is_not_docker_output),
	    T(test_parse_networks_reads_real_output),
	    T(test_parse_version_reads_the_engine_version),
	    T(test_labels_keep_commas_inside_values),
	    T(test_classify_real_stderr),
	};
	const struct CMUnitTest live[] = {
	    LIVE(test_live_network_argv_and_parsers_agree_with_docker),
	    LIVE(test_live_missing_things_classify),
	    LIVE(test_live_bundle_runs_pinned_and_labelled),
	};
	int rc = cmocka_run_group_tests_name("docker", tests, NULL, NULL);

	/* cmocka reports a skip as "not ok ... # SKIP": leave the live
	 * group out instead when there is no engine. */
	if (!docker_reachable()) {
		printf("# no docker engine reachable: live tests not run\n");
		return rc;
	}
	return rc |
	       cmocka_run_group_tests_name("docker-live", live, NULL, NULL);
}
