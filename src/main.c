/* main.c: argv → CLI subcommand or the dashboard. */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "assets.h"
#include "bottle.h"
#include "cli-main.h"
#include "paths.h"
#include "ui.h"
#include "util.h"

static int main_usage(void)
{
	fputs(assets_usage, stderr);
	return CLI_EXIT_USAGE;
}

/* main_dashboard: the curses dashboard over a core with timers. */
static int main_dashboard(const struct cli_global *g, const char *self)
{
	struct bottle_core_opts o = {.read_only = g->read_only};
	struct ui_opts uo;
	struct cli_core c;
	int rc;

	if ((rc = cli_open(&c, g, &o, 0)) != CLI_EXIT_OK)
		return rc;
	bottle_core_start(c.core, NULL, NULL);
	memset(&uo, 0, sizeof uo);
	uo.read_only = g->read_only;
	uo.self_path = self;
	uo.config_path = g->config_path;
	rc = ui_run(c.core, &uo);
	cli_close(&c);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli_global g;
	char self[4096];
	ssize_t n;
	int i;

	memset(&g, 0, sizeof g);
	g.argv0 = argv[0];
	setlocale(LC_ALL, "");
	/* an empty or relative PATH entry would run ./docker, ./smolvm */
	paths_secure_search_path();
	signal(SIGPIPE, SIG_IGN);
	uv_disable_stdio_inheritance();
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		snprintf(self, sizeof self, "%s", argv[0]);
	else
		self[n] = '\0';

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(assets_usage, stdout);
			return 0;
		}
		if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("bottle %s\n", BOTTLE_VERSION);
			return 0;
		}
		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (++i >= argc) {
				fprintf(stderr, "bottle: %s needs a FILE\n", a);
				return main_usage();
			}
			g.config_path = argv[i];
			continue;
		}
		if (strncmp(a, "--config=", 9) == 0) {
			g.config_path = a + 9;
			continue;
		}
		if (strcmp(a, "--read-only") == 0) {
			g.read_only = 1;
			continue;
		}
		if (a[0] == '-') {
			fprintf(stderr, "bottle: unknown option %s\n",
				cli_quote_arg(a));
			return main_usage();
		}
		break;
	}
	if (i >= argc)
		return main_dashboard(&g, self);
	return cli_main(&g, argc - i, argv + i);
}
