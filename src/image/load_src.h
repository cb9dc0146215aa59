/* The input of `berth load`, read the same way whether it is a tar
 * (read once, in order, every file stored as a blob as it streams by) or
 * a directory (files opened on demand, never outside it).  Internal to
 * load.c. */
#ifndef BERTH_IMAGE_LOAD_SRC_H
#define BERTH_IMAGE_LOAD_SRC_H

#include <jansson.h>
#include <stddef.h>

#include "common/error.h"
#include "image/store.h"

struct load_src {
	struct store *s;
	int dirfd;     /* a directory input, or -1 for a tar */
	json_t *files; /* path -> digest of each file stored as a blob */
	json_t *links; /* tar symlinks and hard links: path -> target path */
	json_t *small; /* tar: the top-level JSON files, path -> contents */
};

int load_src_open(struct store *s, const char *path, struct load_src *src,
		  berr_t *err);
void load_src_close(struct load_src *src);

/* The blob digest of the file at path (relative to the input's root);
 * with expect, a different digest is an error. */
int load_src_blob(struct load_src *src, const char *path, const char *expect,
		  char digest[DIGEST_MAX], berr_t *err);

/* A top-level JSON file (manifest.json, index.json, oci-layout) of at
 * most STORE_JSON_MAX bytes; 0 with *text NULL when absent. */
int load_src_small(struct load_src *src, const char *name, char **text,
		   size_t *len, berr_t *err);

#endif
