/* Backends of a listener: choosing one, the pool of idle keep-alive
 * connections to each, draining and per-backend statistics. */
#ifndef BERTH_PROXY_BACKEND_H
#define BERTH_PROXY_BACKEND_H

#include "proxy/proxy.h"

/* A new backend for addr ("IP:port" or "[IPv6]:port"). */
int backend_new(struct listener *l, const char *addr, unsigned weight,
		struct backend **out, berr_t *err);

/* The next backend to use among the healthy ones of l (those not down
 * after a failed connect; all of them if none is), NULL if l has none.
 * skip: a backend that just failed, avoided if there is another. */
struct backend *backend_pick(struct listener *l, const struct backend *skip);

/* A connection to b for a session to own: a pooled one (*reused set,
 * still registered with epoll as it was) or a new one whose non-blocking
 * connect may be in progress (not registered yet).  The caller sets
 * owner and the watch's on_event. */
int backend_connect(struct backend *b, struct upconn **out, bool *reused, berr_t *err);

/* Give a keep-alive connection back to its backend's pool (closed when
 * the backend drains or the pool is full). */
void backend_release(struct upconn *u);

/* Close a backend connection (freed after the current batch of events). */
void upconn_close(struct proxy *px, struct upconn *u);

/* A failed connect: b gets no new connections for a while. */
void backend_failed(struct backend *b);

void backend_record(struct backend *b, int64_t started_us);

/* Start draining b (removed from its listener's set): its idle
 * connections close now, the backend goes when its last session ends or
 * at the deadline. */
void backend_drain(struct backend *b, int64_t drain_ms);

/* A session stops using b: frees a drained backend with no sessions. */
void backend_put(struct backend *b);

void backend_free(struct backend *b);

#endif
