/* Statistics of every listener and backend, as JSON for the control
 * socket's "stats" request. */
#ifndef BERTH_PROXY_STATS_H
#define BERTH_PROXY_STATS_H

#include <jansson.h>

#include "proxy/proxy.h"

/* The "listeners" array; NULL when out of memory. */
json_t *stats_json(const struct proxy *px);

#endif
