/* Containers named on the command line. */
#include "cli/container/container.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "container/record.h"
#include "container/status.h"

int cli_container_view(const struct berth_globals *g, const char *ref, struct container_view *v,
		       berr_t *err)
{
	char id[CONTAINER_ID_LEN + 1];

	if (container_lookup(g->root, ref, id, err) < 0)
		return -1;
	if (container_view_load(g->root, g->run_root, id, v, err) < 0) {
		container_view_clear(v);
		return -1;
	}
	return 0;
}

int cli_container_view_locked(const struct berth_globals *g, const char *ref,
			      struct container_view *v, int *lock, berr_t *err)
{
	char id[CONTAINER_ID_LEN + 1], dir[PATH_MAX];

	*lock = -1;
	memset(v, 0, sizeof(*v));
	if (container_lookup(g->root, ref, id, err) < 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/containers/%s", g->root, id);
	if (container_lock(dir, lock, err) < 0)
		return -1;
	/* Loaded under the lock: what another command did before is seen. */
	if (container_view_load(g->root, g->run_root, id, v, err) < 0) {
		container_view_clear(v);
		return -1;
	}
	return 0;
}
