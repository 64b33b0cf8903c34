/* test_smolfile.c: the Smolfile emitter and its strict checker.
 *
 * Also a driver for tests/integration/smolfile_toml.sh:
 *   test_smolfile --emit < FIELDS
 * reads NUL-separated NAME, VALUE pairs (names: image entrypoint cmd env
 * workdir volume cpus memory bundle_ip proxy_port helper_dir; the array
 * ones repeat) and prints the Smolfile, or the cause on stderr and exit 1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "smolfile.h"
#include "util.h"

/* A typical vm: the caller releases it with smolfile_vm_release. */
static void vm_typical(struct config_vm *vm)
{
	memset(vm, 0, sizeof *vm);
	vm->image = xstrdup("ghcr.io/acme/agent:1.2");
	strv_push(&vm->cmd, "claude");
	strv_push(&vm->cmd, "--yes");
	strv_push(&vm->env, "LANG=C.UTF-8");
	strv_push(&vm->env, "TERM=xterm-256color");
	vm->workdir = xstrdup("/workspace");
	vm->cpus = 2;
	vm->memory_mib = 2048;
	strv_push(&vm->volumes, "/home/me/src:/workspace");
}

/* A minimal vm: image, cpus and memory only. */
static void vm_minimal(struct config_vm *vm, const char *image)
{
	memset(vm, 0, sizeof *vm);
	vm->image = xstrdup(image);
	vm->cpus = 1;
	vm->memory_mib = 512;
}

/* Render; on failure fail the test with the cause. Caller frees. */
static char *render_ok(const struct config_vm *vm, int port, const char *helper)
{
	struct smolfile_in in = {vm, "10.213.0.2", port, helper};
	char *out = NULL, *cause = NULL;

	if (smolfile_render(&in, &out, &cause) < 0) {
		print_error("unexpected failure: %s\n", cause);
		free(cause);
		fail();
	}
	return out;
}

/* Render expecting failure; returns the cause (caller frees). */
static char *render_err(const struct config_vm *vm, const char *ip, int port,
			const char *helper)
{
	struct smolfile_in in = {vm, ip, port, helper};
	char *out = NULL, *cause = NULL;

	if (smolfile_render(&in, &out, &cause) == 0) {
		print_error("unexpected success:\n%s", out);
		free(out);
		fail();
	}
	assert_non_null(cause);
	assert_null(out);
	return cause;
}

static size_t count_lines(const char *text, const char *prefix)
{
	size_t n = 0, plen = strlen(prefix);
	const char *p = text;

	while (*p != '\0') {
		if (strncmp(p, prefix, plen) == 0)
			n++;
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		p++;
	}
	return n;
}

/* The output passes the checker and has one [network] and one
 * allow_cidrs line. */
static void assert_safe(const char *text)
{
	char *cause = NULL;

	if (smolfile_check(text, strlen(text), "10.213.0.2", NULL, &cause) <
	    0) {
		print_error("check failed: %s\n%s", cause, text);
		free(cause);
		fail();
	}
	assert_int_equal(count_lines(text, "[network]"), 1);
	assert_int_equal(count_lines(text, "allow_cidrs"), 1);
	assert_int_equal(count_lines(text, "ports"), 0);
	assert_int_equal(count_lines(text, "net "), 0);
	assert_int_equal(count_lines(text, "allow_hosts"), 0);
}

static void test_renders_typical_config_exactly(void **state)
{
	struct config_vm vm;
	char *out;

	vm_typical(&vm);
	out = render_ok(&vm, 8888, NULL);
	assert_string_equal(out,
			    "image = \"ghcr.io/acme/agent:1.2\"\n"
			    "cmd = [\"claude\", \"--yes\"]\n"
			    "env = [\"HTTPS_PROXY=http://10.213.0.2:8888\", "
			    "\"HTTP_PROXY=http://10.213.0.2:8888\", "
			    "\"LANG=C.UTF-8\", \"TERM=xterm-256color\", "
			    "\"http_proxy=http://10.213.0.2:8888\", "
			    "\"https_proxy=http://10.213.0.2:8888\"]\n"
			    "workdir = \"/workspace\"\n"
			    "cpus = 2\n"
			    "memory = 2048\n"
			    "volumes = [\"/home/me/src:/workspace\"]\n"
			    "\n"
			    "[network]\n"
			    "allow_cidrs = [\"10.213.0.2/32\"]\n");
	assert_safe(out);
	free(out);
	smolfile_vm_release(&vm);
}

static void test_omits_missing_optional_fields(void **state)
{
	struct config_vm vm;
	char *out;

	vm_minimal(&vm, "alpine");
	vm.workdir = xstrdup(""); /* empty counts as unset */
	out = render_ok(&vm, 0, NULL);
	assert_string_equal(out, "image = \"alpine\"\n"
				 "cpus = 1\n"
				 "memory = 512\n"
				 "\n"
				 "[network]\n"
				 "allow_cidrs = [\"10.213.0.2/32\"]\n");
	assert_safe(out);
	free(out);
	smolfile_vm_release(&vm);
}

