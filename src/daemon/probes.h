/* Health probes of berthd's replicas (probes.c). */
#ifndef BERTH_DAEMON_PROBES_H
#define BERTH_DAEMON_PROBES_H

#include "daemon/daemon.h"

/* Whether replicas of s are probed; those that are not are healthy while
 * they run. */
bool probe_wanted(const struct svc *s);
uint64_t probe_timeout_ns(const struct svc *s);
/* A replica seen for the first time: its health starts. */
void probe_init(const struct svc *s, struct replica *r);
/* Start the probes that are due, kill those past their deadline. */
void probes_run(struct berthd *d);
/* A probe child ended with code (0: healthy). */
void probe_ended(struct berthd *d, struct replica *r, int code);

#endif
