/* A container's record under the runtime root (runc's --root):
 *
 *   <root>/<id>/state.json   written atomically by create, read by all verbs
 *   <root>/<id>/config.json  the config as parsed at create, for exec/update
 *   <root>/<id>/exec.fifo    exists from create until start
 *
 * The status is never stored: it is derived from the init process (alive,
 * same start time), the fifo and the freezer, so a crash cannot leave a
 * stale status behind. */
#ifndef BERTH_RUNTIME_STATE_H
#define BERTH_RUNTIME_STATE_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

#define STATE_DEFAULT_ROOT "/run/berth/runtime"

enum container_status {
	STATUS_CREATING,
	STATUS_CREATED,
	STATUS_RUNNING,
	STATUS_PAUSED,
	STATUS_STOPPED,
};

struct container_state {
	char *id;
	char *bundle;
	char *rootfs;
	char *created;      /* RFC 3339 with nanoseconds, UTC */
	char *owner;
	char *oci_version;
	char *cgroup_root;  /* where the cgroup manager found cgroupfs */
	char *cgroup_path;
	pid_t pid;
	uint64_t pid_start; /* start time of pid, to detect pid reuse */
	json_t *annotations;
};

const char *status_name(enum container_status s);

/* runc's rule: letters, digits, '_', '+', '-', '.', not "." or "..". */
int state_check_id(const char *id, berr_t *err);

/* Create <root>/<id>; an existing one is "already exists". */
int state_dir_create(const char *root, const char *id, int *dirfd,
		     berr_t *err);
int state_dir_open(const char *root, const char *id, int *dirfd, berr_t *err);
int state_dir_remove(const char *root, const char *id, berr_t *err);

int state_save(int dirfd, const struct container_state *st, berr_t *err);
int state_load(const char *root, const char *id, struct container_state *st,
	       berr_t *err);
void state_clear(struct container_state *st);

/* Derive the status (see above). */
enum container_status state_status(const char *root,
				   const struct container_state *st);

/* The OCI state object (ociVersion, id, status, pid, bundle, annotations)
 * plus runc's rootfs, created and owner. */
json_t *state_to_json(const struct container_state *st,
		      enum container_status status);

/* "2026-11-22T00:11:15.123456789Z" for now. */
char *state_timestamp(void);

#endif
