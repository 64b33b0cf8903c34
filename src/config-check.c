/* config-check.c: the checks of a whole, resolved bottle (see
 * config-int.h): required keys, services and their bind addresses (the
 * bind-address knob), the proxy, volumes (what a hostile configuration
 * may not hand the guest) and the subnet pool (ranges it may not touch).
 * Pure: they read nothing but their arguments; except
 * config_check_volumes_now, which checks the volumes again at up time
 * against the file system as it is then. */
#include "config-int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "util.h"

/* Ranges a bottle's subnet must never touch. */
static const struct {
	uint32_t addr;
	int prefix;
	const char *what;
} config_reserved[] = {
    {0x00000000u, 8, "0.0.0.0/8 (\"this network\")"},
    {0x7f000000u, 8, "127.0.0.0/8 (loopback)"},
    {0x64600000u, 30,
     "100.96.0.0/30 (the guest's own link under smolvm's virtio-net)"},
    {0xa9fe0000u, 16, "169.254.0.0/16 (link-local, always denied by smolvm)"},
    {0xe0000000u, 4, "224.0.0.0/4 (multicast)"},
    {0xf0000000u, 4, "240.0.0.0/4 (reserved)"},
};

static char *config_pool_reserved(const char *s, uint32_t addr, int prefix,
				  int loopback_ok)
{
	size_t i;
	int p;

	for (i = 0; i < UTIL_NELEM(config_reserved); i++) {
		if (loopback_ok && config_reserved[i].addr == 0x7f000000u)
			continue;
		p = prefix < config_reserved[i].prefix
			? prefix
			: config_reserved[i].prefix;
		if (((addr ^ config_reserved[i].addr) & config_mask(p)) != 0)
			continue;
		{
			char *q = config_quoted(s);
			char *msg = xasprintf("%s overlaps %s: expected a "
					      "private range such as "
					      "\"10.213.0.0/16\"",
					      q, config_reserved[i].what);
			free(q);
			return msg;
		}
	}
	return NULL;
}

/* ---- whole-bottle checks ------------------------------------------------
 * ctx->path holds the bottle's prefix ("defaults", "bottles.web"). */

/* config_service_hint: the base service closest to name, or NULL:
 * a new service that lacks fields is most likely a misspelt one. */
static const char *config_service_hint(const cJSON *base, const char *name)
{
	const cJSON *o;
	const char *hint = NULL;
	size_t best = SIZE_MAX;

	cJSON_ArrayForEach(o,
			   config_get(config_get(base, "bundle"), "services"))
	{
		if (config_close_enough(name, o->string, &best))
			hint = o->string;
	}
	return hint;
}

/* config_check_required: keys that only the merged layers can supply. */
int config_check_required(struct config_ctx *ctx, const cJSON *j,
			  const cJSON *base, int need_images)
{
	static const char *const sections[] = {"vm", "bundle"};
	static const char *const need[] = {"port", "bind", "agent_reachable"};
	const cJSON *services = config_get(config_get(j, "bundle"), "services");
	const cJSON *c;
	const char *hint;
	char *where;
	size_t i;

	for (i = 0; need_images && i < UTIL_NELEM(sections); i++) {
		if (config_get(config_get(j, sections[i]), "image") != NULL)
			continue;
		where = xstrdup(ctx->path.data);
		config_path_key(&ctx->path, sections[i]);
		config_path_key(&ctx->path, "image");
		config_fail(ctx, "required (set it in %s.%s or in defaults.%s)",
			    where, sections[i], sections[i]);
		free(where);
		return -1;
	}
	cJSON_ArrayForEach(c, services)
	{
		for (i = 0; i < UTIL_NELEM(need); i++) {
			if (config_get(c, need[i]) != NULL)
				continue;
			config_path_key(&ctx->path, "bundle");
			config_path_key(&ctx->path, "services");
			config_path_key(&ctx->path, c->string);
			hint = config_service_hint(base, c->string);
			if (hint != NULL)
				return config_fail(
				    ctx,
				    "missing \"%s\" (a service needs port, "
				    "bind and agent_reachable; did you mean "
				    "the service \"%s\"?)",
				    need[i], hint);
			return config_fail(ctx,
					   "missing \"%s\" (a service needs "
					   "port, bind and agent_reachable)",
					   need[i]);
		}
	}
	return 0;
}

static int config_loopback(const char *ip)
{
	uint32_t a;

	return config_ipv4(ip, &a) == 0 && (a >> 24) == 127;
}

