/* The build verb of `berth`. */
#ifndef BERTH_CLI_BUILD_H
#define BERTH_CLI_BUILD_H

#include "cli/image/image.h"

struct build_opts;
struct cli_roots;

/* Options of a build into g's store that pulls FROM images as `berth
 * run` does (roots must outlive o); berth up builds with them too. */
void cli_build_opts(const struct berth_globals *g, struct cli_roots *roots, struct build_opts *o);

int cli_build(struct berth_globals *g, int argc, char **argv, berr_t *err);

#endif
