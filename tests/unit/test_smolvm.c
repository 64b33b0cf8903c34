/* test_smolvm.c: smolvm 0.8.x argv builders, JSON parsers, version check
 * and stderr classification, with the outputs smolvm-0.8.md describes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "smolvm.h"

/* `smolvm machine status --name bottle-web --json` of a running machine
 * (serde_json pretty print, as 0.8.0 prints it). */
static const char status_running[] =
    "{\n"
    "  \"name\": \"bottle-web\",\n"
    "  \"state\": \"running\",\n"
    "  \"cpus\": 2,\n"
    "  \"memory_mib\": 2048,\n"
    "  \"pid\": 41234,\n"
    "  \"mounts\": 1,\n"
    "  \"ports\": 0,\n"
    "  \"created_at\": 1764340000,\n"
    "  \"storage_gb\": 20,\n"
    "  \"overlay_gb\": 10,\n"
    "  \"image\": \"alpine:3.20\",\n"
    "  \"entrypoint\": [],\n"
    "  \"cmd\": [\n    \"sleep\",\n    \"infinity\"\n  ],\n"
    "  \"ephemeral\": false,\n"
    "  \"gpu\": false,\n"
    "  \"gpu_vram_mib\": null,\n"
    "  \"restart_policy\": \"never\",\n"
    "  \"restart_max_retries\": 0,\n"
    "  \"restart_count\": 0,\n"
    "  \"health_cmd\": null,\n"
    "  \"health_interval_secs\": null,\n"
    "  \"health_timeout_secs\": null,\n"
    "  \"health_retries\": null,\n"
    "  \"health_startup_grace_secs\": null,\n"
    "  \"network\": true\n"
    "}\n";

/* `smolvm machine ls --json` with a stopped and a created machine. */
static const char ls_two[] = "[\n"
			     "  {\n"
			     "    \"name\": \"bottle-api\",\n"
			     "    \"state\": \"stopped\",\n"
			     "    \"cpus\": 4,\n"
			     "    \"memory_mib\": 8192,\n"
			     "    \"pid\": null,\n"
			     "    \"mounts\": 0,\n"
			     "    \"ports\": 0,\n"
			     "    \"created_at\": 1764339000,\n"
			     "    \"image\": null,\n"
			     "    \"entrypoint\": [],\n"
			     "    \"cmd\": [],\n"
			     "    \"network\": false\n"
			     "  },\n"
			     "  {\n"
			     "    \"name\": \"scratch\",\n"
			     "    \"state\": \"created\",\n"
			     "    \"cpus\": 1,\n"
			     "    \"memory_mib\": 512,\n"
			     "    \"pid\": null,\n"
			     "    \"created_at\": 1764339500,\n"
			     "    \"image\": \"debian:12\",\n"
			     "    \"network\": true\n"
			     "  }\n"
			     "]\n";

/* Assert that argv is exactly the NULL-terminated words. */
static void assert_argv(const struct strv *argv, const char *const *words)
{
	size_t i;

	for (i = 0; words[i] != NULL; i++) {
		if (i >= argv->n)
			fail_msg("argv has %zu words, want more: %s", argv->n,
				 words[i]);
		assert_string_equal(argv->v[i], words[i]);
	}
	assert_int_equal(argv->n, i);
	assert_null(argv->v[argv->n]);
}

#define ASSERT_ARGV(call, ...)                                                 \
	do {                                                                   \
		struct strv a_ = call;                                         \
		const char *const w_[] = {__VA_ARGS__, NULL};                  \
		assert_argv(&a_, w_);                                          \
		strv_release(&a_);                                             \
	} while (0)

