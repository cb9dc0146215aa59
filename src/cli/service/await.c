/* Waiting for the outcome of a deploy or a rollback: `berth deploy` ends
 * when the revision is active, or fails saying why berthd rolled it back
 * (or paused the service, or could not go back). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/service/api_client.h"
#include "cli/service/service.h"

#define AWAIT_POLL_NS 250000000L

static const char *why(json_t *s)
{
	const char *f = json_string_value(json_object_get(s, "failure"));

	return f ? f : "a replica failed";
}

/* 1: done, 0: not yet, -1: failed (the error says how). */
static int outcome(const char *name, int64_t rev, json_t *s, berr_t *err)
{
	int64_t now = json_integer_value(json_object_get(s, "revision"));
	const char *status = json_string_value(json_object_get(s, "status"));

	if (now != rev)
		return err_set(err, EIO, "%s: %s; rolled back to revision %lld", name, why(s),
			       (long long)now);
	if (status && !strcmp(status, "active")) {
		printf("%s: revision %lld is active (%lld/%lld healthy)\n", name, (long long)rev,
		       (long long)json_integer_value(json_object_get(s, "healthy")),
		       (long long)json_integer_value(json_object_get(s, "replicas")));
		return 1;
	}
	if (status && !strcmp(status, "failed"))
		return err_set(err, EIO, "%s: %s%s", name, why(s),
			       json_is_true(json_object_get(s, "paused"))
				       ? "; supervision paused (failure_action: pause)"
				       : "; no earlier revision to roll back to");
	return 0;
}

int svc_await(const struct berth_globals *g, const char *name, int64_t rev, int64_t timeout_s,
	      berr_t *err)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		json_t *s = NULL;
		int r = api_service(g->run_root, "GET", name, "", NULL, NULL, &s, err);

		if (r == 0)
			r = outcome(name, rev, s, err);
		json_decref(s);
		if (r != 0)
			return r < 0 ? -1 : 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= timeout_s)
			return err_set(err, ETIMEDOUT, "%s: revision %lld not active after %llds (still deploying; see berth service ps %s)",
				       name, (long long)rev, (long long)timeout_s, name);
		nanosleep(&(struct timespec){ 0, AWAIT_POLL_NS }, NULL);
	}
}
