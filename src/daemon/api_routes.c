/* What each path of berthd's API does (docs/berthd.md).  Handlers answer
 * at once from what berthd holds in memory; changes go through
 * lifecycle.c (stored first). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cleanup.h"
#include "container/record.h"
#include "daemon/api.h"
#include "daemon/lifecycle.h"
#include "daemon/metrics.h"

static const char *health_name(const struct replica *r)
{
	return r->has_check ? health_status_name(r->health.status) : "none";
}

static json_t *replica_json(const struct replica *r)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:b, s:b}", "id", r->id, "name", r->name,
			 "service", r->service, "revision", (json_int_t)r->rev, "state", r->status,
			 "health", health_name(r), "ip", r->ip, "routed", r->routed, "retiring",
			 r->retire != RETIRE_NONE);
}

static json_t *ports_json(const struct service *def)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < def->n_ports; i++) {
		char p[64];

		snprintf(p, sizeof(p), "%u:%u", def->ports[i].host_port, def->ports[i].container_port);
		json_array_append_new(a, json_string(p));
	}
	return a;
}

static json_t *svc_json(struct berthd *d, const struct svc *s, bool full)
{
	json_t *containers = json_array();
	int running = 0, healthy = 0;

	for (size_t i = 0; i < d->n_reps; i++) {
		const struct replica *r = &d->reps[i];

		if (strcmp(r->service, s->name))
			continue;
		running += !strcmp(r->status, "running") && r->retire == RETIRE_NONE;
		healthy += r->routed;
		json_array_append_new(containers, replica_json(r));
	}
	json_t *j = json_pack("{s:s, s:I, s:s, s:b, s:I, s:i, s:i, s:s?, s:o}", "name", s->name,
			      "revision", (json_int_t)s->rev, "status", rev_status_name(s->status),
			      "paused", s->paused, "replicas", (json_int_t)svc_replicas(s), "running",
			      running, "healthy", healthy, "image", s->def.image, "ports",
			      ports_json(&s->def));

	if (j && full) {
		json_object_set_new(j, "definition", service_to_json(&s->def));
		json_object_set_new(j, "digests", json_loads(s->digests ? s->digests : "{}", 0, NULL));
		json_object_set_new(j, "containers", containers);
		json_object_set_new(j, "deleting", json_boolean(s->deleting));
		json_object_set_new(j, "failure", s->failure ? json_string(s->failure) : json_null());
	} else {
		json_decref(containers);
	}
	return j;
}

static void list_services(struct berthd *d, struct api_conn *c)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < d->n_svcs; i++)
		json_array_append_new(a, svc_json(d, &d->svcs[i], false));
	api_reply_json(c, 200, a);
}

static json_t *history_json(struct berthd *d, const struct svc *s, berr_t *err)
{
	struct svc_revision *h;
	size_t n;

	if (svc_store_history(d->store, s->name, &h, &n, err) < 0)
		return NULL;
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++) {
		json_t *def = json_loads(h[i].definition, 0, NULL);
		json_t *dig = json_loads(h[i].digests, 0, NULL);
		const char *image = json_string_value(json_object_get(def, "image"));

		json_array_append_new(a, json_pack("{s:I, s:s, s:I, s:s?, s:s?, s:b}", "revision",
						   (json_int_t)h[i].number, "status",
						   rev_status_name(h[i].status), "created",
						   (json_int_t)h[i].created, "image", image, "digest",
						   image ? json_string_value(json_object_get(dig, image)) : NULL,
						   "current", h[i].number == s->rev));
		json_decref(def);
		json_decref(dig);
	}
	svc_revisions_free(h, n);
	return a;
}

static int status_of(const berr_t err)
{
	return err && err->errnum == ENOENT ? 404 : err && err->errnum == EINVAL ? 400 : 500;
}

static void reply_result(struct api_conn *c, int r, berr_t *err, json_t *ok)
{
	if (r < 0) {
		json_decref(ok);
		api_reply_error(c, status_of(*err), "%s", err_msg(*err));
		err_free(err);
		return;
	}
	api_reply_json(c, 200, ok);
}

static void put_service(struct berthd *d, struct api_conn *c, const char *name,
			const struct api_request *rq)
{
	berr_t err = NULL;
	int64_t rev = 0;
	bool changed = false;
	json_t *def = json_object_get(rq->body, "definition");

	if (!def) {
		api_reply_error(c, 400, "the body must be {\"definition\": {...}, \"digests\": {...}}");
		return;
	}
	int r = svc_apply(d, name, def, json_object_get(rq->body, "digests"), &rev, &changed, &err);

	reply_result(c, r, &err, json_pack("{s:s, s:I, s:b}", "name", name, "revision",
					    (json_int_t)rev, "changed", changed));
}

static void action(struct berthd *d, struct api_conn *c, const char *name, const char *what,
		   const struct api_request *rq)
{
	berr_t err = NULL;
	int64_t rev = 0, n = -1;
	bool changed = false;
	json_t *b = rq->body;
	int r;

	if (!strcmp(what, "deploy")) {
		const char *image = json_string_value(json_object_get(b, "image"));
		const char *digest = json_string_value(json_object_get(b, "digest"));

		if (!image || !digest)
			return api_reply_error(c, 400, "deploy: the body must be {\"image\": REF, \"digest\": ID}");
		r = svc_deploy_image(d, name, image, digest, &rev, &changed, &err);
		reply_result(c, r, &err, json_pack("{s:s, s:I, s:b}", "name", name, "revision",
						    (json_int_t)rev, "changed", changed));
	} else if (!strcmp(what, "rollback")) {
		json_t *to = json_object_get(b, "to");

		if (to && (!json_is_integer(to) || json_integer_value(to) < 1))
			return api_reply_error(c, 400, "rollback: \"to\" must be a revision number");
		r = svc_rollback(d, name, to ? json_integer_value(to) : 0, &rev, &err);
		/* The service exists: no revision to go back to is a conflict. */
		if (r < 0 && svc_find(d, name)) {
			api_reply_error(c, 409, "%s", err_msg(err));
			err_free(&err);
			return;
		}
		reply_result(c, r, &err, json_pack("{s:s, s:I}", "name", name, "revision", (json_int_t)rev));
	} else if (!strcmp(what, "scale")) {
		json_t *v = json_object_get(b, "replicas");

		if (!json_is_integer(v) || (n = json_integer_value(v)) < 0 || n > SVC_MAX_REPLICAS)
			return api_reply_error(c, 400, "scale: \"replicas\" must be an integer from 0 to %d",
					       SVC_MAX_REPLICAS);
		r = svc_scale(d, name, n, &err);
		reply_result(c, r, &err, json_pack("{s:s, s:I}", "name", name, "replicas", (json_int_t)n));
	} else if (!strcmp(what, "pause") || !strcmp(what, "resume")) {
		bool paused = !strcmp(what, "pause");

		r = svc_pause(d, name, paused, &err);
		reply_result(c, r, &err, json_pack("{s:s, s:b}", "name", name, "paused", paused));
	} else {
		api_reply_error(c, 404, "no such action '%s'", what);
	}
}

