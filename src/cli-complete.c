/* cli-complete.c: `bottle __complete`, the lines the shell completion
 * scripts read (see cli-complete.h). The verb and option tables follow
 * assets/text/usage.txt and the parsers in cli.c, cli-exec.c and
 * cli-logs.c; tests/install/completion.sh checks that every option listed
 * here is one its verb accepts. */
#include "cli-complete.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

#include "config.h"
#include "docker.h"
#include "paths.h"
#include "proc.h"
#include "state.h"
#include "tail.h"
#include "util.h"

/* docker ps is given this long, then killed: a hung engine costs one
 * TAB a little over a second, not the shell. */
#define CLI_COMPLETE_DOCKER_TIMEOUT_MS 1000
#define CLI_COMPLETE_DOCKER_GRACE_MS 200

struct cli_complete_verb {
	const char *verb;
	const char *args; /* "", "name" or "names" */
	const char *help;
};

struct cli_complete_option {
	const char *verb; /* NULL: a global option */
	const char *opt;
	const char *value; /* "" for a flag, else the kind of value */
	const char *help;
};

static const struct cli_complete_verb cli_complete_verbs[] = {
    {"ls", "", "list configured and discovered bottles"},
    {"up", "names", "create network, bundle and VM; probe"},
    {"down", "names", "stop and remove VM, bundle and network"},
    {"rm", "names", "down, then forget the subnet allocation"},
    {"status", "name", "one bottle's state, parts and probes"},
    {"probe", "names", "run the probes now"},
    {"exec", "name", "run a command in the VM"},
    {"shell", "name", "interactive shell in the VM"},
    {"logs", "name", "follow the bottle's logs, sanitized"},
    {"prepare", "name", "cache the VM image"},
    {"doctor", "", "check docker, smolvm, /dev/kvm, root"},
};

static const struct cli_complete_option cli_complete_options[] = {
    {NULL, "-c", "file", "configuration file"},
    {NULL, "--config", "file", "configuration file"},
    {NULL, "--read-only", "", "refuse every change"},
    {NULL, "-h", "", "help"},
    {NULL, "--help", "", "help"},
    {NULL, "-V", "", "print the version"},
    {NULL, "--version", "", "print the version"},
    {"ls", "--json", "", "print JSON"},
    {"up", "--all", "", "every configured bottle"},
    {"down", "--all", "", "every bottle"},
    {"status", "--json", "", "print JSON"},
    {"probe", "--all", "", "every bottle"},
    {"probe", "--json", "", "print JSON"},
    {"exec", "-e", "env", "environment variable K=V"},
    {"exec", "--env", "env", "environment variable K=V"},
    {"exec", "-w", "dir", "working directory in the VM"},
    {"exec", "--workdir", "dir", "working directory in the VM"},
    {"exec", "--timeout", "duration", "kill the command after DUR"},
    {"exec", "-i", "", "keep stdin open"},
    {"exec", "--interactive", "", "keep stdin open"},
    {"exec", "-t", "", "allocate a terminal"},
    {"exec", "--tty", "", "allocate a terminal"},
    {"exec", "--", "", "the command follows"},
    {"shell", "-e", "env", "environment variable K=V"},
    {"shell", "--env", "env", "environment variable K=V"},
    {"shell", "-w", "dir", "working directory in the VM"},
    {"shell", "--workdir", "dir", "working directory in the VM"},
    {"logs", "--source", "source", "events, bundle, vm or all"},
    {"logs", "-f", "", "follow"},
    {"logs", "--follow", "", "follow"},
    {"logs", "-n", "number", "lines of backlog"},
    {"logs", "--lines", "number", "lines of backlog"},
    {"logs", "--tail", "number", "lines of backlog"},
    {"logs", "--raw", "", "no sanitizing"},
};

static const struct cli_complete_verb *cli_complete_find_verb(const char *v)
{
	size_t i;

	for (i = 0; i < UTIL_NELEM(cli_complete_verbs); i++)
		if (strcmp(cli_complete_verbs[i].verb, v) == 0)
			return &cli_complete_verbs[i];
	return NULL;
}

static void cli_complete_print_verbs(void)
{
	size_t i;

	for (i = 0; i < UTIL_NELEM(cli_complete_verbs); i++)
		printf("%s\t%s\t%s\n", cli_complete_verbs[i].verb,
		       cli_complete_verbs[i].args, cli_complete_verbs[i].help);
}

/* verb NULL: the global options. */
static void cli_complete_print_options(const char *verb)
{
	size_t i;

	for (i = 0; i < UTIL_NELEM(cli_complete_options); i++) {
		const struct cli_complete_option *o = &cli_complete_options[i];
		if (!util_streq(o->verb, verb))
			continue;
		printf("%s\t%s\t%s\n", o->opt, o->value, o->help);
	}
}

static void cli_complete_print_sources(void)
{
	unsigned i;

	for (i = 0; i < TAIL_SOURCE_COUNT; i++)
		printf("%s\n", tail_source_name((enum tail_source)i));
	printf("all\n");
}

