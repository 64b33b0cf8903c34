/* main.c: argv → CLI subcommand or the dashboard. */
#include <stdio.h>
#include <string.h>

#include "assets.h"
#include "util.h"

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(assets_usage, stdout);
			return 0;
		}
		if (strcmp(argv[i], "-V") == 0 ||
		    strcmp(argv[i], "--version") == 0) {
			printf("bottle %s\n", BOTTLE_VERSION);
			return 0;
		}
	}
	fputs(assets_usage, stderr);
	return 2;
}
