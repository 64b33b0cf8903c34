/* logbuf.c: a bounded ring of log lines (see logbuf.h). */
#include "logbuf.h"

#include <stdlib.h>
#include <string.h>

#define LOGBUF_MIN_CAP 16

struct logbuf {
	struct logbuf_entry *ring; /* owned; cap slots, count used from head */
	size_t cap;
	size_t head;
	size_t count;
	size_t bytes; /* sum of len + 1 over the lines kept */
	size_t max_lines;
	size_t max_bytes;
	uint64_t next_seq;
	uint64_t dropped;
	struct buf scratch; /* owned; reused by logbuf_push_sanitized */
};

struct logbuf *logbuf_new(size_t max_lines, size_t max_bytes)
{
	struct logbuf *lb = xcalloc(1, sizeof *lb);

	lb->max_lines = max_lines != 0 ? max_lines : LOGBUF_DEFAULT_LINES;
	lb->max_bytes = max_bytes != 0 ? max_bytes : LOGBUF_DEFAULT_BYTES;
	return lb;
}

static struct logbuf_entry *logbuf_slot(const struct logbuf *lb, size_t i)
{
	return &lb->ring[(lb->head + i) % lb->cap];
}

static void logbuf_drop_oldest(struct logbuf *lb)
{
	struct logbuf_entry *e = logbuf_slot(lb, 0);

	lb->bytes -= e->len + 1;
	free(e->text);
	e->text = NULL;
	lb->head = (lb->head + 1) % lb->cap;
	lb->count--;
}

void logbuf_clear(struct logbuf *lb)
{
	while (lb->count > 0)
		logbuf_drop_oldest(lb);
	lb->head = 0;
}

void logbuf_free(struct logbuf *lb)
{
	if (lb == NULL)
		return;
	logbuf_clear(lb);
	free(lb->ring);
	buf_release(&lb->scratch);
	free(lb);
}

/* Double the ring (up to max_lines), laying the lines out from slot 0. */
static void logbuf_grow(struct logbuf *lb)
{
	size_t cap = lb->cap < LOGBUF_MIN_CAP ? LOGBUF_MIN_CAP : lb->cap * 2;
	struct logbuf_entry *ring;
	size_t i;

	if (cap > lb->max_lines)
		cap = lb->max_lines;
	ring = xreallocarray(NULL, cap, sizeof *ring);
	for (i = 0; i < lb->count; i++)
		ring[i] = *logbuf_slot(lb, i);
	free(lb->ring);
	lb->ring = ring;
	lb->cap = cap;
	lb->head = 0;
}

/* The longest prefix of line, at most max bytes, not splitting UTF-8. */
static size_t logbuf_cut_len(const char *line, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)line[max] & 0xC0) == 0x80)
		max--;
	return max;
}

uint64_t logbuf_push(struct logbuf *lb, uint64_t wall_ms, int flags,
		     const char *line, size_t len)
{
	struct logbuf_entry *e;
	size_t keep = logbuf_cut_len(line, len, lb->max_bytes - 1);

	if (keep < len)
		flags |= LOGBUF_TRUNCATED;
	while (lb->count > 0 && (lb->count >= lb->max_lines ||
				 lb->bytes + keep + 1 > lb->max_bytes)) {
		logbuf_drop_oldest(lb);
		lb->dropped++;
	}
	if (lb->count == lb->cap)
		logbuf_grow(lb);
	e = logbuf_slot(lb, lb->count);
	e->seq = lb->next_seq++;
	e->wall_ms = wall_ms;
	e->flags = flags;
	e->len = keep;
	e->text = xstrndup(line, keep);
	lb->count++;
	lb->bytes += keep + 1;
	return e->seq;
}

uint64_t logbuf_push_sanitized(struct logbuf *lb, uint64_t wall_ms, int flags,
			       const char *raw, size_t len,
			       const struct sanitize_opts *o)
{
	buf_reset(&lb->scratch);
	sanitize_line(raw, len, &lb->scratch, o);
	return logbuf_push(lb, wall_ms, flags, lb->scratch.data,
			   lb->scratch.len);
}

size_t logbuf_count(const struct logbuf *lb)
{
	return lb->count;
}

const struct logbuf_entry *logbuf_get(const struct logbuf *lb, size_t i)
{
	if (i >= lb->count)
		return NULL;
	return logbuf_slot(lb, i);
}

uint64_t logbuf_first_seq(const struct logbuf *lb)
{
	return lb->next_seq - lb->count;
}

uint64_t logbuf_next_seq(const struct logbuf *lb)
{
	return lb->next_seq;
}

int logbuf_seq_index(const struct logbuf *lb, uint64_t seq, size_t *index)
{
	uint64_t first = logbuf_first_seq(lb);

	if (seq < first || seq >= lb->next_seq)
		return -1;
	*index = (size_t)(seq - first);
	return 0;
}

uint64_t logbuf_dropped(const struct logbuf *lb)
{
	return lb->dropped;
}

size_t logbuf_bytes(const struct logbuf *lb)
{
	return lb->bytes;
}

static unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 'a' - 'A') : c;
}

/* ASCII case-insensitive substring test. */
static int contains_nocase(const char *hay, size_t hlen, const char *needle,
			   size_t nlen)
{
	size_t i, j;

	if (nlen > hlen)
		return 0;
	for (i = 0; i + nlen <= hlen; i++) {
		for (j = 0; j < nlen; j++)
			if (fold((unsigned char)hay[i + j]) !=
			    fold((unsigned char)needle[j]))
				break;
		if (j == nlen)
			return 1;
	}
	return 0;
}

int logbuf_find(const struct logbuf *lb, size_t from, int dir,
		const char *needle, size_t *found)
{
	size_t nlen = strlen(needle), i = from;

	if (lb->count == 0)
		return -1;
	if (dir < 0 && i >= lb->count)
		i = lb->count - 1;
	for (; i < lb->count; i = dir < 0 ? i - 1 : i + 1) {
		const struct logbuf_entry *e = logbuf_slot(lb, i);

		if (contains_nocase(e->text, e->len, needle, nlen)) {
			*found = i;
			return 0;
		}
		if (dir < 0 && i == 0)
			break;
	}
	return -1;
}
