/* docker.c: docker argv builders and output parsers. */
#include "docker.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"
#include "sanitize.h"

char *docker_network_name(const char *name)
{
	return xasprintf("bottle-%s", name);
}

char *docker_container_name(const char *name)
{
	return xasprintf("bottle-%s-bundle", name);
}

/* ------------------------------------------------------------------ */
/* argv builders */

/* A new argv: the docker binary followed by the words in args. */
static struct strv docker_argv(const char *const *args, size_t n)
{
	struct strv v = STRV_INIT;

	strv_push(&v, paths_docker());
	strv_pushv(&v, args, n);
	return v;
}

static void docker_push_labels(struct strv *v, const char *name)
{
	strv_push(v, "--label");
	strv_push(v, DOCKER_LABEL_MANAGED "=1");
	strv_push(v, "--label");
	strv_pushf(v, DOCKER_LABEL_NAME "=%s", name);
}

struct strv docker_argv_version(void)
{
	static const char *const args[] = {"version", "--format", "{{json .}}"};

	return docker_argv(args, UTIL_NELEM(args));
}

struct strv docker_argv_network_create(const char *name, const char *subnet,
				       const char *gateway)
{
	static const char *const args[] = {"network", "create", "--driver",
					   "bridge"};
	struct strv v = docker_argv(args, UTIL_NELEM(args));

	strv_push(&v, "--subnet");
	strv_push(&v, subnet);
	strv_push(&v, "--gateway");
	strv_push(&v, gateway);
	docker_push_labels(&v, name);
	strv_pushf(&v, "bottle-%s", name);
	return v;
}

struct strv docker_argv_network_rm(const char *name)
{
	static const char *const args[] = {"network", "rm"};
	struct strv v = docker_argv(args, UTIL_NELEM(args));

	strv_pushf(&v, "bottle-%s", name);
	return v;
}

struct strv docker_argv_bundle_run(const char *name, const char *image,
				   const char *ip, const struct strv *env,
				   const char *env_file)
{
	static const char *const args[] = {"run", "-d"};
	struct strv v = docker_argv(args, UTIL_NELEM(args));
	size_t i;

	strv_push(&v, "--name");
	strv_pushf(&v, "bottle-%s-bundle", name);
	strv_push(&v, "--network");
	strv_pushf(&v, "bottle-%s", name);
	strv_push(&v, "--ip");
	strv_push(&v, ip);
	docker_push_labels(&v, name);
	strv_push(&v, "--restart");
	strv_push(&v, "no");
	if (env_file != NULL) {
		strv_push(&v, "--env-file");
		strv_push(&v, env_file);
	}
	for (i = 0; env != NULL && i < env->n; i++) {
		strv_push(&v, "-e");
		strv_push(&v, env->v[i]);
	}
	strv_push(&v, image);
	return v;
}

struct strv docker_argv_bundle_rm(const char *name)
{
	static const char *const args[] = {"rm", "-f"};
	struct strv v = docker_argv(args, UTIL_NELEM(args));

	strv_pushf(&v, "bottle-%s-bundle", name);
	return v;
}

/* docker CMD ARG, of managed objects only, as JSON lines. */
static struct strv docker_argv_list_managed(const char *cmd, const char *arg)
{
	const char *const args[] = {cmd,
				    arg,
				    "--no-trunc",
				    "--filter",
				    "label=" DOCKER_LABEL_MANAGED "=1",
				    "--format",
				    "{{json .}}"};

	return docker_argv(args, UTIL_NELEM(args));
}

struct strv docker_argv_ps(void)
{
	return docker_argv_list_managed("ps", "-a");
}

struct strv docker_argv_network_ls_managed(void)
{
	return docker_argv_list_managed("network", "ls");
}

struct strv docker_argv_network_ids(void)
{
	static const char *const args[] = {"network", "ls", "-q", "--no-trunc"};

	return docker_argv(args, UTIL_NELEM(args));
}

