/* helper.c: each bottle's own verified copy of the probe helper (see
 * helper.h).
 *
 * Every file is opened with O_NOFOLLOW below a directory opened with
 * O_DIRECTORY|O_NOFOLLOW and checked (ours, a directory, not writable by
 * others), so a symlink planted in the bottle's directory is refused
 * rather than followed. The helper is read once into memory: the digest
 * is of the bytes that are then written, never of a file read twice. */
#include "helper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"
#include "sha256.h"
#include "state.h"
#include "util.h"

#define HELPER_MAX ((size_t)64 << 20) /* a static helper is ~1 MB */

static int helper_mismatch(const char *path, char **cause)
{
	return util_fail(cause,
			 "probe helper %s does not match the digest built "
			 "into bottle; reinstall bottle",
			 path);
}

/* helper_read_fd: the whole regular file fd into *data (caller frees). */
static int helper_read_fd(int fd, const char *path, char **data, size_t *len,
			  char **cause)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	char *buf;

	if (fstat(fd, &st) != 0)
		return util_fail(cause, "probe helper %s: %s", path,
				 strerror(errno));
	if (!S_ISREG(st.st_mode))
		return util_fail(cause, "probe helper %s: not a regular file",
				 path);
	if ((uint64_t)st.st_size > HELPER_MAX)
		return util_fail(cause,
				 "probe helper %s: larger than %zu bytes", path,
				 HELPER_MAX);
	buf = xmalloc((size_t)st.st_size + 1);
	for (;;) {
		n = read(fd, buf + got, (size_t)st.st_size + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return util_fail(cause, "probe helper %s: %s", path,
					 strerror(errno));
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > (size_t)st.st_size) {
			free(buf);
			return util_fail(
			    cause, "probe helper %s: changed while read", path);
		}
	}
	*data = buf;
	*len = got;
	return 0;
}

/* helper_read_at: dirfd/file (O_NOFOLLOW) into *data; path names it. */
static int helper_read_at(int dirfd, const char *file, const char *path,
			  char **data, size_t *len, char **cause)
{
	int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc;

	if (fd < 0)
		return util_fail(cause, "probe helper %s: %s", path,
				 errno == ELOOP ? "a symlink"
						: strerror(errno));
	rc = helper_read_fd(fd, path, data, len, cause);
	close(fd);
	return rc;
}

int helper_file_digest(const char *path, char hex[65], char **cause)
{
	char *data = NULL;
	size_t len = 0;

	if (helper_read_at(AT_FDCWD, path, path, &data, &len, cause) != 0)
		return -1;
	sha256_buf(data, len, hex);
	free(data);
	return 0;
}

/* helper_open_dir: dirfd/name as a directory of ours that nobody else
 * may write (never through a symlink); -1 with *cause. */
