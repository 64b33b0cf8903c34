/* test_smolvm.c: smolvm argv builders per release band (checked against
 * each band's clap surface, smolvm-1.9.md §0, §1, §5), the allowlisted
 * environment, JSON parsers (status, ls, labels, egress-events), version
 * check and stderr classification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smolvm.h"

#include "argv-assert.h"
#include "smolvm-cli.h"

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

static void test_argv_builders_speak_0_8_0(void **state)
{
	const char *sv = "/usr/bin/smolvm";
	struct smolvm_cli c = cli_at(sv, 0, 8, 0);
	struct smolvm_create_opts o = {"/s/web/Smolfile", "10.213.0.2",
				       "/abs/img.tar"};

	(void)state;
	ASSERT_ARGV(smolvm_argv_version(sv), sv, "--version");
	/* band A: NAME is positional for create, delete and data-dir; no
	 * --dns (1.2.5), no -I (1.1.0), no --proxy (0.8.1), no --label */
	ASSERT_ARGV(smolvm_argv_create(&c, "web", &o), sv, "machine", "create",
		    "bottle-web", "-s", "/s/web/Smolfile");
	ASSERT_ARGV(smolvm_argv_start(&c, "web", NULL), sv, "machine", "start",
		    "--name", "bottle-web");
	ASSERT_ARGV(smolvm_argv_start(&c, "web", "http://10.213.0.2:8888"), sv,
		    "machine", "start", "--name", "bottle-web");
	ASSERT_ARGV(smolvm_argv_stop(&c, "web"), sv, "machine", "stop",
		    "--name", "bottle-web");
	ASSERT_ARGV(smolvm_argv_delete(&c, "web"), sv, "machine", "delete",
		    "bottle-web", "-f");
	ASSERT_ARGV(smolvm_argv_status(&c, "web"), sv, "machine", "status",
		    "--name", "bottle-web", "--json");
	ASSERT_ARGV(smolvm_argv_ls(&c), sv, "machine", "ls", "--json");
	ASSERT_ARGV(smolvm_argv_data_dir(&c, "web"), sv, "machine", "data-dir",
		    "bottle-web");
	ASSERT_ARGV(
	    smolvm_argv_pack_create(&c, "/s/web/Smolfile", "/s/packs/web"), sv,
	    "pack", "create", "-s", "/s/web/Smolfile", "-o", "/s/packs/web");
}

static void test_create_argv_per_band(void **state)
{
	struct smolvm_create_opts bare = {"/s/F", NULL, NULL};
	struct smolvm_create_opts all = {"/s/F", "10.213.0.2", "/abs/i.tar"};
	struct smolvm_cli c;

	(void)state;
	/* B: still positional at its last release */
	c = cli_at("sv", 1, 0, 1);
	ASSERT_ARGV(smolvm_argv_create(&c, "web", &all), "sv", "machine",
		    "create", "bottle-web", "-s", "/s/F");
	/* C: --name from 1.0.2 (a patch release), -I not before 1.1.0 */
	c = cli_at("sv", 1, 0, 2);
	ASSERT_ARGV(smolvm_argv_create(&c, "web", &all), "sv", "machine",
		    "create", "--name", "bottle-web", "-s", "/s/F");
	c = cli_at("sv", 1, 1, 0);
	ASSERT_ARGV(smolvm_argv_create(&c, "web", &all), "sv", "machine",
		    "create", "--name", "bottle-web", "-s", "/s/F", "-I",
		    "/abs/i.tar");
	/* --dns from 1.2.5 */
	c = cli_at("sv", 1, 2, 4);
	ASSERT_ARGV(smolvm_argv_create(&c, "web", &all), "sv", "machine",
		    "create", "--name", "bottle-web", "-s", "/s/F", "-I",
		    "/abs/i.tar");
	c = cli_at("sv", 1, 2, 5);
	ASSERT_ARGV(smolvm_argv_create(&c, "web", &all), "sv", "machine",
		    "create", "--name", "bottle-web", "-s", "/s/F", "--dns",
		    "10.213.0.2", "-I", "/abs/i.tar");
	/* D's last release: no --label (a clap error before 1.8.0) */
	c = cli_at("sv", 1, 7, 9);
	ASSERT_ARGV(smolvm_argv_create(&c, "web", &bare), "sv", "machine",
		    "create", "--name", "bottle-web", "-s", "/s/F");
	/* E: the label pair */
	c = cli_at("sv", 1, 8, 0);
	ASSERT_ARGV(smolvm_argv_create(&c, "web", &bare), "sv", "machine",
		    "create", "--name", "bottle-web", "-s", "/s/F", "--label",
		    "dev.bottle.managed=1", "--label", "dev.bottle.name=web");
	c = cli_at("sv", 1, 9, 3);
	ASSERT_ARGV(smolvm_argv_create(&c, "web", &all), "sv", "machine",
		    "create", "--name", "bottle-web", "-s", "/s/F", "--label",
		    "dev.bottle.managed=1", "--label", "dev.bottle.name=web",
		    "--dns", "10.213.0.2", "-I", "/abs/i.tar");
	/* newer (allowed by the switch) speaks as 1.9.x */
	c = cli_at("sv", 2, 0, 0);
	assert_int_equal(c.band, SMOLVM_BAND_NEWER);
	ASSERT_ARGV(smolvm_argv_create(&c, "web", &bare), "sv", "machine",
		    "create", "--name", "bottle-web", "-s", "/s/F", "--label",
		    "dev.bottle.managed=1", "--label", "dev.bottle.name=web");
}

