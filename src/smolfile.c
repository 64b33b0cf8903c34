/* smolfile.c: the Smolfile emitter and its strict checker. */
#include "smolfile.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipam.h"
#include "util.h"

/* The variables bottle sets to the bundle's proxy (when it has one). */
static const char *const smolfile_proxy_keys[] = {
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "http_proxy",
    "https_proxy",
};

/* Length of the valid UTF-8 sequence at s[0..len) (shortest form, no
 * surrogates, at most U+10FFFF), or 0 when it is not one. */
static size_t smolfile_utf8_seq(const unsigned char *s, size_t len)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* 1 when s[0..len) is entirely valid UTF-8. */
static int smolfile_utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		n = smolfile_utf8_seq(u + i, len - i);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* Append s as a TOML basic string: quotes, backslash and every control
 * character (C0, DEL and C1) escaped. s must be valid UTF-8. */
static void smolfile_add_str(struct buf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	buf_addc(b, '"');
	for (i = 0; u[i] != '\0'; i++) {
		switch (u[i]) {
		case '"':
			buf_adds(b, "\\\"");
			break;
		case '\\':
			buf_adds(b, "\\\\");
			break;
		case '\b':
			buf_adds(b, "\\b");
			break;
		case '\t':
			buf_adds(b, "\\t");
			break;
		case '\n':
			buf_adds(b, "\\n");
			break;
		case '\f':
			buf_adds(b, "\\f");
			break;
		case '\r':
			buf_adds(b, "\\r");
			break;
		default:
			if (u[i] < 0x20 || u[i] == 0x7f) {
				buf_addf(b, "\\u%04X", u[i]);
			} else if (u[i] == 0xc2 && u[i + 1] >= 0x80 &&
				   u[i + 1] <= 0x9f) {
				buf_addf(b, "\\u%04X", u[i + 1]); /* C1 */
				i++;
			} else {
				buf_addc(b, (char)u[i]);
			}
		}
	}
	buf_addc(b, '"');
}

/* Append `key = ["v0", "v1", ...]`. */
static void smolfile_add_array(struct buf *b, const char *key,
			       const char *const *v, size_t n)
{
	size_t i;

	buf_addf(b, "%s = [", key);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_adds(b, ", ");
		smolfile_add_str(b, v[i]);
	}
	buf_adds(b, "]\n");
}

/* Check every string of a vector is valid UTF-8 (field names it). */
static int smolfile_check_strv(const struct strv *sv, const char *field,
			       char **cause)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (!smolfile_utf8_valid(sv->v[i], strlen(sv->v[i])))
			return util_fail(cause,
					 "smolfile: %s[%zu]: not valid UTF-8",
					 field, i);
	return 0;
}

/* Length of the key of an env entry "K=V", after checking the key is
 * non-empty, printable and valid UTF-8 and the value valid UTF-8. */
static int smolfile_env_key(const char *e, size_t idx, size_t *klen,
			    char **cause)
{
	const char *eq = strchr(e, '=');
	size_t i;

	if (eq == NULL || eq == e)
		return util_fail(
		    cause, "smolfile: vm.env[%zu]: expected KEY=VALUE", idx);
	*klen = (size_t)(eq - e);
	for (i = 0; i < *klen; i++) {
		unsigned char c = (unsigned char)e[i];
		if (c <= 0x20 || c == 0x7f)
			return util_fail(cause,
					 "smolfile: vm.env[%zu]: key contains "
					 "a space or control character",
					 idx);
	}
	if (!smolfile_utf8_valid(e, *klen))
		return util_fail(cause,
				 "smolfile: vm.env[%zu]: key is not valid "
				 "UTF-8",
				 idx);
	if (!smolfile_utf8_valid(eq + 1, strlen(eq + 1)))
		return util_fail(cause,
				 "smolfile: vm.env: value of %.*s is not valid "
				 "UTF-8",
				 (int)*klen, e);
	return 0;
}

/* 1 when the key of "K=V" (klen bytes) is key. */
static int smolfile_key_is(const char *e, size_t klen, const char *key)
{
	return strlen(key) == klen && memcmp(e, key, klen) == 0;
}

