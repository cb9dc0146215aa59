/* berthd's client of berth-proxy's control socket (proxy_client.c). */
#ifndef BERTH_DAEMON_PROXY_CLIENT_H
#define BERTH_DAEMON_PROXY_CLIENT_H

#include <jansson.h>

#include "common/error.h"

struct proxy_client;

/* Connect to <run_root>/proxy.sock, starting bin (detached, its pid in
 * <run_root>/proxy.pid, its output in proxy.log) when nothing listens. */
int proxy_client_open(const char *run_root, const char *bin, struct proxy_client **out,
		      berr_t *err);
void proxy_client_close(struct proxy_client *pc);

/* Changes whenever the client connected anew: the proxy may be a new one
 * (the old one crashed or was killed) that knows no listener. */
unsigned proxy_client_generation(const struct proxy_client *pc);

/* One request of docs/berth-proxy.md and its {"ok": true, ...} reply. */
int proxy_client_call(struct proxy_client *pc, json_t *req, json_t **reply, berr_t *err);

#endif
