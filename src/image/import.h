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
	/* Dockerfile instructions applied to the config, in order: CMD,
	 * ENTRYPOINT (JSON or shell form), ENV, WORKDIR, USER, LABEL,
	 * EXPOSE, STOPSIGNAL.  NULL-terminated; NULL for none. */
	char *const *changes;
	const char *name; /* the name to give the image, or NULL */
};

/* Import the tarball read from fd (to EOF).  On success manifest and id
 * (the config digest) identify the new image. */
int image_import(struct store *s, int fd, const struct import_opts *o,
		 char manifest[DIGEST_MAX], char id[DIGEST_MAX], berr_t *err);

/* Apply one instruction ("CMD [\"sh\"]", "ENV A=b") to the "config"
 * object of an image config. */
int import_apply_change(json_t *config, const char *change, berr_t *err);

#endif
