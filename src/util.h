/* util.h: small helpers; includes xalloc.h (allocation that cannot fail,
 * fatal), buf.h (growable buffers) and strv.h (string vectors). */
#ifndef BOTTLE_UTIL_H
#define BOTTLE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "strv.h"
#include "xalloc.h"

/* Set *cause (if cause != NULL) to a new formatted string; returns -1. */
int util_fail(char **cause, const char *fmt, ...) UTIL_PRINTF(2, 3);

/* Monotonic milliseconds, and wall-clock Unix milliseconds. */
uint64_t util_mono_ms(void);
uint64_t util_wall_ms(void);
/* util_iso8601: UTC "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (>= 25 bytes). */
void util_iso8601(uint64_t wall_ms, char *out, size_t outsz);
/* util_parse_rfc3339: "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)" at the
 * start of s[0..len) (what util_iso8601 writes, what docker prints).
 * Returns the bytes used and sets *ms (Unix milliseconds), or 0 if s
 * does not start with such a time (or it is before 1970). */
size_t util_parse_rfc3339(const char *s, size_t len, uint64_t *ms);

/* util_argv_display: argv joined for display, each word quoted only when
 * it needs it (never executed by a shell). Caller frees. */
char *util_argv_display(const char *const *argv);

/* Size limits for whole-file reads: every read has one. */
#define UTIL_READ_MAX ((size_t)16 << 20)	/* the default: state.json */
#define UTIL_READ_CONFIG_MAX ((size_t)1 << 20)	/* bottles.json */
#define UTIL_READ_SMALL_MAX ((size_t)256 << 10) /* Smolfile, probes.json */

/* util_read_file_max: whole file into *out (NUL-terminated), *len set; -1
 * with cause "PATH: REASON" and errno set when it cannot be read. A file
 * of more than max bytes is not read: -1 with errno EFBIG and cause
 * "PATH: larger than N bytes (the limit for this file)". Works on files
 * whose size stat cannot tell (/proc, pipes): reading stops at max + 1. */
int util_read_file_max(const char *path, size_t max, char **out, size_t *len,
		       char **cause);
/* util_read_file: util_read_file_max with UTIL_READ_MAX. */
int util_read_file(const char *path, char **out, size_t *len, char **cause);
/* util_read_fd_max: the same from an open fd (read from its offset to the
 * end; not closed); name is what the cause calls it. */
int util_read_fd_max(int fd, const char *name, size_t max, char **out,
		     size_t *len, char **cause);
/* util_mkdir_p: mkdir -p with mode; 0 or -1 with cause. */
int util_mkdir_p(const char *path, unsigned mode, char **cause);
/* util_parse_duration: "30s", "500ms", "2m", "1h", bare number = seconds,
 * into milliseconds. 0 on success, -1 on bad input. */
int util_parse_duration(const char *s, uint64_t *ms);
/* util_streq: NULL-safe string equality. */
int util_streq(const char *a, const char *b);

#endif
