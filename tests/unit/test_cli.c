/* test_cli.c: the option parsing the verbs share (cli_getopt): options
 * named as the user typed them, whatever getopt_long makes of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "cli.h"

static const struct option test_opts[] = {
    {"env", required_argument, NULL, 'e'},
    {"timeout", required_argument, NULL, CLI_OPT_LONG},
    {"json", no_argument, NULL, CLI_OPT_LONG + 1},
    {NULL, 0, NULL, 0},
};

/* run: cli_getopt over words until it returns what it returns for the
 * last; *typed as it said. */
static int run(int argc, char **argv, const char *shortopts, const char **typed)
{
	int c;

	optind = 0;
	*typed = NULL;
	while ((c = cli_getopt(argc, argv, shortopts, test_opts, typed)) != -1)
		if (c == '?' || c == ':')
			return c;
	return c;
}

/* An unknown option ('?') or a missing value (':') is named as typed. */
static void options_are_named_as_typed(void **state)
{
	static const struct {
		const char *word;
		int want;
		const char *typed;
	} cases[] = {
	    {"--bogus=1", '?', "--bogus=1"},
	    {"-x", '?', "-x"},
	    /* a known long option given a value it does not take */
	    {"--json=yes", '?', "--json=yes"},
	    {"-e", ':', "-e"},
	    {"--env", ':', "--env"},
	    {"--timeout", ':', "--timeout"},
	};
	const char *typed;
	size_t i;

	(void)state;
	for (i = 0; i < UTIL_NELEM(cases); i++) {
		char *argv[] = {"verb", "--json", (char *)cases[i].word, NULL};
		assert_int_equal(run(3, argv, "+:e:", &typed), cases[i].want);
		assert_string_equal(typed, cases[i].typed);
	}
}

static void values_and_order(void **state)
{
	char *a[] = {"verb", "--env=K=V", "name", "-e", "A=B", NULL};
	const char *typed = NULL;

	(void)state;
	optind = 0;
	assert_int_equal(cli_getopt(5, a, "+:e:", test_opts, &typed), 'e');
	assert_string_equal(optarg, "K=V");
	/* "+": the first word that is no option ends the options */
	assert_int_equal(cli_getopt(5, a, "+:e:", test_opts, &typed), -1);
	assert_int_equal(optind, 2);
	optind = 3; /* past NAME, as cli-exec does */
	assert_int_equal(cli_getopt(5, a, "+:e:", test_opts, &typed), 'e');
	assert_string_equal(optarg, "A=B");
	assert_int_equal(cli_getopt(5, a, "+:e:", test_opts, &typed), -1);
	assert_int_equal(optind, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(options_are_named_as_typed),
	    cmocka_unit_test(values_and_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
