/* `berth image SUBCOMMAND`: the image verbs that have no top-level name
 * (docker's `image prune`), plus the garbage collector. */
#include "cli/image/image.h"

#include "cli/group.h"

static const struct cli_sub subs[] = {
	{ "prune", "image prune [-a] [-f]", img_prune },
	{ "gc", "image gc", img_gc },
};

int img_group(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	return cli_group(g, "image", subs, sizeof(subs) / sizeof(*subs), argc, argv, err);
}
