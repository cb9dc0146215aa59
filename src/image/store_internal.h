/* Helpers shared by the files of the image store (and its CLI): hashing,
 * temporary names, the blob writer, the store lock, ref names and
 * manifests.  Not a stable API: the library's API is store.h / image.h. */
#ifndef BERTH_IMAGE_STORE_INTERNAL_H
#define BERTH_IMAGE_STORE_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "image/sha256.h"
#include "image/store.h"

/* Manifests and configs are small; anything bigger is hostile. */
#define STORE_JSON_MAX ((size_t)4 << 20)
#define REF_NAME_MAX 255
/* Overlayfs cannot stack many more lower layers than this. */
#define MANIFEST_LAYERS_MAX 500
#define TMP_NAME_MAX 80
/* tmp/partial-<hex>: a download that stopped half way, kept (store_open
 * leaves it) so the next pull of the blob goes on from where it ended. */
#define TMP_PARTIAL_PREFIX "partial-"

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"


/* The 64 hex digits of a valid digest. */
static inline const char *digest_hex(const char *digest)
{
	return digest + 7;
}

/* A fresh name for an entry of tmp/: "<pid>.<random hex>", so store_open
 * can tell a dead writer's leftovers from a live writer's work. */
int store_tmp_name(char name[TMP_NAME_MAX], berr_t *err);

/* Streaming blob writes: data goes to tmp/, is hashed on the way, and is
 * renamed into blobs/ by commit only when the digest is the expected one.
 * abort (safe after commit, or twice) drops the temporary file. */
struct blob_writer {
	struct store *s;
	int fd;
	char tmp[TMP_NAME_MAX];
	struct sha256 h;
	uint64_t size;
};

int blob_writer_open(struct store *s, struct blob_writer *w, berr_t *err);
/* A writer on tmp/partial-<hex of digest>, created or continued: what the
 * file already holds is hashed and counted in size, new data goes after
 * it.  Only one process may use it at a time (the caller's lock). */
int blob_writer_resume(struct store *s, const char *digest,
		       struct blob_writer *w, berr_t *err);
/* Close, keeping the temporary file (a partial download to resume). */
void blob_writer_keep(struct blob_writer *w);
int blob_writer_write(struct blob_writer *w, const void *data, size_t len,
		      berr_t *err);
int blob_writer_commit(struct blob_writer *w, const char *expect,
		       char digest[DIGEST_MAX], uint64_t *size, berr_t *err);
void blob_writer_abort(struct blob_writer *w);

int store_blob_size(struct store *s, const char *digest, uint64_t *size,
		    berr_t *err);
/* The OCI layer media type of a stored layer blob, from its first bytes
 * (gzip, zstd or a plain tar); other compressions are refused. */
int store_layer_media_type(struct store *s, const char *digest,
			   const char **media_type, berr_t *err);

/* flock on <root>/lock, returned in *fd (close it to unlock).  Commands
 * that add blobs and then refs hold it shared, so a future garbage
 * collector (exclusive) never sees their blobs unreferenced. */
int store_lock(struct store *s, bool exclusive, int *fd, berr_t *err);

/* One process at a time does a piece of work (a download, an unpack):
 * locks/<name> flocked exclusively, its path in path.  The holder
 * re-checks whether the work is done, does it if not, and once the result
 * is in place unlinks the file while still holding it: a waiter re-checks
 * and finds the result, a newcomer locks a new file and finds it too.
 * After a failure the file stays for the next holder. */
#define STORE_WORK_LOCK_MAX (DIGEST_MAX + 16)
int store_lock_work(struct store *s, const char *name, int *fd,
		    char path[STORE_WORK_LOCK_MAX], berr_t *err);

/* "busybox" -> "busybox:latest"; a leading "docker.io/library/" dropped;
 * names outside [a-z0-9._/:@-] (upper case allowed in the tag) or longer
 * than REF_NAME_MAX refused with an error naming them. */
int ref_normalize(const char *name, char out[REF_NAME_MAX + 1], berr_t *err);

/* A parsed image manifest (OCI or Docker schema 2). */
struct manifest {
	char config[DIGEST_MAX];
	char **layers; /* NULL-terminated layer blob digests */
	size_t n_layers;
};

/* Manifest lists and indexes are refused ("manifest lists are not
 * supported yet"); where names the document in errors. */
int manifest_parse(const char *text, size_t len, const char *where,
		   struct manifest *m, berr_t *err);
void manifest_clear(struct manifest *m);

/* A new OCI manifest for a config and layer blobs already in the store,
 * stored as a blob; its digest in manifest. */
int manifest_write(struct store *s, const char *config, char *const *layers,
		   char manifest[DIGEST_MAX], berr_t *err);

/* The diff ids of a parsed config document (rootfs.diff_ids), which must
 * be as many as the manifest's layers. */
int config_check_rootfs(json_t *doc, size_t n_layers, const char *where,
			berr_t *err);

#endif
