/* berthd: the services layer's supervisor.  One process, one thread, one
 * epoll loop: everything slow (starting, stopping and probing replicas)
 * is a child process running the berth binary, reaped through a signalfd,
 * so the loop never blocks on a container and the API always answers.
 *
 * What berthd knows in memory (replicas' health, drains in progress) it
 * can lose at any moment: the desired state is in SQLite (service/store.h)
 * and the replicas are found again by their names, <service>.<revision>.<n>. */
#ifndef BERTH_DAEMON_DAEMON_H
#define BERTH_DAEMON_DAEMON_H

#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "service/definition.h"
#include "service/health.h"
#include "service/store.h"

struct api;
struct proxy_client;

enum retire_phase { RETIRE_NONE, RETIRE_DRAIN, RETIRE_STOP, RETIRE_REMOVE };

struct replica {
	char id[65];
	char name[256];
	char *service;
	int64_t rev, n;
	char status[16];      /* the container's: running, restarting, exited, ... */
	char ip[INET_ADDRSTRLEN];
	bool seen;            /* found by the last scan */
	bool has_check;
	struct health_state health;
	bool probed;          /* at least one probe result */
	bool ever_healthy;
	bool crashed;         /* seen restarting or ended before it was ever healthy */
	pid_t probe_pid;
	uint64_t probe_deadline_ns, next_probe_ns;
	uint64_t fail_counted_ns; /* the last failure that counted (once per interval) */
	uint64_t first_seen_ns, ready_deadline_ns;
	enum retire_phase retire;
	uint64_t drain_until_ns;
	pid_t job_pid;        /* its stop or rm */
	bool routed;
};

struct svc {
	char *name;
	struct service def;   /* of the current revision */
	char *digests;        /* JSON object text */
	int64_t rev;
	enum rev_status status;
	bool paused;
	int64_t scale;        /* -1: def.replicas */
	bool can_rollback;    /* an older revision ran healthy */
	bool adopting;        /* found by a new berthd: no decision before every replica is probed */
	bool deleting;        /* DELETE asked: retire everything, then forget it */
	uint64_t last_batch_ns, monitor_until_ns, next_start_ns;
	unsigned failures;    /* replacements in a row, for the backoff */
	int starting;         /* `berth run` children in flight */
	int64_t next_n;
	char *failure;        /* why the last deploy failed (NULL: none since berthd started) */
	char *routes;         /* the proxy configuration last sent, JSON text */
	unsigned routes_gen;  /* ... on this connection to the proxy */
	uint64_t deploys, restarts;
};

struct berthd {
	const char *root, *run_root;
	char berth[PATH_MAX];       /* the berth binary next to berthd */
	char proxy_bin[PATH_MAX];
	bool init;                  /* replicas get --init (berth is static) */
	struct svc_store *store;
	struct svc *svcs;
	size_t n_svcs;
	struct replica *reps;
	size_t n_reps;
	struct proxy_client *proxy;
	struct api *api;
	int epfd, sigfd, timerfd;
	bool stopping;
	uint64_t now_ns;            /* CLOCK_MONOTONIC, read once per turn */
};

uint64_t berthd_now(void);

/* Services (svcs.c): load the desired state from the store. */
int svcs_load(struct berthd *d, bool adopting, berr_t *err);
struct svc *svc_find(struct berthd *d, const char *name);
int64_t svc_replicas(const struct svc *s);
void svcs_free(struct berthd *d);

/* Replicas (replicas.c): find the containers of every service. */
int replicas_scan(struct berthd *d, berr_t *err);
void replicas_free(struct berthd *d);
/* The tracked replica with container id id, or NULL. */
struct replica *replica_find(struct berthd *d, const char *id);

/* Supervision (supervise.c): one turn for every service. */
void supervise(struct berthd *d);
void replica_job_ended(struct berthd *d, struct replica *r, int code);

/* An event in the store, logged on stderr too. */
void berthd_event(struct berthd *d, const char *service, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