static void test_other_argv_per_band(void **state)
{
	struct smolvm_cli c;

	(void)state;
	/* start --proxy from 0.8.1 */
	c = cli_at("sv", 0, 8, 1);
	ASSERT_ARGV(smolvm_argv_start(&c, "web", "http://10.213.0.2:8888"),
		    "sv", "machine", "start", "--name", "bottle-web", "--proxy",
		    "http://10.213.0.2:8888");
	ASSERT_ARGV(smolvm_argv_start(&c, "web", NULL), "sv", "machine",
		    "start", "--name", "bottle-web");
	/* delete and data-dir: positional through 1.0.1, --name from 1.0.2 */
	ASSERT_ARGV(smolvm_argv_delete(&c, "web"), "sv", "machine", "delete",
		    "bottle-web", "-f");
	ASSERT_ARGV(smolvm_argv_data_dir(&c, "web"), "sv", "machine",
		    "data-dir", "bottle-web");
	c = cli_at("sv", 1, 0, 1);
	ASSERT_ARGV(smolvm_argv_delete(&c, "web"), "sv", "machine", "delete",
		    "bottle-web", "-f");
	ASSERT_ARGV(smolvm_argv_data_dir(&c, "web"), "sv", "machine",
		    "data-dir", "bottle-web");
	c = cli_at("sv", 1, 0, 2);
	ASSERT_ARGV(smolvm_argv_delete(&c, "web"), "sv", "machine", "delete",
		    "--name", "bottle-web", "-f");
	ASSERT_ARGV(smolvm_argv_data_dir(&c, "web"), "sv", "machine",
		    "data-dir", "--name", "bottle-web");
	c = cli_at("sv", 1, 9, 3);
	ASSERT_ARGV(smolvm_argv_delete(&c, "web"), "sv", "machine", "delete",
		    "--name", "bottle-web", "-f");
	ASSERT_ARGV(smolvm_argv_data_dir(&c, "web"), "sv", "machine",
		    "data-dir", "--name", "bottle-web");
	ASSERT_ARGV(smolvm_argv_stop(&c, "web"), "sv", "machine", "stop",
		    "--name", "bottle-web");
	ASSERT_ARGV(smolvm_argv_status(&c, "web"), "sv", "machine", "status",
		    "--name", "bottle-web", "--json");
	ASSERT_ARGV(smolvm_argv_egress_events(&c, "web", 1000), "sv", "machine",
		    "egress-events", "--name", "bottle-web", "--json",
		    "--limit", "1000");
}

static void test_exec_puts_every_flag_before_the_separator(void **state)
{
	static const char *const cmd[] = {"sh", "-c", "exit 42", NULL};
	static const char *const dash[] = {"--", "-x", NULL};
	struct smolvm_cli sv = cli_at("smolvm", 0, 8, 0);
	struct smolvm_cli sim = cli_at("sim", 1, 9, 3);
	struct strv env = STRV_INIT;
	struct smolvm_exec_opts o;

	(void)state;
	memset(&o, 0, sizeof o);
	ASSERT_ARGV(smolvm_argv_exec(&sv, "web", NULL, cmd), "smolvm",
		    "machine", "exec", "--name", "bottle-web", "--", "sh", "-c",
		    "exit 42");
	ASSERT_ARGV(smolvm_argv_exec(&sv, "web", &o, dash), "smolvm", "machine",
		    "exec", "--name", "bottle-web", "--", "--", "-x");
	strv_push(&env, "A=1");
	strv_push(&env, "B=two words");
	o.env = &env;
	o.workdir = "/workspace";
	o.timeout_s = 30;
	o.interactive = 1;
	o.tty = 1;
	o.stream = 1;
	/* exec keeps --name (long only) at every release */
	ASSERT_ARGV(smolvm_argv_exec(&sim, "web", &o, cmd), "sim", "machine",
		    "exec", "--name", "bottle-web", "-e", "A=1", "-e",
		    "B=two words", "-w", "/workspace", "--timeout", "30s", "-i",
		    "-t", "--stream", "--", "sh", "-c", "exit 42");
	strv_release(&env);
}

/* ---- the clap surface of each band (smolvm-1.9.md §0, §1, §5) ---------- */

#define V(a, b, c)                                                             \
	{                                                                      \
		a, b, c                                                        \
	}
#define OPEN                                                                   \
	{                                                                      \
		0, 0, 0                                                        \
	}

/* One argument a subcommand accepts in [since, until) (until 0.0.0: still
 * accepted at 1.9.3). flag NULL: the positional NAME. */
struct clap_arg {
	const char *sub;
	const char *flag;
	int value;
	int names; /* its value (or the positional) is the machine name */
	struct smolvm_version since, until;
};

