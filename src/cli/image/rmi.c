/* `berth rmi [-f] [--no-prune] IMAGE...`: remove images.  A name removes
 * itself; when it was the image's last name the image goes too, and
 * garbage collection removes the blobs and layers nothing else uses.  An
 * id or digest removes every name of that image, which needs -f when
 * there are several (as docker).  An image a container uses is refused
 * unless -f, which removes its names and keeps it (<none>) for the
 * container.  The store lock is held exclusively throughout, so no run
 * can start using an image between the check and the removal. */
#include "cli/image/image.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "image/gc.h"
#include "image/store_internal.h"
#include "image/uses.h"

struct rmi {
	struct store *s;
	json_t *uses; /* containers and their images */
	bool force;
	bool removed; /* an image record went: collect garbage */
};

static int untag(struct store *s, const char *name, berr_t *err)
{
	char norm[REF_NAME_MAX + 1];

	if (ref_normalize(name, norm, err) < 0 || store_ref_delete(s, norm, err) < 0)
		return -1;
	printf("Untagged: %s\n", norm);
	return 0;
}

/* The names still pointing at manifest. */
static int names_left(struct store *s, const char *manifest, size_t *n,
		      berr_t *err)
{
	json_t *refs = NULL;

	if (store_refs_list(s, &refs, err) < 0)
		return -1;
	*n = store_refs_count(refs, manifest);
	json_decref(refs);
	return 0;
}

/* what names the image in the error, as the user wrote it. */
static int check_unused(struct rmi *x, const char *what, const char *manifest,
			berr_t *err)
{
	char who[128];

	if (x->force || !image_user(x->uses, manifest, who, sizeof(who)))
		return 0;
	return err_set(err, EBUSY, "rmi: image '%s' is used by container %s: remove the container first, or use -f",
		       what, who);
}

/* After its names went: drop the image unless a container still uses it
 * (then it stays, nameless, until the container is gone). */
static int drop_image(struct rmi *x, const char *manifest, berr_t *err)
{
	char who[128];
	size_t n;

	if (names_left(x->s, manifest, &n, err) < 0)
		return -1;
	if (n > 0 || image_user(x->uses, manifest, who, sizeof(who)))
		return 0;
	if (store_image_remove(x->s, manifest, err) < 0)
		return -1;
	printf("Deleted: %s\n", manifest);
	x->removed = true;
	return 0;
}

static int rmi_name(struct rmi *x, const char *name, const char *manifest,
		    berr_t *err)
{
	size_t n;

	if (names_left(x->s, manifest, &n, err) < 0)
		return -1;
	if (n == 1 && check_unused(x, name, manifest, err) < 0)
		return -1;
	if (untag(x->s, name, err) < 0)
		return -1;
	return drop_image(x, manifest, err);
}

/* A damaged image given by its manifest digest: its record can still go
 * (its names are removed by name), so gc is not stopped by it forever. */
static int rmi_damaged(struct rmi *x, const char *ref, berr_t *err)
{
	cleanup_strv char **images = NULL;
	berr_t why = NULL;

	if (!digest_valid(ref) || store_images_list(x->s, &images, &why) < 0 ||
	    !strv_contains(images, ref)) {
		err_free(&why);
		return -1;
	}
	err_free(err);
	if (check_unused(x, ref, ref, err) < 0)
		return -1;
	return drop_image(x, ref, err);
}

/* IMAGE given by id or digest: remove the names of that image, then it. */
static int rmi_image(struct rmi *x, const char *ref, berr_t *err)
{
	struct image img;
	json_t *names = NULL, *name;
	size_t i;
	int r = 0;

	if (image_resolve(x->s, ref, &img, err) < 0)
		return rmi_damaged(x, ref, err) < 0 ? -1 : 0;
	if (img_names_of(x->s, img.config_digest, &names, err) < 0) {
		image_clear(&img);
		return -1;
	}
	if (json_array_size(names) > 1 && !x->force)
		r = err_set(err, EBUSY, "rmi: image %.19s has %zu names (%s, ...): remove them by name, or use -f",
			    img.config_digest, json_array_size(names),
			    json_string_value(json_array_get(names, 0)));
	if (r == 0)
		r = check_unused(x, ref, img.manifest_digest, err);
	json_array_foreach(names, i, name) {
		if (r < 0 || (r = untag(x->s, json_string_value(name), err)) < 0)
			break;
	}
	if (r == 0)
		r = drop_image(x, img.manifest_digest, err);
	json_decref(names);
	image_clear(&img);
	return r;
}

static int rmi_one(struct rmi *x, const char *ref, berr_t *err)
{
	char manifest[DIGEST_MAX];
	berr_t by_name = NULL;

	if (strncmp(ref, "sha256:", 7) != 0 &&
	    store_ref_get(x->s, ref, manifest, &by_name) == 0)
		return rmi_name(x, ref, manifest, err);
	if (by_name && by_name->errnum != ENOENT) {
		*err = by_name;
		return -1;
	}
	err_free(&by_name);
	return rmi_image(x, ref, err);
}

static int rmi_all(struct rmi *x, int argc, char **argv, bool prune, berr_t *err)
{
	cleanup_close int lock = -1;
	struct gc_stats st;
	int r = 0;

	if (store_lock(x->s, true, &lock, err) < 0 ||
	    image_uses_list(x->s, &x->uses, err) < 0)
		return -1;
	/* Stops at the first failure, so exactly one error is reported. */
	for (int i = optind; i < argc && r == 0; i++)
		r = rmi_one(x, argv[i], err);
	json_decref(x->uses);
	if (x->removed && prune) {
		berr_t gc_err = NULL;

		/* What was removed stays removed; leftovers wait for gc. */
		if (store_gc_locked(x->s, &st, r == 0 ? err : &gc_err) < 0 && r == 0)
			r = -1;
		err_free(&gc_err);
	}
	return r;
}

int img_rmi(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "no-prune", no_argument, NULL, 'P' },
		{ 0 },
	};
	struct rmi x = { 0 };
	bool prune = true;
	struct store s;
	int c, r;

	while ((c = img_getopt(argc, argv, "f", opts)) != -1) {
		if (c == 'f')
			x.force = true;
		else if (c == 'P')
			prune = false;
		else
			return img_bad_flag("rmi", c, argv, err);
	}
	if (optind >= argc)
		return err_set(err, EINVAL, "rmi: expected at least one image (usage: berth rmi [-f] [--no-prune] IMAGE...)");
	if (store_open(g->root, &s, err) < 0)
		return -1;
	x.s = &s;
	r = rmi_all(&x, argc, argv, prune, err);
	store_close(&s);
	return r;
}
