/* Image manifests: parsing OCI and Docker schema 2 manifests (every field
 * type-checked, since they come from archives and registries) and writing
 * new OCI manifests for imported and loaded images. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "image/store_internal.h"

static const char *const layer_types[] = {
	MT_OCI_LAYER,
	MT_OCI_LAYER_GZIP,
	MT_OCI_LAYER_ZSTD,
	"application/vnd.docker.image.rootfs.diff.tar.gzip",
	"application/vnd.docker.image.rootfs.diff.tar",
	NULL,
};

static const char *const config_types[] = {
	MT_OCI_CONFIG,
	"application/vnd.docker.container.image.v1+json",
	NULL,
};

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* A descriptor: {mediaType, digest, size} with a media type from types. */
static int descriptor(json_t *d, const char *where, const char *const *types,
		      char digest[DIGEST_MAX], berr_t *err)
{
	cleanup_free char *mt = NULL, *dg = NULL;
	struct jpath p;
	int64_t size;

	if (jcheck_object(d, where, err) < 0 ||
	    jget_string(d, "mediaType", where, true, &mt, err) < 0 ||
	    jget_string(d, "digest", where, true, &dg, err) < 0 ||
	    jget_int(d, "size", where, 0, INT64_MAX, true, &size, err) < 0)
		return -1;
	if (!digest_valid(dg))
		return err_set(err, EINVAL, "%s: '%.80s' is not a sha256 digest",
			       jpath_key(&p, where, "digest"), dg);
	if (!in_list(mt, types))
		return err_set(err, EINVAL, "%s: unsupported media type '%.100s'",
			       jpath_key(&p, where, "mediaType"), mt);
	strcpy(digest, dg);
	return 0;
}

/* Indexes are recognised by media type or, when it is absent (allowed by
 * OCI), by their "manifests" array. */
static int check_kind(json_t *doc, berr_t *err)
{
	cleanup_free char *mt = NULL;

	if (jget_string(doc, "mediaType", "", false, &mt, err) < 0)
		return -1;
	if ((mt && (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST))) ||
	    (!mt && json_object_get(doc, "manifests")))
		return err_set(err, EOPNOTSUPP, "manifest lists are not supported yet");
	if (mt && strcmp(mt, MT_OCI_MANIFEST) && strcmp(mt, MT_DOCKER_MANIFEST))
		return err_set(err, EINVAL, "mediaType: '%.100s' is not an image manifest", mt);
	return 0;
}

static int parse_layers(json_t *doc, struct manifest *m, berr_t *err)
{
	struct jpath p;
	json_t *arr = NULL, *item;
	size_t i;

	if (jget_array(doc, "layers", "", true, &arr, err) < 0)
		return -1;
	if (json_array_size(arr) > MANIFEST_LAYERS_MAX)
		return err_set(err, E2BIG, "layers: %zu layers, more than %d",
			       json_array_size(arr), MANIFEST_LAYERS_MAX);
	m->layers = calloc(json_array_size(arr) + 1, sizeof(*m->layers));
	if (!m->layers)
		return err_sys(err, "layers");
	json_array_foreach(arr, i, item) {
		char digest[DIGEST_MAX];

		if (descriptor(item, jpath_index(&p, "layers", i), layer_types,
			       digest, err) < 0)
			return -1;
		m->layers[i] = strdup(digest);
		if (!m->layers[i])
			return err_sys(err, "layers");
		m->n_layers = i + 1;
	}
	return 0;
}

static int parse_doc(json_t *doc, struct manifest *m, berr_t *err)
{
	json_t *cfg = NULL;
	int64_t version;

	if (jcheck_object(doc, "manifest", err) < 0 || check_kind(doc, err) < 0 ||
	    jget_int(doc, "schemaVersion", "", 2, 2, true, &version, err) < 0 ||
	    jget_object(doc, "config", "", true, &cfg, err) < 0 ||
	    descriptor(cfg, "config", config_types, m->config, err) < 0)
		return -1;
	return parse_layers(doc, m, err);
}

int manifest_parse(const char *text, size_t len, const char *where,
		   struct manifest *m, berr_t *err)
{
	json_error_t je;
	json_t *doc;
	int r;

	memset(m, 0, sizeof(*m));
	if (len > STORE_JSON_MAX)
		return err_set(err, EFBIG, "%s: manifest larger than %zu bytes", where,
			       STORE_JSON_MAX);
	doc = json_loadb(text, len, 0, &je);
	if (!doc)
		return err_set(err, EINVAL, "%s: manifest is not valid JSON: %s (line %d)",
			       where, je.text, je.line);
	r = parse_doc(doc, m, err);
	json_decref(doc);
	if (r < 0) {
		manifest_clear(m);
		return err_prefix(err, "%s", where);
	}
	return 0;
}

void manifest_clear(struct manifest *m)
{
	strv_free(m->layers);
	m->layers = NULL;
	m->n_layers = 0;
}

static json_t *blob_descriptor(struct store *s, const char *mt,
			       const char *digest, berr_t *err)
{
	uint64_t size;
	json_t *d;

	if (store_blob_size(s, digest, &size, err) < 0)
		return NULL;
	d = json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", digest,
		      "size", (json_int_t)size);
	if (!d)
		err_set(err, ENOMEM, "manifest: out of memory");
	return d;
}

static json_t *layer_descriptors(struct store *s, char *const *layers,
				 berr_t *err)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && layers[i]; i++) {
		const char *mt;
		json_t *d;

		if (store_layer_media_type(s, layers[i], &mt, err) < 0 ||
		    !(d = blob_descriptor(s, mt, layers[i], err)) ||
		    json_array_append_new(arr, d) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	if (!arr && !*err)
		err_set(err, ENOMEM, "manifest: out of memory");
	return arr;
}

int manifest_write(struct store *s, const char *config, char *const *layers,
		   char manifest[DIGEST_MAX], berr_t *err)
{
	json_t *cfg = blob_descriptor(s, MT_OCI_CONFIG, config, err);
	json_t *ls = cfg ? layer_descriptors(s, layers, err) : NULL;
	cleanup_free char *text = NULL;
	json_t *doc;

	if (!ls) {
		json_decref(cfg);
		return -1;
	}
	doc = json_pack("{s:i, s:s, s:o, s:o}", "schemaVersion", 2, "mediaType",
			MT_OCI_MANIFEST, "config", cfg, "layers", ls);
	if (!doc)
		return err_set(err, ENOMEM, "manifest: out of memory");
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (!text)
		return err_set(err, ENOMEM, "manifest: out of memory");
	return store_blob_put_mem(s, text, strlen(text), manifest, err);
}

int config_check_rootfs(json_t *doc, size_t n_layers, const char *where,
			berr_t *err)
{
	json_t *ids = json_object_get(json_object_get(doc, "rootfs"), "diff_ids");

	if (json_array_size(ids) != n_layers)
		return err_set(err, EINVAL, "%s: rootfs.diff_ids has %zu entries for %zu layers",
			       where, json_array_size(ids), n_layers);
	return 0;
}
