/* test_ui_prompt.c: the line editor, shell-like word splitting (nothing is
 * ever given to a shell) and the : command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "prompt.h"
#include "util.h"

static void type(struct prompt *p, const char *s)
{
	for (; *s != '\0'; s++)
		assert_int_equal(prompt_key(p, (unsigned char)*s),
				 PROMPT_EDITING);
}

static void typing_edits_at_the_cursor(void **state)
{
	struct prompt p = {0};

	prompt_open(&p, PROMPT_EXEC, "exec in web: ", "web", NULL);
	type(&p, "echo hi");
	assert_string_equal(prompt_text(&p), "echo hi");
	prompt_key(&p, KEYS_FN(KEY_LEFT));
	prompt_key(&p, KEYS_FN(KEY_LEFT));
	type(&p, "X");
	assert_string_equal(prompt_text(&p), "echo Xhi");
	prompt_key(&p, KEYS_FN(KEY_BACKSPACE));
	assert_string_equal(prompt_text(&p), "echo hi");
	prompt_key(&p, KEYS_CTRL('a'));
	prompt_key(&p, KEYS_FN(KEY_DC));
	assert_string_equal(prompt_text(&p), "cho hi");
	prompt_key(&p, KEYS_FN(KEY_END));
	prompt_key(&p, KEYS_CTRL('w'));
	assert_string_equal(prompt_text(&p), "cho ");
	prompt_key(&p, KEYS_CTRL('u'));
	assert_string_equal(prompt_text(&p), "");
	prompt_close(&p);
	assert_int_equal(p.kind, PROMPT_NONE);
}

static void enter_submits_and_escape_cancels(void **state)
{
	struct prompt p = {0};

	prompt_open(&p, PROMPT_COMMAND, ":", NULL, "up web");
	assert_int_equal(prompt_key(&p, '\r'), PROMPT_SUBMIT);
	assert_string_equal(prompt_text(&p), "up web");
	assert_int_equal(prompt_key(&p, KEYS_ESC), PROMPT_CANCEL);
	prompt_close(&p);
}

static void backspace_on_an_empty_line_cancels_but_not_a_filter(void **state)
{
	struct prompt p = {0};

	prompt_open(&p, PROMPT_COMMAND, ":", NULL, NULL);
	assert_int_equal(prompt_key(&p, 0x7f), PROMPT_CANCEL);
	prompt_open(&p, PROMPT_FILTER, "filter: ", NULL, NULL);
	assert_int_equal(prompt_key(&p, 0x7f), PROMPT_EDITING);
	prompt_close(&p);
}

static void utf8_is_inserted_and_deleted_whole(void **state)
{
	struct prompt p = {0};

	prompt_open(&p, PROMPT_SEARCH, "search: ", NULL, NULL);
	prompt_key(&p, 0x00e9); /* é */
	prompt_key(&p, 0x2713); /* ✓ */
	prompt_key(&p, 0x1F600);
	assert_string_equal(prompt_text(&p), "é✓\xF0\x9F\x98\x80");
	prompt_key(&p, KEYS_FN(KEY_LEFT));
	prompt_key(&p, KEYS_FN(KEY_BACKSPACE));
	assert_string_equal(prompt_text(&p), "é\xF0\x9F\x98\x80");
	prompt_close(&p);
}

static void control_characters_never_enter_the_line(void **state)
{
	struct prompt p = {0};

	prompt_open(&p, PROMPT_EXEC, "", "x", NULL);
	prompt_key(&p, 0x07);
	prompt_key(&p, 0x9b);
	prompt_key(&p, 0xD800);
	assert_string_equal(prompt_text(&p), "");
	prompt_close(&p);
}

static void confirmation_takes_only_y(void **state)
{
	struct prompt p = {0};

	prompt_open(&p, PROMPT_CONFIRM, "remove web? ", "web", NULL);
	assert_int_equal(prompt_key(&p, 'y'), PROMPT_SUBMIT);
	assert_int_equal(prompt_key(&p, 'n'), PROMPT_CANCEL);
	assert_int_equal(prompt_key(&p, '\r'), PROMPT_CANCEL);
	assert_int_equal(prompt_key(&p, 'Y'), PROMPT_SUBMIT);
	prompt_close(&p);
}

static void check_split(const char *line, size_t n, ...)
{
	struct strv w = STRV_INIT;
	char *cause = NULL;
	va_list ap;
	size_t i;

	assert_int_equal(prompt_split(line, &w, &cause), 0);
	assert_int_equal(w.n, n);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		assert_string_equal(w.v[i], va_arg(ap, const char *));
	va_end(ap);
	strv_release(&w);
}

