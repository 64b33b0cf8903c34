/* cli.c: what every verb of the command line shares: the configuration,
 * the core's set-up and teardown, option parsing, quoting. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"
#include "sanitize.h"

/* cli_quote_arg: an argument the user typed, made safe to print (escape
 * sequences and control characters visible, bounded); static buffer. */
const char *cli_quote_arg(const char *arg)
{
	static struct buf b;
	struct sanitize_opts o = SANITIZE_OPTS_INIT;

	o.esc = SANITIZE_ESC_SHOW;
	o.max_cols = 80;
	buf_reset(&b);
	buf_addc(&b, '"');
	sanitize_line(arg, strlen(arg), &b, &o);
	buf_addc(&b, '"');
	return b.data;
}

void cli_progress(const char *name, const char *fmt, ...)
{
	va_list ap;

	if (getenv("BOTTLE_QUIET") != NULL)
		return;
	if (name != NULL)
		fprintf(stderr, "bottle: %s: ", name);
	else
		fputs("bottle: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage(const char *verb, const char *usage, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		fprintf(stderr, "bottle %s: ", verb);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "usage: bottle %s %s\n", verb, usage);
	return CLI_EXIT_USAGE;
}

int cli_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts, const char **typed)
{
	static char one[3];
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (c != '?' && c != ':')
		return c;
	/* a short option is named by optopt; a long one (optopt 0 when
	 * unknown, CLI_OPT_LONG.. when known) by the word that holds it */
	if (optopt > 0 && optopt < CLI_OPT_LONG &&
	    (optind < 1 || optind > argc ||
	     strncmp(argv[optind - 1], "--", 2) != 0)) {
		one[0] = '-';
		one[1] = (char)optopt;
		one[2] = '\0';
		*typed = one;
	} else {
		*typed = optind >= 1 && optind <= argc ? argv[optind - 1] : "?";
	}
	return c;
}

/* cli_user_home: the home of the user bottle works for (under sudo, the
 * one who ran sudo), from the password database, not $HOME. */
static char *cli_user_home(void)
{
	const char *sudo = getenv("SUDO_UID");
	uid_t uid = getuid();
	struct passwd *pw;

	if (uid == 0 && sudo != NULL && strspn(sudo, "0123456789") > 0 &&
	    sudo[strspn(sudo, "0123456789")] == '\0')
		uid = (uid_t)strtoul(sudo, NULL, 10);
	pw = getpwuid(uid);
	return pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/'
		   ? xstrdup(pw->pw_dir)
		   : NULL;
}

/* cli_config_load: the configuration at path, with what only the CLI
 * knows: bottle's own directories (no volume may touch them), the user's
 * home, and in test builds the unsafe-bind override. */
static int cli_config_load(const char *path, struct config **cfg, char **cause)
{
	char *state = paths_state_dir(), *helper = paths_probe_helper_dir();
	char *conf = config_default_path(), *slash = strrchr(conf, '/');
	char *home = cli_user_home(), *file = realpath(path, NULL);
	const char *dirs[7];
	struct config_opts o;
	size_t n = 0;
	int rc;

	if (slash != NULL && slash != conf)
		*slash = '\0'; /* the default configuration's directory */
	dirs[n++] = state;
	if (conf[0] == '/')
		dirs[n++] = conf;
	if (file != NULL)
		dirs[n++] = file; /* the file itself: no volume contains it */
	if (helper != NULL && helper[0] == '/')
		dirs[n++] = helper;
	dirs[n++] = BOTTLE_DATADIR;
	dirs[n++] = BOTTLE_SRCDIR;
	dirs[n] = NULL;
	memset(&o, 0, sizeof o);
	o.protected_dirs = dirs;
	o.home = home;
#ifdef BOTTLE_TEST_HOOKS
	/* the mutation tests build the leak the check forbids */
	o.unsafe_bind = util_streq(getenv("BOTTLE_TEST_UNSAFE_BIND"), "1");
#endif
	rc = config_load_opts(path, &o, cfg, cause);
	free(state);
	free(helper);
	free(conf);
	free(home);
	free(file);
	return rc;
}

struct config *cli_load_config(const struct cli_global *g)
{
	struct config *cfg = NULL;
	char *path, *cause = NULL;
	size_t i;
	struct stat st;

