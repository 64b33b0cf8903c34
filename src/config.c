/* config.c: bottles.json, from text to resolved bottles.
 *
 * 1. Lexical pass over a private copy: NUL bytes and "\u0000" escapes are
 *    refused, comments are blanked in place (newlines kept) so that cJSON's
 *    error offset still gives the true line and column.
 * 2. cJSON parses; every layer ("defaults", each "bottles.NAME") is checked
 *    against the schema table below: types, ranges, formats, duplicate and
 *    unknown keys (with a did-you-mean).
 * 3. Each bottle is resolved as built-in defaults <- "defaults" <-
 *    "bottles.NAME" (objects merge per key, null deletes a key, anything
 *    else replaces) and checked as a whole: required keys, ports, bind
 *    addresses against agent reachability, the proxy, subnet sizes. The
 *    resolved "defaults" gets the same whole-bottle check (images aside).
 *
 * Every message is "config: [ORIGIN: ]WHERE: WHAT", WHERE being a JSON
 * path (bottles.web.vm.cpus, bottles.web.vm.volumes[0]) or "line L,
 * column C" for lexical and syntax errors. Pure over (buf, len) and the
 * options given; config_check_volumes_now (config-check.c) alone reads the
 * file system, at up time. */
#include "config.h"
#include "config-int.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Longest part of a user string quoted into a message. */
#define CONFIG_QUOTE_MAX 64
/* Longest key the did-you-mean distance is computed for. */
#define CONFIG_SUGGEST_MAX 64

/* ---- messages ---------------------------------------------------------- */

/* config_quote: s as a double-quoted, escaped, bounded string: safe to
 * print on a terminal whatever s holds. */
static void config_quote(struct buf *b, const char *s)
{
	size_t n;

	buf_addc(b, '"');
	for (n = 0; s[n] != '\0'; n++) {
		unsigned char c = (unsigned char)s[n];

		if (n == CONFIG_QUOTE_MAX) {
			buf_adds(b, "...");
			break;
		}
		if (c == '"' || c == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, (char)c);
		} else if (c == '\n') {
			buf_adds(b, "\\n");
		} else if (c == '\t') {
			buf_adds(b, "\\t");
		} else if (c == '\r') {
			buf_adds(b, "\\r");
		} else if (c < 0x20 || c >= 0x7f) {
			buf_addf(b, "\\x%02x", c);
		} else {
			buf_addc(b, (char)c);
		}
	}
	buf_addc(b, '"');
}

/* config_quoted: config_quote into a new string. Caller frees. */
char *config_quoted(const char *s)
{
	struct buf b = BUF_INIT;

	config_quote(&b, s);
	return buf_detach(&b);
}

static char *config_number(double d)
{
	if (d >= -1e15 && d <= 1e15 && d == (double)(long long)d)
		return xasprintf("%lld", (long long)d);
	return xasprintf("%g", d);
}

/* config_describe: a JSON value as messages show it after "got".
 * Caller frees. */
static char *config_describe(const cJSON *v)
{
	if (cJSON_IsString(v))
		return config_quoted(v->valuestring);
	if (cJSON_IsNumber(v))
		return config_number(v->valuedouble);
	if (cJSON_IsTrue(v))
		return xstrdup("true");
	if (cJSON_IsFalse(v))
		return xstrdup("false");
	if (cJSON_IsNull(v))
		return xstrdup("null");
	if (cJSON_IsArray(v))
		return xstrdup("an array");
	return xstrdup("an object");
}

/* config_fail: record "config: [ORIGIN: ]PATH: MESSAGE" as the cause
 * unless one is recorded already; returns -1. */
int config_fail(struct config_ctx *ctx, const char *fmt, ...) UTIL_PRINTF(2, 3);
int config_fail(struct config_ctx *ctx, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	char *msg;

	if (ctx->cause != NULL)
		return -1;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	buf_adds(&b, "config: ");
	if (ctx->origin != NULL)
		buf_addf(&b, "%s: ", ctx->origin);
	buf_addf(&b, "%s: %s", ctx->path.len > 0 ? ctx->path.data : "top level",
		 msg);
	free(msg);
	ctx->cause = buf_detach(&b);
	return -1;
}

/* config_warn: add "config: [ORIGIN: ]PATH: MESSAGE" to the warnings. */
void config_warn(struct config_ctx *ctx, const char *fmt, ...)
    UTIL_PRINTF(2, 3);
void config_warn(struct config_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (ctx->origin != NULL)
		strv_pushf(ctx->warnings, "config: %s: %s: %s", ctx->origin,
			   ctx->path.data, msg);
	else
		strv_pushf(ctx->warnings, "config: %s: %s", ctx->path.data,
			   msg);
	free(msg);
}

/* ---- JSON paths ---------------------------------------------------------
 * Keys made of [A-Za-z0-9_-] are joined with dots; any other key is shown
 * as ["quoted"]. Each push returns a mark to pop back to. */

static int config_key_plain(const char *key)
{
	const char *p;

	if (*key == '\0')
		return 0;
	for (p = key; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return 0;
	}
	return 1;
}

size_t config_path_key(struct buf *path, const char *key)
{
	size_t mark = path->len;

	if (config_key_plain(key)) {
		if (path->len > 0)
			buf_addc(path, '.');
		buf_adds(path, key);
	} else {
		buf_addc(path, '[');
		config_quote(path, key);
		buf_addc(path, ']');
	}
	return mark;
}

size_t config_path_index(struct buf *path, int i)
{
	size_t mark = path->len;

	buf_addf(path, "[%d]", i);
	return mark;
}

void config_path_pop(struct buf *path, size_t mark)
{
	path->len = mark;
	if (path->data != NULL)
		path->data[mark] = '\0';
}

/* ---- lexical pass ------------------------------------------------------ */

