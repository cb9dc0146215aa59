/* The copying fallback where overlayfs is missing: each layer, base first,
 * is copied into the container's root, applying its whiteouts and opaque
 * directories as overlayfs would have.  Everything is done relative to
 * directory fds with O_NOFOLLOW, so a symlink in one layer never sends a
 * later layer's copy elsewhere. */
#include "container/rootfs_copy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"

#define OPAQUE_XATTR "trusted.overlay.opaque"
#define DEPTH_MAX 256

struct copy {
	const struct userns_range *shift; /* ids moved up by base, or size 0 */
	int depth;
};

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int fd)
{
	char v;

	return fgetxattr(fd, OPAQUE_XATTR, &v, 1) == 1 && v == 'y';
}

/* Extended attributes but overlayfs's own (file capabilities, ACLs, user
 * attributes), from fd to fd. */
static int copy_xattrs(int in, int out, const char *name, berr_t *err)
{
	char names[4096], value[4096];
	ssize_t len = flistxattr(in, names, sizeof(names));

	if (len < 0)
		return errno == ENOTSUP ? 0 : err_sys(err, "list the xattrs of '%s'", name);
	for (char *n = names; n < names + len; n += strlen(n) + 1) {
		ssize_t v;

		if (!strncmp(n, "trusted.overlay.", 16))
			continue;
		v = fgetxattr(in, n, value, sizeof(value));
		if (v < 0 || fsetxattr(out, n, value, (size_t)v, 0) < 0)
			return err_sys(err, "copy xattr %s of '%s'", n, name);
	}
	return 0;
}

/* An id of the layer as the host sees it in the container's range. */
static unsigned shifted(const struct userns_range *r, unsigned id)
{
	return r->size ? r->base + id : id;
}

/* Owner, mode and times of the copy. */
static int copy_attrs(const struct copy *c, int dirfd, const char *name,
		      const struct stat *st, berr_t *err)
{
	struct timespec times[2] = { st->st_atim, st->st_mtim };

	if (fchownat(dirfd, name, shifted(c->shift, st->st_uid),
		     shifted(c->shift, st->st_gid), AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(err, "chown '%s'", name);
	if (!S_ISLNK(st->st_mode) && fchmodat(dirfd, name, st->st_mode & 07777, 0) < 0)
		return err_sys(err, "chmod '%s'", name);
	if (utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(err, "set the times of '%s'", name);
	return 0;
}

static int copy_file(int sdir, int ddir, const char *name, const struct stat *st,
		     berr_t *err)
{
	cleanup_close int in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int out = -1;

	if (in < 0)
		return err_sys(err, "open '%s'", name);
	out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return err_sys(err, "create '%s'", name);
	if (fs_copy_data(in, out, st->st_size, err) < 0)
		return err_prefix(err, "'%s'", name);
	return copy_xattrs(in, out, name, err);
}

static int copy_special(int sdir, int ddir, const char *name, const struct stat *st,
			berr_t *err)
{
	char target[PATH_MAX];
	ssize_t n;

	if (!S_ISLNK(st->st_mode)) {
		if (mknodat(ddir, name, st->st_mode & S_IFMT, st->st_rdev) < 0)
			return err_sys(err, "mknod '%s'", name);
		return 0;
	}
	n = readlinkat(sdir, name, target, sizeof(target) - 1);
	if (n < 0)
		return err_sys(err, "readlink '%s'", name);
	target[n] = '\0';
	if (symlinkat(target, ddir, name) < 0)
		return err_sys(err, "symlink '%s'", name);
	return 0;
}

static int copy_tree(struct copy *c, int sdir, int ddir, berr_t *err);

/* A directory merges into what lower layers left there, unless it is
 * opaque or replaces a non-directory. */
static int copy_dir(struct copy *c, int sdir, int ddir, const char *name,
		    const struct stat *st, berr_t *err)
{
	cleanup_close int in = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int out = -1;
	struct stat old;

	if (in < 0)
		return err_sys(err, "open '%s'", name);
	if (fstatat(ddir, name, &old, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (!S_ISDIR(old.st_mode) || is_opaque(in)) &&
	    fs_remove_tree_at(ddir, name, err) < 0)
		return -1;
	if (mkdirat(ddir, name, 0700) < 0 && errno != EEXIST)
		return err_sys(err, "mkdir '%s'", name);
	out = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (out < 0)
		return err_sys(err, "open '%s'", name);
	if (copy_tree(c, in, out, err) < 0)
		return err_prefix(err, "%s", name);
	if (copy_xattrs(in, out, name, err) < 0)
		return -1;
	return copy_attrs(c, ddir, name, st, err);
}

static int copy_entry(struct copy *c, int sdir, int ddir, const char *name,
		      berr_t *err)
{
	struct stat st;

	if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(err, "stat '%s'", name);
	if (S_ISDIR(st.st_mode))
		return copy_dir(c, sdir, ddir, name, &st, err);
	if (fs_remove_tree_at(ddir, name, err) < 0)
		return -1;
	if (is_whiteout(&st))
		return 0;
	if ((S_ISREG(st.st_mode) ? copy_file(sdir, ddir, name, &st, err)
				 : copy_special(sdir, ddir, name, &st, err)) < 0)
		return -1;
	return copy_attrs(c, ddir, name, &st, err);
}

static int copy_tree(struct copy *c, int sdir, int ddir, berr_t *err)
{
	cleanup_closedir DIR *d = NULL;
	struct dirent *de;
	int fd;

	if (++c->depth > DEPTH_MAX)
		return err_set(err, ELOOP, "directories nested deeper than %d", DEPTH_MAX);
	fd = dup(sdir);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return err_sys(err, "read a layer directory");
	}
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (copy_entry(c, dirfd(d), ddir, de->d_name, err) < 0)
			return -1;
	}
	if (errno)
		return err_sys(err, "read a layer directory");
	c->depth--;
	return 0;
}

int rootfs_copy_layer(const char *layer, const char *dest,
		      const struct userns_range *shift, berr_t *err)
{
	cleanup_close int in = open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int out = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct copy c = { .shift = shift };
	struct stat st;

	if (in < 0 || fstat(in, &st) < 0)
		return err_sys(err, "open layer '%s'", layer);
	if (out < 0)
		return err_sys(err, "open '%s'", dest);
	if (copy_tree(&c, in, out, err) < 0)
		return err_prefix(err, "copy layer '%s'", layer);
	if (fchown(out, shifted(shift, st.st_uid), shifted(shift, st.st_gid)) < 0 ||
	    fchmod(out, st.st_mode & 07777) < 0)
		return err_sys(err, "set the owner and mode of '%s'", dest);
	return 0;
}
