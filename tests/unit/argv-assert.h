/* tests/unit/argv-assert.h: exact checks of the argv a builder returns,
 * for the unit tests of the argv builders (test_docker, test_smolvm);
 * included after cmocka.h and strv.h. */
#ifndef BOTTLE_TEST_ARGV_ASSERT_H
#define BOTTLE_TEST_ARGV_ASSERT_H

/* Assert that argv is exactly the NULL-terminated words. */
static void assert_argv(const struct strv *argv, const char *const *words)
{
	size_t i;

	for (i = 0; words[i] != NULL; i++) {
		if (i >= argv->n)
			fail_msg("argv has %zu words, want more: %s", argv->n,
				 words[i]);
		assert_string_equal(argv->v[i], words[i]);
	}
	assert_int_equal(argv->n, i);
	assert_null(argv->v[argv->n]);
}

/* ASSERT_ARGV(call, words...): the strv call returns is exactly words. */
#define ASSERT_ARGV(call, ...)                                                 \
	do {                                                                   \
		struct strv a_ = call;                                         \
		const char *const w_[] = {__VA_ARGS__, NULL};                  \
		assert_argv(&a_, w_);                                          \
		strv_release(&a_);                                             \
	} while (0)

#endif
