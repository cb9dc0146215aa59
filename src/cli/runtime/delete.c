#include <errno.h>

#include "cli/runtime/runtime.h"
#include "runtime/container.h"

int rt_delete(struct rt_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ 0 },
	};
	const char *id;
	bool force = false;
	int c;

	while ((c = rt_getopt(argc, argv, "f", opts)) != -1) {
		if (c != 'f')
			return err_set(err, EINVAL, "delete: unknown flag '%s'",
				       argv[optind - 1]);
		force = true;
	}
	if (rt_need_id(rt_verb_find("delete"), argc, argv, optind, &id, err) < 0)
		return -1;
	return container_delete(g->root, id, force, err);
}
