/* buf.h: a growable, always NUL-terminated byte buffer (git's strbuf). */
#ifndef BOTTLE_BUF_H
#define BOTTLE_BUF_H

#include <stddef.h>

#include "xalloc.h"

/* Zero-init or BUF_INIT. */
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

#endif
