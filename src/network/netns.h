/* Persistent network namespaces: a file that is a bind mount of a
 * namespace, as `ip netns add` makes them, so the namespace outlives
 * every process in it and the CNI plugins and the runtime can open it by
 * path. */
#ifndef BERTH_NETWORK_NETNS_H
#define BERTH_NETWORK_NETNS_H

#include <stdbool.h>

#include "common/error.h"

/* A new network namespace bound at path (which must not exist). */
int netns_create(const char *path, berr_t *err);

/* Whether path is a bound namespace (nsfs). */
bool netns_is_bound(const char *path);

/* Unmount and remove path; a missing file is not an error. */
int netns_remove(const char *path, berr_t *err);

#endif