struct strv docker_argv_network_inspect_ipam(const struct strv *ids)
{
	static const char *const args[] = {"network", "inspect", "--format",
					   "{{json .IPAM.Config}}"};
	struct strv v = docker_argv(args, UTIL_NELEM(args));

	strv_pushv(&v, (const char *const *)ids->v, ids->n);
	return v;
}

struct strv docker_argv_image_id(const char *image)
{
	static const char *const args[] = {"image", "inspect", "--format",
					   "{{.Id}}"};
	struct strv v = docker_argv(args, UTIL_NELEM(args));

	strv_push(&v, image);
	return v;
}

struct strv docker_argv_save(const char *image, const char *out)
{
	static const char *const args[] = {"save", "-o"};
	struct strv v = docker_argv(args, UTIL_NELEM(args));

	strv_push(&v, out);
	strv_push(&v, image);
	return v;
}

struct strv docker_argv_logs(const char *name, int follow, const char *since,
			     int tail_n)
{
	static const char *const args[] = {"logs"};
	struct strv v = docker_argv(args, UTIL_NELEM(args));

	if (follow)
		strv_push(&v, "-f");
	strv_push(&v, "--timestamps");
	if (since != NULL) {
		strv_push(&v, "--since");
		strv_push(&v, since);
	}
	strv_push(&v, "--tail");
	if (tail_n < 0)
		strv_push(&v, "all");
	else
		strv_pushf(&v, "%d", tail_n);
	strv_pushf(&v, "bottle-%s-bundle", name);
	return v;
}

struct strv docker_argv_bundle_state(const char *name)
{
	static const char *const args[] = {
	    "inspect", "--format",
	    "{{.State.Status}} (exit {{.State.ExitCode}})"};
	struct strv v = docker_argv(args, UTIL_NELEM(args));

	strv_pushf(&v, "bottle-%s-bundle", name);
	return v;
}

struct strv docker_argv_network_inspect(const char *name)
{
	struct strv ids = STRV_INIT, v;

	strv_pushf(&ids, "bottle-%s", name);
	v = docker_argv_network_inspect_ipam(&ids);
	strv_release(&ids);
	return v;
}

/* ------------------------------------------------------------------ */
/* The bind-address knob. */

void docker_bundle_env(const struct config_bottle *b, struct strv *env)
{
	size_t i;
	char *p;

	for (i = 0; i < b->bundle.n_services; i++) {
		const struct config_service *s = &b->bundle.services[i];
		char *key = xstrdup(s->name);

		for (p = key; *p != '\0'; p++) {
			if (*p == '-')
				*p = '_';
			else if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		}
		strv_pushf(env, "BOTTLE_%s_LISTEN=%s:%d", key, s->bind,
			   s->port);
		free(key);
	}
}

/* ------------------------------------------------------------------ */
/* The bundle's environment file. */

/* The length of the valid environment variable name at the start of s[0..
 * len), up to its '=' (0 when it is not one). */
