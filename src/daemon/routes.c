/* The proxy's view of a service: one listener per published port, whose
 * backends are the routed replicas.  A set is sent only when it differs
 * from the last one sent (berth-proxy switches atomically and drains what
 * left the set); a new berthd sends its first set only once every replica
 * it found was probed, so a restart never empties a listener. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "daemon/proxy_client.h"
#include "daemon/routes.h"

static void listen_addr(const struct port_map *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%u", p->host_ip[0] ? p->host_ip : "0.0.0.0", p->host_port);
}

static json_t *backends_of(struct berthd *d, const struct svc *s, const struct port_map *p)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < d->n_reps; i++) {
		const struct replica *r = &d->reps[i];
		char addr[64];

		if (strcmp(r->service, s->name) || !r->routed || !r->ip[0])
			continue;
		snprintf(addr, sizeof(addr), "%s:%u", r->ip, p->container_port);
		json_array_append_new(a, json_pack("{s:s}", "addr", addr));
	}
	return a;
}

/* The set requests of s, one per published port with a fixed host port. */
static json_t *sets_of(struct berthd *d, const struct svc *s)
{
	json_t *sets = json_array();

	for (size_t i = 0; sets && !s->deleting && i < s->def.n_ports; i++) {
		const struct port_map *p = &s->def.ports[i];
		char listen[64];

		if (!p->host_port)
			continue;
		listen_addr(p, listen, sizeof(listen));
		json_array_append_new(sets, json_pack("{s:s, s:s, s:s, s:s, s:o, s:I}", "cmd", "set",
						      "listen", listen, "mode",
						      s->def.proxy.tcp ? "tcp" : "http", "balance",
						      s->def.proxy.least_conn ? "least_conn" : "round_robin",
						      "backends", backends_of(d, s, p), "drain_timeout_ms",
						      (json_int_t)(s->def.stop_grace_ns / 1000000)));
	}
	return sets;
}

static bool listed(json_t *sets, const char *listen)
{
	size_t i;
	json_t *v;

	json_array_foreach(sets, i, v)
		if (!strcmp(json_string_value(json_object_get(v, "listen")) ?: "", listen))
			return true;
	return false;
}

static int send_all(struct berthd *d, json_t *old, json_t *sets, berr_t *err)
{
	size_t i;
	json_t *v, *reply;

	json_array_foreach(old, i, v) {
		const char *listen = json_string_value(json_object_get(v, "listen"));

		if (!listen || listed(sets, listen))
			continue;
		json_t *rm = json_pack("{s:s, s:s}", "cmd", "remove", "listen", listen);
		int r = rm ? proxy_client_call(d->proxy, rm, &reply, err) : -1;

		json_decref(rm);
		json_decref(reply);
		if (r < 0)
			return -1;
	}
	json_array_foreach(sets, i, v) {
		if (proxy_client_call(d->proxy, v, &reply, err) < 0)
			return -1;
		json_decref(reply);
	}
	return 0;
}

void routes_push(struct berthd *d, struct svc *s)
{
	json_t *sets = sets_of(d, s);
	cleanup_free char *text = sets ? json_dumps(sets, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	berr_t err = NULL;
	unsigned gen = proxy_client_generation(d->proxy);

	if (!text || (s->routes && gen == s->routes_gen && !strcmp(text, s->routes))) {
		json_decref(sets);
		return;
	}
	json_t *old = s->routes ? json_loads(s->routes, 0, NULL) : NULL;

	if (send_all(d, old, sets, &err) < 0) {
		/* Sent again on the next turn. */
		fprintf(stderr, "berthd: routes of %s: %s\n", s->name, err_msg(err));
		err_free(&err);
	} else if (gen == proxy_client_generation(d->proxy)) {
		free(s->routes);
		s->routes = take_ptr(text);
		s->routes_gen = gen;
	}
	json_decref(old);
	json_decref(sets);
}

json_t *routes_stats(struct berthd *d, berr_t *err)
{
	json_t *req = json_pack("{s:s}", "cmd", "stats"), *reply = NULL;

	if (!req) {
		err_set(err, ENOMEM, "berth-proxy stats: out of memory");
		return NULL;
	}
	proxy_client_call(d->proxy, req, &reply, err);
	json_decref(req);
	return reply;
}

/* Whether stats show requests in flight on r (any of its ports). */
bool routes_busy(json_t *stats, const struct replica *r)
{
	size_t i, j, iplen = strlen(r->ip);
	json_t *l, *b;

	if (!stats)
		return true;
	json_array_foreach(json_object_get(stats, "listeners"), i, l)
		json_array_foreach(json_object_get(l, "backends"), j, b) {
			const char *addr = json_string_value(json_object_get(b, "addr"));

			if (iplen && addr && !strncmp(addr, r->ip, iplen) && addr[iplen] == ':' &&
			    json_integer_value(json_object_get(b, "active")) > 0)
				return true;
		}
	return false;
}

/* A proxy that died takes its listeners with it: asked for its stats once
 * a second, a dead one is started again by the client (a new generation),
 * and every service sends its routes again on its next turn. */
void routes_watch(struct berthd *d)
{
	static uint64_t last_ns;
	json_t *reply;
	berr_t err = NULL;

	if (d->now_ns < last_ns + 1000000000ull)
		return;
	last_ns = d->now_ns;
	unsigned gen = proxy_client_generation(d->proxy);

	if (!(reply = routes_stats(d, &err))) {
		fprintf(stderr, "berthd: berth-proxy: %s\n", err_msg(err));
		err_free(&err);
	} else if (gen != proxy_client_generation(d->proxy)) {
		berthd_event(d, NULL, "proxy", "the connection to berth-proxy was lost; connected again (a new proxy if it had ended), sending every route again");
	}
	json_decref(reply);
}