static void test_argv_builders_speak_0_8(void **state)
{
	const char *sv = "/usr/bin/smolvm";

	(void)state;
	ASSERT_ARGV(smolvm_argv_version(sv), sv, "--version");
	/* 0.8.x: NAME is positional for create and delete */
	ASSERT_ARGV(smolvm_argv_create(sv, "web", "/s/web/Smolfile"), sv,
		    "machine", "create", "bottle-web", "-s", "/s/web/Smolfile");
	ASSERT_ARGV(smolvm_argv_start(sv, "web"), sv, "machine", "start",
		    "--name", "bottle-web");
	ASSERT_ARGV(smolvm_argv_stop(sv, "web"), sv, "machine", "stop",
		    "--name", "bottle-web");
	ASSERT_ARGV(smolvm_argv_delete(sv, "web"), sv, "machine", "delete",
		    "bottle-web", "-f");
	ASSERT_ARGV(smolvm_argv_status(sv, "web"), sv, "machine", "status",
		    "--name", "bottle-web", "--json");
	ASSERT_ARGV(smolvm_argv_ls(sv), sv, "machine", "ls", "--json");
	ASSERT_ARGV(smolvm_argv_data_dir(sv, "web"), sv, "machine", "data-dir",
		    "bottle-web");
	ASSERT_ARGV(
	    smolvm_argv_pack_create(sv, "/s/web/Smolfile", "/s/packs/web"), sv,
	    "pack", "create", "-s", "/s/web/Smolfile", "-o", "/s/packs/web");
}

static void test_exec_puts_every_flag_before_the_separator(void **state)
{
	static const char *const cmd[] = {"sh", "-c", "exit 42", NULL};
	static const char *const dash[] = {"--", "-x", NULL};
	struct strv env = STRV_INIT;
	struct smolvm_exec_opts o;

	(void)state;
	memset(&o, 0, sizeof o);
	ASSERT_ARGV(smolvm_argv_exec("smolvm", "web", NULL, cmd), "smolvm",
		    "machine", "exec", "--name", "bottle-web", "--", "sh", "-c",
		    "exit 42");
	ASSERT_ARGV(smolvm_argv_exec("smolvm", "web", &o, dash), "smolvm",
		    "machine", "exec", "--name", "bottle-web", "--", "--",
		    "-x");
	strv_push(&env, "A=1");
	strv_push(&env, "B=two words");
	o.env = &env;
	o.workdir = "/workspace";
	o.timeout_s = 30;
	o.interactive = 1;
	o.tty = 1;
	o.stream = 1;
	ASSERT_ARGV(smolvm_argv_exec("sim", "web", &o, cmd), "sim", "machine",
		    "exec", "--name", "bottle-web", "-e", "A=1", "-e",
		    "B=two words", "-w", "/workspace", "--timeout", "30s", "-i",
		    "-t", "--stream", "--", "sh", "-c", "exit 42");
	strv_release(&env);
}

static void test_machine_names(void **state)
{
	char *m = smolvm_machine_name("web");

	(void)state;
	assert_string_equal(m, "bottle-web");
	assert_string_equal(smolvm_bottle_name(m), "web");
	free(m);
	assert_null(smolvm_bottle_name("bottle-"));
	assert_null(smolvm_bottle_name("scratch"));
	assert_null(smolvm_bottle_name(NULL));
}

static void test_version_parses_what_smolvm_prints(void **state)
{
	int a = -1, b = -1, c = -1;

	(void)state;
	assert_int_equal(smolvm_parse_version("smolvm 0.8.0\n", &a, &b, &c), 0);
	assert_int_equal(a, 0);
	assert_int_equal(b, 8);
	assert_int_equal(c, 0);
	assert_int_equal(
	    smolvm_parse_version("smolvm 1.12.345-rc1\n", &a, &b, &c), 0);
	assert_int_equal(b, 12);
	assert_int_equal(c, 345);
	assert_int_equal(smolvm_parse_version("  0.8.1", &a, &b, &c), 0);
	assert_int_equal(
	    smolvm_parse_version("smolvm v0.8.2 (abc)", &a, &b, &c), 0);
	assert_int_equal(c, 2);
	assert_int_equal(smolvm_parse_version("smolvm 0.8", &a, &b, &c), -1);
	assert_int_equal(smolvm_parse_version("smolvm0.8.0", &a, &b, &c), -1);
	assert_int_equal(smolvm_parse_version("smolvm 0.8.0x", &a, &b, &c), -1);
	assert_int_equal(smolvm_parse_version("smolvm 9999999.0.0", &a, &b, &c),
			 -1);
	assert_int_equal(smolvm_parse_version("", &a, &b, &c), -1);
}

static void expect_refusal(const char *text, const char *want)
{
	char *cause = NULL;

	assert_int_equal(smolvm_version_check(text, &cause), -1);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
}

