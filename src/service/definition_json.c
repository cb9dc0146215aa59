/* The canonical JSON form of a service: what berthd stores per revision
 * and compares.  Every field is written, defaults included, so a default
 * spelt out and one left out give the same bytes; maps are sorted and
 * the dump sorts keys. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "service/definition_internal.h"

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
	return json_pack("{s:s, s:s?, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:i, s:o, s:{s:s, s:s}}",
			 "name", s->name, "image", s->image, "build", build_json(s->build), "command",
			 strv_json(s->command, s->has_command), "entrypoint",
			 strv_json(s->entrypoint, s->has_entrypoint), "environment",
			 kvs_json(&s->environment), "labels", kvs_json(&s->labels), "ports",
			 ports_json(s), "volumes", volumes_json(s), "healthcheck",
			 health_json(&s->health), "deploy", deploy_json(s), "restart",
			 restart_json(&s->restart), "stop_grace_period_ns", (json_int_t)s->stop_grace_ns,
			 "stop_signal", s->stop_signal, "depends_on", deps_json(s), "proxy", "mode",
			 s->proxy.tcp ? "tcp" : "http", "balance",
			 s->proxy.least_conn ? "least_conn" : "round_robin");
}

char *service_json_dump(const struct service *s)
{
	json_t *j = service_to_json(s);
	char *out = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(j);
	return out;
}

/* ---- and back ---- */

static const char *const volume_types[] = { "volume", "anonymous", "bind" };
static const char *const check_kinds[] = { "image", "none", "exec", "shell", "http", "tcp" };
static const char *const orders[] = { "start-first", "stop-first" };
static const char *const failure_actions[] = { "rollback", "pause" };
static const char *const conditions[] = { "service_started", "service_healthy",
					  "service_completed_successfully" };

static int enum_index(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -1;
}

static int jget_enum(json_t *obj, const char *key, const char *where, const char *const *names,
		     size_t n, int *out, berr_t *err)
{
	cleanup_free char *s = NULL;
	struct jpath p;

	if (jget_string(obj, key, where, true, &s, err) < 0)
		return -1;
	if ((*out = enum_index(s, names, n)) < 0)
		return err_set(err, EINVAL, "%s: '%s' is not known", jpath_key(&p, where, key), s);
	return 0;
}

