/* fuzz_lines.c: the line splitter must not depend on how input is chunked.
 *
 * Input: byte 0 picks max_line (0 = the default), byte 1 seeds the chunk
 * sizes, the rest is the text. The text is split three ways (one feed,
 * random chunks, one byte at a time) and the pieces must be identical.
 * They must also rebuild the text: each piece followed by "\n" unless it
 * was cut must equal the text with a final "\n" added (if missing) and
 * every "\r\n" turned into "\n". Any mismatch aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"

struct fuzz_out {
	struct buf rec;	    /* every piece: cut byte, length, bytes */
	struct buf rebuilt; /* pieces joined back into text */
	size_t max;
};

static void fuzz_on_piece(void *data, const char *line, size_t len, int cut)
{
	struct fuzz_out *o = data;

	if (len > o->max || (cut && len != o->max))
		abort();
	if (memchr(line, '\n', len) != NULL)
		abort();
	buf_addc(&o->rec, (char)cut);
	buf_add(&o->rec, &len, sizeof len);
	buf_add(&o->rec, line, len);
	buf_add(&o->rebuilt, line, len);
	if (!cut)
		buf_addc(&o->rebuilt, '\n');
}

/* fuzz_split: feed text in chunks whose sizes come from seed (0 = one
 * feed, 1 = one byte at a time). */
static void fuzz_split(const char *text, size_t len, size_t max_line,
		       uint32_t seed, struct fuzz_out *o)
{
	struct lines l = LINES_INIT;
	uint32_t x = seed * 2654435761u + 1;

	l.max_line = max_line;
	o->max = max_line != 0 ? max_line : LINES_DEFAULT_MAX;
	while (len > 0) {
		size_t n;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		n = seed == 0 ? len : seed == 1 ? 1 : 1 + x % 23;
		if (n > len)
			n = len;
		lines_feed(&l, text, n, fuzz_on_piece, o);
		text += n;
		len -= n;
	}
	lines_flush(&l, fuzz_on_piece, o);
	lines_release(&l);
}

/* fuzz_expected: what the pieces must rebuild (see the top). */
static void fuzz_expected(const char *text, size_t len, struct buf *want)
{
	struct buf t = BUF_INIT;
	size_t i;

	buf_add(&t, text, len);
	if (len > 0 && text[len - 1] != '\n')
		buf_addc(&t, '\n');
	for (i = 0; i < t.len; i++) {
		if (t.data[i] == '\r' && i + 1 < t.len && t.data[i + 1] == '\n')
			continue;
		buf_addc(want, t.data[i]);
	}
	buf_release(&t);
}

static int fuzz_same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len &&
	       (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static void fuzz_release(struct fuzz_out *o)
{
	buf_release(&o->rec);
	buf_release(&o->rebuilt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_out one = {BUF_INIT, BUF_INIT, 0};
	struct fuzz_out chunked = {BUF_INIT, BUF_INIT, 0};
	struct fuzz_out bytes = {BUF_INIT, BUF_INIT, 0};
	struct buf want = BUF_INIT;
	const char *text = (const char *)data + 2;
	size_t max_line, len;
	uint32_t seed;

	if (size < 2)
		return 0;
	max_line = data[0] % 4 == 0 ? 0 : data[0] % 64 + 1;
	seed = (uint32_t)data[1] + 2;
	len = size - 2;
	fuzz_split(text, len, max_line, 0, &one);
	fuzz_split(text, len, max_line, seed, &chunked);
	if (len <= 4096)
		fuzz_split(text, len, max_line, 1, &bytes);
	else
		fuzz_split(text, len, max_line, seed + 1, &bytes);
	fuzz_expected(text, len, &want);
	if (!fuzz_same(&one.rec, &chunked.rec) ||
	    !fuzz_same(&one.rec, &bytes.rec) || !fuzz_same(&one.rebuilt, &want))
		abort();
	fuzz_release(&one);
	fuzz_release(&chunked);
	fuzz_release(&bytes);
	buf_release(&want);
	return 0;
}
