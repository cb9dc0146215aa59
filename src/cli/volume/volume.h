/* `berth volume create|ls|inspect|rm|prune`: one file per subcommand,
 * each on the volume store (src/volume). */
#ifndef BERTH_CLI_VOLUME_H
#define BERTH_CLI_VOLUME_H

#include "cli/image/image.h"
#include "common/error.h"

/* `berth volume SUBCOMMAND ...` */
int vol_group(struct berth_globals *g, int argc, char **argv, berr_t *err);

/* Each takes the store root as an absolute path (volume sources in
 * container configs are compared by it). */
int vol_create(struct berth_globals *g, int argc, char **argv, berr_t *err);
int vol_ls(struct berth_globals *g, int argc, char **argv, berr_t *err);
int vol_inspect(struct berth_globals *g, int argc, char **argv, berr_t *err);
int vol_rm(struct berth_globals *g, int argc, char **argv, berr_t *err);
int vol_prune(struct berth_globals *g, int argc, char **argv, berr_t *err);

#endif