static const struct clap_arg clap[] = {
    /* create: positional [NAME] to 1.0.1, -n/--name from 1.0.2 (67a09b27) */
    {"create", NULL, 1, 1, V(0, 8, 0), V(1, 0, 2)},
    {"create", "--name", 1, 1, V(1, 0, 2), OPEN},
    {"create", "-n", 1, 1, V(1, 0, 2), OPEN},
    {"create", "-s", 1, 0, V(0, 8, 0), OPEN},
    {"create", "--smolfile", 1, 0, V(0, 8, 0), OPEN},
    {"create", "--label", 1, 0, V(1, 8, 0), OPEN},
    {"create", "-I", 1, 0, V(1, 1, 0), OPEN},
    {"create", "--dns", 1, 0, V(1, 2, 5), OPEN},
    {"start", "--name", 1, 1, V(0, 8, 0), OPEN},
    {"start", "-n", 1, 1, V(0, 8, 0), OPEN},
    {"start", "--proxy", 1, 0, V(0, 8, 1), OPEN},
    {"start", "--no-proxy", 1, 0, V(0, 8, 1), OPEN},
    {"stop", "--name", 1, 1, V(0, 8, 0), OPEN},
    {"stop", "-n", 1, 1, V(0, 8, 0), OPEN},
    {"delete", NULL, 1, 1, V(0, 8, 0), V(1, 0, 2)},
    {"delete", "--name", 1, 1, V(1, 0, 2), OPEN},
    {"delete", "-n", 1, 1, V(1, 0, 2), OPEN},
    {"delete", "-f", 0, 0, V(0, 8, 0), OPEN},
    {"delete", "--force", 0, 0, V(0, 8, 0), OPEN},
    {"status", "--name", 1, 1, V(0, 8, 0), OPEN},
    {"status", "--json", 0, 0, V(0, 8, 0), OPEN},
    {"ls", "--json", 0, 0, V(0, 8, 0), OPEN},
    {"ls", "-v", 0, 0, V(0, 8, 0), OPEN},
    /* exec: --name long only at every tag */
    {"exec", "--name", 1, 1, V(0, 8, 0), OPEN},
    {"exec", "-e", 1, 0, V(0, 8, 0), OPEN},
    {"exec", "-w", 1, 0, V(0, 8, 0), OPEN},
    {"exec", "--timeout", 1, 0, V(0, 8, 0), OPEN},
    {"exec", "-i", 0, 0, V(0, 8, 0), OPEN},
    {"exec", "-t", 0, 0, V(0, 8, 0), OPEN},
    {"exec", "--stream", 0, 0, V(0, 8, 0), OPEN},
    {"data-dir", NULL, 1, 1, V(0, 8, 0), V(1, 0, 2)},
    {"data-dir", "--name", 1, 1, V(1, 0, 2), OPEN},
    {"data-dir", "-n", 1, 1, V(1, 0, 2), OPEN},
    /* the subcommand itself is 1.8.1 (ca0b2bf1) */
    {"egress-events", "--name", 1, 1, V(1, 8, 1), OPEN},
    {"egress-events", "-n", 1, 1, V(1, 8, 1), OPEN},
    {"egress-events", "--limit", 1, 0, V(1, 8, 1), OPEN},
    {"egress-events", "--json", 0, 0, V(1, 8, 1), OPEN},
    {"pack create", "-s", 1, 0, V(0, 8, 0), OPEN},
    {"pack create", "-o", 1, 0, V(0, 8, 0), OPEN},
};

static int ver_before(const struct smolvm_version *a,
		      const struct smolvm_version *b)
{
	if (a->major != b->major)
		return a->major < b->major;
	if (a->minor != b->minor)
		return a->minor < b->minor;
	return a->patch < b->patch;
}

static int clap_in_range(const struct clap_arg *a,
			 const struct smolvm_version *v)
{
	int open =
	    a->until.major == 0 && a->until.minor == 0 && a->until.patch == 0;

	return !ver_before(v, &a->since) && (open || ver_before(v, &a->until));
}

/* clap_find: the argument flag (NULL: positional) of sub at v. */
static const struct clap_arg *clap_find(const char *sub, const char *flag,
					const struct smolvm_version *v)
{
	size_t i;

	for (i = 0; i < UTIL_NELEM(clap); i++) {
		if (strcmp(clap[i].sub, sub) != 0 ||
		    !clap_in_range(&clap[i], v))
			continue;
		if (flag == NULL ? clap[i].flag == NULL
				 : clap[i].flag != NULL &&
				       strcmp(clap[i].flag, flag) == 0)
			return &clap[i];
	}
	return NULL;
}

static int clap_sub_exists(const char *sub, const struct smolvm_version *v)
{
	size_t i;

	for (i = 0; i < UTIL_NELEM(clap); i++)
		if (strcmp(clap[i].sub, sub) == 0 && clap_in_range(&clap[i], v))
			return 1;
	return 0;
}

/* clap_check: NULL when argv (bin first) parses at release v the way
 * bottle needs (the machine named exactly once, as bottle-web, delete
 * never prompting, exec with a command), else why not (static). */
