/* state.c: state.json, locks, per-bottle files and the events log. */
#include "state.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "ipam.h"

#define STATE_EVENT_MSG_MAX 8192 /* longer event messages are cut */

static unsigned state_lock_timeout = 5000;

static void state_flatten(char *s);
static char *state_lock_holder_path(const char *path);

void state_set_lock_timeout_ms(unsigned ms)
{
	state_lock_timeout = ms;
}

/* A name safe to use as one path component under the state directory:
 * 1..64 of [a-z0-9-], starting with a letter or digit. The config
 * validator applies the stricter bottle-name rule; this only keeps paths
 * inside DIR. */
static int state_name_ok(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0' || name[0] == '-')
		return 0;
	for (i = 0; name[i] != '\0'; i++) {
		char c = name[i];
		if (i >= 64 || !((c >= 'a' && c <= 'z') ||
				 (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

static void state_sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ------------------------------------------------------------------ */
/* The directory bottle owns, and files opened without following links. */

/* st (of path) is a directory this user owns that nobody else can write:
 * what every directory under the state directory must be. */
static int state_dir_trusted(const char *path, const struct stat *st,
			     char **cause)
{
	if (!S_ISDIR(st->st_mode))
		return util_fail(cause, "state: %s: not a directory", path);
	if (st->st_uid != geteuid())
		return util_fail(cause,
				 "state: %s: owned by uid %u, not by this user "
				 "(uid %u): bottle keeps its state only in a "
				 "directory of its own (chown it, or set "
				 "BOTTLE_STATE_DIR to another one)",
				 path, (unsigned)st->st_uid,
				 (unsigned)geteuid());
	if ((st->st_mode & 022) != 0)
		return util_fail(cause,
				 "state: %s: writable by group or others (mode "
				 "%04o): fix it with `chmod go-w %s` (bottle "
				 "creates it 0700)",
				 path, (unsigned)(st->st_mode & 07777), path);
	return 0;
}

int state_dir_check(const char *dir, int create, char **cause)
{
	struct stat st;
	char *inner = NULL;

	if (create && util_mkdir_p(dir, 0700, &inner) != 0) {
		util_fail(cause, "state: %s", inner);
		free(inner);
		return -1;
	}
	if (stat(dir, &st) != 0) {
		if (errno == ENOENT && !create)
			return 1;
		return util_fail(cause, "state: %s: %s", dir, strerror(errno));
	}
	return state_dir_trusted(dir, &st, cause);
}

/* The message for a failed open of a file under the state directory. */
static int state_open_fail(const char *path, int e, char **cause)
{
	if (e == ELOOP)
		return util_fail(cause,
				 "state: %s: is a symbolic link; refused "
				 "(bottle never follows links in its state "
				 "directory): remove the link",
				 path);
	return util_fail(cause, "state: %s: %s", path, strerror(e));
}

/* open(2) of a file under the state directory: never through a symbolic
 * link, and only a regular file. -1 with errno (ELOOP for a link, EINVAL
 * for something not a regular file) otherwise. */
static int state_open(const char *path, int flags, unsigned mode)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO planted here must not hang the open; it
	 * changes nothing for a regular file */
	int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
		      (mode_t)mode);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* Read path (at most max bytes) into *out (NUL-terminated, caller frees).
 * Returns 0, 1 when the file does not exist, -1 with cause. */
static int state_read_capped(const char *path, size_t max, char **out,
			     size_t *len, char **cause)
{
	struct buf b = BUF_INIT;
	char tmp[8192];
	ssize_t n;
	int fd = state_open(path, O_RDONLY, 0);

	*out = NULL;
	*len = 0;
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		if (errno == EINVAL)
			return util_fail(cause, "state: %s: not a regular file",
					 path);
		return state_open_fail(path, errno, cause);
	}
	for (;;) {
		n = read(fd, tmp, sizeof tmp);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			buf_release(&b);
			return util_fail(cause, "state: %s: %s", path,
					 strerror(e));
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > max) {
			close(fd);
			buf_release(&b);
			return util_fail(cause,
					 "state: %s: larger than %zu bytes; "
					 "refused (not a file bottle wrote?)",
					 path, max);
		}
		buf_add(&b, tmp, (size_t)n);
	}
	close(fd);
	*len = b.len;
	*out = b.data != NULL ? buf_detach(&b) : xstrdup("");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Atomic file replacement. */

static int state_write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The directory part of path ("." when there is none). Caller frees. */
static char *state_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static int state_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc, e;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	e = errno;
	close(fd);
	/* Some filesystems cannot sync a directory: nothing more to do. */
	if (rc != 0 && (e == EINVAL || e == EROFS))
		rc = 0;
	errno = e;
	return rc;
}

/* Replace path atomically; with sync, the data and the directory are on
 * disk before this returns. A symbolic link at path is refused. */
static int state_replace(const char *path, const void *data, size_t len,
			 int sync, char **cause)
{
	char *dir = state_dirname(path);
	const char *base = strrchr(path, '/');
	struct stat st;
	char *tmp;
	int fd, e;

	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		free(dir);
		if (S_ISLNK(st.st_mode))
			return state_open_fail(path, ELOOP, cause);
		return util_fail(cause, "state: %s: not a regular file", path);
	}
	base = base != NULL ? base + 1 : path;
	tmp = xasprintf("%s/.%s.tmpXXXXXX", dir, base);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		goto fail_notmp;
	}
	if (state_write_all(fd, data, len) != 0 || (sync && fsync(fd) != 0)) {
		e = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		e = errno;
		goto fail;
	}
	if (sync && state_fsync_dir(dir) != 0) {
		e = errno;
		free(tmp);
		free(dir);
		return util_fail(cause, "state: %s: sync directory: %s", path,
				 strerror(e));
	}
	free(tmp);
	free(dir);
	return 0;

fail:
	unlink(tmp);
fail_notmp:
	free(tmp);
	free(dir);
	return util_fail(cause, "state: %s: %s", path, strerror(e));
}

