/* `berth image prune [-a] [-f]`: remove the images without a name (with
 * -a: every image), except those a container uses, then collect the
 * garbage, all under the store lock held exclusively. */
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

/* Without -f the user confirms, as with docker; anything but y/yes on
 * stdin (EOF included) cancels. */
static bool confirmed(bool all)
{
	char line[16] = "";

	printf("WARNING! This will remove all %s.\nAre you sure you want to continue? [y/N] ",
	       all ? "images without at least one container associated to them"
		   : "dangling images");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\n")] = '\0';
	return !strcasecmp(line, "y") || !strcasecmp(line, "yes");
}

/* Remove the names of manifest (with -a there may be some) and the
 * image.  *named says whether it had any. */
static int untag_all(struct store *s, json_t *refs, const char *manifest,
		     bool *named, berr_t *err)
{
	json_t *item;
	size_t i;

	*named = false;
	json_array_foreach(refs, i, item) {
		const char *name = json_string_value(json_object_get(item, "name"));

		if (strcmp(json_string_value(json_object_get(item, "manifest")), manifest))
			continue;
		*named = true;
		if (store_ref_delete(s, name, err) < 0)
			return -1;
		printf("untagged: %s\n", name);
	}
	return 0;
}

static int prune_images(struct store *s, bool all, json_t *refs, json_t *uses,
			berr_t *err)
{
	cleanup_strv char **images = NULL;
	char who[128];

	if (store_images_list(s, &images, err) < 0)
		return -1;
	for (size_t i = 0; images[i]; i++) {
		bool named = false;

		if (image_user(uses, images[i], who, sizeof(who)))
			continue;
		if (all && untag_all(s, refs, images[i], &named, err) < 0)
			return -1;
		if (!all && store_refs_count(refs, images[i]) > 0)
			continue;
		if (store_image_remove(s, images[i], err) < 0)
			return -1;
		printf("deleted: %s\n", images[i]);
	}
	return 0;
}

static int prune(struct store *s, bool all, berr_t *err)
{
	cleanup_close int lock = -1;
	json_t *refs = NULL, *uses = NULL;
	struct gc_stats st;
	char size[32];
	int r;

	if (store_lock(s, true, &lock, err) < 0 ||
	    store_refs_list(s, &refs, err) < 0)
		return -1;
	r = image_uses_list(s, &uses, err);
	if (r == 0)
		r = prune_images(s, all, refs, uses, err);
	if (r == 0)
		r = store_gc_locked(s, &st, err);
	if (r == 0) {
		img_human_size(st.bytes, size, sizeof(size));
		printf("Total reclaimed space: %s\n", size);
	}
	json_decref(refs);
	json_decref(uses);
	return r;
}

int img_prune(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "force", no_argument, NULL, 'f' },
		{ 0 },
	};
	bool all = false, force = false;
	struct store s;
	int c, r;

	while ((c = img_getopt(argc, argv, "af", opts)) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'f')
			force = true;
		else
			return img_bad_flag("image prune", c, argv, err);
	}
	if (optind < argc)
		return err_set(err, EINVAL, "image prune: unexpected argument '%s' (usage: berth image prune [-a] [-f])",
			       argv[optind]);
	if (!force && !confirmed(all))
		return 0;
	if (store_open(g->root, &s, err) < 0)
		return -1;
	r = prune(&s, all, err);
	store_close(&s);
	return r;
}