static void test_entrypoint_precedes_cmd(void **state)
{
	struct config_vm vm;
	char *out;

	vm_minimal(&vm, "alpine");
	strv_push(&vm.entrypoint, "/bin/sh");
	strv_push(&vm.entrypoint, "-c");
	strv_push(&vm.cmd, "sleep infinity");
	out = render_ok(&vm, 0, NULL);
	assert_non_null(strstr(out, "image = \"alpine\"\n"
				    "entrypoint = [\"/bin/sh\", \"-c\"]\n"
				    "cmd = [\"sleep infinity\"]\n"
				    "cpus = 1\n"));
	free(out);
	smolfile_vm_release(&vm);
}

static void test_escapes_every_special_character(void **state)
{
	static const struct {
		const char *in;
		const char *toml;
	} cases[] = {
	    {"plain", "\"plain\""},
	    {"a\"b", "\"a\\\"b\""},
	    {"a\\b", "\"a\\\\b\""},
	    {"\b\t\n\f\r", "\"\\b\\t\\n\\f\\r\""},
	    {"\x01\x1f", "\"\\u0001\\u001F\""},
	    {"\x1b[31m", "\"\\u001B[31m\""},
	    {"del\x7f", "\"del\\u007F\""},
	    {"c1\xc2\x80\xc2\x9b\xc2\x9f", "\"c1\\u0080\\u009B\\u009F\""},
	    {"nbsp\xc2\xa0", "\"nbsp\xc2\xa0\""},
	    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8d\xbe",
	     "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8d\xbe\""},
	    {"'single' #hash", "\"'single' #hash\""},
	    {"\\u0041", "\"\\\\u0041\""},
	};
	struct config_vm vm, back;
	char *out, *want, *cause = NULL;
	size_t i;

	for (i = 0; i < UTIL_NELEM(cases); i++) {
		vm_minimal(&vm, cases[i].in);
		out = render_ok(&vm, 0, NULL);
		want = xasprintf("image = %s\n", cases[i].toml);
		assert_memory_equal(out, want, strlen(want));
		assert_int_equal(smolfile_check(out, strlen(out), "10.213.0.2",
						&back, &cause),
				 0);
		assert_string_equal(back.image, cases[i].in);
		smolfile_vm_release(&back);
		free(want);
		free(out);
		smolfile_vm_release(&vm);
	}
}

static const char *const hostile[] = {
    "\"]\n[network]\nallow_cidrs = [\"0.0.0.0/0\"]",
    "x\"\nports = [\"8080:80\"]\nnet = true\n#",
    "\\\"]\n[network]\nallow_hosts = [\"*\"]",
    "'''\n[network]\n'''",
    "\"\"\"\nnet = true\n\"\"\"",
    "\r\n[network]\r\nallow_cidrs = [\"0.0.0.0/0\"]\r\n",
    "\\",
    "\\\\\"",
    "] = [\"",
};

static void test_hostile_strings_stay_inert(void **state)
{
	struct config_vm vm, back;
	char *out, *cause = NULL, *envs;
	size_t i;

	for (i = 0; i < UTIL_NELEM(hostile); i++) {
		vm_minimal(&vm, hostile[i]);
		strv_push(&vm.entrypoint, hostile[i]);
		strv_push(&vm.cmd, hostile[i]);
		envs = xasprintf("EVIL=%s", hostile[i]);
		strv_push(&vm.env, envs);
		vm.workdir = xstrdup(hostile[i]);
		strv_push(&vm.volumes, hostile[i]);
		out = render_ok(&vm, 8888, "/usr/lib/bottle");
		assert_safe(out);
		assert_int_equal(smolfile_check(out, strlen(out), "10.213.0.2",
						&back, &cause),
				 0);
		assert_string_equal(back.image, hostile[i]);
		assert_string_equal(back.entrypoint.v[0], hostile[i]);
		assert_string_equal(back.cmd.v[0], hostile[i]);
		assert_string_equal(back.env.v[0], envs);
		assert_string_equal(back.workdir, hostile[i]);
		assert_string_equal(back.volumes.v[0], hostile[i]);
		smolfile_vm_release(&back);
		free(envs);
		free(out);
		smolfile_vm_release(&vm);
	}
}

static void test_long_string_round_trips(void **state)
{
	struct config_vm vm, back;
	char *big = xmalloc(100001), *out, *cause = NULL;
	size_t i;

	for (i = 0; i < 100000; i++)
		big[i] = "a\"\\\n\x01]["[i % 7];
	big[100000] = '\0';
	vm_minimal(&vm, big);
	out = render_ok(&vm, 0, NULL);
	assert_int_equal(
	    smolfile_check(out, strlen(out), "10.213.0.2", &back, &cause), 0);
	assert_string_equal(back.image, big);
	smolfile_vm_release(&back);
	free(out);
	free(big);
	smolfile_vm_release(&vm);
}