static int smolfile_cmp_env(const void *a, const void *b)
{
	const char *x = *(const char *const *)a;
	const char *y = *(const char *const *)b;
	size_t xl = strcspn(x, "="), yl = strcspn(y, "=");
	int c = memcmp(x, y, xl < yl ? xl : yl);

	if (c != 0)
		return c;
	return xl < yl ? -1 : xl > yl;
}

/* The env to emit: the vm env plus the proxy variables, sorted by key,
 * into *env (strings owned). Rejects bad entries, duplicate keys and vm
 * keys the proxy variables own. */
static int smolfile_build_env(const struct smolfile_in *in, struct strv *env,
			      char **cause)
{
	const struct strv *ve = &in->vm->env;
	size_t i, j, klen = 0;

	for (i = 0; i < ve->n; i++) {
		if (smolfile_env_key(ve->v[i], i, &klen, cause) < 0)
			goto fail;
		for (j = 0;
		     in->proxy_port > 0 && j < UTIL_NELEM(smolfile_proxy_keys);
		     j++) {
			if (smolfile_key_is(ve->v[i], klen,
					    smolfile_proxy_keys[j])) {
				util_fail(cause,
					  "smolfile: vm.env: %s is reserved: "
					  "bottle points it at the bundle's "
					  "proxy",
					  smolfile_proxy_keys[j]);
				goto fail;
			}
		}
		strv_push(env, ve->v[i]);
	}
	for (j = 0; in->proxy_port > 0 && j < UTIL_NELEM(smolfile_proxy_keys);
	     j++)
		strv_pushf(env, "%s=http://%s:%d", smolfile_proxy_keys[j],
			   in->bundle_ip, in->proxy_port);
	if (env->n > 1)
		qsort(env->v, env->n, sizeof *env->v, smolfile_cmp_env);
	for (i = 1; i < env->n; i++) {
		if (smolfile_cmp_env(&env->v[i - 1], &env->v[i]) == 0) {
			util_fail(cause, "smolfile: vm.env: %.*s is set twice",
				  (int)strcspn(env->v[i], "="), env->v[i]);
			goto fail;
		}
	}
	return 0;
fail:
	strv_release(env);
	return -1;
}

/* 1 when the guest side of volume "HOST:GUEST[:OPTS]" is the helper's
 * mount point or inside it. */
static int smolfile_volume_on_helper(const char *vol)
{
	const char *guest = strchr(vol, ':');
	size_t glen, hlen = strlen(SMOLFILE_HELPER_GUEST);

	if (guest == NULL)
		return 0;
	guest++;
	glen = strcspn(guest, ":");
	while (glen > 1 && guest[glen - 1] == '/')
		glen--;
	return glen >= hlen &&
	       memcmp(guest, SMOLFILE_HELPER_GUEST, hlen) == 0 &&
	       (glen == hlen || guest[hlen] == '/');
}

/* The resolved volumes as "HOST:GUEST[:ro]" strings into *vols, each
 * git_ro one followed by its read-only .git. */
static int smolfile_mount_strings(const struct config_mounts *m,
				  struct strv *vols, char **cause)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		const struct config_mount *mt = &m->v[i];
		if (mt->host == NULL || mt->host[0] != '/' ||
		    strchr(mt->host, ':') != NULL || mt->guest == NULL ||
		    mt->guest[0] != '/' || strchr(mt->guest, ':') != NULL) {
			util_fail(cause,
				  "smolfile: vm.volumes[%zu]: expected "
				  "absolute host and guest paths without ':'",
				  i);
			goto fail;
		}
		strv_pushf(vols, "%s:%s%s", mt->host, mt->guest,
			   mt->ro ? ":ro" : "");
		if (mt->git_ro && !mt->ro)
			strv_pushf(vols, "%s/.git:%s%s.git:ro", mt->host,
				   mt->guest,
				   strcmp(mt->guest, "/") == 0 ? "" : "/");
	}
	return 0;
fail:
	strv_release(vols);
	return -1;
}

/* The volumes to emit: the vm's plus the helper mount, into *vols. */
static int smolfile_build_volumes(const struct smolfile_in *in,
				  const struct config_mounts *m,
				  struct strv *vols, char **cause)
{
	struct strv resolved = STRV_INIT;
	const struct strv *vv = &in->vm->volumes;
	const char *h = in->helper_dir;
	size_t i;

