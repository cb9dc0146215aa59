/* `berth rename CONTAINER NEW_NAME`: the new name is taken first, so a
 * crash in between leaves two names on one container, never none. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/container/container.h"
#include "common/cleanup.h"
#include "container/status.h"

int ctr_rename(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	struct container_view v;
	cleanup_close int lock = -1;
	char *old = NULL;
	int r;

	if (argc != 3)
		return err_set(err, EINVAL, "rename: expected CONTAINER NEW_NAME");
	if (cli_container_view_locked(g, argv[1], &v, &lock, err) < 0)
		return -1;
	old = strdup(json_string_value(json_object_get(v.rec, "Name")) ?: "");
	json_object_set_new(v.rec, "Name", json_string(argv[2]));
	r = !old || !json_string_value(json_object_get(v.rec, "Name"))
		    ? err_set(err, ENOMEM, "rename")
		    : container_name_reserve(g->root, argv[2], v.paths.id, err);
	if (r == 0 && container_record_write(v.paths.dir, v.rec, err) < 0) {
		container_name_release(g->root, argv[2], v.paths.id);
		r = -1;
	}
	if (r == 0 && *old)
		container_name_release(g->root, old, v.paths.id);
	free(old);
	container_view_clear(&v);
	return r;
}
