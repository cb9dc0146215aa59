/* overlayfs's on-disk spelling of a layer, shared by what unpacks layers,
 * packs writable layers and copies layers where overlayfs is missing: a
 * whiteout is a 0:0 character device, an opaque directory carries the
 * trusted.overlay.opaque xattr, and overlayfs's own xattrs never travel
 * with a file. */
#ifndef BERTH_COMMON_OVERLAYFS_H
#define BERTH_COMMON_OVERLAYFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "common/error.h"

#define OVERLAY_OPAQUE_XATTR "trusted.overlay.opaque"

bool overlay_is_whiteout(const struct stat *st);
bool overlay_is_opaque(int dirfd);
/* trusted.overlay.* and user.overlay.*: read by overlayfs from its
 * layers, so never taken from or given to a file's content. */
bool overlay_own_xattr(const char *key);

/* fn for each extended attribute of fd but overlayfs's own; name is fd's
 * path for messages.  No xattr support on fd's filesystem is no xattrs. */
int xattrs_each(int fd, const char *name,
		int (*fn)(void *ctx, const char *key, const void *value, size_t len,
			  berr_t *err),
		void *ctx, berr_t *err);

#endif
