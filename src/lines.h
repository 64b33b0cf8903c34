/* lines.h: a pure, incremental line splitter over byte chunks. */
#ifndef BOTTLE_LINES_H
#define BOTTLE_LINES_H

#include <stddef.h>

#include "util.h"

/* Called once per line, without its "\n" (a trailing "\r" is removed
 * too). line is borrowed, valid only during the call, and NOT guaranteed
 * to be NUL-terminated. cut is 1 when this piece is a prefix of a longer
 * line that was split at max_line bytes (the remainder follows). The
 * callback must not feed or flush the same struct lines. The pieces do not
 * depend on how the input was chunked. */
typedef void (*lines_cb)(void *data, const char *line, size_t len, int cut);

struct lines {
	struct buf partial; /* bytes after the last newline */
	size_t max_line;    /* 0 = LINES_DEFAULT_MAX */
};
#define LINES_DEFAULT_MAX 16384
#define LINES_INIT                                                             \
	{                                                                      \
		BUF_INIT, 0                                                    \
	}

/* lines_feed: split buf, calling cb for each complete line. */
void lines_feed(struct lines *l, const char *buf, size_t len, lines_cb cb,
		void *data);
/* lines_flush: at EOF, emit the unterminated remainder (if any). */
void lines_flush(struct lines *l, lines_cb cb, void *data);
/* lines_release: free the partial line; l may be reused after it. */
void lines_release(struct lines *l);

#endif