static int config_check_service(struct config_ctx *ctx,
				const struct config_bottle *b, size_t i)
{
	const struct config_service *s = &b->bundle.services[i];
	size_t j, mark;

	mark = config_path_key(&ctx->path, "bundle");
	config_path_key(&ctx->path, "services");
	config_path_key(&ctx->path, s->name);
	for (j = 0; j < i; j++) {
		if (b->bundle.services[j].port != s->port)
			continue;
		config_path_key(&ctx->path, "port");
		return config_fail(ctx,
				   "%d is already used by the service \"%s\"",
				   s->port, b->bundle.services[j].name);
	}
	config_path_key(&ctx->path, "bind");
	if (s->agent_reachable && config_loopback(s->bind))
		return config_fail(
		    ctx,
		    "\"%s\" is a loopback address, but the service has "
		    "agent_reachable true: the VM could not reach it (bind "
		    "\"0.0.0.0\")",
		    s->bind);
	if (!s->agent_reachable && !config_loopback(s->bind)) {
		if (!ctx->unsafe_bind)
			return config_fail(
			    ctx,
			    "\"%s\" is not a loopback address, but the service "
			    "has agent_reachable false: the VM can reach every "
			    "port on the bundle's IP, so a service hidden from "
			    "the agent must bind 127.0.0.0/8 (e.g. "
			    "\"127.0.0.1\")",
			    s->bind);
		if (ctx->warn_unsafe)
			config_warn(
			    ctx,
			    "UNSAFE: \"%s\" accepted for a service with "
			    "agent_reachable false only because of a "
			    "test-only override: the agent CAN reach this "
			    "service",
			    s->bind);
	}
	config_path_pop(&ctx->path, mark);
	return 0;
}

static int config_check_proxy(struct config_ctx *ctx,
			      const struct config_bottle *b)
{
	const struct config_service *s =
	    config_service_find(b, b->bundle.proxy);
	struct buf names = BUF_INIT;
	size_t i;
	int rc;

	if (s != NULL && s->agent_reachable)
		return 0;
	config_path_key(&ctx->path, "bundle");
	config_path_key(&ctx->path, "proxy");
	if (s != NULL)
		return config_fail(ctx,
				   "the service \"%s\" has agent_reachable "
				   "false: the agent could not use it as its "
				   "proxy",
				   s->name);
	for (i = 0; i < b->bundle.n_services; i++)
		buf_addf(&names, "%s%s", i > 0 ? ", " : "",
			 b->bundle.services[i].name);
	rc = config_fail(ctx, "no service named \"%s\" (services: %s)",
			 b->bundle.proxy, names.len > 0 ? names.data : "none");
	buf_release(&names);
	return rc;
}

/* config_has_ctl: 1 when s holds a C0 control character or DEL. */
static int config_has_ctl(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	}
	return 0;
}

/* config_guest: the guest path of a volume, as [p, p + *n). */
static const char *config_guest(const char *volume, size_t *n)
{
	const char *p = strchr(volume, ':') + 1;

	*n = strcspn(p, ":");
	return p;
}

/* config_path_within: 1 when path (n bytes) is dir or lies inside it. */
static int config_path_within(const char *path, size_t n, const char *dir)
{
	size_t d = strlen(dir);

	while (d > 1 && dir[d - 1] == '/')
		d--;
	if (d == 1 && dir[0] == '/')
		return 1;
	return n >= d && memcmp(path, dir, d) == 0 &&
	       (n == d || path[d] == '/');
}

/* config_path_dir: path's first n bytes as a string in buf (n < 4096). */
static const char *config_path_dir(const char *path, size_t n, char *buf)
{
	memcpy(buf, path, n);
	buf[n] = '\0';
	return buf;
}

/* config_host_refused: why the host side of a volume (path, n bytes) may
 * not be mounted into a VM, or NULL. The guest may be root and hostile:
 * it must not get the host's system trees, other users' homes, or
 * bottle's own state, configuration or helper. */
static char *config_host_refused(const struct config_opts *o, const char *path,
				 size_t n)
{
	static const char *const system[] = {
	    "/bin",   "/boot",	"/dev",	   "/etc",  "/lib",
	    "/lib32", "/lib64", "/libx32", "/proc", "/root",
	    "/run",   "/sbin",	"/sys",	   "/usr",  "/var",
	};
	char buf[4096];
	size_t i;

	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 1)
		return xstrdup("the host's root directory");
	if (n >= sizeof buf)
		return xstrdup("the path is too long");
	for (i = 0; i < UTIL_NELEM(system); i++)
		if (config_path_within(path, n, system[i]))
			return xasprintf("%s is a system directory", system[i]);
	if (n == 5 && memcmp(path, "/home", 5) == 0)
		return xstrdup("/home holds every user's home");
	for (i = 0; o->protected_dirs && o->protected_dirs[i]; i++) {
		const char *d = o->protected_dirs[i];
		/* is it, lies inside, or contains bottle's own files */
		if (config_path_within(path, n, d) ||
		    config_path_within(d, strlen(d),
				       config_path_dir(path, n, buf)))
			return xasprintf("it is, contains or lies inside "
					 "bottle's own %s",
					 d);
	}
	if (config_path_within(path, n, "/home")) {
		const char *home = o->home;
		/* without a home (a bare config_parse) only /home itself */
		if (home != NULL && !config_path_within(path, n, home))
			return xstrdup("another user's home");
	}
	return NULL;
}

