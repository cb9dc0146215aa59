#include "container/rootfs.h"

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
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/syscalls.h"
#include "container/rootfs_copy.h"
#include "runtime/namespaces.h"

/* The kernel reads mount options from one page. */
#define OVERLAY_DATA_MAX 4000

/* "empty" (the lower directory of an image without layers) only when it
 * is needed: every directory made here is a block that removing the
 * container frees again, which costs a disk discard on some hosts. */
static int make_dirs(const char *dir, bool need_empty, berr_t *err)
{
	static const char *const subdirs[] = { "upper", "work", "rootfs", "empty" };
	size_t n = sizeof(subdirs) / sizeof(*subdirs) - (need_empty ? 0 : 1);
	char path[PATH_MAX];

	for (size_t i = 0; i < n; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, subdirs[i]) >= (int)sizeof(path))
			return err_set(err, ENAMETOOLONG, "'%s': path too long", dir);
		if (fs_mkdir_p(path, 0755, err) < 0)
			return -1;
	}
	return 0;
}

/* In a user namespace the image's layers are seen through idmapped
 * mounts at <dir>/lower/<i> (host 0 appears as the range's base): the
 * shared layers stay as they are, and the container's root owns its root.
 * Overlayfs itself cannot be idmapped, its layers can (Linux 5.19+). */
static int idmap_layer(const char *layer, const char *at, int userns, berr_t *err)
{
	cleanup_close int tree = sys_open_tree(AT_FDCWD, layer,
					       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP,
				   .userns_fd = (uint64_t)userns };

	if (tree < 0)
		return err_sys(err, "open layer '%s' for an idmapped mount", layer);
	if (sys_mount_setattr(tree, "", AT_EMPTY_PATH, &attr) < 0)
		return err_sys(err, "idmap layer '%s'", layer);
	if (fs_mkdir_p(at, 0700, err) < 0)
		return -1;
	if (sys_move_mount(tree, "", AT_FDCWD, at, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return err_sys(err, "attach layer '%s' at '%s'", layer, at);
	return 0;
}

/* The directory overlayfs gets for layer i: the layer itself, or its
 * idmapped view. */
static int lower_path(struct store *s, const struct image *img, size_t i,
		      const char *dir, int userns, char **path, berr_t *err)
{
	char diff_id[DIGEST_MAX], at[PATH_MAX];

	if (store_layer_get(s, img->layers[i], diff_id, path, err) < 0)
		return err_prefix(err, "layer %zu of image %s", i, img->config_digest);
	if (image_check_diff_id(img, i, diff_id, err) < 0)
		return -1;
	if (userns < 0)
		return 0;
	if (snprintf(at, sizeof(at), "%s/lower/%zu", dir, i) >= (int)sizeof(at))
		return err_set(err, ENAMETOOLONG, "'%s': path too long", dir);
	if (idmap_layer(*path, at, userns, err) < 0)
		return -1;
	free(*path);
	*path = strdup(at);
	return *path ? 0 : err_sys(err, "layer %zu", i);
}

/* lowerdir lists the top layer first; an image without layers still
 * needs one lower directory. */
static int lowerdirs(struct store *s, const struct image *img, const char *dir,
		     int userns, char *out, size_t size, berr_t *err)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = img->n_layers; i-- > 0;) {
		cleanup_free char *path = NULL;
		int n;

		if (lower_path(s, img, i, dir, userns, &path, err) < 0)
			return -1;
		n = snprintf(out + used, size - used, "%s%s", used ? ":" : "", path);
		if (n < 0 || (size_t)n >= size - used)
			return err_set(err, E2BIG, "image %s: too many layers for one overlay mount (%zu)",
				       img->config_digest, img->n_layers);
		used += (size_t)n;
	}
	if (!used)
		snprintf(out, size, "%s/empty", dir);
	return 0;
}

/* A user namespace for the idmapping, and the writable layer handed to
 * the range's root: overlayfs writes it with the mounter's ids, and an
 * idmapped upper layer would refuse them. */
static int prepare_userns(const char *dir, const struct userns_range *r, int *userns,
			  berr_t *err)
{
	struct spec_idmap map = { .container_id = 0, .host_id = r->base, .size = r->size };
	char path[PATH_MAX];

	*userns = -1;
	if (!r->size)
		return 0;
	for (size_t i = 0; i < 2; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, i ? "work" : "upper") >= (int)sizeof(path))
			return err_set(err, ENAMETOOLONG, "'%s': path too long", dir);
		if (chown(path, r->base, r->base) < 0)
			return err_sys(err, "chown '%s' to the container's root", path);
	}
	return ns_userns_with_maps(&map, 1, &map, 1, userns, err);
}

#define VOLATILE ",volatile"

/* A writable layer that is thrown away after one run is mounted
 * "volatile": otherwise unmounting the overlay syncs the whole filesystem
 * the upper directory is on, a wait for the disk that dominated the end of
 * `run --rm`.  Kernels before 5.10 lack the option (EINVAL): data then
 * loses its VOLATILE suffix and the mount is tried again. */
