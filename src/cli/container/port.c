/* A container's network as docker shows it: inspect's NetworkSettings,
 * ps's PORTS column, and `berth port CONTAINER [PORT[/PROTO]]`. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/container/container.h"
#include "container/record.h"
#include "container/status.h"
#include "network/network.h"

/* {"IPAddress", "Networks": {name: {"IPAddress"}}, "Ports": {"80/tcp":
 * [{"HostIp", "HostPort"}]}} from the container's network attachment
 * (empty while it has none). */
json_t *ctr_network_settings_of(json_t *attachments, const char *id)
{
	json_t *att = json_object_get(attachments, id), *ports = json_object(), *m;
	const char *ip = json_string_value(json_object_get(att, "ip"));
	const char *net = json_string_value(json_object_get(att, "network"));
	size_t i;

	json_array_foreach(json_object_get(att, "ports"), i, m) {
		char key[32], host_port[8];
		const char *host_ip = json_string_value(json_object_get(m, "hostIP"));

		snprintf(key, sizeof(key), "%lld/%s",
			 (long long)json_integer_value(json_object_get(m, "containerPort")),
			 json_string_value(json_object_get(m, "protocol")) ?: "tcp");
		snprintf(host_port, sizeof(host_port), "%lld",
			 (long long)json_integer_value(json_object_get(m, "hostPort")));
		if (!json_object_get(ports, key))
			json_object_set_new(ports, key, json_array());
		json_array_append_new(json_object_get(ports, key),
				      json_pack("{s:s, s:s}", "HostIp", host_ip ?: "0.0.0.0",
						"HostPort", host_port));
	}
	return json_pack("{s:s, s:o, s:o}", "IPAddress", ip ?: "", "Networks",
			 net ? json_pack("{s:{s:s}}", net, "IPAddress", ip ?: "") : json_object(),
			 "Ports", ports);
}

int ctr_network_settings(const struct berth_globals *g, const char *id, json_t **out,
			 berr_t *err)
{
	struct net_roots r = { .store = g->root, .run = g->run_root };
	json_t *all = NULL;

	if (net_attachments(&r, NULL, &all, err) < 0)
		return -1;
	*out = ctr_network_settings_of(all, id);
	json_decref(all);
	return *out ? 0 : err_set(err, ENOMEM, "network settings");
}

/* "0.0.0.0:8080->80/tcp, ..." for ps. */
void ctr_ports_text(json_t *settings, char *buf, size_t len)
{
	const char *key;
	json_t *binds, *b;
	size_t i, n = 0;

	buf[0] = 0;
	json_object_foreach(json_object_get(settings, "Ports"), key, binds)
		json_array_foreach(binds, i, b)
			if (n < len)
				n += (size_t)snprintf(buf + n, len - n, "%s%s:%s->%s", n ? ", " : "",
						      json_string_value(json_object_get(b, "HostIp")),
						      json_string_value(json_object_get(b, "HostPort")),
						      key);
}

int ctr_port(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	char id[CONTAINER_ID_LEN + 1], want[32] = "";
	json_t *settings = NULL, *binds, *b;
	const char *key;
	size_t i;

	if (argc < 2 || argc > 3)
		return err_set(err, EINVAL, "port: expected CONTAINER [PORT[/PROTO]]");
	if (argc == 3)
		snprintf(want, sizeof(want), "%s%s", argv[2], strchr(argv[2], '/') ? "" : "/tcp");
	if (container_lookup(g->root, argv[1], id, err) < 0 ||
	    ctr_network_settings(g, id, &settings, err) < 0)
		return -1;
	json_object_foreach(json_object_get(settings, "Ports"), key, binds) {
		if (*want && strcmp(want, key))
			continue;
		json_array_foreach(binds, i, b)
			printf("%s%s%s:%s\n", *want ? "" : key, *want ? "" : " -> ",
			       json_string_value(json_object_get(b, "HostIp")),
			       json_string_value(json_object_get(b, "HostPort")));
	}
	json_decref(settings);
	return 0;
}
