/* Health checks for the services layer: one probe of a container (a
 * command inside it, an HTTP GET or a TCP connect), and the pure state
 * machine that turns a series of probe results into docker's health
 * status (starting, healthy, unhealthy, FailingStreak, the last results).
 * berthd schedules the probes; `berth healthcheck` runs one by hand. */
#ifndef BERTH_SERVICE_HEALTH_H
#define BERTH_SERVICE_HEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

enum health_kind { HEALTH_EXEC, HEALTH_HTTP, HEALTH_TCP };

struct health_check {
	enum health_kind kind;
	char **cmd;          /* exec: argv (CMD-SHELL: "/bin/sh", "-c", line) */
	const char *path;    /* http: request path, "/" when NULL */
	int port;            /* http, tcp */
	int expect_status;   /* http: 0 is any 2xx or 3xx */
	uint64_t timeout_ns; /* one probe; 0 is docker's 30 s */
	uint64_t interval_ns, start_period_ns;
	unsigned retries;    /* consecutive failures to unhealthy; 0 is 3 */
};

/* What is probed: the runtime's container (exec) and where it listens.
 * With an ip the HTTP/TCP probe connects to it from the caller's network
 * namespace (a bridge network); without one it connects to 127.0.0.1
 * from inside the container's (network none or host). */
struct health_target {
	const char *rt_root; /* the runtime's state root */
	const char *id;      /* the runtime's container id */
	pid_t pid;           /* the container's init */
	const char *ip;      /* NULL: 127.0.0.1 in the container's netns */
};

#define HEALTH_OUTPUT_MAX 4096
#define HEALTH_LOG_N 5

struct health_result {
	bool healthy;
	int code;          /* exec: exit code; http: status; tcp: 0; -1 none */
	char output[HEALTH_OUTPUT_MAX + 1]; /* excerpt, or why it failed */
	uint64_t start_ns; /* CLOCK_REALTIME, like docker's Log.Start */
	uint64_t duration_ns;
};

/* One probe.  An unhealthy container is a result (healthy false, the
 * reason in output), not an error: -1 only when the probe could not be
 * made at all (no such container, out of memory). */
int health_probe(const struct health_target *t, const struct health_check *c,
		 struct health_result *out, berr_t *err);

enum health_status { HEALTH_STARTING, HEALTH_HEALTHY, HEALTH_UNHEALTHY };

struct health_state {
	enum health_status status;
	unsigned failing_streak;
	uint64_t started_ns; /* when the container started (start period) */
	unsigned retries;    /* from the check, 0 is 3 */
	uint64_t start_period_ns;
	struct health_result log[HEALTH_LOG_N]; /* oldest first */
	unsigned log_n;
};

void health_state_init(struct health_state *s, const struct health_check *c,
		       uint64_t started_ns);

/* Account one probe result taken at now_ns (same clock as started_ns),
 * as docker does: a success makes the container healthy (ending its
 * start period) and resets the streak; a failure while it is still
 * starting and within the start period does not count; otherwise the
 * streak grows and reaching retries makes it unhealthy. */
void health_update(struct health_state *s, const struct health_result *r,
		   uint64_t now_ns);

const char *health_status_name(enum health_status s);

#endif