static const char *clap_check(const struct strv *argv,
			      const struct smolvm_version *v)
{
	static char why[200];
	const char *sub;
	size_t i = 2, named = 0, positional = 0, has_force = 0;

	if (argv->n == 2 && strcmp(argv->v[1], "--version") == 0)
		return NULL;
	if (argv->n < 3)
		return "too short";
	if (strcmp(argv->v[1], "pack") == 0 &&
	    strcmp(argv->v[2], "create") == 0)
		sub = "pack create";
	else if (strcmp(argv->v[1], "machine") == 0)
		sub = argv->v[2];
	else
		return "unknown command";
	if (!clap_sub_exists(sub, v)) {
		snprintf(why, sizeof why, "no subcommand %s", sub);
		return why;
	}
	for (i = 3; i < argv->n; i++) {
		const char *w = argv->v[i];
		const struct clap_arg *a;
		if (strcmp(sub, "exec") == 0 && strcmp(w, "--") == 0) {
			if (i + 1 >= argv->n)
				return "exec without a command";
			break;
		}
		if (w[0] == '-') {
			a = clap_find(sub, w, v);
			if (a == NULL) {
				snprintf(why, sizeof why,
					 "%s: unexpected argument '%s'", sub,
					 w);
				return why;
			}
			has_force += strcmp(w, "-f") == 0;
			if (!a->value)
				continue;
			if (++i >= argv->n)
				return "a flag without its value";
			if (strcmp(a->flag, "--label") == 0 &&
			    strchr(argv->v[i], '=') == NULL)
				return "--label without KEY=VALUE";
		} else {
			a = clap_find(sub, NULL, v);
			if (a == NULL || positional++ > 0) {
				snprintf(why, sizeof why,
					 "%s: unexpected positional '%s'", sub,
					 w);
				return why;
			}
		}
		if (a->names) {
			named++;
			if (strcmp(argv->v[i], "bottle-web") != 0)
				return "named another machine";
		}
	}
	if (strcmp(sub, "exec") == 0 && i >= argv->n)
		return "exec without --";
	if (strcmp(sub, "ls") != 0 && strcmp(sub, "pack create") != 0 &&
	    named != 1)
		return "the machine is not named exactly once";
	if (strcmp(sub, "delete") == 0 && !has_force)
		return "delete would prompt";
	return NULL;
}

static void expect_valid(const char *label, struct strv argv,
			 const struct smolvm_version *v)
{
	const char *why = clap_check(&argv, v);

	if (why != NULL)
		fail_msg("%s at %d.%d.%d: %s", label, v->major, v->minor,
			 v->patch, why);
	strv_release(&argv);
}

static void expect_invalid(struct strv argv, const struct smolvm_version *v)
{
	const char *why = clap_check(&argv, v);

	if (why == NULL)
		fail_msg("%s %s accepted at %d.%d.%d", argv.v[1], argv.v[2],
			 v->major, v->minor, v->patch);
	strv_release(&argv);
}

static void test_every_argv_is_valid_for_its_version(void **state)
{
	static const int versions[][3] = {
	    {0, 8, 0}, {0, 9, 0}, {1, 0, 2}, {1, 5, 0}, {1, 9, 3},
	};
	static const char *const cmd[] = {"sh", "-c", "exit 42", NULL};
	struct smolvm_create_opts co = {"/s/F", "10.213.0.2", "/abs/i.tar"};
	struct smolvm_exec_opts eo;
	struct strv env = STRV_INIT;
	size_t i;

	(void)state;
	strv_push(&env, "A=1");
	memset(&eo, 0, sizeof eo);
	eo.env = &env;
	eo.workdir = "/w";
	eo.timeout_s = 5;
	eo.interactive = eo.tty = eo.stream = 1;
	for (i = 0; i < UTIL_NELEM(versions); i++) {
		struct smolvm_cli c = cli_at("sv", versions[i][0],
					     versions[i][1], versions[i][2]);
		const struct smolvm_version *v = &c.v;
		expect_valid("version", smolvm_argv_version("sv"), v);
		expect_valid("create", smolvm_argv_create(&c, "web", &co), v);
		co.dns = co.image = NULL;
		expect_valid("create bare", smolvm_argv_create(&c, "web", &co),
			     v);
		co.dns = "10.213.0.2";
		co.image = "/abs/i.tar";
		expect_valid("start", smolvm_argv_start(&c, "web", "http://p"),
			     v);
		expect_valid("stop", smolvm_argv_stop(&c, "web"), v);
		expect_valid("delete", smolvm_argv_delete(&c, "web"), v);
		expect_valid("status", smolvm_argv_status(&c, "web"), v);
		expect_valid("ls", smolvm_argv_ls(&c), v);
		expect_valid("exec", smolvm_argv_exec(&c, "web", &eo, cmd), v);
		expect_valid("exec bare",
			     smolvm_argv_exec(&c, "web", NULL, cmd), v);
		expect_valid("data-dir", smolvm_argv_data_dir(&c, "web"), v);
		expect_valid("pack", smolvm_argv_pack_create(&c, "/s/F", "/o"),
			     v);
		if (smolvm_has(v, SMOLVM_F_EGRESS_EVENTS))
			expect_valid("egress-events",
				     smolvm_argv_egress_events(&c, "web", 10),
				     v);
	}
	strv_release(&env);
}

