/* Which containers use which image: containers/<id>/image.json, written
 * by `berth run` before the container's rootfs is built, removed with the
 * container's directory.  rmi refuses to remove an image still in use,
 * and garbage collection keeps everything such an image references. */
#include "image/uses.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "image/store_internal.h"

#define USE_FILE "image.json"

int image_use_write(const char *container_dir, const char *manifest,
		    const char *id, const char *name, bool durable, berr_t *err)
{
	cleanup_close int dfd = open(container_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_free char *text = NULL;
	json_t *doc;

	if (dfd < 0)
		return err_sys(err, "open '%s'", container_dir);
	doc = json_pack("{s:s, s:s, s:s?}", "manifest", manifest, "id", id,
			"name", name);
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (!text)
		return err_set(err, ENOMEM, "record the image of '%s': out of memory",
			       container_dir);
	/* A --rm container's directory does not outlive it: no fsync. */
	return fs_write_atomic_at(dfd, USE_FILE, text, strlen(text), 0600,
				  durable ? FS_DURABLE : FS_VOLATILE, err);
}

/* One container's record; 0 when it has none (a run killed before it
 * wrote one), which holds no image. */
static int read_use(int cfd, const char *id, json_t *out, berr_t *err)
{
	cleanup_free char *text = NULL;
	char path[300];
	const char *manifest, *name;
	json_error_t je;
	json_t *doc, *item;

	snprintf(path, sizeof(path), "%.255s/" USE_FILE, id);
	if (fs_read_regular_at(cfd, path, 4096, &text, err) < 0) {
		if ((*err)->errnum != ENOENT && (*err)->errnum != ENOTDIR)
			return err_prefix(err, "container %s", id);
		err_free(err);
		return 0;
	}
	doc = json_loads(text, 0, &je);
	manifest = json_string_value(json_object_get(doc, "manifest"));
	name = json_string_value(json_object_get(doc, "name"));
	if (!digest_valid(manifest)) {
		json_decref(doc);
		return err_set(err, EINVAL, "containers/%.255s/" USE_FILE ": no valid \"manifest\" digest (damaged record)",
			       id);
	}
	item = json_pack("{s:s, s:s, s:s?}", "container", id, "manifest", manifest,
			 "name", name);
	json_decref(doc);
	if (!item || json_array_append_new(out, item) < 0)
		return err_set(err, ENOMEM, "list containers: out of memory");
	return 0;
}

int image_uses_list(struct store *s, json_t **uses, berr_t *err)
{
	cleanup_closedir DIR *d = NULL;
	json_t *out = json_array();
	struct dirent *de;
	int cfd;

	if (!out)
		return err_set(err, ENOMEM, "list containers: out of memory");
	cfd = openat(s->rootfd, "containers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfd < 0 && errno == ENOENT) {
		*uses = out;
		return 0;
	}
	if (cfd < 0 || !(d = fdopendir(cfd))) {
		if (cfd >= 0)
			close(cfd);
		json_decref(out);
		return err_sys(err, "open '%s/containers'", s->root);
	}
	while ((errno = 0, de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (read_use(dirfd(d), de->d_name, out, err) < 0) {
			json_decref(out);
			return -1;
		}
	}
	if (errno) {
		json_decref(out);
		return err_sys(err, "read '%s/containers'", s->root);
	}
	*uses = out;
	return 0;
}

const char *image_user(json_t *uses, const char *manifest, char *buf, size_t len)
{
	json_t *item;
	size_t i;

	json_array_foreach(uses, i, item) {
		const char *id = json_string_value(json_object_get(item, "container"));
		const char *name = json_string_value(json_object_get(item, "name"));

		if (strcmp(json_string_value(json_object_get(item, "manifest")), manifest))
			continue;
		if (name)
			snprintf(buf, len, "%.12s (%s)", id, name);
		else
			snprintf(buf, len, "%.12s", id);
		return buf;
	}
	return NULL;
}
