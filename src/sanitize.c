/* sanitize.c: untrusted bytes → safe, bounded, valid UTF-8 (see .h). */
#include "sanitize.h"

#include <string.h>

#define SANITIZE_BAD SANITIZE_UTF8_BAD
#define ESC 0x1b

/* The emitter: appends to out while keeping the bounds. fit_len is the
 * last length (bytes appended) at which the cut marker still fits; a cut
 * truncates back to it. */
struct san {
	struct buf *out;
	const struct sanitize_opts *o;
	size_t start;	 /* out->len on entry */
	size_t cols;	 /* columns appended */
	size_t fit_len;	 /* valid when fit_ok */
	size_t fit_cols; /* cols at fit_len */
	int fit_ok;	 /* 0: the marker does not fit even in an empty line */
	int cut;	 /* 1: a bound was hit; further output is ignored */
};

static const struct sanitize_opts sanitize_defaults = SANITIZE_OPTS_INIT;

/* Code point ranges, sorted, for the width table. */
struct range {
	uint32_t lo, hi;
};

/* Combining marks and zero-width characters (the main blocks). */
static const struct range zero_width[] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD},   {0x05BF, 0x05BF},
    {0x05C1, 0x05C2}, {0x05C4, 0x05C5}, {0x05C7, 0x05C7},   {0x0610, 0x061A},
    {0x061C, 0x061C}, {0x064B, 0x065F}, {0x0670, 0x0670},   {0x06D6, 0x06DC},
    {0x06DF, 0x06E4}, {0x06E7, 0x06E8}, {0x06EA, 0x06ED},   {0x0900, 0x0902},
    {0x093A, 0x093A}, {0x093C, 0x093C}, {0x0941, 0x0948},   {0x094D, 0x094D},
    {0x0951, 0x0957}, {0x0962, 0x0963}, {0x0E31, 0x0E31},   {0x0E34, 0x0E3A},
    {0x0E47, 0x0E4E}, {0x1160, 0x11FF}, {0x1AB0, 0x1AFF},   {0x1DC0, 0x1DFF},
    {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x2064},   {0x2066, 0x206F},
    {0x20D0, 0x20FF}, {0x302A, 0x302F}, {0x3099, 0x309A},   {0xFE00, 0xFE0F},
    {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0xE0000, 0xE007F}, {0xE0100, 0xE01EF},
};

