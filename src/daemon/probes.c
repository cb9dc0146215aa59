/* Health probes of the replicas, each a `berth healthcheck` child: a
 * probe that hangs costs a child, never the loop.
 *
 * Docker's rules (health_update): failures within the start period do
 * not count, then retries failures in a row at the interval make a
 * replica unhealthy.  Until a replica was healthy once it is probed every
 * half second all the same (a failure counts once per interval), so that
 * a new replica gets traffic, and an upgrade goes on, as soon as it
 * answers rather than an interval later. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "daemon/argv.h"
#include "daemon/children.h"
#include "daemon/probes.h"

#define STARTING_INTERVAL_NS 500000000ull
/* A probe child gets this long beyond the check's own timeout. */
#define PROBE_GRACE_NS 2000000000ull

static const struct svc_healthcheck *check_of(const struct svc *s)
{
	return &s->def.health;
}

bool probe_wanted(const struct svc *s)
{
	enum svc_check_kind k = check_of(s)->kind;

	return k != SVC_CHECK_OFF && (k != SVC_CHECK_NONE || s->def.n_ports > 0);
}

uint64_t probe_timeout_ns(const struct svc *s)
{
	return check_of(s)->timeout_ns ? (uint64_t)check_of(s)->timeout_ns : 30000000000ull;
}

static int check_args(const struct svc *s, char ***v)
{
	const struct svc_healthcheck *h = check_of(s);

	if (argv_add(v, "healthcheck", NULL) < 0 ||
	    strv_pushf(v, "--timeout=%llums", (unsigned long long)(probe_timeout_ns(s) / 1000000)) < 0)
		return -1;
	switch (h->kind) {
	case SVC_CHECK_HTTP:
		if (argv_add(v, "--http", h->http_path, NULL) < 0 || strv_pushf(v, "--port=%u", h->port) < 0)
			return -1;
		return h->http_status ? strv_pushf(v, "--status=%d", h->http_status) : 0;
	case SVC_CHECK_TCP:
		return strv_pushf(v, "--tcp=%u", h->port);
	case SVC_CHECK_NONE: /* a service with ports and no check: its first port answers */
		return strv_pushf(v, "--tcp=%u", s->def.ports[0].container_port);
	default:
		return 0;
	}
}

static int probe_argv(const struct berthd *d, const struct svc *s, const struct replica *r,
		      char ***v)
{
	const struct svc_healthcheck *h = check_of(s);

	if (argv_begin(d, v) < 0 || check_args(s, v) < 0 || argv_add(v, r->id, NULL) < 0)
		return -1;
	if (h->kind == SVC_CHECK_SHELL)
		return argv_add(v, "/bin/sh", "-c", h->argv[0], NULL);
	for (char **a = h->kind == SVC_CHECK_EXEC ? h->argv : NULL; a && *a; a++)
		if (strv_push(v, *a) < 0)
			return -1;
	return 0;
}

void probe_init(const struct svc *s, struct replica *r)
{
	const struct svc_healthcheck *h = check_of(s);
	struct health_check c = { .retries = (unsigned)h->retries,
				  .start_period_ns = (uint64_t)h->start_period_ns };

	health_state_init(&r->health, &c, r->first_seen_ns);
	r->has_check = probe_wanted(s);
}

static void probe_start(struct berthd *d, const struct svc *s, struct replica *r)
{
	cleanup_strv char **argv = NULL;
	berr_t err = NULL;

	if (probe_argv(d, s, r, &argv) < 0 ||
	    child_spawn(argv, CHILD_PROBE, s->name, r->id, &r->probe_pid, &err) < 0) {
		fprintf(stderr, "berthd: probe of %s: %s\n", r->name, err ? err_msg(err) : "out of memory");
		err_free(&err);
		r->next_probe_ns = d->now_ns + STARTING_INTERVAL_NS;
		return;
	}
	r->probe_deadline_ns = d->now_ns + probe_timeout_ns(s) + PROBE_GRACE_NS;
}

/* A replica without a check is healthy while it runs. */
static void no_check(struct berthd *d, struct replica *r)
{
	struct health_result res = { .healthy = !strcmp(r->status, "running"), .code = -1 };

	health_update(&r->health, &res, d->now_ns);
	r->probed = true;
	r->ever_healthy |= res.healthy;
}

void probes_run(struct berthd *d)
{
	for (size_t i = 0; i < d->n_reps; i++) {
		struct replica *r = &d->reps[i];
		struct svc *s = svc_find(d, r->service);

		if (!s || r->retire != RETIRE_NONE)
			continue;
		if (r->probe_pid) {
			if (d->now_ns > r->probe_deadline_ns)
				kill(r->probe_pid, SIGKILL);
		} else if (!r->has_check) {
			no_check(d, r);
		} else if (d->now_ns >= r->next_probe_ns && !strcmp(r->status, "running")) {
			probe_start(d, s, r);
		}
	}
}

void probe_ended(struct berthd *d, struct replica *r, int code)
{
	struct svc *s = svc_find(d, r->service);
	struct health_result res = { .healthy = code == 0, .code = code };
	uint64_t interval = s && s->def.health.interval_ns ? (uint64_t)s->def.health.interval_ns
							     : 30000000000ull;

	r->probe_pid = 0;
	r->probed = true;
	if (r->retire != RETIRE_NONE)
		return;
	if (res.healthy || r->ever_healthy || d->now_ns >= r->fail_counted_ns + interval) {
		health_update(&r->health, &res, d->now_ns);
		if (!res.healthy)
			r->fail_counted_ns = d->now_ns;
	}
	r->ever_healthy |= res.healthy;
	if (!r->ever_healthy && interval > STARTING_INTERVAL_NS)
		interval = STARTING_INTERVAL_NS;
	r->next_probe_ns = d->now_ns + interval;
}
