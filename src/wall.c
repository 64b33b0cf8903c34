/* wall.c: the second wall (see wall.h). */
#include "wall.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <arpa/inet.h>

#include "bottle-int.h"
#include "vmmwatch.h"

extern char **environ;

#define WALL_EXEC_TIMEOUT_MS 10000

/* ---- names ----------------------------------------------------------- */

static uint64_t wall_fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

void wall_world_prefix(const char *world, char *out, size_t outsz)
{
	snprintf(out, outsz, WALL_CHAIN_PREFIX "%08x-",
		 (unsigned)(wall_fnv(world) & 0xffffffffu));
}

void wall_chain_name(const char *world, const char *name, char *out,
		     size_t outsz)
{
	char pre[24];
	int n;

	wall_world_prefix(world, pre, sizeof pre);
	n = snprintf(out, outsz, "%s%010llx", pre,
		     (unsigned long long)(wall_fnv(name) & 0xffffffffffull));
	if ((n < 0 || (size_t)n >= outsz) && outsz > 0)
		out[0] = '\0'; /* never a cut name (callers pass enough) */
}

/* ---- scripts ---------------------------------------------------------- */

static void wall_script_del_jumps(struct buf *s, const struct wall_listing *l,
				  const char *chain)
{
	size_t i;

	for (i = 0; l != NULL && i < l->n_jumps; i++)
		if (strcmp(l->v[l->jump_of[i]].name, chain) == 0)
			buf_addf(s, "-D OUTPUT %s\n", l->jumps[i]);
}

char *wall_script_install(const struct wall_listing *l, const char *chain,
			  unsigned uid, const char *bundle_ip, int probe_port,
			  int v6)
{
	struct buf s = BUF_INIT;

	buf_addf(&s, "*filter\n:%s - [0:0]\n", chain);
	wall_script_del_jumps(&s, l, chain);
	if (!v6) {
		buf_addf(&s,
			 "-A %s -d %s/32 -p tcp -m tcp --dport %d -m "
			 "conntrack --ctstate NEW -j RETURN\n",
			 chain, bundle_ip, probe_port);
		buf_addf(&s, "-A %s -d %s/32 -j RETURN\n", chain, bundle_ip);
		buf_addf(&s, "-A %s -d 127.0.0.0/8\n", chain);
	} else {
		buf_addf(&s, "-A %s -d ::1/128\n", chain);
	}
	buf_addf(&s, "-A %s -p tcp -j REJECT --reject-with tcp-reset\n", chain);
	buf_addf(&s, "-A %s -j DROP\n", chain);
	buf_addf(&s, "-I OUTPUT 1 -m owner --uid-owner %u -j %s\nCOMMIT\n", uid,
		 chain);
	return buf_detach(&s);
}

char *wall_script_remove(const struct wall_listing *l, const char *chain)
{
	struct buf s = BUF_INIT;

	if (wall_listing_find(l, chain) == NULL)
		return NULL;
	buf_adds(&s, "*filter\n");
	wall_script_del_jumps(&s, l, chain);
	buf_addf(&s, "-F %s\n-X %s\nCOMMIT\n", chain, chain);
	return buf_detach(&s);
}

/* ---- iptables-save ------------------------------------------------------ */

void wall_listing_release(struct wall_listing *l)
{
	size_t i;

	for (i = 0; i < l->n_jumps; i++)
		free(l->jumps[i]);
	free(l->jumps);
	free(l->jump_of);
	free(l->v);
	memset(l, 0, sizeof *l);
}

const struct wall_chain *wall_listing_find(const struct wall_listing *l,
					   const char *chain)
{
	size_t i;

	for (i = 0; l != NULL && i < l->n; i++)
		if (strcmp(l->v[i].name, chain) == 0)
			return &l->v[i];
	return NULL;
}

static struct wall_chain *wall_listing_get(struct wall_listing *l,
					   const char *name, size_t n)
{
	size_t i;

	if (n == 0 || n > WALL_CHAIN_MAX)
		return NULL;
	for (i = 0; i < l->n; i++)
		if (strlen(l->v[i].name) == n &&
		    memcmp(l->v[i].name, name, n) == 0)
			return &l->v[i];
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	memset(&l->v[l->n], 0, sizeof l->v[l->n]);
	memcpy(l->v[l->n].name, name, n);
	return &l->v[l->n++];
}