/* The validator itself rejects the argv each release would refuse. */
static void test_the_validator_knows_the_breaks(void **state)
{
	struct smolvm_cli c80 = cli_at("sv", 0, 8, 0);
	struct smolvm_cli c150 = cli_at("sv", 1, 5, 0);
	struct smolvm_cli c193 = cli_at("sv", 1, 9, 3);
	struct smolvm_create_opts co = {"/s/F", "10.213.0.2", "/abs/i.tar"};

	(void)state;
	/* 1.9.3's create (--name, --label, --dns, -I) at 0.8.0 */
	expect_invalid(smolvm_argv_create(&c193, "web", &co), &c80.v);
	/* 0.8.0's positional forms at 1.9.3 */
	expect_invalid(smolvm_argv_create(&c80, "web", &co), &c193.v);
	expect_invalid(smolvm_argv_delete(&c80, "web"), &c193.v);
	expect_invalid(smolvm_argv_data_dir(&c80, "web"), &c193.v);
	/* --label at 1.5.0; egress-events before 1.8.1 */
	expect_invalid(smolvm_argv_create(&c193, "web", &co), &c150.v);
	expect_invalid(smolvm_argv_egress_events(&c193, "web", 10), &c150.v);
	/* --proxy at 0.8.0 */
	expect_invalid(smolvm_argv_start(&c193, "web", "http://p"), &c80.v);
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

static void test_band_of_every_boundary(void **state)
{
	static const struct {
		int v[3];
		enum smolvm_band want;
	} cases[] = {
	    {{0, 7, 9}, SMOLVM_BAND_UNKNOWN}, {{0, 8, 0}, SMOLVM_BAND_A},
	    {{0, 8, 1}, SMOLVM_BAND_B},	      {{0, 9, 0}, SMOLVM_BAND_B},
	    {{1, 0, 1}, SMOLVM_BAND_B},	      {{1, 0, 2}, SMOLVM_BAND_C},
	    {{1, 1, 2}, SMOLVM_BAND_C},	      {{1, 1, 3}, SMOLVM_BAND_D},
	    {{1, 5, 0}, SMOLVM_BAND_D},	      {{1, 7, 9}, SMOLVM_BAND_D},
	    {{1, 8, 0}, SMOLVM_BAND_E},	      {{1, 9, 3}, SMOLVM_BAND_E},
	    {{1, 9, 99}, SMOLVM_BAND_E},      {{1, 10, 0}, SMOLVM_BAND_NEWER},
	    {{2, 0, 0}, SMOLVM_BAND_NEWER},   {{0, 0, 0}, SMOLVM_BAND_UNKNOWN},
	};
	size_t i;

	(void)state;
	for (i = 0; i < UTIL_NELEM(cases); i++) {
		struct smolvm_version v = {cases[i].v[0], cases[i].v[1],
					   cases[i].v[2]};
		enum smolvm_band got = smolvm_band_of(&v);
		if (got != cases[i].want)
			fail_msg("%d.%d.%d: band %s, want %s", v.major, v.minor,
				 v.patch, smolvm_band_name(got),
				 smolvm_band_name(cases[i].want));
	}
	assert_string_equal(smolvm_band_name(SMOLVM_BAND_E), "E");
	assert_string_equal(smolvm_band_name(SMOLVM_BAND_NEWER), "newer");
	assert_true(smolvm_band_is_tsi(SMOLVM_BAND_C));
	assert_false(smolvm_band_is_tsi(SMOLVM_BAND_D));
}

static void test_features_start_at_their_release(void **state)
{
	static const struct {
		enum smolvm_feature f;
		int first[3], before[3];
	} cases[] = {
	    {SMOLVM_F_PROXY, {0, 8, 1}, {0, 8, 0}},
	    {SMOLVM_F_CONFINE, {0, 8, 2}, {0, 8, 1}},
	    {SMOLVM_F_NAME_FLAG, {1, 0, 2}, {1, 0, 1}},
	    {SMOLVM_F_LOCAL_IMAGE, {1, 1, 0}, {1, 0, 9}},
	    {SMOLVM_F_VIRTIO, {1, 1, 3}, {1, 1, 2}},
	    {SMOLVM_F_DNS_FLAG, {1, 2, 5}, {1, 2, 4}},
	    {SMOLVM_F_LABELS, {1, 8, 0}, {1, 7, 9}},
	    {SMOLVM_F_EGRESS_EVENTS, {1, 8, 1}, {1, 8, 0}},
	};
	size_t i;

	(void)state;
	for (i = 0; i < UTIL_NELEM(cases); i++) {
		struct smolvm_version a = {cases[i].first[0], cases[i].first[1],
					   cases[i].first[2]};
		struct smolvm_version b = {
		    cases[i].before[0], cases[i].before[1], cases[i].before[2]};
		if (!smolvm_has(&a, cases[i].f) || smolvm_has(&b, cases[i].f))
			fail_msg("feature %zu not first at %d.%d.%d", i,
				 a.major, a.minor, a.patch);
	}
	assert_false(
	    smolvm_has(&(struct smolvm_version){1, 9, 3}, SMOLVM_F_COUNT));
}

static void expect_refusal(const char *text, const char *want)
{
	char *cause = NULL;

	assert_int_equal(smolvm_version_check(text, &cause), -1);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
}

static void test_version_check_accepts_0_8_0_to_1_9_x(void **state)
{
	static const char *const ok[] = {
	    "smolvm 0.8.0\n", "smolvm 0.9.0\n", "smolvm 1.0.2\n",
	    "smolvm 1.5.0\n", "smolvm 1.9.3\n", "smolvm 1.9.99\n",
	};
	char *cause = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < UTIL_NELEM(ok); i++) {
		if (smolvm_version_check(ok[i], &cause) != 0)
			fail_msg("%s refused: %s", ok[i], cause);
	}
	assert_null(cause);
	assert_int_equal(smolvm_version_check("smolvm 2.0.0\n", &cause), -1);
	assert_non_null(strstr(cause, "smolvm 2.0.0 is newer"));
	assert_non_null(strstr(cause, "the newest is 1.9.3"));
	assert_non_null(strstr(cause, "smolvm_allow_newer"));
	free(cause);
	cause = NULL;
	assert_int_equal(smolvm_version_check("smolvm 1.10.0", &cause), -1);
	free(cause);
	expect_refusal("smolvm 0.7.9",
		       "smolvm 0.7.9 is older than any release bottle speaks "
		       "(0.8.0 to 1.9.3): install smolvm 1.9.3");
	expect_refusal("\n bash: smolvm:\x1b[31m not found\nmore",
		       "smolvm --version printed \"bash: smolvm: [31m not "
		       "found\": not a version bottle understands (it speaks "
		       "smolvm 0.8.0 to 1.9.3)");
}

