/* When a container that ended is started again: docker's restart policies
 * with a backoff that never hammers the host.  Pure logic, shared by the
 * monitor (built against musl) and the unit tests. */
#ifndef BERTH_MONITOR_BACKOFF_H
#define BERTH_MONITOR_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

enum restart_mode { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS, RESTART_UNLESS_STOPPED };

struct restart_policy {
	enum restart_mode mode;
	unsigned max_retries;   /* on-failure:N; 0: no limit */
	uint64_t delay_ns;      /* first retry after this (the floor) */
	uint64_t max_delay_ns;  /* the cap */
	double multiplier;      /* each failure in a row multiplies the delay */
	uint64_t reset_ns;      /* up this long: the next failure starts at the floor */
};

#define BACKOFF_DEFAULT_DELAY_NS (100ull * 1000 * 1000)
#define BACKOFF_DEFAULT_MAX_NS (300ull * 1000 * 1000 * 1000)
#define BACKOFF_DEFAULT_MULTIPLIER 2.0
#define BACKOFF_DEFAULT_RESET_NS (10ull * 1000 * 1000 * 1000)
/* Each delay is stretched by up to this fraction, at random, so that
 * containers failing together do not restart in lockstep. */
#define BACKOFF_JITTER 0.1
/* No delay or window is longer than a year. */
#define BACKOFF_MAX_NS (365ull * 24 * 3600 * 1000 * 1000 * 1000)

void restart_policy_default(struct restart_policy *p);

const char *restart_mode_name(enum restart_mode m);

/* "no", "on-failure[:N]", "always", "unless-stopped"; -1 on anything else. */
int restart_policy_parse_mode(const char *text, struct restart_policy *p);

/* Whether a container that exited with code (after restarts restarts so
 * far) is started again.  A stop asked for by a user is never undone. */
bool restart_wanted(const struct restart_policy *p, int code, unsigned restarts,
		    bool stopped_by_user);

/* The delay before retry number attempt (0 for the first failure in a
 * row); unit in [0, 1) draws the jitter. */
uint64_t backoff_delay(const struct restart_policy *p, unsigned attempt, double unit);

/* The attempt number for the delay after a run of ran_ns, attempt being
 * the failures in a row so far: a run that lasted the reset window starts
 * again from the floor. */
unsigned backoff_attempt(const struct restart_policy *p, unsigned attempt, uint64_t ran_ns);

/* Upper bound on how many times a container that fails at once is started
 * within horizon_ns (the first start included), whatever the jitter. */
unsigned backoff_max_starts(const struct restart_policy *p, uint64_t horizon_ns);

#endif
