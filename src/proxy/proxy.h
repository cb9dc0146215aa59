/* berth-proxy's shared state: the event loop, listeners, backends and
 * client sessions.  One thread, one epoll loop: every socket is
 * non-blocking and every object owning one embeds a struct watch. */
#ifndef BERTH_PROXY_PROXY_H
#define BERTH_PROXY_PROXY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/error.h"
#include "proxy/buf.h"
#include "proxy/http.h"

struct watch {
	int fd;
	uint32_t events; /* registered with epoll; 0 when not registered */
	void (*on_event)(struct watch *w, uint32_t events);
	struct watch *dead_next; /* see watch_free */
	void *dead_obj;
};

/* Limits and timeouts, from the command line. */
struct opts {
	size_t max_head;          /* request head bytes before 431 */
	int64_t header_timeout_ms; /* first byte to complete head, else 408 */
	int64_t idle_timeout_ms;   /* keep-alive client between requests */
	int64_t backend_timeout_ms; /* connect, or silence while a request is in flight */
	int64_t tunnel_timeout_ms; /* silence on a TCP or upgraded tunnel */
	unsigned max_conns_per_ip;
	unsigned pool_per_backend; /* idle keep-alive connections kept per backend */
};

struct proxy {
	int epfd;
	struct opts opts;
	struct listener *listeners;
	struct listener *closed;  /* removed, waiting for their last session */
	struct session *sessions; /* every session, for timeouts and drains */
	struct ipcount *ips;
};

/* Microseconds on the monotonic clock when the loop's current batch of
 * events arrived. */
int64_t now_us(void);

/* Register, change or remove the events of a watch. */
int watch_set(struct proxy *px, struct watch *w, uint32_t events, berr_t *err);
void watch_close(struct proxy *px, struct watch *w);
/* Free obj, which embeds the closed watch w, once the current batch of
 * events is dispatched: a later event of the batch may still name w (it
 * is then skipped, its fd being -1). */
void watch_free(struct watch *w, void *obj);

#define LATENCY_BUCKETS 12
extern const double latency_bounds_s[LATENCY_BUCKETS]; /* upper bounds */

struct backend_stats {
	uint64_t requests;  /* completed requests (HTTP) or connections (TCP) */
	uint64_t failures;  /* connect failures and broken responses */
	uint64_t latency_count, latency_sum_us;
	uint64_t latency_buckets[LATENCY_BUCKETS + 1]; /* last: +Inf */
};

struct session;

/* A connection to a backend, registered with epoll once for its whole
 * life: handing it between a session and the pool changes no
 * registration.  Idle in the pool (owner NULL), any event on it means
 * the backend closed it (or sent garbage), so it is dropped. */
struct upconn {
	struct watch w;
	struct upconn *next; /* in the backend's idle list */
	struct backend *b;
	struct session *owner;
};

struct backend {
	struct backend *next;       /* in the listener's draining list */
	struct listener *l;
	char *addr;
	struct sockaddr_storage sa;
	socklen_t salen;
	unsigned weight;
	int64_t cur_weight;         /* smooth weighted round robin */
	unsigned active;            /* sessions using it now */
	unsigned idle_count;
	struct upconn *idle;
	bool draining;
	int64_t drain_deadline_us;
	int64_t down_until_us;      /* after a failed connect */
	struct backend_stats st;
};

enum mode { MODE_HTTP, MODE_TCP };
enum balance { BALANCE_ROUND_ROBIN, BALANCE_LEAST_CONN };

struct listener {
	struct watch w;
	struct listener *next;
	struct proxy *px;
	char *listen;
	enum mode mode;
	enum balance balance;
	int64_t drain_ms;
	struct backend **set; /* the current backends */
	size_t nset;
	struct backend *draining;
	unsigned sessions;
	bool removed;
	uint64_t accepted, rejected, requests, responses_by_class[6]; /* [5]: 5xx */
};

#endif
