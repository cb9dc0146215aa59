/* docker's health status as a pure function of the probe results. */
#include <string.h>

#include "service/health.h"

enum { DEFAULT_RETRIES = 3 };

void health_state_init(struct health_state *s, const struct health_check *c,
		       uint64_t started_ns)
{
	memset(s, 0, sizeof(*s));
	s->status = HEALTH_STARTING;
	s->started_ns = started_ns;
	s->retries = c->retries ? c->retries : DEFAULT_RETRIES;
	s->start_period_ns = c->start_period_ns;
}

/* docker's Log: the last HEALTH_LOG_N results, oldest first. */
static void log_append(struct health_state *s, const struct health_result *r)
{
	if (s->log_n == HEALTH_LOG_N) {
		memmove(&s->log[0], &s->log[1], sizeof(s->log[0]) * (HEALTH_LOG_N - 1));
		s->log_n--;
	}
	s->log[s->log_n++] = *r;
}

void health_update(struct health_state *s, const struct health_result *r,
		   uint64_t now_ns)
{
	log_append(s, r);
	if (r->healthy) {
		s->failing_streak = 0;
		s->status = HEALTH_HEALTHY;
		return;
	}
	if (s->status == HEALTH_STARTING && now_ns >= s->started_ns &&
	    now_ns - s->started_ns < s->start_period_ns)
		return;
	s->failing_streak++;
	if (s->failing_streak >= s->retries)
		s->status = HEALTH_UNHEALTHY;
}

const char *health_status_name(enum health_status st)
{
	static const char *const names[] = { "starting", "healthy", "unhealthy" };

	return names[st];
}
