/* The canonical JSON form of a service: what berthd stores per revision
 * and compares.  Every field is written, defaults included, so a default
 * spelt out and one left out give the same bytes; maps are sorted and
 * the dump sorts keys. */
#include <stdlib.h>

#include "service/definition.h"

static json_t *strv_json(char *const *v, bool present)
{
	json_t *a;

	if (!present)
		return json_null();
	a = json_array();
	for (size_t i = 0; a && v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *kvs_json(const struct svc_kvs *kv)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < kv->n; i++)
		json_object_set_new(o, kv->v[i].key, json_string(kv->v[i].value));
	return o;
}

static json_t *build_json(const struct svc_build *b)
{
	if (!b)
		return json_null();
	return json_pack("{s:s, s:s?, s:o}", "context", b->context, "dockerfile", b->dockerfile,
			 "args", kvs_json(&b->args));
}

static json_t *ports_json(const struct service *s)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < s->n_ports; i++)
		json_array_append_new(a, json_pack("{s:i, s:i, s:s, s:s}", "published",
						   s->ports[i].host_port, "target", s->ports[i].container_port,
						   "protocol", s->ports[i].proto, "host_ip", s->ports[i].host_ip));
	return a;
}

static json_t *volumes_json(const struct service *s)
{
	static const char *const types[] = { "volume", "anonymous", "bind" };
	json_t *a = json_array();

	for (size_t i = 0; a && i < s->n_volumes; i++) {
		const struct svc_volume *v = &s->volumes[i];

		json_array_append_new(a, json_pack("{s:s, s:s?, s:s, s:b}", "type", types[v->type],
						   "source", v->source, "target", v->target, "read_only",
						   v->read_only));
	}
	return a;
}

static json_t *health_json(const struct svc_healthcheck *h)
{
	static const char *const kinds[] = { "image", "none", "exec", "shell", "http", "tcp" };

	return json_pack("{s:s, s:o, s:s?, s:i, s:i, s:I, s:I, s:I, s:i}", "kind", kinds[h->kind],
			 "command", strv_json(h->argv, h->argv != NULL), "path", h->http_path, "port",
			 h->port, "status", h->http_status, "interval_ns", (json_int_t)h->interval_ns,
			 "timeout_ns", (json_int_t)h->timeout_ns, "start_period_ns",
			 (json_int_t)h->start_period_ns, "retries", h->retries);
}

static json_t *deploy_json(const struct service *s)
{
	const struct svc_update *u = &s->update;

	return json_pack("{s:i, s:{s:I, s:I, s:I}, s:{s:i, s:I, s:s, s:s, s:I}}", "replicas",
			 s->replicas, "limits", "memory", (json_int_t)s->limits.memory, "nano_cpus",
			 (json_int_t)s->limits.nano_cpus, "pids", (json_int_t)s->limits.pids, "update",
			 "parallelism", u->parallelism, "delay_ns", (json_int_t)u->delay_ns, "order",
			 u->order == SVC_ORDER_START_FIRST ? "start-first" : "stop-first",
			 "failure_action", u->failure_action == SVC_FAIL_ROLLBACK ? "rollback" : "pause",
			 "monitor_ns", (json_int_t)u->monitor_ns);
}

static json_t *restart_json(const struct restart_policy *r)
{
	return json_pack("{s:s, s:i, s:I, s:I, s:f, s:I}", "mode", restart_mode_name(r->mode),
			 "max_retries", (int)r->max_retries, "delay_ns", (json_int_t)r->delay_ns,
			 "max_delay_ns", (json_int_t)r->max_delay_ns, "multiplier", r->multiplier,
			 "reset_after_ns", (json_int_t)r->reset_ns);
}

static json_t *deps_json(const struct service *s)
{
	static const char *const conds[] = { "service_started", "service_healthy",
					     "service_completed_successfully" };
	json_t *o = json_object();

	for (size_t i = 0; o && i < s->n_deps; i++)
		json_object_set_new(o, s->deps[i].service, json_string(conds[s->deps[i].condition]));
	return o;
}

json_t *service_to_json(const struct service *s)
{
	return json_pack("{s:s, s:s?, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:i, s:o}",
			 "name", s->name, "image", s->image, "build", build_json(s->build), "command",
			 strv_json(s->command, s->has_command), "entrypoint",
			 strv_json(s->entrypoint, s->has_entrypoint), "environment",
			 kvs_json(&s->environment), "labels", kvs_json(&s->labels), "ports",
			 ports_json(s), "volumes", volumes_json(s), "healthcheck",
			 health_json(&s->health), "deploy", deploy_json(s), "restart",
			 restart_json(&s->restart), "stop_grace_period_ns", (json_int_t)s->stop_grace_ns,
			 "stop_signal", s->stop_signal, "depends_on", deps_json(s));
}

char *service_json_dump(const struct service *s)
{
	json_t *j = service_to_json(s);
	char *out = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(j);
	return out;
}