static void test_version_check_accepts_only_0_8(void **state)
{
	char *cause = NULL;

	(void)state;
	assert_int_equal(smolvm_version_check("smolvm 0.8.0\n", &cause), 0);
	assert_int_equal(smolvm_version_check("smolvm 0.8.7\n", &cause), 0);
	assert_null(cause);
	expect_refusal("smolvm 1.1.0\n",
		       "smolvm 1.1.0 is not supported: bottle speaks smolvm "
		       "0.8.x (its create takes -n/--name from 1.1.0)");
	expect_refusal("smolvm 0.9.0\n",
		       "smolvm 0.9.0 is not supported: bottle speaks smolvm "
		       "0.8.x (other versions change the flags and output it "
		       "relies on)");
	expect_refusal("smolvm 0.7.3",
		       "smolvm 0.7.3 is not supported: bottle speaks smolvm "
		       "0.8.x (other versions change the flags and output it "
		       "relies on)");
	expect_refusal("\n bash: smolvm:\x1b[31m not found\nmore",
		       "smolvm --version printed \"bash: smolvm: [31m not "
		       "found\": not a version bottle understands (it speaks "
		       "smolvm 0.8.x)");
}

static void test_status_reads_a_running_machine(void **state)
{
	struct smolvm_machine m;
	char *cause = NULL;

	(void)state;
	assert_int_equal(smolvm_parse_status(status_running,
					     strlen(status_running), &m,
					     &cause),
			 0);
	assert_string_equal(m.name, "bottle-web");
	assert_string_equal(m.state, "running");
	assert_int_equal(m.pid, 41234);
	assert_int_equal(m.cpus, 2);
	assert_int_equal(m.memory_mib, 2048);
	assert_int_equal(m.network, 1);
	assert_int_equal(m.created_at, 1764340000);
	assert_string_equal(m.image, "alpine:3.20");
	smolvm_machine_release(&m);
	assert_null(m.name);
}

