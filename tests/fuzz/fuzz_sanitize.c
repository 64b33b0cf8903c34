/* fuzz_sanitize.c: arbitrary bytes through sanitize_line, checking the
 * output properties: valid UTF-8, no C0/DEL/C1 control, no bidi control,
 * width within max_cols (and as reported), bytes within max_bytes, pure
 * printable ASCII in ASCII mode. The first input byte picks the options. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_sanitize: %s\n", what);
	abort();
}

/* An independent strict UTF-8 decoder: bytes used, 0 if ill-formed. */
static size_t decode(const unsigned char *p, size_t len, uint32_t *cp)
{
	size_t n, i;
	uint32_t v, min;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xE0) == 0xC0) {
		n = 2;
		v = p[0] & 0x1F;
		min = 0x80;
	} else if ((p[0] & 0xF0) == 0xE0) {
		n = 3;
		v = p[0] & 0x0F;
		min = 0x800;
	} else if ((p[0] & 0xF8) == 0xF0) {
		n = 4;
		v = p[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

static int is_bidi(uint32_t cp)
{
	return (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F ||
	       cp == 0x061C;
}

static void check_text(const char *s, size_t len, int ascii)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = decode(p + i, len - i, &cp);

		if (n == 0)
			fail("output is not valid UTF-8");
		if (cp < 0x20 || cp == 0x7F)
			fail("output holds a C0 control or DEL");
		if (cp >= 0x80 && cp <= 0x9F)
			fail("output holds an encoded C1 control");
		if (is_bidi(cp))
			fail("output holds a bidi control");
		if (ascii && cp >= 0x80)
			fail("ASCII mode output holds non-ASCII");
		i += n;
	}
}

static void run(const char *in, size_t len, const struct sanitize_opts *o)
{
	struct buf b = BUF_INIT;
	size_t cols, got, fit, fit_cols;
	const char *text;

	buf_adds(&b, "> "); /* output is appended after what is there */
	cols = sanitize_line(in, len, &b, o);
	text = b.data + 2;
	got = b.len - 2;
	if (strlen(b.data) != b.len || memcmp(b.data, "> ", 2) != 0)
		fail("buffer prefix or NUL termination broken");
	check_text(text, got, o->ascii);
	if (cols != sanitize_width(text, got))
		fail("reported width differs from sanitize_width");
	if (o->max_cols != 0 && cols > o->max_cols)
		fail("output wider than max_cols");
	if (o->max_bytes != 0 && got > o->max_bytes)
		fail("output longer than max_bytes");
	fit = sanitize_fit(text, got, cols / 2, &fit_cols);
	if (fit > got || fit_cols > cols / 2 ||
	    sanitize_width(text, fit) != fit_cols)
		fail("sanitize_fit out of bounds");
	buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sanitize_opts o = SANITIZE_OPTS_INIT;
	unsigned sel = size > 0 ? data[0] : 0;
	char *in;
	size_t len = size > 0 ? size - 1 : 0;

	/* an exact-size copy, so ASan sees any read past the end */
	in = xmalloc(len > 0 ? len : 1);
	if (len > 0)
		memcpy(in, data + 1, len);
	run(in, len, &o); /* defaults */
	o.max_cols = sel % 41;
	o.max_bytes = (sel & 0x80) ? sel % 29 : 0;
	o.ascii = (sel & 0x40) != 0;
	o.esc = (enum sanitize_esc)((sel >> 3) % 3);
	run(in, len, &o);
	o.ascii = !o.ascii;
	o.esc = SANITIZE_ESC_SHOW;
	run(in, len, &o);
	free(in);
	return 0;
}