/* config_position: 1-based line and column (in characters) of offset. */
static void config_position(const char *s, size_t off, unsigned *line,
			    unsigned *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (s[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)s[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

/* config_fail_at: a failure located by offset in the text. */
static int config_fail_at(struct config_ctx *ctx, const char *text, size_t off,
			  const char *msg)
{
	unsigned line, col;

	config_position(text, off, &line, &col);
	buf_reset(&ctx->path);
	buf_addf(&ctx->path, "line %u, column %u", line, col);
	return config_fail(ctx, "%s", msg);
}

/* config_blank: overwrite s[from..to) with spaces, keeping newlines. */
static void config_blank(char *s, size_t from, size_t to)
{
	for (; from < to; from++) {
		if (s[from] != '\n')
			s[from] = ' ';
	}
}

/* config_strip: blank the comments of s (len bytes, no NUL inside) in
 * place. Refuses "\u0000" escapes (cJSON would cut the string there) and
 * unterminated block comments. */
static int config_strip(struct config_ctx *ctx, char *s, size_t len)
{
	size_t i = 0, start;
	int in_string = 0;

	while (i < len) {
		if (in_string) {
			if (s[i] == '\\' && i + 1 < len) {
				if (s[i + 1] == 'u' && len - i >= 6 &&
				    memcmp(s + i + 2, "0000", 4) == 0)
					return config_fail_at(
					    ctx, s, i,
					    "\"\\u0000\" in a string is not "
					    "allowed (strings cannot contain "
					    "NUL)");
				i += 2;
				continue;
			}
			if (s[i] == '"')
				in_string = 0;
			i++;
		} else if (s[i] == '"') {
			in_string = 1;
			i++;
		} else if (s[i] == '/' && i + 1 < len && s[i + 1] == '/') {
			start = i;
			while (i < len && s[i] != '\n')
				i++;
			config_blank(s, start, i);
		} else if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
			start = i;
			for (i += 2; i + 1 < len; i++) {
				if (s[i] == '*' && s[i + 1] == '/')
					break;
			}
			if (i + 1 >= len)
				return config_fail_at(ctx, s, start,
						      "unterminated comment");
			i += 2;
			config_blank(s, start, i);
		} else {
			i++;
		}
	}
	return 0;
}

/* config_syntax: the message for a cJSON failure at offset off. */
static int config_syntax(struct config_ctx *ctx, const char *text, size_t len,
			 size_t off)
{
	struct buf b = BUF_INIT;
	size_t n;
	char *near;
	int rc;

	while (off < len && (text[off] == ' ' || text[off] == '\t' ||
			     text[off] == '\r' || text[off] == '\n'))
		off++;
	if (off >= len)
		return config_fail_at(ctx, text, len,
				      "invalid JSON: unexpected end of input");
	for (n = 0; n < 16 && off + n < len && text[off + n] != '\n'; n++)
		;
	near = xstrndup(text + off, n);
	buf_adds(&b, "invalid JSON near ");
	config_quote(&b, near);
	free(near);
	rc = config_fail_at(ctx, text, off, b.data);
	buf_release(&b);
	return rc;
}

/* ---- value checks -------------------------------------------------------
 * Each takes a string and returns NULL when it is fine, else the message
 * that follows the path (allocated, caller frees). */

typedef char *(*config_check_fn)(const char *s);

static int config_has_control(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	}
	return 0;
}

static int config_has_space_or_control(const char *s)
{
	return config_has_control(s) || strchr(s, ' ') != NULL;
}

/* config_expected_got: "expected WHAT, got "S"". */
static char *config_expected_got(const char *what, const char *s)
{
	char *q = config_quoted(s);
	char *msg = xasprintf("expected %s, got %s", what, q);

	free(q);
	return msg;
}

int config_name_valid(const char *name)
{
	size_t n, len = strlen(name);

	if (len < 1 || len > 32)
		return 0;
	for (n = 0; n < len; n++) {
		char c = name[n];
		if (c == '-') {
			if (n == 0 || n == len - 1 || name[n + 1] == '-')
				return 0;
		} else if (!((c >= 'a' && c <= 'z') ||
			     (c >= '0' && c <= '9'))) {
			return 0;
		}
	}
	return 1;
}

/* config_service_name_valid: ^[a-z][a-z0-9-]{0,30}$ */
static int config_service_name_valid(const char *name)
{
	size_t n, len = strlen(name);

	if (len < 1 || len > 31 || name[0] < 'a' || name[0] > 'z')
		return 0;
	for (n = 1; n < len; n++) {
		char c = name[n];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return 0;
	}
	return 1;
}

static char *config_check_bottle_name(const char *s)
{
	if (config_name_valid(s))
		return NULL;
	return xstrdup("invalid bottle name (lower-case letters, digits and "
		       "single dashes, 1-32 characters, starting and ending "
		       "with a letter or digit)");
}

static char *config_check_service_name(const char *s)
{
	if (config_service_name_valid(s))
		return NULL;
	return xstrdup("invalid service name (a lower-case letter, then "
		       "lower-case letters, digits or dashes, 1-31 "
		       "characters)");
}

static const char *const config_proxy_vars[] = {
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
    "http_proxy", "https_proxy", "no_proxy",
};

static char *config_check_env_name(const char *s)
{
	const char *p;
	size_t i;

	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
	      *s == '_'))
		goto bad;
	for (p = s + 1; *p != '\0'; p++) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			goto bad;
	}
	for (i = 0; i < UTIL_NELEM(config_proxy_vars); i++) {
		if (strcmp(s, config_proxy_vars[i]) == 0)
			return xstrdup("reserved: bottle sets HTTP_PROXY, "
				       "HTTPS_PROXY and NO_PROXY (and their "
				       "lower-case forms) itself");
	}
	return NULL;
bad:
	return xstrdup("invalid environment variable name (letters, digits "
		       "and underscores, not starting with a digit)");
}

/* Bundle env names: any valid name but the bind knob bottle owns. */
static char *config_check_bundle_env_name(const char *s)
{
	size_t n = strlen(s);

	if (strncmp(s, "BOTTLE_", 7) == 0 && n > 14 &&
	    strcmp(s + n - 7, "_LISTEN") == 0)
		return xstrdup("reserved: bottle sets BOTTLE_<SERVICE>_LISTEN "
			       "from bundle.services (the bind-address knob)");
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
	      *s == '_') ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789_") != n)
		return xstrdup("invalid environment variable name (letters, "
			       "digits and underscores, not starting with a "
			       "digit)");
	return NULL;
}

/* The longest bundle.env value: docker reads an env file with a line
 * scanner whose lines end at 64 KiB. */
#define CONFIG_BUNDLE_ENV_MAX 60000

/* config_utf8_valid: 1 when s is valid UTF-8 (shortest forms, no
 * surrogates, at most U+10FFFF). */
