/* A container's root filesystem: an overlayfs of its image's unpacked
 * layers (shared, read-only) and its own writable layer, under
 * <store>/containers/<id>/: upper/, work/, rootfs/ (the mount). */
#ifndef BERTH_CONTAINER_ROOTFS_H
#define BERTH_CONTAINER_ROOTFS_H

#include <stdbool.h>

#include "common/error.h"
#include "image/image.h"
#include "image/store.h"

/* discard: the writable layer is removed after this one run (--rm), so it
 * need not survive a crash and is never synced to disk. */
int container_rootfs_mount(struct store *s, const struct image *img,
			   const char *dir, bool discard, berr_t *err);
/* Unmount (lazily if busy); a missing mount is fine. */
int container_rootfs_unmount(const char *dir, berr_t *err);

#endif
