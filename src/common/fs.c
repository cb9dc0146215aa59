#include "common/fs.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"

int fs_read_fd(int fd, const char *path, size_t max, char **out, size_t *len,
	       berr_t *err)
{
	cleanup_free char *buf = NULL;
	size_t used = 0, cap = 0;

	for (;;) {
		ssize_t n;

		if (used + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			char *nbuf;

			if (ncap > max + 2)
				ncap = max + 2;
			if (used + 1 >= ncap)
				return err_set(err, EFBIG,
					       "'%s' is larger than %zu bytes",
					       path, max);
			nbuf = realloc(buf, ncap);
			if (!nbuf)
				return err_sys(err, "read '%s'", path);
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(err, "read '%s'", path);
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max)
			return err_set(err, EFBIG,
				       "'%s' is larger than %zu bytes", path,
				       max);
	}
	if (!buf && !(buf = malloc(1)))
		return err_sys(err, "read '%s'", path);
	buf[used] = '\0';
	*out = take_ptr(buf);
	if (len)
		*len = used;
	return 0;
}

int fs_read_file_at(int dirfd, const char *path, size_t max, char **out,
		    size_t *len, berr_t *err)
{
	cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_sys(err, "open '%s'", path);
	return fs_read_fd(fd, path, max, out, len, err);
}

int fs_read_regular_at(int dirfd, const char *path, size_t max, char **out,
		       berr_t *err)
{
	cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return err_sys(err, "open '%s'", path);
	if (fstat(fd, &st) < 0)
		return err_sys(err, "stat '%s'", path);
	if (!S_ISREG(st.st_mode))
		return err_set(err, EINVAL, "'%s' is not a regular file", path);
	return fs_read_fd(fd, path, max, out, NULL, err);
}

int fs_write_all(int fd, const void *buf, size_t len)
{
	const char *data = buf;

	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int fs_write_file_at(int dirfd, const char *path, const char *data,
		     size_t len, berr_t *err)
{
	cleanup_close int fd =
		openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_TRUNC);

	if (fd < 0)
		return err_sys(err, "open '%s'", path);
	if (fs_write_all(fd, data, len) < 0)
		return err_sys(err, "write '%.*s' to '%s'",
			       (int)(len > 64 ? 64 : len), data, path);
	return 0;
}

int fs_write_atomic_at(int dirfd, const char *name, const char *data,
		       size_t len, mode_t mode, enum fs_durability durability,
		       berr_t *err)
{
	cleanup_free char *tmp = NULL;
	cleanup_close int fd = -1;

	if (asprintf(&tmp, ".%s.tmp.%d", name, getpid()) < 0)
		return err_sys(err, "write '%s'", name);
	/* The temporary name is predictable: never follow or reuse what
	 * someone may have planted there (a stale one of ours goes first). */
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return err_sys(err, "create '%s'", tmp);
	if (fs_write_all(fd, data, len) < 0 ||
	    (durability == FS_DURABLE && fsync(fd) < 0)) {
		err_sys(err, "write '%s'", tmp);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		err_sys(err, "rename '%s' to '%s'", tmp, name);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	if (durability == FS_DURABLE && fsync(dirfd) < 0 && errno != EINVAL &&
	    errno != EBADF)
		return err_sys(err, "sync directory of '%s'", name);
	return 0;
}

int fs_mkdir_p(const char *path, mode_t mode, berr_t *err)
{
	cleanup_free char *copy = NULL;
	char *slash;

	/* Usually only the last component is missing: try it first. */
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return err_sys(err, "mkdir '%s'", path);
	copy = strdup(path);
	if (!copy)
		return err_sys(err, "mkdir '%s'", path);
	slash = strrchr(copy, '/');
	if (!slash || slash == copy)
		return err_set(err, ENOENT, "mkdir '%s': no parent", path);
	*slash = '\0';
	if (fs_mkdir_p(copy, mode, err) < 0)
		return -1;
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return err_sys(err, "mkdir '%s'", path);
	return 0;
}

/* Bind mounts share st_dev with their source, so the mount id (Linux
 * 5.8+) decides whether a directory is on the mount being removed. */
static int where_at(int dirfd, const char *name, int flags, struct statx *sx)
{
	return statx(dirfd, name, flags | AT_SYMLINK_NOFOLLOW,
		     STATX_TYPE | STATX_MNT_ID, sx);
}

static bool same_mount(const struct statx *a, const struct statx *b)
{
	if ((a->stx_mask & b->stx_mask & STATX_MNT_ID) && a->stx_mnt_id != b->stx_mnt_id)
		return false;
	return a->stx_dev_major == b->stx_dev_major && a->stx_dev_minor == b->stx_dev_minor;
}

bool fs_is_mount_point_at(int dirfd, const char *name)
{
	struct statx parent, child;

	return where_at(dirfd, ".", 0, &parent) == 0 && where_at(dirfd, name, 0, &child) == 0 &&
	       !same_mount(&parent, &child);
}

int fs_copy_data(int in, int out, off_t size, berr_t *err)
{
	off_t done = 0;
	bool kernel_copy = true;

	while (done < size) {
		ssize_t n = -1;

		if (kernel_copy) {
			loff_t from = done, to = done;

			n = copy_file_range(in, &from, out, &to, (size_t)(size - done), 0);
			/* Not between these filesystems: sendfile always works. */
			if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
				      errno == EOPNOTSUPP)) {
				kernel_copy = false;
				continue;
			}
			if (n > 0)
				done += n;
		} else {
			n = sendfile(out, in, &done, (size_t)(size - done));
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(err, "copy data");
		if (n == 0)
			return err_set(err, EIO, "copy data: the source ended %lld bytes early",
				       (long long)(size - done));
	}
	return 0;
}

int fs_remove_tree_at(int parentfd, const char *name, berr_t *err)
{
	cleanup_close int fd = -1;
	cleanup_closedir DIR *dir = NULL;
	struct dirent *de;
	struct statx top;

	if (unlinkat(parentfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return err_sys(err, "remove '%s'", name);
	fd = openat(parentfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open '%s'", name);
	if (where_at(fd, "", AT_EMPTY_PATH, &top) < 0)
		return err_sys(err, "stat '%s'", name);
	dir = fdopendir(fd);
	if (!dir)
		return err_sys(err, "open '%s'", name);
	fd = -1; /* owned by dir now */
	while ((de = readdir(dir))) {
		struct statx sx;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (where_at(dirfd(dir), de->d_name, 0, &sx) < 0)
			return err_sys(err, "stat '%s/%s'", name, de->d_name);
		if (S_ISDIR(sx.stx_mode) && !same_mount(&sx, &top))
			return err_set(err, EBUSY,
				       "'%s/%s' is a mount point", name,
				       de->d_name);
		if (fs_remove_tree_at(dirfd(dir), de->d_name, err) < 0)
			return err_prefix(err, "remove '%s'", name);
	}
	if (unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return err_sys(err, "remove '%s'", name);
	return 0;
}
