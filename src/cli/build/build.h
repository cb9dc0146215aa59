/* The build verb of `berth`. */
#ifndef BERTH_CLI_BUILD_H
#define BERTH_CLI_BUILD_H

#include "cli/image/image.h"

int cli_build(struct berth_globals *g, int argc, char **argv, berr_t *err);

#endif