/* Set field f of vm to s (for the UTF-8 table). */
static void vm_set_field(struct config_vm *vm, int f, const char *s)
{
	char *e;

	switch (f) {
	case 0:
		free(vm->image);
		vm->image = xstrdup(s);
		break;
	case 1:
		strv_push(&vm->entrypoint, s);
		break;
	case 2:
		strv_push(&vm->cmd, "ok");
		strv_push(&vm->cmd, s);
		break;
	case 3:
		e = xasprintf("FOO=%s", s);
		strv_push(&vm->env, e);
		free(e);
		break;
	case 4:
		vm->workdir = xstrdup(s);
		break;
	default:
		strv_push(&vm->volumes, s);
		break;
	}
}

static void test_rejects_invalid_utf8_naming_the_field(void **state)
{
	static const char *const bad[] = {
	    "\x80",		/* lone continuation */
	    "\xc0\x80",		/* overlong NUL */
	    "\xe0\x80\xaf",	/* overlong '/' */
	    "\xed\xa0\x80",	/* UTF-16 surrogate */
	    "\xf4\x90\x80\x80", /* above U+10FFFF */
	    "\xf5\x80\x80\x80", /* invalid lead */
	    "ok\xe2\x82",	/* truncated */
	    "\xff",
	};
	static const char *const want[] = {
	    "smolfile: vm.image: not valid UTF-8",
	    "smolfile: vm.entrypoint[0]: not valid UTF-8",
	    "smolfile: vm.cmd[1]: not valid UTF-8",
	    "smolfile: vm.env: value of FOO is not valid UTF-8",
	    "smolfile: vm.workdir: not valid UTF-8",
	    "smolfile: vm.volumes[0]: not valid UTF-8",
	};
	struct config_vm vm;
	char *cause;
	size_t i;
	int f;

	for (i = 0; i < UTIL_NELEM(bad); i++) {
		for (f = 0; f < (int)UTIL_NELEM(want); f++) {
			vm_minimal(&vm, "alpine");
			vm_set_field(&vm, f, bad[i]);
			cause = render_err(&vm, "10.213.0.2", 8888, NULL);
			assert_string_equal(cause, want[f]);
			free(cause);
			smolfile_vm_release(&vm);
		}
	}
}

static void test_rejects_invalid_utf8_in_env_key_and_helper(void **state)
{
	struct config_vm vm;
	char *cause;

	vm_minimal(&vm, "alpine");
	strv_push(&vm.env, "F\xffO=1");
	cause = render_err(&vm, "10.213.0.2", 0, NULL);
	assert_string_equal(cause, "smolfile: vm.env[0]: key is not valid "
				   "UTF-8");
	free(cause);
	smolfile_vm_release(&vm);

	vm_minimal(&vm, "alpine");
	cause = render_err(&vm, "10.213.0.2", 0, "/opt/\xc3");
	assert_string_equal(cause, "smolfile: helper_dir: not valid UTF-8");
	free(cause);
	smolfile_vm_release(&vm);
}

static void test_mounts_helper_dir_read_only_last(void **state)
{
	struct config_vm vm;
	char *out;

	vm_typical(&vm);
	out = render_ok(&vm, 8888, "/usr/local/share/bottle");
	assert_non_null(strstr(out, "volumes = [\"/home/me/src:/workspace\", "
				    "\"/usr/local/share/bottle:/opt/bottle:"
				    "ro\"]\n\n[network]\n"));
	assert_safe(out);
	free(out);
	smolfile_vm_release(&vm);

	vm_minimal(&vm, "alpine");
	out = render_ok(&vm, 0, "/h");
	assert_non_null(strstr(out, "volumes = [\"/h:/opt/bottle:ro\"]\n"));
	free(out);
	smolfile_vm_release(&vm);
}

static void test_rejects_volume_over_helper_mount(void **state)
{
	static const char *const over[] = {
	    "/x:/opt/bottle",
	    "/x:/opt/bottle/",
	    "/x:/opt/bottle:ro",
	    "/x:/opt/bottle/sub",
	};
	static const char *const fine[] = {
	    "/x:/opt/bottles",
	    "/opt/bottle:/mnt",
	    "/x:/opt",
	};
	struct config_vm vm;
	char *cause, *out;
	size_t i;

	for (i = 0; i < UTIL_NELEM(over); i++) {
		vm_minimal(&vm, "alpine");
		strv_push(&vm.volumes, "/a:/a");
		strv_push(&vm.volumes, over[i]);
		cause = render_err(&vm, "10.213.0.2", 0, "/h");
		assert_string_equal(cause,
				    "smolfile: vm.volumes[1]: mounts over "
				    "/opt/bottle, where bottle puts its probe "
				    "helper");
		free(cause);
		/* without a helper there is nothing to protect */
		out = render_ok(&vm, 0, NULL);
		free(out);
		smolfile_vm_release(&vm);
	}
	for (i = 0; i < UTIL_NELEM(fine); i++) {
		vm_minimal(&vm, "alpine");
		strv_push(&vm.volumes, fine[i]);
		out = render_ok(&vm, 0, "/h");
		free(out);
		smolfile_vm_release(&vm);
	}
}