int state_write_atomic(const char *path, const void *data, size_t len,
		       char **cause)
{
	return state_replace(path, data, len, 1, cause);
}

int state_sync_file(const char *path)
{
	char *dir = state_dirname(path);
	int fd = state_open(path, O_RDONLY, 0), rc = -1;

	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	if (rc == 0)
		rc = state_fsync_dir(dir);
	free(dir);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The in-memory state. */

struct state *state_new(void)
{
	return xcalloc(1, sizeof(struct state));
}

static void state_bottle_release(struct state_bottle *b)
{
	free(b->name);
	free(b->subnet);
	free(b->bundle_ip);
	free(b->step);
	free(b->error);
	memset(b, 0, sizeof *b);
}

void state_free(struct state *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		state_bottle_release(&s->bottles[i]);
	free(s->bottles);
	free(s);
}

struct state_bottle *state_find(const struct state *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->bottles[i].name, name) == 0)
			return &s->bottles[i];
	}
	return NULL;
}

struct state_bottle *state_upsert(struct state *s, const char *name)
{
	struct state_bottle *b = state_find(s, name);
	size_t at;

	if (b != NULL)
		return b;
	for (at = 0; at < s->n; at++) {
		if (strcmp(s->bottles[at].name, name) > 0)
			break;
	}
	s->bottles = xreallocarray(s->bottles, s->n + 1, sizeof *s->bottles);
	memmove(&s->bottles[at + 1], &s->bottles[at],
		(s->n - at) * sizeof *s->bottles);
	s->n++;
	b = &s->bottles[at];
	memset(b, 0, sizeof *b);
	b->name = xstrdup(name);
	return b;
}

void state_set_str(char **field, const char *value)
{
	char *copy = value != NULL ? xstrdup(value) : NULL;

	free(*field);
	*field = copy;
}

struct state_bottle *state_set(struct state *s, const struct state_bottle *src)
{
	struct state_bottle *b = state_upsert(s, src->name);

	if (b == src)
		return b;
	state_set_str(&b->subnet, src->subnet);
	state_set_str(&b->bundle_ip, src->bundle_ip);
	state_set_str(&b->step, src->step);
	state_set_str(&b->error, src->error);
	b->updated_ms = src->updated_ms;
	return b;
}

int state_remove(struct state *s, const char *name)
{
	struct state_bottle *b = state_find(s, name);
	size_t at;

	if (b == NULL)
		return 0;
	at = (size_t)(b - s->bottles);
	state_bottle_release(b);
	memmove(&s->bottles[at], &s->bottles[at + 1],
		(s->n - at - 1) * sizeof *s->bottles);
	s->n--;
	return 1;
}

