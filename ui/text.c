/* text.c: sanitized, clipped drawing and duration formatting. */
#include "text.h"

#include <stdio.h>
#include <string.h>

#include "sanitize.h"

size_t text_safe(struct buf *out, const char *s, size_t len, size_t max_cols,
		 int ascii)
{
	struct sanitize_opts o = SANITIZE_OPTS_INIT;

	o.max_cols = max_cols;
	o.ascii = ascii;
	if (out->data == NULL)
		buf_add(out, "", 0);
	return sanitize_line(s, len, out, &o);
}

int text_draw_n(WINDOW *w, int y, int x, int width, const char *s, size_t len,
		attr_t a, int ascii)
{
	struct buf b = BUF_INIT;
	size_t cols;

	if (width <= 0 || s == NULL)
		return 0;
	cols = text_safe(&b, s, len, (size_t)width, ascii);
	if (b.len > 0) {
		wattrset(w, (int)a);
		mvwaddnstr(w, y, x, b.data, (int)b.len);
		wattrset(w, A_NORMAL);
	}
	buf_release(&b);
	return (int)cols;
}

int text_draw(WINDOW *w, int y, int x, int width, const char *s, attr_t a,
	      int ascii)
{
	if (s == NULL)
		return 0;
	return text_draw_n(w, y, x, width, s, strlen(s), a, ascii);
}

void text_fill(WINDOW *w, int y, int x, int width, attr_t a)
{
	if (width <= 0)
		return;
	wattrset(w, (int)a);
	mvwhline(w, y, x, ' ', width);
	wattrset(w, A_NORMAL);
}

size_t text_width(const char *s)
{
	return s != NULL ? sanitize_width(s, strlen(s)) : 0;
}

void text_duration(uint64_t ms, char *out, size_t outsz)
{
	uint64_t s = ms / 1000, m = s / 60, h = m / 60, d = h / 24;

	if (s < 60)
		snprintf(out, outsz, "%us", (unsigned)s);
	else if (m < 60)
		snprintf(out, outsz, "%um", (unsigned)m);
	else if (h < 24)
		snprintf(out, outsz, "%uh%02um", (unsigned)h,
			 (unsigned)(m % 60));
	else if (d < 1000)
		snprintf(out, outsz, "%ud%02uh", (unsigned)d,
			 (unsigned)(h % 24));
	else
		snprintf(out, outsz, "%ud", (unsigned)d);
}

uint64_t text_duration_next(uint64_t since_ms, uint64_t now_ms)
{
	uint64_t d, unit;

	if (since_ms == 0 || since_ms > now_ms)
		return UINT64_MAX;
	d = now_ms - since_ms;
	if (d < 60000)
		unit = 1000;
	else if (d < 86400000)
		unit = 60000;
	else
		unit = 3600000;
	return unit - d % unit;
}

void text_age(uint64_t then_ms, uint64_t now_ms, char *out, size_t outsz)
{
	char d[32];

	if (then_ms == 0) {
		snprintf(out, outsz, "never");
		return;
	}
	if (then_ms > now_ms) {
		snprintf(out, outsz, "just now");
		return;
	}
	text_duration(now_ms - then_ms, d, sizeof(d));
	snprintf(out, outsz, "%s ago", d);
}