static int config_utf8_valid(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n, i;
	uint32_t cp;

	while (*u != '\0') {
		if (u[0] < 0x80) {
			u++;
			continue;
		}
		if (u[0] >= 0xc2 && u[0] <= 0xdf) {
			n = 2;
			cp = u[0] & 0x1fu;
		} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
			n = 3;
			cp = u[0] & 0x0fu;
		} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
			n = 4;
			cp = u[0] & 0x07u;
		} else {
			return 0;
		}
		for (i = 1; i < n; i++) {
			if ((u[i] & 0xc0) != 0x80)
				return 0; /* also stops at the NUL */
			cp = cp << 6 | (u[i] & 0x3fu);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		u += n;
	}
	return 1;
}

/* Bundle env values travel in the env file docker run reads (one
 * KEY=VALUE a line), which cannot carry every string. */
static char *config_check_bundle_env_value(const char *s)
{
	size_t n = strlen(s);

	if (strchr(s, '\n') != NULL)
		return xstrdup("a value cannot contain a newline (docker's env "
			       "file cannot carry one)");
	if (n > 0 && s[n - 1] == '\r')
		return xstrdup("a value cannot end in a carriage return "
			       "(docker's env file would drop it)");
	if (n > CONFIG_BUNDLE_ENV_MAX)
		return xasprintf("a value is limited to %d bytes, got %zu "
				 "(docker's env file cannot carry a longer "
				 "line)",
				 CONFIG_BUNDLE_ENV_MAX, n);
	if (!config_utf8_valid(s))
		return xstrdup("a value must be valid UTF-8 (docker's env "
			       "file refuses anything else)");
	return NULL;
}

static char *config_check_image(const char *s)
{
	if (s[0] == '-')
		return xstrdup(
		    "an image name cannot start with \"-\" (it would "
		    "be read as an option)");
	if (*s != '\0' && !config_has_space_or_control(s))
		return NULL;
	return config_expected_got(
	    "an image reference (non-empty, no spaces or control characters)",
	    s);
}

static char *config_check_abs_path(const char *s)
{
	if (s[0] == '/' && !config_has_control(s))
		return NULL;
	return config_expected_got(
	    "an absolute path (starting with \"/\", no control characters)", s);
}

static char *config_check_health(const char *s)
{
	if (s[0] == '/' && !config_has_space_or_control(s))
		return NULL;
	return config_expected_got(
	    "null or an HTTP path starting with \"/\" (no spaces or control "
	    "characters)",
	    s);
}

int config_ipv4(const char *s, uint32_t *addr)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) != 1)
		return -1;
	if (addr != NULL)
		*addr = ntohl(in.s_addr);
	return 0;
}

static char *config_check_ipv4(const char *s)
{
	if (config_ipv4(s, NULL) == 0)
		return NULL;
	return config_expected_got("an IPv4 address such as \"127.0.0.1\"", s);
}

/* config_cidr: parse "A.B.C.D/N" with N from 8 to 28. */
int config_cidr(const char *s, uint32_t *addr, int *prefix)
{
	const char *slash = strchr(s, '/');
	char ip[16];
	size_t n;

	if (slash == NULL || (size_t)(slash - s) >= sizeof ip)
		return -1;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	if (config_ipv4(ip, addr) != 0)
		return -1;
	n = strlen(slash + 1);
	if (n < 1 || n > 2 || strspn(slash + 1, "0123456789") != n ||
	    slash[1] == '0')
		return -1;
	*prefix = (int)strtol(slash + 1, NULL, 10);
	return *prefix >= 8 && *prefix <= 28 ? 0 : -1;
}

uint32_t config_mask(int prefix)
{
	return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

static char *config_check_pool(const char *s)
{
	uint32_t addr;
	int prefix;
	struct in_addr in;
	char net[INET_ADDRSTRLEN];

	if (config_cidr(s, &addr, &prefix) != 0)
		return config_expected_got(
		    "an IPv4 network such as \"10.213.0.0/16\" (prefix from 8 "
		    "to 28)",
		    s);
	if ((addr & ~config_mask(prefix)) == 0)
		return NULL;
	in.s_addr = htonl(addr & config_mask(prefix));
	inet_ntop(AF_INET, &in, net, sizeof net);
	{
		char *q = config_quoted(s);
		char *msg = xasprintf("%s has host bits set (did you mean "
				      "\"%s/%d\"?)",
				      q, net, prefix);
		free(q);
		return msg;
	}
}

/* config_path_bad: why an absolute path with ".." or without a leading
 * "/" is refused, naming which side ("host", "guest") it is. */
static char *config_path_bad(const char *side, const char *p, size_t n)
{
	char *part = xstrndup(p, n);
	char *q = config_quoted(part);
	char *msg = NULL;
	size_t i = 0, start;

	if (n == 0 || p[0] != '/') {
		msg = xasprintf("%s path %s is not absolute", side, q);
		goto out;
	}
	while (i < n) {
		while (i < n && p[i] == '/')
			i++;
		start = i;
		while (i < n && p[i] != '/')
			i++;
		if (i - start == 2 && p[start] == '.' && p[start + 1] == '.') {
			msg = xasprintf("%s path %s has a \"..\" component",
					side, q);
			goto out;
		}
	}
out:
	free(q);
	free(part);
	return msg;
}

/* config_path_is_root: "/", "//", "/./" ... */
static int config_path_is_root(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] != '/' && p[i] != '.')
			return 0;
		if (p[i] == '.' && i + 1 < n && p[i + 1] == '.')
			return 0;
	}
	return 1;
}

static char *config_check_volume(const char *s)
{
	const char *c1 = strchr(s, ':'), *c2;
	char *msg;

	if (config_has_control(s))
		return config_expected_got("a volume without control "
					   "characters",
					   s);
	if (c1 == NULL)
		return config_expected_got("\"/host/path:/guest/path\" or "
					   "\"/host/path:/guest/path:ro\"",
					   s);
	c2 = strchr(c1 + 1, ':');
	if (c2 != NULL && strcmp(c2 + 1, "ro") != 0) {
		char *q = config_quoted(c2 + 1);
		msg = xasprintf("unknown volume option %s (the only option is "
				"\"ro\")",
				q);
		free(q);
		return msg;
	}
	if (c2 == NULL)
		c2 = c1 + strlen(c1);
	if ((msg = config_path_bad("host", s, (size_t)(c1 - s))) != NULL)
		return msg;
	if ((msg = config_path_bad("guest", c1 + 1, (size_t)(c2 - c1 - 1))) !=
	    NULL)
		return msg;
	if (config_path_is_root(c1 + 1, (size_t)(c2 - c1 - 1)))
		return xstrdup("the guest path cannot be \"/\" (mount below "
			       "it)");
	return NULL;
}

