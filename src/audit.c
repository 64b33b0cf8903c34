/* audit.c: pipelock audit lines → struct audit_event → summary. */
#include "audit.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sanitize.h"
#include "util.h"

/* Column bounds of the summary's parts. */
#define AUDIT_EVENT_COLS 32
#define AUDIT_SCANNER_COLS 24
#define AUDIT_DETAIL_COLS 120
#define AUDIT_DEST_COLS 80
#define AUDIT_SEVERITY_COLS 16

size_t audit_strip_docker_timestamp(const char *line, size_t len,
				    uint64_t *wall_ms)
{
	uint64_t ms;
	size_t n = util_parse_rfc3339(line, len, &ms);

	if (n == 0 || n >= len || line[n] != ' ')
		return 0;
	if (wall_ms != NULL)
		*wall_ms = ms;
	return n + 1;
}

/* --- parsing --- */

/* An owned copy of the string member key, or NULL. */
static char *dup_string(const cJSON *obj, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return NULL;
	return xstrdup(item->valuestring);
}

/* "time": an RFC 3339 string, or a number of Unix seconds (or
 * milliseconds, when it is too large to be seconds). 0 if unknown. */
static uint64_t event_time(const cJSON *obj)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, "time");
	uint64_t ms = 0;
	double v;

	if (cJSON_IsString(item) && item->valuestring != NULL) {
		size_t len = strlen(item->valuestring);

		if (util_parse_rfc3339(item->valuestring, len, &ms) != len)
			ms = 0;
		return ms;
	}
	if (!cJSON_IsNumber(item))
		return 0;
	v = item->valuedouble;
	if (!(v >= 0 && v < 1e15)) /* also rejects NaN */
		return 0;
	return v >= 1e11 ? (uint64_t)v : (uint64_t)(v * 1000);
}

static void fill_event(const cJSON *obj, struct audit_event *ev)
{
	ev->event = dup_string(obj, "event");
	ev->level = dup_string(obj, "level");
	ev->scanner = dup_string(obj, "scanner");
	ev->reason = dup_string(obj, "reason");
	ev->severity = dup_string(obj, "severity");
	ev->method = dup_string(obj, "method");
	ev->url = dup_string(obj, "url");
	ev->target = dup_string(obj, "target");
	ev->host = dup_string(obj, "host");
	if (ev->host == NULL)
		ev->host = dup_string(obj, "hostname");
	if (ev->host == NULL)
		ev->host = dup_string(obj, "domain");
	ev->resource = dup_string(obj, "resource");
	ev->action = dup_string(obj, "action");
	ev->error = dup_string(obj, "error");
	ev->message = dup_string(obj, "message");
	ev->blocked =
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "blocked"));
	if (ev->wall_ms == 0)
		ev->wall_ms = event_time(obj);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Whether obj is an object with a non-empty string "event". */
static int has_event(const cJSON *obj)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, "event");

	return cJSON_IsObject(obj) && cJSON_IsString(item) &&
	       item->valuestring != NULL && item->valuestring[0] != '\0';
}

int audit_parse(const char *line, size_t len, struct audit_event *ev)
{
	const char *end = NULL;
	uint64_t ts = 0;
	size_t i;
	cJSON *obj;

	memset(ev, 0, sizeof *ev);
	i = audit_strip_docker_timestamp(line, len, &ts);
	while (i < len && is_space(line[i]))
		i++;
	if (i >= len || line[i] != '{')
		return 0; /* cheap rejection of ordinary log lines */
	obj = cJSON_ParseWithLengthOpts(line + i, len - i, &end, 0);
	if (obj == NULL)
		return 0;
	while (end != NULL && end < line + len && is_space(*end))
		end++;
	if (end != line + len || !has_event(obj)) {
		cJSON_Delete(obj);
		return 0;
	}
	ev->wall_ms = ts;
	fill_event(obj, ev);
	cJSON_Delete(obj);
	return 1;
}

