/* Statistics as JSON: counters and latency histograms shaped so that a
 * Prometheus exporter can map them one to one (cumulative buckets are
 * left to it: these are per bucket). */
#include "proxy/stats.h"

static json_t *latency_json(const struct backend_stats *st)
{
	json_t *buckets = json_array();

	for (size_t i = 0; i <= LATENCY_BUCKETS; i++)
		json_array_append_new(buckets, json_pack("{s:o,s:I}", "le",
			i < LATENCY_BUCKETS ? json_real(latency_bounds_s[i]) : json_string("+Inf"),
			"count", (json_int_t)st->latency_buckets[i]));
	return json_pack("{s:I,s:f,s:o}", "count", (json_int_t)st->latency_count,
			 "sum_seconds", (double)st->latency_sum_us / 1e6, "buckets", buckets);
}

static json_t *backend_json(const struct backend *b)
{
	return json_pack("{s:s,s:I,s:b,s:I,s:I,s:I,s:I,s:o}", "addr", b->addr,
			 "weight", (json_int_t)b->weight, "draining", b->draining,
			 "active", (json_int_t)b->active, "idle", (json_int_t)b->idle_count,
			 "requests", (json_int_t)b->st.requests,
			 "failures", (json_int_t)b->st.failures, "latency", latency_json(&b->st));
}

static json_t *listener_json(const struct listener *l)
{
	json_t *backends = json_array(), *classes = json_object();
	static const char *const names[] = { "", "1xx", "2xx", "3xx", "4xx", "5xx" };

	for (size_t i = 0; i < l->nset; i++)
		json_array_append_new(backends, backend_json(l->set[i]));
	for (const struct backend *b = l->draining; b; b = b->next)
		json_array_append_new(backends, backend_json(b));
	for (size_t i = 1; i < 6; i++)
		json_object_set_new(classes, names[i], json_integer((json_int_t)l->responses_by_class[i]));
	return json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:o,s:o}", "listen", l->listen,
			 "mode", l->mode == MODE_TCP ? "tcp" : "http",
			 "balance", l->balance == BALANCE_LEAST_CONN ? "least_conn" : "round_robin",
			 "drain_timeout_ms", (json_int_t)l->drain_ms,
			 "connections", (json_int_t)l->sessions,
			 "accepted", (json_int_t)l->accepted, "rejected", (json_int_t)l->rejected,
			 "requests", (json_int_t)l->requests, "responses", classes,
			 "backends", backends);
}

json_t *stats_json(const struct proxy *px)
{
	json_t *arr = json_array();

	for (const struct listener *l = px->listeners; l && arr; l = l->next)
		if (json_array_append_new(arr, listener_json(l)) < 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}
