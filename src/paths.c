/* paths.c: where bottle's files and helper programs live. */
#include "paths.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#ifndef BOTTLE_SRCDIR
#define BOTTLE_SRCDIR "."
#endif
#ifndef BOTTLE_DATADIR
#define BOTTLE_DATADIR "/usr/local/share/bottle"
#endif
/* Architecture-dependent files (the static probe helper): not under
 * share/. Older Makefiles did not pass it: the helper then sat in the
 * data directory. */
#ifndef BOTTLE_LIBEXECDIR
#define BOTTLE_LIBEXECDIR BOTTLE_DATADIR
#endif

/* An environment variable's value, or NULL when unset or empty. */
static const char *paths_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static const char *paths_home(void)
{
	const char *home = paths_env("HOME");
	struct passwd *pw;

	if (home != NULL)
		return home;
	pw = getpwuid(getuid());
	if (pw != NULL && pw->pw_dir != NULL && *pw->pw_dir != '\0')
		return pw->pw_dir;
	return "/";
}

static int paths_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

char *paths_state_dir(void)
{
	const char *v;

	if ((v = paths_env("BOTTLE_STATE_DIR")) != NULL)
		return xstrdup(v);
	if ((v = paths_env("XDG_STATE_HOME")) != NULL && v[0] == '/')
		return xasprintf("%s/bottle", v);
	return xasprintf("%s/.local/state/bottle", paths_home());
}

int paths_in_tree(void)
{
	static int known, in_tree;
	char exe[4096];
	ssize_t n;
	size_t len = strlen(BOTTLE_SRCDIR);

	if (known)
		return in_tree;
	known = 1;
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0 || BOTTLE_SRCDIR[0] != '/')
		return in_tree = 0;
	exe[n] = '\0';
	in_tree = strncmp(exe, BOTTLE_SRCDIR, len) == 0 && exe[len] == '/' &&
		  paths_exists(BOTTLE_SRCDIR "/assets/demo/smolvm");
	return in_tree;
}

char *paths_sim(void)
{
	if (paths_in_tree())
		return xstrdup(BOTTLE_SRCDIR "/assets/demo/smolvm");
	return xstrdup(BOTTLE_DATADIR "/demo/smolvm");
}

char *paths_probe_helper_dir(void)
{
	if (paths_in_tree())
		return xstrdup(BOTTLE_SRCDIR "/build/helper");
	return xstrdup(BOTTLE_LIBEXECDIR "/helper");
}

char *paths_demo_config(void)
{
	if (paths_in_tree())
		return xstrdup(BOTTLE_SRCDIR "/assets/demo/bottles.json");
	return xstrdup(BOTTLE_DATADIR "/demo/bottles.json");
}

char *paths_clean_search(const char *path)
{
	struct buf b = BUF_INIT;
	const char *p, *e;

	for (p = path ? path : ""; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		if (e > p && p[0] == '/') {
			if (b.len > 0)
				buf_addc(&b, ':');
			buf_add(&b, p, (size_t)(e - p));
		}
	}
	if (b.data == NULL)
		buf_adds(&b, "");
	return buf_detach(&b);
}

void paths_secure_search_path(void)
{
	char *clean = paths_clean_search(getenv("PATH"));

	setenv("PATH", clean[0] ? clean : "/usr/bin:/bin", 1);
	free(clean);
}

const char *paths_docker(void)
{
	const char *v = paths_env("BOTTLE_DOCKER");

	return v != NULL ? v : "docker";
}

const char *paths_smolvm(void)
{
	const char *v = paths_env("BOTTLE_SMOLVM");

	return v != NULL ? v : "smolvm";
}