/* ---- the schema ---------------------------------------------------------
 * One node per kind of value. null is accepted only where nullable is
 * set, and it deletes the key when layers merge. */

enum config_kind {
	CONFIG_K_OBJECT, /* fixed keys: fields */
	CONFIG_K_MAP,	 /* user-named keys (check) -> value */
	CONFIG_K_STRING, /* check */
	CONFIG_K_STRV,	 /* array of strings, each: check */
	CONFIG_K_INT,	 /* min..max */
	CONFIG_K_BOOL,
	CONFIG_K_ENUM, /* choices */
};

struct config_field;

struct config_schema {
	enum config_kind kind;
	int nullable;
	int min, max;
	const char *const *choices;	   /* NULL-terminated */
	const struct config_field *fields; /* ends with a NULL name */
	const struct config_schema *value;
	config_check_fn check;
};

struct config_field {
	const char *name;
	const struct config_schema *schema;
};

static const struct config_schema config_s_image = {
    .kind = CONFIG_K_STRING, .check = config_check_image};
static const struct config_schema config_s_strv = {.kind = CONFIG_K_STRV};
static const struct config_schema config_s_env_value = {.kind = CONFIG_K_STRING,
							.nullable = 1};
static const struct config_schema config_s_bundle_env_value = {
    .kind = CONFIG_K_STRING,
    .nullable = 1,
    .check = config_check_bundle_env_value};
static const struct config_schema config_s_env = {.kind = CONFIG_K_MAP,
						  .value = &config_s_env_value,
						  .check =
						      config_check_env_name};
static const struct config_schema config_s_workdir = {
    .kind = CONFIG_K_STRING, .nullable = 1, .check = config_check_abs_path};
static const struct config_schema config_s_cpus = {
    .kind = CONFIG_K_INT, .min = 1, .max = 64};
static const struct config_schema config_s_memory = {
    .kind = CONFIG_K_INT, .min = 64, .max = 1048576};
static const struct config_schema config_s_volumes = {
    .kind = CONFIG_K_STRV, .check = config_check_volume};
static const struct config_schema config_s_git_writable = {.kind =
							       CONFIG_K_BOOL};

static const struct config_field config_vm_fields[] = {
    {"image", &config_s_image},
    {"entrypoint", &config_s_strv},
    {"cmd", &config_s_strv},
    {"env", &config_s_env},
    {"workdir", &config_s_workdir},
    {"cpus", &config_s_cpus},
    {"memory", &config_s_memory},
    {"volumes", &config_s_volumes},
    {"git_writable", &config_s_git_writable},
    {NULL, NULL},
};
static const struct config_schema config_s_vm = {.kind = CONFIG_K_OBJECT,
						 .fields = config_vm_fields};

static const struct config_schema config_s_port = {
    .kind = CONFIG_K_INT, .min = 1, .max = 65535};
static const struct config_schema config_s_ipv4 = {.kind = CONFIG_K_STRING,
						   .check = config_check_ipv4};
static const struct config_schema config_s_bool = {.kind = CONFIG_K_BOOL};
static const struct config_schema config_s_health = {
    .kind = CONFIG_K_STRING, .nullable = 1, .check = config_check_health};

static const struct config_field config_service_fields[] = {
    {"port", &config_s_port},
    {"bind", &config_s_ipv4},
    {"agent_reachable", &config_s_bool},
    {"health", &config_s_health},
    {NULL, NULL},
};
static const struct config_schema config_s_service = {
    .kind = CONFIG_K_OBJECT, .nullable = 1, .fields = config_service_fields};
static const struct config_schema config_s_services = {
    .kind = CONFIG_K_MAP,
    .value = &config_s_service,
    .check = config_check_service_name};
static const struct config_schema config_s_string = {.kind = CONFIG_K_STRING};

static const struct config_schema config_s_bundle_env = {
    .kind = CONFIG_K_MAP,
    .value = &config_s_bundle_env_value,
    .check = config_check_bundle_env_name};

static const struct config_field config_bundle_fields[] = {
    {"image", &config_s_image},
    {"env", &config_s_bundle_env},
    {"proxy", &config_s_string},
    {"services", &config_s_services},
    {NULL, NULL},
};
static const struct config_schema config_s_bundle = {
    .kind = CONFIG_K_OBJECT, .fields = config_bundle_fields};

/* probes.dns_name: a DNS name the dns-hole probe asks for. */
static char *config_check_dns_name(const char *s)
{
	size_t n = strlen(s), label = 0, i;

	for (i = 0; i < n && n <= 253; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0)
				break;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			   c == '-' || (c >= 'A' && c <= 'Z')) {
			if (++label > 63)
				break;
		} else {
			break;
		}
	}
	if (n > 0 && n <= 253 && i == n && label > 0)
		return NULL;
	return config_expected_got("a DNS name such as \"example.com\"", s);
}

static const struct config_schema config_s_resolver = {
    .kind = CONFIG_K_STRING, .nullable = 1, .check = config_check_ipv4};
static const struct config_schema config_s_timeout = {
    .kind = CONFIG_K_INT, .min = 1, .max = 60};
static const struct config_schema config_s_dns_name = {
    .kind = CONFIG_K_STRING, .check = config_check_dns_name};
static const struct config_field config_probes_fields[] = {
    {"resolver", &config_s_resolver},
    {"timeout_s", &config_s_timeout},
    {"dns_name", &config_s_dns_name},
    {NULL, NULL},
};
static const struct config_schema config_s_probes = {
    .kind = CONFIG_K_OBJECT, .fields = config_probes_fields};

static const char *const config_vmm_names[] = {"auto", "smolvm", "sim", NULL};
static const char *const config_on_unsafe_names[] = {"report", "stop", NULL};

static const struct config_schema config_s_pool = {.kind = CONFIG_K_STRING,
						   .check = config_check_pool};
