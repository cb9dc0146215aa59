/* berth-proxy's event loop: one thread, level-triggered epoll. */
#ifndef BERTH_PROXY_LOOP_H
#define BERTH_PROXY_LOOP_H

#include "proxy/proxy.h"

/* Dispatch events until SIGTERM or SIGINT; sessions' deadlines are
 * checked every tick. */
int loop_run(struct proxy *px, berr_t *err);

#endif
