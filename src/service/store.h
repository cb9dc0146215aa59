/* berthd's desired state: services, their revisions and events, in SQLite
 * (WAL) at <root>/berthd.db.
 *
 * Every change is one transaction, so a crash (SIGKILL, power loss with
 * synchronous=FULL) leaves the last committed state; two processes
 * writing at once wait for each other (busy timeout) instead of failing
 * or corrupting.  Definitions and digests are stored as the JSON text
 * the caller gives (service_json_dump); they must be JSON objects. */
#ifndef BERTH_SERVICE_STORE_H
#define BERTH_SERVICE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define SVC_STORE_FILE "berthd.db"
#define SVC_STORE_SCHEMA_VERSION 3
/* How long a writer waits for another one before giving up. */
#define SVC_STORE_BUSY_MS 10000

/* pending: current but not (yet) running healthy; active: it ran healthy;
 * failed: its deploy failed; rolled-back: it was current and a rollback
 * moved away from it. */
enum rev_status { REV_PENDING, REV_ACTIVE, REV_FAILED, REV_ROLLED_BACK };

struct svc_store;

struct svc_revision {
	char *service;
	int64_t number;     /* 1, 2, ... per service */
	char *definition;   /* JSON object */
	char *digests;      /* JSON object: image reference -> digest */
	int64_t created;    /* Unix seconds */
	enum rev_status status;
};

struct svc_info {
	char *name;
	int64_t current;    /* the current revision's number */
	bool paused;        /* supervision paused (berth service pause) */
	int64_t scale;      /* replicas set by berth scale; -1: the definition's */
};

struct svc_event {
	int64_t id;         /* increasing; a stream resumes after the last id seen */
	int64_t time;       /* Unix seconds */
	char *service;      /* NULL for events about no one service */
	char *kind;
	char *message;
};

/* Open (creating <root> and the database if needed) and migrate the schema
 * to SVC_STORE_SCHEMA_VERSION; a database from a newer berth is refused. */
int svc_store_open(const char *root, struct svc_store **out, berr_t *err);
void svc_store_close(struct svc_store *st);

/* In one transaction: revision N+1 of service (created with the service
 * when new) with status pending, made current, and a "deploy" event.
 * *number gets N+1. */
int svc_store_deploy(struct svc_store *st, const char *service, const char *definition,
		     const char *digests, int64_t *number, berr_t *err);

/* In one transaction: the current revision becomes rolled-back, revision
 * to (0: the newest active one before the current) becomes current and
 * pending, and a "rollback" event.  *number gets the new current. */
int svc_store_rollback(struct svc_store *st, const char *service, int64_t to, int64_t *number,
		       berr_t *err);

/* Set a revision's status, with a "status" event. */
int svc_store_set_status(struct svc_store *st, const char *service, int64_t number,
			 enum rev_status status, berr_t *err);

int svc_store_set_paused(struct svc_store *st, const char *service, bool paused, berr_t *err);

/* berth scale: the replica count from now on, whatever the revision;
 * -1 gives the count back to the definition. */
int svc_store_set_scale(struct svc_store *st, const char *service, int64_t replicas,
			berr_t *err);

/* The service and its revisions go; its events stay, with a "delete" one. */
int svc_store_delete(struct svc_store *st, const char *service, berr_t *err);

/* The current revision; an unknown service is an error (errno ENOENT). */
int svc_store_current(struct svc_store *st, const char *service, struct svc_revision *out,
		      berr_t *err);

/* Every revision of service, newest first. */
int svc_store_history(struct svc_store *st, const char *service, struct svc_revision **out,
		      size_t *n, berr_t *err);

/* Every service, by name. */
int svc_store_services(struct svc_store *st, struct svc_info **out, size_t *n, berr_t *err);

/* Append an event (service may be NULL); *id (may be NULL) gets its id. */
int svc_store_event(struct svc_store *st, const char *service, const char *kind,
		    const char *message, int64_t *id, berr_t *err);

/* At most limit events with an id above after, oldest first: a stream
 * calls it again with the last id it got. */
int svc_store_events_since(struct svc_store *st, int64_t after, size_t limit,
			   struct svc_event **out, size_t *n, berr_t *err);

const char *rev_status_name(enum rev_status s);

void svc_revision_clear(struct svc_revision *r);
void svc_revisions_free(struct svc_revision *r, size_t n);
void svc_infos_free(struct svc_info *s, size_t n);
void svc_events_free(struct svc_event *e, size_t n);

#endif
