/* Shared by the probes of health.c: the clock, the result's text, and
 * a TCP connection to the target. */
#ifndef BERTH_SERVICE_HEALTH_INTERNAL_H
#define BERTH_SERVICE_HEALTH_INTERNAL_H

#include "service/health.h"

/* CLOCK_MONOTONIC in ns: deadlines and durations. */
uint64_t health_mono_ns(void);

/* Milliseconds left until deadline for poll(2), at least 0. */
int health_ms_left(uint64_t deadline);

/* Set out->output (truncated to its size). */
void health_say(struct health_result *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A TCP connection to port at the target: *fd, or -1 with the reason in
 * out->output (unhealthy, not an error) when it cannot be made before
 * deadline; -1 returned only for an error of ours. */
int health_connect(const struct health_target *t, int port, uint64_t deadline,
		   int *fd, struct health_result *out, berr_t *err);

int health_probe_exec(const struct health_target *t, const struct health_check *c,
		      uint64_t deadline, struct health_result *out, berr_t *err);
int health_probe_http(const struct health_target *t, const struct health_check *c,
		      uint64_t deadline, struct health_result *out, berr_t *err);

#endif
