/* Verbs that act on each of several names (stop, start, restart, kill,
 * rm): every name is tried, each success printed as docker prints it, each
 * failure reported on its own line, and the verb fails if any did. */
#ifndef BERTH_CLI_EACH_H
#define BERTH_CLI_EACH_H

#include "common/error.h"

typedef int (*cli_each_fn)(void *ctx, const char *name, berr_t *err);

int cli_each(const char *verb, int argc, char **argv, cli_each_fn fn, void *ctx, berr_t *err);

#endif
