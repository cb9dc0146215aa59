/* GET /metrics: Prometheus text format (version 0.0.4) of the services
 * (replicas desired, running and healthy, restarts, deploys) and of
 * berth-proxy's listeners (requests, responses by class, latency
 * histogram), read from the proxy's stats at the time of the request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/metrics.h"
#include "daemon/routes.h"

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int64_t revisions_of(struct berthd *d, const char *name)
{
	struct svc_revision *h;
	size_t n;
	berr_t err = NULL;

	if (svc_store_history(d->store, name, &h, &n, &err) < 0) {
		err_free(&err);
		return 0;
	}
	svc_revisions_free(h, n);
	return (int64_t)n;
}

static void service_metrics(struct berthd *d, FILE *f)
{
	static const char *const names[] = { "berth_service_replicas_desired",
					     "berth_service_replicas_running",
					     "berth_service_replicas_healthy" };
	static const char *const helps[] = { "Replicas the service should have.",
					     "Replicas running now.",
					     "Replicas healthy and receiving traffic." };

	for (int m = 0; m < 3; m++) {
		family(f, names[m], "gauge", helps[m]);
		for (size_t i = 0; i < d->n_svcs; i++) {
			const struct svc *s = &d->svcs[i];
			int64_t v = m == 0 ? svc_replicas(s) : 0;

			for (size_t k = 0; m && k < d->n_reps; k++) {
				const struct replica *r = &d->reps[k];

				if (!strcmp(r->service, s->name) && r->retire == RETIRE_NONE)
					v += m == 1 ? !strcmp(r->status, "running") : r->routed;
			}
			fprintf(f, "%s{service=\"%s\"} %lld\n", names[m], s->name, (long long)v);
		}
	}
	family(f, "berth_service_replacements_total", "counter",
	       "Replicas replaced by berthd since it started (unhealthy or ended).");
	for (size_t i = 0; i < d->n_svcs; i++)
		fprintf(f, "berth_service_replacements_total{service=\"%s\"} %llu\n", d->svcs[i].name,
			(unsigned long long)d->svcs[i].restarts);
	family(f, "berth_service_deploys_total", "counter", "Revisions deployed.");
	for (size_t i = 0; i < d->n_svcs; i++)
		fprintf(f, "berth_service_deploys_total{service=\"%s\"} %lld\n", d->svcs[i].name,
			(long long)revisions_of(d, d->svcs[i].name));
	family(f, "berth_service_revision", "gauge", "The current revision.");
	for (size_t i = 0; i < d->n_svcs; i++)
		fprintf(f, "berth_service_revision{service=\"%s\"} %lld\n", d->svcs[i].name,
			(long long)d->svcs[i].rev);
}

/* One listener's latency histogram: the proxy's per-bucket counts summed
 * over its backends and made cumulative, as Prometheus wants them. */
static void latency(FILE *f, const char *listen, json_t *backends)
{
	double bounds[64];
	uint64_t counts[64] = { 0 }, total = 0;
	double sum = 0;
	size_t nb = 0, i, k;
	json_t *b, *bucket;

	json_array_foreach(backends, i, b) {
		json_t *lat = json_object_get(b, "latency");

		sum += json_real_value(json_object_get(lat, "sum_seconds"));
		total += (uint64_t)json_integer_value(json_object_get(lat, "count"));
		json_array_foreach(json_object_get(lat, "buckets"), k, bucket) {
			if (k >= 64)
				break;
			json_t *le = json_object_get(bucket, "le");

			bounds[k] = json_is_number(le) ? json_number_value(le) : -1;
			counts[k] += (uint64_t)json_integer_value(json_object_get(bucket, "count"));
			nb = k + 1 > nb ? k + 1 : nb;
		}
	}
	uint64_t cum = 0;

	for (k = 0; k < nb; k++) {
		cum += counts[k];
		if (bounds[k] >= 0)
			fprintf(f, "berth_proxy_request_duration_seconds_bucket{listen=\"%s\",le=\"%g\"} %llu\n",
				listen, bounds[k], (unsigned long long)cum);
	}
	fprintf(f, "berth_proxy_request_duration_seconds_bucket{listen=\"%s\",le=\"+Inf\"} %llu\n", listen,
		(unsigned long long)total);
	fprintf(f, "berth_proxy_request_duration_seconds_sum{listen=\"%s\"} %g\n", listen, sum);
	fprintf(f, "berth_proxy_request_duration_seconds_count{listen=\"%s\"} %llu\n", listen,
		(unsigned long long)total);
}

static void proxy_metrics(struct berthd *d, FILE *f)
{
	berr_t err = NULL;
	json_t *reply = routes_stats(d, &err), *l;
	size_t i;

	if (!reply) {
		/* the services' figures are still worth answering */
		err_free(&err);
		return;
	}
	family(f, "berth_proxy_requests_total", "counter", "Requests (TCP mode: connections) accepted by a listener.");
	json_array_foreach(json_object_get(reply, "listeners"), i, l)
		fprintf(f, "berth_proxy_requests_total{listen=\"%s\"} %lld\n",
			json_string_value(json_object_get(l, "listen")),
			(long long)json_integer_value(json_object_get(l, "requests")));
	family(f, "berth_proxy_responses_total", "counter", "Responses by status class.");
	json_array_foreach(json_object_get(reply, "listeners"), i, l) {
		const char *key;
		json_t *v;

		json_object_foreach(json_object_get(l, "responses"), key, v)
			fprintf(f, "berth_proxy_responses_total{listen=\"%s\",code=\"%s\"} %lld\n",
				json_string_value(json_object_get(l, "listen")), key,
				(long long)json_integer_value(v));
	}
	family(f, "berth_proxy_request_duration_seconds", "histogram",
	       "From a request head's arrival to its response's end.");
	json_array_foreach(json_object_get(reply, "listeners"), i, l)
		latency(f, json_string_value(json_object_get(l, "listen")), json_object_get(l, "backends"));
	json_decref(reply);
}

void metrics_reply(struct berthd *d, struct api_conn *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f) {
		api_reply_error(c, 500, "out of memory");
		return;
	}
	service_metrics(d, f);
	proxy_metrics(d, f);
	if (fclose(f) != 0) {
		free(text);
		api_reply_error(c, 500, "out of memory");
		return;
	}
	api_reply_text(c, 200, "text/plain; version=0.0.4", text, len);
	free(text);
}