	if (m != NULL) {
		if (smolfile_mount_strings(m, &resolved, cause) < 0)
			return -1;
		vv = &resolved;
	}
	if (smolfile_check_strv(vv, "vm.volumes", cause) < 0)
		goto fail;
	for (i = 0; i < vv->n; i++) {
		if (h != NULL && smolfile_volume_on_helper(vv->v[i])) {
			util_fail(cause,
				  "smolfile: vm.volumes[%zu]: mounts over %s, "
				  "where bottle puts its probe helper",
				  i, SMOLFILE_HELPER_GUEST);
			goto fail;
		}
	}
	if (h != NULL) {
		if (h[0] != '/' || strchr(h, ':') != NULL) {
			util_fail(cause, "smolfile: helper_dir: expected an "
					 "absolute path without ':'");
			goto fail;
		}
		if (!smolfile_utf8_valid(h, strlen(h))) {
			util_fail(cause,
				  "smolfile: helper_dir: not valid UTF-8");
			goto fail;
		}
	}
	strv_pushv(vols, (const char *const *)vv->v, vv->n);
	if (h != NULL)
		strv_pushf(vols, "%s:%s:ro", h, SMOLFILE_HELPER_GUEST);
	strv_release(&resolved);
	return 0;
fail:
	strv_release(&resolved);
	return -1;
}

/* "mount: HOST -> GUEST (WHAT)" with control characters as '?'. */
static void smolfile_mount_line(struct strv *out, const char *host, size_t hlen,
				const char *hsuffix, const char *guest,
				size_t glen, const char *gsuffix,
				const char *what)
{
	struct buf b = BUF_INIT;
	size_t i;

	buf_adds(&b, "mount: ");
	buf_add(&b, host, hlen);
	buf_adds(&b, hsuffix);
	buf_adds(&b, " -> ");
	buf_add(&b, guest, glen);
	buf_adds(&b, gsuffix);
	buf_addf(&b, " (%s)", what);
	for (i = 0; i < b.len; i++) {
		if ((unsigned char)b.data[i] < 0x20 || b.data[i] == 0x7f)
			b.data[i] = '?';
	}
	strv_push(out, b.data);
	buf_release(&b);
}

void smolfile_mount_lines(const struct smolfile_in *in,
			  const struct config_mounts *m, struct strv *out)
{
	const struct strv *vv = &in->vm->volumes;
	size_t i;

	if (m != NULL) {
		for (i = 0; i < m->n; i++) {
			const struct config_mount *mt = &m->v[i];
			int git = mt->git_ro && !mt->ro;
			int root = strcmp(mt->guest, "/") == 0;

			smolfile_mount_line(out, mt->host, strlen(mt->host), "",
					    mt->guest, strlen(mt->guest), "",
					    mt->ro ? "ro" : "rw");
			if (git)
				smolfile_mount_line(
				    out, mt->host, strlen(mt->host), "/.git",
				    mt->guest, strlen(mt->guest),
				    root ? ".git" : "/.git",
				    "ro, git stays read-only");
		}
	} else {
		for (i = 0; i < vv->n; i++) {
			const char *v = vv->v[i], *c1 = strchr(v, ':'), *g;
			size_t gl;

			if (c1 == NULL)
				continue;
			g = c1 + 1;
			gl = strcspn(g, ":");
			smolfile_mount_line(
			    out, v, (size_t)(c1 - v), "", g, gl, "",
			    strcmp(g + gl, ":ro") == 0 ? "ro" : "rw");
		}
	}
	if (in->helper_dir != NULL)
		smolfile_mount_line(out, in->helper_dir, strlen(in->helper_dir),
				    "", SMOLFILE_HELPER_GUEST,
				    strlen(SMOLFILE_HELPER_GUEST), "",
				    "ro, bottle's probe helper");
}