/* wall_word: the word after key in [s, e) (" key WORD"), or NULL; *n set. */
static const char *wall_word(const char *s, const char *e, const char *key,
			     size_t *n)
{
	size_t kl = strlen(key);
	const char *p;

	for (p = s; p + kl < e; p++) {
		const char *w;
		if (memcmp(p, key, kl) != 0 || (p > s && p[-1] != ' ') ||
		    p[kl] != ' ')
			continue;
		w = p + kl + 1;
		*n = 0;
		while (w + *n < e && w[*n] != ' ')
			(*n)++;
		return *n ? w : NULL;
	}
	return NULL;
}

static int wall_is_prefix(const char *w, size_t n)
{
	size_t pl = strlen(WALL_CHAIN_PREFIX);

	return n > pl && memcmp(w, WALL_CHAIN_PREFIX, pl) == 0;
}

static void wall_parse_rule(struct wall_listing *l, const char *p,
			    const char *e, uint64_t pkts)
{
	const char *w, *spec;
	size_t n, cn;
	struct wall_chain *c;

	/* "-A CHAIN SPEC" */
	w = p + 3;
	cn = 0;
	while (w + cn < e && w[cn] != ' ')
		cn++;
	spec = w + cn < e ? w + cn + 1 : e;
	if (cn == 6 && memcmp(w, "OUTPUT", 6) == 0) {
		const char *j = wall_word(spec, e, "-j", &n), *u;
		size_t un;
		if (j == NULL || !wall_is_prefix(j, n))
			return;
		c = wall_listing_get(l, j, n);
		if (c == NULL)
			return;
		u = wall_word(spec, e, "--uid-owner", &un);
		if (c->n_jumps++ == 0 && u != NULL && un < 12) {
			char tmp[12];
			memcpy(tmp, u, un);
			tmp[un] = '\0';
			c->uid = (unsigned)strtoul(tmp, NULL, 10);
		}
		l->jumps =
		    xreallocarray(l->jumps, l->n_jumps + 1, sizeof *l->jumps);
		l->jump_of = xreallocarray(l->jump_of, l->n_jumps + 1,
					   sizeof *l->jump_of);
		l->jumps[l->n_jumps] = xasprintf("%.*s", (int)(e - spec), spec);
		l->jump_of[l->n_jumps++] = (size_t)(c - l->v);
		return;
	}
	if (!wall_is_prefix(w, cn) || (c = wall_listing_get(l, w, cn)) == NULL)
		return;
	c->n_rules++;
	w = wall_word(spec, e, "-j", &n);
	if (w == NULL) {
		const char *d = wall_word(spec, e, "-d", &n);
		if (d != NULL &&
		    ((n == 11 && memcmp(d, "127.0.0.0/8", 11) == 0) ||
		     (n == 7 && memcmp(d, "::1/128", 7) == 0)))
			c->loopback += pkts;
		return;
	}
	if (n == 6 && memcmp(w, "RETURN", 6) == 0) {
		const char *d = wall_word(spec, e, "-d", &n);
		const char *port;
		size_t pn;
		if (d != NULL && n < sizeof c->bundle_ip) {
			size_t k = n;
			if (k > 3 && memcmp(d + k - 3, "/32", 3) == 0)
				k -= 3;
			snprintf(c->bundle_ip, sizeof c->bundle_ip, "%.*s",
				 (int)k, d);
		}
		port = wall_word(spec, e, "--dport", &pn);
		if (port != NULL && pn < 6) {
			char tmp[8];
			memcpy(tmp, port, pn);
			tmp[pn] = '\0';
			c->probe_port = (int)strtol(tmp, NULL, 10);
			c->probe_new += pkts;
		} else {
			c->to_b += pkts;
		}
	} else if (n == 6 && memcmp(w, "REJECT", 6) == 0) {
		c->has_reject = 1;
		c->refused += pkts;
	} else if (n == 4 && memcmp(w, "DROP", 4) == 0) {
		c->has_drop = 1;
		c->refused += pkts;
	}
}

int wall_parse_save(const char *buf, size_t len, struct wall_listing *l)
{
	const char *p = buf, *end = buf + len;
	int in_filter = 0, seen = 0;

	wall_listing_release(l);
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		uint64_t pkts = 0;
		const char *q = p;
		if (e == NULL)
			e = end;
		if (e - q >= 7 && memcmp(q, "*filter", 7) == 0) {
			in_filter = seen == 0;
			seen = 1;
		} else if (*q == '*') {
			in_filter = 0;
		} else if (in_filter && *q == ':') {
			size_t n = 0;
			while (q + 1 + n < e && q[1 + n] != ' ')
				n++;
			if (wall_is_prefix(q + 1, n))
				(void)wall_listing_get(l, q + 1, n);
		} else if (in_filter) {
			if (*q == '[') {
				char *ce;
				pkts = strtoull(q + 1, &ce, 10);
				q = memchr(q, ']', (size_t)(e - q));
				if (q == NULL || ce == NULL)
					goto next;
				q++;
				while (q < e && *q == ' ')
					q++;
			}
			if (e - q > 3 && memcmp(q, "-A ", 3) == 0)
				wall_parse_rule(l, q, e, pkts);
		}
	next:
		p = e < end ? e + 1 : end;
	}
	l->ok = seen;
	return seen ? 0 : -1;
}

