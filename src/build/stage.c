#include "build/stage.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "image/store_internal.h"

static void bind_meta(struct stage *st)
{
	st->meta.doc = st->doc;
	st->meta.config = json_object_get(st->doc, "config");
	if (!json_is_object(st->meta.config)) {
		st->meta.config = json_object();
		json_object_set_new(st->doc, "config", st->meta.config);
	}
}

void stage_from_scratch(struct stage *st)
{
	st->doc = json_pack("{s:s,s:s,s:o,s:{s:s,s:[]},s:[]}", "architecture", IMAGE_ARCH,
			    "os", "linux", "config", image_default_config(), "rootfs", "type",
			    "layers", "diff_ids", "history");
	st->layers = calloc(1, sizeof(char *));
	st->n_layers = 0;
	bind_meta(st);
}

int stage_from_image(struct stage *st, struct store *s, const char *ref,
		     char id[DIGEST_MAX], berr_t *err)
{
	struct image img;

	if (image_resolve(s, ref, &img, err) < 0)
		return -1;
	memcpy(id, img.config_digest, DIGEST_MAX);
	st->doc = json_deep_copy(img.config_json);
	st->layers = calloc(img.n_layers + 1, sizeof(char *));
	for (size_t i = 0; st->layers && i < img.n_layers; i++)
		if (!(st->layers[i] = strdup(img.layers[i])))
			break;
	st->n_layers = img.n_layers;
	image_clear(&img);
	if (!st->doc || !st->layers || (st->n_layers && !st->layers[st->n_layers - 1]))
		return err_set(err, ENOMEM, "FROM %s: out of memory", ref);
	/* What the base image said of its own build is not this build's. */
	json_object_del(st->doc, "created");
	bind_meta(st);
	return 0;
}

void stage_clear(struct stage *st)
{
	image_config_clear(&st->view.config);
	memset(&st->view, 0, sizeof(st->view));
	json_decref(st->doc);
	strv_free(st->layers);
	free(st->name);
	memset(st, 0, sizeof(*st));
}

static json_t *history_array(struct stage *st)
{
	json_t *h = json_object_get(st->doc, "history");

	if (!json_is_array(h)) {
		h = json_array();
		json_object_set_new(st->doc, "history", h);
	}
	return h;
}

static int add_history(struct stage *st, const char *created_by, bool empty, berr_t *err)
{
	char now[32];
	json_t *entry;

	image_time_now(now);
	entry = json_pack("{s:s,s:s}", "created", now, "created_by", created_by);
	if (entry && empty)
		json_object_set_new(entry, "empty_layer", json_true());
	if (!entry || json_array_append_new(history_array(st), entry) < 0)
		return err_set(err, EINVAL, "history: '%.60s' is not valid UTF-8", created_by);
	return 0;
}

int stage_add_history(struct stage *st, const char *created_by, berr_t *err)
{
	return add_history(st, created_by, true, err);
}

int stage_add_layer(struct stage *st, const char *blob, const char *created_by,
		    berr_t *err)
{
	json_t *ids = json_object_get(json_object_get(st->doc, "rootfs"), "diff_ids");

	if (strv_push(&st->layers, blob) < 0 ||
	    json_array_append_new(ids, json_string(blob)) < 0)
		return err_set(err, ENOMEM, "out of memory");
	st->n_layers++;
	return add_history(st, created_by, false, err);
}

int stage_view(struct stage *st, berr_t *err)
{
	cleanup_free char *text = json_dumps(st->doc, JSON_COMPACT);

	image_config_clear(&st->view.config);
	memset(&st->view, 0, sizeof(st->view));
	if (!text)
		return err_set(err, ENOMEM, "out of memory");
	if (image_config_parse(text, strlen(text), "the image being built", &st->view.config,
			       NULL, err) < 0)
		return -1;
	st->view.layers = st->layers;
	st->view.n_layers = st->n_layers;
	st->view.config_json = st->doc;
	strcpy(st->view.config_digest, "(the image being built)");
	return 0;
}

int stage_commit(struct stage *st, struct store *s, char manifest[DIGEST_MAX],
		 char id[DIGEST_MAX], berr_t *err)
{
	cleanup_free char *text = NULL;
	char now[32];

	if (!json_object_get(st->doc, "created")) {
		image_time_now(now);
		json_object_set_new(st->doc, "created", json_string(now));
	}
	text = json_dumps(st->doc, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return err_set(err, ENOMEM, "out of memory");
	if (stage_view(st, err) < 0 || store_blob_put_mem(s, text, strlen(text), id, err) < 0 ||
	    manifest_write(s, id, st->layers, manifest, err) < 0 ||
	    store_image_add(s, manifest, err) < 0)
		return -1;
	return 0;
}