static const struct config_schema config_s_subnet_prefix = {
    .kind = CONFIG_K_INT, .min = 16, .max = 29};
static const struct config_schema config_s_probe_interval = {
    .kind = CONFIG_K_INT, .min = 5, .max = 86400};
static const struct config_schema config_s_health_interval = {
    .kind = CONFIG_K_INT, .min = 1, .max = 3600};
static const struct config_schema config_s_vmm = {.kind = CONFIG_K_ENUM,
						  .choices = config_vmm_names};
static const struct config_schema config_s_on_unsafe = {
    .kind = CONFIG_K_ENUM, .choices = config_on_unsafe_names};
static const struct config_schema config_s_log_lines = {
    .kind = CONFIG_K_INT, .min = 100, .max = 1000000};

static const struct config_field config_bottle_fields[] = {
    {"vm", &config_s_vm},
    {"bundle", &config_s_bundle},
    {"subnet_pool", &config_s_pool},
    {"subnet_prefix", &config_s_subnet_prefix},
    {"probe_interval_s", &config_s_probe_interval},
    {"health_interval_s", &config_s_health_interval},
    {"vmm", &config_s_vmm},
    {"on_unsafe", &config_s_on_unsafe},
    {"log_lines", &config_s_log_lines},
    {"probes", &config_s_probes},
    {"smolvm_allow_newer", &config_s_bool},
    {NULL, NULL},
};
static const struct config_schema config_s_bottle = {
    .kind = CONFIG_K_OBJECT, .fields = config_bottle_fields};
static const struct config_schema config_s_bottles = {
    .kind = CONFIG_K_MAP,
    .value = &config_s_bottle,
    .check = config_check_bottle_name};

static const struct config_field config_top_fields[] = {
    {"defaults", &config_s_bottle},
    {"bottles", &config_s_bottles},
    {NULL, NULL},
};
static const struct config_schema config_s_top = {.kind = CONFIG_K_OBJECT,
						  .fields = config_top_fields};

/* The built-in defaults: the first layer of every bottle. */
static const char config_builtin_json[] =
    "{\"vm\": {\"cpus\": 2, \"memory\": 2048},"
    " \"bundle\": {\"proxy\": \"pipelock\", \"services\": {"
    "  \"pipelock\": {\"port\": 8888, \"bind\": \"0.0.0.0\","
    "   \"agent_reachable\": true, \"health\": \"/health\"},"
    "  \"git-gate\": {\"port\": 9418, \"bind\": \"0.0.0.0\","
    "   \"agent_reachable\": true, \"health\": \"/health\"},"
    "  \"supervise\": {\"port\": 7070, \"bind\": \"0.0.0.0\","
    "   \"agent_reachable\": true, \"health\": \"/health\"},"
    "  \"egress\": {\"port\": 9099, \"bind\": \"127.0.0.1\","
    "   \"agent_reachable\": false}}},"
    " \"subnet_pool\": \"10.213.0.0/16\", \"subnet_prefix\": 28,"
    " \"probe_interval_s\": 60, \"health_interval_s\": 10,"
    " \"vmm\": \"auto\", \"on_unsafe\": \"report\", \"log_lines\": 10000,"
    " \"smolvm_allow_newer\": false,"
    " \"probes\": {\"resolver\": \"1.1.1.1\", \"timeout_s\": 5,"
    "  \"dns_name\": \"example.com\"}}";

/* ---- layer validation -------------------------------------------------- */

static char *config_expected(const struct config_schema *s)
{
	struct buf b = BUF_INIT;
	size_t i;

	switch (s->kind) {
	case CONFIG_K_OBJECT:
	case CONFIG_K_MAP:
		buf_adds(&b, "an object");
		break;
	case CONFIG_K_STRING:
		buf_adds(&b, "a string");
		break;
	case CONFIG_K_STRV:
		buf_adds(&b, "an array of strings");
		break;
	case CONFIG_K_INT:
		buf_addf(&b, "an integer from %d to %d", s->min, s->max);
		break;
	case CONFIG_K_BOOL:
		buf_adds(&b, "true or false");
		break;
	case CONFIG_K_ENUM:
		buf_adds(&b, "one of ");
		for (i = 0; s->choices[i] != NULL; i++)
			buf_addf(&b, "%s\"%s\"", i > 0 ? ", " : "",
				 s->choices[i]);
		break;
	}
	if (s->nullable)
		buf_adds(&b, " or null");
	return buf_detach(&b);
}

static int config_fail_type(struct config_ctx *ctx, const cJSON *v,
			    const struct config_schema *s)
{
	char *want = config_expected(s), *got = config_describe(v);

	config_fail(ctx, "expected %s, got %s", want, got);
	free(want);
	free(got);
	return -1;
}

/* config_distance: optimal string alignment distance (edits and adjacent
 * swaps); SIZE_MAX for strings too long to bother. */
static size_t config_distance(const char *a, const char *b)
{
	unsigned char d[CONFIG_SUGGEST_MAX + 1][CONFIG_SUGGEST_MAX + 1];
	size_t la = strlen(a), lb = strlen(b), i, j, best;

	if (la > CONFIG_SUGGEST_MAX || lb > CONFIG_SUGGEST_MAX)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = (unsigned char)i;
	for (j = 0; j <= lb; j++)
		d[0][j] = (unsigned char)j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1u < best)
				best = d[i - 1][j] + 1u;
			if (d[i][j - 1] + 1u < best)
				best = d[i][j - 1] + 1u;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1u < best)
				best = d[i - 2][j - 2] + 1u;
			d[i][j] = (unsigned char)best;
		}
	}
	return d[la][lb];
}

/* config_close_enough: within 2 edits, and fewer edits than key has
 * characters (so "x" suggests nothing). */
int config_close_enough(const char *key, const char *cand, size_t *best)
{
	size_t d = config_distance(key, cand);

	if (d > 2 || d >= strlen(key) || d >= *best)
		return 0;
	*best = d;
	return 1;
}

static int config_fail_unknown(struct config_ctx *ctx, const char *key,
			       const struct config_field *fields)
{
	const struct config_field *f;
	const char *hint = NULL;
	size_t best = SIZE_MAX;
	struct buf b = BUF_INIT;
	int rc;

	for (f = fields; f->name != NULL; f++) {
		if (config_close_enough(key, f->name, &best))
			hint = f->name;
	}
	if (hint != NULL)
		return config_fail(ctx, "unknown key (did you mean \"%s\"?)",
				   hint);
	for (f = fields; f->name != NULL; f++)
		buf_addf(&b, "%s%s", f == fields ? "" : ", ", f->name);
	rc = config_fail(ctx, "unknown key (expected one of: %s)", b.data);
	buf_release(&b);
	return rc;
}