/* ------------------------------------------------------------------ */
/* state.json text. */

/* An RFC 3339 time, the whole of s, to ms. */
static int state_parse_time(const char *s, uint64_t *ms)
{
	size_t len = strlen(s);

	return len > 0 && util_parse_rfc3339(s, len, ms) == len ? 0 : -1;
}

/* Read an optional string member into *field (null or absent: NULL). */
static int state_get_str(const cJSON *obj, const char *key, char **field,
			 const char *origin, const char *name, char **cause)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return util_fail(cause,
				 "state: %s: bottles.%s.%s: expected a string",
				 origin, name, key);
	state_set_str(field, v->valuestring);
	return 0;
}

/* A bottle's subnet and bundle_ip as read back: the subnet a network,
 * the bundle address a host address inside it (neither the network nor
 * the broadcast address). bundle_ip becomes the VM's allowlist, so an
 * entry that fails is corrupt, never used. */
static int state_check_addrs(const struct state_bottle *b, const char *origin,
			     char **cause)
{
	struct ipam_net net;
	uint32_t ip, mask, bcast;

	if (b->subnet == NULL && b->bundle_ip == NULL)
		return 0;
	/* /8../30: a net with room for a gateway and a bundle, and never
	 * one wide enough to make any address "inside" it */
	if (b->subnet == NULL || ipam_parse_cidr(b->subnet, &net, NULL) != 0 ||
	    net.prefix < 8 || net.prefix > 30)
		return util_fail(cause,
				 "state: %s: bottles.%s.subnet: \"%s\" is "
				 "not a subnet bottle allocates; the entry "
				 "is corrupt: fix or remove bottles.%s",
				 origin, b->name,
				 b->subnet != NULL ? b->subnet : "", b->name);
	if (b->bundle_ip == NULL)
		return 0;
	mask = ipam_mask(net.prefix);
	bcast = net.addr | ~mask;
	if (ipam_parse_addr(b->bundle_ip, &ip) != 0 ||
	    (ip & mask) != net.addr || ip == net.addr || ip == bcast)
		return util_fail(cause,
				 "state: %s: bottles.%s.bundle_ip: \"%s\" is "
				 "not a host address of its subnet %s; the "
				 "entry is corrupt and is not used as the "
				 "allowlist: fix or remove bottles.%s",
				 origin, b->name, b->bundle_ip, b->subnet,
				 b->name);
	return 0;
}

static int state_parse_bottle(struct state *s, const cJSON *item,
			      const char *origin, char **cause)
{
	const char *name = item->string;
	struct state_bottle *b;
	const cJSON *upd;

	if (!state_name_ok(name))
		return util_fail(cause,
				 "state: %s: bottles: \"%s\" is not a "
				 "valid bottle name",
				 origin, name);
	if (!cJSON_IsObject(item))
		return util_fail(cause,
				 "state: %s: bottles.%s: expected an "
				 "object",
				 origin, name);
	b = state_upsert(s, name);
	if (state_get_str(item, "subnet", &b->subnet, origin, name, cause) ||
	    state_get_str(item, "bundle_ip", &b->bundle_ip, origin, name,
			  cause) ||
	    state_get_str(item, "step", &b->step, origin, name, cause) ||
	    state_get_str(item, "error", &b->error, origin, name, cause))
		return -1;
	if (state_check_addrs(b, origin, cause) != 0)
		return -1;
	upd = cJSON_GetObjectItemCaseSensitive(item, "updated");
	if (upd == NULL || cJSON_IsNull(upd))
		return 0;
	if (!cJSON_IsString(upd) ||
	    state_parse_time(upd->valuestring, &b->updated_ms) != 0)
		return util_fail(cause,
				 "state: %s: bottles.%s.updated: "
				 "expected an ISO 8601 UTC time",
				 origin, name);
	return 0;
}

