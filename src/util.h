/* util.h: allocation that cannot fail, growable buffers, small helpers. */
#ifndef BOTTLE_UTIL_H
#define BOTTLE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define UTIL_NELEM(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define UTIL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define UTIL_NORETURN __attribute__((noreturn))
#else
#define UTIL_PRINTF(f, a)
#define UTIL_NORETURN
#endif

/* Allocation: abort with a message on failure; never returns NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) UTIL_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap) UTIL_PRINTF(1, 0);

/* fatal: run the registered hook (terminal restore), print, exit 1. */
void fatal(const char *fmt, ...) UTIL_PRINTF(1, 2) UTIL_NORETURN;
/* util_set_fatal_hook: called once by fatal() before it prints. */
void util_set_fatal_hook(void (*hook)(void));

/* Set *cause (if cause != NULL) to a new formatted string; returns -1. */
int util_fail(char **cause, const char *fmt, ...) UTIL_PRINTF(2, 3);

/* A growable, always NUL-terminated byte buffer. Zero-init or BUF_INIT. */
struct buf {
	char *data; /* owned; NULL until the first add */
	size_t len;
	size_t cap;
};
#define BUF_INIT                                                               \
	{                                                                      \
		NULL, 0, 0                                                     \
	}
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* buf_detach: return the owned string ("" if empty) and reset b. */
char *buf_detach(struct buf *b);
void buf_reset(struct buf *b);	 /* len = 0, keep memory */
void buf_release(struct buf *b); /* free memory, reset */

/* A NULL-terminated, owned array of owned strings (argv, env lists). */
struct strv {
	char **v; /* v[n] == NULL once anything was pushed */
	size_t n;
};
#define STRV_INIT                                                              \
	{                                                                      \
		NULL, 0                                                        \
	}
void strv_push(struct strv *s, const char *str);
void strv_pushf(struct strv *s, const char *fmt, ...) UTIL_PRINTF(2, 3);
void strv_pushv(struct strv *s, const char *const *v, size_t n);
void strv_release(struct strv *s);
/* strv_dup: copy of a NULL-terminated vector (NULL → empty strv). */
void strv_copy(struct strv *dst, const struct strv *src);

/* Monotonic milliseconds, and wall-clock Unix milliseconds. */
uint64_t util_mono_ms(void);
uint64_t util_wall_ms(void);
/* util_iso8601: UTC "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (>= 25 bytes). */
void util_iso8601(uint64_t wall_ms, char *out, size_t outsz);

/* util_shell_quote: argv joined for display, each word quoted only when
 * it needs it (never executed by a shell). Caller frees. */
char *util_argv_display(const char *const *argv);

/* util_read_file: whole file into *out (NUL-terminated), *len set. */
int util_read_file(const char *path, char **out, size_t *len, char **cause);
/* util_mkdir_p: mkdir -p with mode; 0 or -1 with cause. */
int util_mkdir_p(const char *path, unsigned mode, char **cause);
/* util_parse_duration: "30s", "500ms", "2m", "1h", bare number = seconds,
 * into milliseconds. 0 on success, -1 on bad input. */
int util_parse_duration(const char *s, uint64_t *ms);
/* util_streq: NULL-safe string equality. */
int util_streq(const char *a, const char *b);

#endif
