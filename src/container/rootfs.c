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

static int make_dirs(const char *dir, berr_t *err)
{
	static const char *const subdirs[] = { "upper", "work", "rootfs", "empty" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(subdirs) / sizeof(*subdirs); i++) {
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
		if (image_check_diff_id(img, i, diff_id, err) < 0)
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

int container_rootfs_mount(struct store *s, const struct image *img,
			   const char *dir, berr_t *err)
{
	char lower[OVERLAY_DATA_MAX], data[OVERLAY_DATA_MAX + PATH_MAX * 2];
	char rootfs[PATH_MAX];

	if (make_dirs(dir, err) < 0 ||
	    lowerdirs(s, img, dir, lower, sizeof(lower), err) < 0)
		return -1;
	if (snprintf(data, sizeof(data), "lowerdir=%s,upperdir=%s/upper,workdir=%s/work",
		     lower, dir, dir) >= OVERLAY_DATA_MAX)
		return err_set(err, E2BIG, "image %s: overlay options longer than a page",
			       img->config_digest);
	if (snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir) >= (int)sizeof(rootfs))
		return err_set(err, ENAMETOOLONG, "'%s': path too long", dir);
	if (mount("overlay", rootfs, "overlay", 0, data) < 0)
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
