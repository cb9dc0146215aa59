/* `berth load`: docker-save archives and OCI image layouts.  Blobs go into
 * the store as they are read (checked against their digests); each image
 * is then checked whole (manifest, config, layer list) and only when all
 * of them are fine do their names point at them. */
#include "image/load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "image/image.h"
#include "image/load_src.h"
#include "image/store_internal.h"

#define LOAD_IMAGES_MAX 1000

static json_t *parse_small(struct load_src *src, const char *name, berr_t *err)
{
	cleanup_free char *text = NULL;
	json_error_t je;
	size_t len = 0;
	json_t *doc;

	if (load_src_small(src, name, &text, &len, err) < 0)
		return NULL;
	if (!text) {
		err_set(err, ENOENT, "%s is missing", name);
		return NULL;
	}
	doc = json_loadb(text, len, 0, &je);
	if (!doc)
		err_set(err, EINVAL, "%s: not valid JSON: %s (line %d)", name, je.text, je.line);
	return doc;
}

/* Read and check a stored config; it must list one diff id per layer. */
static int check_config(struct store *s, const char *digest, size_t n_layers,
			berr_t *err)
{
	cleanup_free char *text = NULL;
	struct image_config cfg;
	json_t *doc = NULL;
	size_t len;
	int r;

	if (store_blob_read(s, digest, STORE_JSON_MAX, &text, &len, err) < 0 ||
	    image_config_parse(text, len, digest, &cfg, &doc, err) < 0)
		return -1;
	r = config_check_rootfs(doc, n_layers, digest, err);
	image_config_clear(&cfg);
	json_decref(doc);
	return r;
}

/* Names are checked (and normalised) before anything points at them. */
static int add_name(json_t *names, json_t *v, const char *where, berr_t *err)
{
	char norm[REF_NAME_MAX + 1];

	if (!json_is_string(v))
		return err_set(err, EINVAL, "%s: expected a string, got %s", where,
			       json_type_name(v));
	if (ref_normalize(json_string_value(v), norm, err) < 0)
		return err_prefix(err, "%s", where);
	if (json_array_append_new(names, json_string(norm)) < 0)
		return err_set(err, ENOMEM, "%s: out of memory", where);
	return 0;
}

static int add_result(json_t *loaded, const char *manifest, const char *id,
		      json_t *names, berr_t *err)
{
	json_t *r = json_pack("{s:s, s:s, s:O}", "manifest", manifest, "id", id,
			      "names", names);

	if (!r || json_array_append_new(loaded, r) < 0)
		return err_set(err, ENOMEM, "load: out of memory");
	return 0;
}

/* The blob an OCI layout holds under blobs/sha256/, checked. */
static int blob_of(struct load_src *src, const char *digest, berr_t *err)
{
	char path[DIGEST_MAX + 16], got[DIGEST_MAX];

	snprintf(path, sizeof(path), "blobs/sha256/%.64s", digest_hex(digest));
	return load_src_blob(src, path, digest, got, err);
}

/* ---- docker save ----------------------------------------------------- */

/* An uncompressed layer's digest is its diff id: check it against the
 * config now, so a swapped layer is caught before anything is named. */
static int docker_check_layer(struct store *s, const char *config, size_t i,
			      const char *blob, const char *where, berr_t *err)
{
	cleanup_free char *text = NULL;
	const char *mt, *diff;
	json_t *doc;
	size_t len;

	if (store_layer_media_type(s, blob, &mt, err) < 0)
		return err_prefix(err, "%s", where);
	if (strcmp(mt, MT_OCI_LAYER) != 0)
		return 0;
	if (store_blob_read(s, config, STORE_JSON_MAX, &text, &len, err) < 0)
		return -1;
	doc = json_loadb(text, len, 0, NULL);
	diff = json_string_value(json_array_get(
		json_object_get(json_object_get(doc, "rootfs"), "diff_ids"), i));
	if (!diff || strcmp(diff, blob) != 0) {
		err_set(err, EINVAL, "%s: layer has digest %s, but the config's rootfs.diff_ids[%zu] is %s",
			where, blob, i, diff ? diff : "missing");
		json_decref(doc);
		return -1;
	}
	json_decref(doc);
	return 0;
}

