/* `berth import`: a root filesystem tarball (plain, gzip or zstd) becomes
 * a one-layer OCI image.  The tarball is stored as it is, as the layer
 * blob; it is unpacked once to learn its diff id (and to refuse a hostile
 * archive before any name points at it). */
#ifndef BERTH_IMAGE_IMPORT_H
#define BERTH_IMAGE_IMPORT_H

#include <jansson.h>

#include "common/error.h"
#include "image/store.h"

struct import_opts {
	/* The image config's "config" object (Env, Cmd, ...), as the
	 * caller made it (`--change` instructions); NULL: just PATH. */
	json_t *config;
	const char *name; /* the name to give the image, or NULL */
};

/* Import the tarball read from fd (to EOF).  On success manifest and id
 * (the config digest) identify the new image. */
int image_import(struct store *s, int fd, const struct import_opts *o,
		 char manifest[DIGEST_MAX], char id[DIGEST_MAX], berr_t *err);

#endif
