#include "runtime/rootfs.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/syscalls.h"
#include "runtime/devices.h"
#include "runtime/mounts.h"
#include "runtime/namespaces.h"

static int open_in_root(int rootfd, const char *path, size_t len, int flags)
{
	char buf[PATH_MAX];

	if (len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len);
	buf[len] = '\0';
	return sys_openat_in_root(rootfd, len ? buf : "/", flags, 0);
}

/* Create name in the directory path[0..parent_len) of the rootfs. */
static int create_in_root(int rootfd, const char *path, size_t parent_len,
			  const char *name, size_t name_len, bool dir)
{
	cleanup_close int parent = open_in_root(rootfd, path, parent_len,
						O_PATH | O_DIRECTORY);
	char leaf[NAME_MAX + 1];

	if (parent < 0)
		return -1;
	if (name_len > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(leaf, name, name_len);
	leaf[name_len] = '\0';
	if (dir)
		return mkdirat(parent, leaf, 0755) < 0 && errno != EEXIST ? -1 : 0;
	return mknodat(parent, leaf, S_IFREG | 0644, 0) < 0 && errno != EEXIST ?
		       -1 : 0;
}

static int open_dest(int rootfd, const char *path, bool dir, int depth,
		     berr_t *err);

/* The component at [start, end) is a symlink to something missing: create
 * the target instead (inside the rootfs), as runc and crun do. */
static int follow_dangling(int rootfd, const char *path, const char *start,
			   const char *end, bool dir, int depth, berr_t *err)
{
	cleanup_close int parent = open_in_root(rootfd, path, (size_t)(start - path),
						O_PATH | O_DIRECTORY);
	char name[NAME_MAX + 1], target[PATH_MAX];
	cleanup_free char *next = NULL;
	ssize_t n;

	if (depth > 40 || (size_t)(end - start) > NAME_MAX)
		return err_set(err, ELOOP, "'%s' in the rootfs: too many symlinks", path);
	memcpy(name, start, (size_t)(end - start));
	name[end - start] = '\0';
	n = parent < 0 ? -1 : readlinkat(parent, name, target, sizeof(target) - 1);
	if (n < 0)
		return err_sys(err, "'%.*s' in the rootfs", (int)(end - path), path);
	target[n] = '\0';
	if (asprintf(&next, "%.*s%s%s", target[0] == '/' ? 0 : (int)(start - path), path,
		     target, end) < 0)
		return err_sys(err, "'%s' in the rootfs", path);
	return open_dest(rootfd, next, dir, depth + 1, err);
}

static int open_dest(int rootfd, const char *path, bool dir, int depth,
		     berr_t *err)
{
	const char *p = path;

	/* Each prefix is resolved inside the rootfs (RESOLVE_IN_ROOT), so a
	 * symlink anywhere on the way stays confined to it. */
	for (;;) {
		const char *start, *end;
		int fd, flags;
		bool last;

		while (*p == '/')
			p++;
		start = p;
		end = strchrnul(p, '/');
		last = end[strspn(end, "/")] == '\0';
		flags = O_PATH | (last && !dir ? 0 : O_DIRECTORY);
		fd = open_in_root(rootfd, path, (size_t)(end - path), flags);
		if (fd < 0 && errno == ENOENT && end > start) {
			/* Still missing once created: a dangling symlink. */
			if (create_in_root(rootfd, path, (size_t)(start - path), start,
					   (size_t)(end - start), dir || !last) == 0 &&
			    (fd = open_in_root(rootfd, path, (size_t)(end - path),
					       flags)) < 0 && errno == ENOENT)
				return follow_dangling(rootfd, path, start, end, dir,
						       depth, err);
		}
		if (fd < 0)
			return err_sys(err, "'%.*s' in the rootfs", (int)(end - path),
				       path);
		if (last)
			return fd;
		close(fd);
		p = end;
	}
}

int rootfs_open_dest(int rootfd, const char *path, bool dir, berr_t *err)
{
	return open_dest(rootfd, path, dir, 0, err);
}

int rootfs_bind(struct init_ctx *ctx, berr_t *err)
{
	unsigned long prop = ctx->spec->linux.rootfs_propagation;

	/* Nothing mounted in here may propagate back to the host. */
	if (mount(NULL, "/", NULL, (prop & MS_PRIVATE ? MS_PRIVATE : MS_SLAVE) | MS_REC,
		  NULL) < 0)
		return err_sys(err, "make / a slave mount");
	if (mount(ctx->rootfs, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return err_sys(err, "bind rootfs '%s'", ctx->rootfs);
	ctx->rootfd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ctx->rootfd < 0)
		return err_sys(err, "open rootfs '%s'", ctx->rootfs);
	return 0;
}

int rootfs_populate(struct init_ctx *ctx, berr_t *err)
{
	if (mounts_apply(ctx, err) < 0)
		return -1;
	if (!mounts_has_destination(ctx->spec, "/dev") && !ctx->spec->linux.n_devices)
		return 0;
	return devices_create(ctx->spec, ctx->rootfd, ns_find(ctx->spec, CLONE_NEWUSER) != NULL, err);
}

/* Both work from the fd rootfs_bind opened: the rootfs path itself may no
 * longer be reachable to the container's root. */
static int pivot(int rootfd, const char *rootfs, berr_t *err)
{
	cleanup_close int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);

	if (oldroot < 0)
		return err_sys(err, "open / for pivot_root");
	/* pivot_root(".", ".") stacks the old root on top of the new one;
	 * detaching it then leaves no host path reachable. */
	if (fchdir(rootfd) < 0 || sys_pivot_root(".", ".") < 0)
		return err_sys(err, "pivot_root to '%s'", rootfs);
	if (fchdir(oldroot) < 0 ||
	    mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return err_sys(err, "detach the old root");
	return 0;
}

static int move_root(int rootfd, const char *rootfs, berr_t *err)
{
	if (fchdir(rootfd) < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 ||
	    chroot(".") < 0 || chdir("/") < 0)
		return err_sys(err, "move root to '%s'", rootfs);
	return 0;
}

int rootfs_pivot(const struct init_ctx *ctx, berr_t *err)
{
	if (ctx->opts->no_pivot)
		return move_root(ctx->rootfd, ctx->rootfs, err);
	return pivot(ctx->rootfd, ctx->rootfs, err);
}

static int mask_path(const char *path, berr_t *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : err_sys(err, "mask '%s'", path);
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0") < 0)
			return err_sys(err, "mask '%s'", path);
		return 0;
	}
	if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0)
		return err_sys(err, "mask '%s'", path);
	return 0;
}

static int readonly_path(const char *path, berr_t *err)
{
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return errno == ENOENT ? 0 : err_sys(err, "bind '%s'", path);
	return mounts_remount(path, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, err);
}

int rootfs_finish(const struct init_ctx *ctx, berr_t *err)
{
	const struct spec_linux *l = &ctx->spec->linux;

	if (l->rootfs_propagation &&
	    mount(NULL, "/", NULL, l->rootfs_propagation, NULL) < 0)
		return err_sys(err, "linux.rootfsPropagation");
	for (size_t i = 0; l->readonly_paths && l->readonly_paths[i]; i++)
		if (readonly_path(l->readonly_paths[i], err) < 0)
			return err_prefix(err, "linux.readonlyPaths[%zu]", i);
	for (size_t i = 0; l->masked_paths && l->masked_paths[i]; i++)
		if (mask_path(l->masked_paths[i], err) < 0)
			return err_prefix(err, "linux.maskedPaths[%zu]", i);
	if (ctx->spec->root_readonly && mounts_remount("/", MS_RDONLY, err) < 0)
		return err_prefix(err, "root.readonly");
	return 0;
}