void audit_event_free(struct audit_event *ev)
{
	char **fields[] = {
	    &ev->event,	 &ev->level, &ev->scanner, &ev->reason, &ev->severity,
	    &ev->method, &ev->url,   &ev->target,  &ev->host,	&ev->resource,
	    &ev->action, &ev->error, &ev->message};
	size_t i;

	for (i = 0; i < UTIL_NELEM(fields); i++)
		free(*fields[i]);
	memset(ev, 0, sizeof *ev);
}

/* --- classification and summary --- */

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

int audit_is_blocked(const struct audit_event *ev)
{
	if (ev->blocked || util_streq(ev->action, "block"))
		return 1;
	if (ev->event == NULL)
		return 0;
	return strcmp(ev->event, "blocked") == 0 ||
	       ends_with(ev->event, "_blocked") ||
	       ends_with(ev->event, "_deny");
}

/* host[:port] of a URL ("scheme://[user@]host[:port]/..." or a bare
 * "host/..."), owned, or NULL when empty. */
static char *url_host(const char *url)
{
	const char *p = url, *at;
	size_t n;

	n = strspn(p, "abcdefghijklmnopqrstuvwxyz"
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
	if (n > 0 && strncmp(p + n, "://", 3) == 0)
		p += n + 3;
	n = strcspn(p, "/?#");
	at = memrchr(p, '@', n);
	if (at != NULL) {
		n -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	return n > 0 ? xstrndup(p, n) : NULL;
}

/* The destination shown after the arrow, owned, or NULL. */
static char *event_destination(const struct audit_event *ev)
{
	char *host;

	if (ev->host != NULL && ev->host[0] != '\0')
		return xstrdup(ev->host);
	if (ev->url != NULL && (host = url_host(ev->url)) != NULL)
		return host;
	if (ev->target != NULL && ev->target[0] != '\0')
		return xstrdup(ev->target);
	if (ev->resource != NULL && ev->resource[0] != '\0')
		return xstrdup(ev->resource);
	return NULL;
}

/* Append the sanitized s, at most max_cols columns wide. */
static void add_part(struct buf *b, const char *s, size_t max_cols, int ascii)
{
	struct sanitize_opts o = SANITIZE_OPTS_INIT;

	o.max_cols = max_cols;
	o.ascii = ascii;
	sanitize_line(s, strlen(s), b, &o);
}

static int severity_shown(const char *s)
{
	return s != NULL && s[0] != '\0' && strcasecmp(s, "info") != 0 &&
	       strcasecmp(s, "low") != 0 && strcasecmp(s, "debug") != 0 &&
	       strcasecmp(s, "none") != 0;
}

static const char *event_detail(const struct audit_event *ev)
{
	if (ev->reason != NULL && ev->reason[0] != '\0')
		return ev->reason;
	if (ev->error != NULL && ev->error[0] != '\0')
		return ev->error;
	if (ev->method != NULL && ev->method[0] != '\0')
		return ev->method;
	return NULL;
}

char *audit_summary(const struct audit_event *ev, int ascii)
{
	struct buf b = BUF_INIT;
	const char *detail = event_detail(ev);
	char *dest = event_destination(ev);
	size_t i;

	add_part(&b, ev->event != NULL ? ev->event : "?", AUDIT_EVENT_COLS,
		 ascii);
	for (i = 0; i < b.len; i++)
		if (b.data[i] >= 'a' && b.data[i] <= 'z')
			b.data[i] = (char)(b.data[i] - 'a' + 'A');
	if (ev->scanner != NULL && ev->scanner[0] != '\0') {
		buf_addc(&b, ' ');
		add_part(&b, ev->scanner, AUDIT_SCANNER_COLS, ascii);
		buf_addc(&b, ':');
	}
	if (detail != NULL) {
		buf_addc(&b, ' ');
		add_part(&b, detail, AUDIT_DETAIL_COLS, ascii);
	}
	if (dest != NULL) {
		buf_adds(&b, ascii ? " -> " : " \xe2\x86\x92 "); /* → */
		add_part(&b, dest, AUDIT_DEST_COLS, ascii);
		free(dest);
	}
	if (severity_shown(ev->severity)) {
		buf_adds(&b, " [");
		add_part(&b, ev->severity, AUDIT_SEVERITY_COLS, ascii);
		buf_addc(&b, ']');
	}
	return buf_detach(&b);
}
