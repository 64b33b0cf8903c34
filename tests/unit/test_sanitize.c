/* test_sanitize.c: untrusted text becomes safe terminal text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"

#define LIT(s) (s), (sizeof(s) - 1)
#define MARK "\xe2\x90\x9b"  /* ␛ */
#define FFFD "\xef\xbf\xbd"  /* U+FFFD */
#define ELLIP "\xe2\x80\xa6" /* … */

/* sanitize in[0..len) with o; caller frees. *cols gets the width. */
static char *san_opts(const char *in, size_t len, const struct sanitize_opts *o,
		      size_t *cols)
{
	struct buf b = BUF_INIT;
	size_t w = sanitize_line(in, len, &b, o);

	if (cols != NULL)
		*cols = w;
	return buf_detach(&b);
}

static void check(const char *in, size_t len, const char *want)
{
	char *got = san_opts(in, len, NULL, NULL);

	assert_string_equal(got, want);
	free(got);
}

static void check_opts(const char *in, size_t len,
		       const struct sanitize_opts *o, const char *want)
{
	char *got = san_opts(in, len, o, NULL);

	assert_string_equal(got, want);
	free(got);
}

static void plain_text_passes_through_unchanged(void **state)
{
	size_t cols;
	char *got = san_opts(LIT("hello, world: caf\xc3\xa9 \xe2\x82\xac"),
			     NULL, &cols);

	assert_string_equal(got, "hello, world: caf\xc3\xa9 \xe2\x82\xac");
	assert_int_equal(cols, 20);
	free(got);
}

static void osc52_clipboard_write_with_bel_is_removed(void **state)
{
	check(LIT("a\x1b]52;c;cm0gLXJmIH4=\x07z"), "a" MARK "z");
}

static void osc52_clipboard_write_with_st_is_removed(void **state)
{
	check(LIT("a\x1b]52;c;cm0gLXJmIH4=\x1b\\z"), "a" MARK "z");
}

static void
osc_payload_with_0x9c_continuation_byte_is_skipped_whole(void **state)
{
	/* U+201C is E2 80 9C: the 9C must not end the title early */
	check(LIT("\x1b]0;\xe2\x80\x9cpwned\xe2\x80\x9d\x07ok"), MARK "ok");
}

static void osc_is_ended_by_a_new_escape(void **state)
{
	check(LIT("\x1b]0;title\x1b[31mred"), MARK "red");
}

static void csi_clear_screen_is_removed_with_a_marker(void **state)
{
	check(LIT("x\x1b[2Jy\x1b[Hz"), "x" MARK "y" MARK "z");
	check(LIT("\x1b[?1049h\x1b[1;1Hq"), MARK MARK "q");
}

static void sgr_colour_is_removed_silently(void **state)
{
	check(LIT("\x1b[31mred\x1b[0m plain"), "red plain");
	check(LIT("\x1b[38;5;196mX\x1b[m"), "X");
	check(LIT("\x1b[38:2::255:0:0mX"), "X");
	/* tput sgr0 */
	check(LIT("bold\x1b(B\x1b[m."), "bold.");
	/* a private-mode "m" is not plain SGR */
	check(LIT("\x1b[>4;2mX"), MARK "X");
}

static void eight_bit_csi_is_skipped(void **state)
{
	check(LIT("a\x9b"
		  "2Jb"),
	      "a" MARK "b");
	check(LIT("\x9b"
		  "31mred"),
	      "red");
}

static void utf8_encoded_c1_csi_is_skipped(void **state)
{
	check(LIT("a\xc2\x9b"
		  "2Jb"),
	      "a" MARK "b");
	/* NEL (U+0085) is a two-byte escape */
	check(LIT("a\xc2\x85z"), "a" MARK "z");
	/* encoded OSC with encoded ST */
	check(LIT("\xc2\x9d"
		  "52;c;QQ==\xc2\x9cok"),
	      MARK "ok");
}

static void raw_c1_that_starts_nothing_becomes_replacement(void **state)
{
	check(LIT("a\x85z"), "a" FFFD "z");
	check(LIT("\x9cz"), FFFD "z");
}

