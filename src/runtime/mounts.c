#include "runtime/mounts.h"

#include <dirent.h>
#include <errno.h>
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
#include "runtime/mount_sources.h"
#include "runtime/rootfs.h"

#define PROPAGATION_FLAGS (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)

struct fd_path {
	char buf[32];
};

/* mount(2) follows /proc/self/fd/N to the directory the fd holds, which
 * was resolved inside the rootfs: the destination cannot be swapped for a
 * symlink between the check and the mount. */
static const char *fd_path(struct fd_path *p, int fd)
{
	snprintf(p->buf, sizeof(p->buf), "/proc/self/fd/%d", fd);
	return p->buf;
}

bool mounts_has_destination(const struct spec *spec, const char *dest)
{
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (strcmp(spec->mounts[i].destination, dest) == 0)
			return true;
	return false;
}

/* Flags a user namespace locks on a mount must be repeated on remount. */
static unsigned long locked_flags(const char *target)
{
	static const struct {
		unsigned long st, ms;
	} map[] = {
		{ ST_NOSUID, MS_NOSUID },   { ST_NODEV, MS_NODEV },
		{ ST_NOEXEC, MS_NOEXEC },   { ST_NOATIME, MS_NOATIME },
		{ ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
		{ ST_RDONLY, MS_RDONLY },
	};
	struct statvfs sv;
	unsigned long flags = 0;

	if (statvfs(target, &sv) < 0)
		return 0;
	for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
		if (sv.f_flag & map[i].st)
			flags |= map[i].ms;
	return flags;
}

int mounts_remount(const char *target, unsigned long flags, berr_t *err)
{
	unsigned long base = MS_BIND | MS_REMOUNT | flags;

	if (mount(NULL, target, NULL, base, NULL) == 0)
		return 0;
	if (errno == EPERM &&
	    mount(NULL, target, NULL, base | locked_flags(target), NULL) == 0)
		return 0;
	return err_sys(err, "remount '%s'", target);
}

static int reopen(int rootfd, const struct spec_mount *m, bool dir, int *fd,
		  berr_t *err)
{
	if (*fd >= 0)
		close(*fd);
	*fd = rootfs_open_dest(rootfd, m->destination, dir, err);
	return *fd < 0 ? -1 : 0;
}

static int mount_attrs(int fd, const struct spec_mount *m, berr_t *err)
{
	struct mount_attr attr = { .attr_set = m->attr_set,
				   .attr_clr = m->attr_clr };

	if (!m->attr_set && !m->attr_clr)
		return 0;
	if (m->attr_set & MOUNT_ATTR_NOATIME || m->attr_set & MOUNT_ATTR_STRICTATIME ||
	    m->attr_set & MOUNT_ATTR_RELATIME)
		attr.attr_clr |= MOUNT_ATTR__ATIME;
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE,
		    &attr, sizeof(attr)) < 0)
		return err_sys(err, "set recursive attributes on '%s' (needs Linux 5.12)",
			       m->destination);
	return 0;
}

/* A bind mount's destination is a directory or a file like its source. */
static int bind_is_dir(const struct init_ctx *ctx, size_t i, bool *dir,
		       berr_t *err)
{
	const struct spec_mount *m = &ctx->spec->mounts[i];
	cleanup_free char *src = mount_source_path(ctx->bundle, m->source);
	int tree = ctx->mount_fds ? ctx->mount_fds[i] : -1;
	struct stat st;

	if (!src)
		return err_sys(err, "bind source '%s'", m->source);
	if ((tree >= 0 ? fstat(tree, &st) : stat(src, &st)) < 0)
		return err_sys(err, "bind source '%s'", src);
	*dir = S_ISDIR(st.st_mode);
	return 0;
}

/* The runtime opened the source as a detached tree (see mount_sources.h);
 * without one (old kernels) it is bound by path. */
static int attach_source(const struct init_ctx *ctx, size_t i, int destfd,
			 berr_t *err)
{
	const struct spec_mount *m = &ctx->spec->mounts[i];
	cleanup_free char *src = mount_source_path(ctx->bundle, m->source);
	int tree = ctx->mount_fds ? ctx->mount_fds[i] : -1;
	struct fd_path p;

	if (tree >= 0 && sys_move_mount(tree, "", destfd, "",
				       MOVE_MOUNT_F_EMPTY_PATH |
					       MOVE_MOUNT_T_EMPTY_PATH) == 0)
		return 0;
	if (tree >= 0)
		return err_sys(err, "attach '%s' to '%s'", m->source, m->destination);
	if (!src)
		return err_sys(err, "bind source '%s'", m->source);
	if (mount(src, fd_path(&p, destfd), NULL, MS_BIND | (m->flags & MS_REC),
		  NULL) < 0)
		return err_sys(err, "bind '%s' to '%s'", src, m->destination);
	return 0;
}