static void test_rejects_bad_helper_dir(void **state)
{
	static const char *const bad[] = {"", "rel/dir", "/a:b"};
	struct config_vm vm;
	char *cause;
	size_t i;

	for (i = 0; i < UTIL_NELEM(bad); i++) {
		vm_minimal(&vm, "alpine");
		cause = render_err(&vm, "10.213.0.2", 0, bad[i]);
		assert_string_equal(
		    cause, "smolfile: helper_dir: expected an absolute "
			   "path without ':'");
		free(cause);
		smolfile_vm_release(&vm);
	}
}

static void test_rejects_bundle_ip_that_is_not_ipv4(void **state)
{
	static const char *const bad[] = {
	    "",
	    "10.213.0",
	    "10.213.0.256",
	    "10.213.0.2/32",
	    " 10.213.0.2",
	    "10.213.0.2\n",
	    "::1",
	    "010.213.0.2",
	    "10.213.0.2\"]",
	    "0x0a.1.1.1",
	};
	struct config_vm vm;
	char *cause;
	size_t i;

	vm_minimal(&vm, "alpine");
	for (i = 0; i < UTIL_NELEM(bad); i++) {
		cause = render_err(&vm, bad[i], 0, NULL);
		assert_string_equal(cause, "smolfile: bundle_ip: expected an "
					   "IPv4 address such as 10.213.0.2");
		free(cause);
	}
	cause = render_err(&vm, NULL, 0, NULL);
	free(cause);
	smolfile_vm_release(&vm);
}

static void test_rejects_reserved_proxy_keys(void **state)
{
	static const char *const keys[] = {"HTTP_PROXY", "HTTPS_PROXY",
					   "http_proxy", "https_proxy"};
	struct config_vm vm;
	char *cause, *e, *want, *out;
	size_t i;

	for (i = 0; i < UTIL_NELEM(keys); i++) {
		vm_minimal(&vm, "alpine");
		e = xasprintf("%s=http://evil:1", keys[i]);
		strv_push(&vm.env, e);
		cause = render_err(&vm, "10.213.0.2", 8888, NULL);
		want = xasprintf("smolfile: vm.env: %s is reserved: bottle "
				 "points it at the bundle's proxy",
				 keys[i]);
		assert_string_equal(cause, want);
		/* without a proxy the user's value is kept */
		out = render_ok(&vm, 0, NULL);
		assert_non_null(strstr(out, e));
		free(out);
		free(want);
		free(cause);
		free(e);
		smolfile_vm_release(&vm);
	}
}

static void test_keeps_user_no_proxy_and_never_adds_one(void **state)
{
	struct config_vm vm;
	char *out;

	vm_minimal(&vm, "alpine");
	out = render_ok(&vm, 8888, NULL);
	assert_null(strstr(out, "NO_PROXY"));
	assert_null(strstr(out, "no_proxy"));
	free(out);
	strv_push(&vm.env, "NO_PROXY=10.213.0.2");
	out = render_ok(&vm, 8888, NULL);
	assert_non_null(strstr(out, "\"HTTP_PROXY=http://10.213.0.2:8888\", "
				    "\"NO_PROXY=10.213.0.2\", "
				    "\"http_proxy="));
	free(out);
	smolfile_vm_release(&vm);
}

static void test_rejects_malformed_env_entries(void **state)
{
	static const struct {
		const char *entry;
		const char *cause;
	} cases[] = {
	    {"NOEQUALS", "smolfile: vm.env[1]: expected KEY=VALUE"},
	    {"=value", "smolfile: vm.env[1]: expected KEY=VALUE"},
	    {"A B=1", "smolfile: vm.env[1]: key contains a space or "
		      "control character"},
	    {"A\nB=1", "smolfile: vm.env[1]: key contains a space or "
		       "control character"},
	    {"\x7f=1", "smolfile: vm.env[1]: key contains a space or "
		       "control character"},
	    {"A=2", "smolfile: vm.env: A is set twice"},
	};
	struct config_vm vm;
	char *cause;
	size_t i;

	for (i = 0; i < UTIL_NELEM(cases); i++) {
		vm_minimal(&vm, "alpine");
		strv_push(&vm.env, "A=1");
		strv_push(&vm.env, cases[i].entry);
		cause = render_err(&vm, "10.213.0.2", 0, NULL);
		assert_string_equal(cause, cases[i].cause);
		free(cause);
		smolfile_vm_release(&vm);
	}
}

