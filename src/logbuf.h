/* logbuf.h: a bounded ring of log lines for one log source.
 *
 * Memory stays flat under a flood: the ring keeps at most max_lines
 * lines and max_bytes bytes of text (each line costs len + 1), dropping
 * the oldest lines first. The default byte bound (4 MiB) keeps the rings
 * a guest can fill (console, bundle, egress) well under 20 MiB together. A line
 * longer than max_bytes - 1 is cut (at a UTF-8 character boundary) and flagged
 * LOGBUF_TRUNCATED. Push is O(1) amortized: the ring never moves its lines on
 * push.
 *
 * Every pushed line gets the next sequence number (0, 1, 2, ...). The
 * lines still kept are exactly first_seq .. next_seq - 1, index i holding
 * seq first_seq + i, so a view that remembers next_seq can tell how many
 * lines arrived (next_seq - old) and were dropped since it last looked.
 *
 * logbuf_push stores the bytes as given: callers pass sanitized text, or
 * use logbuf_push_sanitized. */
#ifndef BOTTLE_LOGBUF_H
#define BOTTLE_LOGBUF_H

#include <stddef.h>
#include <stdint.h>

#include "sanitize.h"

#define LOGBUF_DEFAULT_LINES 10000
#define LOGBUF_DEFAULT_BYTES ((size_t)4 << 20)

/* Entry flags; the caller's own bits are kept as given. */
#define LOGBUF_STDERR 0x1    /* the line came from stderr */
#define LOGBUF_HIGHLIGHT 0x2 /* show highlighted (e.g. a blocked request) */
#define LOGBUF_TRUNCATED 0x4 /* set by logbuf: the line was cut */

struct logbuf_entry {
	uint64_t seq;	  /* sequence number, from 0 */
	uint64_t wall_ms; /* as pushed (Unix milliseconds) */
	int flags;	  /* LOGBUF_* */
	size_t len;	  /* bytes in text, without the NUL */
	char *text;	  /* owned by the logbuf; NUL-terminated */
};

struct logbuf;

/* logbuf_new: an empty ring; 0 for either bound means its default. */
struct logbuf *logbuf_new(size_t max_lines, size_t max_bytes);
/* logbuf_free: free the ring and every line (NULL is fine). */
void logbuf_free(struct logbuf *lb);

/* logbuf_push: store a copy of line[0..len) (need not be NUL-terminated),
 * dropping the oldest lines as needed. Returns the line's seq. */
uint64_t logbuf_push(struct logbuf *lb, uint64_t wall_ms, int flags,
		     const char *line, size_t len);
/* logbuf_push_sanitized: sanitize_line(raw, o) then logbuf_push. */
uint64_t logbuf_push_sanitized(struct logbuf *lb, uint64_t wall_ms, int flags,
			       const char *raw, size_t len,
			       const struct sanitize_opts *o);

/* logbuf_count: the number of lines kept. */
size_t logbuf_count(const struct logbuf *lb);
/* logbuf_get: line i (0 = oldest kept), borrowed until the next push,
 * clear or free; NULL when i >= count. */
const struct logbuf_entry *logbuf_get(const struct logbuf *lb, size_t i);
/* logbuf_first_seq: seq of the oldest line kept (next_seq when empty). */
uint64_t logbuf_first_seq(const struct logbuf *lb);
/* logbuf_next_seq: the seq the next pushed line will get. */
uint64_t logbuf_next_seq(const struct logbuf *lb);
/* logbuf_seq_index: index of the line with this seq; 0, or -1 if it is
 * no longer (or not yet) kept. */
int logbuf_seq_index(const struct logbuf *lb, uint64_t seq, size_t *index);
/* logbuf_dropped: lines evicted by the bounds so far (not by clear). */
uint64_t logbuf_dropped(const struct logbuf *lb);
/* logbuf_bytes: bytes accounted to the lines kept (sum of len + 1). */
size_t logbuf_bytes(const struct logbuf *lb);

/* logbuf_clear: drop every line; seq numbers keep increasing. */
void logbuf_clear(struct logbuf *lb);

/* logbuf_find: the first line at or after (dir >= 0) or at or before
 * (dir < 0) index from whose text contains needle, ASCII case-insensitive.
 * A backward search from past the end starts at the newest line. 0 and
 * *found set, or -1 when no line matches. An empty needle matches. */
int logbuf_find(const struct logbuf *lb, size_t from, int dir,
		const char *needle, size_t *found);

#endif
