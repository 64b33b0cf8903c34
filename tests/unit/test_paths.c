/* test_paths.c: the search path bottle keeps (absolute entries only). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "paths.h"

static void check(const char *in, const char *want)
{
	char *got = paths_clean_search(in);

	assert_string_equal(got, want);
	free(got);
}

/* empty and relative entries would make bottle run ./docker */
static void test_clean_search_keeps_absolute_entries(void **state)
{
	(void)state;
	check("/usr/local/bin:/usr/bin:/bin", "/usr/local/bin:/usr/bin:/bin");
	check(":/usr/bin", "/usr/bin");
	check("/usr/bin:", "/usr/bin");
	check("/usr/bin::/bin", "/usr/bin:/bin");
	check(".:/usr/bin:bin:./x:../y", "/usr/bin");
	check("", "");
	check(NULL, "");
	check(":::", "");
}

static void test_secure_search_path_sets_the_environment(void **state)
{
	(void)state;
	setenv("PATH", ":.:/usr/bin:tools", 1);
	paths_secure_search_path();
	assert_string_equal(getenv("PATH"), "/usr/bin");
	setenv("PATH", "::", 1);
	paths_secure_search_path();
	assert_string_equal(getenv("PATH"), "/usr/bin:/bin");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clean_search_keeps_absolute_entries),
	    cmocka_unit_test(test_secure_search_path_sets_the_environment),
	};

	return cmocka_run_group_tests_name("paths", tests, NULL, NULL);
}
