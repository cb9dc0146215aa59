/* `berth tag SOURCE TARGET`: a new name for an image. */
#include "cli/image/image.h"

#include <errno.h>

int img_tag(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct option opts[] = { { 0 } };
	struct store s;
	struct image img;
	int c, r;

	while ((c = img_getopt(argc, argv, "", opts)) != -1)
		return img_bad_flag("tag", c, argv, err);
	if (argc - optind != 2)
		return err_set(err, EINVAL, "tag: expected SOURCE and TARGET (usage: berth tag SOURCE TARGET)");
	if (store_open(g->root, &s, err) < 0)
		return -1;
	r = image_resolve(&s, argv[optind], &img, err);
	if (r == 0) {
		r = store_ref_set(&s, argv[optind + 1], img.manifest_digest, err);
		image_clear(&img);
	}
	store_close(&s);
	return r;
}
