/* One turn of supervision for every service: the facts about its replicas
 * go into plan_service (plan.h), and what it decides is done here: starts
 * and retirements as berth children, the proxy's routes, and the verdict
 * on a deploy (active, rolled back) in the store. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "daemon/argv.h"
#include "daemon/children.h"
#include "daemon/plan.h"
#include "daemon/probes.h"
#include "daemon/replica_start.h"
#include "daemon/routes.h"
#include "daemon/lifecycle.h"
#include "service/store.h"

/* A replica not healthy this long after berthd first saw it has failed:
 * its start period, its retries at its interval and one probe's timeout. */
static uint64_t ready_deadline_ns(const struct svc *s)
{
	const struct svc_healthcheck *h = &s->def.health;
	uint64_t interval = h->interval_ns ? (uint64_t)h->interval_ns : 30000000000ull;
	unsigned retries = h->retries > 0 ? (unsigned)h->retries : 3;

	return (uint64_t)h->start_period_ns + interval * retries + probe_timeout_ns(s) + 1000000000ull;
}

static bool status_is(const struct replica *r, const char *s)
{
	return !strcmp(r->status, s);
}

static void replica_facts(struct berthd *d, const struct svc *s, struct replica *r,
			  struct plan_replica *p)
{
	bool down = status_is(r, "exited") || status_is(r, "dead") || status_is(r, "unknown");

	if (!r->ever_healthy && (down || status_is(r, "restarting")))
		r->crashed = true;
	if (!r->ready_deadline_ns)
		r->ready_deadline_ns = r->first_seen_ns + ready_deadline_ns(s);
	*p = (struct plan_replica){
		.rev = r->rev,
		.n = r->n,
		.life = down ? PLAN_DOWN : PLAN_UP,
		.running = status_is(r, "running"),
		.health = r->health.status,
		.failed = r->health.status == HEALTH_UNHEALTHY ||
			  (!r->ever_healthy && (r->crashed || d->now_ns > r->ready_deadline_ns)),
		.retiring = r->retire != RETIRE_NONE,
	};
}

static const char *failure_text(const struct berthd *d, const struct replica *r)
{
	if (r->health.status == HEALTH_UNHEALTHY)
		return "turned unhealthy";
	if (r->crashed)
		return "ended before it was healthy";
	return d->now_ns > r->ready_deadline_ns ? "was not healthy in time" : "failed";
}

/* was_routed: it had traffic until this turn, so it drains first. */
static void replica_retire(struct berthd *d, struct svc *s, struct replica *r, bool was_routed)
{
	r->retire = RETIRE_DRAIN;
	r->drain_until_ns = d->now_ns + (was_routed ? (uint64_t)s->def.stop_grace_ns : 0);
	if (r->rev == s->rev && (r->health.status == HEALTH_UNHEALTHY || status_is(r, "exited") ||
				 status_is(r, "dead"))) {
		/* A replacement, not an upgrade: the next start waits out the backoff. */
		s->restarts++;
		replica_backoff(d, s);
		berthd_event(d, s->name, "replace", "replica %s %s: replacing it", r->name,
			     r->health.status == HEALTH_UNHEALTHY ? "is unhealthy" : "ended");
	}
}

static void retire_step(struct berthd *d, struct svc *s, struct replica *r, bool stop)
{
	cleanup_strv char **argv = NULL;
	berr_t err = NULL;
	long long grace = (long long)((s->def.stop_grace_ns + 999999999) / 1000000000);
	int rc = argv_begin(d, &argv);

	if (rc == 0)
		rc = stop ? -(argv_add(&argv, "stop", "-t", NULL) < 0 || strv_pushf(&argv, "%lld", grace) < 0)
			  : argv_add(&argv, "rm", "-f", NULL);
	if (rc < 0 || argv_add(&argv, r->id, NULL) < 0 ||
	    child_spawn(argv, CHILD_RETIRE, s->name, r->id, &r->job_pid, &err) < 0) {
		fprintf(stderr, "berthd: %s %s: %s\n", stop ? "stop" : "rm", r->name,
			err ? err_msg(err) : "out of memory");
		err_free(&err);
		/* Tried again, from the stop, a second later. */
		r->retire = RETIRE_DRAIN;
		r->drain_until_ns = d->now_ns + 1000000000ull;
	}
}