static void test_cli_init_and_the_newer_switch(void **state)
{
	struct smolvm_cli c;
	char *cause = NULL;

	(void)state;
	assert_int_equal(
	    smolvm_cli_init(&c, "/b/smolvm", "smolvm 1.9.3\n", 0, &cause), 0);
	assert_null(cause);
	assert_string_equal(c.bin, "/b/smolvm");
	assert_int_equal(c.v.major, 1);
	assert_int_equal(c.v.minor, 9);
	assert_int_equal(c.v.patch, 3);
	assert_int_equal(c.band, SMOLVM_BAND_E);
	assert_int_equal(smolvm_cli_init(&c, "sv", "smolvm 0.8.0\n", 0, &cause),
			 0);
	assert_int_equal(c.band, SMOLVM_BAND_A);
	/* newer: refused unless allowed */
	assert_int_equal(smolvm_cli_init(&c, "sv", "smolvm 2.0.0\n", 0, &cause),
			 -1);
	assert_non_null(strstr(cause, "smolvm_allow_newer"));
	free(cause);
	cause = NULL;
	assert_int_equal(smolvm_cli_init(&c, "sv", "smolvm 2.0.0\n", 1, &cause),
			 0);
	assert_null(cause);
	assert_int_equal(c.band, SMOLVM_BAND_NEWER);
	assert_int_equal(c.v.major, 2);
	/* the switch does not let older releases or garbage through */
	assert_int_equal(smolvm_cli_init(&c, "sv", "smolvm 0.7.9\n", 1, &cause),
			 -1);
	assert_non_null(strstr(cause, "older"));
	free(cause);
	cause = NULL;
	assert_int_equal(smolvm_cli_init(&c, "sv", "nope", 1, &cause), -1);
	assert_non_null(cause);
	free(cause);
}

/* ---- the environment smolvm runs in (§3.7) ----------------------------- */

static int env_has(const struct strv *env, const char *entry)
{
	size_t i;

	for (i = 0; i < env->n; i++)
		if (strcmp(env->v[i], entry) == 0)
			return 1;
	return 0;
}

static int env_has_name(const struct strv *env, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < env->n; i++)
		if (strncmp(env->v[i], name, n) == 0 && env->v[i][n] == '=')
			return 1;
	return 0;
}

