#include "common/tree_copy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/overlayfs.h"

#define DEPTH_MAX 256

struct copy {
	const struct tree_copy_opts *o;
	char rel[PATH_MAX]; /* of the entry being copied */
	int depth;
};

struct xattr_dest {
	int fd;
	const char *name;
};

static int set_xattr(void *ctx, const char *key, const void *value, size_t len, berr_t *err)
{
	const struct xattr_dest *d = ctx;

	if (fsetxattr(d->fd, key, value, len, 0) < 0)
		return err_sys(err, "copy xattr %s of '%s'", key, d->name);
	return 0;
}

/* Extended attributes (file capabilities, ACLs, user attributes), from
 * fd to fd. */
static int copy_xattrs(int in, int out, const char *name, berr_t *err)
{
	return xattrs_each(in, name, set_xattr, &(struct xattr_dest){ out, name }, err);
}

/* Owner, mode and times of the copy. */
static int copy_attrs(const struct copy *c, int dirfd, const char *name,
		      const struct stat *st, berr_t *err)
{
	const struct tree_copy_opts *o = c->o;
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	uid_t uid = (o->set_owner ? o->uid : st->st_uid) + o->id_shift;
	gid_t gid = (o->set_owner ? o->gid : st->st_gid) + o->id_shift;
	mode_t mode = o->set_mode ? o->mode : st->st_mode & 07777;

	if (fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(err, "chown '%s'", name);
	if (!S_ISLNK(st->st_mode) && fchmodat(dirfd, name, mode, 0) < 0)
		return err_sys(err, "chmod '%s'", name);
	if (utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(err, "set the times of '%s'", name);
	return 0;
}

static int copy_file(int sdir, const char *name, int ddir, const char *dname,
		     const struct stat *st, berr_t *err)
{
	cleanup_close int in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int out = -1;

	if (in < 0)
		return err_sys(err, "open '%s'", name);
	out = openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return err_sys(err, "create '%s'", dname);
	if (fs_copy_data(in, out, st->st_size, err) < 0)
		return err_prefix(err, "'%s'", name);
	return copy_xattrs(in, out, name, err);
}

static int copy_special(int sdir, const char *name, int ddir, const char *dname,
			const struct stat *st, berr_t *err)
{
	char target[PATH_MAX];
	ssize_t n;

	if (!S_ISLNK(st->st_mode)) {
		if (mknodat(ddir, dname, st->st_mode & S_IFMT, st->st_rdev) < 0)
			return err_sys(err, "mknod '%s'", dname);
		return 0;
	}
	n = readlinkat(sdir, name, target, sizeof(target) - 1);
	if (n < 0)
		return err_sys(err, "readlink '%s'", name);
	target[n] = '\0';
	if (symlinkat(target, ddir, dname) < 0)
		return err_sys(err, "symlink '%s'", dname);
	return 0;
}

static int copy_tree(struct copy *c, int sdir, int ddir, berr_t *err);

/* A directory merges into what is there, unless it is opaque or
 * replaces a non-directory. */
static int copy_dir(struct copy *c, int sdir, const char *name, int ddir,
		    const char *dname, const struct stat *st, berr_t *err)
{
	cleanup_close int in = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int out = -1;
	struct stat old;

	if (in < 0)
		return err_sys(err, "open '%s'", name);
	if (fstatat(ddir, dname, &old, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (!S_ISDIR(old.st_mode) || (c->o->whiteouts && overlay_is_opaque(in))) &&
	    fs_remove_tree_at(ddir, dname, err) < 0)
		return -1;
	if (mkdirat(ddir, dname, 0700) < 0 && errno != EEXIST)
		return err_sys(err, "mkdir '%s'", dname);
	out = openat(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (out < 0)
		return err_sys(err, "open '%s'", dname);
	if (copy_tree(c, in, out, err) < 0)
		return err_prefix(err, "%s", name);
	if (copy_xattrs(in, out, name, err) < 0)
		return -1;
	return copy_attrs(c, ddir, dname, st, err);
}

static int copy_one(struct copy *c, int sdir, const char *name, int ddir,
		    const char *dname, berr_t *err)
{
	struct stat st;

	if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(err, "stat '%s'", name);
	if (c->o->skip && c->o->skip(c->o->skip_ctx, c->rel, S_ISDIR(st.st_mode)))
		return 0;
	if (S_ISDIR(st.st_mode))
		return copy_dir(c, sdir, name, ddir, dname, &st, err);
	if (fs_remove_tree_at(ddir, dname, err) < 0)
		return -1;
	if (c->o->whiteouts && overlay_is_whiteout(&st))
		return 0;
	if ((S_ISREG(st.st_mode) ? copy_file(sdir, name, ddir, dname, &st, err)
				 : copy_special(sdir, name, ddir, dname, &st, err)) < 0)
		return -1;
	return copy_attrs(c, ddir, dname, &st, err);
}

static int copy_tree(struct copy *c, int sdir, int ddir, berr_t *err)
{
	cleanup_closedir DIR *d = NULL;
	size_t base = strlen(c->rel);
	struct dirent *de;
	int fd;

	if (++c->depth > DEPTH_MAX)
		return err_set(err, ELOOP, "directories nested deeper than %d", DEPTH_MAX);
	fd = dup(sdir);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return err_sys(err, "read a directory to copy");
	}
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(c->rel + base, sizeof(c->rel) - base, "%s%s", base ? "/" : "",
			     de->d_name) >= (int)(sizeof(c->rel) - base))
			return err_set(err, ENAMETOOLONG, "'%s/%s': path too long", c->rel, de->d_name);
		if (copy_one(c, dirfd(d), de->d_name, ddir, de->d_name, err) < 0)
			return -1;
		c->rel[base] = '\0';
	}
	if (errno)
		return err_sys(err, "read a directory to copy");
	c->depth--;
	return 0;
}

static int start(struct copy *c, const char *rel, berr_t *err)
{
	if (snprintf(c->rel, sizeof(c->rel), "%s", rel ? rel : "") >= (int)sizeof(c->rel))
		return err_set(err, ENAMETOOLONG, "'%s': path too long", rel);
	return 0;
}

int tree_copy_entry(int sdir, const char *name, int ddir, const char *dname,
		    const char *rel, const struct tree_copy_opts *o, berr_t *err)
{
	struct copy c = { .o = o };

	return start(&c, rel, err) < 0 ? -1 : copy_one(&c, sdir, name, ddir, dname, err);
}

int tree_copy_contents(int sdir, int ddir, const char *rel,
		       const struct tree_copy_opts *o, berr_t *err)
{
	struct copy c = { .o = o };

	return start(&c, rel, err) < 0 ? -1 : copy_tree(&c, sdir, ddir, err);
}
