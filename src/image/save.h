/* `berth save`: images out of the store as one tar stream, either
 * docker's current `docker save` layout (manifest.json and repositories
 * next to an OCI image layout, blobs under blobs/sha256/) or a plain OCI
 * image layout.  Blobs are copied as stored, so `berth load` of the
 * result gives back the same manifest, config and layer digests. */
#ifndef BERTH_IMAGE_SAVE_H
#define BERTH_IMAGE_SAVE_H

#include "common/error.h"
#include "image/store.h"

enum save_format {
	SAVE_DOCKER, /* manifest.json + repositories + OCI layout */
	SAVE_OCI,    /* oci-layout + index.json + blobs only */
};

/* "docker" or "oci"; anything else is an error naming it. */
int save_format_parse(const char *s, enum save_format *out, berr_t *err);

/* Write the images named by refs (NULL-terminated; names, ids or
 * digests) as a tar to fd.  Every ref is resolved before the first byte
 * is written, so an unknown image writes nothing. */
int image_save(struct store *s, char *const *refs, enum save_format fmt,
	       int fd, berr_t *err);

#endif
