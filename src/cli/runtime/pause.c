#include "cli/runtime/runtime.h"
#include "runtime/container.h"

static int freeze(struct rt_globals *g, int argc, char **argv, bool pause,
		  berr_t *err)
{
	const char *id;

	if (rt_need_id(rt_verb_find(pause ? "pause" : "resume"), argc, argv, 1, &id,
		       err) < 0)
		return -1;
	return container_pause(g->root, id, pause, err);
}

int rt_pause(struct rt_globals *g, int argc, char **argv, berr_t *err)
{
	return freeze(g, argc, argv, true, err);
}

int rt_resume(struct rt_globals *g, int argc, char **argv, berr_t *err)
{
	return freeze(g, argc, argv, false, err);
}
