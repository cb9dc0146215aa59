/* `berth image gc`: remove blobs and unpacked layers no image, name or
 * container references (image/gc.c). */
#include "cli/image/image.h"

#include <errno.h>
#include <stdio.h>

#include "image/gc.h"

int img_gc(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct option opts[] = { { 0 } };
	struct gc_stats st;
	struct store s;
	char size[32];
	int c, r;

	while ((c = img_getopt(argc, argv, "", opts)) != -1)
		return img_bad_flag("image gc", c, argv, err);
	if (optind < argc)
		return err_set(err, EINVAL, "image gc: unexpected argument '%s' (usage: berth image gc)",
			       argv[optind]);
	if (store_open(g->root, &s, err) < 0)
		return -1;
	r = store_gc(&s, &st, err);
	if (r == 0) {
		img_human_size(st.bytes, size, sizeof(size));
		printf("Removed %zu blobs and %zu unpacked layers (%s)\n", st.blobs,
		       st.layers, size);
	}
	store_close(&s);
	return r;
}
