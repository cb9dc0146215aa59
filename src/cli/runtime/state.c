#include "cli/runtime/runtime.h"
#include "runtime/state.h"

int rt_state(struct rt_globals *g, int argc, char **argv, berr_t *err)
{
	struct container_state st;
	const char *id;
	json_t *o;
	int r;

	if (rt_need_id(rt_verb_find("state"), argc, argv, 1, &id, err) < 0 ||
	    state_load(g->root, id, &st, err) < 0)
		return -1;
	o = state_to_json(&st, state_status(g->root, &st));
	r = o ? rt_print_json(o, err) : err_set(err, 12, "encode state");
	json_decref(o);
	state_clear(&st);
	return r;
}
