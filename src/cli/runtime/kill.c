#include <errno.h>
#include <signal.h>

#include "cli/runtime/runtime.h"
#include "common/units.h"
#include "runtime/container.h"

int rt_kill(struct rt_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ 0 },
	};
	bool all = false;
	int c, sig = SIGTERM;

	while ((c = rt_getopt(argc, argv, "a", opts)) != -1) {
		if (c != 'a')
			return err_set(err, EINVAL, "kill: unknown flag '%s'", argv[optind - 1]);
		all = true;
	}
	if (argc - optind < 1 || argc - optind > 2)
		return err_set(err, EINVAL, "kill: expected a container id and an optional signal");
	if (argc - optind == 2 && units_parse_signal(argv[optind + 1], &sig, err) < 0)
		return err_prefix(err, "kill");
	return container_kill(g->root, argv[optind], sig, all, err);
}
