/* Reading an image config's history.  Entries that are not empty layers
 * take the image's layers in order, as docker matches them; a config
 * that names more such entries than there are layers shows the extra
 * ones with no size rather than failing. */
#include "image/history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "image/store_internal.h"

#define HISTORY_MAX 10000

static int entry_parse(json_t *v, const char *where, struct history_entry *e,
		       berr_t *err)
{
	if (jcheck_object(v, where, err) < 0 ||
	    jget_string(v, "created", where, false, &e->created, err) < 0 ||
	    jget_string(v, "created_by", where, false, &e->created_by, err) < 0 ||
	    jget_string(v, "comment", where, false, &e->comment, err) < 0 ||
	    jget_bool(v, "empty_layer", where, &e->empty_layer, err) < 0)
		return -1;
	return 0;
}

static int layer_size(struct store *s, const struct image *img, size_t *next,
		      struct history_entry *e, berr_t *err)
{
	if (e->empty_layer || *next >= img->n_layers)
		return 0;
	return store_blob_size(s, img->layers[(*next)++], &e->size, err);
}

/* No history: one entry per layer, dated like the image. */
static int from_layers(struct store *s, const struct image *img,
		       struct history_entry *h, berr_t *err)
{
	json_t *created = json_object_get(img->config_json, "created");
	size_t next = 0;

	for (size_t i = 0; i < img->n_layers; i++) {
		if (json_is_string(created) &&
		    !(h[i].created = strdup(json_string_value(created))))
			return err_sys(err, "history");
		if (layer_size(s, img, &next, &h[i], err) < 0)
			return -1;
	}
	return 0;
}

static int from_config(struct store *s, const struct image *img, json_t *list,
		       struct history_entry *h, berr_t *err)
{
	struct jpath p;
	size_t i, next = 0;
	json_t *v;

	json_array_foreach(list, i, v) {
		const char *where = jpath_index(&p, "history", i);

		if (entry_parse(v, where, &h[i], err) < 0 ||
		    layer_size(s, img, &next, &h[i], err) < 0)
			return -1;
	}
	return 0;
}

int image_history(struct store *s, const struct image *img,
		  struct history_entry **out, size_t *n, berr_t *err)
{
	json_t *list = NULL;
	struct history_entry *h;
	size_t count;
	int r;

	if (jget_array(img->config_json, "history", "", false, &list, err) < 0)
		return err_prefix(err, "%s", img->config_digest);
	count = list ? json_array_size(list) : img->n_layers;
	if (count > HISTORY_MAX)
		return err_set(err, E2BIG, "%s: history: more than %d entries",
			       img->config_digest, HISTORY_MAX);
	h = calloc(count + 1, sizeof(*h));
	if (!h)
		return err_sys(err, "history");
	r = list ? from_config(s, img, list, h, err) : from_layers(s, img, h, err);
	if (r < 0) {
		history_free(h, count);
		return err_prefix(err, "%s", img->config_digest);
	}
	*out = h;
	*n = count;
	return 0;
}

void history_free(struct history_entry *h, size_t n)
{
	for (size_t i = 0; h && i < n; i++) {
		free(h[i].created);
		free(h[i].created_by);
		free(h[i].comment);
	}
	free(h);
}