/* Validate the scalar inputs. */
static int smolfile_check_in(const struct smolfile_in *in, char **cause)
{
	const struct config_vm *vm = in->vm;
	uint32_t addr;

	if (vm == NULL)
		return util_fail(cause, "smolfile: vm: missing");
	if (in->bundle_ip == NULL || ipam_parse_addr(in->bundle_ip, &addr) < 0)
		return util_fail(cause, "smolfile: bundle_ip: expected an IPv4 "
					"address such as 10.213.0.2");
	if (in->proxy_port < 0 || in->proxy_port > 65535)
		return util_fail(cause,
				 "smolfile: proxy_port: %d is not a port "
				 "(1..65535, or 0 for none)",
				 in->proxy_port);
	if (vm->image == NULL || vm->image[0] == '\0')
		return util_fail(cause, "smolfile: vm.image: missing");
	if (!smolfile_utf8_valid(vm->image, strlen(vm->image)))
		return util_fail(cause, "smolfile: vm.image: not valid UTF-8");
	if (vm->workdir != NULL &&
	    !smolfile_utf8_valid(vm->workdir, strlen(vm->workdir)))
		return util_fail(cause,
				 "smolfile: vm.workdir: not valid UTF-8");
	if (vm->cpus < 1)
		return util_fail(cause,
				 "smolfile: vm.cpus: must be at least 1");
	if (vm->memory_mib < 1)
		return util_fail(cause,
				 "smolfile: vm.memory: must be at least 1");
	if (smolfile_check_strv(&vm->entrypoint, "vm.entrypoint", cause) < 0 ||
	    smolfile_check_strv(&vm->cmd, "vm.cmd", cause) < 0)
		return -1;
	return 0;
}

int smolfile_render(const struct smolfile_in *in, char **out, char **cause)
{
	return smolfile_render_mounts(in, NULL, out, cause);
}

int smolfile_render_mounts(const struct smolfile_in *in,
			   const struct config_mounts *m, char **out,
			   char **cause)
{
	const struct config_vm *vm = in->vm;
	struct strv env = STRV_INIT, vols = STRV_INIT;
	struct buf b = BUF_INIT;

	if (smolfile_check_in(in, cause) < 0 ||
	    smolfile_build_env(in, &env, cause) < 0)
		return -1;
	if (smolfile_build_volumes(in, m, &vols, cause) < 0) {
		strv_release(&env);
		return -1;
	}
	buf_adds(&b, "image = ");
	smolfile_add_str(&b, vm->image);
	buf_addc(&b, '\n');
	if (vm->entrypoint.n > 0)
		smolfile_add_array(&b, "entrypoint",
				   (const char *const *)vm->entrypoint.v,
				   vm->entrypoint.n);
	if (vm->cmd.n > 0)
		smolfile_add_array(&b, "cmd", (const char *const *)vm->cmd.v,
				   vm->cmd.n);
	if (env.n > 0)
		smolfile_add_array(&b, "env", (const char *const *)env.v,
				   env.n);
	if (vm->workdir != NULL && vm->workdir[0] != '\0') {
		buf_adds(&b, "workdir = ");
		smolfile_add_str(&b, vm->workdir);
		buf_addc(&b, '\n');
	}
	buf_addf(&b, "cpus = %d\nmemory = %d\n", vm->cpus, vm->memory_mib);
	if (vols.n > 0)
		smolfile_add_array(&b, "volumes", (const char *const *)vols.v,
				   vols.n);
	buf_addf(&b, "\n[network]\nallow_cidrs = [\"%s/32\"]\n", in->bundle_ip);
	strv_release(&env);
	strv_release(&vols);
	*out = buf_detach(&b);
	return 0;
}

/* ---- the checker ---- */

enum smolfile_type {
	SMOLFILE_STR,
	SMOLFILE_INT,
	SMOLFILE_ARRAY,
};

/* The keys the checker accepts, as indices into its tables. */
enum smolfile_k {
	SMOLFILE_K_IMAGE,
	SMOLFILE_K_ENTRYPOINT,
	SMOLFILE_K_CMD,
	SMOLFILE_K_ENV,
	SMOLFILE_K_WORKDIR,
	SMOLFILE_K_CPUS,
	SMOLFILE_K_MEMORY,
	SMOLFILE_K_VOLUMES,
	SMOLFILE_K_ALLOW_CIDRS,
	SMOLFILE_K_COUNT
};

struct smolfile_key {
	const char *name;
	int in_network; /* 1: only inside [network]; 0: only top level */
	enum smolfile_type type;
	int required;
};