static void check_env(const struct smolvm_cli *c, int sim, int tty,
		      int confined)
{
	static const char *const never[] = {
	    "HTTPS_PROXY",	 "https_proxy",	       "SMOLVM_EGRESS_FLOOR",
	    "SMOLVM_BOOT_DEBUG", "SMOLVM_BOOT_BINARY", "RUST_LOG",
	};
	struct strv env = STRV_INIT;
	size_t i;

	smolvm_env(c, sim, tty, &env);
	assert_non_null(env.v);
	assert_null(env.v[env.n]);
	assert_true(env_has(&env, "PATH=/opt/t/bin:/usr/bin:/bin"));
	assert_true(env_has(&env, "HOME=/home/t"));
	assert_true(env_has(&env, "XDG_DATA_HOME=/home/t/.d"));
	assert_false(env_has_name(&env, "XDG_CACHE_HOME"));
	for (i = 0; i < UTIL_NELEM(never); i++)
		if (env_has_name(&env, never[i]))
			fail_msg("%s reached smolvm", never[i]);
	assert_int_equal(env_has(&env, "SMOLVM_SECCOMP=enforce"), confined);
	assert_int_equal(env_has(&env, "SMOLVM_LANDLOCK=enforce"), confined);
	/* the caller's own SMOLVM_SECCOMP=audit never survives */
	assert_false(env_has(&env, "SMOLVM_SECCOMP=audit"));
	assert_int_equal(env_has_name(&env, "SMOLVM_SECCOMP"), confined);
	assert_int_equal(env_has(&env, "TERM=xterm-256color"), tty);
	assert_int_equal(env_has_name(&env, "TERM"), tty);
	assert_int_equal(env_has(&env, "SMOLVM_SIM_HOME=/tmp/simhome"), sim);
	assert_int_equal(env_has_name(&env, "SMOLVM_SIM_HOME"), sim);
	strv_release(&env);
}

static void test_env_is_an_allowlist(void **state)
{
	struct smolvm_cli a = cli_at("sv", 0, 8, 0);
	struct smolvm_cli b1 = cli_at("sv", 0, 8, 1);
	struct smolvm_cli b2 = cli_at("sv", 0, 8, 2);
	struct smolvm_cli e = cli_at("sv", 1, 9, 3);
	char *old_path = getenv("PATH") ? xstrdup(getenv("PATH")) : NULL;

	(void)state;
	setenv("HOME", "/home/t", 1);
	setenv("PATH", "/opt/t/bin:/usr/bin:/bin", 1);
	setenv("XDG_DATA_HOME", "/home/t/.d", 1);
	unsetenv("XDG_CACHE_HOME");
	setenv("HTTPS_PROXY", "http://evil:3128", 1);
	setenv("https_proxy", "http://evil:3128", 1);
	setenv("SMOLVM_EGRESS_FLOOR", "strict", 1);
	setenv("SMOLVM_BOOT_DEBUG", "1", 1);
	setenv("SMOLVM_BOOT_BINARY", "/tmp/x", 1);
	setenv("SMOLVM_SECCOMP", "audit", 1);
	setenv("RUST_LOG", "debug", 1);
	setenv("SMOLVM_SIM_HOME", "/tmp/simhome", 1);
	setenv("TERM", "xterm-256color", 1);
#ifdef __linux__
	check_env(&a, 0, 0, 0);
	check_env(&b1, 1, 1, 0);
	check_env(&b2, 0, 1, 1);
	check_env(&e, 1, 0, 1);
#else
	check_env(&a, 0, 0, 0);
	check_env(&e, 1, 0, 0);
#endif
	assert_int_equal(smolvm_env_confined(&b1), 0);
	if (old_path != NULL)
		setenv("PATH", old_path, 1);
	free(old_path);
	unsetenv("HTTPS_PROXY");
	unsetenv("https_proxy");
	unsetenv("SMOLVM_EGRESS_FLOOR");
	unsetenv("SMOLVM_BOOT_DEBUG");
	unsetenv("SMOLVM_BOOT_BINARY");
	unsetenv("SMOLVM_SECCOMP");
	unsetenv("RUST_LOG");
	unsetenv("SMOLVM_SIM_HOME");
}

/* ---- labels (1.8.0+) and egress-events (1.8.1+) ------------------------ */

/* `machine ls --json` at 1.9.3 (labels always present, {} when none). */
static const char ls_193[] =
    "[\n"
    "  {\"name\": \"bottle-web\", \"state\": \"running\", \"pid\": 7,\n"
    "   \"labels\": {\"dev.bottle.managed\": \"1\",\n"
    "              \"dev.bottle.name\": \"web\", \"team\": \"x\"}},\n"
    "  {\"name\": \"bottle-stray\", \"state\": \"stopped\",\n"
    "   \"labels\": {}},\n"
    "  {\"name\": \"bottle-api\", \"state\": \"stopped\",\n"
    "   \"labels\": {\"dev.bottle.managed\": \"1\",\n"
    "              \"dev.bottle.name\": \"web\"}},\n"
    "  {\"name\": \"scratch\", \"state\": \"created\",\n"
    "   \"labels\": {\"dev.bottle.managed\": \"1\",\n"
    "              \"dev.bottle.name\": \"scratch\"}},\n"
    "  {\"name\": \"bottle-db\", \"state\": \"running\",\n"
    "   \"labels\": {\"dev.bottle.managed\": \"true\",\n"
    "              \"dev.bottle.name\": \"db\"}},\n"
    "  {\"name\": \"bottle-q\", \"state\": \"running\",\n"
    "   \"labels\": {\"dev.bottle.managed\": 1,\n"
    "              \"dev.bottle.name\": \"q\"}}\n"
    "]\n";