static void split_quotes_like_a_shell_without_expanding(void **state)
{
	check_split("sh -c 'echo hi; exit 3'", 3, "sh", "-c",
		    "echo hi; exit 3");
	check_split("  a   b  ", 2, "a", "b");
	check_split("echo \"a \\\"b\\\" $HOME\"", 2, "echo", "a \"b\" $HOME");
	check_split("echo \"\\n\"", 2, "echo", "\\n");
	check_split("a\\ b c", 2, "a b", "c");
	check_split("x '' \"\"", 3, "x", "", "");
	check_split("ab'c d'e", 1, "abc de");
	check_split("", 0);
	check_split("$(reboot) `id` *", 3, "$(reboot)", "`id`", "*");
}

/* An input the parser must refuse, and why. */
struct bad_input {
	const char *text;
	const char *want; /* the cause, or a part of it; NULL: any cause */
	int part;	  /* want is only a part of the cause */
};

/* cause is the one bad wants; frees cause. */
static void check_cause(const struct bad_input *bad, char *cause)
{
	if (bad->want != NULL && bad->part)
		assert_non_null(strstr(cause, bad->want));
	else if (bad->want != NULL)
		assert_string_equal(cause, bad->want);
	free(cause);
}

static void split_rejects_unterminated_quotes(void **state)
{
	static const struct bad_input bad[] = {
	    {"echo 'oops", "unterminated quote", 0},
	    {"echo \"oops", NULL, 0},
	    {"echo \\", "trailing backslash", 0},
	};
	struct strv w = STRV_INIT;
	size_t i;

	for (i = 0; i < UTIL_NELEM(bad); i++) {
		char *cause = NULL;
		assert_int_equal(prompt_split(bad[i].text, &w, &cause), -1);
		check_cause(&bad[i], cause);
	}
	strv_release(&w);
}

static void commands_name_an_action_and_a_bottle(void **state)
{
	struct prompt_command c;
	char *cause = NULL;

	assert_int_equal(prompt_command_parse(":up web", &c, &cause), 0);
	assert_int_equal(c.action, KEYS_BUP);
	assert_string_equal(c.name, "web");
	prompt_command_release(&c);
	assert_int_equal(prompt_command_parse("down web", &c, &cause), 0);
	assert_int_equal(c.action, KEYS_BDOWN);
	prompt_command_release(&c);
	assert_int_equal(prompt_command_parse(":q", &c, &cause), 0);
	assert_int_equal(c.action, KEYS_QUIT);
	assert_null(c.name);
	prompt_command_release(&c);
	assert_int_equal(prompt_command_parse("probe", &c, &cause), 0);
	assert_int_equal(c.action, KEYS_PROBE);
	assert_null(c.name);
	prompt_command_release(&c);
	assert_int_equal(
	    prompt_command_parse("exec web sh -c 'exit 3'", &c, &cause), 0);
	assert_int_equal(c.action, KEYS_EXEC);
	assert_string_equal(c.name, "web");
	assert_int_equal(c.args.n, 3);
	assert_string_equal(c.args.v[2], "exit 3");
	prompt_command_release(&c);
}

static void bad_commands_say_why(void **state)
{
	static const struct bad_input bad[] = {
	    {":frobnicate", "unknown command: frobnicate", 1},
	    {":q now", "takes no argument", 1},
	    {":up a b", NULL, 0},
	    {":", "empty command", 0},
	};
	struct prompt_command c;
	size_t i;

	for (i = 0; i < UTIL_NELEM(bad); i++) {
		char *cause = NULL;
		assert_int_equal(prompt_command_parse(bad[i].text, &c, &cause),
				 -1);
		check_cause(&bad[i], cause);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(typing_edits_at_the_cursor),
	    cmocka_unit_test(enter_submits_and_escape_cancels),
	    cmocka_unit_test(
		backspace_on_an_empty_line_cancels_but_not_a_filter),
	    cmocka_unit_test(utf8_is_inserted_and_deleted_whole),
	    cmocka_unit_test(control_characters_never_enter_the_line),
	    cmocka_unit_test(confirmation_takes_only_y),
	    cmocka_unit_test(split_quotes_like_a_shell_without_expanding),
	    cmocka_unit_test(split_rejects_unterminated_quotes),
	    cmocka_unit_test(commands_name_an_action_and_a_bottle),
	    cmocka_unit_test(bad_commands_say_why),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
