/* Helpers shared by the image verbs. */
#include "cli/image/image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "image/store_internal.h"

int img_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	char opts[64];

	snprintf(opts, sizeof(opts), "+:%s", shortopts);
	opterr = 0;
	return getopt_long(argc, argv, opts, longopts, NULL);
}

int img_bad_flag(const char *verb, int c, char **argv, berr_t *err)
{
	if (c == ':')
		return err_set(err, EINVAL, "%s: %s needs a value", verb, argv[optind - 1]);
	return err_set(err, EINVAL, "%s: unknown flag '%s' (see 'berth %s --help')", verb,
		       argv[optind - 1], verb);
}

int img_size(struct store *s, const struct image *img, uint64_t *size,
	     berr_t *err)
{
	*size = 0;
	for (size_t i = 0; i < img->n_layers; i++) {
		uint64_t n;

		if (store_blob_size(s, img->layers[i], &n, err) < 0)
			return -1;
		*size += n;
	}
	return 0;
}

/* The config digest a named manifest points at; damaged manifests are
 * skipped (they fail loudly when asked for by name). */
static bool config_of(struct store *s, const char *manifest, char id[DIGEST_MAX])
{
	cleanup_free char *text = NULL;
	berr_t ignored = NULL;
	struct manifest m;
	size_t len;

	if (store_blob_read(s, manifest, STORE_JSON_MAX, &text, &len, &ignored) < 0 ||
	    manifest_parse(text, len, manifest, &m, &ignored) < 0) {
		err_free(&ignored);
		return false;
	}
	strcpy(id, m.config);
	manifest_clear(&m);
	return true;
}

int img_names_of(struct store *s, const char *id, json_t **names, berr_t *err)
{
	json_t *list = NULL, *item, *out = json_array();
	size_t i;

	if (!out || store_refs_list(s, &list, err) < 0) {
		json_decref(out);
		return out ? -1 : err_set(err, ENOMEM, "out of memory");
	}
	json_array_foreach(list, i, item) {
		const char *md = json_string_value(json_object_get(item, "manifest"));
		char cfg[DIGEST_MAX];

		if (config_of(s, md, cfg) && strcmp(cfg, id) == 0 &&
		    json_array_append(out, json_object_get(item, "name")) < 0) {
			json_decref(list);
			json_decref(out);
			return err_set(err, ENOMEM, "out of memory");
		}
	}
	json_decref(list);
	*names = out;
	return 0;
}

/* docker's sizes: decimal units, three significant digits ("4.26MB"). */
void img_human_size(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1000 && u + 1 < sizeof(units) / sizeof(*units)) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, "%.3g%s", v, units[u]);
}

int img_print_json(json_t *v, berr_t *err)
{
	cleanup_free char *text = json_dumps(v, JSON_INDENT(4));

	if (!text)
		return err_set(err, ENOMEM, "encode JSON");
	if (puts(text) < 0 || fflush(stdout) != 0)
		return err_sys(err, "write standard output");
	return 0;
}
