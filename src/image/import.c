/* `berth import`: a rootfs tarball as a one-layer image, with docker's
 * --change instructions applied to its config. */
#include "image/import.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "image/image.h"
#include "image/store_internal.h"


/* The config document around cfg (consumed), checked by the same parser
 * that will read it back, then stored. */
static int store_config(struct store *s, json_t *cfg, const char *diff_id,
			char id[DIGEST_MAX], berr_t *err)
{
	cleanup_free char *text = NULL;
	struct image_config parsed;
	char created[32];
	json_t *doc;

	image_time_now(created);
	doc = json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:[s]}, s:[{s:s, s:s}]}",
			"created", created, "architecture", IMAGE_ARCH, "os", "linux",
			"config", cfg, "rootfs", "type", "layers", "diff_ids", diff_id,
			"history", "created", created, "created_by", "berth import");
	if (!doc || !(text = json_dumps(doc, JSON_COMPACT))) {
		json_decref(doc);
		return err_set(err, ENOMEM, "import: out of memory");
	}
	json_decref(doc);
	if (image_config_parse(text, strlen(text), "import: config", &parsed,
			       NULL, err) < 0)
		return -1;
	image_config_clear(&parsed);
	return store_blob_put_mem(s, text, strlen(text), id, err);
}

static int import_locked(struct store *s, int fd, const struct import_opts *o,
			 json_t *cfg, char manifest[DIGEST_MAX],
			 char id[DIGEST_MAX], berr_t *err)
{
	char blob[DIGEST_MAX], diff_id[DIGEST_MAX];
	char *layers[] = { blob, NULL };
	cleanup_free char *path = NULL;
	const char *mt;

	if (store_blob_put_fd(s, fd, NULL, blob, NULL, err) < 0 ||
	    store_layer_media_type(s, blob, &mt, err) < 0 ||
	    store_layer_get(s, blob, diff_id, &path, err) < 0) {
		json_decref(cfg);
		return err_prefix(err, "import");
	}
	if (store_config(s, cfg, diff_id, id, err) < 0 ||
	    manifest_write(s, id, layers, manifest, err) < 0 ||
	    store_image_add(s, manifest, err) < 0)
		return -1;
	if (o->name && store_ref_set(s, o->name, manifest, err) < 0)
		return -1;
	return 0;
}

int image_import(struct store *s, int fd, const struct import_opts *o,
		 char manifest[DIGEST_MAX], char id[DIGEST_MAX], berr_t *err)
{
	char norm[REF_NAME_MAX + 1];
	cleanup_close int lock = -1;
	json_t *cfg;

	/* Everything the user typed is checked before anything is stored. */
	if (o->name && ref_normalize(o->name, norm, err) < 0)
		return -1;
	cfg = o->config ? json_deep_copy(o->config) : image_default_config();
	if (!cfg)
		return err_set(err, ENOMEM, "import: out of memory");
	if (store_lock(s, false, &lock, err) < 0) {
		json_decref(cfg);
		return -1;
	}
	return import_locked(s, fd, o, cfg, manifest, id, err);
}