static size_t docker_env_name_len(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || !((s[0] >= 'A' && s[0] <= 'Z') ||
			  (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (i = 1; i < len && s[i] != '='; i++) {
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	}
	return i;
}

int docker_env_entry_check(const char *entry, size_t len, char **cause)
{
	size_t klen = docker_env_name_len(entry, len);
	const char *v;
	size_t vlen;

	/* the key is quoted only once known to be a plain name; the value
	 * never is (it is often a secret) */
	if (klen == 0 || klen >= len || entry[klen] != '=')
		return util_fail(cause,
				 "bundle.env: an entry whose name is not a "
				 "valid environment variable name (letters, "
				 "digits and underscores, not starting with a "
				 "digit) followed by '='");
	v = entry + klen + 1;
	vlen = len - klen - 1;
	if (memchr(v, '\n', vlen) != NULL)
		return util_fail(cause,
				 "bundle.env.%.*s: the value cannot contain "
				 "a newline (docker's --env-file reads one "
				 "variable per line)",
				 (int)klen, entry);
	if (memchr(v, '\0', vlen) != NULL)
		return util_fail(cause,
				 "bundle.env.%.*s: the value cannot contain "
				 "a NUL byte",
				 (int)klen, entry);
	if (vlen > 0 && v[vlen - 1] == '\r')
		return util_fail(cause,
				 "bundle.env.%.*s: the value cannot end with "
				 "a carriage return (docker's --env-file "
				 "drops it)",
				 (int)klen, entry);
	if (!sanitize_utf8_valid(v, vlen))
		return util_fail(cause,
				 "bundle.env.%.*s: the value is not valid "
				 "UTF-8 (docker's --env-file refuses it)",
				 (int)klen, entry);
	if (len > DOCKER_ENV_FILE_LINE_MAX)
		return util_fail(cause,
				 "bundle.env.%.*s: the value is too long "
				 "(docker's --env-file reads lines of at most "
				 "64 KiB)",
				 (int)klen, entry);
	return 0;
}

int docker_env_file_text(const struct strv *env, struct buf *out, char **cause)
{
	size_t i, start = out->len;

	buf_adds(out, "# bottle: the bundle's environment for docker run "
		      "--env-file; removed once the container is created\n");
	for (i = 0; env != NULL && i < env->n; i++) {
		size_t len = strlen(env->v[i]);
		if (docker_env_entry_check(env->v[i], len, cause) != 0) {
			/* what was appended held values: wipe it */
			if (out->data != NULL) {
				explicit_bzero(out->data + start,
					       out->len - start);
				out->data[start] = '\0';
			}
			out->len = start;
			return -1;
		}
		buf_add(out, env->v[i], len);
		buf_addc(out, '\n');
	}
	return 0;
}

/* The bottle's state directory dir, opened (created 0700 when missing):
 * a directory, not a symlink, ours, writable by no one else. */
static int docker_env_dir_open(const char *dir, char **cause)
{
	struct stat st;
	int fd, e;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return util_fail(cause, "%s: %s", dir, strerror(errno));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return util_fail(cause, "%s: %s", dir,
				 e == ELOOP || e == ENOTDIR
				     ? "not a directory (a symlink?)"
				     : strerror(e));
	}
	if (fstat(fd, &st) != 0 || st.st_uid != geteuid() ||
	    (st.st_mode & 022) != 0) {
		close(fd);
		return util_fail(cause,
				 "%s: not a directory owned by this user and "
				 "writable only by it; refusing to write the "
				 "bundle's environment there",
				 dir);
	}
	return fd;
}

/* Write all of p[0..n) to fd. */
static int docker_write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int docker_env_file_write(const char *dir, const struct strv *env, char **path,
			  char **cause)
{
	struct buf text = BUF_INIT;
	int dfd, fd, rc = -1, e;

	*path = NULL;
	dfd = docker_env_dir_open(dir, cause);
	if (dfd < 0)
		return -1;
	/* a file a crash left behind goes first, whatever follows */
	if (unlinkat(dfd, DOCKER_ENV_FILE_NAME, 0) != 0 && errno != ENOENT) {
		util_fail(cause, "%s/%s: %s", dir, DOCKER_ENV_FILE_NAME,
			  strerror(errno));
		goto out;
	}
	if (env == NULL || env->n == 0) {
		rc = 0;
		goto out;
	}
	if (docker_env_file_text(env, &text, cause) != 0)
		goto out;
	fd = openat(dfd, DOCKER_ENV_FILE_NAME,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		util_fail(cause, "%s/%s: %s", dir, DOCKER_ENV_FILE_NAME,
			  strerror(errno));
		goto out;
	}
	/* 0600 whatever the umask: docker's CLI, run as us, reads it */
	if (fchmod(fd, 0600) != 0 ||
	    docker_write_all(fd, text.data, text.len) != 0) {
		e = errno;
		close(fd);
		unlinkat(dfd, DOCKER_ENV_FILE_NAME, 0);
		util_fail(cause, "%s/%s: %s", dir, DOCKER_ENV_FILE_NAME,
			  strerror(e));
		goto out;
	}
	if (close(fd) != 0) {
		e = errno;
		unlinkat(dfd, DOCKER_ENV_FILE_NAME, 0);
		util_fail(cause, "%s/%s: %s", dir, DOCKER_ENV_FILE_NAME,
			  strerror(e));
		goto out;
	}
	*path = xasprintf("%s/%s", dir, DOCKER_ENV_FILE_NAME);
	rc = 0;
out:
	if (text.data != NULL)
		explicit_bzero(text.data, text.len);
	buf_release(&text);
	close(dfd);
	return rc;
}

int docker_env_file_remove(const char *dir, char **cause)
{
	char *path = xasprintf("%s/%s", dir, DOCKER_ENV_FILE_NAME);
	int rc = 0;

	if (unlink(path) != 0 && errno != ENOENT)
		rc = util_fail(cause, "%s: %s", path, strerror(errno));
	free(path);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Commands for display. */

/* 1 when KEY=VALUE is bottle's bind knob: BOTTLE_<SERVICE>_LISTEN with an
 * address:port value (which bundle.env cannot name: config.c). */
static int docker_env_shown(const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t klen = eq != NULL ? (size_t)(eq - kv) : 0;

	return eq != NULL && klen > 14 && strncmp(kv, "BOTTLE_", 7) == 0 &&
	       strncmp(eq - 7, "_LISTEN", 7) == 0 &&
	       strspn(eq + 1, "0123456789abcdefABCDEF.:[]") == strlen(eq + 1);
}

/* prefix and KEY=VALUE, with VALUE redacted unless it is the bind knob,
 * pushed to v. */
static void docker_push_redacted(struct strv *v, const char *prefix,
				 const char *kv)
{
	const char *eq = strchr(kv, '=');

	if (eq == NULL || docker_env_shown(kv))
		strv_pushf(v, "%s%s", prefix, kv);
	else
		strv_pushf(v, "%s%.*s=***", prefix, (int)(eq - kv), kv);
}

struct strv docker_argv_redact(const char *const *argv)
{
	struct strv v = STRV_INIT;
	size_t i;
	int opts = 1;

	for (i = 0; argv != NULL && argv[i] != NULL; i++) {
		const char *a = argv[i];
		if (!opts) {
			strv_push(&v, a);
		} else if (strcmp(a, "--") == 0) {
			opts = 0;
			strv_push(&v, a);
		} else if ((strcmp(a, "-e") == 0 || strcmp(a, "--env") == 0) &&
			   argv[i + 1] != NULL) {
			strv_push(&v, a);
			docker_push_redacted(&v, "", argv[++i]);
		} else if (strncmp(a, "--env=", 6) == 0) {
			docker_push_redacted(&v, "--env=", a + 6);
		} else if (strncmp(a, "-e", 2) == 0 && a[2] != '\0') {
			docker_push_redacted(&v, "-e", a + 2);
		} else {
			strv_push(&v, a);
		}
	}
	if (v.v == NULL) /* an empty argv is still NULL-terminated */
		v.v = xcalloc(1, sizeof *v.v);
	return v;
}

/* ------------------------------------------------------------------ */
/* Labels. */

void docker_parse_labels(const char *text, struct strv *labels)
{
	size_t first = labels->n;
	const char *p = text, *comma;
	size_t len;

	while (p != NULL && *p != '\0') {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (memchr(p, '=', len) != NULL || labels->n == first) {
			if (len > 0) {
				char *seg = xstrndup(p, len);
				strv_push(labels, seg);
				free(seg);
			}
		} else {
			/* No '=': the rest of the previous label's value. */
			char *last = labels->v[labels->n - 1];
			labels->v[labels->n - 1] =
			    xasprintf("%s,%.*s", last, (int)len, p);
			free(last);
		}
		p = comma != NULL ? comma + 1 : NULL;
	}
}

const char *docker_label(const struct strv *labels, const char *key)
{
	size_t klen = strlen(key), i;

	for (i = 0; i < labels->n; i++) {
		const char *l = labels->v[i];
		if (strncmp(l, key, klen) == 0 && l[klen] == '=')
			return l + klen + 1;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* JSON-lines parsing. */

/* A copy of obj's string member key, or NULL when absent or not a string. */
static char *docker_json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

/* Call fn on each non-blank line of buf parsed as a JSON object. */
static int docker_each_json_line(const char *buf, size_t len, const char *what,
				 int (*fn)(const cJSON *o, void *data,
					   char **cause),
				 void *data, char **cause)
{
	const char *p = buf, *end = buf + len, *nl;
	size_t lineno = 0, n, i;

	while (p < end) {
		cJSON *o;
		int blank = 1;

		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		for (i = 0; i < n && blank; i++)
			blank = p[i] == ' ' || p[i] == '\t' || p[i] == '\r';
		if (!blank) {
			o = cJSON_ParseWithLength(p, n);
			if (!cJSON_IsObject(o)) {
				cJSON_Delete(o);
				return util_fail(cause,
						 "docker %s: line %zu: "
						 "expected a JSON object",
						 what, lineno);
			}
			if (fn(o, data, cause) != 0) {
				cJSON_Delete(o);
				return -1;
			}
			cJSON_Delete(o);
		}
		p += n + 1;
	}
	return 0;
}

/* "Exited (3) 2 seconds ago" → 3; else -1. */
static int docker_exit_code(const char *status)
{
	const char *p;
	char *end;
	long v;

	if (status == NULL || strncmp(status, "Exited (", 8) != 0)
		return -1;
	p = status + 8;
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	v = strtol(p, &end, 10);
	if (errno != 0 || *end != ')' || v > INT_MAX)
		return -1;
	return (int)v;
}

/* docker's State from its Status text, for clients that print no State. */
static const char *docker_state_from_status(const char *status)
{
	static const struct {
		const char *prefix, *state;
	} map[] = {
	    {"Up", "running"},
	    {"Exited", "exited"},
	    {"Created", "created"},
	    {"Restarting", "restarting"},
	    {"Removal In Progress", "removing"},
	    {"Dead", "dead"},
	};
	size_t i;

	if (status == NULL)
		return "unknown";
	if (strncmp(status, "Up", 2) == 0 && strstr(status, "(Paused)"))
		return "paused";
	for (i = 0; i < UTIL_NELEM(map); i++) {
		if (strncmp(status, map[i].prefix, strlen(map[i].prefix)) == 0)
			return map[i].state;
	}
	return "unknown";
}

/* Split a comma-separated list into v (empty items dropped). */
static void docker_split(const char *text, struct strv *v)
{
	const char *p = text, *comma;

	while (p != NULL && *p != '\0') {
		comma = strchr(p, ',');
		size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (len > 0) {
			char *item = xstrndup(p, len);
			strv_push(v, item);
			free(item);
		}
		p = comma != NULL ? comma + 1 : NULL;
	}
}

/* Fill labels, bottle and managed from a Labels member. */
static void docker_take_labels(const cJSON *o, struct strv *labels,
			       const char **bottle, int *managed)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(o, "Labels");

	if (cJSON_IsString(l))
		docker_parse_labels(l->valuestring, labels);
	*bottle = docker_label(labels, DOCKER_LABEL_NAME);
	*managed = util_streq(docker_label(labels, DOCKER_LABEL_MANAGED), "1");
}

struct docker_vec {
	void *items; /* owned array */
	size_t n;
	size_t size;		     /* sizeof one item */
	void (*release)(void *item); /* frees what one item owns */
};

/* Release every item of vec, then the array; vec is left empty. */
static void docker_vec_free(struct docker_vec *vec)
{
	size_t i;

	for (i = 0; i < vec->n; i++)
		vec->release((char *)vec->items + i * vec->size);
	free(vec->items);
	vec->items = NULL;
	vec->n = 0;
}

/* Parse each JSON line of buf into a new item of the empty vec with line;
 * on failure vec is left empty. */
static int docker_parse_vec(const char *buf, size_t len, const char *what,
			    int (*line)(const cJSON *o, void *data,
					char **cause),
			    struct docker_vec *vec, char **cause)
{
	if (docker_each_json_line(buf, len, what, line, vec, cause) != 0) {
		docker_vec_free(vec);
		return -1;
	}
	return 0;
}

/* A new zeroed item at the end of vec. */
static void *docker_vec_add(struct docker_vec *vec)
{
	char *item;

	vec->items = xreallocarray(vec->items, vec->n + 1, vec->size);
	item = (char *)vec->items + vec->n * vec->size;
	memset(item, 0, vec->size);
	vec->n++;
	return item;
}

static void docker_container_release(void *item)
{
	struct docker_container *c = item;

	free(c->id);
	free(c->names);
	free(c->image);
	free(c->state);
	free(c->status);
	strv_release(&c->labels);
	strv_release(&c->networks);
}

void docker_containers_free(struct docker_container *c, size_t n)
{
	struct docker_vec vec = {c, n, sizeof(*c), docker_container_release};

	docker_vec_free(&vec);
}

static int docker_ps_line(const cJSON *o, void *data, char **cause)
{
	struct docker_vec *vec = data;
	struct docker_container *c;
	const cJSON *nets;
	char *id = docker_json_str(o, "ID");

	if (id == NULL || *id == '\0') {
		free(id);
		return util_fail(cause, "docker ps: container %zu has no ID",
				 vec->n + 1);
	}
	c = docker_vec_add(vec);
	c->id = id;
	c->names = docker_json_str(o, "Names");
	if (c->names == NULL)
		c->names = xstrdup("");
	c->image = docker_json_str(o, "Image");
	c->status = docker_json_str(o, "Status");
	c->state = docker_json_str(o, "State");
	if (c->state == NULL || *c->state == '\0') {
		free(c->state);
		c->state = xstrdup(docker_state_from_status(c->status));
	}
	c->exit_code = docker_exit_code(c->status);
	nets = cJSON_GetObjectItemCaseSensitive(o, "Networks");
	if (cJSON_IsString(nets))
		docker_split(nets->valuestring, &c->networks);
	docker_take_labels(o, &c->labels, &c->bottle, &c->managed);
	return 0;
}

int docker_parse_ps(const char *buf, size_t len, struct docker_container **out,
		    size_t *n, char **cause)
{
	struct docker_vec vec = {NULL, 0, sizeof(**out),
				 docker_container_release};
	int rc = docker_parse_vec(buf, len, "ps", docker_ps_line, &vec, cause);

	*out = vec.items;
	*n = vec.n;
	return rc;
}

static void docker_network_release(void *item)
{
	struct docker_network *nw = item;

	free(nw->id);
	free(nw->name);
	free(nw->driver);
	strv_release(&nw->labels);
}

void docker_networks_free(struct docker_network *nw, size_t n)
{
	struct docker_vec vec = {nw, n, sizeof(*nw), docker_network_release};

	docker_vec_free(&vec);
}

static int docker_network_line(const cJSON *o, void *data, char **cause)
{
	struct docker_vec *vec = data;
	struct docker_network *nw;
	char *id = docker_json_str(o, "ID");
	char *name = docker_json_str(o, "Name");

	if (id == NULL || *id == '\0' || name == NULL || *name == '\0') {
		free(id);
		free(name);
		return util_fail(cause,
				 "docker network ls: network %zu has "
				 "no ID or Name",
				 vec->n + 1);
	}
	nw = docker_vec_add(vec);
	nw->id = id;
	nw->name = name;
	nw->driver = docker_json_str(o, "Driver");
	docker_take_labels(o, &nw->labels, &nw->bottle, &nw->managed);
	return 0;
}

int docker_parse_networks(const char *buf, size_t len,
			  struct docker_network **out, size_t *n, char **cause)
{
	struct docker_vec vec = {NULL, 0, sizeof(**out),
				 docker_network_release};
	int rc = docker_parse_vec(buf, len, "network ls", docker_network_line,
				  &vec, cause);

	*out = vec.items;
	*n = vec.n;
	return rc;
}

int docker_parse_version(const char *buf, size_t len, char **version,
			 char **cause)
{
	cJSON *root = cJSON_ParseWithLength(buf, len);
	const cJSON *server, *v;

	*version = NULL;
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return util_fail(cause, "docker version: expected a JSON "
					"object");
	}
	server = cJSON_GetObjectItemCaseSensitive(root, "Server");
	if (!cJSON_IsObject(server)) {
		cJSON_Delete(root);
		return util_fail(cause, "docker version: no answer from the "
					"docker engine");
	}
	v = cJSON_GetObjectItemCaseSensitive(server, "Version");
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0') {
		cJSON_Delete(root);
		return util_fail(cause, "docker version: the engine reported "
					"no version");
	}
	*version = xstrdup(v->valuestring);
	cJSON_Delete(root);
	return 0;
}

/* ------------------------------------------------------------------ */
/* stderr classification, from docker 20.10 and 28 messages. */

enum docker_error docker_classify(const char *stderr_text)
{
	static const struct {
		const char *needle;
		enum docker_error e;
	} rules[] = {
	    /* first match wins: order matters */
	    {"Cannot connect to the Docker daemon", DOCKER_ERR_UNREACHABLE},
	    {"Is the docker daemon running", DOCKER_ERR_UNREACHABLE},
	    {"permission denied while trying to connect to the Docker",
	     DOCKER_ERR_UNREACHABLE},
	    {"error during connect", DOCKER_ERR_UNREACHABLE},
	    {"Unable to find image", DOCKER_ERR_IMAGE},
	    {"No such image", DOCKER_ERR_IMAGE},
	    {"pull access denied", DOCKER_ERR_IMAGE},
	    {"manifest unknown", DOCKER_ERR_IMAGE},
	    {"repository does not exist", DOCKER_ERR_IMAGE},
	    {"is already in use by container", DOCKER_ERR_EXISTS},
	    {"already exists", DOCKER_ERR_EXISTS},
	    {"Pool overlaps with other one", DOCKER_ERR_SUBNET},
	    {"Address already in use", DOCKER_ERR_SUBNET},
	    {"does not belong to any of this network's subnets",
	     DOCKER_ERR_SUBNET},
	    {"no matching subnet for gateway", DOCKER_ERR_SUBNET},
	    {"has active endpoints", DOCKER_ERR_IN_USE},
	    /* "exec: \"x\": executable file not found": not a missing
	     * container or network */
	    {"OCI runtime", DOCKER_ERR_OTHER},
	    {"No such container", DOCKER_ERR_NOT_FOUND},
	    {"No such network", DOCKER_ERR_NOT_FOUND},
	    {"No such object", DOCKER_ERR_NOT_FOUND},
	    {"not found", DOCKER_ERR_NOT_FOUND},
	};
	size_t i;

	if (stderr_text == NULL)
		return DOCKER_ERR_OTHER;
	for (i = 0; i < UTIL_NELEM(rules); i++) {
		if (strcasestr(stderr_text, rules[i].needle) != NULL)
			return rules[i].e;
	}
	return DOCKER_ERR_OTHER;
}

const char *docker_error_name(enum docker_error e)
{
	switch (e) {
	case DOCKER_ERR_UNREACHABLE:
		return "unreachable";
	case DOCKER_ERR_NOT_FOUND:
		return "not found";
	case DOCKER_ERR_EXISTS:
		return "already exists";
	case DOCKER_ERR_IMAGE:
		return "image unavailable";
	case DOCKER_ERR_SUBNET:
		return "subnet conflict";
	case DOCKER_ERR_IN_USE:
		return "in use";
	case DOCKER_ERR_OTHER:
		break;
	}
	return "error";
}