static int config_check_volumes(struct config_ctx *ctx,
				const struct config_bottle *b)
{
	const struct strv *v = &b->vm.volumes;
	size_t i, j, ni, nj;

	for (i = 0; i < v->n; i++) {
		const char *gi = config_guest(v->v[i], &ni);
		size_t nh = (size_t)(strchr(v->v[i], ':') - v->v[i]);
		char *why = config_host_refused(ctx->opts, v->v[i], nh);

		if (why != NULL) {
			config_path_key(&ctx->path, "vm");
			config_path_key(&ctx->path, "volumes");
			config_path_index(&ctx->path, (int)i);
			config_fail(ctx,
				    "the host directory \"%.*s\" may not be "
				    "mounted into a VM: %s",
				    (int)nh, v->v[i], why);
			free(why);
			return -1;
		}

		for (j = 0; j < i; j++) {
			const char *gj = config_guest(v->v[j], &nj);

			if (ni != nj || memcmp(gi, gj, ni) != 0)
				continue;
			config_path_key(&ctx->path, "vm");
			config_path_key(&ctx->path, "volumes");
			config_path_index(&ctx->path, (int)i);
			return config_fail(ctx,
					   "the guest path \"%.*s\" is already "
					   "used by vm.volumes[%zu]",
					   (int)ni, gi, j);
		}
	}
	return 0;
}

static int config_check_subnet(struct config_ctx *ctx,
			       const struct config_bottle *b)
{
	uint32_t addr;
	int pool;
	char *why;

	if (config_cidr(b->subnet_pool, &addr, &pool) != 0)
		return 0;
	why = config_pool_reserved(b->subnet_pool, addr, pool,
				   ctx->opts->loopback_pool);
	if (why != NULL) {
		config_path_key(&ctx->path, "subnet_pool");
		config_fail(ctx, "%s", why);
		free(why);
		return -1;
	}
	if (b->subnet_prefix >= pool)
		return 0;
	config_path_key(&ctx->path, "subnet_prefix");
	return config_fail(ctx,
			   "/%d subnets do not fit in the pool %s (expected "
			   "a prefix from %d to 29)",
			   b->subnet_prefix, b->subnet_pool, pool);
}

int config_check_bottle(struct config_ctx *ctx, const struct config_bottle *b)
{
	size_t i;

	for (i = 0; i < b->bundle.n_services; i++) {
		if (config_check_service(ctx, b, i) != 0)
			return -1;
	}
	if (config_check_proxy(ctx, b) != 0 ||
	    config_check_volumes(ctx, b) != 0 ||
	    config_check_subnet(ctx, b) != 0)
		return -1;
	return 0;
}

/* ---- at up time ----------------------------------------------------------
 * The load-time check above sees the paths as written. Between loading
 * and up a component of a path may have become a symbolic link (to /etc,
 * to another user's home): the paths are resolved again and the policy
 * applied to what they resolve to, which is also what the Smolfile names. */

/* The policy of c with each protected directory also in its resolved form
 * and the home resolved. */
struct config_policy {
	struct strv dirs;
	char *home;
	struct config_opts o;
};

static void config_policy_init(struct config_policy *p, const struct config *c)
{
	size_t i;
	char *r;

	memset(p, 0, sizeof *p);
	for (i = 0; i < c->protected_dirs.n; i++) {
		strv_push(&p->dirs, c->protected_dirs.v[i]);
		r = realpath(c->protected_dirs.v[i], NULL);
		if (r != NULL && strcmp(r, c->protected_dirs.v[i]) != 0)
			strv_push(&p->dirs, r);
		free(r);
	}
	if (c->home != NULL) {
		p->home = realpath(c->home, NULL);
		if (p->home == NULL)
			p->home = xstrdup(c->home);
	}
	p->o.protected_dirs = (const char *const *)p->dirs.v;
	p->o.home = p->home;
}

static void config_policy_release(struct config_policy *p)
{
	strv_release(&p->dirs);
	free(p->home);
	memset(p, 0, sizeof *p);
}