static int state_parse_root(struct state *s, const cJSON *root,
			    const char *origin, char **cause)
{
	const cJSON *version, *bottles, *item;

	if (!cJSON_IsObject(root))
		return util_fail(cause, "state: %s: expected a JSON object",
				 origin);
	version = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (!cJSON_IsNumber(version))
		return util_fail(cause,
				 "state: %s: version: expected an "
				 "integer",
				 origin);
	if (version->valuedouble != STATE_VERSION)
		return util_fail(cause,
				 "state: %s: version %g is not "
				 "supported (this bottle reads version %d)",
				 origin, version->valuedouble, STATE_VERSION);
	bottles = cJSON_GetObjectItemCaseSensitive(root, "bottles");
	if (bottles == NULL || cJSON_IsNull(bottles))
		return 0;
	if (!cJSON_IsObject(bottles))
		return util_fail(cause,
				 "state: %s: bottles: expected an "
				 "object",
				 origin);
	cJSON_ArrayForEach(item, bottles)
	{
		if (state_parse_bottle(s, item, origin, cause) != 0)
			return -1;
	}
	return 0;
}

int state_parse(const char *buf, size_t len, const char *origin,
		struct state **out, char **cause)
{
	const char *end = NULL;
	cJSON *root;
	struct state *s;

	*out = NULL;
	root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	while (root != NULL && end < buf + len &&
	       (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
		end++;
	if (root != NULL && end != buf + len) { /* trailing garbage */
		cJSON_Delete(root);
		root = NULL;
	}
	if (root == NULL) {
		size_t at = end != NULL && end >= buf ? (size_t)(end - buf) : 0;
		return util_fail(cause,
				 "state: %s: not valid JSON (at byte "
				 "%zu); fix or move the file away",
				 origin, at);
	}
	s = state_new();
	if (state_parse_root(s, root, origin, cause) != 0) {
		cJSON_Delete(root);
		state_free(s);
		return -1;
	}
	cJSON_Delete(root);
	*out = s;
	return 0;
}

static void state_add_str(cJSON *obj, const char *key, const char *value)
{
	if (value != NULL)
		cJSON_AddStringToObject(obj, key, value);
}

char *state_format(const struct state *s)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *bottles;
	char *text, *out;
	size_t i;

	cJSON_AddNumberToObject(root, "version", STATE_VERSION);
	bottles = cJSON_AddObjectToObject(root, "bottles");
	for (i = 0; i < s->n; i++) {
		const struct state_bottle *b = &s->bottles[i];
		cJSON *o = cJSON_AddObjectToObject(bottles, b->name);
		char when[32];

		state_add_str(o, "subnet", b->subnet);
		state_add_str(o, "bundle_ip", b->bundle_ip);
		state_add_str(o, "step", b->step);
		if (b->updated_ms != 0) {
			util_iso8601(b->updated_ms, when, sizeof when);
			cJSON_AddStringToObject(o, "updated", when);
		}
		state_add_str(o, "error", b->error);
	}
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (text == NULL)
		fatal("state: out of memory formatting state.json");
	out = xasprintf("%s\n", text);
	cJSON_free(text);
	return out;
}

/* ------------------------------------------------------------------ */
/* state.lock and state.json on disk. */

/* Take an exclusive lock on the open lock file, polling with LOCK_NB:
 * up to timeout_ms (0: no limit), and only while *cancel (when given)
 * stays 0. Runs on a worker thread too: nothing here touches the loop. */
static int state_flock_wait(int fd, const char *path, unsigned timeout_ms,
			    const atomic_int *cancel, char **cause)
{
	uint64_t start = util_mono_ms();
	unsigned nap = 1;

	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return util_fail(cause, "state: %s: %s", path,
					 strerror(errno));
		if (cancel != NULL && atomic_load(cancel) != 0)
			return util_fail(cause,
					 "state: %s: busy; gave up waiting "
					 "(shutting down)",
					 path);
		if (timeout_ms != 0 && util_mono_ms() - start >= timeout_ms) {
			char *who = state_lock_holder_path(path);
			int rc = util_fail(
			    cause,
			    "state: %s: busy (held by %s for more than %u "
			    "ms); try again once it is done",
			    path, who != NULL ? who : "another bottle process",
			    timeout_ms);
			free(who);
			return rc;
		}
		state_sleep_ms(nap);
		if (nap < 32)
			nap *= 2;
	}
}

