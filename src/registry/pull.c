/* `berth pull`: manifest (through an index to linux/amd64 when the name
 * points at one), config and layers, each checked against its digest,
 * then the name.  The store lock is held shared throughout, as import and
 * load do, so blobs are never seen unreferenced by a collector. */
#include "registry/registry.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "image/store_internal.h"

#define PULL_OS "linux"
#define PULL_ARCH "amd64"

static bool is_index(json_t *doc)
{
	const char *mt = json_string_value(json_object_get(doc, "mediaType"));

	if (mt)
		return !strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST);
	return json_object_get(doc, "manifests") != NULL;
}

static bool platform_matches(json_t *desc)
{
	json_t *p = json_object_get(desc, "platform");
	const char *os = json_string_value(json_object_get(p, "os"));
	const char *arch = json_string_value(json_object_get(p, "architecture"));

	return os && arch && !strcmp(os, PULL_OS) && !strcmp(arch, PULL_ARCH);
}

/* The digest of the linux/amd64 manifest of an index. */
static int pick_platform(json_t *doc, const char *where, char digest[DIGEST_MAX],
			 berr_t *err)
{
	json_t *list = NULL, *desc;
	struct jpath p;
	size_t i;

	if (jget_array(doc, "manifests", where, true, &list, err) < 0)
		return -1;
	json_array_foreach(list, i, desc) {
		const char *d = json_string_value(json_object_get(desc, "digest"));

		if (!platform_matches(desc))
			continue;
		if (!digest_valid(d))
			return err_set(err, EINVAL, "%s: %s.digest is not a sha256 digest", where,
				       jpath_index(&p, "manifests", i));
		strcpy(digest, d);
		return 0;
	}
	return err_set(err, ENOENT, "%s: no manifest for %s/%s in the index", where,
		       PULL_OS, PULL_ARCH);
}

/* The image manifest the reference names, following one index. */
static int resolve_manifest(struct registry *r, const char *ref,
			    struct http_buf *body, char digest[DIGEST_MAX],
			    berr_t *err)
{
	char chosen[DIGEST_MAX];
	json_t *doc;
	int ret;

	if (registry_get_manifest(r, ref, body, digest, err) < 0)
		return -1;
	doc = json_loadb(body->data, body->len, 0, NULL);
	if (!doc || !is_index(doc)) {
		json_decref(doc);
		return 0; /* manifest_parse words what is wrong with it */
	}
	ret = pick_platform(doc, digest, chosen, err);
	json_decref(doc);
	http_buf_clear(body);
	if (ret < 0)
		return -1;
	return registry_get_manifest(r, chosen, body, digest, err);
}

static uint64_t descriptor_size(json_t *desc)
{
	json_int_t n = json_integer_value(json_object_get(desc, "size"));

	return n > 0 ? (uint64_t)n : 0;
}

/* Sizes come from the manifest, already type-checked by manifest_parse. */
static int fetch_blobs(struct registry *r, struct store *s, json_t *doc,
		       const struct manifest *m, berr_t *err)
{
	json_t *layers = json_object_get(doc, "layers");

	if (registry_fetch_blob(r, s, m->config,
				descriptor_size(json_object_get(doc, "config")), err) < 0)
		return -1;
	for (size_t i = 0; i < m->n_layers; i++)
		if (registry_fetch_blob(r, s, m->layers[i],
					descriptor_size(json_array_get(layers, i)), err) < 0)
			return -1;
	return 0;
}

static int check_config(struct store *s, const struct manifest *m, berr_t *err)
{
	cleanup_free char *text = NULL;
	json_t *doc;
	size_t len;
	int ret;

	if (store_blob_read(s, m->config, STORE_JSON_MAX, &text, &len, err) < 0)
		return -1;
	doc = json_loadb(text, len, 0, NULL);
	if (!doc)
		return err_set(err, EINVAL, "config %s is not valid JSON", m->config);
	ret = config_check_rootfs(doc, m->n_layers, m->config, err);
	json_decref(doc);
	return ret;
}

static int pull_image(struct registry *r, struct store *s, const char *ref,
		      char manifest[DIGEST_MAX], berr_t *err)
{
	struct http_buf body = { 0 };
	struct manifest m;
	json_t *doc;
	int ret;

	if (resolve_manifest(r, ref, &body, manifest, err) < 0)
		return -1;
	if (manifest_parse(body.data, body.len, manifest, &m, err) < 0) {
		http_buf_clear(&body);
		return -1;
	}
	doc = json_loadb(body.data, body.len, 0, NULL);
	ret = fetch_blobs(r, s, doc, &m, err);
	json_decref(doc);
	if (ret == 0)
		ret = check_config(s, &m, err);
	/* The manifest is stored byte for byte, so its digest is the one the
	 * registry (and every other client) knows it by. */
	if (ret == 0)
		ret = store_blob_put_mem(s, body.data, body.len, manifest, err);
	manifest_clear(&m);
	http_buf_clear(&body);
	return ret;
}

int registry_pull(struct store *s, const char *text,
		  const struct registry_opts *o, char **name,
		  char manifest[DIGEST_MAX], berr_t *err)
{
	cleanup_close int lock = -1;
	cleanup_free char *local = NULL;
	struct reference ref;
	struct registry r;
	int ret;

	if (reference_parse(text, &ref, err) < 0)
		return -1;
	if (registry_open(&r, &ref, o, "pull", err) < 0) {
		reference_clear(&ref);
		return -1;
	}
	local = reference_local_name(&ref);
	ret = store_lock(s, false, &lock, err);
	if (ret == 0)
		ret = pull_image(&r, s, ref.digest ? ref.digest : ref.tag, manifest, err);
	if (ret == 0 && local)
		ret = store_ref_set(s, local, manifest, err);
	if (ret < 0)
		err_prefix(err, "pull %s", text);
	registry_close(&r);
	reference_clear(&ref);
	if (ret == 0)
		*name = take_ptr(local);
	return ret;
}
