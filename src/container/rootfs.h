/* A container's root filesystem: an overlayfs of its image's unpacked
 * layers (shared, read-only) and its own writable layer, under
 * <store>/containers/<id>/: upper/, work/, rootfs/ (the mount), and with
 * a user namespace lower/<i>/, idmapped views of the layers. */
#ifndef BERTH_CONTAINER_ROOTFS_H
#define BERTH_CONTAINER_ROOTFS_H

#include <stdbool.h>

#include "common/error.h"
#include "image/image.h"
#include "image/store.h"
#include "container/userns.h"

struct rootfs_opts {
	struct userns_range userns; /* size 0: no user namespace */
	/* The writable layer is removed after this one run (--rm), so it
	 * need not survive a crash and is never synced to disk. */
	bool discard;
};

/* On failure nothing stays mounted. */
int container_rootfs_mount(struct store *s, const struct image *img,
			   const char *dir, const struct rootfs_opts *o, berr_t *err);
/* Unmount (lazily if busy); a missing mount is fine. */
int container_rootfs_unmount(const char *dir, berr_t *err);

#endif
