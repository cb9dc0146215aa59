/* GET /metrics in Prometheus text format (metrics.c). */
#ifndef BERTH_DAEMON_METRICS_H
#define BERTH_DAEMON_METRICS_H

#include "daemon/api.h"

void metrics_reply(struct berthd *d, struct api_conn *c);

#endif
