/* lines.c: a pure, incremental line splitter over byte chunks.
 *
 * The result does not depend on how the input is chunked: a line's
 * content (without "\n" and one trailing "\r") of length L is delivered
 * as ceil(L / max) pieces, all but the last of exactly max bytes with
 * cut=1 (an empty line is one empty piece). A cut piece is emitted only
 * once more than max content bytes are known, so a pending "\r" that may
 * turn out to be the end of "\r\n" is never counted as content. */
#include "lines.h"

#include <string.h>

static size_t lines_max(const struct lines *l)
{
	return l->max_line != 0 ? l->max_line : LINES_DEFAULT_MAX;
}

/* lines_emit: deliver one complete line (p, n), "\r" still attached. */
static void lines_emit(const char *p, size_t n, size_t max, lines_cb cb,
		       void *data)
{
	if (n > 0 && p[n - 1] == '\r')
		n--;
	while (n > max) {
		cb(data, p, max, 1);
		p += max;
		n -= max;
	}
	cb(data, p, n, 0);
}

/* lines_known: content bytes of the partial line that are certain, i.e.
 * not counting a last "\r" that a following "\n" would remove. */
static size_t lines_known(const struct lines *l)
{
	size_t n = l->partial.len;

	if (n > 0 && l->partial.data[n - 1] == '\r')
		n--;
	return n;
}

/* lines_absorb: add bytes without a newline to the partial line, emitting
 * the max-sized pieces that are now certainly cut. */
static void lines_absorb(struct lines *l, const char *p, size_t n, size_t max,
			 lines_cb cb, void *data)
{
	size_t off = 0;

	buf_add(&l->partial, p, n);
	while (lines_known(l) - off > max) {
		cb(data, l->partial.data + off, max, 1);
		off += max;
	}
	if (off == 0)
		return;
	memmove(l->partial.data, l->partial.data + off, l->partial.len - off);
	l->partial.len -= off;
	l->partial.data[l->partial.len] = '\0';
}

void lines_feed(struct lines *l, const char *buf, size_t len, lines_cb cb,
		void *data)
{
	size_t max = lines_max(l);

	while (len > 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t seg;

		if (nl == NULL) {
			lines_absorb(l, buf, len, max, cb, data);
			return;
		}
		seg = (size_t)(nl - buf);
		if (l->partial.len == 0) {
			lines_emit(buf, seg, max, cb, data);
		} else {
			buf_add(&l->partial, buf, seg);
			lines_emit(l->partial.data, l->partial.len, max, cb,
				   data);
			buf_reset(&l->partial);
		}
		buf += seg + 1;
		len -= seg + 1;
	}
}

void lines_flush(struct lines *l, lines_cb cb, void *data)
{
	if (l->partial.len == 0)
		return;
	lines_emit(l->partial.data, l->partial.len, lines_max(l), cb, data);
	buf_reset(&l->partial);
}

void lines_release(struct lines *l)
{
	buf_release(&l->partial);
}