static int docker_layers(struct load_src *src, json_t *entry, const char *where,
			 const char *config, char ***out, berr_t *err)
{
	cleanup_strv char **paths = NULL, **layers = NULL;
	struct jpath p, q;
	size_t n;

	if (jget_strv(entry, "Layers", where, true, &paths, err) < 0)
		return -1;
	n = strv_len(paths);
	if (n > MANIFEST_LAYERS_MAX)
		return err_set(err, E2BIG, "%s.Layers: more than %d layers", where,
			       MANIFEST_LAYERS_MAX);
	layers = calloc(n + 1, sizeof(*layers));
	if (!layers)
		return err_sys(err, "%s", where);
	if (check_config(src->s, config, n, err) < 0)
		return err_prefix(err, "%s.Config", where);
	for (size_t i = 0; i < n; i++) {
		char digest[DIGEST_MAX];

		jpath_key(&p, where, "Layers");
		jpath_index(&q, p.buf, i);
		if (load_src_blob(src, paths[i], NULL, digest, err) < 0)
			return err_prefix(err, "%s", q.buf);
		if (docker_check_layer(src->s, config, i, digest, q.buf, err) < 0)
			return -1;
		if (!(layers[i] = strdup(digest)))
			return err_sys(err, "%s", where);
	}
	*out = take_ptr(layers);
	return 0;
}

/* Archives of docker 25 and later (and of berth save) are OCI layouts as
 * well.  When their index.json lists a manifest of exactly this config
 * and these layers, that manifest is kept, so the manifest digest
 * survives a save and load; an index that matches nothing, or is
 * damaged, is ignored (manifest.json alone describes the image). */
static bool manifest_matches(struct load_src *src, const char *digest,
			     const char *config, char **layers)
{
	cleanup_free char *text = NULL;
	berr_t ignored = NULL;
	struct manifest m;
	bool same;
	size_t len;

	if (blob_of(src, digest, &ignored) < 0 ||
	    store_blob_read(src->s, digest, STORE_JSON_MAX, &text, &len, &ignored) < 0 ||
	    manifest_parse(text, len, digest, &m, &ignored) < 0) {
		err_free(&ignored);
		return false;
	}
	same = strcmp(m.config, config) == 0 && m.n_layers == strv_len(layers);
	for (size_t i = 0; same && i < m.n_layers; i++)
		same = strcmp(m.layers[i], layers[i]) == 0;
	manifest_clear(&m);
	return same;
}

static bool indexed_manifest(struct load_src *src, const char *config,
			     char **layers, char manifest[DIGEST_MAX])
{
	cleanup_free char *text = NULL;
	berr_t ignored = NULL;
	json_t *doc, *desc;
	bool found = false;
	size_t i, len;

	if (load_src_small(src, "index.json", &text, &len, &ignored) < 0 || !text) {
		err_free(&ignored);
		return false;
	}
	doc = json_loadb(text, len, 0, NULL);
	json_array_foreach(json_object_get(doc, "manifests"), i, desc) {
		const char *d = json_string_value(json_object_get(desc, "digest"));

		if (!found && d && digest_valid(d) && manifest_matches(src, d, config, layers)) {
			strcpy(manifest, d);
			found = true;
		}
	}
	json_decref(doc);
	return found;
}

static int docker_manifest(struct load_src *src, const char *config,
			   char **layers, char manifest[DIGEST_MAX], berr_t *err)
{
	if (indexed_manifest(src, config, layers, manifest))
		return 0;
	return manifest_write(src->s, config, layers, manifest, err);
}