/* Open and lock DIR/state.lock. Returns the fd, or -1. */
static int state_lock_open(const char *dir, unsigned timeout_ms,
			   const atomic_int *cancel, char **cause)
{
	char *path = xasprintf("%s/state.lock", dir);
	int fd;

	fd = state_open(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0) {
		if (errno == EINVAL)
			util_fail(cause, "state: %s: not a regular file", path);
		else
			state_open_fail(path, errno, cause);
		free(path);
		return -1;
	}
	if (state_flock_wait(fd, path, timeout_ms, cancel, cause) != 0) {
		close(fd);
		free(path);
		return -1;
	}
	free(path);
	return fd;
}

/* Load DIR/state.json: a missing file is an empty state. */
static int state_load(const char *dir, struct state **out, char **cause)
{
	char *path = xasprintf("%s/state.json", dir), *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = state_read_capped(path, STATE_JSON_MAX, &text, &len, cause);
	if (rc == 1) {
		*out = state_new();
		rc = 0;
	} else if (rc == 0) {
		rc = state_parse(text, len, path, out, cause);
	}
	free(text);
	free(path);
	return rc;
}

int state_read(const char *dir, struct state **out, char **cause)
{
	int rc;

	/* No lock: state.json is only ever replaced by rename, so a reader
	 * sees the old file or the new one, never half of one, and never
	 * waits for a writer. */
	*out = NULL;
	rc = state_dir_check(dir, 0, cause);
	if (rc == 1) {
		*out = state_new();
		return 0;
	}
	if (rc != 0)
		return -1;
	return state_load(dir, out, cause);
}

int state_update_wait(const char *dir, state_update_fn fn, void *data,
		      unsigned timeout_ms, const atomic_int *cancel,
		      char **cause)
{
	struct state *s;
	char *path, *text;
	int fd, rc;

	if (state_dir_check(dir, 1, cause) != 0)
		return -1;
	fd = state_lock_open(dir, timeout_ms, cancel, cause);
	if (fd < 0)
		return -1;
	if (state_load(dir, &s, cause) != 0) {
		close(fd);
		return -1;
	}
	rc = fn(s, data, cause);
	if (rc == 0) {
		path = xasprintf("%s/state.json", dir);
		text = state_format(s);
		rc = state_write_atomic(path, text, strlen(text), cause);
		free(text);
		free(path);
	}
	state_free(s);
	close(fd);
	return rc;
}

int state_update(const char *dir, state_update_fn fn, void *data, char **cause)
{
	return state_update_wait(dir, fn, data, state_lock_timeout, NULL,
				 cause);
}

/* The inode of path (not followed), 0 when it cannot be read. */
static unsigned long state_inode(const char *path, unsigned *maj, unsigned *min)
{
	struct stat st;

	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	*maj = major(st.st_dev);
	*min = minor(st.st_dev);
	return (unsigned long)st.st_ino;
}

/* "pid N (COMM)" for the process /proc/locks names as holding a FLOCK on
 * path's inode, other than this one; NULL when none is found. */
static char *state_lock_holder_path(const char *path)
{
	unsigned maj = 0, min = 0;
	unsigned long ino = state_inode(path, &maj, &min);
	char *text = NULL, *line, *next, *who = NULL;
	size_t len = 0;

	if (ino == 0 || util_read_file("/proc/locks", &text, &len, NULL) != 0)
		return NULL;
	for (line = text; line != NULL && who == NULL; line = next) {
		unsigned lmaj, lmin;
		unsigned long lino;
		long pid;
		char kind[16];

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		/* "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF" */
		if (sscanf(line, "%*d: %15s %*s %*s %ld %x:%x:%lu", kind, &pid,
			   &lmaj, &lmin, &lino) != 5 ||
		    strcmp(kind, "FLOCK") != 0 || lino != ino || lmaj != maj ||
		    lmin != min || pid <= 0 || pid == (long)getpid())
			continue;
		{
			char *cpath = xasprintf("/proc/%ld/comm", pid);
			char *comm = NULL;
			if (util_read_file(cpath, &comm, NULL, NULL) == 0) {
				comm[strcspn(comm, "\n")] = '\0';
				state_flatten(comm);
				who = xasprintf("pid %ld (%.32s)", pid, comm);
			} else {
				who = xasprintf("pid %ld", pid);
			}
			free(comm);
			free(cpath);
		}
	}
	free(text);
	return who;
}

