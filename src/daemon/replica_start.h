/* Starting a service's replicas (replica_start.c). */
#ifndef BERTH_DAEMON_REPLICA_START_H
#define BERTH_DAEMON_REPLICA_START_H

#include "daemon/daemon.h"

/* The `berth run -d` command line of a replica named name. */
int replica_argv(const struct berthd *d, const struct svc *s, const char *name, char ***v);
/* Start one replica of s's current revision (a child; s->starting counts it). */
void replica_start(struct berthd *d, struct svc *s);
/* One more failure in a row: the next start waits out the backoff of
 * the service's restart policy (the containers layer's). */
void replica_backoff(struct berthd *d, struct svc *s);
/* Its `berth run` ended with code. */
void replica_start_ended(struct berthd *d, struct svc *s, int code);

#endif