static const struct smolfile_key smolfile_keys[SMOLFILE_K_COUNT] = {
    [SMOLFILE_K_IMAGE] = {"image", 0, SMOLFILE_STR, 1},
    [SMOLFILE_K_ENTRYPOINT] = {"entrypoint", 0, SMOLFILE_ARRAY, 0},
    [SMOLFILE_K_CMD] = {"cmd", 0, SMOLFILE_ARRAY, 0},
    [SMOLFILE_K_ENV] = {"env", 0, SMOLFILE_ARRAY, 0},
    [SMOLFILE_K_WORKDIR] = {"workdir", 0, SMOLFILE_STR, 0},
    [SMOLFILE_K_CPUS] = {"cpus", 0, SMOLFILE_INT, 1},
    [SMOLFILE_K_MEMORY] = {"memory", 0, SMOLFILE_INT, 1},
    [SMOLFILE_K_VOLUMES] = {"volumes", 0, SMOLFILE_ARRAY, 0},
    [SMOLFILE_K_ALLOW_CIDRS] = {"allow_cidrs", 1, SMOLFILE_ARRAY, 1},
};

/* A decoded value: one of s, i, v by type. */
struct smolfile_val {
	char *s; /* owned */
	int i;
	struct strv v; /* owned */
};

/* The checker's state over one line [p, end). */
struct smolfile_rd {
	const char *p;	 /* cursor (borrowed text) */
	const char *end; /* end of the current line */
	size_t line;	 /* 1-based */
	char **cause;
};

static int smolfile_rd_fail(struct smolfile_rd *r, const char *what)
{
	return util_fail(r->cause, "smolfile: line %zu: %s", r->line, what);
}