static int docker_entry(struct load_src *src, json_t *entry, const char *where,
			json_t *loaded, berr_t *err)
{
	cleanup_free char *config_path = NULL;
	cleanup_strv char **layers = NULL;
	char config[DIGEST_MAX], manifest[DIGEST_MAX];
	json_t *tags = NULL, *v, *names = json_array();
	struct jpath p, q;
	size_t i;
	int r = -1;

	if (!names)
		return err_set(err, ENOMEM, "%s: out of memory", where);
	if (jcheck_object(entry, where, err) < 0 ||
	    jget_string(entry, "Config", where, true, &config_path, err) < 0 ||
	    jget_array(entry, "RepoTags", where, false, &tags, err) < 0)
		goto out;
	if (load_src_blob(src, config_path, NULL, config, err) < 0) {
		err_prefix(err, "%s", jpath_key(&p, where, "Config"));
		goto out;
	}
	json_array_foreach(tags, i, v) {
		if (add_name(names, v, jpath_index(&q, jpath_key(&p, where, "RepoTags"), i),
			     err) < 0)
			goto out;
	}
	if (docker_layers(src, entry, where, config, &layers, err) < 0 ||
	    docker_manifest(src, config, layers, manifest, err) < 0)
		goto out;
	r = add_result(loaded, manifest, config, names, err);
out:
	json_decref(names);
	return r;
}

static int load_docker(struct load_src *src, json_t *loaded, berr_t *err)
{
	json_t *doc = parse_small(src, "manifest.json", err), *entry;
	struct jpath p;
	size_t i;

	if (!doc)
		return -1;
	if (!json_is_array(doc) || json_array_size(doc) == 0 ||
	    json_array_size(doc) > LOAD_IMAGES_MAX) {
		json_decref(doc);
		return err_set(err, EINVAL, "manifest.json: expected an array of 1 to %d images",
			       LOAD_IMAGES_MAX);
	}
	json_array_foreach(doc, i, entry) {
		if (docker_entry(src, entry, jpath_index(&p, "manifest.json", i), loaded,
				 err) < 0) {
			json_decref(doc);
			return -1;
		}
	}
	json_decref(doc);
	return 0;
}

/* ---- OCI image layout ------------------------------------------------ */

/* The manifest, its config and its layers, all present and checked. */
static int oci_manifest(struct load_src *src, const char *digest,
			char id[DIGEST_MAX], berr_t *err)
{
	cleanup_free char *text = NULL;
	struct manifest m;
	size_t len;
	int r = 0;

	if (blob_of(src, digest, err) < 0 ||
	    store_blob_read(src->s, digest, STORE_JSON_MAX, &text, &len, err) < 0 ||
	    manifest_parse(text, len, digest, &m, err) < 0)
		return -1;
	if (blob_of(src, m.config, err) < 0 ||
	    check_config(src->s, m.config, m.n_layers, err) < 0)
		r = -1;
	for (size_t i = 0; r == 0 && i < m.n_layers; i++)
		if (blob_of(src, m.layers[i], err) < 0)
			r = err_prefix(err, "%s: layers[%zu]", digest, i);
	if (r == 0)
		strcpy(id, m.config);
	manifest_clear(&m);
	return r;
}

/* The name of an index entry: containerd's full name when present, else
 * the OCI ref name. */
static int oci_names(json_t *desc, const char *where, json_t *names, berr_t *err)
{
	json_t *ann = NULL, *v;
	struct jpath p;

	if (jget_object(desc, "annotations", where, false, &ann, err) < 0)
		return -1;
	v = json_object_get(ann, "io.containerd.image.name");
	if (v)
		return add_name(names, v, jpath_key(&p, where, "annotations.io.containerd.image.name"), err);
	v = json_object_get(ann, "org.opencontainers.image.ref.name");
	if (v)
		return add_name(names, v, jpath_key(&p, where, "annotations.org.opencontainers.image.ref.name"), err);
	return 0;
}

static int oci_entry(struct load_src *src, json_t *desc, const char *where,
		     json_t *loaded, berr_t *err)
{
	cleanup_free char *mt = NULL, *digest = NULL;
	json_t *names = json_array();
	char id[DIGEST_MAX];
	int r = -1;

	if (!names)
		return err_set(err, ENOMEM, "%s: out of memory", where);
	if (jcheck_object(desc, where, err) < 0 ||
	    jget_string(desc, "mediaType", where, false, &mt, err) < 0 ||
	    jget_string(desc, "digest", where, true, &digest, err) < 0)
		goto out;
	if (mt && (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST))) {
		err_set(err, EOPNOTSUPP, "%s: manifest lists are not supported yet", where);
		goto out;
	}
	if (!digest_valid(digest)) {
		err_set(err, EINVAL, "%s.digest: '%.80s' is not a sha256 digest", where, digest);
		goto out;
	}
	if (oci_names(desc, where, names, err) < 0)
		goto out;
	if (oci_manifest(src, digest, id, err) < 0) {
		err_prefix(err, "%s", where);
		goto out;
	}
	r = add_result(loaded, digest, id, names, err);
