#include "build/cache.h"

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

#define ENTRY_MAX (1 << 20)

int cache_key(const char *parent, const char *text, const char *extra,
	      char key[DIGEST_MAX], berr_t *err)
{
	struct sha256 h;

	if (sha256_init(&h, err) < 0)
		return -1;
	if (sha256_update(&h, parent, strlen(parent) + 1, err) < 0 ||
	    sha256_update(&h, text, strlen(text) + 1, err) < 0 ||
	    (extra && sha256_update(&h, extra, strlen(extra), err) < 0)) {
		sha256_free(&h);
		return -1;
	}
	return sha256_final(&h, key, err);
}

static void entry_path(const char *key, char path[128])
{
	snprintf(path, 128, "build-cache/%.64s", digest_hex(key));
}

/* The entry's config and layers, if they are all still in the store. */
static int load_entry(struct store *s, json_t *entry, struct stage *st, bool *hit,
		      berr_t *err)
{
	const char *config = json_string_value(json_object_get(entry, "config"));
	json_t *layers = json_object_get(entry, "layers"), *l, *doc;
	cleanup_free char *text = NULL;
	cleanup_strv char **list = calloc(1, sizeof(char *));
	size_t i, len;

	if (!list)
		return err_set(err, ENOMEM, "out of memory");
	if (!digest_valid(config) || !json_is_array(layers) || !store_blob_exists(s, config))
		return 0;
	json_array_foreach(layers, i, l) {
		if (!digest_valid(json_string_value(l)) || !store_blob_exists(s, json_string_value(l)))
			return 0;
		if (strv_push(&list, json_string_value(l)) < 0)
			return err_set(err, ENOMEM, "out of memory");
	}
	if (store_blob_read(s, config, ENTRY_MAX, &text, &len, err) < 0)
		return -1;
	if (!(doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL)))
		return 0;
	json_decref(st->doc);
	st->doc = doc;
	strv_free(st->layers);
	st->layers = list;
	list = NULL;
	st->n_layers = json_array_size(layers);
	st->meta.doc = doc;
	st->meta.config = json_object_get(doc, "config");
	*hit = true;
	return 0;
}

int cache_get(struct store *s, const char *key, struct stage *st, bool *hit,
	      berr_t *err)
{
	cleanup_free char *text = NULL;
	char path[128];
	berr_t missing = NULL;
	json_t *entry;
	int r;

	*hit = false;
	entry_path(key, path);
	if (fs_read_regular_at(s->rootfd, path, ENTRY_MAX, &text, &missing) < 0) {
		err_free(&missing);
		return 0;
	}
	entry = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	if (!entry)
		return 0; /* a damaged entry is a miss, and will be rewritten */
	r = load_entry(s, entry, st, hit, err);
	json_decref(entry);
	return r;
}

int cache_put(struct store *s, const char *key, struct stage *st, berr_t *err)
{
	cleanup_free char *doc = json_dumps(st->doc, JSON_COMPACT | JSON_SORT_KEYS);
	cleanup_free char *text = NULL;
	char config[DIGEST_MAX], path[128];
	cleanup_close int dir = -1;
	json_t *entry;

	if (!doc || store_blob_put_mem(s, doc, strlen(doc), config, err) < 0)
		return doc ? -1 : err_set(err, ENOMEM, "out of memory");
	entry = json_pack("{s:s,s:[]}", "config", config, "layers");
	for (size_t i = 0; entry && i < st->n_layers; i++)
		json_array_append_new(json_object_get(entry, "layers"), json_string(st->layers[i]));
	text = entry ? json_dumps(entry, JSON_COMPACT) : NULL;
	json_decref(entry);
	if (!text)
		return err_set(err, ENOMEM, "out of memory");
	entry_path(key, path);
	dir = openat(s->rootfd, "build-cache", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return err_sys(err, "open '%s/build-cache'", s->root);
	/* A lost entry is only a miss: no need to sync it. */
	return fs_write_atomic_at(dir, path + strlen("build-cache/"), text, strlen(text), 0600,
				  FS_VOLATILE, err);
}
