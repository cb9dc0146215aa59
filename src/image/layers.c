/* Unpacked layers: layers/sha256/<diff id hex>/, unpacked once from their
 * blob into tmp/ and renamed into place.  layers/by-blob/<blob hex> holds
 * the diff id of a blob already unpacked, so later gets skip the work. */
#include "image/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "image/layer.h"
#include "image/store_internal.h"

static const struct layer_limits store_layer_limits = {
	.max_bytes = (uint64_t)16 << 30,
	.max_entries = 10000000,
	.allow_devices = false,
};

static int layer_path(struct store *s, const char *diff_id, char **path,
		      berr_t *err)
{
	if (asprintf(path, "%s/layers/sha256/%.64s", s->root, digest_hex(diff_id)) < 0) {
		*path = NULL;
		return err_sys(err, "layer %s", diff_id);
	}
	return 0;
}

static bool layer_dir_exists(struct store *s, const char *diff_id)
{
	char rel[DIGEST_MAX + 16];
	struct stat st;

	snprintf(rel, sizeof(rel), "layers/sha256/%.64s", digest_hex(diff_id));
	return fstatat(s->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(st.st_mode);
}

/* 1 with the diff id when the blob was unpacked before (and its layer is
 * still there), 0 when it must be unpacked. */
static int index_lookup(struct store *s, const char *blob,
			char diff_id[DIGEST_MAX], berr_t *err)
{
	cleanup_free char *text = NULL;
	char rel[DIGEST_MAX + 16];
	size_t len;

	snprintf(rel, sizeof(rel), "layers/by-blob/%.64s", digest_hex(blob));
	if (fs_read_file_at(s->rootfd, rel, DIGEST_MAX, &text, &len, err) < 0) {
		if ((*err)->errnum != ENOENT)
			return err_prefix(err, "layer index of %s", blob);
		err_free(err);
		return 0;
	}
	if (len > 0 && text[len - 1] == '\n')
		text[len - 1] = '\0';
	/* A damaged index entry only costs an unpack: it is rewritten. */
	if (!digest_valid(text) || !layer_dir_exists(s, text))
		return 0;
	strcpy(diff_id, text);
	return 1;
}

static int index_write(struct store *s, const char *blob, const char *diff_id,
		       berr_t *err)
{
	cleanup_close int dfd = openat(s->rootfd, "layers/by-blob",
				       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char line[DIGEST_MAX + 2];

	if (dfd < 0)
		return err_sys(err, "open '%s/layers/by-blob'", s->root);
	snprintf(line, sizeof(line), "%s\n", diff_id);
	return fs_write_atomic_at(dfd, digest_hex(blob), line, strlen(line),
				  0644, FS_DURABLE, err);
}

/* Blobs are checked when written; checking again before an unpack costs a
 * read from the page cache and catches a damaged store before its bytes
 * become a root filesystem. */
static int verify_fd(int fd, const char *blob, berr_t *err)
{
	cleanup_free char *buf = malloc(65536);
	char got[DIGEST_MAX];
	struct sha256 h;

	if (!buf)
		return err_sys(err, "layer %s", blob);
	if (sha256_init(&h, err) < 0)
		return -1;
	for (;;) {
		ssize_t n = read(fd, buf, 65536);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			break;
		if (n < 0) {
			sha256_free(&h);
			return err_sys(err, "read blob %s", blob);
		}
		if (sha256_update(&h, buf, (size_t)n, err) < 0) {
			sha256_free(&h);
			return -1;
		}
	}
	if (sha256_final(&h, got, err) < 0)
		return -1;
	if (strcmp(got, blob) != 0)
		return err_set(err, EIO, "blob %s: stored content has digest %s (store damaged)",
			       blob, got);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return err_sys(err, "seek blob %s", blob);
	return 0;
}

/* Unpack the blob into tmp/<name>, flushed to disk before it is renamed,
 * so a layer directory that exists is always whole. */
static int unpack_tmp(struct store *s, const char *blob, const char *rel,
		      char diff_id[DIGEST_MAX], berr_t *err)
{
	cleanup_close int fd = -1, destfd = -1;
	struct layer_result res;
	char name[DIGEST_MAX + 8];

	if (store_blob_open(s, blob, &fd, err) < 0 || verify_fd(fd, blob, err) < 0)
		return -1;
	if (mkdirat(s->rootfd, rel, 0755) < 0)
		return err_sys(err, "mkdir '%s/%s'", s->root, rel);
	destfd = openat(s->rootfd, rel,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (destfd < 0)
		return err_sys(err, "open '%s/%s'", s->root, rel);
	snprintf(name, sizeof(name), "layer %s", blob);
	memset(&res, 0, sizeof(res));
	if (layer_unpack(fd, destfd, name, &store_layer_limits, &res, err) < 0)
		return -1;
	if (!digest_valid(res.diff_id))
		return err_set(err, EIO, "layer %s: unpacker returned no diff id", blob);
	if (syncfs(destfd) < 0)
		return err_sys(err, "sync layer %s", blob);
	strcpy(diff_id, res.diff_id);
	return 0;
}

/* Move tmp/<name> to layers/sha256/<hex>.  When a concurrent unpack of
 * the same layer got there first, ours is dropped: the contents match. */
static int install(struct store *s, const char *rel, const char *diff_id,
		   berr_t *err)
{
	char dst[DIGEST_MAX + 16];
	cleanup_close int dfd = -1;

	snprintf(dst, sizeof(dst), "layers/sha256/%.64s", digest_hex(diff_id));
	if (renameat(s->rootfd, rel, s->rootfd, dst) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY)
			return err_sys(err, "rename '%s' to '%s/%s'", rel, s->root, dst);
		return fs_remove_tree_at(s->rootfd, rel, err);
	}
	dfd = openat(s->rootfd, "layers/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		return err_sys(err, "sync '%s/layers/sha256'", s->root);
	return 0;
}

static int unpack_and_install(struct store *s, const char *blob_digest,
			      char diff_id[DIGEST_MAX], berr_t *err)
{
	char tmp[TMP_NAME_MAX], rel[TMP_NAME_MAX + 8];

	if (store_tmp_name(tmp, err) < 0)
		return -1;
	snprintf(rel, sizeof(rel), "tmp/%s", tmp);
	if (unpack_tmp(s, blob_digest, rel, diff_id, err) < 0 ||
	    install(s, rel, diff_id, err) < 0) {
		berr_t ignored = NULL;

		fs_remove_tree_at(s->rootfd, rel, &ignored);
		err_free(&ignored);
		return -1;
	}
	return index_write(s, blob_digest, diff_id, err);
}

/* One unpack per layer however many runs start at once on a cold store:
 * the others wait on locks/layer-<blob hex>, then find the index entry
 * (unpacking a layer is the costliest step of a first run, and a hundred
 * copies of it, each synced and then thrown away, took seconds). */
static int unpack_once(struct store *s, const char *blob_digest,
		       char diff_id[DIGEST_MAX], berr_t *err)
{
	char name[DIGEST_MAX], path[STORE_WORK_LOCK_MAX];
	cleanup_close int fd = -1;
	int r;

	snprintf(name, sizeof(name), "layer-%.64s", digest_hex(blob_digest));
	if (store_lock_work(s, name, &fd, path, err) < 0)
		return -1;
	r = index_lookup(s, blob_digest, diff_id, err);
	if (r == 0)
		r = unpack_and_install(s, blob_digest, diff_id, err) < 0 ? -1 : 1;
	if (r > 0)
		unlinkat(s->rootfd, path, 0);
	return r < 0 ? -1 : 0;
}

int store_layer_get(struct store *s, const char *blob_digest,
		    char diff_id[DIGEST_MAX], char **path, berr_t *err)
{
	int r;

	if (!digest_valid(blob_digest))
		return err_set(err, EINVAL, "'%s' is not a sha256 digest", blob_digest);
	r = index_lookup(s, blob_digest, diff_id, err);
	if (r < 0 || (r == 0 && unpack_once(s, blob_digest, diff_id, err) < 0))
		return -1;
	return layer_path(s, diff_id, path, err);
}
