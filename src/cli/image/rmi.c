/* `berth rmi [-f] IMAGE...`: remove names.  A name removes itself; an id
 * or digest removes every name of that image, which needs -f when there
 * are several (as docker).  The blobs stay until garbage collection. */
#include "cli/image/image.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "image/store_internal.h"

static int untag(struct store *s, const char *name, berr_t *err)
{
	char norm[REF_NAME_MAX + 1];

	if (ref_normalize(name, norm, err) < 0 || store_ref_delete(s, norm, err) < 0)
		return -1;
	printf("Untagged: %s\n", norm);
	return 0;
}

/* IMAGE given by id or digest: remove the names of that image. */
static int untag_image(struct store *s, const char *ref, bool force, berr_t *err)
{
	struct image img;
	json_t *names = NULL, *name;
	size_t i;
	int r = 0;

	if (image_resolve(s, ref, &img, err) < 0)
		return -1;
	if (img_names_of(s, img.config_digest, &names, err) < 0) {
		image_clear(&img);
		return -1;
	}
	if (json_array_size(names) == 0)
		r = err_set(err, ENOENT, "rmi: image %.19s has no names left to remove", img.config_digest);
	else if (json_array_size(names) > 1 && !force)
		r = err_set(err, EBUSY, "rmi: image %.19s has %zu names (%s, ...): remove them by name, or use -f",
			    img.config_digest, json_array_size(names),
			    json_string_value(json_array_get(names, 0)));
	json_array_foreach(names, i, name) {
		if (r < 0 || (r = untag(s, json_string_value(name), err)) < 0)
			break;
	}
	json_decref(names);
	image_clear(&img);
	return r;
}

static int rmi_one(struct store *s, const char *ref, bool force, berr_t *err)
{
	char manifest[DIGEST_MAX];
	berr_t by_name = NULL;

	if (strncmp(ref, "sha256:", 7) != 0 &&
	    store_ref_get(s, ref, manifest, &by_name) == 0)
		return untag(s, ref, err);
	if (by_name && by_name->errnum != ENOENT) {
		*err = by_name;
		return -1;
	}
	err_free(&by_name);
	return untag_image(s, ref, force, err);
}

int img_rmi(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "no-prune", no_argument, NULL, 'P' },
		{ 0 },
	};
	bool force = false;
	struct store s;
	int c, r = 0;

	while ((c = img_getopt(argc, argv, "f", opts)) != -1) {
		if (c == 'f')
			force = true;
		else if (c != 'P')
			return img_bad_flag("rmi", c, argv, err);
	}
	if (optind >= argc)
		return err_set(err, EINVAL, "rmi: expected at least one image (usage: berth rmi [-f] IMAGE...)");
	if (store_open(g->root, &s, err) < 0)
		return -1;
	/* Stops at the first failure, so exactly one error is reported. */
	for (int i = optind; i < argc && r == 0; i++)
		r = rmi_one(&s, argv[i], force, err);
	store_close(&s);
	return r;
}
