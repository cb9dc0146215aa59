/* `berth inspect IMAGE...`: a JSON array with docker's field names. */
#include "cli/image/image.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/container/container.h"
#include "image/store_internal.h"

static json_t *strv_json(char **v)
{
	json_t *a;

	if (!v)
		return json_null();
	a = json_array();
	for (size_t i = 0; a && v[i]; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *str_json(const char *s)
{
	return json_string(s ? s : "");
}

/* docker prints "Labels": null when there are none; what berth does not
 * read itself (Volumes, Healthcheck, OnBuild, Shell, ...) is shown as the
 * image has it. */
static json_t *config_json(const struct image_config *c, json_t *raw)
{
	const char *key;
	json_t *v;
	json_t *cfg = json_pack("{s:o*, s:o*, s:o*, s:o*, s:o*, s:o*, s:o*}",
				"Env", strv_json(c->env), "Cmd", strv_json(c->cmd),
				"Entrypoint", strv_json(c->entrypoint),
				"WorkingDir", str_json(c->working_dir),
				"User", str_json(c->user),
				"Labels", json_object_size(c->labels) ? json_incref(c->labels)
								       : json_null(),
				"StopSignal", c->stop_signal ? json_string(c->stop_signal) : NULL);

	if (cfg && json_object_size(c->exposed_ports))
		json_object_set(cfg, "ExposedPorts", c->exposed_ports);
	json_object_foreach(raw, key, v)
		if (cfg && !json_object_get(cfg, key))
			json_object_set(cfg, key, v);
	return cfg;
}

static json_t *doc_string(const struct image *img, const char *key)
{
	return str_json(json_string_value(json_object_get(img->config_json, key)));
}

static int inspect_one(struct store *s, const char *ref, json_t *out, berr_t *err)
{
	json_t *names = NULL, *obj;
	struct image img;
	uint64_t size, msize;

	if (image_resolve(s, ref, &img, err) < 0)
		return -1;
	if (img_size(s, &img, &size, err) < 0 ||
	    img_names_of(s, img.config_digest, &names, err) < 0) {
		image_clear(&img);
		return -1;
	}
	if (store_blob_size(s, img.manifest_digest, &msize, err) < 0) {
		image_clear(&img);
		json_decref(names);
		return -1;
	}
	/* The manifest as docker's containerd image store shows it. */
	obj = json_pack("{s:s, s:o, s:{s:s, s:I}, s:o, s:o, s:o, s:o, s:{s:s, s:O}, s:I}",
			"Id", img.config_digest, "RepoTags", names,
			"Descriptor", "digest", img.manifest_digest, "size", (json_int_t)msize,
			"Created", doc_string(&img, "created"),
			"Architecture", doc_string(&img, "architecture"),
			"Os", doc_string(&img, "os"),
			"Config", config_json(&img.config, json_object_get(img.config_json, "config")),
			"RootFS", "Type", "layers", "Layers",
			json_object_get(json_object_get(img.config_json, "rootfs"), "diff_ids"),
			"Size", (json_int_t)size);
	image_clear(&img);
	if (!obj || json_array_append_new(out, obj) < 0)
		return err_set(err, ENOMEM, "inspect: out of memory");
	return 0;
}

int img_inspect(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ 0 },
	};
	json_t *out;
	struct store s;
	const char *type = "";
	int c, r = 0;

	while ((c = img_getopt(argc, argv, "", opts)) != -1) {
		if (c == 't' && strcmp(optarg, "image") && strcmp(optarg, "container"))
			return err_set(err, EINVAL, "inspect: --type '%s': expected image or container", optarg);
		if (c != 't')
			return img_bad_flag("inspect", c, argv, err);
		type = optarg;
	}
	if (optind >= argc)
		return err_set(err, EINVAL, "inspect: expected at least one container or image (usage: berth inspect NAME...)");
	if (store_open(g->root, &s, err) < 0)
		return -1;
	out = json_array();
	if (!out)
		r = err_set(err, ENOMEM, "inspect: out of memory");
	for (int i = optind; r == 0 && i < argc; i++) {
		json_t *ctr = NULL;

		/* Containers first, as docker: a container and an image may
		 * share a name. */
		r = strcmp(type, "image") ? ctr_inspect_one(g, argv[i], &ctr, err) : 1;
		if (r == 1 && !strcmp(type, "container"))
			r = err_set(err, ENOENT, "no such container: %s", argv[i]);
		else if (r == 1)
			r = inspect_one(&s, argv[i], out, err);
		else if (r == 0)
			json_array_append_new(out, ctr);
	}
	if (r == 0)
		r = img_print_json(out, err);
	json_decref(out);
	store_close(&s);
	return r;
}