char *state_lock_holder(const char *dir)
{
	char *path = xasprintf("%s/state.lock", dir);
	char *who = state_lock_holder_path(path);

	free(path);
	return who;
}

/* ------------------------------------------------------------------ */
/* Per-bottle files. */

char *state_bottle_dir(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* Create DIR/NAME (0700) in a checked DIR; returns its path (caller
 * frees) or NULL. An existing DIR/NAME must be a real directory (not a
 * link) this user owns that nobody else can write. */
static char *state_make_bottle_dir(const char *dir, const char *name,
				   char **cause)
{
	struct stat st;
	char *bdir;

	if (!state_name_ok(name)) {
		util_fail(cause, "state: \"%s\" is not a valid bottle name",
			  name != NULL ? name : "");
		return NULL;
	}
	if (state_dir_check(dir, 1, cause) != 0)
		return NULL;
	bdir = state_bottle_dir(dir, name);
	if (mkdir(bdir, 0700) != 0 && errno != EEXIST) {
		util_fail(cause, "state: %s: %s", bdir, strerror(errno));
		free(bdir);
		return NULL;
	}
	if (lstat(bdir, &st) != 0) {
		util_fail(cause, "state: %s: %s", bdir, strerror(errno));
		free(bdir);
		return NULL;
	}
	if (S_ISLNK(st.st_mode)) {
		state_open_fail(bdir, ELOOP, cause);
		free(bdir);
		return NULL;
	}
	if (state_dir_trusted(bdir, &st, cause) != 0) {
		free(bdir);
		return NULL;
	}
	return bdir;
}

static int state_bottle_file(const char *dir, const char *name,
			     const char *filename, const void *data, size_t len,
			     int sync, char **cause)
{
	char *bdir, *path;
	int rc;

	if (filename == NULL || *filename == '\0' ||
	    strchr(filename, '/') != NULL || strcmp(filename, ".") == 0 ||
	    strcmp(filename, "..") == 0)
		return util_fail(cause,
				 "state: \"%s\" is not a valid file name",
				 filename != NULL ? filename : "");
	bdir = state_make_bottle_dir(dir, name, cause);
	if (bdir == NULL)
		return -1;
	path = xasprintf("%s/%s", bdir, filename);
	rc = state_replace(path, data, len, sync, cause);
	free(path);
	free(bdir);
	return rc;
}

int state_write_bottle_file(const char *dir, const char *name,
			    const char *filename, const void *data, size_t len,
			    char **cause)
{
	return state_bottle_file(dir, name, filename, data, len, 1, cause);
}

int state_write_bottle_file_nosync(const char *dir, const char *name,
				   const char *filename, const void *data,
				   size_t len, char **cause)
{
	return state_bottle_file(dir, name, filename, data, len, 0, cause);
}

/* ------------------------------------------------------------------ */
/* The per-bottle busy lock. */

struct state_lock {
	int fd; /* owned; holds the flock */
};

/* Replace control characters with spaces, in place. */
static void state_flatten(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
	}
}

/* The busy message, from the holder's "PID WHAT" record when readable. */
static int state_busy(int fd, const char *name, char **cause)
{
	char rec[256], *end;
	ssize_t n = pread(fd, rec, sizeof rec - 1, 0);
	long pid;

	if (n <= 0)
		goto unknown;
	rec[n] = '\0';
	rec[strcspn(rec, "\n")] = '\0';
	errno = 0;
	pid = strtol(rec, &end, 10);
	if (errno != 0 || end == rec || pid <= 0 || *end != ' ')
		goto unknown;
	end++;
	if (*end == '\0')
		goto unknown;
	return util_fail(cause,
			 "bottle %s is busy: another bottle process "
			 "(pid %ld) is running \"%s\"",
			 name, pid, end);
unknown:
	return util_fail(cause,
			 "bottle %s is busy: another bottle process "
			 "is working on it",
			 name);
}

/* Record "PID WHAT" in the held lock file. Best effort: the record only
 * improves a competitor's busy message. */
static void state_lock_record(int fd, const char *what)
{
	char *rec = xasprintf("%ld %s\n", (long)getpid(), what);

	if (ftruncate(fd, 0) == 0 && pwrite(fd, rec, strlen(rec), 0) < 0) {
		/* nothing to do: the flock alone is the lock */
	}
	free(rec);
}