static int mount_overlay(const char *rootfs, char *data, size_t len, bool discard)
{
	if (mount("overlay", rootfs, "overlay", 0, data) == 0)
		return 0;
	if (!discard || errno != EINVAL)
		return -1;
	data[len - strlen(VOLATILE)] = '\0';
	return mount("overlay", rootfs, "overlay", 0, data);
}

static int mount_rootfs(struct store *s, const struct image *img,
			const char *dir, const struct rootfs_opts *o, berr_t *err)
{
	char lower[OVERLAY_DATA_MAX], data[OVERLAY_DATA_MAX + PATH_MAX * 2];
	char rootfs[PATH_MAX];
	cleanup_close int userns = -1;
	int len;

	if (make_dirs(dir, img->n_layers == 0, err) < 0 ||
	    prepare_userns(dir, &o->userns, &userns, err) < 0 ||
	    lowerdirs(s, img, dir, userns, lower, sizeof(lower), err) < 0)
		return -1;
	len = snprintf(data, sizeof(data), "lowerdir=%s,upperdir=%s/upper,workdir=%s/work%s",
		       lower, dir, dir, o->discard ? VOLATILE : "");
	if (len < 0 || len >= OVERLAY_DATA_MAX)
		return err_set(err, E2BIG, "image %s: overlay options longer than a page",
			       img->config_digest);
	if (snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir) >= (int)sizeof(rootfs))
		return err_set(err, ENAMETOOLONG, "'%s': path too long", dir);
	if (mount_overlay(rootfs, data, (size_t)len, o->discard) < 0)
		return err_sys(err, "mount the overlay rootfs at '%s'", rootfs);
	return 0;
}

/* Without overlayfs the layers are copied, base first, into rootfs/. */
static int copy_rootfs(struct store *s, const struct image *img,
		       const char *dir, const struct userns_range *r, berr_t *err)
{
	char rootfs[PATH_MAX];

	if (make_dirs(dir, false, err) < 0)
		return -1;
	if (snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir) >= (int)sizeof(rootfs))
		return err_set(err, ENAMETOOLONG, "'%s': path too long", dir);
	if (r->size && chown(rootfs, r->base, r->base) < 0)
		return err_sys(err, "chown '%s' to the container's root", rootfs);
	for (size_t i = 0; i < img->n_layers; i++) {
		cleanup_free char *path = NULL;

		if (lower_path(s, img, i, dir, -1, &path, err) < 0 ||
		    rootfs_copy_layer(path, rootfs, r, err) < 0)
			return -1;
	}
	return 0;
}

int container_rootfs_mount(struct store *s, const struct image *img,
			   const char *dir, const struct rootfs_opts *o, berr_t *err)
{
	berr_t undo = NULL;
	bool no_overlay = sys_fallback_forced("overlay");

	if (!no_overlay && mount_rootfs(s, img, dir, o, err) == 0)
		return 0;
	/* Layers already attached must not outlive a failed mount. */
	if (!no_overlay && container_rootfs_unmount(dir, &undo) < 0) {
		err_prefix(err, "left mounted (%s) after", err_msg(undo));
		err_free(&undo);
		return -1;
	}
	if (!no_overlay && (*err)->errnum != ENODEV)
		return -1;
	err_free(err);
	return copy_rootfs(s, img, dir, &o->userns, err);
}

static int unmount_one(const char *path, berr_t *err)
{
	if (umount2(path, 0) == 0 || errno == EINVAL || errno == ENOENT)
		return 0;
	if (errno == EBUSY && umount2(path, MNT_DETACH) == 0)
		return 0;
	return err_sys(err, "unmount '%s'", path);
}

/* The idmapped layer views under <dir>/lower/, after the overlay on them. */
static int unmount_lowers(const char *dir, berr_t *err)
{
	char path[PATH_MAX];
	cleanup_closedir DIR *d = NULL;
	struct dirent *de;

	if (snprintf(path, sizeof(path), "%s/lower", dir) >= (int)sizeof(path))
		return err_set(err, ENAMETOOLONG, "'%s': path too long", dir);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : err_sys(err, "open '%s'", path);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/lower/%s", dir, de->d_name) >= (int)sizeof(path))
			return err_set(err, ENAMETOOLONG, "'%s': path too long", dir);
		if (unmount_one(path, err) < 0)
			return -1;
	}
	return 0;
}

int container_rootfs_unmount(const char *dir, berr_t *err)
{
	char rootfs[PATH_MAX];

	if (snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir) >= (int)sizeof(rootfs))
		return err_set(err, ENAMETOOLONG, "'%s': path too long", dir);
	if (unmount_one(rootfs, err) < 0)
		return -1;
	return unmount_lowers(dir, err);
}
