/* The image store under the store root (/var/lib/berth by default):
 *
 *   blobs/sha256/<hex>        content-addressed, checked on write and read
 *   layers/sha256/<hex>/      unpacked layer, by diff id (uncompressed digest)
 *   refs/<name>               "repo:tag" -> manifest digest (atomic files)
 *   images/<hex>              one empty file per image (manifest digest),
 *                             named or not; with refs, the roots of GC
 *   containers/<id>/image.json  the image a container uses (image/uses.h)
 *   tmp/                      in-progress writes "<pid>.<random>"; store_open
 *                             removes those whose writer is gone (dead, or
 *                             its pid reused by a process started later),
 *                             but for partial-<hex>, downloads to resume
 *   locks/<hex>               flock of a blob being downloaded, so that
 *                             concurrent pulls fetch each blob once
 *   lock                      flock for ref updates and garbage collection
 *
 * Digests are strings "sha256:<64 hex>".  Writes land in tmp/ and are
 * renamed into place, so a killed process never leaves a half blob or
 * layer visible, and two processes writing the same content race safely. */
#ifndef BERTH_IMAGE_STORE_H
#define BERTH_IMAGE_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define STORE_DEFAULT_ROOT "/var/lib/berth"
#define DIGEST_MAX 80 /* "sha256:" + 64 hex + NUL, with room */

struct store {
	char *root;
	int rootfd;
};

int store_open(const char *root, struct store *s, berr_t *err);
void store_close(struct store *s);

/* "sha256:<64 lowercase hex>" and nothing else. */
bool digest_valid(const char *digest);

/* Store what fd yields (to EOF).  With expect, a different digest is an
 * error and nothing is stored. */
int store_blob_put_fd(struct store *s, int fd, const char *expect,
		      char digest[DIGEST_MAX], uint64_t *size, berr_t *err);
int store_blob_put_mem(struct store *s, const void *data, size_t len,
		       char digest[DIGEST_MAX], berr_t *err);
bool store_blob_exists(struct store *s, const char *digest);
/* Read a whole (small) blob, checking its digest. */
int store_blob_read(struct store *s, const char *digest, size_t max,
		    char **data, size_t *len, berr_t *err);
/* Open a blob for streaming (layers); the caller checks what it needs. */
int store_blob_open(struct store *s, const char *digest, int *fd, berr_t *err);

/* The unpacked directory of a layer blob, unpacking it once if needed
 * (concurrent callers unpack once; the loser's copy is dropped).  Returns
 * the diff id and the absolute path of the layer directory. */
int store_layer_get(struct store *s, const char *blob_digest,
		    char diff_id[DIGEST_MAX], char **path, berr_t *err);

/* Names: "busybox" means "busybox:latest"; stored as refs/<escaped>. */
int store_ref_set(struct store *s, const char *name, const char *manifest,
		  berr_t *err);
int store_ref_get(struct store *s, const char *name, char manifest[DIGEST_MAX],
		  berr_t *err);
int store_ref_delete(struct store *s, const char *name, berr_t *err);
/* Every name with its manifest digest: [{"name":..., "manifest":...}]. */
int store_refs_list(struct store *s, json_t **list, berr_t *err);

/* How many names in list (from store_refs_list) point at manifest. */
size_t store_refs_count(json_t *list, const char *manifest);

/* Image records: added by load and import (under the shared lock, with
 * the blobs), removed by rmi and prune. */
int store_image_add(struct store *s, const char *manifest, berr_t *err);
int store_image_remove(struct store *s, const char *manifest, berr_t *err);
/* Every image's manifest digest, recorded or named, each once. */
int store_images_list(struct store *s, char ***manifests, berr_t *err);

#endif
