/* A client connection and, while it has a request in flight or is a
 * tunnel, its backend connection. */
#ifndef BERTH_PROXY_SESSION_H
#define BERTH_PROXY_SESSION_H

#include <stdint.h>

#include "proxy/proxy.h"

/* Take over the accepted client fd of listener l (counted in the per-IP
 * table already): the session owns both from here, whatever happens. */
void session_start(struct listener *l, int fd, const struct sockaddr_storage *peer);

/* Timeouts and drain deadlines of every session, at now. */
void sessions_tick(struct proxy *px, int64_t now);

/* Close the sessions of l that are between requests (l was removed). */
void sessions_close_idle(struct proxy *px, struct listener *l);

/* Close every session (at exit, for leak checkers). */
void sessions_close_all(struct proxy *px);

#endif
