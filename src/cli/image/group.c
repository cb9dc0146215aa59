/* `berth image SUBCOMMAND`: the image verbs that have no top-level name
 * (docker's `image prune`), plus the garbage collector. */
#include "cli/image/image.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name, *usage;
	int (*fn)(struct berth_globals *g, int argc, char **argv, berr_t *err);
} subs[] = {
	{ "prune", "image prune [-a] [-f]", img_prune },
	{ "gc", "image gc", img_gc },
};

int img_group(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	if (argc < 2)
		return err_set(err, EINVAL, "image: expected a subcommand (prune, gc)");
	for (size_t i = 0; i < sizeof(subs) / sizeof(*subs); i++) {
		if (strcmp(argv[1], subs[i].name) != 0)
			continue;
		if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
			printf("Usage: berth %s\n", subs[i].usage);
			return 0;
		}
		optind = 1;
		return subs[i].fn(g, argc - 1, argv + 1, err);
	}
	return err_set(err, EINVAL, "image: unknown subcommand '%s' (expected prune or gc)",
		       argv[1]);
}