static bool draining(const struct replica *r, const struct svc *s)
{
	return !strcmp(r->service, s->name) && r->retire == RETIRE_DRAIN && !r->job_pid;
}

/* Drained (no request in flight on it, or its grace is over): stop it.
 * The proxy is asked once for all of s's draining replicas. */
static void drains_advance(struct berthd *d, struct svc *s)
{
	json_t *stats = NULL;
	berr_t err = NULL;
	bool asked = false;

	for (size_t i = 0; i < d->n_reps; i++) {
		struct replica *r = &d->reps[i];

		if (!draining(r, s))
			continue;
		if (d->now_ns < r->drain_until_ns && s->def.n_ports) {
			if (!asked) {
				stats = routes_stats(d, &err); /* NULL: the grace decides */
				err_free(&err);
				asked = true;
			}
			if (routes_busy(stats, r))
				continue;
		}
		r->retire = RETIRE_STOP;
		retire_step(d, s, r, true);
	}
	json_decref(stats);
}

void replica_job_ended(struct berthd *d, struct replica *r, int code)
{
	struct svc *s = svc_find(d, r->service);

	r->job_pid = 0;
	if (!s)
		return;
	if (r->retire == RETIRE_STOP) {
		r->retire = RETIRE_REMOVE;
		retire_step(d, s, r, false);
	} else if (r->retire == RETIRE_REMOVE && code != 0) {
		r->retire = RETIRE_DRAIN; /* from the stop again */
		r->drain_until_ns = d->now_ns + 1000000000ull;
	}
}

static void on_verdict(struct berthd *d, struct svc *s, const struct plan *p,
		       const struct replica *failed)
{
	berr_t err = NULL;

	switch (p->verdict) {
	case PLAN_FAILED:
		svc_deploy_failed(d, s, failed->name, failure_text(d, failed));
		return;
	case PLAN_MONITOR:
		if (!s->monitor_until_ns) {
			s->monitor_until_ns = d->now_ns + (uint64_t)s->def.update.monitor_ns;
			berthd_event(d, s->name, "monitor", "revision %lld: every replica healthy, watching it for %llds",
				     (long long)s->rev, (long long)(s->def.update.monitor_ns / 1000000000));
		}
		return;
	case PLAN_DONE:
		if (svc_store_set_status(d->store, s->name, s->rev, REV_ACTIVE, &err) < 0) {
			fprintf(stderr, "berthd: %s: %s\n", s->name, err_msg(err));
			err_free(&err);
			return;
		}
		s->status = REV_ACTIVE;
		s->can_rollback = true;
		berthd_event(d, s->name, "active", "revision %lld is active", (long long)s->rev);
		return;
	case PLAN_ROLLING:
		s->monitor_until_ns = 0;
		return;
	case PLAN_STEADY:
		return;
	}
}

static bool dep_met(struct berthd *d, const struct svc_dep *dep)
{
	int running = 0, healthy = 0, exited = 0, alive = 0;

	for (size_t i = 0; i < d->n_reps; i++) {
		const struct replica *r = &d->reps[i];

		if (strcmp(r->service, dep->service) || r->retire != RETIRE_NONE)
			continue;
		alive++;
		running += status_is(r, "running");
		healthy += r->routed;
		exited += status_is(r, "exited");
	}
	switch (dep->condition) {
	case SVC_DEP_STARTED: return running > 0;
	case SVC_DEP_HEALTHY: return healthy > 0;
	case SVC_DEP_COMPLETED: return alive > 0 && exited == alive;
	}
	return false;
}