static int smolfile_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Append code point cp as UTF-8. */
static void smolfile_add_cp(struct buf *b, uint32_t cp)
{
	if (cp < 0x80) {
		buf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		buf_addc(b, (char)(0xc0 | cp >> 6));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addc(b, (char)(0xe0 | cp >> 12));
		buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_addc(b, (char)(0xf0 | cp >> 18));
		buf_addc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

/* \uXXXX or \UXXXXXXXX (the u/U already consumed): a scalar value that
 * is not NUL (a C string cannot hold it). */
static int smolfile_read_ucode(struct smolfile_rd *r, int digits, struct buf *b)
{
	uint32_t cp = 0;
	int i, d;

	if (r->end - r->p < digits)
		return smolfile_rd_fail(r, "short \\u escape");
	for (i = 0; i < digits; i++) {
		d = smolfile_hexval(*r->p++);
		if (d < 0)
			return smolfile_rd_fail(r, "bad hex in \\u escape");
		cp = cp << 4 | (uint32_t)d;
	}
	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return smolfile_rd_fail(r, "\\u escape is not a usable "
					   "unicode scalar value");
	smolfile_add_cp(b, cp);
	return 0;
}

/* One escape sequence after a backslash. */
static int smolfile_read_escape(struct smolfile_rd *r, struct buf *b)
{
	char c;

	if (r->p == r->end)
		return smolfile_rd_fail(r, "backslash at end of line");
	c = *r->p++;
	switch (c) {
	case '"':
	case '\\':
		buf_addc(b, c);
		return 0;
	case 'b':
		buf_addc(b, '\b');
		return 0;
	case 't':
		buf_addc(b, '\t');
		return 0;
	case 'n':
		buf_addc(b, '\n');
		return 0;
	case 'f':
		buf_addc(b, '\f');
		return 0;
	case 'r':
		buf_addc(b, '\r');
		return 0;
	case 'u':
		return smolfile_read_ucode(r, 4, b);
	case 'U':
		return smolfile_read_ucode(r, 8, b);
	default:
		return smolfile_rd_fail(r, "unknown escape in string");
	}
}

/* A basic string starting at the cursor: decoded into *out (owned). */
static int smolfile_read_str(struct smolfile_rd *r, char **out)
{
	struct buf b = BUF_INIT;
	unsigned char c;
	size_t n;

	if (r->p == r->end || *r->p != '"')
		return smolfile_rd_fail(r, "expected a string");
	r->p++;
	for (;;) {
		if (r->p == r->end) {
			buf_release(&b);
			return smolfile_rd_fail(r, "unterminated string");
		}
		c = (unsigned char)*r->p;
		if (c == '"')
			break;
		if (c == '\\') {
			r->p++;
			if (smolfile_read_escape(r, &b) < 0) {
				buf_release(&b);
				return -1;
			}
			continue;
		}
		n = smolfile_utf8_seq((const unsigned char *)r->p,
				      (size_t)(r->end - r->p));
		if (c < 0x20 || c == 0x7f || n == 0) {
			buf_release(&b);
			return smolfile_rd_fail(r, "raw control character or "
						   "invalid UTF-8 in string");
		}
		buf_add(&b, r->p, n);
		r->p += n;
	}
	r->p++;
	*out = buf_detach(&b);
	return 0;
}

/* A decimal integer without sign or leading zeros that fits an int. */
static int smolfile_read_int(struct smolfile_rd *r, int *out)
{
	long v = 0;

	if (r->p == r->end || *r->p < '0' || *r->p > '9' ||
	    (*r->p == '0' && r->end - r->p > 1 && r->p[1] >= '0' &&
	     r->p[1] <= '9'))
		return smolfile_rd_fail(r, "expected an integer");
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
		v = v * 10 + (*r->p++ - '0');
		if (v > INT_MAX)
			return smolfile_rd_fail(r, "integer out of range");
	}
	*out = (int)v;
	return 0;
}

/* `["a", "b"]` or `[]` into v. */
static int smolfile_read_array(struct smolfile_rd *r, struct strv *v)
{
	char *s;

	if (r->p == r->end || *r->p != '[')
		return smolfile_rd_fail(r, "expected an array");
	r->p++;
	if (r->p < r->end && *r->p == ']') {
		r->p++;
		return 0;
	}
	for (;;) {
		if (smolfile_read_str(r, &s) < 0)
			return -1;
		strv_push(v, s);
		free(s);
		if (r->p < r->end && *r->p == ']') {
			r->p++;
			return 0;
		}
		if (r->end - r->p < 2 || r->p[0] != ',' || r->p[1] != ' ')
			return smolfile_rd_fail(r, "expected ', ' or ']' in "
						   "array");
		r->p += 2;
	}
}

static int smolfile_read_value(struct smolfile_rd *r, enum smolfile_type t,
			       struct smolfile_val *v)
{
	int rc;

	switch (t) {
	case SMOLFILE_STR:
		rc = smolfile_read_str(r, &v->s);
		break;
	case SMOLFILE_INT:
		rc = smolfile_read_int(r, &v->i);
		break;
	default:
		rc = smolfile_read_array(r, &v->v);
		break;
	}
	if (rc == 0 && r->p != r->end)
		return smolfile_rd_fail(r, "text after the value");
	return rc;
}

/* One `key = value` line; seen[] marks keys already read. */
static int smolfile_read_kv(struct smolfile_rd *r, int in_network, int *seen,
			    struct smolfile_val *vals)
{
	const char *k = r->p;
	size_t klen, i;

	while (r->p < r->end &&
	       ((*r->p >= 'a' && *r->p <= 'z') || *r->p == '_'))
		r->p++;
	klen = (size_t)(r->p - k);
	if (klen == 0 || r->end - r->p < 3 || memcmp(r->p, " = ", 3) != 0)
		return smolfile_rd_fail(r, "expected 'key = value', "
					   "'[network]' or a blank line");
	r->p += 3;
	for (i = 0; i < SMOLFILE_K_COUNT; i++) {
		const struct smolfile_key *sk = &smolfile_keys[i];
		if (strlen(sk->name) != klen || memcmp(sk->name, k, klen) != 0)
			continue;
		if (sk->in_network != in_network)
			break;
		if (seen[i])
			return util_fail(r->cause,
					 "smolfile: line %zu: duplicate key %s",
					 r->line, sk->name);
		seen[i] = 1;
		return smolfile_read_value(r, sk->type, &vals[i]);
	}
	return util_fail(r->cause,
			 "smolfile: line %zu: key %.*s is not "
			 "allowed %s",
			 r->line, (int)klen, k,
			 in_network ? "in [network]" : "at top level");
}

/* Every env element is KEY=VALUE with a non-empty key. */
static int smolfile_check_env(const struct strv *env, char **cause)
{
	size_t i;

	for (i = 0; i < env->n; i++)
		if (env->v[i][0] == '=' || strchr(env->v[i], '=') == NULL)
			return util_fail(cause,
					 "smolfile: env[%zu]: expected "
					 "KEY=VALUE",
					 i);
	return 0;
}

/* After reading: required keys, the network policy, env shape. */
static int smolfile_check_whole(const int *seen, struct smolfile_val *vals,
				int n_network, const char *bundle_ip,
				char **cause)
{
	const struct strv *ac;
	char *want;
	size_t i;
	int ok;

	if (n_network != 1)
		return util_fail(cause, "smolfile: no [network] table");
	for (i = 0; i < SMOLFILE_K_COUNT; i++)
		if (smolfile_keys[i].required && !seen[i])
			return util_fail(cause, "smolfile: missing key %s",
					 smolfile_keys[i].name);
	ac = &vals[SMOLFILE_K_ALLOW_CIDRS].v;
	want = xasprintf("%s/32", bundle_ip);
	ok = ac->n == 1 && strcmp(ac->v[0], want) == 0;
	free(want);
	if (!ok)
		return util_fail(cause,
				 "smolfile: allow_cidrs must be exactly "
				 "[\"%s/32\"]",
				 bundle_ip);
	return smolfile_check_env(&vals[SMOLFILE_K_ENV].v, cause);
}

/* Move a decoded string vector out of vals. */
static struct strv smolfile_take_strv(struct smolfile_val *vals,
				      enum smolfile_k k)
{
	struct strv v = vals[k].v;

	vals[k].v.v = NULL;
	vals[k].v.n = 0;
	return v;
}

/* Move the decoded values into vm. */
static void smolfile_vals_to_vm(struct smolfile_val *vals, struct config_vm *vm)
{
	memset(vm, 0, sizeof *vm);
	vm->image = vals[SMOLFILE_K_IMAGE].s;
	vals[SMOLFILE_K_IMAGE].s = NULL;
	vm->workdir = vals[SMOLFILE_K_WORKDIR].s;
	vals[SMOLFILE_K_WORKDIR].s = NULL;
	vm->entrypoint = smolfile_take_strv(vals, SMOLFILE_K_ENTRYPOINT);
	vm->cmd = smolfile_take_strv(vals, SMOLFILE_K_CMD);
	vm->env = smolfile_take_strv(vals, SMOLFILE_K_ENV);
	vm->volumes = smolfile_take_strv(vals, SMOLFILE_K_VOLUMES);
	vm->cpus = vals[SMOLFILE_K_CPUS].i;
	vm->memory_mib = vals[SMOLFILE_K_MEMORY].i;
}

/* Read every line; n_network counts [network] headers. */
static int smolfile_read_lines(const char *text, size_t len, int *seen,
			       struct smolfile_val *vals, int *n_network,
			       char **cause)
{
	struct smolfile_rd r = {text, text, 0, cause};
	const char *stop = text + len, *nl;

	if (memchr(text, '\0', len) != NULL)
		return util_fail(cause, "smolfile: contains a NUL byte");
	while (r.p < stop) {
		r.line++;
		nl = memchr(r.p, '\n', (size_t)(stop - r.p));
		if (nl == NULL)
			return smolfile_rd_fail(&r, "no newline at the end");
		r.end = nl;
		if (r.p == r.end) {
			/* blank */
		} else if ((size_t)(r.end - r.p) == 9 &&
			   memcmp(r.p, "[network]", 9) == 0) {
			if (++*n_network > 1)
				return smolfile_rd_fail(&r, "second [network]");
		} else if (smolfile_read_kv(&r, *n_network, seen, vals) < 0) {
			return -1;
		}
		r.p = nl + 1;
	}
	return 0;
}

int smolfile_check(const char *text, size_t len, const char *bundle_ip,
		   struct config_vm *vm, char **cause)
{
	struct smolfile_val vals[SMOLFILE_K_COUNT];
	int seen[SMOLFILE_K_COUNT];
	int n_network = 0, rc;
	size_t i;

	memset(vals, 0, sizeof vals);
	memset(seen, 0, sizeof seen);
	rc = smolfile_read_lines(text, len, seen, vals, &n_network, cause);
	if (rc == 0)
		rc = smolfile_check_whole(seen, vals, n_network, bundle_ip,
					  cause);
	if (rc == 0 && vm != NULL)
		smolfile_vals_to_vm(vals, vm);
	for (i = 0; i < UTIL_NELEM(vals); i++) {
		free(vals[i].s);
		strv_release(&vals[i].v);
	}
	return rc;
}

void smolfile_vm_release(struct config_vm *vm)
{
	free(vm->image);
	strv_release(&vm->entrypoint);
	strv_release(&vm->cmd);
	strv_release(&vm->env);
	free(vm->workdir);
	strv_release(&vm->volumes);
	memset(vm, 0, sizeof *vm);
}