static void test_labels_decide_ownership(void **state)
{
	struct smolvm_machine *m = NULL;
	size_t n = 0;
	char *cause = NULL;

	(void)state;
	assert_int_equal(
	    smolvm_parse_ls(ls_193, strlen(ls_193), &m, &n, &cause), 0);
	assert_int_equal(n, 6);
	assert_int_equal(m[0].has_labels, 1);
	assert_int_equal(m[0].managed, 1);
	assert_string_equal(m[0].label_name, "web");
	assert_string_equal(smolvm_owned_name(&m[0]), "web");
	/* labels win over the prefix: bottle-stray has none of bottle's */
	assert_int_equal(m[1].has_labels, 1);
	assert_int_equal(m[1].managed, 0);
	assert_null(m[1].label_name);
	assert_null(smolvm_owned_name(&m[1]));
	/* managed, but the name label disagrees with the machine's name */
	assert_null(smolvm_owned_name(&m[2]));
	/* managed and named, but not bottle-NAME */
	assert_null(smolvm_owned_name(&m[3]));
	/* managed must be the string "1" */
	assert_int_equal(m[4].managed, 0);
	assert_null(smolvm_owned_name(&m[4]));
	assert_int_equal(m[5].managed, 0);
	assert_null(smolvm_owned_name(&m[5]));
	smolvm_machines_free(m, n);

	/* 0.8.x: no labels key, the prefix decides */
	assert_int_equal(
	    smolvm_parse_ls(ls_two, strlen(ls_two), &m, &n, &cause), 0);
	assert_int_equal(m[0].has_labels, 0);
	assert_string_equal(smolvm_owned_name(&m[0]), "api");
	assert_null(smolvm_owned_name(&m[1]));
	smolvm_machines_free(m, n);
}

static void test_egress_events_parse(void **state)
{
	static const char text[] =
	    "[\n"
	    "  {\"timestamp\": \"2026-08-13T02:31:05Z\", \"operation\": "
	    "\"connect\", \"dest\": \"10.213.0.6:8888\"},\n"
	    "  {\"timestamp\": \"2026-08-13T02:31:06Z\", \"operation\": "
	    "\"sendto\"},\n"
	    "  3,\n"
	    "  {\"timestamp\": 5, \"operation\": \"connect\", \"dest\": "
	    "\"1.1.1.1:443\"},\n"
	    "  {\"timestamp\": \"2026-08-13T02:31:07Z\", \"operation\": "
	    "\"sendto\", \"dest\": \"[fd00::1]:123\", \"extra\": true}\n"
	    "]\n";
	struct smolvm_egress_event *e = NULL;
	size_t n = 9;
	char *cause = NULL;

	(void)state;
	assert_int_equal(
	    smolvm_parse_egress_events(text, strlen(text), &e, &n, &cause), 0);
	assert_null(cause);
	assert_int_equal(n, 2);
	assert_string_equal(e[0].timestamp, "2026-08-13T02:31:05Z");
	assert_string_equal(e[0].operation, "connect");
	assert_string_equal(e[0].dest, "10.213.0.6:8888");
	assert_string_equal(e[1].operation, "sendto");
	assert_string_equal(e[1].dest, "[fd00::1]:123");
	smolvm_egress_events_free(e, n);
	assert_int_equal(smolvm_parse_egress_events("[]", 2, &e, &n, &cause),
			 0);
	assert_int_equal(n, 0);
	smolvm_egress_events_free(e, n);
	assert_int_equal(
	    smolvm_parse_egress_events("{\"a\":1}", 7, &e, &n, &cause), -1);
	assert_null(e);
	assert_int_equal(n, 0);
	assert_string_equal(cause, "smolvm machine egress-events: expected a "
				   "JSON array");
	free(cause);
	cause = NULL;
	assert_int_equal(
	    smolvm_parse_egress_events("No egress denials recorded for 'x'.",
				       35, &e, &n, &cause),
	    -1);
	free(cause);
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
	    cmocka_unit_test(test_argv_builders_speak_0_8_0),
	    cmocka_unit_test(test_create_argv_per_band),
	    cmocka_unit_test(test_other_argv_per_band),
	    cmocka_unit_test(test_exec_puts_every_flag_before_the_separator),
	    cmocka_unit_test(test_every_argv_is_valid_for_its_version),
	    cmocka_unit_test(test_the_validator_knows_the_breaks),
	    cmocka_unit_test(test_machine_names),
	    cmocka_unit_test(test_version_parses_what_smolvm_prints),
	    cmocka_unit_test(test_band_of_every_boundary),
	    cmocka_unit_test(test_features_start_at_their_release),
	    cmocka_unit_test(test_version_check_accepts_0_8_0_to_1_9_x),
	    cmocka_unit_test(test_cli_init_and_the_newer_switch),
	    cmocka_unit_test(test_env_is_an_allowlist),
	    cmocka_unit_test(test_labels_decide_ownership),
	    cmocka_unit_test(test_egress_events_parse),
	    cmocka_unit_test(test_status_reads_a_running_machine),
	    cmocka_unit_test(test_ls_reads_every_machine),
	    cmocka_unit_test(test_wrong_types_and_huge_numbers_read_as_absent),
	    cmocka_unit_test(test_malformed_output_is_an_error),
	    cmocka_unit_test(test_classify_the_documented_errors),
	    cmocka_unit_test(test_own_error_is_an_Error_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
