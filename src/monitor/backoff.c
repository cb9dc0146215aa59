/* Restart decisions and delays (see backoff.h). */
#include "monitor/backoff.h"

#include <stdlib.h>
#include <string.h>

void restart_policy_default(struct restart_policy *p)
{
	*p = (struct restart_policy){
		.mode = RESTART_NO,
		.delay_ns = BACKOFF_DEFAULT_DELAY_NS,
		.max_delay_ns = BACKOFF_DEFAULT_MAX_NS,
		.multiplier = BACKOFF_DEFAULT_MULTIPLIER,
		.reset_ns = BACKOFF_DEFAULT_RESET_NS,
	};
}

static const char *const names[] = { "no", "on-failure", "always", "unless-stopped" };

const char *restart_mode_name(enum restart_mode m)
{
	return names[m];
}

int restart_policy_parse_mode(const char *text, struct restart_policy *p)
{
	size_t n;

	for (unsigned i = 0; i < sizeof(names) / sizeof(*names); i++) {
		n = strlen(names[i]);
		if (strncmp(text, names[i], n) || (text[n] && text[n] != ':'))
			continue;
		p->mode = (enum restart_mode)i;
		p->max_retries = 0;
		if (!text[n])
			return 0;
		if (p->mode != RESTART_ON_FAILURE)
			return -1;
		char *end;
		unsigned long v = strtoul(text + n + 1, &end, 10);

		if (*end || end == text + n + 1 || text[n + 1] == '-' || v > 1000000)
			return -1;
		p->max_retries = (unsigned)v;
		return 0;
	}
	return -1;
}

bool restart_wanted(const struct restart_policy *p, int code, unsigned restarts,
		    bool stopped_by_user)
{
	if (stopped_by_user)
		return false;
	switch (p->mode) {
	case RESTART_NO:
		return false;
	case RESTART_ON_FAILURE:
		return code != 0 && (!p->max_retries || restarts < p->max_retries);
	case RESTART_ALWAYS:
	case RESTART_UNLESS_STOPPED:
		return true;
	}
	return false;
}

/* floor × multiplier^attempt, capped; computed step by step so that a
 * long streak cannot overflow. */
static uint64_t base_delay(const struct restart_policy *p, unsigned attempt)
{
	double d = (double)p->delay_ns;

	for (unsigned i = 0; i < attempt && d < (double)p->max_delay_ns; i++)
		d *= p->multiplier;
	return d < (double)p->max_delay_ns ? (uint64_t)d : p->max_delay_ns;
}

uint64_t backoff_delay(const struct restart_policy *p, unsigned attempt, double unit)
{
	uint64_t base = base_delay(p, attempt);

	return base + (uint64_t)((double)base * BACKOFF_JITTER * unit);
}

unsigned backoff_attempt(const struct restart_policy *p, unsigned attempt, uint64_t ran_ns)
{
	return ran_ns >= p->reset_ns ? 0 : attempt;
}

/* The jitter only lengthens delays, so the jitter-free schedule of an
 * instant failure is the fastest possible one. */
unsigned backoff_max_starts(const struct restart_policy *p, uint64_t horizon_ns)
{
	uint64_t t = 0;
	unsigned starts = 1;

	for (unsigned attempt = 0;; attempt++) {
		uint64_t d = base_delay(p, attempt);

		if (d == 0 || t + d > horizon_ns)
			return d == 0 ? 0 : starts; /* no delay: no bound */
		t += d;
		starts++;
	}
}