/* ---- names ------------------------------------------------------------ */

/* The configured bottles; nothing (and no message) when the file is
 * missing or invalid. */
static void cli_complete_config_names(const struct cli_global *g,
				      struct strv *names)
{
	struct config *cfg = NULL;
	char *path, *cause = NULL;
	size_t i;

	path = g->config_path ? xstrdup(g->config_path) : config_default_path();
	if (config_load(path, &cfg, &cause) == 0) {
		for (i = 0; i < cfg->n_bottles; i++)
			strv_push(names, cfg->bottles[i].name);
		config_free(cfg);
	}
	free(cause);
	free(path);
}

/* The bottles state.json remembers (a subnet, a last step). Read without
 * the state lock: the file is replaced by rename, so never seen half
 * written, and a TAB must not wait for a running `up`. */
static void cli_complete_state_names(struct strv *names)
{
	char *dir = paths_state_dir();
	char *path = xasprintf("%s/state.json", dir);
	char *text = NULL, *cause = NULL;
	struct state *s = NULL;
	size_t len = 0, i;

	if (util_read_file(path, &text, &len, &cause) == 0 &&
	    state_parse(text, len, path, &s, &cause) == 0) {
		for (i = 0; i < s->n; i++)
			strv_push(names, s->bottles[i].name);
		state_free(s);
	}
	free(cause);
	free(text);
	free(path);
	free(dir);
}

struct cli_complete_ps {
	int done;
	struct strv *names;
};

static void cli_complete_on_ps(struct proc *p, const struct proc_result *r,
			       void *data)
{
	struct cli_complete_ps *ps = data;
	struct docker_container *c = NULL;
	char *cause = NULL;
	size_t n = 0, i;

	(void)p;
	ps->done = 1;
	if (!r->exited || r->exit_status != 0 || r->out.data == NULL)
		return;
	if (docker_parse_ps(r->out.data, r->out.len, &c, &n, &cause) != 0) {
		free(cause);
		return;
	}
	for (i = 0; i < n; i++)
		if (c[i].managed && c[i].bottle != NULL &&
		    config_name_valid(c[i].bottle))
			strv_push(ps->names, c[i].bottle);
	docker_containers_free(c, n);
}

/* The bottles docker knows (containers labelled dev.bottle.managed=1),
 * running or not; nothing when docker is absent, refuses or hangs. */
static void cli_complete_docker_names(struct strv *names)
{
	struct strv a = docker_argv_ps();
	struct proc_opts o;
	struct cli_complete_ps ps = {0, names};
	uv_loop_t loop;

	uv_loop_init(&loop);
	memset(&o, 0, sizeof o);
	o.argv = (const char *const *)a.v;
	o.capture = 1;
	o.max_capture = 1 << 20;
	o.timeout_ms = CLI_COMPLETE_DOCKER_TIMEOUT_MS;
	o.kill_grace_ms = CLI_COMPLETE_DOCKER_GRACE_MS;
	o.on_exit = cli_complete_on_ps;
	o.data = &ps;
	proc_spawn(&loop, &o);
	while (!ps.done && uv_run(&loop, UV_RUN_ONCE) != 0)
		;
	uv_run(&loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&loop) != 0)
		fatal("internal error: a libuv handle was leaked");
	strv_release(&a);
}

static int cli_complete_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void cli_complete_print_names(const struct cli_global *g)
{
	struct strv names = STRV_INIT;
	size_t i;

	cli_complete_config_names(g, &names);
	cli_complete_state_names(&names);
	cli_complete_docker_names(&names);
	if (names.n == 0)
		return;
	qsort(names.v, names.n, sizeof *names.v, cli_complete_cmp);
	for (i = 0; i < names.n; i++)
		if (i == 0 || strcmp(names.v[i], names.v[i - 1]) != 0)
			printf("%s\n", names.v[i]);
	strv_release(&names);
}

int cli_complete_main(const struct cli_global *g, int argc, char **argv)
{
	const char *what = argc >= 2 ? argv[1] : "";

	if (strcmp(what, "names") == 0 && argc == 2) {
		cli_complete_print_names(g);
		return CLI_EXIT_OK;
	}
	if (strcmp(what, "verbs") == 0 && argc == 2) {
		cli_complete_print_verbs();
		return CLI_EXIT_OK;
	}
	if (strcmp(what, "sources") == 0 && argc == 2) {
		cli_complete_print_sources();
		return CLI_EXIT_OK;
	}
	if (strcmp(what, "options") == 0 && argc == 2) {
		cli_complete_print_options(NULL);
		return CLI_EXIT_OK;
	}
	if (strcmp(what, "options") == 0 && argc == 3) {
		if (cli_complete_find_verb(argv[2]) == NULL)
			return CLI_EXIT_USAGE;
		cli_complete_print_options(argv[2]);
		return CLI_EXIT_OK;
	}
	fputs("usage: bottle __complete names|verbs|sources|options [VERB]\n",
	      stderr);
	return CLI_EXIT_USAGE;
}