	path = g->config_path ? xstrdup(g->config_path) : config_default_path();
	if (g->config_path == NULL && stat(path, &st) != 0) {
		fprintf(stderr,
			"bottle: no configuration at %s\n"
			"  create one from %s/bottles.example.json (see "
			"bottle.json(5)),\n"
			"  pass one with -c FILE, or try the demo: make run\n",
			path, BOTTLE_DATADIR);
		free(path);
		return NULL;
	}
	if (cli_config_load(path, &cfg, &cause) != 0) {
		fprintf(stderr, "bottle: %s\n", cause);
		free(cause);
		free(path);
		return NULL;
	}
	for (i = 0; i < cfg->warnings.n; i++)
		fprintf(stderr, "bottle: warning: %s\n", cfg->warnings.v[i]);
	free(path);
	return cfg;
}

/* ---- the core ----------------------------------------------------------- */

int cli_open(struct cli_core *c, const struct cli_global *g,
	     const struct bottle_core_opts *o, unsigned flags)
{
	char *cause = NULL, *path;
	struct stat st;

	memset(c, 0, sizeof *c);
	path = config_default_path();
	if ((flags & CLI_OPEN_OPTIONAL) && g->config_path == NULL &&
	    stat(path, &st) != 0) {
		if (config_parse("{}", 2, "(no configuration)", &c->cfg,
				 &cause) != 0)
			fatal("internal error: %s", cause);
	} else {
		c->cfg = cli_load_config(g);
	}
	free(path);
	if (c->cfg == NULL)
		return CLI_EXIT_CONFIG;
	c->state_dir = paths_state_dir();
	uv_loop_init(&c->loop);
	if (bottle_core_new(&c->loop, c->cfg, c->state_dir, o, &c->core,
			    &cause) != 0) {
		fprintf(stderr, "bottle: %s\n", cause);
		free(cause);
		c->core = NULL;
		cli_close(c);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

static void cli_on_ready(struct bottle_core *core, struct bottle *b,
			 const char *error, void *data)
{
	(void)core;
	(void)b;
	(void)error;
	*(int *)data = 1;
}

void cli_ready(struct cli_core *c)
{
	int ready = 0;

	bottle_core_start(c->core, cli_on_ready, &ready);
	while (!ready && uv_run(&c->loop, UV_RUN_ONCE) != 0)
		;
}

void cli_close(struct cli_core *c)
{
	if (c->core != NULL)
		bottle_core_close(c->core);
	c->core = NULL;
	uv_run(&c->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&c->loop) != 0)
		fatal("internal error: a libuv handle was leaked");
	config_free(c->cfg);
	free(c->state_dir);
	memset(c, 0, sizeof *c);
}

/* ---- one bottle, for exec and logs -------------------------------------- */

static char *cli_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

int cli_target_open(struct cli_target *t, const struct cli_global *g,
		    const char *name, int config_rc, int fail_rc)
{
	/* exec, shell and logs report nothing of docker at start: no docker
	 * version (a tail of docker logs says its own errors) */
	struct bottle_core_opts o = {.no_timers = 1,
				     .read_only = g->read_only,
				     .docker_check = BOTTLE_DOCKER_CHECK_NEVER};
	const struct bottle_env *env;
	struct bottle *b;
	int rc;

	memset(t, 0, sizeof *t);
	rc = cli_open(&t->c, g, &o, 0);
	if (rc != CLI_EXIT_OK)
		return rc == CLI_EXIT_CONFIG ? config_rc : fail_rc;
	t->name = xstrdup(name);
	cli_ready(&t->c);
	env = bottle_core_env(t->c.core);
	t->smolvm = cli_dup(env->smolvm_path);
	t->smolvm_version = cli_dup(env->smolvm_version);
	t->cli = env->smolvm;
	t->cli.bin = t->smolvm ? t->smolvm : "smolvm";
	smolvm_env(&t->cli, env->simulated, 1, &t->env);
	if (env->smolvm_ok != 1)
		t->smolvm_error =
		    xstrdup(env->smolvm_error ? env->smolvm_error
					      : "smolvm is not usable");
	t->simulated = env->simulated;
	b = config_name_valid(name) ? bottle_core_find(t->c.core, name) : NULL;
	if (b != NULL) {
		t->vm_state = cli_dup(b->vm_state);
		t->bundle_state = cli_dup(b->bundle_state);
	}
	bottle_core_close(t->c.core);
	t->c.core = NULL;
	if (b == NULL) {
		fprintf(stderr,
			"bottle: %s: no such bottle (not in the configuration, "
			"nothing of it in docker or smolvm)\n",
			name);
		cli_target_close(t);
		return fail_rc;
	}
	return 0;
}

void cli_target_close(struct cli_target *t)
{
	cli_close(&t->c);
	free(t->name);
	free(t->smolvm);
	strv_release(&t->env);
	free(t->smolvm_version);
	free(t->smolvm_error);
	free(t->vm_state);
	free(t->bundle_state);
	memset(t, 0, sizeof *t);
}
