/* Verbs with sub-commands (`berth image`, `volume`, `network`). */
#ifndef BERTH_CLI_GROUP_H
#define BERTH_CLI_GROUP_H

#include <stddef.h>

#include "cli/globals.h"
#include "common/error.h"

struct cli_sub {
	const char *name, *usage;
	int (*fn)(struct berth_globals *g, int argc, char **argv, berr_t *err);
};

/* argv[1] names the sub-command; `SUB --help` prints its usage.  An
 * unknown or missing one is an error listing the known ones. */
int cli_group(struct berth_globals *g, const char *group, const struct cli_sub *subs, size_t n,
	      int argc, char **argv, berr_t *err);

#endif
