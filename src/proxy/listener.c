/* Listeners: accept, the per-client cap, and atomic backend set swaps. */
#include "proxy/listener.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "proxy/addr.h"
#include "proxy/backend.h"
#include "proxy/ipcount.h"
#include "proxy/session.h"

/* Connections accepted per event: others wait for the next round, so a
 * flood on one port cannot starve the rest of the loop. */
#define ACCEPT_BATCH 64

void listener_conf_free(struct listener_conf *c)
{
	free(c->listen);
	for (size_t i = 0; i < c->nbackends; i++)
		free(c->backends[i].addr);
	free(c->backends);
	memset(c, 0, sizeof(*c));
}

static const char too_many[] =
	"HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\nContent-Length: 18\r\n"
	"Connection: close\r\n\r\nToo Many Requests\n";

/* Over the per-IP cap: HTTP clients are told why (best effort: the
 * socket's buffer is empty, the answer fits), TCP ones just closed. */
static void reject(struct listener *l, int fd)
{
	l->rejected++;
	if (l->mode == MODE_HTTP) {
		l->responses_by_class[4]++;
		(void)!send(fd, too_many, sizeof(too_many) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		shutdown(fd, SHUT_WR);
	}
	close(fd);
}

static void on_accept(struct watch *w, uint32_t events)
{
	struct listener *l = (struct listener *)w;
	struct proxy *px = l->px;
	int one = 1;

	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		int fd = accept4(w->fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return; /* EAGAIN, or out of fds: the next event retries */
		if (!ipcount_take(px->ips, &peer, px->opts.max_conns_per_ip)) {
			reject(l, fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		session_start(l, fd, &peer);
	}
}

static int open_socket(const char *listen_addr, int *out, berr_t *err)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int one = 1;

	if (addr_parse(listen_addr, &sa, &len, err) < 0)
		return -1;
	cleanup_close int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return err_sys(err, "listen %s: socket", listen_addr);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return err_sys(err, "listen %s: SO_REUSEADDR", listen_addr);
	if (bind(fd, (struct sockaddr *)&sa, len) < 0)
		return err_sys(err, "listen %s: bind", listen_addr);
	if (listen(fd, SOMAXCONN) < 0)
		return err_sys(err, "listen %s", listen_addr);
	*out = take_fd(fd);
	return 0;
}

static struct listener *find(struct listener *list, const char *listen_addr)
{
	while (list && strcmp(list->listen, listen_addr))
		list = list->next;
	return list;
}

static int listener_new(struct proxy *px, const char *listen_addr, struct listener **out,
			berr_t *err)
{
	cleanup_free struct listener *l = calloc(1, sizeof(*l));
	cleanup_close int fd = -1;

	if (!l || !(l->listen = strdup(listen_addr))) {
		if (l)
			free(l->listen);
		return err_sys(err, "listen %s", listen_addr);
	}
	if (open_socket(listen_addr, &fd, err) < 0) {
		free(l->listen);
		return -1;
	}
	l->w.fd = fd;
	l->w.on_event = on_accept;
	l->px = px;
	if (watch_set(px, &l->w, EPOLLIN, err) < 0) {
		free(l->listen);
		return -1;
	}
	take_fd(fd);
	*out = take_ptr(l);
	return 0;
}

/* The backend of l for addr: in the current set, or draining (taken
 * back), or NULL. */
static struct backend *existing(struct listener *l, const char *addr, bool take_back)
{
	struct backend **p;

	for (size_t i = 0; i < l->nset; i++)
		if (!strcmp(l->set[i]->addr, addr))
			return l->set[i];
	for (p = &l->draining; *p; p = &(*p)->next) {
		struct backend *b = *p;

		if (strcmp(b->addr, addr))
			continue;
		if (take_back) {
			*p = b->next;
			b->next = NULL;
			b->draining = false;
		}
		return b;
	}
	return NULL;
}

/* The new set for c: allocations first (undone on failure), then the
 * infallible part: reuse, take back from draining, drain the rest. */
static int swap_set(struct listener *l, const struct listener_conf *c, berr_t *err)
{
	size_t n = c->nbackends;
	cleanup_free struct backend **set = calloc(n ? n : 1, sizeof(*set));

	if (!set)
		return err_sys(err, "listen %s: backends", c->listen);
	for (size_t i = 0; i < n; i++) {
		if (existing(l, c->backends[i].addr, false))
			continue;
		if (backend_new(l, c->backends[i].addr, c->backends[i].weight, &set[i], err) < 0) {
			for (size_t j = 0; j < i; j++)
				if (set[j])
					backend_free(set[j]);
			return err_prefix(err, "listen %s", c->listen);
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!set[i])
			set[i] = existing(l, c->backends[i].addr, true);
		set[i]->weight = c->backends[i].weight;
		set[i]->cur_weight = 0;
		set[i]->down_until_us = 0;
	}
	for (size_t i = 0; i < l->nset; i++) {
		bool kept = false;

		for (size_t j = 0; j < n && !kept; j++)
			kept = set[j] == l->set[i];
		if (!kept)
			backend_drain(l->set[i], c->drain_ms);
	}
	free(l->set);
	l->set = take_ptr(set);
	l->nset = n;
	return 0;
}

static void listener_free(struct listener *l)
{
	watch_close(l->px, &l->w);
	for (size_t i = 0; i < l->nset; i++)
		backend_free(l->set[i]);
	while (l->draining) {
		struct backend *b = l->draining;

		l->draining = b->next;
		backend_free(b);
	}
	free(l->set);
	free(l->listen);
	watch_free(&l->w, l);
}

int listener_set(struct proxy *px, const struct listener_conf *c, berr_t *err)
{
	struct listener *l = find(px->listeners, c->listen);
	bool created = false;

	if (!l) {
		if (listener_new(px, c->listen, &l, err) < 0)
			return -1;
		created = true;
	}
	if (swap_set(l, c, err) < 0) {
		if (created)
			listener_free(l);
		return -1;
	}
	l->mode = c->mode;
	l->balance = c->balance;
	l->drain_ms = c->drain_ms;
	if (created) {
		l->next = px->listeners;
		px->listeners = l;
	}
	return 0;
}

static void unlink_from(struct listener **list, struct listener *l)
{
	while (*list && *list != l)
		list = &(*list)->next;
	if (*list)
		*list = l->next;
}

int listener_remove(struct proxy *px, const char *listen_addr, berr_t *err)
{
	struct listener *l = find(px->listeners, listen_addr);

	if (!l)
		return err_set(err, ENOENT, "listen %s: no such listener", listen_addr);
	unlink_from(&px->listeners, l);
	watch_close(px, &l->w);
	for (size_t i = 0; i < l->nset; i++)
		backend_drain(l->set[i], l->drain_ms);
	l->nset = 0;
	l->removed = true;
	l->next = px->closed;
	px->closed = l;
	l->sessions++; /* held while its idle sessions close */
	sessions_close_idle(px, l);
	listener_put(l);
	return 0;
}

void listener_put(struct listener *l)
{
	if (--l->sessions > 0 || !l->removed)
		return;
	unlink_from(&l->px->closed, l);
	listener_free(l);
}

void listeners_free(struct proxy *px)
{
	while (px->listeners) {
		struct listener *l = px->listeners;

		px->listeners = l->next;
		listener_free(l);
	}
	while (px->closed) {
		struct listener *l = px->closed;

		px->closed = l->next;
		listener_free(l);
	}
}
