/* The control socket: berthd (or anyone root) sets listeners and reads
 * statistics, one JSON request per line, one JSON reply per line. */
#ifndef BERTH_PROXY_CONTROL_H
#define BERTH_PROXY_CONTROL_H

#include "proxy/proxy.h"

/* Listen on the unix socket at path (mode 0600, a stale socket file
 * replaced). */
int control_open(struct proxy *px, const char *path, berr_t *err);
void control_close(void);

#endif