static void test_sorts_env_by_key_not_by_entry(void **state)
{
	struct config_vm vm;
	char *out;

	vm_minimal(&vm, "alpine");
	/* sorting whole entries would put "A.B=2" before "A=3" ('.' < '=') */
	strv_push(&vm.env, "Z=1");
	strv_push(&vm.env, "A.B=2");
	strv_push(&vm.env, "A=3");
	out = render_ok(&vm, 0, NULL);
	assert_non_null(strstr(out, "env = [\"A=3\", \"A.B=2\", \"Z=1\"]\n"));
	free(out);
	smolfile_vm_release(&vm);
}

static void test_rejects_bad_scalars(void **state)
{
	struct config_vm vm;
	char *cause;

	vm_minimal(&vm, "alpine");
	free(vm.image);
	vm.image = NULL;
	cause = render_err(&vm, "10.213.0.2", 0, NULL);
	assert_string_equal(cause, "smolfile: vm.image: missing");
	free(cause);
	vm.image = xstrdup("");
	cause = render_err(&vm, "10.213.0.2", 0, NULL);
	assert_string_equal(cause, "smolfile: vm.image: missing");
	free(cause);
	smolfile_vm_release(&vm);

	vm_minimal(&vm, "alpine");
	vm.cpus = 0;
	cause = render_err(&vm, "10.213.0.2", 0, NULL);
	assert_string_equal(cause, "smolfile: vm.cpus: must be at least 1");
	free(cause);
	vm.cpus = 1;
	vm.memory_mib = -5;
	cause = render_err(&vm, "10.213.0.2", 0, NULL);
	assert_string_equal(cause, "smolfile: vm.memory: must be at least 1");
	free(cause);
	vm.memory_mib = 64;
	cause = render_err(&vm, "10.213.0.2", 65536, NULL);
	assert_string_equal(cause, "smolfile: proxy_port: 65536 is not a port "
				   "(1..65535, or 0 for none)");
	free(cause);
	cause = render_err(&vm, "10.213.0.2", -1, NULL);
	free(cause);
	smolfile_vm_release(&vm);
}

static void test_has_exactly_one_allow_cidrs_in_every_shape(void **state)
{
	struct config_vm vm;
	char *out;
	int shape;

	for (shape = 0; shape < 8; shape++) {
		if (shape & 1)
			vm_typical(&vm);
		else
			vm_minimal(&vm, "allow_cidrs");
		if (shape & 4)
			strv_push(&vm.volumes, "/[network]:/allow_cidrs");
		out = render_ok(&vm, (shape & 2) ? 3128 : 0,
				(shape & 4) ? "/h" : NULL);
		assert_safe(out);
		assert_non_null(strstr(out, "\n\n[network]\nallow_cidrs = "
					    "[\"10.213.0.2/32\"]\n"));
		/* the table is last: nothing follows the one entry */
		assert_string_equal(strstr(out, "\n[network]\n") + 1,
				    "[network]\nallow_cidrs = "
				    "[\"10.213.0.2/32\"]\n");
		free(out);
		smolfile_vm_release(&vm);
	}
}

static void test_check_decodes_render_output(void **state)
{
	struct config_vm vm, back;
	char *out, *cause = NULL;

	vm_typical(&vm);
	out = render_ok(&vm, 8888, "/h");
	assert_int_equal(
	    smolfile_check(out, strlen(out), "10.213.0.2", &back, &cause), 0);
	assert_string_equal(back.image, vm.image);
	assert_int_equal(back.entrypoint.n, 0);
	assert_int_equal(back.cmd.n, 2);
	assert_string_equal(back.cmd.v[1], "--yes");
	assert_int_equal(back.env.n, 6);
	assert_string_equal(back.env.v[2], "LANG=C.UTF-8");
	assert_string_equal(back.workdir, "/workspace");
	assert_int_equal(back.cpus, 2);
	assert_int_equal(back.memory_mib, 2048);
	assert_int_equal(back.volumes.n, 2);
	assert_string_equal(back.volumes.v[1], "/h:/opt/bottle:ro");
	smolfile_vm_release(&back);
	free(out);
	smolfile_vm_release(&vm);
}

