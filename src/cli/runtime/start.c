#include "cli/runtime/runtime.h"
#include "runtime/container.h"

int rt_start(struct rt_globals *g, int argc, char **argv, berr_t *err)
{
	const char *id;

	if (rt_need_id(rt_verb_find("start"), argc, argv, 1, &id, err) < 0 ||
	    container_start(g->root, id, err) < 0)
		return -1;
	return 0;
}
