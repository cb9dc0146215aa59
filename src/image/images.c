/* The set of images in the store: images/<manifest hex>, one empty file
 * per image, written when an image is loaded or imported.  Names (refs/)
 * point at images; an image whose names are all gone or moved elsewhere
 * is still an image (shown as <none>) until rmi or prune removes its
 * record.  Records and names are the roots of garbage collection. */
#include "image/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "image/store_internal.h"

static int images_dir(struct store *s, int *fd, berr_t *err)
{
	*fd = openat(s->rootfd, "images", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return err_sys(err, "open '%s/images'", s->root);
	return 0;
}

int store_image_add(struct store *s, const char *manifest, berr_t *err)
{
	cleanup_close int dfd = -1;

	if (!digest_valid(manifest) || !store_blob_exists(s, manifest))
		return err_set(err, ENOENT, "image record: manifest '%s' is not in the store",
			       manifest);
	if (images_dir(s, &dfd, err) < 0)
		return -1;
	if (faccessat(dfd, digest_hex(manifest), F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0; /* recorded already */
	return fs_write_atomic_at(dfd, digest_hex(manifest), "", 0, 0644,
				  FS_DURABLE, err);
}

int store_image_remove(struct store *s, const char *manifest, berr_t *err)
{
	cleanup_close int dfd = -1;

	if (!digest_valid(manifest))
		return err_set(err, EINVAL, "'%s' is not a sha256 digest", manifest);
	if (images_dir(s, &dfd, err) < 0)
		return -1;
	if (unlinkat(dfd, digest_hex(manifest), 0) < 0 && errno != ENOENT)
		return err_sys(err, "remove the record of image %s", manifest);
	if (fsync(dfd) < 0)
		return err_sys(err, "sync '%s/images'", s->root);
	return 0;
}

static int add_unique(char ***v, const char *digest, berr_t *err)
{
	if (strv_contains(*v, digest))
		return 0;
	return strv_push(v, digest) < 0 ? err_set(err, ENOMEM, "list images: out of memory") : 0;
}

/* Records whose name is not a digest's hex are not berth's: skipped. */
static int add_records(struct store *s, char ***out, berr_t *err)
{
	cleanup_closedir DIR *d = NULL;
	struct dirent *de;
	int dfd;

	if (images_dir(s, &dfd, err) < 0)
		return -1;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return err_sys(err, "open '%s/images'", s->root);
	}
	while ((errno = 0, de = readdir(d))) {
		char digest[DIGEST_MAX];

		snprintf(digest, sizeof(digest), "sha256:%.70s", de->d_name);
		if (digest_valid(digest) && add_unique(out, digest, err) < 0)
			return -1;
	}
	if (errno)
		return err_sys(err, "read '%s/images'", s->root);
	return 0;
}

int store_images_list(struct store *s, char ***manifests, berr_t *err)
{
	cleanup_strv char **out = calloc(1, sizeof(*out));
	json_t *refs = NULL, *item;
	size_t i;

	if (!out)
		return err_set(err, ENOMEM, "list images: out of memory");
	if (add_records(s, &out, err) < 0 || store_refs_list(s, &refs, err) < 0)
		return -1;
	json_array_foreach(refs, i, item) {
		if (add_unique(&out, json_string_value(json_object_get(item, "manifest")),
			       err) < 0) {
			json_decref(refs);
			return -1;
		}
	}
	json_decref(refs);
	*manifests = take_ptr(out);
	return 0;
}