static void test_check_rejects_what_render_never_writes(void **state)
{
#define HEAD "image = \"a\"\ncpus = 1\nmemory = 64\n"
#define NET "\n[network]\nallow_cidrs = [\"10.213.0.2/32\"]\n"
	static const struct {
		const char *text;
		const char *cause;
	} cases[] = {
	    {HEAD "ports = [\"80:80\"]\n" NET,
	     "smolfile: line 4: key ports is not allowed at top level"},
	    {HEAD "net = true\n" NET,
	     "smolfile: line 4: key net is not allowed at top level"},
	    {HEAD NET "allow_hosts = [\"x\"]\n",
	     "smolfile: line 7: key allow_hosts is not allowed in "
	     "[network]"},
	    {HEAD NET "[network]\n", "smolfile: line 7: second [network]"},
	    {HEAD "\n[network]\nallow_cidrs = [\"10.213.0.2/32\", "
		  "\"0.0.0.0/0\"]\n",
	     "smolfile: allow_cidrs must be exactly [\"10.213.0.2/32\"]"},
	    {HEAD "\n[network]\nallow_cidrs = [\"10.213.0.3/32\"]\n",
	     "smolfile: allow_cidrs must be exactly [\"10.213.0.2/32\"]"},
	    {HEAD "\n[network]\nallow_cidrs = [\"10.213.0.2\"]\n",
	     "smolfile: allow_cidrs must be exactly [\"10.213.0.2/32\"]"},
	    {HEAD "\n[network]\nallow_cidrs = []\n",
	     "smolfile: allow_cidrs must be exactly [\"10.213.0.2/32\"]"},
	    {HEAD, "smolfile: no [network] table"},
	    {HEAD "\n[network]\n", "smolfile: missing key allow_cidrs"},
	    {"cpus = 1\nmemory = 64\n" NET, "smolfile: missing key image"},
	    {HEAD "allow_cidrs = [\"10.213.0.2/32\"]\n" NET,
	     "smolfile: line 4: key allow_cidrs is not allowed at top level"},
	    {HEAD NET "image = \"b\"\n",
	     "smolfile: line 7: key image is not allowed in [network]"},
	    {HEAD "image = \"b\"\n" NET,
	     "smolfile: line 4: duplicate key image"},
	    {HEAD "workdir = \"a\nb\"\n" NET,
	     "smolfile: line 4: unterminated string"},
	    {HEAD "workdir = \"a\tb\"\n" NET,
	     "smolfile: line 4: raw control character or invalid UTF-8 in "
	     "string"},
	    {HEAD "workdir = \"\xff\"\n" NET,
	     "smolfile: line 4: raw control character or invalid UTF-8 in "
	     "string"},
	    {HEAD "workdir = \"\\x41\"\n" NET,
	     "smolfile: line 4: unknown escape in string"},
	    {HEAD "workdir = \"\\u0000\"\n" NET,
	     "smolfile: line 4: \\u escape is not a usable unicode scalar "
	     "value"},
	    {HEAD "workdir = \"\\uD800\"\n" NET,
	     "smolfile: line 4: \\u escape is not a usable unicode scalar "
	     "value"},
	    {HEAD "workdir = \"\\u12\"\n" NET,
	     "smolfile: line 4: short \\u escape"},
	    {HEAD "workdir = \"\\u12G4\"\n" NET,
	     "smolfile: line 4: bad hex in \\u escape"},
	    {HEAD "workdir = \"\\U00110000\"\n" NET,
	     "smolfile: line 4: \\u escape is not a usable unicode scalar "
	     "value"},
	    {HEAD "workdir = \"a\" # c\n" NET,
	     "smolfile: line 4: text after the value"},
	    {HEAD "workdir = 'a'\n" NET, "smolfile: line 4: expected a string"},
	    {HEAD "cmd = [\"a\",\"b\"]\n" NET,
	     "smolfile: line 4: expected ', ' or ']' in array"},
	    {HEAD "cmd = \"a\"\n" NET, "smolfile: line 4: expected an array"},
	    {HEAD "env = [\"NOEQ\"]\n" NET,
	     "smolfile: env[0]: expected KEY=VALUE"},
	    {"image = \"a\"\ncpus = 01\nmemory = 64\n" NET,
	     "smolfile: line 2: expected an integer"},
	    {"image = \"a\"\ncpus = 1x\nmemory = 64\n" NET,
	     "smolfile: line 2: text after the value"},
	    {"image = \"a\"\ncpus = -1\nmemory = 64\n" NET,
	     "smolfile: line 2: expected an integer"},
	    {"image = \"a\"\ncpus = 1\nmemory = 99999999999\n" NET,
	     "smolfile: line 3: integer out of range"},
	    {"image=\"a\"\n", "smolfile: line 1: expected 'key = value', "
			      "'[network]' or a blank line"},
	    {" image = \"a\"\n", "smolfile: line 1: expected 'key = value', "
				 "'[network]' or a blank line"},
	    {"[net]\n", "smolfile: line 1: expected 'key = value', "
			"'[network]' or a blank line"},
	    {HEAD "\n[network]\nallow_cidrs = [\"10.213.0.2/32\"]",
	     "smolfile: line 6: no newline at the end"},
	};
	char *cause;
	size_t i;

	for (i = 0; i < UTIL_NELEM(cases); i++) {
		cause = NULL;
		assert_int_equal(smolfile_check(cases[i].text,
						strlen(cases[i].text),
						"10.213.0.2", NULL, &cause),
				 -1);
		assert_string_equal(cause, cases[i].cause);
		free(cause);
	}
	/* and the baseline passes */
	assert_int_equal(smolfile_check(HEAD NET, strlen(HEAD NET),
					"10.213.0.2", NULL, NULL),
			 0);
	/* a NUL byte hidden inside */
	assert_int_equal(smolfile_check(HEAD "\0" NET, sizeof(HEAD NET),
					"10.213.0.2", NULL, &cause),
			 -1);
	assert_string_equal(cause, "smolfile: contains a NUL byte");
	free(cause);
#undef HEAD
#undef NET
}

