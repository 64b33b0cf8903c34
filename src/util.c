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

/* ---- RFC 3339 times ---------------------------------------------------- */

/* n decimal digits at s, or -1. */
static int util_digits(const char *s, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int util_days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (y >= 1970). */
static int64_t util_days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The offset part: "Z" or "+HH:MM" / "-HH:MM" at s. Returns the bytes
 * used (0 if none) and the offset east of UTC in seconds. */
static size_t util_parse_zone(const char *s, size_t len, int64_t *offset)
{
	int h, m;

	if (len >= 1 && (s[0] == 'Z' || s[0] == 'z')) {
		*offset = 0;
		return 1;
	}
	if (len < 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':')
		return 0;
	h = util_digits(s + 1, 2);
	m = util_digits(s + 4, 2);
	if (h < 0 || h > 23 || m < 0 || m > 59)
		return 0;
	*offset = (s[0] == '-' ? -1 : 1) * (int64_t)(h * 3600 + m * 60);
	return 6;
}

size_t util_parse_rfc3339(const char *s, size_t len, uint64_t *ms)
{
	int y, mo, d, h, mi, sec, frac = 0, scale = 100;
	size_t i = 19, zn;
	int64_t offset, t;

	if (len < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
		return 0;
	y = util_digits(s, 4);
	mo = util_digits(s + 5, 2);
	d = util_digits(s + 8, 2);
	h = util_digits(s + 11, 2);
	mi = util_digits(s + 14, 2);
	sec = util_digits(s + 17, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > util_days_in_month(y, mo) || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || sec < 0 || sec > 60)
		return 0;
	if (s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			frac += (s[i] - '0') * scale;
			scale /= 10;
		}
		if (i == 20)
			return 0; /* "." without digits */
	}
	zn = util_parse_zone(s + i, len - i, &offset);
	if (zn == 0)
		return 0;
	t = util_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    offset;
	if (t < 0)
		return 0;
	*ms = (uint64_t)t * 1000 + (uint64_t)frac;
	return i + zn;
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

int util_read_fd_max(int fd, const char *name, size_t max, char **out,
		     size_t *len, char **cause)
{
	struct buf b = BUF_INIT;
	char tmp[8192];
	ssize_t n;
	size_t want;
	int e;

	for (;;) {
		/* never read more than max + 1 bytes: one past tells "too big"
		 */
		want =
		    max + 1 - b.len < sizeof tmp ? max + 1 - b.len : sizeof tmp;
		n = read(fd, tmp, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			buf_release(&b);
			util_fail(cause, "%s: %s", name, strerror(e));
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		buf_add(&b, tmp, (size_t)n);
		if (b.len > max) {
			buf_release(&b);
			util_fail(cause,
				  "%s: larger than %zu bytes (the limit for "
				  "this file)",
				  name, max);
			errno = EFBIG;
			return -1;
		}
	}
	if (len != NULL)
		*len = b.len;
	*out = buf_detach(&b);
	return 0;
}

int util_read_file_max(const char *path, size_t max, char **out, size_t *len,
		       char **cause)
{
	struct stat st;
	int fd, e, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		util_fail(cause, "%s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	/* a regular file that says it is too big is refused unread */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uintmax_t)st.st_size > (uintmax_t)max) {
		close(fd);
		util_fail(cause,
			  "%s: larger than %zu bytes (the limit for this "
			  "file)",
			  path, max);
		errno = EFBIG;
		return -1;
	}
	rc = util_read_fd_max(fd, path, max, out, len, cause);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

int util_read_file(const char *path, char **out, size_t *len, char **cause)
{
	return util_read_file_max(path, UTIL_READ_MAX, out, len, cause);
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
