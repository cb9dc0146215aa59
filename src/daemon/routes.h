/* What berth-proxy sends to a service's replicas (routes.c). */
#ifndef BERTH_DAEMON_ROUTES_H
#define BERTH_DAEMON_ROUTES_H

#include "daemon/daemon.h"

/* Send s's listeners and routed replicas to the proxy if they changed;
 * listeners s no longer has are removed. */
void routes_push(struct berthd *d, struct svc *s);
/* Check once a second that the proxy is there (a new one gets every
 * route again). */
void routes_watch(struct berthd *d);
/* The proxy's stats reply, or NULL with err when it cannot be asked;
 * free with json_decref. */
json_t *routes_stats(struct berthd *d, berr_t *err);
/* Whether stats (NULL: unknown, so busy) show requests in flight on r. */
bool routes_busy(json_t *stats, const struct replica *r);

#endif
