/* sanitize.h: make one line of untrusted text safe to put on a terminal.
 *
 * Everything that comes out of a bottle (agent output, container and
 * console logs, pipelock audit strings) is hostile. sanitize_line turns
 * arbitrary bytes into text that is valid UTF-8 and holds no control
 * character at all (no byte < 0x20, no 0x7F, no U+0080..U+009F), so
 * nothing it returns can move the cursor, clear the screen, set the
 * window title or write the clipboard (OSC 52). The rules:
 *
 *  - Escape sequences are parsed and removed whole: CSI (ESC [ params
 *    final 0x40..0x7E), OSC (ESC ] ... BEL or ST), DCS (ESC P), SOS
 *    (ESC X), PM (ESC ^) and APC (ESC _) up to ST (ESC \), nF escapes
 *    (ESC, 0x20..0x2F bytes, a final such as "ESC ( B") and two-byte
 *    escapes (ESC + one byte). What replaces them depends on esc mode:
 *    SANITIZE_ESC_MARK (default) shows one marker "␛" (ASCII mode "^[")
 *    per removed sequence, except plain SGR colour sequences (CSI with
 *    digits/';'/':' and final 'm') and "ESC ( B", which vanish silently
 *    so coloured logs stay readable; SANITIZE_ESC_DROP removes without a
 *    trace; SANITIZE_ESC_SHOW removes nothing and shows each ESC as "^[", so
 *    "ESC [ 2 J" reads "^[[2J" (for debugging). A sequence left open at
 *    the end of the line is dropped (each call is one line, no state).
 *  - C1 controls encoded in UTF-8 (C2 80..C2 9F) are treated exactly
 *    like their 7-bit form ESC + (c - 0x40): U+009B is CSI, U+009D OSC,
 *    U+0090 DCS, U+0098 SOS, U+009E PM, U+009F APC; the others are
 *    two-byte escapes. As raw bytes (0x80..0x9F, invalid UTF-8) the six
 *    introducers 0x9B, 0x9D, 0x90, 0x98, 0x9E, 0x9F start a sequence the
 *    same way; other raw bytes in that range become U+FFFD. ST (0x9C raw
 *    or encoded) terminates strings like ESC \.
 *  - Other C0 controls and DEL are shown in caret notation: "^@".."^_",
 *    "^?" (2 columns). So a CR in the middle of a line reads "^M" and
 *    cannot overwrite earlier text; BEL reads "^G", backspace "^H".
 *  - TAB expands to spaces up to the next multiple of 8 columns, counted
 *    from the start of this call's output.
 *  - Invalid UTF-8 (stray continuation bytes, overlongs, surrogates, code
 *    points > U+10FFFF, truncated sequences) becomes U+FFFD, one per
 *    maximal ill-formed subpart (the Unicode recommended practice).
 *  - Bidi controls are stripped: U+202A..U+202E, U+2066..U+2069 and the
 *    marks U+200E, U+200F, U+061C (they reorder text and can spoof it).
 *  - With max_cols and/or max_bytes set, the output is cut so that it
 *    fits, marker included, and ends with "…" (ASCII mode ">").
 *  - ASCII mode: every non-ASCII character (including U+FFFD) becomes
 *    "?", one column each; the output is then pure printable ASCII.
 *
 * Display width: East Asian wide and fullwidth characters and emoji count
 * 2 columns, combining marks and zero-width characters 0, everything else
 * 1 (a compact table of the main ranges, not a full wcwidth). The cut
 * marker "…", "␛" and U+FFFD count 1 ("…" and U+FFFD are East Asian
 * "ambiguous" width: a CJK-configured terminal may draw them 2 wide; use
 * ASCII mode there). */
#ifndef BOTTLE_SANITIZE_H
#define BOTTLE_SANITIZE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum sanitize_esc {
	SANITIZE_ESC_MARK = 0, /* "␛" per removed sequence; colour silent */
	SANITIZE_ESC_DROP,     /* removed without a trace */
	SANITIZE_ESC_SHOW,     /* ESC shown as "^[", the rest as text */
};

struct sanitize_opts {
	size_t max_cols;  /* 0 = no column bound */
	size_t max_bytes; /* 0 = no bound on the bytes appended */
	int ascii;	  /* 1 = printable ASCII output only */
	enum sanitize_esc esc;
};
/* clang-format off */
#define SANITIZE_OPTS_INIT {0, 0, 0, SANITIZE_ESC_MARK}
/* clang-format on */

/* sanitize_line: append the safe form of in[0..len) to out (which stays
 * NUL-terminated); o may be NULL for defaults. Returns the display width
 * in columns of what was appended. Pure: no state across calls. */
size_t sanitize_line(const char *in, size_t len, struct buf *out,
		     const struct sanitize_opts *o);

/* What sanitize_utf8_decode gives for ill-formed input. */
#define SANITIZE_UTF8_BAD 0xFFFFFFFFu

/* sanitize_utf8_decode: the one UTF-8 decoder. One character at p
 * (len >= 1) into *cp; returns the bytes consumed. Ill-formed input
 * (overlong, surrogate, above U+10FFFF, truncated) gives *cp =
 * SANITIZE_UTF8_BAD and the length of the maximal ill-formed subpart (at
 * least 1). */
size_t sanitize_utf8_decode(const unsigned char *p, size_t len, uint32_t *cp);

/* sanitize_utf8_valid: 1 when s[0..len) is entirely valid UTF-8. */
int sanitize_utf8_valid(const char *s, size_t len);

/* sanitize_utf8_encode: code point cp (at most U+10FFFF) as UTF-8 into
 * out (room for 4 bytes); returns the bytes written. */
size_t sanitize_utf8_encode(uint32_t cp, char *out);

/* sanitize_cp_width: display columns of one code point: 0, 1 or 2. */
int sanitize_cp_width(uint32_t cp);

/* sanitize_width: display columns of sanitized UTF-8 text (should an
 * invalid byte or a control character occur, it counts 1). */
size_t sanitize_width(const char *s, size_t len);

/* sanitize_fit: the length in bytes of the longest prefix of the UTF-8
 * text s that fits in max_cols columns without splitting a character
 * (zero-width characters after the last one that fits are kept); its
 * width goes to *cols if cols != NULL. For clipping sanitized lines. */
size_t sanitize_fit(const char *s, size_t len, size_t max_cols, size_t *cols);

#endif