static void test_ls_reads_every_machine(void **state)
{
	struct smolvm_machine *m = NULL;
	size_t n = 0;
	char *cause = NULL;

	(void)state;
	assert_int_equal(
	    smolvm_parse_ls(ls_two, strlen(ls_two), &m, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_string_equal(m[0].name, "bottle-api");
	assert_string_equal(m[0].state, "stopped");
	assert_int_equal(m[0].pid, 0);
	assert_null(m[0].image);
	assert_int_equal(m[0].network, 0);
	assert_int_equal(m[0].memory_mib, 8192);
	assert_string_equal(m[1].name, "scratch");
	assert_string_equal(m[1].image, "debian:12");
	assert_int_equal(m[1].created_at, 1764339500);
	smolvm_machines_free(m, n);
	assert_int_equal(smolvm_parse_ls("[]\n", 3, &m, &n, &cause), 0);
	assert_int_equal(n, 0);
	smolvm_machines_free(m, n);
}

static void test_wrong_types_and_huge_numbers_read_as_absent(void **state)
{
	static const char text[] =
	    "{\"name\":\"bottle-x\",\"state\":\"failed\",\"pid\":1e300,"
	    "\"cpus\":\"2\",\"memory_mib\":-5,\"created_at\":1.5,"
	    "\"image\":7,\"network\":\"yes\"}";
	static const char big[] =
	    "{\"name\":\"b\",\"state\":\"running\",\"pid\":2147483648,"
	    "\"cpus\":2147483647,\"created_at\":9007199254740993e3}";
	struct smolvm_machine m;
	char *cause = NULL;

	(void)state;
	assert_int_equal(smolvm_parse_status(text, strlen(text), &m, &cause),
			 0);
	assert_string_equal(m.state, "failed");
	assert_int_equal(m.pid, 0);
	assert_int_equal(m.cpus, 0);
	assert_int_equal(m.memory_mib, 0);
	assert_int_equal(m.created_at, 0);
	assert_null(m.image);
	assert_int_equal(m.network, 0);
	smolvm_machine_release(&m);
	assert_int_equal(smolvm_parse_status(big, strlen(big), &m, &cause), 0);
	assert_int_equal(m.pid, 0);
	assert_int_equal(m.cpus, 2147483647);
	assert_int_equal(m.created_at, 0);
	smolvm_machine_release(&m);
}

static void expect_ls_error(const char *text, const char *want)
{
	struct smolvm_machine *m = NULL;
	size_t n = 9;
	char *cause = NULL;

	assert_int_equal(smolvm_parse_ls(text, strlen(text), &m, &n, &cause),
			 -1);
	assert_null(m);
	assert_int_equal(n, 0);
	assert_string_equal(cause, want);
	free(cause);
}

static void test_malformed_output_is_an_error(void **state)
{
	struct smolvm_machine m;
	char *cause = NULL;

	(void)state;
	expect_ls_error("{}", "smolvm machine ls: expected a JSON array");
	expect_ls_error("Error: something\n",
			"smolvm machine ls: expected a JSON array");
	expect_ls_error("[{\"name\":\"a\",\"state\":\"running\"},3]",
			"smolvm machine ls: item 2: expected a JSON object");
	expect_ls_error("[{\"state\":\"running\"}]",
			"smolvm machine ls: item 1: machine without a \"name\" "
			"string");
	expect_ls_error(
	    "[{\"name\":\"a\",\"state\":null}]",
	    "smolvm machine ls: item 1: machine without a \"state\" "
	    "string");
	assert_int_equal(smolvm_parse_status("", 0, &m, &cause), -1);
	assert_string_equal(cause, "smolvm machine status: not valid JSON");
	free(cause);
	assert_int_equal(smolvm_parse_status("[]", 2, &m, &cause), -1);
	assert_string_equal(cause,
			    "smolvm machine status: expected a JSON object");
	free(cause);
	assert_null(m.name);
}

static void test_classify_the_documented_errors(void **state)
{
	static const struct {
		const char *text;
		enum smolvm_error want;
	} cases[] = {
	    {"Error: config operation failed: create machine: machine "
	     "'bottle-web' already exists\n",
	     SMOLVM_ERR_ALREADY_EXISTS},
	    {"Error: vm not found: bottle-web\n", SMOLVM_ERR_NOT_FOUND},
	    {"Error: config operation failed: machine status: machine "
	     "'bottle-web' not found\n",
	     SMOLVM_ERR_NOT_FOUND},
	    {"Error: agent operation failed: connect: machine 'bottle-web' "
	     "is not running. Start it with: smolvm machine start --name "
	     "bottle-web\n",
	     SMOLVM_ERR_NOT_RUNNING},
	    {"Error: boot failed: agent did not become ready within 30 "
	     "seconds\n",
	     SMOLVM_ERR_AGENT_TIMEOUT},
	    {"error: unexpected argument '-n' found\n", SMOLVM_ERR_OTHER},
	    {"", SMOLVM_ERR_OTHER},
	};
	size_t i;

	(void)state;
	for (i = 0; i < UTIL_NELEM(cases); i++) {
		enum smolvm_error got = smolvm_classify(cases[i].text);
		if (got != cases[i].want)
			fail_msg("case %zu: got %s, want %s", i,
				 smolvm_error_name(got),
				 smolvm_error_name(cases[i].want));
	}
	assert_int_equal(smolvm_classify(NULL), SMOLVM_ERR_OTHER);
}

static void test_own_error_is_an_Error_line(void **state)
{
	(void)state;
	assert_true(smolvm_is_own_error("Error: vm not found: bottle-web\n"));
	assert_true(smolvm_is_own_error("warning: x\nError: agent operation "
					"failed\n"));
	/* the guest's own output that merely mentions an error */
	assert_false(smolvm_is_own_error("grep: Error: no such file\n"));
	assert_false(smolvm_is_own_error("error: usage\n"));
	assert_false(smolvm_is_own_error("Error:no space\n"));
	assert_false(smolvm_is_own_error(""));
	assert_false(smolvm_is_own_error(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_argv_builders_speak_0_8),
	    cmocka_unit_test(test_exec_puts_every_flag_before_the_separator),
	    cmocka_unit_test(test_machine_names),
	    cmocka_unit_test(test_version_parses_what_smolvm_prints),
	    cmocka_unit_test(test_version_check_accepts_only_0_8),
	    cmocka_unit_test(test_status_reads_a_running_machine),
	    cmocka_unit_test(test_ls_reads_every_machine),
	    cmocka_unit_test(test_wrong_types_and_huge_numbers_read_as_absent),
	    cmocka_unit_test(test_malformed_output_is_an_error),
	    cmocka_unit_test(test_classify_the_documented_errors),
	    cmocka_unit_test(test_own_error_is_an_Error_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
