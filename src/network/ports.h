/* Published ports as `docker run -p` takes them. */
#ifndef BERTH_NETWORK_PORTS_H
#define BERTH_NETWORK_PORTS_H

#include <jansson.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct port_map {
	char host_ip[INET_ADDRSTRLEN]; /* "" : every address */
	uint16_t host_port;            /* 0 : a free port chosen at attach time */
	uint16_t container_port;
	char proto[4];                 /* "tcp" or "udp" */
};

/* "HOSTPORT:CONTAINERPORT", "IP:HOSTPORT:CONTAINERPORT", "IP::CONTAINERPORT"
 * or "CONTAINERPORT", each with an optional "/tcp" or "/udp". */
int port_parse(const char *spec, struct port_map *out, berr_t *err);

/* As the portmap plugin takes them: [{"hostPort", "containerPort",
 * "protocol", "hostIP"?}] (also how a container's record keeps them). */
json_t *port_maps_json(const struct port_map *ports, size_t n);

/* The same back (from a record berth wrote; checked all the same); where
 * names the document in errors. */
int port_maps_from_json(json_t *a, const char *where, struct port_map **out, size_t *n,
			berr_t *err);

#endif
