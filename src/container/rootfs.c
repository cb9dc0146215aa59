#include "container/rootfs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"

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

/* lowerdir lists the top layer first; an image without layers still
 * needs one lower directory. */
static int lowerdirs(struct store *s, const struct image *img, const char *dir,
		     char *out, size_t size, berr_t *err)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = img->n_layers; i-- > 0;) {
		cleanup_free char *path = NULL;
		char diff_id[DIGEST_MAX];
		int n;

		if (store_layer_get(s, img->layers[i], diff_id, &path, err) < 0)
			return err_prefix(err, "layer %zu of image %s", i, img->config_digest);
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

int container_rootfs_mount(struct store *s, const struct image *img,
			   const char *dir, bool discard, berr_t *err)
{
	char lower[OVERLAY_DATA_MAX], data[OVERLAY_DATA_MAX + PATH_MAX * 2];
	char rootfs[PATH_MAX];
	int len;

	if (make_dirs(dir, img->n_layers == 0, err) < 0 ||
	    lowerdirs(s, img, dir, lower, sizeof(lower), err) < 0)
		return -1;
	len = snprintf(data, sizeof(data), "lowerdir=%s,upperdir=%s/upper,workdir=%s/work%s",
		       lower, dir, dir, discard ? VOLATILE : "");
	if (len < 0 || len >= OVERLAY_DATA_MAX)
		return err_set(err, E2BIG, "image %s: overlay options longer than a page",
			       img->config_digest);
	if (snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir) >= (int)sizeof(rootfs))
		return err_set(err, ENAMETOOLONG, "'%s': path too long", dir);
	if (mount_overlay(rootfs, data, (size_t)len, discard) < 0)
		return err_sys(err, "mount the overlay rootfs at '%s'", rootfs);
	return 0;
}

int container_rootfs_unmount(const char *dir, berr_t *err)
{
	char rootfs[PATH_MAX];

	if (snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir) >= (int)sizeof(rootfs))
		return err_set(err, ENAMETOOLONG, "'%s': path too long", dir);
	if (umount2(rootfs, 0) == 0 || errno == EINVAL || errno == ENOENT)
		return 0;
	if (errno == EBUSY && umount2(rootfs, MNT_DETACH) == 0)
		return 0;
	return err_sys(err, "unmount '%s'", rootfs);
}
