/* Backends: selection, pooled connections, draining, statistics. */
#include "proxy/backend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "proxy/addr.h"

/* How long a backend whose connect failed gets no new connections. */
#define DOWN_MS 1000

int backend_new(struct listener *l, const char *addr, unsigned weight,
		struct backend **out, berr_t *err)
{
	cleanup_free struct backend *b = calloc(1, sizeof(*b));

	if (!b)
		return err_sys(err, "backend %s", addr);
	if (addr_parse(addr, &b->sa, &b->salen, err) < 0)
		return -1;
	b->addr = strdup(addr);
	if (!b->addr)
		return err_sys(err, "backend %s", addr);
	b->l = l;
	b->weight = weight;
	*out = take_ptr(b);
	return 0;
}

static bool usable(const struct backend *b, int64_t now)
{
	return b->down_until_us <= now;
}

/* Smooth weighted round robin (as nginx): each pick adds every weight to
 * its backend's credit and takes the total from the richest, so weights
 * 5,1,1 give a a b a c a a rather than a a a a a b c. */
static struct backend *pick_round_robin(struct listener *l, const struct backend *skip,
					bool healthy_only, int64_t now)
{
	struct backend *best = NULL;
	int64_t total = 0;

	for (size_t i = 0; i < l->nset; i++) {
		struct backend *b = l->set[i];

		if ((healthy_only && !usable(b, now)) || (b == skip && l->nset > 1))
			continue;
		b->cur_weight += b->weight;
		total += b->weight;
		if (!best || b->cur_weight > best->cur_weight)
			best = b;
	}
	if (best)
		best->cur_weight -= total;
	return best;
}

/* Fewest sessions per unit of weight. */
static struct backend *pick_least_conn(struct listener *l, const struct backend *skip,
				       bool healthy_only, int64_t now)
{
	struct backend *best = NULL;

	for (size_t i = 0; i < l->nset; i++) {
		struct backend *b = l->set[i];

		if ((healthy_only && !usable(b, now)) || (b == skip && l->nset > 1))
			continue;
		if (!best || (uint64_t)b->active * best->weight < (uint64_t)best->active * b->weight)
			best = b;
	}
	return best;
}

struct backend *backend_pick(struct listener *l, const struct backend *skip)
{
	int64_t now = now_us();
	struct backend *b;

	for (int healthy_only = 1; healthy_only >= 0; healthy_only--) {
		b = l->balance == BALANCE_LEAST_CONN ? pick_least_conn(l, skip, healthy_only, now)
						     : pick_round_robin(l, skip, healthy_only, now);
		if (b)
			return b;
	}
	return NULL;
}

void upconn_close(struct proxy *px, struct upconn *u)
{
	watch_close(px, &u->w);
	watch_free(&u->w, u);
}

/* Unlink an idle u from its backend's pool and close it. */
static void drop_idle(struct backend *b, struct upconn *u)
{
	struct upconn **p = &b->idle;

	while (*p != u)
		p = &(*p)->next;
	*p = u->next;
	b->idle_count--;
	upconn_close(b->l->px, u);
}

static void idle_event(struct watch *w, uint32_t events)
{
	struct upconn *u = (struct upconn *)w;

	drop_idle(u->b, u);
}

/* A new connection to b, its non-blocking connect under way. */
static int upconn_new(struct backend *b, struct upconn **out, berr_t *err)
{
	cleanup_free struct upconn *u = calloc(1, sizeof(*u));
	int one = 1;

	if (!u)
		return err_sys(err, "connection to backend %s", b->addr);
	cleanup_close int s = socket(b->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (s < 0)
		return err_sys(err, "socket for backend %s", b->addr);
	/* small requests and responses go out at once */
	if (setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		return err_sys(err, "TCP_NODELAY for backend %s", b->addr);
	if (connect(s, (struct sockaddr *)&b->sa, b->salen) < 0 && errno != EINPROGRESS)
		return err_sys(err, "connect to backend %s", b->addr);
	u->w.fd = take_fd(s);
	u->b = b;
	*out = take_ptr(u);
	return 0;
}

int backend_connect(struct backend *b, struct upconn **out, bool *reused, berr_t *err)
{
	struct upconn *u = b->idle;

	*reused = u != NULL;
	if (!u)
		return upconn_new(b, out, err);
	/* stays registered as it is: the session takes over its events */
	b->idle = u->next;
	b->idle_count--;
	u->next = NULL;
	*out = u;
	return 0;
}

void backend_release(struct upconn *u)
{
	struct backend *b = u->b;
	struct proxy *px = b->l->px;
	berr_t err = NULL;

	u->owner = NULL;
	u->w.on_event = idle_event;
	/* EPOLLIN, as a session waiting for a response has it: usually no
	 * change of registration */
	if (b->draining || b->idle_count >= px->opts.pool_per_backend ||
	    watch_set(px, &u->w, EPOLLIN, &err) < 0) {
		err_free(&err);
		upconn_close(px, u);
		return;
	}
	u->next = b->idle;
	b->idle = u;
	b->idle_count++;
}

void backend_failed(struct backend *b)
{
	b->st.failures++;
	b->down_until_us = now_us() + DOWN_MS * 1000;
}

const double latency_bounds_s[LATENCY_BUCKETS] = {
	0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

void backend_record(struct backend *b, int64_t started_us)
{
	int64_t us = now_us() - started_us;
	size_t i = 0;

	while (i < LATENCY_BUCKETS && (double)us / 1e6 > latency_bounds_s[i])
		i++;
	b->st.requests++;
	b->st.latency_count++;
	b->st.latency_sum_us += (uint64_t)us;
	b->st.latency_buckets[i]++;
}

static void close_idle(struct backend *b)
{
	while (b->idle)
		drop_idle(b, b->idle);
}

void backend_drain(struct backend *b, int64_t drain_ms)
{
	close_idle(b);
	if (b->active == 0) {
		backend_free(b);
		return;
	}
	b->draining = true;
	b->drain_deadline_us = now_us() + drain_ms * 1000;
	b->next = b->l->draining;
	b->l->draining = b;
}

void backend_put(struct backend *b)
{
	struct backend **p;

	if (--b->active > 0 || !b->draining)
		return;
	for (p = &b->l->draining; *p != b; p = &(*p)->next)
		;
	*p = b->next;
	backend_free(b);
}

void backend_free(struct backend *b)
{
	close_idle(b);
	free(b->addr);
	free(b);
}
