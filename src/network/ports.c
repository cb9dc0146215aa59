/* `-p` specs, parsed without touching anything: errors quote the spec and
 * say which part is wrong. */
#include "network/ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A port number 1-65535 (0 allowed for a host port meaning "any"). */
static int parse_port(const char *s, size_t len, bool zero_ok, const char *spec,
		      const char *what, uint16_t *out, berr_t *err)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return err_set(err, EINVAL, "-p '%s': %s '%.*s' is not a port number", spec, what,
			       (int)len, s);
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return err_set(err, EINVAL, "-p '%s': %s '%.*s' is not a port number", spec,
				       what, (int)len, s);
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535 || (v == 0 && !zero_ok))
		return err_set(err, EINVAL, "-p '%s': %s %lu is out of range (1-65535)", spec,
			       what, v);
	*out = (uint16_t)v;
	return 0;
}

static int parse_proto(const char *slash, const char *spec, struct port_map *out,
		       berr_t *err)
{
	if (!slash) {
		strcpy(out->proto, "tcp");
		return 0;
	}
	if (strcmp(slash + 1, "tcp") && strcmp(slash + 1, "udp"))
		return err_set(err, EINVAL, "-p '%s': protocol '%s' is not tcp or udp", spec,
			       slash + 1);
	strcpy(out->proto, slash + 1);
	return 0;
}

static int parse_ip(const char *s, size_t len, const char *spec, struct port_map *out,
		    berr_t *err)
{
	struct in_addr a;

	if (len >= sizeof(out->host_ip))
		return err_set(err, EINVAL, "-p '%s': host address '%.*s' is not an IPv4 address",
			       spec, (int)len, s);
	memcpy(out->host_ip, s, len);
	out->host_ip[len] = '\0';
	if (inet_pton(AF_INET, out->host_ip, &a) != 1)
		return err_set(err, EINVAL, "-p '%s': host address '%s' is not an IPv4 address",
			       spec, out->host_ip);
	return 0;
}

int port_parse(const char *spec, struct port_map *out, berr_t *err)
{
	const char *slash = strchr(spec, '/'), *end = slash ? slash : spec + strlen(spec);
	const char *c1 = memchr(spec, ':', (size_t)(end - spec)), *c2 = NULL, *cport;

	memset(out, 0, sizeof(*out));
	if (c1)
		c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
	if (c2 && memchr(c2 + 1, ':', (size_t)(end - c2 - 1)))
		return err_set(err, EINVAL, "-p '%s': expected [[IP:]HOSTPORT:]CONTAINERPORT[/PROTO] (IPv6 host addresses are not supported)",
			       spec);
	if (c2 && parse_ip(spec, (size_t)(c1 - spec), spec, out, err) < 0)
		return -1;
	if (c1) {
		const char *hp = c2 ? c1 + 1 : spec, *he = c2 ? c2 : c1;

		/* "IP::80" leaves the host port to be chosen, as docker does. */
		if ((he > hp || !c2) &&
		    parse_port(hp, (size_t)(he - hp), false, spec, "host port", &out->host_port,
			       err) < 0)
			return -1;
	}
	cport = c2 ? c2 + 1 : c1 ? c1 + 1 : spec;
	if (parse_port(cport, (size_t)(end - cport), false, spec, "container port",
		       &out->container_port, err) < 0)
		return -1;
	return parse_proto(slash, spec, out, err);
}

json_t *port_maps_json(const struct port_map *ports, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *m = json_pack("{s:i,s:i,s:s}", "hostPort", ports[i].host_port,
				      "containerPort", ports[i].container_port, "protocol",
				      ports[i].proto);

		if (ports[i].host_ip[0])
			json_object_set_new(m, "hostIP", json_string(ports[i].host_ip));
		json_array_append_new(a, m);
	}
	return a;
}

static int port_map_from_json(json_t *m, const char *where, struct port_map *p, berr_t *err)
{
	json_int_t host = json_integer_value(json_object_get(m, "hostPort"));
	json_int_t ctr = json_integer_value(json_object_get(m, "containerPort"));
	const char *proto = json_string_value(json_object_get(m, "protocol"));
	const char *ip = json_string_value(json_object_get(m, "hostIP"));
	struct in_addr addr;

	memset(p, 0, sizeof(*p));
	if (host < 0 || host > 65535 || ctr < 1 || ctr > 65535 || !proto ||
	    (strcmp(proto, "tcp") && strcmp(proto, "udp")) ||
	    (ip && (strlen(ip) >= sizeof(p->host_ip) || inet_pton(AF_INET, ip, &addr) != 1)))
		return err_set(err, EINVAL, "%s: a published port is not hostPort, containerPort, protocol tcp|udp and hostIP",
			       where);
	p->host_port = (uint16_t)host;
	p->container_port = (uint16_t)ctr;
	snprintf(p->proto, sizeof(p->proto), "%s", proto);
	snprintf(p->host_ip, sizeof(p->host_ip), "%s", ip ? ip : "");
	return 0;
}

int port_maps_from_json(json_t *a, const char *where, struct port_map **out, size_t *n,
			berr_t *err)
{
	size_t i;
	json_t *m;

	*out = NULL;
	*n = 0;
	if (!a)
		return 0;
	if (!json_is_array(a))
		return err_set(err, EINVAL, "%s: published ports are not a list", where);
	*out = calloc(json_array_size(a) + 1, sizeof(**out));
	if (!*out)
		return err_sys(err, "%s", where);
	json_array_foreach(a, i, m) {
		if (port_map_from_json(m, where, &(*out)[i], err) < 0) {
			free(*out);
			*out = NULL;
			return -1;
		}
	}
	*n = json_array_size(a);
	return 0;
}