int wall_chain_matches(const struct wall_chain *c, unsigned uid,
		       const char *bundle_ip, int probe_port)
{
	if (c == NULL || c->n_jumps != 1 || c->uid != uid || !c->has_reject ||
	    !c->has_drop)
		return 0;
	if (bundle_ip == NULL)
		return c->n_rules == 3 && c->bundle_ip[0] == '\0';
	return c->n_rules == 5 && strcmp(c->bundle_ip, bundle_ip) == 0 &&
	       c->probe_port == probe_port;
}

/* ---- running iptables ------------------------------------------------ */

static const char *wall_bin(const char *prog)
{
	static const char *const dirs[] = {"/usr/sbin", "/sbin", "/usr/bin",
					   "/bin"};
	static char found[4][64];
	static const char *const progs[] = {"iptables-save", "iptables-restore",
					    "ip6tables-save",
					    "ip6tables-restore"};
	size_t i, k;

	for (k = 0; k < UTIL_NELEM(progs); k++) {
		if (strcmp(progs[k], prog) != 0)
			continue;
		if (found[k][0] != '\0')
			return found[k];
		for (i = 0; i < UTIL_NELEM(dirs); i++) {
			snprintf(found[k], sizeof found[k], "%s/%s", dirs[i],
				 prog);
			if (access(found[k], X_OK) == 0)
				return found[k];
		}
		found[k][0] = '\0';
	}
	return NULL;
}

/* wall_exec: run argv with input on stdin, stdout into out; waits for it
 * (at most WALL_EXEC_TIMEOUT_MS, then SIGKILL). 0 when it exited 0, else
 * -1 with the first line of its stderr in cause. */
static int wall_exec(const char *const *argv, const char *input,
		     struct buf *out, char **cause)
{
	int in[2] = {-1, -1}, op[2] = {-1, -1}, ep[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	struct buf err = BUF_INIT;
	size_t done_in = 0, in_len = input ? strlen(input) : 0;
	uint64_t deadline = util_mono_ms() + WALL_EXEC_TIMEOUT_MS;
	pid_t pid;
	int st = 0, rc;

	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(op, O_CLOEXEC) != 0 ||
	    pipe2(ep, O_CLOEXEC) != 0) {
		rc = util_fail(cause, "%s: pipe: %s", argv[0], strerror(errno));
		goto close;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, op[1], 1);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
	rc =
	    posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(op[1]);
	close(ep[1]);
	in[0] = op[1] = ep[1] = -1;
	if (rc != 0) {
		rc = util_fail(cause, "%s: %s", argv[0], strerror(rc));
		goto close;
	}
	if (in_len == 0) {
		close(in[1]);
		in[1] = -1;
	} else {
		(void)fcntl(in[1], F_SETFL, O_NONBLOCK);
	}
	while (op[0] >= 0 || ep[0] >= 0 || in[1] >= 0) {
		struct pollfd pf[3];
		int np = 0, k;
		uint64_t now = util_mono_ms();
		char chunk[4096];
		if (now >= deadline) {
			kill(pid, SIGKILL);
			break;
		}
		if (op[0] >= 0)
			pf[np++] = (struct pollfd){op[0], POLLIN, 0};
		if (ep[0] >= 0)
			pf[np++] = (struct pollfd){ep[0], POLLIN, 0};
		if (in[1] >= 0)
			pf[np++] = (struct pollfd){in[1], POLLOUT, 0};
		if (poll(pf, (nfds_t)np, (int)(deadline - now)) < 0) {
			if (errno == EINTR)
				continue;
			kill(pid, SIGKILL);
			break;
		}
		for (k = 0; k < np; k++) {
			ssize_t got;
			if (pf[k].revents == 0)
				continue;
			if (pf[k].fd == in[1]) {
				got = write(in[1], input + done_in,
					    in_len - done_in);
				if (got > 0)
					done_in += (size_t)got;
				if ((got < 0 && errno != EAGAIN &&
				     errno != EINTR) ||
				    done_in == in_len) {
					close(in[1]);
					in[1] = -1;
				}
				continue;
			}
			got = read(pf[k].fd, chunk, sizeof chunk);
			if (got > 0) {
				buf_add(pf[k].fd == op[0] ? out : &err, chunk,
					(size_t)got);
				continue;
			}
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (pf[k].fd == op[0]) {
				close(op[0]);
				op[0] = -1;
			} else {
				close(ep[0]);
				ep[0] = -1;
			}
		}
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		rc = 0;
	} else {
		const char *e = err.data ? err.data : "";
		size_t n = strcspn(e, "\n");
		if (WIFEXITED(st))
			rc = util_fail(cause, "%s: exit %d%s%.*s", argv[0],
				       WEXITSTATUS(st), n ? ": " : "",
				       (int)(n > 200 ? 200 : n), e);
		else
			rc = util_fail(cause, "%s: killed (signal %d)", argv[0],
				       WTERMSIG(st));
	}
close:
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (op[0] >= 0)
		close(op[0]);
	if (op[1] >= 0)
		close(op[1]);
	if (ep[0] >= 0)
		close(ep[0]);
	if (ep[1] >= 0)
		close(ep[1]);
	buf_release(&err);
	return rc;
}

