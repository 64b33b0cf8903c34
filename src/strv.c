/* strv.c: a NULL-terminated vector of owned strings. */
#include "strv.h"

#include <stdarg.h>
#include <stdlib.h>

void strv_push(struct strv *s, const char *str)
{
	s->v = xreallocarray(s->v, s->n + 2, sizeof *s->v);
	s->v[s->n++] = xstrdup(str);
	s->v[s->n] = NULL;
}

void strv_pushf(struct strv *s, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	s->v = xreallocarray(s->v, s->n + 2, sizeof *s->v);
	s->v[s->n++] = p;
	s->v[s->n] = NULL;
}

void strv_pushv(struct strv *s, const char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		strv_push(s, v[i]);
}

void strv_release(struct strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

void strv_copy(struct strv *dst, const struct strv *src)
{
	dst->v = NULL;
	dst->n = 0;
	strv_pushv(dst, (const char *const *)src->v, src->n);
}