static int mount_bind(const struct init_ctx *ctx, int rootfd, size_t i,
		      bool dir, int *fd, berr_t *err)
{
	const struct spec_mount *m = &ctx->spec->mounts[i];
	unsigned long extra = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
	struct fd_path p;

	if (reopen(rootfd, m, dir, fd, err) < 0 ||
	    attach_source(ctx, i, *fd, err) < 0)
		return -1;
	if (!extra)
		return 0;
	if (reopen(rootfd, m, dir, fd, err) < 0)
		return -1;
	return mounts_remount(fd_path(&p, *fd), extra, err);
}

/* A tmpfs without mode= takes the mode of the directory it covers, so a
 * mount point prepared in the image keeps its permissions (as crun). */
static char *tmpfs_data(const struct spec_mount *m, int fd)
{
	struct stat st;
	char *data = NULL;

	if (strcmp(m->type, "tmpfs") != 0 || (m->data && strstr(m->data, "mode=")) ||
	    fstat(fd, &st) < 0)
		return m->data ? strdup(m->data) : NULL;
	if (asprintf(&data, "%s%smode=%o", m->data ? m->data : "", m->data ? "," : "",
		     st.st_mode & 07777) < 0)
		return NULL;
	return data;
}

/* sysfs and mqueue refuse to mount where the container does not own the
 * matching namespace; runc falls back to binding the host's, and so do we. */
static int mount_fs(const struct init_ctx *ctx, int rootfd,
		    const struct spec_mount *m, int *fd, berr_t *err)
{
	unsigned long flags = m->flags & ~(MS_REC | PROPAGATION_FLAGS);
	cleanup_free char *data = NULL;
	const char *fallback = NULL;
	struct fd_path p;

	if (reopen(rootfd, m, true, fd, err) < 0)
		return -1;
	data = tmpfs_data(m, *fd);
	if (mount(m->source ? m->source : m->type, fd_path(&p, *fd), m->type,
		  flags, data) == 0)
		return 0;
	if (strcmp(m->type, "sysfs") == 0)
		fallback = "/sys";
	else if (strcmp(m->type, "mqueue") == 0)
		fallback = "/dev/mqueue";
	if (!fallback || (errno != EPERM && errno != EBUSY))
		return err_sys(err, "mount %s on '%s'", m->type, m->destination);
	if (mount(fallback, fd_path(&p, *fd), NULL, MS_BIND | MS_REC, NULL) < 0)
		return err_sys(err, "bind '%s' to '%s'", fallback, m->destination);
	if (!(flags & MS_RDONLY))
		return 0;
	if (reopen(rootfd, m, true, fd, err) < 0)
		return -1;
	return mounts_remount(fd_path(&p, *fd), flags, err);
}

/* cgroup v1: a tmpfs with each hierarchy's view of the container's own
 * cgroup bound under it, so the container sees only itself. */