int wall_capable(const char **why)
{
	const char *off = getenv("BOTTLE_WALL");

	if (off != NULL && strcmp(off, "off") == 0) {
		*why = "BOTTLE_WALL=off";
		return 0;
	}
	if (geteuid() != 0) {
		*why = "bottle does not run as root (kernel rules need it)";
		return 0;
	}
	if (wall_bin("iptables-save") == NULL ||
	    wall_bin("iptables-restore") == NULL) {
		*why = "no iptables-save/iptables-restore (apt-get install "
		       "iptables)";
		return 0;
	}
	*why = NULL;
	return 1;
}

static int wall_have_v6(void)
{
	return wall_bin("ip6tables-save") != NULL &&
	       wall_bin("ip6tables-restore") != NULL;
}

/* wall_read: one family's listing (sync); 0 or -1 with cause. */
static int wall_read(int v6, struct wall_listing *l, char **cause)
{
	const char *argv[] = {wall_bin(v6 ? "ip6tables-save" : "iptables-save"),
			      "-c", "-t", "filter", NULL};
	struct buf out = BUF_INIT;
	int rc;

	wall_listing_release(l);
	if (argv[0] == NULL)
		return util_fail(cause, "no %s",
				 v6 ? "ip6tables-save" : "iptables-save");
	rc = wall_exec(argv, NULL, &out, cause);
	if (rc == 0 &&
	    wall_parse_save(out.data ? out.data : "", out.len, l) != 0)
		rc = util_fail(cause, "%s: no filter table", argv[0]);
	buf_release(&out);
	return rc;
}

/* Every change this process makes to the rules (loop thread only): a
 * listing read before the latest change is out of date. */
static unsigned long wall_generation;

static int wall_apply(int v6, const char *script, char **cause)
{
	const char *argv[] = {
	    wall_bin(v6 ? "ip6tables-restore" : "iptables-restore"), "-w", "5",
	    "--noflush", NULL};
	struct buf out = BUF_INIT;
	int rc;

	if (argv[0] == NULL)
		return util_fail(cause, "no %s",
				 v6 ? "ip6tables-restore" : "iptables-restore");
	wall_generation++;
	rc = wall_exec(argv, script, &out, cause);
	buf_release(&out);
	return rc;
}

/* ---- the bottles ------------------------------------------------------- */

static void wall_set(char *field, size_t sz, const char *text)
{
	snprintf(field, sz, "%s", text ? text : "");
}

static void wall_name_of(const struct bottle_core *core, const char *name,
			 char *out, size_t outsz)
{
	wall_chain_name(core->state_dir, name, out, outsz);
}

/* wall_uid: b's VMM uid into b (from its pid). */
static void wall_uid(struct bottle *b)
{
	char *cause = NULL;
	unsigned uid = 0;
	enum vmmwatch_kind kind = VMMWATCH_NONE;

	if (vmmwatch_vmm_uid(b->vm_pid, b->priv->core->env.simulated, &uid,
			     &kind, &cause) != 0) {
		b->vmm_uid = 0;
		b->vmm_uid_kind = VMMWATCH_NONE;
		wall_set(b->vmm_uid_why, sizeof b->vmm_uid_why, cause);
		free(cause);
		return;
	}
	b->vmm_uid = uid;
	b->vmm_uid_kind = (int)kind;
	b->vmm_uid_why[0] = '\0';
}

static void wall_clear(struct bottle *b)
{
	b->vmm_uid = 0;
	b->vmm_uid_kind = VMMWATCH_NONE;
	b->vmm_uid_why[0] = '\0';
	b->vmm_stray[0] = '\0';
	b->wall = 0;
	b->wall_why[0] = '\0';
	b->wall_chain[0] = '\0';
	b->wall_to_b = b->wall_loopback = b->wall_refused = 0;
}

