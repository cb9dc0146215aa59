/* The inverse of unpacking a layer: a directory in overlayfs's upper
 * format (a container's writable layer) stored as an uncompressed OCI
 * layer blob, whose digest is therefore also its diff id. */
#ifndef BERTH_IMAGE_LAYER_PACK_H
#define BERTH_IMAGE_LAYER_PACK_H

#include <stdint.h>

#include "common/error.h"
#include "image/store.h"

int layer_pack(struct store *s, int dirfd, char blob[DIGEST_MAX], uint64_t *size,
	       berr_t *err);

#endif
