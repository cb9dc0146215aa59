/* Unpacking an image layer (a tar stream, gzip/zstd/plain) into its own
 * directory, ready to be an overlayfs lower layer.
 *
 * Every path is created inside the destination (never through a symlink
 * or ".." out of it), hard links only point inside the layer, device nodes
 * only when allowed, and the total size is capped (decompression bombs).
 * OCI whiteouts become what overlayfs understands: ".wh.NAME" a 0:0
 * character device NAME, ".wh..wh..opq" the trusted.overlay.opaque xattr
 * on its directory. */
#ifndef BERTH_IMAGE_LAYER_H
#define BERTH_IMAGE_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

struct layer_limits {
	uint64_t max_bytes;   /* total of regular file sizes; 0: no cap */
	uint64_t max_entries; /* 0: no cap */
	bool allow_devices;   /* create block/char device nodes */
};

struct layer_result {
	char diff_id[80];     /* "sha256:<hex>" of the uncompressed tar */
	uint64_t bytes;       /* regular file bytes written */
	uint64_t entries;
};

/* Unpack the archive read from fd into destfd (an empty directory).
 * name identifies the layer in error messages ("layer sha256:ab12…"). */
int layer_unpack(int fd, int destfd, const char *name,
		 const struct layer_limits *lim, struct layer_result *res,
		 berr_t *err);

#endif