/* ---- --emit driver ---- */

/* Read all of stdin. Caller frees. */
static char *emit_read_stdin(size_t *len)
{
	struct buf b = BUF_INIT;
	char chunk[65536];
	ssize_t n;

	while ((n = read(0, chunk, sizeof chunk)) > 0)
		buf_add(&b, chunk, (size_t)n);
	*len = b.len;
	return buf_detach(&b);
}

/* Apply one NAME=VALUE field; -1 for an unknown name. */
static int emit_field(struct config_vm *vm, struct smolfile_in *in,
		      const char *name, const char *val)
{
	if (strcmp(name, "image") == 0) {
		free(vm->image);
		vm->image = xstrdup(val);
	} else if (strcmp(name, "workdir") == 0) {
		free(vm->workdir);
		vm->workdir = xstrdup(val);
	} else if (strcmp(name, "entrypoint") == 0) {
		strv_push(&vm->entrypoint, val);
	} else if (strcmp(name, "cmd") == 0) {
		strv_push(&vm->cmd, val);
	} else if (strcmp(name, "env") == 0) {
		strv_push(&vm->env, val);
	} else if (strcmp(name, "volume") == 0) {
		strv_push(&vm->volumes, val);
	} else if (strcmp(name, "cpus") == 0) {
		vm->cpus = (int)strtol(val, NULL, 10);
	} else if (strcmp(name, "memory") == 0) {
		vm->memory_mib = (int)strtol(val, NULL, 10);
	} else if (strcmp(name, "bundle_ip") == 0) {
		in->bundle_ip = val;
	} else if (strcmp(name, "proxy_port") == 0) {
		in->proxy_port = (int)strtol(val, NULL, 10);
	} else if (strcmp(name, "helper_dir") == 0) {
		in->helper_dir = val;
	} else {
		return -1;
	}
	return 0;
}

