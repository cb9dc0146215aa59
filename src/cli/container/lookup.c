/* Containers named on the command line. */
#include "cli/container/container.h"
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