static void service_routes(struct berthd *d, struct api_conn *c, const struct api_request *rq,
			   const char *rest)
{
	char name[256], what[32] = "";
	const char *slash = strchr(rest, '/');
	size_t len = slash ? (size_t)(slash - rest) : strlen(rest);
	berr_t err = NULL;

	if (!len || len >= sizeof(name) || (slash && strlen(slash + 1) >= sizeof(what)))
		return api_reply_error(c, 404, "no such path");
	memcpy(name, rest, len);
	name[len] = '\0';
	if (slash)
		snprintf(what, sizeof(what), "%s", slash + 1);
	struct svc *s = svc_find(d, name);
	bool get = !strcmp(rq->method, "GET");

	if (!strcmp(rq->method, "PUT") && !*what)
		return put_service(d, c, name, rq);
	if (!strcmp(rq->method, "POST") && *what)
		return action(d, c, name, what, rq);
	if (!s && (get || !strcmp(rq->method, "DELETE")))
		return api_reply_error(c, 404, "no service '%s'", name);
	if (get && !*what)
		return api_reply_json(c, 200, svc_json(d, s, true));
	if (get && !strcmp(what, "history")) {
		json_t *h = history_json(d, s, &err);

		return reply_result(c, h ? 0 : -1, &err, h);
	}
	if (!strcmp(rq->method, "DELETE") && !*what)
		return reply_result(c, svc_delete(d, name, &err), &err, json_pack("{s:s}", "name", name));
	api_reply_error(c, 405, "%s %s is not supported", rq->method, rq->path);
}

