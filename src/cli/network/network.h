/* `berth network create|ls|rm|inspect`. */
#ifndef BERTH_CLI_NETWORK_H
#define BERTH_CLI_NETWORK_H

#include "cli/image/image.h"

int cli_network(struct berth_globals *g, int argc, char **argv, berr_t *err);

#endif
