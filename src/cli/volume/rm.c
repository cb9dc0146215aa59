/* `berth volume rm [-f] NAME...`: each name removed in turn, stopping at
 * the first failure.  A volume a container uses is refused even with -f
 * (as docker refuses a running container's); -f only makes a missing
 * volume not an error. */
#include "cli/volume/volume.h"

#include <errno.h>
#include <stdio.h>

#include "common/cleanup.h"
#include "volume/volume.h"

static const struct option opts[] = {
	{ "force", no_argument, NULL, 'f' },
	{ 0 },
};

int vol_rm(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	const char *root = g->root;

	cleanup_close int lock = -1;
	bool force = false;
	int c;

	while ((c = img_getopt(argc, argv, "f", opts)) != -1) {
		if (c != 'f')
			return img_bad_flag("volume rm", c, argv, err);
		force = true;
	}
	if (optind >= argc)
		return err_set(err, EINVAL, "volume rm: expected at least one NAME");
	if (volume_lock(root, true, &lock, err) < 0)
		return -1;
	for (int i = optind; i < argc; i++) {
		if (volume_remove(root, argv[i], err) == 0) {
			printf("%s\n", argv[i]);
			continue;
		}
		if (!force || (*err)->errnum != ENOENT)
			return -1;
		err_free(err);
	}
	return 0;
}
