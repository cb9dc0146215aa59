/* Finding an image (by name, id or digest) and reading its manifest and
 * config, every field of which is type-checked: both come from archives
 * and registries. */
#include "image/image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "image/store_internal.h"

#define ID_PREFIX_MIN 12

/* ---- the config ------------------------------------------------------ */

/* Entrypoint and Cmd: NULL when absent, so "unset" and "[]" differ (as
 * they do for docker: [] clears an inherited value). */
static int strv_opt(json_t *cfg, const char *key, char ***out, berr_t *err)
{
	int r = jget_strv(cfg, key, "config", false, out, err);

	if (r == 0) {
		strv_free(*out);
		*out = NULL;
	}
	return r;
}

/* An empty string means unset, as docker writes "WorkingDir": "". */
static int str_opt(json_t *cfg, const char *key, char **out, berr_t *err)
{
	int r = jget_string(cfg, key, "config", false, out, err);

	if (r > 0 && **out == '\0') {
		free(*out);
		*out = NULL;
	}
	return r;
}

static int check_port(const char *key, json_t *v, berr_t *err)
{
	char proto[8] = "tcp";
	unsigned port;
	int n = 0;

	if (key[0] < '0' || key[0] > '9' ||
	    sscanf(key, "%5u%n/%7[a-z]%n", &port, &n, proto, &n) < 1 ||
	    key[n] != '\0' || port == 0 || port > 65535 ||
	    (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp")))
		return err_set(err, EINVAL, "config.ExposedPorts: '%.40s' is not PORT[/tcp|udp|sctp]",
			       key);
	if (!json_is_object(v))
		return err_set(err, EINVAL, "config.ExposedPorts.%s: expected an object, got %s",
			       key, json_type_name(v));
	return 0;
}

/* Labels (string values) and ExposedPorts (object values): copied, and
 * an empty object when absent. */
static int object_opt(json_t *cfg, const char *key, json_t **out, berr_t *err)
{
	json_t *obj = NULL, *v;
	const char *k;

	if (jget_object(cfg, key, "config", false, &obj, err) < 0)
		return -1;
	json_object_foreach(obj, k, v) {
		if (strcmp(key, "Labels") == 0 && !json_is_string(v))
			return err_set(err, EINVAL, "config.Labels.%.100s: expected a string, got %s",
				       k, json_type_name(v));
		if (strcmp(key, "ExposedPorts") == 0 && check_port(k, v, err) < 0)
			return -1;
	}
	if (obj) {
		json_decref(*out);
		*out = json_incref(obj);
	}
	return 0;
}

static int parse_fields(json_t *cfg, struct image_config *c, berr_t *err)
{
	if (jget_strv(cfg, "Env", "config", false, &c->env, err) < 0 ||
	    strv_opt(cfg, "Entrypoint", &c->entrypoint, err) < 0 ||
	    strv_opt(cfg, "Cmd", &c->cmd, err) < 0 ||
	    str_opt(cfg, "WorkingDir", &c->working_dir, err) < 0 ||
	    str_opt(cfg, "User", &c->user, err) < 0 ||
	    str_opt(cfg, "StopSignal", &c->stop_signal, err) < 0 ||
	    object_opt(cfg, "Labels", &c->labels, err) < 0 ||
	    object_opt(cfg, "ExposedPorts", &c->exposed_ports, err) < 0)
		return -1;
	return 0;
}

/* The parts of the document outside "config" that berth relies on. */
static int check_top(json_t *doc, berr_t *err)
{
	cleanup_free char *arch = NULL, *os = NULL, *created = NULL, *type = NULL;
	struct jpath p;
	json_t *rootfs = NULL, *ids = NULL, *id;
	size_t i;

	if (jcheck_object(doc, "config document", err) < 0 ||
	    jget_string(doc, "architecture", "", false, &arch, err) < 0 ||
	    jget_string(doc, "os", "", false, &os, err) < 0 ||
	    jget_string(doc, "created", "", false, &created, err) < 0 ||
	    jget_object(doc, "rootfs", "", true, &rootfs, err) < 0 ||
	    jget_string(rootfs, "type", "rootfs", true, &type, err) < 0 ||
	    jget_array(rootfs, "diff_ids", "rootfs", true, &ids, err) < 0)
		return -1;
	if (strcmp(type, "layers") != 0)
		return err_set(err, EINVAL, "rootfs.type: '%.40s' is not \"layers\"", type);
	json_array_foreach(ids, i, id) {
		if (!json_is_string(id) || !digest_valid(json_string_value(id)))
			return err_set(err, EINVAL, "%s: expected a sha256 digest",
				       jpath_index(&p, "rootfs.diff_ids", i));
	}
	return 0;
}

static int config_init(struct image_config *c, berr_t *err)
{
	memset(c, 0, sizeof(*c));
	c->env = calloc(1, sizeof(*c->env));
	c->labels = json_object();
	c->exposed_ports = json_object();
	if (!c->env || !c->labels || !c->exposed_ports) {
		image_config_clear(c);
		return err_set(err, ENOMEM, "image config: out of memory");
	}
	return 0;
}

int image_config_parse(const char *text, size_t len, const char *where,
		       struct image_config *out, json_t **doc, berr_t *err)
{
	json_error_t je;
	json_t *d, *cfg = NULL;

	if (config_init(out, err) < 0)
		return -1;
	if (len > STORE_JSON_MAX) {
		image_config_clear(out);
		return err_set(err, EFBIG, "%s: config larger than %zu bytes", where,
			       STORE_JSON_MAX);
	}
	d = json_loadb(text, len, 0, &je);
	if (!d) {
		image_config_clear(out);
		return err_set(err, EINVAL, "%s: config is not valid JSON: %s (line %d)",
			       where, je.text, je.line);
	}
	if (check_top(d, err) < 0 ||
	    jget_object(d, "config", "", false, &cfg, err) < 0 ||
	    parse_fields(cfg, out, err) < 0) {
		json_decref(d);
		image_config_clear(out);
		return err_prefix(err, "%s", where);
	}
	if (doc)
		*doc = d;
	else
		json_decref(d);
	return 0;
}

void image_config_clear(struct image_config *c)
{
	strv_free(c->env);
	strv_free(c->entrypoint);
	strv_free(c->cmd);
	free(c->working_dir);
	free(c->user);
	free(c->stop_signal);
	json_decref(c->labels);
	json_decref(c->exposed_ports);
	memset(c, 0, sizeof(*c));
}

/* ---- loading an image ------------------------------------------------ */

static int read_manifest(struct store *s, const char *digest,
			 struct manifest *m, berr_t *err)
{
	cleanup_free char *text = NULL;
	size_t len;

	if (store_blob_read(s, digest, STORE_JSON_MAX, &text, &len, err) < 0)
		return -1;
	return manifest_parse(text, len, digest, m, err);
}

static int image_load(struct store *s, const char *digest, struct image *img,
		      berr_t *err)
{
	cleanup_free char *text = NULL;
	struct manifest m;
	size_t len;

	if (read_manifest(s, digest, &m, err) < 0)
		return -1;
	strcpy(img->manifest_digest, digest);
	strcpy(img->config_digest, m.config);
	img->layers = take_ptr(m.layers);
	img->n_layers = m.n_layers;
	if (store_blob_read(s, img->config_digest, STORE_JSON_MAX, &text, &len,
			    err) < 0 ||
	    image_config_parse(text, len, img->config_digest, &img->config,
			       &img->config_json, err) < 0 ||
	    config_check_rootfs(img->config_json, img->n_layers,
				img->config_digest, err) < 0) {
		image_clear(img);
		return -1;
	}
	return 0;
}

void image_clear(struct image *img)
{
	strv_free(img->layers);
	image_config_clear(&img->config);
	json_decref(img->config_json);
	memset(img, 0, sizeof(*img));
}

/* ---- resolving a reference ------------------------------------------- */

static bool is_hex(const char *s, size_t min, size_t max)
{
	size_t n = strspn(s, "0123456789abcdef");

	return s[n] == '\0' && n >= min && n <= max;
}

/* Record a match of an id prefix; two images with different ids make
 * the prefix ambiguous. */
static int id_match(const char *prefix, const char *manifest,
		    const struct manifest *m, char found[DIGEST_MAX],
		    char id[DIGEST_MAX], berr_t *err)
{
	if (strncmp(digest_hex(m->config), prefix, strlen(prefix)) != 0)
		return 0;
	if (id[0] && strcmp(id, m->config) != 0)
		return err_set(err, EINVAL, "image id '%s' is ambiguous: it matches %.19s and %.19s",
			       prefix, id, m->config);
	strcpy(id, m->config);
	strcpy(found, manifest);
	return 0;
}

/* Look an id (hex prefix of a config digest) up among the images, named
 * or not; 1 when found.  Unreadable manifests are skipped: they fail
 * loudly when asked for by name. */
static int find_by_id(struct store *s, const char *prefix,
		      char found[DIGEST_MAX], berr_t *err)
{
	cleanup_strv char **list = NULL;
	char id[DIGEST_MAX] = "";
	int r = 0;

	if (store_images_list(s, &list, err) < 0)
		return -1;
	for (size_t i = 0; list[i] && r == 0; i++) {
		berr_t skip = NULL;
		struct manifest m;

		if (read_manifest(s, list[i], &m, &skip) < 0) {
			err_free(&skip);
			continue;
		}
		r = id_match(prefix, list[i], &m, found, id, err);
		manifest_clear(&m);
	}
	return r < 0 ? -1 : id[0] != '\0';
}

/* "sha256:<hex>": a manifest digest, or an image id written in full. */
static int find_by_digest(struct store *s, const char *ref,
			  char found[DIGEST_MAX], berr_t *err)
{
	int r = find_by_id(s, digest_hex(ref), found, err);

	if (r != 0)
		return r;
	if (!store_blob_exists(s, ref))
		return 0;
	strcpy(found, ref);
	return 1;
}

static int not_found(struct store *s, const char *ref, berr_t *err)
{
	char norm[REF_NAME_MAX + 1];
	berr_t ignored = NULL;

	if (ref_normalize(ref, norm, &ignored) < 0)
		snprintf(norm, sizeof(norm), "%s", ref);
	err_free(&ignored);
	return err_set(err, ENOENT, "no such image: %s (no name, image id or digest in %s matches)",
		       norm, s->root);
}

static int find_manifest(struct store *s, const char *ref,
			 char found[DIGEST_MAX], berr_t *err)
{
	berr_t by_name = NULL;
	int r;

	if (strncmp(ref, "sha256:", 7) == 0 && is_hex(ref + 7, ID_PREFIX_MIN, 64))
		r = digest_valid(ref) ? find_by_digest(s, ref, found, err)
				      : find_by_id(s, ref + 7, found, err);
	else if (store_ref_get(s, ref, found, &by_name) == 0)
		r = 1;
	else if (by_name->errnum != ENOENT) {
		*err = take_ptr(by_name);
		return -1;
	} else
		r = is_hex(ref, ID_PREFIX_MIN, 64) ? find_by_id(s, ref, found, err) : 0;
	err_free(&by_name);
	if (r == 0)
		return not_found(s, ref, err);
	return r < 0 ? -1 : 0;
}

json_t *image_default_config(void)
{
	return json_pack("{s:[s]}", "Env",
			 "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
}

void image_time_now(char buf[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int image_check_diff_id(const struct image *img, size_t i, const char *diff_id,
			berr_t *err)
{
	json_t *ids = json_object_get(json_object_get(img->config_json, "rootfs"), "diff_ids");
	const char *want = json_string_value(json_array_get(ids, i));

	if (!want || strcmp(want, diff_id) != 0)
		return err_set(err, EINVAL, "image %s: layer %zu unpacks to %s, but the config's rootfs.diff_ids[%zu] is %s",
			       img->config_digest, i, diff_id, i, want ? want : "missing");
	return 0;
}

int image_resolve(struct store *s, const char *ref, struct image *out,
		  berr_t *err)
{
	char manifest[DIGEST_MAX];

	memset(out, 0, sizeof(*out));
	if (!ref || !*ref)
		return err_set(err, EINVAL, "image name is empty");
	if (find_manifest(s, ref, manifest, err) < 0)
		return -1;
	return image_load(s, manifest, out, err);
}
