// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fileio.h"

int sw_sync_parent_dir(const char *path)
{
	char buf[PATH_MAX];
	int fd, err = 0;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

int sw_check_writable_dir(const char *path, char *err, size_t errlen)
{
	char buf[PATH_MAX];
	const char *dir;
	struct stat st;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		snprintf(err, errlen, "%s", strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	dir = dirname(buf);
	if (stat(dir, &st)) {
		int e = errno;

		snprintf(err, errlen, "directory %s: %s", dir, strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory", dir);
		return -ENOTDIR;
	}
	/* access() answers for the real uid, which is what open() will be */
	if (access(dir, W_OK | X_OK)) {
		int e = errno;

		snprintf(err, errlen, "directory %s is not writable: %s", dir, strerror(e));
		return -e;
	}
	return 0;
}

int sw_make_dir(const char *path, int mode)
{
	struct stat st;

	if (mkdir(path, mode) && errno != EEXIST)
		return -errno;
	if (stat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	/* exactly MODE: neither the umask nor an older, looser directory decides */
	if ((st.st_mode & 07777) != (mode_t)mode && chmod(path, mode))
		return -errno;
	return 0;
}

int sw_replace_file(const char *path, int mode, bool sync_dir, sw_fill_fn fill, void *ctx)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		unlink(tmp);
		return err;
	}
	err = fill(f, ctx);
	if (!err && (fflush(f) || fsync(fileno(f))))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	return sync_dir ? sw_sync_parent_dir(path) : 0;
}
