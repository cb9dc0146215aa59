/* `berth import`: a rootfs tarball as a one-layer image, with docker's
 * --change instructions applied to its config. */
#include "image/import.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "image/image.h"
#include "image/store_internal.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* CMD and ENTRYPOINT: a JSON array of strings, or a shell command run by
 * /bin/sh -c (Dockerfile semantics). */
static int set_command(json_t *cfg, const char *key, const char *arg,
		       berr_t *err)
{
	json_error_t je;
	json_t *v, *item;
	size_t i;

	if (arg[0] != '[') {
		v = json_pack("[s, s, s]", "/bin/sh", "-c", arg);
	} else if (!(v = json_loads(arg, 0, &je)) || !json_is_array(v)) {
		json_decref(v);
		return err_set(err, EINVAL, "a JSON array of strings is expected");
	}
	json_array_foreach(v, i, item) {
		if (!json_is_string(item)) {
			json_decref(v);
			return err_set(err, EINVAL, "element %zu is not a string", i);
		}
	}
	if (!v || json_object_set_new(cfg, key, v) < 0)
		return err_set(err, ENOMEM, "out of memory");
	return 0;
}

/* ENV KEY=VALUE or ENV KEY VALUE; a key set before is replaced. */
static int set_env(json_t *cfg, const char *arg, berr_t *err)
{
	cleanup_free char *entry = NULL;
	json_t *env = json_object_get(cfg, "Env"), *item;
	size_t klen = strcspn(arg, "= \t"), i;
	const char *val = "";

	if (klen == 0)
		return err_set(err, EINVAL, "expected KEY=VALUE");
	if (arg[klen] == '=')
		val = arg + klen + 1;
	else if (arg[klen])
		val = arg + klen + strspn(arg + klen, " \t");
	if (asprintf(&entry, "%.*s=%s", (int)klen, arg, val) < 0)
		return err_sys(err, "ENV");
	json_array_foreach(env, i, item) {
		const char *e = json_string_value(item);

		if (e && strncmp(e, entry, klen + 1) == 0)
			return json_array_set_new(env, i, json_string(entry)) < 0
				       ? err_set(err, EINVAL, "value is not valid UTF-8") : 0;
	}
	if (json_array_append_new(env, json_string(entry)) < 0)
		return err_set(err, EINVAL, "value is not valid UTF-8");
	return 0;
}

static int set_string(json_t *cfg, const char *key, const char *arg,
		      berr_t *err)
{
	if (!*arg)
		return err_set(err, EINVAL, "a value is expected");
	if (json_object_set_new(cfg, key, json_string(arg)) < 0)
		return err_set(err, EINVAL, "not valid UTF-8");
	return 0;
}

/* LABEL k=v and EXPOSE port: entries of an object ("Labels",
 * "ExposedPorts"); the config parser checks their syntax afterwards. */
static int set_entry(json_t *cfg, const char *key, const char *arg,
		     berr_t *err)
{
	json_t *obj = json_object_get(cfg, key);
	size_t klen = strcspn(arg, "=");
	cleanup_free char *k = strndup(arg, klen);
	bool label = strcmp(key, "Labels") == 0;

	if (!k)
		return err_sys(err, "%s", key);
	if (!*k || (label && !arg[klen]))
		return err_set(err, EINVAL, label ? "expected KEY=VALUE" : "expected PORT[/PROTO]");
	if (!obj) {
		obj = json_object();
		if (json_object_set_new(cfg, key, obj) < 0)
			return err_set(err, ENOMEM, "out of memory");
	}
	if (json_object_set_new(obj, k, label ? json_string(arg + klen + 1)
					       : json_object()) < 0)
		return err_set(err, EINVAL, "not valid UTF-8");
	return 0;
}

static const struct change {
	const char *word;
	const char *key;
	int (*apply)(json_t *cfg, const char *key, const char *arg, berr_t *err);
} changes[] = {
	{ "CMD", "Cmd", set_command },
	{ "ENTRYPOINT", "Entrypoint", set_command },
	{ "ENV", "Env", NULL },
	{ "WORKDIR", "WorkingDir", set_string },
	{ "USER", "User", set_string },
	{ "STOPSIGNAL", "StopSignal", set_string },
	{ "LABEL", "Labels", set_entry },
	{ "EXPOSE", "ExposedPorts", set_entry },
};

int import_apply_change(json_t *config, const char *change, berr_t *err)
{
	size_t wlen = strcspn(change, " \t");
	const char *arg = change + wlen + strspn(change + wlen, " \t");

	for (size_t i = 0; i < sizeof(changes) / sizeof(*changes); i++) {
		const struct change *c = &changes[i];
		int r;

		if (strlen(c->word) != wlen || strncasecmp(c->word, change, wlen))
			continue;
		r = c->apply ? c->apply(config, c->key, arg, err)
			     : set_env(config, arg, err);
		return r < 0 ? err_prefix(err, "--change '%.80s'", change) : 0;
	}
	return err_set(err, EINVAL, "--change '%.80s': unknown instruction (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE or STOPSIGNAL)",
		       change);
}

static json_t *new_config(const struct import_opts *o, berr_t *err)
{
	json_t *cfg = json_pack("{s:[s]}", "Env", DEFAULT_PATH);

	if (!cfg) {
		err_set(err, ENOMEM, "import: out of memory");
		return NULL;
	}
	for (char *const *c = o->changes; c && *c; c++) {
		if (import_apply_change(cfg, *c, err) < 0) {
			json_decref(cfg);
			return NULL;
		}
	}
	return cfg;
}

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
	cfg = new_config(o, err);
	if (!cfg)
		return -1;
	if (store_lock(s, false, &lock, err) < 0) {
		json_decref(cfg);
		return -1;
	}
	return import_locked(s, fd, o, cfg, manifest, id, err);
}