/* wall_counters: b's counters from both listings. */
static void wall_counters(struct bottle *b, const struct wall_listing *l4,
			  const struct wall_listing *l6)
{
	const struct wall_chain *c4 = wall_listing_find(l4, b->wall_chain);
	const struct wall_chain *c6 = wall_listing_find(l6, b->wall_chain);

	b->wall_to_b = c4 ? c4->probe_new + c4->to_b : 0;
	b->wall_loopback = (c4 ? c4->loopback : 0) + (c6 ? c6->loopback : 0);
	b->wall_refused = (c4 ? c4->refused : 0) + (c6 ? c6->refused : 0);
}

/* wall_ensure: b's chain as it should be in both families (listings
 * updated after a change). 1 in place, 0 not (b->wall_why says). */
static int wall_ensure(struct bottle *b, struct wall_listing *l4,
		       struct wall_listing *l6)
{
	int port = bottle_proxy_port(b->cfg), fam;
	char *cause = NULL;

	if (port <= 0)
		port = 0;
	for (fam = 0; fam < 2; fam++) {
		struct wall_listing *l = fam ? l6 : l4;
		const char *ip = fam ? NULL : b->bundle_ip;
		char *s;
		if (fam && !wall_have_v6())
			continue;
		if (!l->ok ||
		    wall_chain_matches(wall_listing_find(l, b->wall_chain),
				       b->vmm_uid, ip, port))
			continue;
		s = wall_script_install(l, b->wall_chain, b->vmm_uid,
					b->bundle_ip, port, fam);
		if (wall_apply(fam, s, &cause) != 0) {
			free(s);
			wall_set(b->wall_why, sizeof b->wall_why, cause);
			bottle_log(b, "second wall: could not install: %s",
				   cause);
			free(cause);
			b->wall = 0;
			return 0;
		}
		free(s);
		bottle_log(b,
			   "second wall: %s chain %s in place (uid %u may "
			   "reach %s only)",
			   fam ? "IPv6" : "IPv4", b->wall_chain, b->vmm_uid,
			   fam ? "nothing" : b->bundle_ip);
		if (wall_read(fam, l, &cause) != 0) {
			free(cause);
			cause = NULL;
		}
	}
	if (!l4->ok) {
		wall_set(b->wall_why, sizeof b->wall_why,
			 "iptables-save could not be read");
		b->wall = 0;
		return 0;
	}
	b->wall = 1;
	b->wall_why[0] = '\0';
	return 1;
}

/* wall_want: whether b should have a wall now, with why not in wall_why. */
static int wall_want(struct bottle *b, int capable, const char *why)
{
	if (!capable) {
		b->wall = -1;
		wall_set(b->wall_why, sizeof b->wall_why, why);
		return 0;
	}
	if (b->vmm_uid == 0) {
		b->wall = -1;
		wall_set(b->wall_why, sizeof b->wall_why, b->vmm_uid_why);
		return 0;
	}
	if (b->bundle_ip == NULL || b->cfg == NULL) {
		b->wall = 0;
		wall_set(b->wall_why, sizeof b->wall_why,
			 "no bundle address known");
		return 0;
	}
	return 1;
}

static void wall_remove_chain(struct wall_listing *l, int v6, const char *chain,
			      struct bottle_core *core)
{
	char *s = wall_script_remove(l, chain), *cause = NULL;

	if (s == NULL)
		return;
	if (wall_apply(v6, s, &cause) != 0) {
		bottle_emit(core, NULL, BOTTLE_EV_MESSAGE, cause);
		free(cause);
	}
	free(s);
}

/* What a refresh reads of the host, on libuv's thread pool (an idle
 * dashboard's loop never waits for iptables-save; changes to the rules,
 * at up, down and around probe runs, still run on the loop): the socket
 * tables and the two rule listings. Nothing here touches the core;
 * capable, why and v6 are found on the loop first (wall_bin's cache is
 * filled there). */
struct wall_snap {
	uv_work_t work;
	struct bottle_core *core;
	int vm_known;
	int capable, v6;
	const char *why;
	unsigned long generation; /* wall_generation when queued */
	struct vmmwatch_table t;
	struct wall_listing l4, l6;
	char *cause4; /* iptables-save could not be read */
	void (*done)(struct bottle_core *core, int vm_known);
};