static void dcs_apc_pm_sos_payloads_are_removed(void **state)
{
	check(LIT("a\x1bPq#0;2;0;0;0#0~~@@\x1b\\b"), "a" MARK "b");
	check(LIT("\x1b_Gf=100,a=T;iVBORw0KGgo=\x1b\\z"), MARK "z");
	check(LIT("\x1b^private\x1b\\z"), MARK "z");
	check(LIT("\x1bXstring\x1b\\z"), MARK "z");
	/* BEL does not end a DCS: the payload goes on to ST */
	check(LIT("\x1bPab\x07"
		  "cd\x1b\\z"),
	      MARK "z");
	/* 8-bit DCS ended by 8-bit ST */
	check(LIT("\x90payload\x9cX"), MARK "X");
	/* CAN aborts a string */
	check(LIT("\x1bPab\x18z"), MARK "z");
}

static void unterminated_sequence_at_end_of_line_is_dropped(void **state)
{
	struct sanitize_opts drop = SANITIZE_OPTS_INIT;

	check(LIT("abc\x1b"), "abc" MARK);
	check(LIT("abc\x1b["), "abc" MARK);
	check(LIT("abc\x1b[12;3"), "abc" MARK);
	check(LIT("abc\x1b]52;c;QUFBQQ=="), "abc" MARK);
	check(LIT("abc\x1bP1$r"), "abc" MARK);
	drop.esc = SANITIZE_ESC_DROP;
	check_opts(LIT("abc\x1b"), &drop, "abc");
	check_opts(LIT("a\x1b]52;c;QQ==\x07"
		       "b\x1b[2Jc"),
		   &drop, "abc");
}

static void two_byte_and_nf_escapes_are_removed(void **state)
{
	check(LIT("a\x1b"
		  "7b\x1b"
		  "8c\x1b"
		  "cd"),
	      "a" MARK "b" MARK "c" MARK "d");
	check(LIT("\x1b(0lqk"), MARK "lqk");
	check(LIT("\x1b#8z"), MARK "z");
}

static void esc_before_a_control_marks_and_shows_the_control(void **state)
{
	check(LIT("\x1b\x07"), MARK "^G");
	check(LIT("\x1b\xc3\xa9"), MARK "\xc3\xa9");
}

struct utf8_case {
	const char *in;
	size_t len;
	const char *want;
};

