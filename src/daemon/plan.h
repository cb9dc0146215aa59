/* What berthd does next for one service: the pure decision at the heart
 * of reconciliation, rolling upgrades and rollback.
 *
 * berthd describes the service (its current revision, desired replicas,
 * update settings) and every replica it found (which revision, running,
 * healthy, being retired), and gets back how many replicas of the
 * current revision to start, which replicas to retire (drain from the
 * proxy, stop, remove), which receive traffic, and a verdict on a deploy
 * in progress.  Everything needed is in the arguments, so the same
 * decision is taken again after berthd was killed at any point: the
 * desired state is in SQLite and the replicas are found by their names. */
#ifndef BERTH_DAEMON_PLAN_H
#define BERTH_DAEMON_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service/health.h"

enum plan_life {
	PLAN_UP,      /* running or being restarted by its monitor */
	PLAN_DOWN,    /* ended for good (exited, dead, unknown): remove it */
};

struct plan_replica {
	int64_t rev;
	int64_t n;           /* its instance number: higher is newer */
	enum plan_life life;
	bool running;        /* running now (not restarting) */
	enum health_status health;
	bool failed;         /* unhealthy, crashed or not healthy in time */
	bool retiring;       /* already being drained and stopped */
};

enum plan_order { PLAN_START_FIRST, PLAN_STOP_FIRST };

struct plan_service {
	int64_t rev;         /* the current revision */
	bool pending;        /* the current revision has not run healthy yet */
	int replicas;        /* desired */
	int parallelism;     /* >= 1 */
	enum plan_order order;
	bool paused;         /* supervision paused: route only */
	bool batch_ready;    /* update_config.delay has passed since the last batch */
	bool start_ready;    /* the replacement backoff has passed */
	bool monitor_over;   /* the monitor window after the last switch has passed */
	int starting;        /* replicas of the current revision being started */
};

enum plan_verdict {
	PLAN_STEADY,   /* nothing to say */
	PLAN_ROLLING,  /* an upgrade is going on */
	PLAN_MONITOR,  /* every replica is new and healthy: watch the window */
	PLAN_DONE,     /* ... and the window passed: the revision is active */
	PLAN_FAILED,   /* a new replica failed: roll back (or pause) */
};

struct plan {
	int start;           /* replicas of the current revision to start */
	bool *retire;        /* per replica: retire it now */
	bool *route;         /* per replica: send it traffic */
	enum plan_verdict verdict;
	size_t failed_at;    /* PLAN_FAILED: the replica that failed */
};

/* Decide for s and its n replicas; p->retire and p->route must have room
 * for n. */
void plan_service(const struct plan_service *s, const struct plan_replica *r, size_t n,
		  struct plan *p);

#endif
