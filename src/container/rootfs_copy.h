/* A container's root as a plain copy of its image's layers, for hosts
 * without overlayfs: slower to start and not shared, but the same tree. */
#ifndef BERTH_CONTAINER_ROOTFS_COPY_H
#define BERTH_CONTAINER_ROOTFS_COPY_H

#include "common/error.h"
#include "container/userns.h"

/* Copy one unpacked layer over dest, applying its whiteouts; with a
 * range of size > 0 every owner is moved into it. */
int rootfs_copy_layer(const char *layer, const char *dest,
		      const struct userns_range *shift, berr_t *err);

#endif