static int bind_cgroup_dir(const struct init_ctx *ctx, int destfd,
			   const char *name, unsigned long flags, berr_t *err)
{
	cleanup_free char *src = NULL;
	cleanup_close int fd = -1;
	struct fd_path p;

	if (asprintf(&src, "%s/%s/%s", ctx->cgroup_root, name,
		     ctx->cgroup_path ? ctx->cgroup_path : "") < 0)
		return err_sys(err, "cgroup mount");
	if (access(src, F_OK) < 0)
		return 0;
	if (mkdirat(destfd, name, 0755) < 0 && errno != EEXIST)
		return err_sys(err, "create cgroup mount point '%s'", name);
	fd = openat(destfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open cgroup mount point '%s'", name);
	if (mount(src, fd_path(&p, fd), NULL, MS_BIND | MS_REC, NULL) < 0)
		return err_sys(err, "bind '%s'", src);
	if (!(flags & MS_RDONLY))
		return 0;
	/* The fd still names the directory under the new mount. */
	close(fd);
	fd = openat(destfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open cgroup mount point '%s'", name);
	return mounts_remount(fd_path(&p, fd), flags, err);
}

static int copy_cgroup_entry(const struct init_ctx *ctx, int destfd,
			     struct dirent *de, unsigned long flags, berr_t *err)
{
	char target[PATH_MAX];
	cleanup_free char *link = NULL;
	ssize_t n;

	if (de->d_type == DT_DIR)
		return bind_cgroup_dir(ctx, destfd, de->d_name, flags, err);
	if (de->d_type != DT_LNK)
		return 0;
	if (asprintf(&link, "%s/%s", ctx->cgroup_root, de->d_name) < 0)
		return err_sys(err, "cgroup mount");
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return err_sys(err, "read link '%s'", link);
	target[n] = '\0';
	if (symlinkat(target, destfd, de->d_name) < 0 && errno != EEXIST)
		return err_sys(err, "link cgroup '%s'", de->d_name);
	return 0;
}

static int mount_cgroup_v1(const struct init_ctx *ctx, int rootfd,
			   const struct spec_mount *m, int *fd, berr_t *err)
{
	unsigned long flags = m->flags & ~(MS_REC | PROPAGATION_FLAGS);
	cleanup_closedir DIR *dir = opendir(ctx->cgroup_root);
	cleanup_close int destfd = -1;
	struct dirent *de;
	struct fd_path p;

	if (!dir)
		return err_sys(err, "open '%s'", ctx->cgroup_root);
	if (reopen(rootfd, m, true, fd, err) < 0)
		return -1;
	if (mount("tmpfs", fd_path(&p, *fd), "tmpfs",
		  (flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=755") < 0)
		return err_sys(err, "mount tmpfs on '%s'", m->destination);
	if (reopen(rootfd, m, true, fd, err) < 0)
		return -1;
	destfd = openat(*fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (destfd < 0)
		return err_sys(err, "open '%s'", m->destination);
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.' &&
		    copy_cgroup_entry(ctx, destfd, de, flags, err) < 0)
			return err_prefix(err, "%s", m->destination);
	return flags & MS_RDONLY ? mounts_remount(fd_path(&p, *fd), flags, err) : 0;
}

static int mount_cgroup(const struct init_ctx *ctx, int rootfd,
			const struct spec_mount *m, int *fd, berr_t *err)
{
	unsigned long flags = m->flags & ~(MS_REC | PROPAGATION_FLAGS);
	cleanup_free char *probe = NULL;
	struct fd_path p;

	if (!ctx->cgroup_root)
		return 0;
	if (asprintf(&probe, "%s/cgroup.controllers", ctx->cgroup_root) < 0)
		return err_sys(err, "cgroup mount");
	if (access(probe, F_OK) < 0)
		return mount_cgroup_v1(ctx, rootfd, m, fd, err);
	if (reopen(rootfd, m, true, fd, err) < 0)
		return -1;
	if (mount("cgroup2", fd_path(&p, *fd), "cgroup2", flags, NULL) == 0)
		return 0;
	/* Without a cgroup namespace, show the container its own subtree. */
	free(probe);
	if (asprintf(&probe, "%s/%s", ctx->cgroup_root,
		     ctx->cgroup_path ? ctx->cgroup_path : "") < 0)
		return err_sys(err, "cgroup mount");
	if (mount(probe, fd_path(&p, *fd), NULL, MS_BIND | MS_REC, NULL) < 0)
		return err_sys(err, "bind '%s' to '%s'", probe, m->destination);
	if (!(flags & MS_RDONLY))
		return 0;
	if (reopen(rootfd, m, true, fd, err) < 0)
		return -1;
	return mounts_remount(fd_path(&p, *fd), flags, err);
}

/* crun's tmpcopyup: a tmpfs that starts with the content the rootfs had
 * at the destination.  The fd opened before mounting still reaches the
 * directory underneath. */
/* A hostile image's deep tree must not exhaust the stack or the fds. */
#define COPY_UP_MAX_DEPTH 128

static int copy_up(int from, int to, int depth, berr_t *err);

static int copy_file(int from, int to, const char *name, mode_t mode,
		     berr_t *err)
{
	cleanup_close int in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int out = -1;
	char buf[65536];
	ssize_t n;

	if (in < 0)
		return err_sys(err, "copy up '%s'", name);
	out = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
	if (out < 0)
		return err_sys(err, "copy up '%s'", name);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return err_sys(err, "copy up '%s'", name);
	return n < 0 ? err_sys(err, "copy up '%s'", name) : 0;
}

static int copy_entry(int from, int to, const char *name, int depth,
		      berr_t *err)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(err, "copy up '%s'", name);
	if (S_ISREG(st.st_mode) && copy_file(from, to, name, st.st_mode, err) < 0)
		return -1;
	if (S_ISLNK(st.st_mode)) {
		n = readlinkat(from, name, target, sizeof(target) - 1);
		if (n < 0)
			return err_sys(err, "copy up '%s'", name);
		target[n] = '\0';
		if (symlinkat(target, to, name) < 0)
			return err_sys(err, "copy up '%s'", name);
	}
	if (S_ISDIR(st.st_mode)) {
		cleanup_close int sub_from = -1, sub_to = -1;

		if (mkdirat(to, name, st.st_mode & 07777) < 0)
			return err_sys(err, "copy up '%s'", name);
		sub_from = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		sub_to = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub_from < 0 || sub_to < 0)
			return err_sys(err, "copy up '%s'", name);
		if (copy_up(sub_from, sub_to, depth + 1, err) < 0)
			return -1;
	}
	if (!S_ISLNK(st.st_mode) &&
	    fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(err, "copy up '%s'", name);
	return 0;
}

static int copy_up(int from, int to, int depth, berr_t *err)
{
	cleanup_closedir DIR *dir = NULL;
	cleanup_close int rfd = openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int wfd = openat(to, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;

	if (depth > COPY_UP_MAX_DEPTH)
		return err_set(err, ELOOP, "copy up: directories nested deeper than %d",
			       COPY_UP_MAX_DEPTH);
	if (rfd < 0 || wfd < 0)
		return err_sys(err, "copy up");
	dir = fdopendir(rfd);
	if (!dir)
		return err_sys(err, "copy up");
	rfd = -1;
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    copy_entry(dirfd(dir), wfd, de->d_name, depth, err) < 0)
			return -1;
	return 0;
}

static bool on_root(const struct spec_mount *m)
{
	return m->destination[strspn(m->destination, "/")] == '\0';
}

/* A mount on "/" itself (crun's tmpfs + tmpcopyup over the rootfs) covers
 * the rootfs: later mounts and pivot_root go to the new top. */
static int reopen_root(struct init_ctx *ctx, berr_t *err)
{
	int fd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return err_sys(err, "open the new root '%s'", ctx->rootfs);
	close(ctx->rootfd);
	ctx->rootfd = fd;
	return 0;
}

static int mount_one(struct init_ctx *ctx, int rootfd, size_t i,
		     berr_t *err)
{
	const struct spec_mount *m = &ctx->spec->mounts[i];
	cleanup_close int fd = -1, under = -1;
	struct fd_path p;
	bool dir = true;
	int r;

	if (m->bind && bind_is_dir(ctx, i, &dir, err) < 0)
		return -1;
	if (m->tmpcopyup) {
		under = rootfs_open_dest(rootfd, m->destination, true, err);
		if (under < 0)
			return -1;
	}
	if (m->bind)
		r = mount_bind(ctx, rootfd, i, dir, &fd, err);
	else if (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0)
		r = init_await_go(ctx, err) < 0 ? -1 :
		    mount_cgroup(ctx, rootfd, m, &fd, err);
	else
		r = mount_fs(ctx, rootfd, m, &fd, err);
	if (r < 0 || (on_root(m) && reopen_root(ctx, err) < 0) ||
	    reopen(on_root(m) ? ctx->rootfd : rootfd, m, dir, &fd, err) < 0)
		return -1;
	if (under >= 0 && copy_up(under, fd, 0, err) < 0)
		return -1;
	if (m->propagation &&
	    mount(NULL, fd_path(&p, fd), NULL, m->propagation, NULL) < 0)
		return err_sys(err, "set propagation of '%s'", m->destination);
	return mount_attrs(fd, m, err);
}

/* True when an earlier mount's destination contains this one's: then the
 * destination lives on that mount, not on the rootfs. */
static bool on_earlier_mount(const struct spec *spec, size_t i)
{
	const char *dest = spec->mounts[i].destination;

	for (size_t j = 0; j < i; j++) {
		const char *d = spec->mounts[j].destination;
		size_t len = strlen(d);

		while (len > 1 && d[len - 1] == '/')
			len--;
		if (strncmp(dest, d, len) == 0 && (dest[len] == '/' || len == 1))
			return true;
	}
	return false;
}

int mounts_make_destinations(const struct init_ctx *ctx, berr_t *err)
{
	for (size_t i = 0; i < ctx->spec->n_mounts; i++) {
		const struct spec_mount *m = &ctx->spec->mounts[i];
		bool dir = true;
		int fd;

		if (on_root(m) || on_earlier_mount(ctx->spec, i))
			continue;
		if (m->bind && bind_is_dir(ctx, i, &dir, err) < 0)
			return err_prefix(err, "mounts[%zu]", i);
		fd = rootfs_open_dest(ctx->rootfd, m->destination, dir, err);
		if (fd < 0)
			return err_prefix(err, "mounts[%zu]", i);
		close(fd);
	}
	return 0;
}

int mounts_apply(struct init_ctx *ctx, berr_t *err)
{
	for (size_t i = 0; i < ctx->spec->n_mounts; i++)
		if (mount_one(ctx, ctx->rootfd, i, err) < 0)
			return err_prefix(err, "mounts[%zu]", i);
	return 0;
}