static const char *query_get(const char *query, const char *key, char *buf, size_t len)
{
	size_t klen = strlen(key);

	for (const char *p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
		if (strncmp(p, key, klen) || p[klen] != '=')
			continue;
		size_t vlen = strcspn(p + klen + 1, "&");

		snprintf(buf, len, "%.*s", (int)vlen, p + klen + 1);
		return buf;
	}
	return NULL;
}

void api_feed_events(struct berthd *d, struct api_conn *c, int64_t *after_id)
{
	struct svc_event *e;
	size_t n;
	berr_t err = NULL;

	if (svc_store_events_since(d->store, *after_id, 500, &e, &n, &err) < 0) {
		err_free(&err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *j = json_pack("{s:I, s:I, s:s?, s:s, s:s}", "id", (json_int_t)e[i].id, "time",
				      (json_int_t)e[i].time, "service", e[i].service, "kind", e[i].kind,
				      "message", e[i].message);
		char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

		if (text) {
			size_t len = strlen(text);

			text[len] = '\n'; /* the NUL goes: one event per line */
			api_stream_send(c, text, len + 1);
		}
		free(text);
		json_decref(j);
		*after_id = e[i].id;
	}
	svc_events_free(e, n);
}

static void events(struct berthd *d, struct api_conn *c, const struct api_request *rq)
{
	char buf[32];
	int64_t since = query_get(rq->query, "since", buf, sizeof(buf)) ? strtoll(buf, NULL, 10) : 0;

	api_stream_events(c, since);
	api_feed_events(d, c, &since);
	if (!query_get(rq->query, "follow", buf, sizeof(buf)) || strcmp(buf, "1"))
		api_stream_end(c);
}

static void logs(struct berthd *d, struct api_conn *c, const struct api_request *rq, const char *ref)
{
	char id[CONTAINER_ID_LEN + 1], dir[4200], buf[8];
	berr_t err = NULL;
	bool follow = query_get(rq->query, "follow", buf, sizeof(buf)) && !strcmp(buf, "1");

	if (container_lookup(d->root, ref, id, &err) < 0) {
		api_reply_error(c, 404, "%s", err_msg(err));
		err_free(&err);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/containers/%s", d->root, id);
	if (api_stream_log(c, dir, follow, &err) < 0) {
		api_reply_error(c, 500, "%s", err_msg(err));
		err_free(&err);
	}
}

void api_route(struct berthd *d, struct api_conn *c, const struct api_request *rq)
{
	const char *p = rq->path;
	bool get = !strcmp(rq->method, "GET");

	if (rq->body_bad)
		return api_reply_error(c, 400, "the request body is not JSON");
	if (get && !strcmp(p, "/v1/health"))
		return api_reply_json(c, 200, json_pack("{s:s, s:i, s:i}", "status", "ok", "services",
							(int)d->n_svcs, "replicas", (int)d->n_reps));
	if (get && !strcmp(p, "/metrics"))
		return metrics_reply(d, c);
	if (get && !strcmp(p, "/v1/services"))
		return list_services(d, c);
	if (!strncmp(p, "/v1/services/", 13))
		return service_routes(d, c, rq, p + 13);
	if (get && !strcmp(p, "/v1/containers")) {
		json_t *a = json_array();

		for (size_t i = 0; a && i < d->n_reps; i++)
			json_array_append_new(a, replica_json(&d->reps[i]));
		return api_reply_json(c, 200, a);
	}
	if (get && !strncmp(p, "/v1/containers/", 15) && strstr(p + 15, "/logs") &&
	    !strcmp(strstr(p + 15, "/logs"), "/logs")) {
		char ref[256];

		snprintf(ref, sizeof(ref), "%.*s", (int)(strstr(p + 15, "/logs") - (p + 15)), p + 15);
		return logs(d, c, rq, ref);
	}
	if (get && !strcmp(p, "/v1/events"))
		return events(d, c, rq);
	api_reply_error(c, 404, "no such path: %s %s", rq->method, p);
}
