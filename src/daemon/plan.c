/* The decision of plan.h.  A replica counts for the current revision while
 * it is neither retiring nor down; "healthy" means running and healthy,
 * the only replicas that get traffic. */
#include <string.h>

#include "daemon/plan.h"

struct counts {
	int cur_alive, cur_healthy, old_alive, old_healthy;
};

static bool healthy(const struct plan_replica *r)
{
	return r->running && r->health == HEALTH_HEALTHY;
}

static bool live(const struct plan_replica *r, const bool *retire, size_t i)
{
	return !r->retiring && !retire[i] && r->life == PLAN_UP;
}

static struct counts count(const struct plan_service *s, const struct plan_replica *r, size_t n,
			   const bool *retire)
{
	/* Replicas being started are alive and not yet healthy. */
	struct counts c = { .cur_alive = s->starting };

	for (size_t i = 0; i < n; i++) {
		if (!live(&r[i], retire, i))
			continue;
		if (r[i].rev == s->rev) {
			c.cur_alive++;
			c.cur_healthy += healthy(&r[i]);
		} else {
			c.old_alive++;
			c.old_healthy += healthy(&r[i]);
		}
	}
	return c;
}

/* Retire up to k live replicas that want(…): the oldest first when oldest,
 * else the newest first.  Returns how many were retired. */
static int retire_some(const struct plan_replica *r, size_t n, bool *retire, int k, bool oldest,
		       bool (*want)(const struct plan_service *, const struct plan_replica *),
		       const struct plan_service *s)
{
	int done = 0;

	while (done < k) {
		size_t pick = n;

		for (size_t i = 0; i < n; i++) {
			if (!live(&r[i], retire, i) || !want(s, &r[i]))
				continue;
			if (pick == n || (oldest ? r[i].n < r[pick].n : r[i].n > r[pick].n))
				pick = i;
		}
		if (pick == n)
			break;
		retire[pick] = true;
		done++;
	}
	return done;
}

static bool is_old(const struct plan_service *s, const struct plan_replica *r)
{
	return r->rev != s->rev;
}

static bool is_old_unrouted(const struct plan_service *s, const struct plan_replica *r)
{
	return r->rev != s->rev && !healthy(r);
}

static bool is_cur_unrouted(const struct plan_service *s, const struct plan_replica *r)
{
	return r->rev == s->rev && !healthy(r);
}

static bool is_cur(const struct plan_service *s, const struct plan_replica *r)
{
	return r->rev == s->rev;
}

static bool is_cur_failed(const struct plan_service *s, const struct plan_replica *r)
{
	return r->rev == s->rev && r->failed;
}

static int min_int(int a, int b)
{
	return a < b ? a : b;
}

/* An upgrade in progress: old replicas leave as new ones become healthy
 * (start-first), or make room first (stop-first), parallelism at a time. */
static void rolling(const struct plan_service *s, const struct plan_replica *r, size_t n,
		    struct plan *p)
{
	/* Old replicas that get no traffic are of no use to anyone. */
	retire_some(r, n, p->retire, (int)n, true, is_old_unrouted, s);
	struct counts c = count(s, r, n, p->retire);
	int in_flight = c.cur_alive - c.cur_healthy;
	int room = s->replicas - c.cur_alive;

	if (s->order == PLAN_STOP_FIRST) {
		if (in_flight == 0 && s->batch_ready && s->start_ready && room > 0) {
			int k = min_int(s->parallelism, c.old_alive);

			retire_some(r, n, p->retire, k, true, is_old, s);
			p->start = min_int(room - (c.old_alive - k), s->parallelism);
			if (p->start < 0)
				p->start = 0;
		}
	} else if (in_flight == 0 && s->batch_ready && s->start_ready) {
		p->start = min_int(room, s->parallelism);
	}
	/* Old replicas beyond what the new healthy ones leave to serve. */
	c = count(s, r, n, p->retire);
	retire_some(r, n, p->retire, c.cur_healthy + c.old_alive - s->replicas, true, is_old, s);
}

static void steady(const struct plan_service *s, const struct plan_replica *r, size_t n,
		   struct plan *p)
{
	retire_some(r, n, p->retire, (int)n, true, is_cur_failed, s);
	struct counts c = count(s, r, n, p->retire);

	if (c.cur_alive > s->replicas) {
		int extra = c.cur_alive - s->replicas;

		extra -= retire_some(r, n, p->retire, extra, false, is_cur_unrouted, s);
		retire_some(r, n, p->retire, extra, false, is_cur, s);
	} else if (s->start_ready) {
		p->start = s->replicas - c.cur_alive;
	}
}

static enum plan_verdict verdict(const struct plan_service *s, const struct plan_replica *r,
				 size_t n, const struct plan *p)
{
	if (!s->pending)
		return PLAN_STEADY;
	struct counts c = count(s, r, n, p->retire);

	if (c.old_alive > 0 || c.cur_healthy < s->replicas || p->start > 0)
		return PLAN_ROLLING;
	return s->monitor_over || s->replicas == 0 ? PLAN_DONE : PLAN_MONITOR;
}

void plan_service(const struct plan_service *s, const struct plan_replica *r, size_t n,
		  struct plan *p)
{
	p->start = 0;
	p->verdict = PLAN_STEADY;
	p->failed_at = n;
	memset(p->retire, 0, n * sizeof(*p->retire));
	if (!s->paused) {
		for (size_t i = 0; i < n; i++) {
			/* A new replica that ended fails the deploy before it is
			 * cleared away: replacing it would try the same again. */
			if (s->pending && is_cur_failed(s, &r[i]) && !r[i].retiring &&
			    p->failed_at == n)
				p->failed_at = i;
			if (!r[i].retiring && r[i].life == PLAN_DOWN)
				p->retire[i] = true;
		}
		if (p->failed_at < n) {
			p->verdict = PLAN_FAILED;
		} else {
			bool upgrading = false;

			for (size_t i = 0; i < n; i++)
				upgrading |= live(&r[i], p->retire, i) && is_old(s, &r[i]);
			if (upgrading)
				rolling(s, r, n, p);
			else
				steady(s, r, n, p);
			p->verdict = verdict(s, r, n, p);
		}
	}
	for (size_t i = 0; i < n; i++)
		p->route[i] = !r[i].retiring && !p->retire[i] && healthy(&r[i]);
}
