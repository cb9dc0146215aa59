/* `berth tag SOURCE TARGET`: a new name for an image.  The store lock is
 * held shared, so garbage collection cannot remove the image between
 * finding it and naming it. */
#include "cli/image/image.h"

#include <errno.h>
#include <unistd.h>

#include "image/store_internal.h"

int img_tag(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct option opts[] = { { 0 } };
	struct store s;
	struct image img;
	int c, r, lock = -1;

	while ((c = img_getopt(argc, argv, "", opts)) != -1)
		return img_bad_flag("tag", c, argv, err);
	if (argc - optind != 2)
		return err_set(err, EINVAL, "tag: expected SOURCE and TARGET (usage: berth tag SOURCE TARGET)");
	if (store_open(g->root, &s, err) < 0)
		return -1;
	r = store_lock(&s, false, &lock, err);
	if (r == 0)
		r = image_resolve(&s, argv[optind], &img, err);
	if (r == 0) {
		r = store_ref_set(&s, argv[optind + 1], img.manifest_digest, err);
		image_clear(&img);
	}
	if (lock >= 0)
		close(lock);
	store_close(&s);
	return r;
}
