/* Listeners: the listening socket of a published port and its backend
 * set, replaced atomically by the control socket. */
#ifndef BERTH_PROXY_LISTENER_H
#define BERTH_PROXY_LISTENER_H

#include "proxy/proxy.h"

struct backend_conf {
	char *addr;
	unsigned weight;
};

/* A listener's configuration as the control socket gives it. */
struct listener_conf {
	char *listen;
	enum mode mode;
	enum balance balance;
	int64_t drain_ms;
	struct backend_conf *backends;
	size_t nbackends;
};

void listener_conf_free(struct listener_conf *c);

/* Create the listener c->listen, or replace the configuration of the
 * existing one: all or nothing (a bad address or a port that cannot be
 * bound changes nothing).  Backends no longer listed drain. */
int listener_set(struct proxy *px, const struct listener_conf *c, berr_t *err);

/* Stop listening on listen: its backends drain, its idle clients close. */
int listener_remove(struct proxy *px, const char *listen, berr_t *err);

/* A session of l ended: frees a removed listener when it was the last. */
void listener_put(struct listener *l);

void listeners_free(struct proxy *px);

#endif
