/* `berth load`: images from a `docker save` archive (manifest.json with
 * Config, RepoTags and Layers) or an OCI image layout (oci-layout,
 * index.json, blobs/sha256/...), as a tar file, a directory, or a tar on
 * stdin.  Every blob is checked against its digest; names are set only
 * once every image in the input has been stored and checked. */
#ifndef BERTH_IMAGE_LOAD_H
#define BERTH_IMAGE_LOAD_H

#include <jansson.h>

#include "common/error.h"
#include "image/store.h"

/* path: a file, a directory (OCI layout), or "-" for stdin.  *loaded
 * receives [{"manifest": digest, "id": config digest, "names": [..]}]. */
int image_load_archive(struct store *s, const char *path, json_t **loaded,
		       berr_t *err);

#endif