static int helper_open_dir(int dirfd, const char *name, const char *path,
			   char **cause)
{
	int fd = openat(dirfd, name,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0) {
		util_fail(cause, "probe helper: %s: %s", path,
			  errno == ELOOP || errno == ENOTDIR
			      ? "not a directory (a symlink?)"
			      : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || st.st_uid != geteuid() ||
	    (st.st_mode & 022) != 0) {
		close(fd);
		util_fail(cause,
			  "probe helper: %s: not a directory of uid %u that "
			  "only it can write",
			  path, (unsigned)geteuid());
		return -1;
	}
	return fd;
}

/* helper_open_bottle_dir: STATE/NAME, made 0700 when missing. */
static int helper_open_bottle_dir(const char *state_dir, const char *name,
				  char **cause)
{
	char *bdir = state_bottle_dir(state_dir, name), *inner = NULL;
	int fd;

	if (util_mkdir_p(bdir, 0700, &inner) != 0) {
		util_fail(cause, "probe helper: %s", inner);
		free(inner);
		free(bdir);
		return -1;
	}
	fd = helper_open_dir(AT_FDCWD, bdir, bdir, cause);
	free(bdir);
	return fd;
}

/* helper_clear: remove what else lies in the helper directory (a
 * temporary file an interrupted copy left): the VM mounts all of it. */
static int helper_clear(int hfd, const char *hdir, char **cause)
{
	int dfd = dup(hfd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *e;
	int rc = 0;

	if (d == NULL) {
		if (dfd >= 0)
			close(dfd);
		return util_fail(cause, "probe helper: %s: %s", hdir,
				 strerror(errno));
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0 ||
		    strcmp(e->d_name, HELPER_FILE) == 0)
			continue;
		if (unlinkat(hfd, e->d_name, 0) != 0)
			rc = util_fail(cause,
				       "probe helper: %s/%s: cannot remove: %s",
				       hdir, e->d_name, strerror(errno));
	}
	closedir(d);
	return rc;
}

/* helper_write_copy: data into hfd/bottle-probe through a new temporary
 * file (O_EXCL, O_NOFOLLOW, 0755) and a rename. */
static int helper_write_copy(int hfd, const char *hdir, const char *data,
			     size_t len, char **cause)
{
	char tmp[64];
	size_t done = 0;
	ssize_t n;
	int fd, err = 0;

	snprintf(tmp, sizeof tmp, ".%s.%ld.tmp", HELPER_FILE, (long)getpid());
	(void)unlinkat(hfd, tmp, 0);
	fd = openat(hfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0700);
	if (fd < 0)
		return util_fail(cause, "probe helper: %s/%s: %s", hdir, tmp,
				 strerror(errno));
	while (done < len && err == 0) {
		n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = errno;
		else
			done += (size_t)n;
	}
	if (err == 0 && (fchmod(fd, 0755) != 0 || fsync(fd) != 0))
		err = errno;
	if (close(fd) != 0 && err == 0)
		err = errno;
	if (err == 0 && renameat(hfd, tmp, hfd, HELPER_FILE) != 0)
		err = errno;
	if (err != 0) {
		(void)unlinkat(hfd, tmp, 0);
		return util_fail(cause, "probe helper: writing %s/%s: %s", hdir,
				 HELPER_FILE, strerror(err));
	}
	(void)fsync(hfd);
	return 0;
}

/* helper_check_at: hfd/bottle-probe has digest want; path names it. */
static int helper_check_at(int hfd, const char *path, const char *want,
			   char **cause)
{
	char hex[SHA256_HEX_LEN + 1], *data = NULL;
	size_t len = 0;

	if (helper_read_at(hfd, HELPER_FILE, path, &data, &len, cause) != 0)
		return -1;
	sha256_buf(data, len, hex);
	free(data);
	return strcmp(hex, want) == 0 ? 0 : helper_mismatch(path, cause);
}

int helper_prepare_from(const char *src, const char *want,
			const char *state_dir, const char *name, char **dir,
			char **cause)
{
	char hex[SHA256_HEX_LEN + 1], *data = NULL, *hdir = NULL, *copy = NULL;
	char *bdir = NULL;
	size_t len = 0;
	int bfd = -1, hfd = -1, rc = -1;

	*dir = NULL;
	if (helper_read_at(AT_FDCWD, src, src, &data, &len, cause) != 0)
		return -1;
	sha256_buf(data, len, hex);
	if (strcmp(hex, want) != 0) {
		free(data);
		return helper_mismatch(src, cause);
	}
	bfd = helper_open_bottle_dir(state_dir, name, cause);
	if (bfd < 0)
		goto out;
	bdir = state_bottle_dir(state_dir, name);
	hdir = xasprintf("%s/%s", bdir, HELPER_SUBDIR);
	copy = xasprintf("%s/%s", hdir, HELPER_FILE);
	if (mkdirat(bfd, HELPER_SUBDIR, 0755) != 0 && errno != EEXIST) {
		util_fail(cause, "probe helper: %s: %s", hdir, strerror(errno));
		goto out;
	}
	hfd = helper_open_dir(bfd, HELPER_SUBDIR, hdir, cause);
	if (hfd < 0 || fchmod(hfd, 0755) != 0 ||
	    helper_clear(hfd, hdir, cause) != 0 ||
	    helper_write_copy(hfd, hdir, data, len, cause) != 0 ||
	    helper_check_at(hfd, copy, want, cause) != 0)
		goto out;
	*dir = hdir;
	hdir = NULL;
	rc = 0;
out:
	if (hfd >= 0)
		close(hfd);
	if (bfd >= 0)
		close(bfd);
	free(bdir);
	free(hdir);
	free(copy);
	free(data);
	return rc;
}

int helper_prepare(const char *state_dir, const char *name, char **dir,
		   char **cause)
{
	char *src_dir = paths_probe_helper_dir();
	char *src = xasprintf("%s/%s", src_dir, HELPER_FILE);
	int rc = helper_prepare_from(src, helper_digest, state_dir, name, dir,
				     cause);

	free(src);
	free(src_dir);
	return rc;
}

int helper_verify_with(const char *state_dir, const char *name,
		       const char *want, char **cause)
{
	char *bdir = state_bottle_dir(state_dir, name);
	char *hdir = xasprintf("%s/%s", bdir, HELPER_SUBDIR);
	char *copy = xasprintf("%s/%s", hdir, HELPER_FILE);
	int bfd, hfd = -1, rc = -1;

	bfd = helper_open_dir(AT_FDCWD, bdir, bdir, cause);
	if (bfd >= 0)
		hfd = helper_open_dir(bfd, HELPER_SUBDIR, hdir, cause);
	if (hfd >= 0)
		rc = helper_check_at(hfd, copy, want, cause);
	if (hfd >= 0)
		close(hfd);
	if (bfd >= 0)
		close(bfd);
	free(copy);
	free(hdir);
	free(bdir);
	return rc;
}

int helper_verify(const char *state_dir, const char *name, char **cause)
{
	return helper_verify_with(state_dir, name, helper_digest, cause);
}
