/* `berth volume ls [-q]`: DRIVER and VOLUME NAME, as docker prints them. */
#include "cli/volume/volume.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "volume/volume.h"

static const struct option opts[] = {
	{ "quiet", no_argument, NULL, 'q' },
	{ 0 },
};

int vol_ls(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	const char *root = g->root;

	static const char *const headers[] = { "DRIVER", "VOLUME NAME" };
	cleanup_strv char **names = NULL;
	cleanup_free const char **cells = NULL;
	bool quiet = false;
	size_t n;
	int c;

	while ((c = img_getopt(argc, argv, "q", opts)) != -1) {
		if (c != 'q')
			return img_bad_flag("volume ls", c, argv, err);
		quiet = true;
	}
	if (optind < argc)
		return err_set(err, EINVAL, "volume ls: no arguments expected");
	if (volume_list(root, &names, err) < 0)
		return -1;
	n = strv_len(names);
	for (size_t i = 0; quiet && i < n; i++)
		printf("%s\n", names[i]);
	if (quiet)
		return 0;
	cells = calloc(2 * n + 1, sizeof(*cells));
	if (!cells)
		return err_sys(err, "volume ls");
	for (size_t i = 0; i < n; i++) {
		cells[2 * i] = "local";
		cells[2 * i + 1] = names[i];
	}
	img_print_table(headers, 2, cells, n);
	return 0;
}
