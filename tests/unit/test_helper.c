/* test_helper.c: each bottle's own copy of the probe helper, made and
 * checked against the digest built into bottle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmp-tree.h"

#include "helper.h"
#include "sha256.h"
#include "util.h"

struct fx {
	char dir[64];
	char *src;  /* DIR/src/bottle-probe: a helper of the test's own */
	char *want; /* its digest */
	char *state;
};

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *slurp(const char *path)
{
	char *data = NULL, *cause = NULL;
	size_t len = 0;

	if (util_read_file(path, &data, &len, &cause) != 0) {
		free(cause);
		return NULL;
	}
	return data;
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);
	char hex[SHA256_HEX_LEN + 1], *sdir;
	const char *body = "#!/bin/sh\necho a stand-in helper\n";

	snprintf(f->dir, sizeof f->dir, "/tmp/test_helper.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	sdir = xasprintf("%s/src", f->dir);
	assert_int_equal(mkdir(sdir, 0755), 0);
	f->src = xasprintf("%s/bottle-probe", sdir);
	free(sdir);
	put(f->src, body);
	sha256_buf(body, strlen(body), hex);
	f->want = xstrdup(hex);
	f->state = xasprintf("%s/state", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rm_tree(f->dir);
	free(f->src);
	free(f->want);
	free(f->state);
	free(f);
	return 0;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

/* the copy: STATE/NAME/helper/bottle-probe, same bytes, 0755 in a 0755
 * directory inside the bottle's 0700 one; it verifies */
static void test_prepare_copies_and_verifies(void **state)
{
	struct fx *f = *state;
	char *dir = NULL, *cause = NULL, *copy, *a, *b, *bdir, *hdir;

	assert_int_equal(
	    helper_prepare_from(f->src, f->want, f->state, "web", &dir, &cause),
	    0);
	assert_null(cause);
	bdir = xasprintf("%s/web", f->state);
	copy = xasprintf("%s/web/helper/bottle-probe", f->state);
	hdir = xasprintf("%s/web/helper", f->state);
	assert_string_equal(dir, hdir);
	free(hdir);
	a = slurp(f->src);
	b = slurp(copy);
	assert_non_null(b);
	assert_string_equal(a, b);
	assert_int_equal(mode_of(copy), 0755);
	assert_int_equal(mode_of(dir), 0755);
	assert_int_equal(mode_of(bdir), 0700);
	assert_int_equal(helper_verify_with(f->state, "web", f->want, &cause),
			 0);
	/* again: the copy is rewritten, still verified */
	free(dir);
	assert_int_equal(
	    helper_prepare_from(f->src, f->want, f->state, "web", &dir, &cause),
	    0);
	free(a);
	free(b);
	free(copy);
	free(bdir);
	free(dir);
}

/* a source that is not the helper bottle was built with: refused, with
 * the path and the advice, and no copy made */
static void test_prepare_refuses_a_changed_source(void **state)
{
	struct fx *f = *state;
	char *dir = NULL, *cause = NULL, *copy;

	put(f->src, "#!/bin/sh\necho result=connected\n");
	assert_int_equal(
	    helper_prepare_from(f->src, f->want, f->state, "web", &dir, &cause),
	    -1);
	assert_null(dir);
	assert_non_null(strstr(cause, f->src));
	assert_non_null(strstr(cause, "does not match the digest built into "
				      "bottle; reinstall bottle"));
	free(cause);
	copy = xasprintf("%s/web/helper/bottle-probe", f->state);
	assert_int_not_equal(access(copy, F_OK), 0);
	free(copy);
}

/* the copy changed after it was made (a byte appended, or replaced by a
 * symlink to a good file): verify fails and says which file */
static void test_verify_catches_a_changed_copy(void **state)
{
	struct fx *f = *state;
	char *dir = NULL, *cause = NULL, *copy;
	FILE *fp;

	assert_int_equal(
	    helper_prepare_from(f->src, f->want, f->state, "web", &dir, &cause),
	    0);
	copy = xasprintf("%s/bottle-probe", dir);
	fp = fopen(copy, "a");
	assert_non_null(fp);
	fputc('x', fp);
	fclose(fp);
	assert_int_equal(helper_verify_with(f->state, "web", f->want, &cause),
			 -1);
	assert_non_null(strstr(cause, copy));
	assert_non_null(strstr(cause, "does not match the digest"));
	free(cause);
	cause = NULL;
	assert_int_equal(unlink(copy), 0);
	assert_int_equal(symlink(f->src, copy), 0);
	assert_int_equal(helper_verify_with(f->state, "web", f->want, &cause),
			 -1);
	assert_non_null(strstr(cause, "symlink"));
	free(cause);
	cause = NULL;
	/* a good copy of the stand-in is still not the helper bottle was
	 * built with */
	assert_int_equal(unlink(copy), 0);
	free(dir);
	assert_int_equal(
	    helper_prepare_from(f->src, f->want, f->state, "web", &dir, &cause),
	    0);
	free(dir);
	assert_int_equal(helper_verify(f->state, "web", &cause), -1);
	free(cause);
	free(copy);
}

/* a symlink planted as the helper directory is refused, its target left
 * alone; stray files in the directory are removed (the VM mounts it) */
static void test_prepare_refuses_symlinked_dir(void **state)
{
	struct fx *f = *state;
	char *dir = NULL, *cause = NULL, *bdir, *hdir, *target, *stray;

	bdir = xasprintf("%s/web", f->state);
	hdir = xasprintf("%s/helper", bdir);
	target = xasprintf("%s/elsewhere", f->dir);
	assert_int_equal(mkdir(f->state, 0700), 0);
	assert_int_equal(mkdir(bdir, 0700), 0);
	assert_int_equal(mkdir(target, 0755), 0);
	assert_int_equal(symlink(target, hdir), 0);
	assert_int_equal(
	    helper_prepare_from(f->src, f->want, f->state, "web", &dir, &cause),
	    -1);
	assert_non_null(strstr(cause, "symlink"));
	free(cause);
	cause = NULL;
	stray = xasprintf("%s/bottle-probe", target);
	assert_int_not_equal(access(stray, F_OK), 0);
	free(stray);
	/* a real directory with a leftover temporary file */
	assert_int_equal(unlink(hdir), 0);
	assert_int_equal(mkdir(hdir, 0755), 0);
	stray = xasprintf("%s/.bottle-probe.1.tmp", hdir);
	put(stray, "left over");
	assert_int_equal(
	    helper_prepare_from(f->src, f->want, f->state, "web", &dir, &cause),
	    0);
	assert_int_not_equal(access(stray, F_OK), 0);
	free(stray);
	free(dir);
	free(target);
	free(hdir);
	free(bdir);
}

/* the digest compiled in is the helper the Makefile built, and
 * helper_prepare copies that helper */
static void test_built_in_digest_is_the_built_helper(void **state)
{
	struct fx *f = *state;
	char hex[SHA256_HEX_LEN + 1], *cause = NULL, *dir = NULL;

	assert_int_equal(strlen(helper_digest), SHA256_HEX_LEN);
	assert_int_equal(helper_file_digest(BOTTLE_SRCDIR
					    "/build/helper/bottle-probe",
					    hex, &cause),
			 0);
	assert_string_equal(hex, helper_digest);
	assert_int_equal(helper_prepare(f->state, "web", &dir, &cause), 0);
	assert_null(cause);
	assert_int_equal(helper_verify(f->state, "web", &cause), 0);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_prepare_copies_and_verifies,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_prepare_refuses_a_changed_source, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verify_catches_a_changed_copy,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prepare_refuses_symlinked_dir,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_built_in_digest_is_the_built_helper, setup, teardown),
	};

	return cmocka_run_group_tests_name("helper", tests, NULL, NULL);
}