/* config_duplicate: 1 when a sibling before c has c's key. */
static int config_duplicate(const cJSON *obj, const cJSON *c)
{
	const cJSON *o;

	for (o = obj->child; o != NULL && o != c; o = o->next) {
		if (strcmp(o->string, c->string) == 0)
			return 1;
	}
	return 0;
}

static int config_check_value(struct config_ctx *ctx, const cJSON *v,
			      const struct config_schema *s);

static int config_check_string(struct config_ctx *ctx, const char *str,
			       config_check_fn check)
{
	char *msg;

	if (check == NULL || (msg = check(str)) == NULL)
		return 0;
	config_fail(ctx, "%s", msg);
	free(msg);
	return -1;
}

static int config_check_object(struct config_ctx *ctx, const cJSON *v,
			       const struct config_schema *s)
{
	const struct config_field *f;
	const cJSON *c;

	cJSON_ArrayForEach(c, v)
	{
		size_t mark = config_path_key(&ctx->path, c->string);
		if (config_duplicate(v, c))
			return config_fail(ctx, "duplicate key");
		for (f = s->fields; f->name != NULL; f++) {
			if (strcmp(f->name, c->string) == 0)
				break;
		}
		if (f->name == NULL)
			return config_fail_unknown(ctx, c->string, s->fields);
		if (config_check_value(ctx, c, f->schema) != 0)
			return -1;
		config_path_pop(&ctx->path, mark);
	}
	return 0;
}

static int config_check_map(struct config_ctx *ctx, const cJSON *v,
			    const struct config_schema *s)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, v)
	{
		size_t mark = config_path_key(&ctx->path, c->string);
		if (config_duplicate(v, c))
			return config_fail(ctx, "duplicate key");
		if (config_check_string(ctx, c->string, s->check) != 0)
			return -1;
		if (config_check_value(ctx, c, s->value) != 0)
			return -1;
		config_path_pop(&ctx->path, mark);
	}
	return 0;
}

static int config_check_strv(struct config_ctx *ctx, const cJSON *v,
			     const struct config_schema *s)
{
	const cJSON *c;
	int i = 0;

	cJSON_ArrayForEach(c, v)
	{
		size_t mark = config_path_index(&ctx->path, i++);
		if (!cJSON_IsString(c)) {
			char *got = config_describe(c);
			config_fail(ctx, "expected a string, got %s", got);
			free(got);
			return -1;
		}
		if (config_check_string(ctx, c->valuestring, s->check) != 0)
			return -1;
		config_path_pop(&ctx->path, mark);
	}
	return 0;
}

static int config_enum_index(const struct config_schema *s, const cJSON *v)
{
	int i;

	if (!cJSON_IsString(v))
		return -1;
	for (i = 0; s->choices[i] != NULL; i++) {
		if (strcmp(s->choices[i], v->valuestring) == 0)
			return i;
	}
	return -1;
}

/* config_check_value: v against s; the path in ctx names v. */
static int config_check_value(struct config_ctx *ctx, const cJSON *v,
			      const struct config_schema *s)
{
	double d;

	if (cJSON_IsNull(v) && s->nullable)
		return 0;
	switch (s->kind) {
	case CONFIG_K_OBJECT:
		if (!cJSON_IsObject(v))
			return config_fail_type(ctx, v, s);
		return config_check_object(ctx, v, s);
	case CONFIG_K_MAP:
		if (!cJSON_IsObject(v))
			return config_fail_type(ctx, v, s);
		return config_check_map(ctx, v, s);
	case CONFIG_K_STRING:
		if (!cJSON_IsString(v))
			return config_fail_type(ctx, v, s);
		return config_check_string(ctx, v->valuestring, s->check);
	case CONFIG_K_STRV:
		if (!cJSON_IsArray(v))
			return config_fail_type(ctx, v, s);
		return config_check_strv(ctx, v, s);
	case CONFIG_K_INT:
		if (!cJSON_IsNumber(v))
			return config_fail_type(ctx, v, s);
		d = v->valuedouble;
		/* range first: the cast is only defined in range */
		if (!(d >= s->min && d <= s->max) || d != (double)(int)d)
			return config_fail_type(ctx, v, s);
		return 0;
	case CONFIG_K_BOOL:
		if (!cJSON_IsBool(v))
			return config_fail_type(ctx, v, s);
		return 0;
	case CONFIG_K_ENUM:
		if (config_enum_index(s, v) < 0)
			return config_fail_type(ctx, v, s);
		return 0;
	}
	return 0;
}

/* ---- merging ----------------------------------------------------------- */

static cJSON *config_dup(const cJSON *v)
{
	cJSON *c = cJSON_Duplicate(v, 1);

	if (c == NULL)
		fatal("config: out of memory");
	return c;
}

/* config_merge: overlay onto base, both objects: null deletes the key,
 * object onto object merges, anything else replaces. */
static void config_merge(cJSON *base, const cJSON *overlay)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, overlay)
	{
		cJSON *b = cJSON_GetObjectItemCaseSensitive(base, o->string);
		if (cJSON_IsNull(o)) {
			cJSON_DeleteItemFromObjectCaseSensitive(base,
								o->string);
		} else if (cJSON_IsObject(o) && cJSON_IsObject(b)) {
			config_merge(b, o);
		} else {
			if (b != NULL)
				cJSON_DeleteItemFromObjectCaseSensitive(
				    base, o->string);
			if (!cJSON_AddItemToObject(base, o->string,
						   config_dup(o)))
				fatal("config: out of memory");
		}
	}
}

/* ---- building a bottle ------------------------------------------------- */