/* depends_on holds back a service's first replicas (as compose up does),
 * never the replacement of running ones. */
static bool deps_met(struct berthd *d, const struct svc *s)
{
	for (size_t i = 0; i < d->n_reps; i++)
		if (!strcmp(d->reps[i].service, s->name) && d->reps[i].retire == RETIRE_NONE)
			return true;
	for (size_t i = 0; i < s->def.n_deps; i++)
		if (!dep_met(d, &s->def.deps[i]))
			return false;
	return true;
}

static void plan_of(struct berthd *d, struct svc *s, struct plan_service *ps)
{
	*ps = (struct plan_service){
		.rev = s->rev,
		.pending = s->status == REV_PENDING,
		.replicas = (int)svc_replicas(s),
		.parallelism = s->def.update.parallelism > 0 ? s->def.update.parallelism : 1,
		.order = s->def.update.order == SVC_ORDER_STOP_FIRST ? PLAN_STOP_FIRST : PLAN_START_FIRST,
		.paused = s->paused,
		.batch_ready = d->now_ns >= s->last_batch_ns + (uint64_t)s->def.update.delay_ns,
		.start_ready = d->now_ns >= s->next_start_ns && deps_met(d, s),
		.monitor_over = s->monitor_until_ns && d->now_ns >= s->monitor_until_ns,
		.starting = s->starting,
	};
}

/* Every replica of s found and probed once: decisions may start. */
static bool adoption_over(struct berthd *d, struct svc *s)
{
	for (size_t i = 0; i < d->n_reps; i++) {
		struct replica *r = &d->reps[i];

		if (!strcmp(r->service, s->name) && r->retire == RETIRE_NONE && !r->probed &&
		    status_is(r, "running") && d->now_ns < r->first_seen_ns + probe_timeout_ns(s))
			return false;
	}
	return true;
}

static void svc_turn(struct berthd *d, struct svc *s)
{
	size_t n = 0, cap = d->n_reps ? d->n_reps : 1;
	cleanup_free size_t *idx = calloc(cap, sizeof(*idx));
	cleanup_free struct plan_replica *pr = calloc(cap, sizeof(*pr));
	cleanup_free bool *retire = calloc(cap, sizeof(*retire));
	cleanup_free bool *route = calloc(cap, sizeof(*route));
	struct plan_service ps;
	struct plan p = { .retire = retire, .route = route };

	if (!idx || !pr || !retire || !route)
		return;
	if (s->adopting && !(s->adopting = !adoption_over(d, s)))
		berthd_event(d, s->name, "adopt", "supervising the replicas found at start");
	if (s->adopting)
		return;
	for (size_t i = 0; i < d->n_reps; i++)
		if (!strcmp(d->reps[i].service, s->name)) {
			replica_facts(d, s, &d->reps[i], &pr[n]);
			idx[n++] = i;
		}
	plan_of(d, s, &ps);
	plan_service(&ps, pr, n, &p);
	for (size_t i = 0; i < n; i++) {
		struct replica *r = &d->reps[idx[i]];
		bool was_routed = r->routed;

		r->routed = route[i];
		if (r->ever_healthy && r->rev == s->rev && r->health.status == HEALTH_HEALTHY)
			s->failures = 0;
		if (retire[i])
			replica_retire(d, s, r, was_routed);
	}
	routes_push(d, s);
	drains_advance(d, s);
	if (p.start > 0 && ps.pending)
		s->last_batch_ns = d->now_ns;
	for (int k = 0; k < p.start; k++)
		replica_start(d, s);
	on_verdict(d, s, &p, p.failed_at < n ? &d->reps[idx[p.failed_at]] : NULL);
}

void supervise(struct berthd *d)
{
	routes_watch(d);
	for (size_t i = 0; i < d->n_svcs; i++)
		svc_turn(d, &d->svcs[i]);
	svcs_finish_deletes(d);
}