static void invalid_utf8_becomes_replacement_characters(void **state)
{
	static const struct utf8_case cases[] = {
	    {LIT("\xa0"), FFFD},			    /* stray cont. */
	    {LIT("\xc0\xaf"), FFFD FFFD},		    /* overlong '/' */
	    {LIT("\xc1\xbf"), FFFD FFFD},		    /* overlong */
	    {LIT("\xe0\x80\xaf"), FFFD FFFD FFFD},	    /* overlong */
	    {LIT("\xf0\x80\x80\xaf"), FFFD FFFD FFFD FFFD}, /* overlong */
	    {LIT("\xed\xa0\x80"), FFFD FFFD FFFD},	    /* surrogate */
	    {LIT("\xed\xbf\xbf"), FFFD FFFD FFFD},	    /* surrogate */
	    {LIT("\xf4\xa0\x80\xbf"), FFFD FFFD FFFD FFFD}, /* > U+10FFFF */
	    {LIT("\xf7\xbf\xbf\xbf"), FFFD FFFD FFFD FFFD}, /* > U+10FFFF */
	    /* > U+10FFFF, and the raw 0x90 left over starts a DCS */
	    {LIT("\xf4\x90\x80\x80"), FFFD MARK},
	    {LIT("\xf5\x80"), FFFD FFFD},
	    {LIT("\xfe\xff"), FFFD FFFD},
	    {LIT("\xe2\x82"), FFFD},	  /* truncated at the end */
	    {LIT("\xe2\x82x"), FFFD "x"}, /* truncated mid-line */
	    {LIT("\xf0\x9f\x98"), FFFD},  /* truncated 4-byte */
	    {LIT("\xc3"), FFFD},
	    {LIT("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
	     "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"},	   /* valid */
	    {LIT("\xef\xbf\xbf"), "\xef\xbf\xbf"},	   /* U+FFFF is valid */
	    {LIT("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf"}, /* U+10FFFF */
	};
	size_t i;

	for (i = 0; i < UTIL_NELEM(cases); i++)
		check(cases[i].in, cases[i].len, cases[i].want);
}

static void nul_byte_is_shown_not_a_terminator(void **state)
{
	check(LIT("a\0b"), "a^@b");
}

static void tab_expands_to_the_next_multiple_of_eight(void **state)
{
	size_t cols;
	char *got;

	check(LIT("a\tb"), "a       b");
	check(LIT("12345678\tx"), "12345678        x");
	check(LIT("\t\tx"), "                x");
	/* wide characters count two columns */
	got = san_opts(LIT("\xe4\xb8\xad\tx"), NULL, &cols);
	assert_string_equal(got, "\xe4\xb8\xad      x");
	assert_int_equal(cols, 9);
	free(got);
}

static void bidi_overrides_are_stripped(void **state)
{
	/* "Trojan source": RLO ... PDF */
	check(LIT("access\xe2\x80\xae"
		  "nimda\xe2\x80\xac"
		  "!"),
	      "accessnimda!");
	check(LIT("a\xe2\x81\xa6"
		  "b\xe2\x81\xa9"
		  "c\xe2\x80\x8f"
		  "d"),
	      "abcd");
}

static void carriage_return_cannot_overwrite_earlier_text(void **state)
{
	check(LIT("rm -rf /\rls -l   "), "rm -rf /^Mls -l   ");
}

static void bel_backspace_and_del_are_shown_in_caret_notation(void **state)
{
	size_t cols;
	char *got = san_opts(LIT("a\x07"
				 "b\x08"
				 "c\x7f"
				 "d\x1f"),
			     NULL, &cols);

	assert_string_equal(got, "a^Gb^Hc^?d^_");
	assert_int_equal(cols, 12);
	free(got);
}

static void long_line_is_cut_at_max_cols_with_a_marker(void **state)
{
	struct sanitize_opts o = SANITIZE_OPTS_INIT;
	char line[100];
	size_t cols;
	char *got;

	memset(line, 'a', sizeof line);
	o.max_cols = 10;
	got = san_opts(line, sizeof line, &o, &cols);
	assert_string_equal(got, "aaaaaaaaa" ELLIP);
	assert_int_equal(cols, 10);
	free(got);
	/* exactly max_cols wide: no cut */
	got = san_opts(line, 10, &o, &cols);
	assert_string_equal(got, "aaaaaaaaaa");
	assert_int_equal(cols, 10);
	free(got);
	/* a caret pair is never split */
	check_opts(LIT("abcdefgh\x01xyz"), &o, "abcdefgh" ELLIP);
	/* trailing escapes that vanish do not force a cut */
	check_opts(LIT("aaaaaaaaaa\x1b[0m"), &o, "aaaaaaaaaa");
	o.max_cols = 1;
	check_opts(LIT("ab"), &o, ELLIP);
}

static void wide_characters_are_cut_without_overflowing(void **state)
{
	struct sanitize_opts o = SANITIZE_OPTS_INIT;
	size_t cols;
	char *got;

	o.max_cols = 5;
	got = san_opts(LIT("\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97\xe7\xac\xa6"),
		       &o, &cols);
	assert_string_equal(got, "\xe4\xb8\xad\xe6\x96\x87" ELLIP);
	assert_int_equal(cols, 5);
	free(got);
	o.max_cols = 4;
	got = san_opts(LIT("\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97"), &o, &cols);
	assert_string_equal(got, "\xe4\xb8\xad" ELLIP);
	assert_int_equal(cols, 3);
	free(got);
	/* an emoji is two columns */
	assert_int_equal(sanitize_width(LIT("\xf0\x9f\x98\x80x")), 3);
}

static void combining_marks_take_no_column(void **state)
{
	struct sanitize_opts o = SANITIZE_OPTS_INIT;
	size_t cols;
	char *got;

	assert_int_equal(sanitize_width(LIT("e\xcc\x81")), 1);
	o.max_cols = 3;
	/* the accent stays with its letter */
	got = san_opts(LIT("ab\xcc\x81"
			   "c"),
		       &o, &cols);
	assert_string_equal(got, "ab\xcc\x81"
				 "c");
	assert_int_equal(cols, 3);
	free(got);
}

static void max_bytes_bounds_the_output_with_the_marker(void **state)
{
	struct sanitize_opts o = SANITIZE_OPTS_INIT;
	char *got;

	o.max_bytes = 8;
	got =
	    san_opts(LIT("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"), &o, NULL);
	assert_string_equal(got, "\xc3\xa9\xc3\xa9" ELLIP);
	assert_true(strlen(got) <= 8);
	free(got);
	o.max_bytes = 5;
	check_opts(LIT("abcdefgh"), &o, "ab" ELLIP);
	check_opts(LIT("abcde"), &o, "abcde");
	/* too small for the marker: keep what fits, unmarked */
	o.max_bytes = 2;
	check_opts(LIT("abc"), &o, "ab");
}

static void ascii_mode_replaces_all_non_ascii(void **state)
{
	struct sanitize_opts o = SANITIZE_OPTS_INIT;
	size_t cols;
	char *got;

	o.ascii = 1;
	got =
	    san_opts(LIT("h\xc3\xa9llo \xe4\xb8\xad \xff\x1b[2J!"), &o, &cols);
	assert_string_equal(got, "h?llo ? ?^[!");
	assert_int_equal(cols, 12);
	free(got);
	o.max_cols = 6;
	check_opts(LIT("\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad"
		       "abcd"),
		   &o, "????a>");
}

static void show_mode_makes_escapes_readable(void **state)
{
	struct sanitize_opts o = SANITIZE_OPTS_INIT;

	o.esc = SANITIZE_ESC_SHOW;
	check_opts(LIT("\x1b[2J"), &o, "^[[2J");
	check_opts(LIT("\x1b]52;c;QQ==\x07"), &o, "^[]52;c;QQ==^G");
	check_opts(LIT("\x9b"
		       "1m"),
		   &o, "^[[1m");
	check_opts(LIT("\xc2\x9d"
		       "0;t\xc2\x9c"),
		   &o, "^[]0;t^[\\");
}

static void output_is_appended_and_bounded_on_its_own(void **state)
{
	struct sanitize_opts o = SANITIZE_OPTS_INIT;
	struct buf b = BUF_INIT;
	size_t cols;

	buf_adds(&b, "prefix: ");
	o.max_cols = 4;
	cols = sanitize_line(LIT("abcdef"), &b, &o);
	assert_string_equal(b.data, "prefix: abc" ELLIP);
	assert_int_equal(cols, 4);
	buf_release(&b);
}

static void empty_input_gives_empty_string(void **state)
{
	struct buf b = BUF_INIT;

	assert_int_equal(sanitize_line("", 0, &b, NULL), 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	buf_release(&b);
}

static void fit_finds_the_prefix_for_a_column_count(void **state)
{
	size_t cols;

	assert_int_equal(sanitize_fit(LIT("abcdef"), 3, &cols), 3);
	assert_int_equal(cols, 3);
	/* never half a wide character */
	assert_int_equal(sanitize_fit(LIT("a\xe4\xb8\xad"
					  "b"),
				      2, &cols),
			 1);
	assert_int_equal(cols, 1);
	/* zero-width marks after the last character that fits are kept */
	assert_int_equal(sanitize_fit(LIT("ae\xcc\x81x"), 2, &cols), 4);
	assert_int_equal(cols, 2);
	assert_int_equal(sanitize_fit(LIT("abc"), 10, NULL), 3);
}

static void widths_of_code_points(void **state)
{
	assert_int_equal(sanitize_cp_width('a'), 1);
	assert_int_equal(sanitize_cp_width(0x4E2D), 2);	 /* 中 */
	assert_int_equal(sanitize_cp_width(0xAC00), 2);	 /* 가 */
	assert_int_equal(sanitize_cp_width(0xFF21), 2);	 /* Ａ */
	assert_int_equal(sanitize_cp_width(0x1F600), 2); /* 😀 */
	assert_int_equal(sanitize_cp_width(0x0301), 0);
	assert_int_equal(sanitize_cp_width(0x200B), 0);
	assert_int_equal(sanitize_cp_width(0x2026), 1);
	assert_int_equal(sanitize_cp_width(0x00E9), 1);
}

/* sanitize_utf8_decode/valid: the one UTF-8 decoder (smolfile.c's
 * validity check too). */
static void utf8_decoder_is_strict(void **state)
{
	static const char *const good[] = {
	    "plain ascii", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	    "\xf4\x8f\xbf\xbf", /* U+10FFFF */
	};
	static const char *const bad[] = {
	    "\xc0\x80",		/* overlong NUL */
	    "\xe0\x9f\xbf",	/* overlong */
	    "\xf0\x8f\xbf\xbf", /* overlong */
	    "\xed\xa0\x80",	/* surrogate */
	    "\xf4\x90\x80\x80", /* above U+10FFFF */
	    "\xe2\x82",		/* truncated */
	    "ok\x80",		/* lone continuation */
	    "\xf5\x80\x80\x80", /* no such lead byte */
	};
	const unsigned char *p = (const unsigned char *)"\xe2\x82\xac\xe2\x82";
	uint32_t cp;
	size_t i;

	(void)state;
	for (i = 0; i < UTIL_NELEM(good); i++)
		assert_true(sanitize_utf8_valid(good[i], strlen(good[i])));
	for (i = 0; i < UTIL_NELEM(bad); i++)
		assert_false(sanitize_utf8_valid(bad[i], strlen(bad[i])));
	assert_true(sanitize_utf8_valid("", 0));
	assert_int_equal(sanitize_utf8_decode(p, 5, &cp), 3);
	assert_int_equal(cp, 0x20ac);
	/* the maximal ill-formed subpart: both bytes of a cut sequence */
	assert_int_equal(sanitize_utf8_decode(p + 3, 2, &cp), 2);
	assert_int_equal(cp, SANITIZE_UTF8_BAD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(plain_text_passes_through_unchanged),
	    cmocka_unit_test(osc52_clipboard_write_with_bel_is_removed),
	    cmocka_unit_test(osc52_clipboard_write_with_st_is_removed),
	    cmocka_unit_test(
		osc_payload_with_0x9c_continuation_byte_is_skipped_whole),
	    cmocka_unit_test(osc_is_ended_by_a_new_escape),
	    cmocka_unit_test(csi_clear_screen_is_removed_with_a_marker),
	    cmocka_unit_test(sgr_colour_is_removed_silently),
	    cmocka_unit_test(eight_bit_csi_is_skipped),
	    cmocka_unit_test(utf8_encoded_c1_csi_is_skipped),
	    cmocka_unit_test(raw_c1_that_starts_nothing_becomes_replacement),
	    cmocka_unit_test(dcs_apc_pm_sos_payloads_are_removed),
	    cmocka_unit_test(unterminated_sequence_at_end_of_line_is_dropped),
	    cmocka_unit_test(two_byte_and_nf_escapes_are_removed),
	    cmocka_unit_test(esc_before_a_control_marks_and_shows_the_control),
	    cmocka_unit_test(invalid_utf8_becomes_replacement_characters),
	    cmocka_unit_test(utf8_decoder_is_strict),
	    cmocka_unit_test(nul_byte_is_shown_not_a_terminator),
	    cmocka_unit_test(tab_expands_to_the_next_multiple_of_eight),
	    cmocka_unit_test(bidi_overrides_are_stripped),
	    cmocka_unit_test(carriage_return_cannot_overwrite_earlier_text),
	    cmocka_unit_test(bel_backspace_and_del_are_shown_in_caret_notation),
	    cmocka_unit_test(long_line_is_cut_at_max_cols_with_a_marker),
	    cmocka_unit_test(wide_characters_are_cut_without_overflowing),
	    cmocka_unit_test(combining_marks_take_no_column),
	    cmocka_unit_test(max_bytes_bounds_the_output_with_the_marker),
	    cmocka_unit_test(ascii_mode_replaces_all_non_ascii),
	    cmocka_unit_test(show_mode_makes_escapes_readable),
	    cmocka_unit_test(output_is_appended_and_bounded_on_its_own),
	    cmocka_unit_test(empty_input_gives_empty_string),
	    cmocka_unit_test(fit_finds_the_prefix_for_a_column_count),
	    cmocka_unit_test(widths_of_code_points),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