int state_bottle_lock(const char *dir, const char *name, const char *what,
		      struct state_lock **out, char **cause)
{
	char *bdir, *path, *rec;
	int fd, rc;

	*out = NULL;
	bdir = state_make_bottle_dir(dir, name, cause);
	if (bdir == NULL)
		return -1;
	path = xasprintf("%s/lock", bdir);
	free(bdir);
	fd = state_open(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0) {
		if (errno == EINVAL)
			util_fail(cause, "state: %s: not a regular file", path);
		else
			state_open_fail(path, errno, cause);
		free(path);
		return -1;
	}
	do
		rc = flock(fd, LOCK_EX | LOCK_NB);
	while (rc != 0 && errno == EINTR);
	if (rc != 0) {
		if (errno == EWOULDBLOCK)
			state_busy(fd, name, cause);
		else
			util_fail(cause, "state: %s: %s", path,
				  strerror(errno));
		close(fd);
		free(path);
		return -1;
	}
	free(path);
	{
		/* an OFD record lock too: other processes can test it with
		 * state_bottle_holder without taking the flock */
		struct flock fl;
		memset(&fl, 0, sizeof fl);
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
			/* best effort: only the busy display depends on it */
		}
	}
	rec = xstrdup(what != NULL ? what : "");
	state_flatten(rec);
	state_lock_record(fd, rec);
	free(rec);
	*out = xmalloc(sizeof **out);
	(*out)->fd = fd;
	return 0;
}

char *state_bottle_holder(const char *dir, const char *name)
{
	char *bdir = state_bottle_dir(dir, name);
	char *path = xasprintf("%s/lock", bdir);
	char buf[256];
	struct flock fl;
	ssize_t n;
	int fd;

	free(bdir);
	fd = state_open(path, O_RDONLY, 0);
	free(path);
	if (fd < 0)
		return NULL;
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_OFD_GETLK, &fl) != 0 || fl.l_type == F_UNLCK) {
		close(fd);
		return NULL;
	}
	n = pread(fd, buf, sizeof buf - 1, 0);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	state_flatten(buf);
	return xstrdup(buf[0] != '\0' ? buf : "another bottle process");
}

void state_bottle_unlock(struct state_lock *l)
{
	if (l == NULL)
		return;
	if (ftruncate(l->fd, 0) != 0) {
		/* Stale "PID WHAT" text is harmless: the flock is the lock. */
	}
	close(l->fd);
	free(l);
}

/* ------------------------------------------------------------------ */
/* events.log */

/* Open DIR/NAME/events.log for appending, rotating it first when full. */
static int state_events_open(const char *path)
{
	struct stat st;
	char *old;
	int fd;

	fd = state_open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < STATE_EVENTS_MAX)
		return fd;
	close(fd);
	old = xasprintf("%s.1", path);
	if (rename(path, old) != 0 && errno != ENOENT) {
		free(old);
		return -1;
	}
	free(old);
	return state_open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
}

/* "ISO8601 MESSAGE\n" with MESSAGE on one line. Caller frees. */
static char *state_event_line(const char *msg)
{
	struct buf b = BUF_INIT;
	char when[32];
	size_t len = strlen(msg);
	int cut = len > STATE_EVENT_MSG_MAX;

	util_iso8601(util_wall_ms(), when, sizeof when);
	buf_adds(&b, when);
	buf_addc(&b, ' ');
	buf_add(&b, msg, cut ? STATE_EVENT_MSG_MAX : len);
	state_flatten(b.data);
	while (b.len > 0 && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	if (cut)
		buf_adds(&b, " [cut]");
	buf_addc(&b, '\n');
	return buf_detach(&b);
}

int state_event(const char *dir, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *msg, *line, *bdir, *path;
	ssize_t n;
	int fd;

	bdir = state_make_bottle_dir(dir, name, NULL);
	if (bdir == NULL)
		return -1;
	path = xasprintf("%s/events.log", bdir);
	free(bdir);
	fd = state_events_open(path);
	free(path);
	if (fd < 0)
		return -1;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	line = state_event_line(msg);
	free(msg);
	do
		n = write(fd, line, strlen(line));
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0 || (size_t)n != strlen(line)) {
		free(line);
		return -1;
	}
	free(line);
	return 0;
}