/* config_git_target: 1 when some volume of v mounts at guest + "/.git"
 * (g, n bytes, no trailing '/'): the configuration put something there
 * itself. */
static int config_git_target(const struct strv *v, const char *g, size_t n)
{
	size_t i, nj;

	for (i = 0; i < v->n; i++) {
		const char *gj = config_guest(v->v[i], &nj);

		while (nj > 1 && gj[nj - 1] == '/')
			nj--;
		if (nj == n + 5 && memcmp(gj, g, n) == 0 &&
		    memcmp(gj + n, "/.git", 5) == 0)
			return 1;
	}
	return 0;
}

/* config_mount_now: volume i of b into m, or a message (caller frees). */
static char *config_mount_now(const struct config_policy *p,
			      const struct config_bottle *b, size_t i,
			      struct config_mount *m)
{
	const char *v = b->vm.volumes.v[i];
	size_t nh = (size_t)(strchr(v, ':') - v), ng;
	const char *g = config_guest(v, &ng);
	char *host = xstrndup(v, nh), *qh = config_quoted(host), *qr = NULL;
	char *why = NULL, *git = NULL, *msg = NULL;
	struct stat st;

	m->ro = strchr(g, ':') != NULL; /* the only option is ":ro" */
	while (ng > 1 && g[ng - 1] == '/')
		ng--;
	m->guest = xstrndup(g, ng);
	m->host = realpath(host, NULL);
	if (m->host == NULL) {
		if (errno == ENOENT)
			msg = xasprintf("the host directory %s does not exist",
					qh);
		else
			msg = xasprintf("the host directory %s cannot be "
					"resolved: %s",
					qh, strerror(errno));
		goto out;
	}
	qr = config_quoted(m->host);
	if (stat(m->host, &st) != 0 || !S_ISDIR(st.st_mode)) {
		msg = xasprintf("the host path %s is not a directory", qh);
		goto out;
	}
	if (strchr(m->host, ':') != NULL || config_has_ctl(m->host)) {
		msg = xasprintf("the host directory %s resolves to %s, which a "
				"volume cannot name (a ':' or a control "
				"character)",
				qh, qr);
		goto out;
	}
	why = config_host_refused(&p->o, m->host, strlen(m->host));
	if (why != NULL) {
		if (strcmp(host, m->host) != 0)
			msg =
			    xasprintf("the host directory %s resolves to %s, "
				      "which may not be mounted into a VM: %s",
				      qh, qr, why);
		else
			msg = xasprintf("the host directory %s may not be "
					"mounted into a VM: %s",
					qh, why);
		goto out;
	}
	if (m->ro || b->vm.git_writable ||
	    config_git_target(&b->vm.volumes, m->guest, ng))
		goto out;
	git = xasprintf("%s/.git", m->host);
	free(qr);
	qr = config_quoted(git);
	if (lstat(git, &st) != 0) {
		if (errno != ENOENT)
			msg = xasprintf("%s: %s", qr, strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		msg = xasprintf("%s is not a directory (a linked worktree or a "
				"submodule?): smolvm mounts only directories, "
				"so it cannot be kept read-only in the guest; "
				"mount the directory read-only (\":ro\") or "
				"set vm.git_writable to true",
				qr);
		goto out;
	}
	m->git_ro = 1;
out:
	free(host);
	free(qh);
	free(qr);
	free(why);
	free(git);
	return msg;
}

int config_check_volumes_now(const struct config *c,
			     const struct config_bottle *b,
			     struct config_mounts *out, char **cause)
{
	struct config_policy p;
	struct config_ctx ctx;
	size_t i;
	char *msg = NULL;

	memset(out, 0, sizeof *out);
	if (b->vm.volumes.n == 0)
		return 0;
	config_policy_init(&p, c);
	out->v = xcalloc(b->vm.volumes.n, sizeof *out->v);
	for (i = 0; i < b->vm.volumes.n && msg == NULL; i++) {
		msg = config_mount_now(&p, b, i, &out->v[i]);
		out->n = i + 1;
	}
	config_policy_release(&p);
	if (msg == NULL)
		return 0;
	memset(&ctx, 0, sizeof ctx);
	ctx.origin = c->path;
	config_path_key(&ctx.path, "bottles");
	config_path_key(&ctx.path, b->name != NULL ? b->name : "?");
	config_path_key(&ctx.path, "vm");
	config_path_key(&ctx.path, "volumes");
	config_path_index(&ctx.path, (int)i - 1);
	config_fail(&ctx, "%s", msg);
	free(msg);
	buf_release(&ctx.path);
	config_mounts_release(out);
	if (cause != NULL)
		*cause = ctx.cause;
	else
		free(ctx.cause);
	return -1;
}
