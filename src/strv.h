/* strv.h: a NULL-terminated, owned array of owned strings (argv, env
 * lists; git's strvec). */
#ifndef BOTTLE_STRV_H
#define BOTTLE_STRV_H

#include <stddef.h>

#include "xalloc.h"

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
/* strv_copy: dst becomes a copy of src (dst's old contents not freed). */
void strv_copy(struct strv *dst, const struct strv *src);

#endif
