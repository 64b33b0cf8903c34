/* util.c: allocation that cannot fail and fatal() (declared in
 * xalloc.h), failure causes, clocks and times, argv for display, whole
 * files, directories, durations. Buffers and vectors are in buf.c and
 * strv.c (git's wrapper.c, strbuf.c, strvec.c). */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void (*util_fatal_hook)(void);

void util_oom(size_t n)
{
	void (*hook)(void) = util_fatal_hook;

	/* restore the terminal first, as fatal() does */
	util_fatal_hook = NULL;
	if (hook != NULL)
		hook();
	fprintf(stderr, "bottle: out of memory (%zu bytes)\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		util_oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		util_oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL)
		util_oom(n);
	return q;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		util_oom(SIZE_MAX);
	return xrealloc(p, n * size);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	va_list aq;
	int n;
	char *p;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		fatal("xvasprintf: bad format");
	p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void util_set_fatal_hook(void (*hook)(void))
{
	util_fatal_hook = hook;
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	void (*hook)(void) = util_fatal_hook;

	util_fatal_hook = NULL;
	if (hook != NULL)
		hook();
	fputs("bottle: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

int util_fail(char **cause, const char *fmt, ...)
{
	va_list ap;

	if (cause != NULL) {
		va_start(ap, fmt);
		*cause = xvasprintf(fmt, ap);
		va_end(ap);
	}
	return -1;
}

uint64_t util_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t util_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void util_iso8601(uint64_t wall_ms, char *out, size_t outsz)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	char tmp[32];

	gmtime_r(&t, &tm);
	strftime(tmp, sizeof tmp, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, outsz, "%s.%03uZ", tmp, (unsigned)(wall_ms % 1000));
}

static int util_needs_quote(const char *s)
{
	if (*s == '\0')
		return 1;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (!(c == '-' || c == '_' || c == '.' || c == '/' ||
		      c == ':' || c == '=' || c == ',' || c == '+' ||
		      c == '@' || c == '%' || (c >= '0' && c <= '9') ||
		      (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return 1;
	}
	return 0;
}

char *util_argv_display(const char *const *argv)
{
	struct buf b = BUF_INIT;
	size_t i;
	const char *p;

	for (i = 0; argv[i] != NULL; i++) {
		if (i > 0)
			buf_addc(&b, ' ');
		if (!util_needs_quote(argv[i])) {
			buf_adds(&b, argv[i]);
			continue;
		}
		buf_addc(&b, '\'');
		for (p = argv[i]; *p != '\0'; p++) {
			if (*p == '\'')
				buf_adds(&b, "'\\''");
			else
				buf_addc(&b, *p);
		}
		buf_addc(&b, '\'');
	}
	return buf_detach(&b);
}

int util_read_file(const char *path, char **out, size_t *len, char **cause)
{
	struct buf b = BUF_INIT;
	char tmp[8192];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return util_fail(cause, "%s: %s", path, strerror(errno));
	for (;;) {
		n = read(fd, tmp, sizeof tmp);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			buf_release(&b);
			return util_fail(cause, "%s: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		buf_add(&b, tmp, (size_t)n);
	}
	close(fd);
	if (len != NULL)
		*len = b.len;
	*out = buf_detach(&b);
	return 0;
}

int util_mkdir_p(const char *path, unsigned mode, char **cause)
{
	char *p = xstrdup(path);
	char *s;
	struct stat st;

	for (s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;
		*s = '\0';
		if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
			int e = errno;
			util_fail(cause, "%s: %s", p, strerror(e));
			free(p);
			return -1;
		}
		*s = saved;
		if (saved == '\0')
			break;
	}
	if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
		util_fail(cause, "%s: not a directory", p);
		free(p);
		return -1;
	}
	free(p);
	return 0;
}

int util_parse_duration(const char *s, uint64_t *ms)
{
	char *end;
	unsigned long long v;
	uint64_t mult;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		mult = 1000;
	else if (strcmp(end, "ms") == 0)
		mult = 1;
	else if (strcmp(end, "m") == 0)
		mult = 60000;
	else if (strcmp(end, "h") == 0)
		mult = 3600000;
	else
		return -1;
	if (v > UINT64_MAX / mult / 2)
		return -1;
	*ms = (uint64_t)v * mult;
	return 0;
}

int util_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}