/* East Asian wide / fullwidth characters and wide emoji (main ranges). */
static const struct range wide[] = {
    {0x1100, 0x115F},	{0x231A, 0x231B},   {0x2329, 0x232A},
    {0x23E9, 0x23EC},	{0x23F0, 0x23F0},   {0x23F3, 0x23F3},
    {0x25FD, 0x25FE},	{0x2614, 0x2615},   {0x2648, 0x2653},
    {0x267F, 0x267F},	{0x2693, 0x2693},   {0x26A1, 0x26A1},
    {0x26AA, 0x26AB},	{0x26BD, 0x26BE},   {0x26C4, 0x26C5},
    {0x26CE, 0x26CE},	{0x26D4, 0x26D4},   {0x26EA, 0x26EA},
    {0x26F2, 0x26F3},	{0x26F5, 0x26F5},   {0x26FA, 0x26FA},
    {0x26FD, 0x26FD},	{0x2705, 0x2705},   {0x270A, 0x270B},
    {0x2728, 0x2728},	{0x274C, 0x274C},   {0x274E, 0x274E},
    {0x2753, 0x2755},	{0x2757, 0x2757},   {0x2795, 0x2797},
    {0x27B0, 0x27B0},	{0x27BF, 0x27BF},   {0x2B1B, 0x2B1C},
    {0x2B50, 0x2B50},	{0x2B55, 0x2B55},   {0x2E80, 0x303E},
    {0x3041, 0x33FF},	{0x3400, 0x4DBF},   {0x4E00, 0x9FFF},
    {0xA000, 0xA4CF},	{0xA960, 0xA97F},   {0xAC00, 0xD7A3},
    {0xF900, 0xFAFF},	{0xFE10, 0xFE19},   {0xFE30, 0xFE6F},
    {0xFF00, 0xFF60},	{0xFFE0, 0xFFE6},   {0x16FE0, 0x16FE4},
    {0x17000, 0x18CFF}, {0x1B000, 0x1B2FF}, {0x1F004, 0x1F004},
    {0x1F0CF, 0x1F0CF}, {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A},
    {0x1F200, 0x1F251}, {0x1F300, 0x1F64F}, {0x1F680, 0x1F6FF},
    {0x1F7E0, 0x1F7EB}, {0x1F900, 0x1F9FF}, {0x1FA70, 0x1FAFF},
    {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

static int in_table(uint32_t cp, const struct range *t, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < t[mid].lo)
			hi = mid;
		else if (cp > t[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

int sanitize_cp_width(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
		return 0;
	if (cp < 0x300)
		return 1;
	if (in_table(cp, zero_width, UTIL_NELEM(zero_width)))
		return 0;
	if (in_table(cp, wide, UTIL_NELEM(wide)))
		return 2;
	return 1;
}

size_t sanitize_utf8_decode(const unsigned char *p, size_t len, uint32_t *cp)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xBF;
	size_t need, i;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c < 0xC2 || c > 0xF4) {
		*cp = SANITIZE_BAD;
		return 1;
	}
	if (c < 0xE0) {
		need = 1;
		v = c & 0x1F;
	} else if (c < 0xF0) {
		need = 2;
		v = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0; /* overlong */
		if (c == 0xED)
			hi = 0x9F; /* surrogates */
	} else {
		need = 3;
		v = c & 0x07;
		if (c == 0xF0)
			lo = 0x90; /* overlong */
		if (c == 0xF4)
			hi = 0x8F; /* > U+10FFFF */
	}
	for (i = 1; i <= need; i++) {
		if (i >= len || p[i] < lo || p[i] > hi) {
			*cp = SANITIZE_BAD;
			return i;
		}
		v = (v << 6) | (p[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = v;
	return need + 1;
}

int sanitize_utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	uint32_t cp;

	while (i < len) {
		i += sanitize_utf8_decode(u + i, len - i, &cp);
		if (cp == SANITIZE_BAD)
			return 0;
	}
	return 1;
}

size_t sanitize_utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static int is_bidi_control(uint32_t cp)
{
	return (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F ||
	       cp == 0x061C;
}

/* --- the bounded emitter --- */

static size_t san_len(const struct san *s)
{
	return s->out->len - s->start;
}

static size_t san_marker_len(const struct san *s)
{
	return s->o->ascii ? 1 : 3; /* ">" or "…" */
}

/* Remember this point as the cut position if the marker fits here. */
static void san_update_fit(struct san *s)
{
	const struct sanitize_opts *o = s->o;

	if (o->max_cols != 0 && s->cols + 1 > o->max_cols)
		return;
	if (o->max_bytes != 0 && san_len(s) + san_marker_len(s) > o->max_bytes)
		return;
	s->fit_len = san_len(s);
	s->fit_cols = s->cols;
	s->fit_ok = 1;
}

/* A bound was hit: go back to the last fit point and add the marker (or,
 * when even the marker does not fit, keep what fitted, unmarked). */
static void san_cut(struct san *s)
{
	s->cut = 1;
	if (!s->fit_ok)
		return;
	s->out->len = s->start + s->fit_len;
	s->out->data[s->out->len] = '\0';
	s->cols = s->fit_cols + 1;
	buf_adds(s->out, s->o->ascii ? ">" : "\xe2\x80\xa6");
}

/* Append one indivisible unit of n bytes and w columns. */
static void san_emit(struct san *s, const char *p, size_t n, size_t w)
{
	const struct sanitize_opts *o = s->o;

	if (s->cut)
		return;
	if ((o->max_cols != 0 && s->cols + w > o->max_cols) ||
	    (o->max_bytes != 0 && san_len(s) + n > o->max_bytes)) {
		san_cut(s);
		return;
	}
	buf_add(s->out, p, n);
	s->cols += w;
	san_update_fit(s);
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Append n one-column ASCII bytes at once, as many as the bounds allow. */
static void san_emit_ascii(struct san *s, const char *p, size_t n)
{
	const struct sanitize_opts *o = s->o;
	size_t room = n, len0 = san_len(s), cols0 = s->cols, mlen, fit = n;
	int fit_ok = 1;

	if (s->cut)
		return;
	if (o->max_cols != 0)
		room = min_size(room, o->max_cols - cols0);
	if (o->max_bytes != 0)
		room = min_size(room, o->max_bytes - len0);
	buf_add(s->out, p, room);
	s->cols += room;

	/* The last j <= room where the marker still fits after j bytes. */
	fit = room;
	mlen = san_marker_len(s);
	if (o->max_cols != 0) {
		if (cols0 + 1 > o->max_cols)
			fit_ok = 0;
		else
			fit = min_size(fit, o->max_cols - cols0 - 1);
	}
	if (o->max_bytes != 0) {
		if (len0 + mlen > o->max_bytes)
			fit_ok = 0;
		else
			fit = min_size(fit, o->max_bytes - len0 - mlen);
	}
	if (fit_ok) {
		s->fit_len = len0 + fit;
		s->fit_cols = cols0 + fit;
		s->fit_ok = 1;
	}
	if (room < n)
		san_cut(s);
}

static void san_emit_cp(struct san *s, uint32_t cp)
{
	char tmp[4];

	if (s->o->ascii) {
		san_emit(s, "?", 1, 1);
		return;
	}
	san_emit(s, tmp, sanitize_utf8_encode(cp, tmp),
		 (size_t)sanitize_cp_width(cp));
}

/* The marker for one removed escape sequence (SANITIZE_ESC_MARK). */
static void san_emit_esc_marker(struct san *s)
{
	if (s->o->esc != SANITIZE_ESC_MARK)
		return;
	if (s->o->ascii)
		san_emit(s, "^[", 2, 2);
	else
		san_emit(s, "\xe2\x90\x9b", 3, 1); /* U+241B ␛ */
}

/* C0 control or DEL in caret notation: ^@ .. ^_, ^?. */
static void san_emit_caret(struct san *s, unsigned char c)
{
	char tmp[2] = {'^', (char)(c == 0x7F ? '?' : c + 0x40)};

	san_emit(s, tmp, 2, 2);
}

static void san_emit_tab(struct san *s)
{
	static const char spaces[8] = "        ";

	san_emit_ascii(s, spaces, 8 - s->cols % 8);
}

/* --- escape sequences --- */

/* CSI parameters, intermediates and final byte from p[i]. Returns the
 * index after it. Plain SGR (colour) is removed without a marker. */
static size_t skip_csi(struct san *s, const unsigned char *p, size_t len,
		       size_t i)
{
	int sgr = 1;

	for (; i < len && p[i] >= 0x20 && p[i] <= 0x3F; i++)
		if (!(p[i] >= '0' && p[i] <= ';'))
			sgr = 0; /* only digits, ':' and ';' */
	if (i < len && p[i] >= 0x40 && p[i] <= 0x7E) {
		if (p[i] != 'm')
			sgr = 0;
		i++;
	} else {
		sgr = 0; /* malformed or left open */
	}
	if (!sgr)
		san_emit_esc_marker(s);
	return i;
}

/* A control string (OSC, DCS, SOS, PM, APC) payload from p[i] up to its
 * terminator: ST (ESC \, raw 0x9C or encoded U+009C), BEL for OSC, or
 * CAN/SUB. Another ESC ends it and starts a new sequence. Valid UTF-8
 * in the payload is skipped whole (0x9C may be a continuation byte). */
static size_t skip_string(struct san *s, const unsigned char *p, size_t len,
			  size_t i, int osc)
{
	san_emit_esc_marker(s);
	while (i < len) {
		unsigned char c = p[i];
		uint32_t cp;
		size_t n;

		if ((c == 0x07 && osc) || c == 0x18 || c == 0x1A || c == 0x9C)
			return i + 1;
		if (c == ESC)
			return (i + 1 < len && p[i + 1] == '\\') ? i + 2 : i;
		if (c < 0x80) {
			i++;
			continue;
		}
		n = sanitize_utf8_decode(p + i, len - i, &cp);
		if (cp == 0x9C)
			return i + n;
		i += n;
	}
	return len;
}

/* The sequence introduced by ESC kind (or the C1 control kind + 0x40),
 * whose payload starts at p[i]. Returns the index after it. */
static size_t skip_sequence(struct san *s, const unsigned char *p, size_t len,
			    size_t i, unsigned char kind)
{
	switch (kind) {
	case '[':
		return skip_csi(s, p, len, i);
	case ']':
		return skip_string(s, p, len, i, 1);
	case 'P':
	case 'X':
	case '^':
	case '_':
		return skip_string(s, p, len, i, 0);
	default:
		san_emit_esc_marker(s); /* a two-byte escape */
		return i;
	}
}

/* ESC at p[i]. Returns the index after the whole sequence. */
static size_t handle_esc(struct san *s, const unsigned char *p, size_t len,
			 size_t i)
{
	unsigned char c;

	if (s->o->esc == SANITIZE_ESC_SHOW) {
		san_emit(s, "^[", 2, 2);
		return i + 1;
	}
	if (i + 1 >= len || p[i + 1] < 0x20 || p[i + 1] > 0x7E) {
		san_emit_esc_marker(s); /* bare ESC: the next byte is text */
		return i + 1;
	}
	c = p[i + 1];
	if (c >= 0x20 && c <= 0x2F) { /* nF: intermediates, then a final */
		size_t start = i + 1;

		for (i += 2; i < len && p[i] >= 0x20 && p[i] <= 0x2F; i++)
			;
		if (i < len && p[i] >= 0x30 && p[i] <= 0x7E)
			i++;
		/* "ESC ( B" (back to ASCII, ends every tput sgr0) is silent */
		if (!(i == start + 2 && p[start] == '(' && p[start + 1] == 'B'))
			san_emit_esc_marker(s);
		return i;
	}
	return skip_sequence(s, p, len, i + 2, c);
}

/* A C1 control c (0x80..0x9F, raw or decoded) ending before p[i]: the
 * same as ESC followed by c - 0x40. */
static size_t handle_c1(struct san *s, const unsigned char *p, size_t len,
			size_t i, uint32_t c)
{
	unsigned char kind = (unsigned char)(c - 0x40);

	if (s->o->esc == SANITIZE_ESC_SHOW) {
		char tmp[3] = {'^', '[', (char)kind};

		san_emit(s, tmp, 3, 3);
		return i;
	}
	return skip_sequence(s, p, len, i, kind);
}

/* CSI, OSC, DCS, SOS, PM, APC: C1 controls that start a sequence. */
static int is_c1_introducer(uint32_t c)
{
	return c == 0x9B || c == 0x9D || c == 0x90 || c == 0x98 || c == 0x9E ||
	       c == 0x9F;
}

/* Bytes at p[i] that are not printable ASCII. Returns the next index. */
static size_t handle_other(struct san *s, const unsigned char *p, size_t len,
			   size_t i)
{
	unsigned char c = p[i];
	uint32_t cp;
	size_t n;

	if (c == ESC)
		return handle_esc(s, p, len, i);
	if (c == '\t') {
		san_emit_tab(s);
		return i + 1;
	}
	if (c < 0x20 || c == 0x7F) {
		san_emit_caret(s, c);
		return i + 1;
	}
	if (c <= 0x9F) { /* raw 8-bit C1: invalid UTF-8 */
		if (is_c1_introducer(c))
			return handle_c1(s, p, len, i + 1, c);
		san_emit_cp(s, 0xFFFD);
		return i + 1;
	}
	n = sanitize_utf8_decode(p + i, len - i, &cp);
	if (cp == SANITIZE_BAD)
		san_emit_cp(s, 0xFFFD);
	else if (cp <= 0x9F) /* UTF-8 encoded C1 */
		return handle_c1(s, p, len, i + n, cp);
	else if (!is_bidi_control(cp))
		san_emit_cp(s, cp);
	return i + n;
}

static int is_printable_ascii(unsigned char c)
{
	return c >= 0x20 && c < 0x7F;
}

size_t sanitize_line(const char *in, size_t len, struct buf *out,
		     const struct sanitize_opts *o)
{
	const unsigned char *p = (const unsigned char *)in;
	struct san s;
	size_t i = 0;

	memset(&s, 0, sizeof s);
	s.out = out;
	s.o = o != NULL ? o : &sanitize_defaults;
	s.start = out->len;
	buf_add(out, "", 0); /* out->data is never NULL from here on */
	san_update_fit(&s);
	while (i < len && !s.cut) {
		size_t j = i;

		while (j < len && is_printable_ascii(p[j]))
			j++;
		if (j > i) {
			san_emit_ascii(&s, in + i, j - i);
			i = j;
			continue;
		}
		i = handle_other(&s, p, len, i);
	}
	return s.cols;
}

size_t sanitize_width(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, cols = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = sanitize_utf8_decode(p + i, len - i, &cp);

		if (cp == SANITIZE_BAD || cp < 0x20 ||
		    (cp >= 0x7F && cp < 0xA0))
			cols += 1;
		else
			cols += (size_t)sanitize_cp_width(cp);
		i += n;
	}
	return cols;
}

size_t sanitize_fit(const char *s, size_t len, size_t max_cols, size_t *cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, c = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = sanitize_utf8_decode(p + i, len - i, &cp), w;

		if (cp == SANITIZE_BAD || cp < 0x20 ||
		    (cp >= 0x7F && cp < 0xA0))
			w = 1;
		else
			w = (size_t)sanitize_cp_width(cp);
		if (c + w > max_cols)
			break;
		c += w;
		i += n;
	}
	if (cols != NULL)
		*cols = c;
	return i;
}
