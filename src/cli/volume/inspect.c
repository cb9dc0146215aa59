/* `berth volume inspect NAME...`: a JSON array of the records, docker's
 * fields.  A missing volume fails the command (after nothing is printed). */
#include "cli/volume/volume.h"

#include <errno.h>

#include "volume/volume.h"

int vol_inspect(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	const char *root = g->root;

	json_t *all = json_array();
	int r = 0;

	if (argc < 2)
		r = err_set(err, EINVAL, "volume inspect: expected at least one NAME");
	for (int i = 1; i < argc && r == 0; i++) {
		json_t *rec;

		r = volume_load(root, argv[i], &rec, err);
		if (r == 0)
			json_array_append_new(all, rec);
	}
	if (r == 0)
		r = img_print_json(all, err);
	json_decref(all);
	return r;
}