out:
	json_decref(names);
	return r < 0 ? err_prefix(err, "index.json") : 0;
}

static int check_layout(struct load_src *src, berr_t *err)
{
	json_t *doc = parse_small(src, "oci-layout", err);
	const char *v;

	if (!doc)
		return -1;
	v = json_string_value(json_object_get(doc, "imageLayoutVersion"));
	if (!v || strcmp(v, "1.0.0") != 0) {
		json_decref(doc);
		return err_set(err, EINVAL, "oci-layout: imageLayoutVersion is not \"1.0.0\"");
	}
	json_decref(doc);
	return 0;
}

static int load_oci(struct load_src *src, json_t *loaded, berr_t *err)
{
	json_t *doc, *list = NULL, *desc;
	struct jpath p;
	size_t i;
	int r = 0;

	if (check_layout(src, err) < 0 || !(doc = parse_small(src, "index.json", err)))
		return -1;
	if (jcheck_object(doc, "index.json", err) < 0 ||
	    jget_array(doc, "manifests", "index.json", true, &list, err) < 0)
		r = -1;
	else if (json_array_size(list) == 0 || json_array_size(list) > LOAD_IMAGES_MAX)
		r = err_set(err, EINVAL, "index.json: manifests: expected 1 to %d images",
			    LOAD_IMAGES_MAX);
	json_array_foreach(list, i, desc) {
		if (r < 0)
			break;
		r = oci_entry(src, desc, jpath_index(&p, "manifests", i), loaded, err);
	}
	json_decref(doc);
	return r;
}

/* ---- the whole load -------------------------------------------------- */

static int has_small(struct load_src *src, const char *name, bool *found,
		     berr_t *err)
{
	cleanup_free char *text = NULL;
	size_t len;

	if (load_src_small(src, name, &text, &len, err) < 0)
		return -1;
	*found = text != NULL;
	return 0;
}

/* manifest.json first: docker's archives (also the newer ones that are
 * OCI layouts too) carry their names there. */
static int load_images(struct load_src *src, json_t *loaded, berr_t *err)
{
	bool docker = false, oci = false;

	if (has_small(src, "manifest.json", &docker, err) < 0)
		return -1;
	if (docker)
		return load_docker(src, loaded, err);
	if (has_small(src, "oci-layout", &oci, err) < 0)
		return -1;
	if (oci)
		return load_oci(src, loaded, err);
	return err_set(err, EINVAL, "neither a docker save archive (no manifest.json) nor an OCI image layout (no oci-layout)");
}

/* Record each image, then its names, still under the shared lock. */
static int set_names(struct store *s, json_t *loaded, berr_t *err)
{
	json_t *item, *name;
	size_t i, j;

	json_array_foreach(loaded, i, item) {
		const char *manifest = json_string_value(json_object_get(item, "manifest"));

		if (store_image_add(s, manifest, err) < 0)
			return -1;
		json_array_foreach(json_object_get(item, "names"), j, name) {
			if (store_ref_set(s, json_string_value(name), manifest, err) < 0)
				return -1;
		}
	}
	return 0;
}

int image_load_archive(struct store *s, const char *path, json_t **loaded,
		       berr_t *err)
{
	cleanup_close int lock = -1;
	struct load_src src;
	json_t *out = json_array();
	const char *what = strcmp(path, "-") == 0 ? "standard input" : path;

	if (!out)
		return err_set(err, ENOMEM, "load: out of memory");
	if (store_lock(s, false, &lock, err) < 0 ||
	    load_src_open(s, path, &src, err) < 0) {
		json_decref(out);
		return err_prefix(err, "load '%s'", what);
	}
	if (load_images(&src, out, err) < 0 || set_names(s, out, err) < 0) {
		load_src_close(&src);
		json_decref(out);
		return err_prefix(err, "load '%s'", what);
	}
	load_src_close(&src);
	*loaded = out;
	return 0;
}