const cJSON *config_get(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* config_jstr: a copy of obj.key when it is a string, else NULL. */
static char *config_jstr(const cJSON *obj, const char *key)
{
	const cJSON *v = config_get(obj, key);

	return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

static int config_jint(const cJSON *obj, const char *key)
{
	const cJSON *v = config_get(obj, key);

	return cJSON_IsNumber(v) ? (int)v->valuedouble : 0;
}

static void config_jstrv(const cJSON *obj, const char *key, struct strv *out)
{
	const cJSON *arr = config_get(obj, key), *c;

	cJSON_ArrayForEach(c, arr)
	{
		strv_push(out, c->valuestring);
	}
}

/* config_env_cmp: order "K=V" strings by K. */
static int config_env_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t lx = strcspn(x, "="), ly = strcspn(y, "=");
	int c = memcmp(x, y, lx < ly ? lx : ly);

	if (c != 0)
		return c;
	return lx < ly ? -1 : lx > ly;
}

static void config_vm_build(const cJSON *j, struct config_vm *vm)
{
	const cJSON *env = config_get(j, "env"), *c;

	vm->image = config_jstr(j, "image");
	config_jstrv(j, "entrypoint", &vm->entrypoint);
	config_jstrv(j, "cmd", &vm->cmd);
	cJSON_ArrayForEach(c, env)
	{
		strv_pushf(&vm->env, "%s=%s", c->string, c->valuestring);
	}
	if (vm->env.n > 1)
		qsort(vm->env.v, vm->env.n, sizeof *vm->env.v, config_env_cmp);
	vm->workdir = config_jstr(j, "workdir");
	vm->cpus = config_jint(j, "cpus");
	vm->memory_mib = config_jint(j, "memory");
	config_jstrv(j, "volumes", &vm->volumes);
	vm->git_writable = cJSON_IsTrue(config_get(j, "git_writable"));
}

static int config_service_cmp(const void *a, const void *b)
{
	const struct config_service *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static void config_bundle_build(const cJSON *j, struct config_bundle *bu)
{
	const cJSON *services = config_get(j, "services"), *c;
	struct config_service *s;

	bu->image = config_jstr(j, "image");
	bu->proxy = config_jstr(j, "proxy");
	cJSON_ArrayForEach(c, config_get(j, "env"))
	{
		strv_pushf(&bu->env, "%s=%s", c->string, c->valuestring);
	}
	if (bu->env.n > 1)
		qsort(bu->env.v, bu->env.n, sizeof *bu->env.v, config_env_cmp);
	bu->n_services = (size_t)cJSON_GetArraySize(services);
	if (bu->n_services == 0)
		return;
	bu->services = xcalloc(bu->n_services, sizeof *bu->services);
	s = bu->services;
	cJSON_ArrayForEach(c, services)
	{
		s->name = xstrdup(c->string);
		s->bind = config_jstr(c, "bind");
		s->port = config_jint(c, "port");
		s->agent_reachable =
		    cJSON_IsTrue(config_get(c, "agent_reachable"));
		s->health = config_jstr(c, "health");
		s++;
	}
	qsort(bu->services, bu->n_services, sizeof *bu->services,
	      config_service_cmp);
}

/* config_bottle_build: a resolved, validated layer into b (infallible). */
static void config_bottle_build(const cJSON *j, const char *name,
				struct config_bottle *b)
{
	const cJSON *probes = config_get(j, "probes");
	int vmm = config_enum_index(&config_s_vmm, config_get(j, "vmm"));
	int on_unsafe =
	    config_enum_index(&config_s_on_unsafe, config_get(j, "on_unsafe"));

	b->name = name != NULL ? xstrdup(name) : NULL;
	config_vm_build(config_get(j, "vm"), &b->vm);
	config_bundle_build(config_get(j, "bundle"), &b->bundle);
	b->subnet_pool = config_jstr(j, "subnet_pool");
	b->subnet_prefix = config_jint(j, "subnet_prefix");
	b->probe_interval_s = config_jint(j, "probe_interval_s");
	b->health_interval_s = config_jint(j, "health_interval_s");
	b->probe_timeout_s = config_jint(probes, "timeout_s");
	b->resolver = config_jstr(probes, "resolver");
	b->dns_name = config_jstr(probes, "dns_name");
	b->smolvm_allow_newer =
	    cJSON_IsTrue(config_get(j, "smolvm_allow_newer"));
	/* the enums follow the order of the schema's choices */
	b->vmm = (enum config_vmm)vmm;
	b->on_unsafe = (enum config_on_unsafe)on_unsafe;
	b->log_lines = config_jint(j, "log_lines");
}

static void config_bottle_release(struct config_bottle *b)
{
	size_t i;

	free(b->name);
	free(b->vm.image);
	strv_release(&b->vm.entrypoint);
	strv_release(&b->vm.cmd);
	strv_release(&b->vm.env);
	free(b->vm.workdir);
	strv_release(&b->vm.volumes);
	free(b->bundle.image);
	strv_release(&b->bundle.env);
	for (i = 0; i < b->bundle.n_services; i++) {
		free(b->bundle.services[i].name);
		free(b->bundle.services[i].bind);
		free(b->bundle.services[i].health);
	}
	free(b->bundle.services);
	free(b->bundle.proxy);
	free(b->subnet_pool);
	free(b->resolver);
	free(b->dns_name);
	memset(b, 0, sizeof *b);
}

/* config_resolve: merge layer onto a copy of base, check the result as a
 * whole and build it into b. *merged (owned by the caller, cJSON_Delete)
 * is the merged JSON, set even on failure. ctx->path holds the prefix. */
static int config_resolve(struct config_ctx *ctx, const cJSON *base,
			  const cJSON *layer, const char *name,
			  struct config_bottle *b, cJSON **merged)
{
	*merged = config_dup(base);
	if (layer != NULL)
		config_merge(*merged, layer);
	if (config_check_required(ctx, *merged, base, name != NULL) != 0)
		return -1;
	config_bottle_build(*merged, name, b);
	return config_check_bottle(ctx, b);
}

/* ---- the whole file ---------------------------------------------------- */

/* config_text: the lexical pass and cJSON over a private copy. Returns the
 * root object (caller cJSON_Delete) or NULL with ctx->cause set. */
static cJSON *config_text(struct config_ctx *ctx, const char *buf, size_t len)
{
	char *text = xmalloc(len + 1);
	const char *nul, *end = NULL;
	cJSON *root = NULL;
	size_t i;

	if (len > 0)
		memcpy(text, buf, len);
	text[len] = '\0';
	if ((nul = memchr(text, '\0', len)) != NULL) {
		config_fail_at(ctx, text, (size_t)(nul - text),
			       "NUL byte in the input");
		goto out;
	}
	if (config_strip(ctx, text, len) != 0)
		goto out;
	for (i = 0; i < len && strchr(" \t\r\n", text[i]) != NULL; i++)
		;
	if (i == len) {
		config_fail(ctx, "empty (expected a JSON object)");
		goto out;
	}
	root = cJSON_ParseWithOpts(text, &end, 1);
	if (root == NULL) {
		config_syntax(ctx, text, len,
			      end != NULL ? (size_t)(end - text) : 0);
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		char *got = config_describe(root);
		config_fail(ctx, "expected an object, got %s", got);
		free(got);
		cJSON_Delete(root);
		root = NULL;
	}
out:
	free(text);
	return root;
}

/* config_resolve_all: defaults, then every bottle, into c. */
static int config_resolve_all(struct config_ctx *ctx, const cJSON *root,
			      struct config *c)
{
	const cJSON *bottles = config_get(root, "bottles"), *o;
	cJSON *builtin, *dflt = NULL, *merged;
	struct config_bottle scratch;
	int rc = -1;

	builtin = cJSON_Parse(config_builtin_json);
	if (builtin == NULL)
		fatal("config: built-in defaults do not parse");
	memset(&scratch, 0, sizeof scratch);
	buf_adds(&ctx->path, "defaults");
	ctx->warn_unsafe = 0;
	rc = config_resolve(ctx, builtin, config_get(root, "defaults"), NULL,
			    &scratch, &dflt);
	c->smolvm_allow_newer = scratch.smolvm_allow_newer;
	config_bottle_release(&scratch);
	if (rc != 0)
		goto out;
	c->n_bottles = 0;
	if (cJSON_GetArraySize(bottles) > 0)
		c->bottles = xcalloc((size_t)cJSON_GetArraySize(bottles),
				     sizeof *c->bottles);
	ctx->warn_unsafe = 1;
	cJSON_ArrayForEach(o, bottles)
	{
		buf_reset(&ctx->path);
		config_path_key(&ctx->path, "bottles");
		config_path_key(&ctx->path, o->string);
		rc = config_resolve(ctx, dflt, o, o->string,
				    &c->bottles[c->n_bottles++], &merged);
		cJSON_Delete(merged);
		if (rc != 0)
			goto out;
		if (c->bottles[c->n_bottles - 1].smolvm_allow_newer !=
		    c->smolvm_allow_newer) {
			config_path_key(&ctx->path, "smolvm_allow_newer");
			rc = config_fail(ctx, "allowed only in defaults (one "
					      "smolvm serves every bottle)");
			goto out;
		}
	}
	rc = 0;
out:
	cJSON_Delete(dflt);
	cJSON_Delete(builtin);
	return rc;
}

int config_parse(const char *buf, size_t len, const char *origin,
		 struct config **out, char **cause)
{
	return config_parse_opts(buf, len, origin, NULL, out, cause);
}

int config_parse_opts(const char *buf, size_t len, const char *origin,
		      const struct config_opts *o, struct config **out,
		      char **cause)
{
	static const struct config_opts none;
	struct config_ctx ctx;
	struct config *c = xcalloc(1, sizeof *c);
	cJSON *root;
	size_t i;
	int rc = -1;

	*out = NULL;
	memset(&ctx, 0, sizeof ctx);
	ctx.origin = origin;
	ctx.warnings = &c->warnings;
	ctx.opts = o != NULL ? o : &none;
	ctx.unsafe_bind = ctx.opts->unsafe_bind;
	c->path = origin != NULL ? xstrdup(origin) : NULL;
	for (i = 0; ctx.opts->protected_dirs != NULL &&
		    ctx.opts->protected_dirs[i] != NULL;
	     i++)
		strv_push(&c->protected_dirs, ctx.opts->protected_dirs[i]);
	c->home = ctx.opts->home != NULL ? xstrdup(ctx.opts->home) : NULL;
	root = config_text(&ctx, buf, len);
	if (root != NULL &&
	    config_check_value(&ctx, root, &config_s_top) == 0 &&
	    config_resolve_all(&ctx, root, c) == 0)
		rc = 0;
	cJSON_Delete(root);
	buf_release(&ctx.path);
	if (rc != 0) {
		config_free(c);
		if (cause != NULL)
			*cause = ctx.cause;
		else
			free(ctx.cause);
		return -1;
	}
	*out = c;
	return 0;
}

int config_load(const char *path, struct config **out, char **cause)
{
	return config_load_opts(path, NULL, out, cause);
}

int config_load_opts(const char *path, const struct config_opts *o,
		     struct config **out, char **cause)
{
	char *text = NULL, *why = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (util_read_file_max(path, UTIL_READ_CONFIG_MAX, &text, &len, &why) !=
	    0) {
		util_fail(cause, "config: %s", why);
		free(why);
		return -1;
	}
	rc = config_parse_opts(text, len, path, o, out, cause);
	free(text);
	return rc;
}

char *config_default_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	struct passwd *pw;

	/* the XDG spec says to ignore a relative XDG_CONFIG_HOME */
	if (xdg != NULL && xdg[0] == '/')
		return xasprintf("%s/bottle/bottles.json", xdg);
	if (home == NULL || home[0] != '/') {
		pw = getpwuid(getuid());
		home = pw != NULL && pw->pw_dir != NULL ? pw->pw_dir : "";
	}
	return xasprintf("%s/.config/bottle/bottles.json", home);
}

const struct config_bottle *config_find(const struct config *c,
					const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < c->n_bottles; i++) {
		if (strcmp(c->bottles[i].name, name) == 0)
			return &c->bottles[i];
	}
	return NULL;
}

const struct config_service *config_service_find(const struct config_bottle *b,
						 const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < b->bundle.n_services; i++) {
		if (strcmp(b->bundle.services[i].name, name) == 0)
			return &b->bundle.services[i];
	}
	return NULL;
}

void config_free(struct config *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_bottles; i++)
		config_bottle_release(&c->bottles[i]);
	free(c->bottles);
	strv_release(&c->warnings);
	strv_release(&c->protected_dirs);
	free(c->home);
	free(c->path);
	free(c);
}

void config_mounts_release(struct config_mounts *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].host);
		free(m->v[i].guest);
	}
	free(m->v);
	memset(m, 0, sizeof *m);
}
