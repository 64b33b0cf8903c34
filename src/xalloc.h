/* xalloc.h: allocation that cannot fail, fatal(), and the attribute
 * macros every module uses. Defined in util.c (git's wrapper.h); util.h
 * includes this header. */
#ifndef BOTTLE_XALLOC_H
#define BOTTLE_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

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

/* util_oom: out of memory (n bytes wanted): run the fatal hook, print,
 * abort. For a size computation that overflows, too. */
void util_oom(size_t n) UTIL_NORETURN;

/* fatal: run the registered hook (terminal restore), print, exit 1. */
void fatal(const char *fmt, ...) UTIL_PRINTF(1, 2) UTIL_NORETURN;
/* util_set_fatal_hook: called once by fatal() before it prints. */
void util_set_fatal_hook(void (*hook)(void));

#endif