static void wall_snap_read(struct wall_snap *s)
{
	char *cause = NULL;

#ifdef BOTTLE_TEST_HOOKS
	/* test builds: a slow iptables-save (tests/ui/wall_read.sh) */
	const char *delay = getenv("BOTTLE_TEST_WALL_READ_DELAY_MS");
	if (delay != NULL && *delay >= '1' && *delay <= '9') {
		unsigned long ms = strtoul(delay, NULL, 10);
		struct timespec ts = {(time_t)(ms / 1000),
				      (long)(ms % 1000) * 1000000L};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
#endif
	vmmwatch_read("/proc", &s->t);
	if (!s->capable)
		return;
	if (wall_read(0, &s->l4, &s->cause4) != 0 && s->cause4 == NULL)
		s->cause4 = xstrdup("iptables-save could not be read");
	if (s->v6 && wall_read(1, &s->l6, &cause) != 0)
		free(cause);
}

static void wall_snap_release(struct wall_snap *s)
{
	wall_listing_release(&s->l4);
	wall_listing_release(&s->l6);
	vmmwatch_table_release(&s->t);
	free(s->cause4);
	free(s);
}

static void wall_core_apply(struct bottle_core *core, int vm_known,
			    struct wall_snap *s);

static void wall_snap_work(uv_work_t *w)
{
	wall_snap_read(w->data);
}

static void wall_snap_after(uv_work_t *w, int status)
{
	struct wall_snap *s = w->data;
	struct bottle_core *core = s->core;

	if (status == 0 && !core->closing)
		wall_core_apply(core, s->vm_known, s);
	s->done(core, s->vm_known);
	wall_snap_release(s);
	bottle_core_unref(core);
}

static struct wall_snap *wall_snap_new(struct bottle_core *core, int vm_known)
{
	struct wall_snap *s = xcalloc(1, sizeof *s);

	s->core = core;
	s->vm_known = vm_known;
	s->capable = wall_capable(&s->why);
	s->v6 = s->capable && wall_have_v6();
	s->generation = wall_generation;
	return s;
}

void wall_core_refresh_async(struct bottle_core *core, int vm_known,
			     void (*done)(struct bottle_core *core,
					  int vm_known))
{
	struct wall_snap *s = wall_snap_new(core, vm_known);

	s->done = done;
	s->work.data = s;
	core->refs++;
	if (uv_queue_work(core->loop, &s->work, wall_snap_work,
			  wall_snap_after) != 0) {
		/* no thread pool: read here */
		core->refs--;
		wall_snap_read(s);
		wall_core_apply(core, vm_known, s);
		done(core, vm_known);
		wall_snap_release(s);
	}
}

/* wall_core_apply: the per-bottle half of a refresh, on the loop, over
 * what s read. */
static void wall_core_apply(struct bottle_core *core, int vm_known,
			    struct wall_snap *s)
{
	struct wall_listing *l4 = &s->l4, *l6 = &s->l6;
	const char *why = s->why;
	char prefix[24];
	/* rules this process changed since the read (an up, down or probe
	 * run that began and ended meanwhile): the listing is out of date,
	 * so this refresh installs, removes and counts nothing */
	int fresh = s->generation == wall_generation;
	int capable = s->capable;
	size_t i, k;

	if (capable && s->cause4 != NULL)
		bottle_emit(core, NULL, BOTTLE_EV_MESSAGE, s->cause4);
	for (i = 0; i < core->n; i++) {
		struct bottle *b = core->v[i];
		char *stray;
		if (b->op != BOTTLE_OP_NONE || b->busy_other != NULL ||
		    b->probing) {
			/* its operation (here or in another bottle process)
			 * or probe run owns the wall until it is done (and
			 * the listing read before may predate its changes) */
			if (b->wall_chain[0] != '\0' && fresh)
				wall_counters(b, l4, l6);
			continue;
		}
		if (!bottle_vm_running(b)) {
			if (vm_known)
				wall_clear(b);
			continue;
		}
		wall_uid(b);
		b->vmm_stray[0] = '\0';
		if (b->vmm_uid != 0 && s->t.read_ok) {
			const char *extra = NULL;
			if (b->vmm_uid_kind == VMMWATCH_GUEST && b->cfg)
				extra = b->cfg->resolver; /* TSI adds it */
			stray = vmmwatch_stray(&s->t, b->vmm_uid, b->bundle_ip,
					       extra);
			if (stray != NULL) {
				if (strcmp(stray, b->vmm_stray) != 0)
					bottle_log(b, "host: %s", stray);
				wall_set(b->vmm_stray, sizeof b->vmm_stray,
					 stray);
				free(stray);
			}
		}
		if (!fresh)
			continue;
		if (!wall_want(b, capable, why)) {
			b->wall_chain[0] = '\0';
			continue;
		}
		wall_name_of(core, b->name, b->wall_chain,
			     sizeof b->wall_chain);
		if (wall_ensure(b, l4, l6))
			wall_counters(b, l4, l6);
	}
	/* what no running VM of this state directory needs any more, and
	 * what any state directory left for a uid one of ours owns now */
	wall_world_prefix(core->state_dir, prefix, sizeof prefix);
	for (k = 0; fresh && capable && vm_known && k < 2; k++) {
		struct wall_listing *l = k ? l6 : l4;
		size_t j, n = l->n;
		char(*names)[WALL_CHAIN_MAX + 4] =
		    xcalloc(n ? n : 1, sizeof *names);
		for (j = 0; j < n; j++)
			memcpy(names[j], l->v[j].name, sizeof names[j]);
		for (j = 0; j < n; j++) {
			const struct wall_chain *c =
			    wall_listing_find(l, names[j]);
			int keep = 0, stale_uid = 0;
			if (c == NULL)
				continue;
			for (i = 0; i < core->n; i++) {
				const struct bottle *b = core->v[i];
				char mine[WALL_CHAIN_MAX + 4];
				wall_name_of(core, b->name, mine, sizeof mine);
				if (strcmp(mine, names[j]) == 0 &&
				    (b->op != BOTTLE_OP_NONE ||
				     b->busy_other != NULL ||
				     bottle_vm_running(b)))
					keep = 1;
				else if (b->vmm_uid != 0 &&
					 c->uid == b->vmm_uid &&
					 bottle_vm_running(b))
					stale_uid = 1;
			}
			if (keep ||
			    (!stale_uid &&
			     strncmp(names[j], prefix, strlen(prefix)) != 0))
				continue;
			wall_remove_chain(l, (int)k, names[j], core);
		}
		free(names);
	}
}

void wall_remove(struct bottle_core *core, const char *name)
{
	struct wall_listing l;
	char chain[WALL_CHAIN_MAX + 4], *cause = NULL;
	const char *why;
	int v6;

	if (!wall_capable(&why))
		return;
	wall_name_of(core, name, chain, sizeof chain);
	memset(&l, 0, sizeof l);
	for (v6 = 0; v6 < 2; v6++) {
		if (v6 && !wall_have_v6())
			continue;
		if (wall_read(v6, &l, &cause) != 0) {
			free(cause);
			cause = NULL;
			continue;
		}
		wall_remove_chain(&l, v6, chain, core);
	}
	wall_listing_release(&l);
}

void wall_bottle_settle(struct bottle *b)
{
	if (b->op != BOTTLE_OP_NONE || bottle_vm_running(b))
		return;
	if (b->wall_chain[0] != '\0' || b->wall == 1) {
		wall_remove(b->priv->core, b->name);
		bottle_log(b, "second wall: removed (the VM is not running)");
	}
	wall_clear(b);
}

int wall_bottle_ensure(struct bottle *b)
{
	struct wall_listing l4, l6;
	const char *why = NULL;
	char *cause = NULL;
	int capable = wall_capable(&why), ok;

	b->wall_run_ok = 0;
	if (b->vm_pid > 0)
		wall_uid(b);
	if (!wall_want(b, capable, why))
		return 0;
	memset(&l4, 0, sizeof l4);
	memset(&l6, 0, sizeof l6);
	if (wall_read(0, &l4, &cause) != 0) {
		wall_set(b->wall_why, sizeof b->wall_why, cause);
		free(cause);
		b->wall = 0;
		return 0;
	}
	if (wall_have_v6() && wall_read(1, &l6, &cause) != 0) {
		free(cause);
		cause = NULL;
	}
	wall_name_of(b->priv->core, b->name, b->wall_chain,
		     sizeof b->wall_chain);
	ok = wall_ensure(b, &l4, &l6);
	if (ok) {
		const struct wall_chain *c =
		    wall_listing_find(&l4, b->wall_chain);
		wall_counters(b, &l4, &l6);
		b->wall_run_probe = c ? c->probe_new : 0;
		b->wall_run_loop = b->wall_loopback;
		b->wall_run_refused = b->wall_refused;
		b->wall_run_ok = 1;
	}
	wall_listing_release(&l4);
	wall_listing_release(&l6);
	return ok;
}

int wall_bottle_after(struct bottle *b, uint64_t *d_probe, uint64_t *d_loop,
		      uint64_t *d_refused)
{
	struct wall_listing l4, l6;
	const struct wall_chain *c;
	char *cause = NULL;
	int intact = 0;

	*d_probe = *d_loop = *d_refused = 0;
	if (!b->wall_run_ok || b->wall_chain[0] == '\0')
		return 0;
	memset(&l4, 0, sizeof l4);
	memset(&l6, 0, sizeof l6);
	if (wall_read(0, &l4, &cause) != 0) {
		free(cause);
		return 0;
	}
	if (wall_have_v6() && wall_read(1, &l6, &cause) != 0) {
		free(cause);
		cause = NULL;
	}
	c = wall_listing_find(&l4, b->wall_chain);
	if (c != NULL &&
	    wall_chain_matches(c, b->vmm_uid, b->bundle_ip, c->probe_port) &&
	    c->probe_new >= b->wall_run_probe) {
		uint64_t before_loop = b->wall_run_loop;
		uint64_t before_ref = b->wall_run_refused;
		wall_counters(b, &l4, &l6);
		if (b->wall_loopback >= before_loop &&
		    b->wall_refused >= before_ref) {
			intact = 1;
			*d_probe = c->probe_new - b->wall_run_probe;
			*d_loop = b->wall_loopback - before_loop;
			*d_refused = b->wall_refused - before_ref;
		}
	}
	wall_listing_release(&l4);
	wall_listing_release(&l6);
	return intact;
}

/* ---- what is shown ----------------------------------------------------- */

int wall_breach(const struct bottle *b)
{
	return b->wall == 1 && b->vmm_uid_kind == VMMWATCH_VMM &&
	       b->wall_refused > 0 && bottle_vm_running(b);
}

int wall_guest_reported(const struct bottle *b)
{
	size_t i;

	for (i = 0; i < PROBE_COUNT; i++)
		if (b->probes[i].verdict == PROBE_PASS &&
		    b->probe_evidence[i] == PROBE_GUEST_ONLY)
			return 1;
	return 0;
}

char *wall_describe(const struct bottle *b)
{
	if (b->wall == 1)
		return xasprintf(
		    "in place (uid %u may reach %s only): %llu packets to "
		    "B, %llu refused%s",
		    b->vmm_uid, b->bundle_ip ? b->bundle_ip : "B",
		    (unsigned long long)b->wall_to_b,
		    (unsigned long long)b->wall_refused,
		    wall_breach(b) ? " (the VMM's allowlist let them through)"
				   : "");
	if (b->wall == -1)
		return xasprintf("none: the VMM's allowlist is the only wall "
				 "(%s)",
				 b->wall_why[0] ? b->wall_why : "no uid");
	if (b->wall_why[0] != '\0')
		return xasprintf("not in place: %s", b->wall_why);
	return NULL;
}

int wall_host_refuses(const char *ip, const int *ports, size_t n, int ms,
		      int *accepted)
{
	struct sockaddr_in sa;
	struct pollfd *pf;
	int *res;
	uint64_t deadline = util_mono_ms() + (uint64_t)(ms > 0 ? ms : 0);
	size_t i, left = 0;
	int all = 1;

	*accepted = 0;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return -1;
	pf = xcalloc(n ? n : 1, sizeof *pf);
	res = xcalloc(n ? n : 1, sizeof *res);
	/* every connect at once: the bound is ms for all of them */
	for (i = 0; i < n; i++) {
		pf[i].fd = -1;
		pf[i].events = POLLOUT;
		pf[i].revents = 0;
		res[i] = -1;
		sa.sin_port = htons((uint16_t)ports[i]);
		pf[i].fd = socket(
		    AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (pf[i].fd < 0)
			continue;
		if (connect(pf[i].fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			res[i] = 0;
		else if (errno == ECONNREFUSED)
			res[i] = 1;
		else if (errno == EINPROGRESS) {
			left++;
			continue;
		}
		close(pf[i].fd);
		pf[i].fd = -1; /* poll skips it */
	}
	while (left > 0) {
		uint64_t now = util_mono_ms();
		int r;
		if (now >= deadline)
			break;
		r = poll(pf, (nfds_t)n, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (i = 0; i < n; i++) {
			int err = 0;
			socklen_t el = sizeof err;
			if (pf[i].fd < 0 || pf[i].revents == 0)
				continue;
			if (getsockopt(pf[i].fd, SOL_SOCKET, SO_ERROR, &err,
				       &el) == 0)
				res[i] = err == 0	       ? 0
					 : err == ECONNREFUSED ? 1
							       : -1;
			close(pf[i].fd);
			pf[i].fd = -1;
			left--;
		}
	}
	for (i = 0; i < n; i++) {
		if (pf[i].fd >= 0)
			close(pf[i].fd);
		if (res[i] == 0 && *accepted == 0)
			*accepted = ports[i];
		else if (res[i] < 0 && all == 1)
			all = -1;
	}
	free(pf);
	free(res);
	return *accepted != 0 ? 0 : all;
}
