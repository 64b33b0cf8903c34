/* tests/unit/tmp-tree.h: rm_tree, removing a scratch directory tree the
 * test made (no symlink followed); included by one test file each, after
 * cmocka.h. */
#ifndef BOTTLE_TEST_TMP_TREE_H
#define BOTTLE_TEST_TMP_TREE_H

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* rm_tree: DIR and everything under it, or the test fails */
static void rm_tree(const char *dir)
{
	assert_int_equal(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

#endif
