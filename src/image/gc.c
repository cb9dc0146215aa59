/* Garbage collection: blobs, unpacked layers and layer index entries that
 * no image references any more are removed.  The roots are the image
 * records, the names and the images containers use.
 *
 * Safety against concurrent writers comes from the store lock: every
 * command that adds blobs holds it shared from its first blob until the
 * image record or name that references them is written (load, import,
 * tag), and `run` holds it until its container has recorded its image.
 * The collector holds it exclusively, so it never sees a blob that a
 * writer has stored but not yet referenced. */
#include "image/gc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "image/store_internal.h"
#include "image/uses.h"

/* The hex names to keep, in blobs/ and in layers/ (by diff id). */
struct marks {
	char **blobs;
	char **layers;
};

static int mark(char ***v, const char *digest, berr_t *err)
{
	if (strv_contains(*v, digest_hex(digest)))
		return 0;
	return strv_push(v, digest_hex(digest)) < 0
		       ? err_set(err, ENOMEM, "gc: out of memory") : 0;
}

/* The diff ids in the config: the unpacked layers the image needs. */
static int mark_config(struct store *s, const char *config, struct marks *m,
		       berr_t *err)
{
	cleanup_free char *text = NULL;
	json_t *doc, *ids, *id;
	size_t len, i;
	int r = 0;

	if (store_blob_read(s, config, STORE_JSON_MAX, &text, &len, err) < 0)
		return -1;
	doc = json_loadb(text, len, 0, NULL);
	ids = json_object_get(json_object_get(doc, "rootfs"), "diff_ids");
	if (!json_is_array(ids))
		r = err_set(err, EINVAL, "config %s: no rootfs.diff_ids", config);
	json_array_foreach(ids, i, id) {
		const char *d = json_string_value(id);

		if (r == 0 && d && digest_valid(d))
			r = mark(&m->layers, d, err);
	}
	json_decref(doc);
	return r;
}

static int mark_image(struct store *s, const char *manifest, struct marks *m,
		      berr_t *err)
{
	cleanup_free char *text = NULL;
	struct manifest man;
	size_t len;
	int r;

	if (store_blob_read(s, manifest, STORE_JSON_MAX, &text, &len, err) < 0 ||
	    manifest_parse(text, len, manifest, &man, err) < 0)
		return -1;
	r = mark(&m->blobs, manifest, err);
	if (r == 0)
		r = mark(&m->blobs, man.config, err);
	for (size_t i = 0; r == 0 && i < man.n_layers; i++)
		r = mark(&m->blobs, man.layers[i], err);
	if (r == 0)
		r = mark_config(s, man.config, m, err);
	manifest_clear(&man);
	return r;
}

/* Every image and every container's image; one unreadable root stops the
 * collection (what it references is unknown), naming the image. */
static int mark_roots(struct store *s, struct marks *m, berr_t *err)
{
	cleanup_strv char **images = NULL;
	json_t *uses = NULL, *item;
	size_t i;
	int r = 0;

	if (store_images_list(s, &images, err) < 0 || image_uses_list(s, &uses, err) < 0)
		return -1;
	json_array_foreach(uses, i, item) {
		const char *md = json_string_value(json_object_get(item, "manifest"));

		if (!strv_contains(images, md) && strv_push(&images, md) < 0) {
			r = err_set(err, ENOMEM, "gc: out of memory");
			break;
		}
	}
	json_decref(uses);
	/* A root whose manifest is gone references nothing that can be
	 * found; one that is there but unreadable stops everything. */
	for (i = 0; r == 0 && images[i]; i++)
		if (store_blob_exists(s, images[i]) && mark_image(s, images[i], m, err) < 0)
			r = err_prefix(err, "gc: image %s (nothing removed; remove the damaged image with rmi)",
				       images[i]);
	return r;
}

static bool is_hex64(const char *name)
{
	char digest[DIGEST_MAX];

	snprintf(digest, sizeof(digest), "sha256:%.70s", name);
	return digest_valid(digest);
}

/* Remove the entries of dir (hex names only: anything else is not
 * berth's) not in keep; blobs are counted with their size. */
static int sweep(struct store *s, const char *dir, char **keep,
		 size_t *count, uint64_t *bytes, berr_t *err)
{
	cleanup_closedir DIR *d = NULL;
	int fd = openat(s->rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	struct stat st;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return err_sys(err, "open '%s/%s'", s->root, dir);
	}
	while ((errno = 0, de = readdir(d))) {
		if (!is_hex64(de->d_name) || strv_contains(keep, de->d_name))
			continue;
		if (bytes && fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			*bytes += (uint64_t)st.st_size;
		if (fs_remove_tree_at(dirfd(d), de->d_name, err) < 0)
			return err_prefix(err, "gc: '%s/%s'", s->root, dir);
		(*count)++;
	}
	if (errno)
		return err_sys(err, "read '%s/%s'", s->root, dir);
	if (fsync(dirfd(d)) < 0)
		return err_sys(err, "sync '%s/%s'", s->root, dir);
	return 0;
}

int store_gc_locked(struct store *s, struct gc_stats *st, berr_t *err)
{
	struct marks m = { 0 };
	size_t index = 0;
	int r;

	memset(st, 0, sizeof(*st));
	r = mark_roots(s, &m, err);
	if (r == 0)
		r = sweep(s, "blobs/sha256", m.blobs, &st->blobs, &st->bytes, err);
	if (r == 0)
		r = sweep(s, "layers/sha256", m.layers, &st->layers, NULL, err);
	/* An index entry of a removed blob would only cost a lookup, but it
	 * is garbage too. */
	if (r == 0)
		r = sweep(s, "layers/by-blob", m.blobs, &index, NULL, err);
	strv_free(m.blobs);
	strv_free(m.layers);
	return r;
}

int store_gc(struct store *s, struct gc_stats *st, berr_t *err)
{
	cleanup_close int lock = -1;

	if (store_lock(s, true, &lock, err) < 0)
		return -1;
	return store_gc_locked(s, st, err);
}