static int emit_main(void)
{
	struct config_vm vm = {.cpus = 2, .memory_mib = 2048};
	struct smolfile_in in = {&vm, "10.213.0.2", 0, NULL};
	size_t len, i = 0, nlen;
	char *data = emit_read_stdin(&len), *out, *cause = NULL;
	const char *name, *val;
	int rc = 0;

	/* data is NUL-terminated by buf_detach, so the last value ends too */
	while (i < len && rc == 0) {
		name = data + i;
		nlen = strlen(name);
		val = name + nlen + 1;
		if (i + nlen >= len) {
			fprintf(stderr, "emit: field %s has no value\n", name);
			rc = 2;
			break;
		}
		if (emit_field(&vm, &in, name, val) < 0) {
			fprintf(stderr, "emit: unknown field %s\n", name);
			rc = 2;
		}
		i += nlen + 1 + strlen(val) + 1;
	}
	if (rc == 0 && smolfile_render(&in, &out, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		rc = 1;
	} else if (rc == 0) {
		fputs(out, stdout);
		free(out);
	}
	smolfile_vm_release(&vm);
	free(data);
	return rc;
}

/* The resolved mounts of config_check_volumes_now replace vm->volumes; a
 * read-write repository mount is followed by its .git read-only, so that
 * smolvm (which mounts in order) lays it over the parent. */
static void test_renders_git_read_only_after_its_parent(void **state)
{
	struct config_mount mv[] = {
	    {"/home/me/repo", "/work", 0, 1},
	    {"/home/me/data", "/data", 1, 1}, /* ro: nothing to add */
	    {"/home/me/plain", "/plain", 0, 0},
	};
	struct config_mounts m = {mv, 3};
	struct config_vm vm;
	struct smolfile_in in;
	struct config_vm back;
	char *out = NULL, *cause = NULL;

	(void)state;
	vm_minimal(&vm, "img");
	strv_push(&vm.volumes, "/home/me/link:/work/"); /* as written */
	memset(&in, 0, sizeof in);
	in.vm = &vm;
	in.bundle_ip = "10.213.0.2";
	in.helper_dir = "/usr/lib/bottle";
	if (smolfile_render_mounts(&in, &m, &out, &cause) != 0)
		fail_msg("%s", cause);
	assert_safe(out);
	assert_non_null(strstr(
	    out, "volumes = [\"/home/me/repo:/work\", "
		 "\"/home/me/repo/.git:/work/.git:ro\", "
		 "\"/home/me/data:/data:ro\", \"/home/me/plain:/plain\", "
		 "\"/usr/lib/bottle:/opt/bottle:ro\"]\n"));
	assert_null(strstr(out, "/home/me/link"));
	memset(&back, 0, sizeof back);
	assert_int_equal(
	    smolfile_check(out, strlen(out), "10.213.0.2", &back, &cause), 0);
	assert_int_equal(back.volumes.n, 5);
	smolfile_vm_release(&back);
	free(out);
	smolfile_vm_release(&vm);
}

static void test_rejects_resolved_mounts_it_cannot_write(void **state)
{
	struct config_mount mv[] = {{"/a:b", "/work", 0, 0}};
	struct config_mount rel[] = {{"a", "/work", 0, 0}};
	struct config_mount helper[] = {{"/a", "/opt/bottle/x", 0, 0}};
	struct config_mounts m = {mv, 1}, mr = {rel, 1}, mh = {helper, 1};
	struct config_vm vm;
	struct smolfile_in in;
	char *out = NULL, *cause = NULL;

	(void)state;
	vm_minimal(&vm, "img");
	memset(&in, 0, sizeof in);
	in.vm = &vm;
	in.bundle_ip = "10.213.0.2";
	in.helper_dir = "/usr/lib/bottle";
	assert_int_equal(smolfile_render_mounts(&in, &m, &out, &cause), -1);
	assert_string_equal(cause, "smolfile: vm.volumes[0]: expected absolute "
				   "host and guest paths without ':'");
	free(cause);
	assert_int_equal(smolfile_render_mounts(&in, &mr, &out, &cause), -1);
	free(cause);
	assert_int_equal(smolfile_render_mounts(&in, &mh, &out, &cause), -1);
	assert_non_null(strstr(cause, "mounts over /opt/bottle"));
	free(cause);
	assert_null(out);
	smolfile_vm_release(&vm);
}

/* `up` lists what is mounted, .git and the helper included. */
static void test_mount_lines_list_every_mount(void **state)
{
	struct config_mount mv[] = {
	    {"/home/me/repo", "/work", 0, 1},
	    {"/home/me/d\x1b]52", "/data", 1, 0},
	};
	struct config_mounts m = {mv, 2};
	struct config_vm vm;
	struct smolfile_in in;
	struct strv lines = STRV_INIT;

	(void)state;
	vm_minimal(&vm, "img");
	strv_push(&vm.volumes, "/h:/g:ro");
	strv_push(&vm.volumes, "/h2:/g2");
	memset(&in, 0, sizeof in);
	in.vm = &vm;
	in.bundle_ip = "10.213.0.2";
	in.helper_dir = "/usr/lib/bottle";
	smolfile_mount_lines(&in, &m, &lines);
	assert_int_equal(lines.n, 4);
	assert_string_equal(lines.v[0], "mount: /home/me/repo -> /work (rw)");
	assert_string_equal(lines.v[1],
			    "mount: /home/me/repo/.git -> /work/.git (ro, git "
			    "stays read-only)");
	assert_string_equal(lines.v[2], "mount: /home/me/d?]52 -> /data (ro)");
	assert_string_equal(lines.v[3], "mount: /usr/lib/bottle -> /opt/bottle "
					"(ro, bottle's probe helper)");
	strv_release(&lines);
	in.helper_dir = NULL;
	smolfile_mount_lines(&in, NULL, &lines); /* as written */
	assert_int_equal(lines.n, 2);
	assert_string_equal(lines.v[0], "mount: /h -> /g (ro)");
	assert_string_equal(lines.v[1], "mount: /h2 -> /g2 (rw)");
	strv_release(&lines);
	smolfile_vm_release(&vm);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_renders_typical_config_exactly),
	    cmocka_unit_test(test_omits_missing_optional_fields),
	    cmocka_unit_test(test_entrypoint_precedes_cmd),
	    cmocka_unit_test(test_escapes_every_special_character),
	    cmocka_unit_test(test_hostile_strings_stay_inert),
	    cmocka_unit_test(test_long_string_round_trips),
	    cmocka_unit_test(test_rejects_invalid_utf8_naming_the_field),
	    cmocka_unit_test(test_rejects_invalid_utf8_in_env_key_and_helper),
	    cmocka_unit_test(test_mounts_helper_dir_read_only_last),
	    cmocka_unit_test(test_rejects_volume_over_helper_mount),
	    cmocka_unit_test(test_rejects_bad_helper_dir),
	    cmocka_unit_test(test_rejects_bundle_ip_that_is_not_ipv4),
	    cmocka_unit_test(test_rejects_reserved_proxy_keys),
	    cmocka_unit_test(test_keeps_user_no_proxy_and_never_adds_one),
	    cmocka_unit_test(test_rejects_malformed_env_entries),
	    cmocka_unit_test(test_sorts_env_by_key_not_by_entry),
	    cmocka_unit_test(test_rejects_bad_scalars),
	    cmocka_unit_test(test_has_exactly_one_allow_cidrs_in_every_shape),
	    cmocka_unit_test(test_check_decodes_render_output),
	    cmocka_unit_test(test_check_rejects_what_render_never_writes),
	    cmocka_unit_test(test_renders_git_read_only_after_its_parent),
	    cmocka_unit_test(test_rejects_resolved_mounts_it_cannot_write),
	    cmocka_unit_test(test_mount_lines_list_every_mount),
	};

	if (argc == 2 && strcmp(argv[1], "--emit") == 0)
		return emit_main();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