static int jget_i(json_t *obj, const char *key, const char *where, int64_t max, int *out,
		  berr_t *err)
{
	int64_t v;

	if (jget_int(obj, key, where, 0, max, true, &v, err) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

static int kvs_from(json_t *obj, const char *key, const char *where, struct svc_kvs *out,
		    berr_t *err)
{
	json_t *o = NULL, *v;
	const char *k;
	struct jpath p;

	if (jget_object(obj, key, where, true, &o, err) < 0)
		return -1;
	json_object_foreach(o, k, v) {
		if (!json_is_string(v))
			return err_set(err, EINVAL, "%s: expected a string", jpath_key(&p, where, k));
		if (kvs_set(out, k, json_string_value(v)) < 0)
			return err_sys(err, "%s", where);
	}
	kvs_sort(out);
	return 0;
}

/* A list that may be null (absent: the image's). */
static int strv_from(json_t *obj, const char *key, const char *where, char ***out, bool *present,
		     berr_t *err)
{
	json_t *v = json_object_get(obj, key);

	*present = v && !json_is_null(v);
	return *present ? jget_strv(obj, key, where, true, out, err) : 0;
}

static int build_from(json_t *j, const char *where, struct service *s, berr_t *err)
{
	json_t *b = NULL;
	struct jpath p;

	if (jget_object(j, "build", where, false, &b, err) <= 0)
		return b ? -1 : 0;
	jpath_key(&p, where, "build");
	if (!(s->build = calloc(1, sizeof(*s->build))))
		return err_sys(err, "%s", where);
	if (jget_string(b, "context", p.buf, true, &s->build->context, err) < 0 ||
	    jget_string(b, "dockerfile", p.buf, false, &s->build->dockerfile, err) < 0)
		return -1;
	return kvs_from(b, "args", p.buf, &s->build->args, err);
}

static int port_from(json_t *v, const char *where, struct port_map *pm, berr_t *err)
{
	static const char *const protocols[] = { "tcp" };
	cleanup_free char *ip = NULL;
	int published, target, proto;

	if (jcheck_object(v, where, err) < 0 || jget_i(v, "published", where, 65535, &published, err) < 0 ||
	    jget_enum(v, "protocol", where, protocols, 1, &proto, err) < 0 ||
	    jget_i(v, "target", where, 65535, &target, err) < 0 ||
	    jget_string(v, "host_ip", where, true, &ip, err) < 0)
		return -1;
	if (strlen(ip) >= sizeof(pm->host_ip))
		return err_set(err, EINVAL, "%s: host_ip is too long", where);
	strcpy(pm->host_ip, ip);
	pm->host_port = (uint16_t)published;
	pm->container_port = (uint16_t)target;
	strcpy(pm->proto, "tcp");
	return 0;
}

static int volume_from(json_t *v, const char *where, struct svc_volume *vol, berr_t *err)
{
	int type;

	if (jcheck_object(v, where, err) < 0 ||
	    jget_enum(v, "type", where, volume_types, 3, &type, err) < 0 ||
	    jget_string(v, "source", where, type != SVC_VOLUME_ANONYMOUS, &vol->source, err) < 0 ||
	    jget_string(v, "target", where, true, &vol->target, err) < 0 ||
	    jget_bool(v, "read_only", where, &vol->read_only, err) < 0)
		return -1;
	vol->type = (enum svc_volume_type)type;
	return 0;
}

static int lists_from(json_t *j, const char *where, struct service *s, berr_t *err)
{
	json_t *ports = NULL, *vols = NULL;
	struct jpath p;

	if (jget_array(j, "ports", where, true, &ports, err) < 0 ||
	    jget_array(j, "volumes", where, true, &vols, err) < 0)
		return -1;
	if (json_array_size(ports) > SVC_MAX_PORTS)
		return err_set(err, EINVAL, "%s.ports: too many", where);
	s->ports = calloc(json_array_size(ports) + 1, sizeof(*s->ports));
	s->volumes = calloc(json_array_size(vols) + 1, sizeof(*s->volumes));
	if (!s->ports || !s->volumes)
		return err_sys(err, "%s", where);
	for (; s->n_ports < json_array_size(ports); s->n_ports++)
		if (port_from(json_array_get(ports, s->n_ports), jpath_index(&p, "ports", s->n_ports),
			      &s->ports[s->n_ports], err) < 0)
			return err_prefix(err, "%s", where);
	for (; s->n_volumes < json_array_size(vols); s->n_volumes++)
		if (volume_from(json_array_get(vols, s->n_volumes), jpath_index(&p, "volumes", s->n_volumes),
				&s->volumes[s->n_volumes], err) < 0) {
			s->n_volumes++; /* what it holds so far is freed with it */
			return err_prefix(err, "%s", where);
		}
	return 0;
}

static int health_from(json_t *j, const char *where, struct svc_healthcheck *h, berr_t *err)
{
	json_t *o = NULL;
	struct jpath p;
	int kind, port;
	bool present;

	if (jget_object(j, "healthcheck", where, true, &o, err) < 0)
		return -1;
	jpath_key(&p, where, "healthcheck");
	if (jget_enum(o, "kind", p.buf, check_kinds, 6, &kind, err) < 0 ||
	    strv_from(o, "command", p.buf, &h->argv, &present, err) < 0 ||
	    jget_string(o, "path", p.buf, false, &h->http_path, err) < 0 ||
	    jget_i(o, "port", p.buf, 65535, &port, err) < 0 ||
	    jget_i(o, "status", p.buf, 599, &h->http_status, err) < 0 ||
	    jget_int(o, "interval_ns", p.buf, 0, INT64_MAX, true, &h->interval_ns, err) < 0 ||
	    jget_int(o, "timeout_ns", p.buf, 0, INT64_MAX, true, &h->timeout_ns, err) < 0 ||
	    jget_int(o, "start_period_ns", p.buf, 0, INT64_MAX, true, &h->start_period_ns, err) < 0 ||
	    jget_i(o, "retries", p.buf, 1000, &h->retries, err) < 0)
		return -1;
	h->kind = (enum svc_check_kind)kind;
	h->port = (uint16_t)port;
	return 0;
}

static int deploy_from(json_t *j, const char *where, struct service *s, berr_t *err)
{
	json_t *d = NULL, *lim = NULL, *up = NULL;
	struct jpath p, pl, pu;
	int order, action;

	if (jget_object(j, "deploy", where, true, &d, err) < 0)
		return -1;
	jpath_key(&p, where, "deploy");
	jpath_key(&pl, p.buf, "limits");
	jpath_key(&pu, p.buf, "update");
	if (jget_i(d, "replicas", p.buf, SVC_MAX_REPLICAS, &s->replicas, err) < 0 ||
	    jget_object(d, "limits", p.buf, true, &lim, err) < 0 ||
	    jget_object(d, "update", p.buf, true, &up, err) < 0 ||
	    jget_int(lim, "memory", pl.buf, 0, INT64_MAX, true, &s->limits.memory, err) < 0 ||
	    jget_int(lim, "nano_cpus", pl.buf, 0, INT64_MAX, true, &s->limits.nano_cpus, err) < 0 ||
	    jget_int(lim, "pids", pl.buf, 0, INT64_MAX, true, &s->limits.pids, err) < 0 ||
	    jget_i(up, "parallelism", pu.buf, 1000, &s->update.parallelism, err) < 0 ||
	    jget_int(up, "delay_ns", pu.buf, 0, INT64_MAX, true, &s->update.delay_ns, err) < 0 ||
	    jget_int(up, "monitor_ns", pu.buf, 0, INT64_MAX, true, &s->update.monitor_ns, err) < 0 ||
	    jget_enum(up, "order", pu.buf, orders, 2, &order, err) < 0 ||
	    jget_enum(up, "failure_action", pu.buf, failure_actions, 2, &action, err) < 0)
		return -1;
	s->update.order = (enum svc_update_order)order;
	s->update.failure_action = (enum svc_failure_action)action;
	return 0;
}

static int restart_from(json_t *j, const char *where, struct restart_policy *r, berr_t *err)
{
	cleanup_free char *mode = NULL;
	json_t *o = NULL, *m;
	struct jpath p;
	int64_t retries, d, md, reset;

	if (jget_object(j, "restart", where, true, &o, err) < 0)
		return -1;
	jpath_key(&p, where, "restart");
	if (jget_string(o, "mode", p.buf, true, &mode, err) < 0 ||
	    jget_int(o, "max_retries", p.buf, 0, 1000000, true, &retries, err) < 0 ||
	    jget_int(o, "delay_ns", p.buf, 1, (int64_t)BACKOFF_MAX_NS, true, &d, err) < 0 ||
	    jget_int(o, "max_delay_ns", p.buf, 1, (int64_t)BACKOFF_MAX_NS, true, &md, err) < 0 ||
	    jget_int(o, "reset_after_ns", p.buf, 1, (int64_t)BACKOFF_MAX_NS, true, &reset, err) < 0)
		return -1;
	m = json_object_get(o, "multiplier");
	if (restart_policy_parse_mode(mode, r) < 0 || !json_is_real(m))
		return err_set(err, EINVAL, "%s: bad mode or multiplier", p.buf);
	*r = (struct restart_policy){ r->mode, (unsigned)retries, (uint64_t)d, (uint64_t)md,
				      json_real_value(m), (uint64_t)reset };
	return 0;
}

static int deps_from(json_t *j, const char *where, struct service *s, berr_t *err)
{
	json_t *o = NULL, *v;
	const char *k;
	struct jpath p;

	if (jget_object(j, "depends_on", where, true, &o, err) < 0)
		return -1;
	jpath_key(&p, where, "depends_on");
	if (!(s->deps = calloc(json_object_size(o) + 1, sizeof(*s->deps))))
		return err_sys(err, "%s", where);
	json_object_foreach(o, k, v) {
		int cond = json_is_string(v) ? enum_index(json_string_value(v), conditions, 3) : -1;

		if (cond < 0)
			return err_set(err, EINVAL, "%s.%s: not a condition", p.buf, k);
		if (!(s->deps[s->n_deps].service = strdup(k)))
			return err_sys(err, "%s", where);
		s->deps[s->n_deps++].condition = (enum svc_dep_condition)cond;
	}
	return 0;
}

/* Absent in revisions stored before berth had it: the defaults. */
static int proxy_from(json_t *j, const char *where, struct svc_proxy *px, berr_t *err)
{
	static const char *const modes[] = { "http", "tcp" };
	static const char *const balances[] = { "round_robin", "least_conn" };
	json_t *o = NULL;
	struct jpath p;

	if (jget_object(j, "proxy", where, false, &o, err) < 0)
		return -1;
	if (!o)
		return 0;
	jpath_key(&p, where, "proxy");
	int mode = enum_index(json_string_value(json_object_get(o, "mode")), modes, 2);
	int balance = enum_index(json_string_value(json_object_get(o, "balance")), balances, 2);

	if (mode < 0 || balance < 0)
		return err_set(err, EINVAL, "%s: expected mode http|tcp and balance round_robin|least_conn",
			       p.buf);
	px->tcp = mode == 1;
	px->least_conn = balance == 1;
	return 0;
}

static int fields_from(json_t *j, const char *where, struct service *s, berr_t *err)
{
	int64_t grace, sig;

	if (jcheck_object(j, where, err) < 0 || jget_string(j, "name", where, true, &s->name, err) < 0 ||
	    jget_string(j, "image", where, false, &s->image, err) < 0 || build_from(j, where, s, err) < 0 ||
	    strv_from(j, "command", where, &s->command, &s->has_command, err) < 0 ||
	    strv_from(j, "entrypoint", where, &s->entrypoint, &s->has_entrypoint, err) < 0 ||
	    kvs_from(j, "environment", where, &s->environment, err) < 0 ||
	    kvs_from(j, "labels", where, &s->labels, err) < 0 || lists_from(j, where, s, err) < 0 ||
	    health_from(j, where, &s->health, err) < 0 || deploy_from(j, where, s, err) < 0 ||
	    restart_from(j, where, &s->restart, err) < 0 || deps_from(j, where, s, err) < 0 ||
	    proxy_from(j, where, &s->proxy, err) < 0 ||
	    jget_int(j, "stop_grace_period_ns", where, 0, INT64_MAX, true, &grace, err) < 0 ||
	    jget_int(j, "stop_signal", where, 1, 64, true, &sig, err) < 0)
		return -1;
	s->stop_grace_ns = grace;
	s->stop_signal = (int)sig;
	return 0;
}

int service_from_json(json_t *j, const char *where, struct service *out, berr_t *err)
{
	*out = (struct service){ 0 };
	if (fields_from(j, where, out, err) == 0)
		return 0;
	service_clear(out);
	return -1;
}
