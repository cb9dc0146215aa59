/* Kept containers (everything but `run --rm` in the foreground): their
 * records in the store and their names.
 *
 *   <root>/containers/<id>/container.json   what was asked for (docker's
 *                                           inspect fields: Config, HostConfig)
 *   <root>/containers/<id>/monitor.conf     the same, for berth-monitor
 *   <root>/containers/<id>/state.json       written by the monitor
 *   <root>/containers/<id>/container.log    the log, rotated (.1, .2, ...)
 *   <root>/container-names/<name> → <id>    a symlink: names are unique
 *                                           because symlink() is atomic
 *   <run-root>/containers/<id>/             monitor.sock, stdout, stderr */
#ifndef BERTH_CONTAINER_RECORD_H
#define BERTH_CONTAINER_RECORD_H

#include <jansson.h>
#include <limits.h>

#include "common/error.h"

#define CONTAINER_ID_LEN 64

struct container_paths {
	char id[CONTAINER_ID_LEN + 1];
	char dir[PATH_MAX];     /* <root>/containers/<id> */
	char run_dir[PATH_MAX]; /* <run-root>/containers/<id> */
};

int container_paths(const char *root, const char *run_root, const char *id,
		    struct container_paths *p, berr_t *err);

/* docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 characters. */
int container_name_check(const char *name, berr_t *err);

/* Give id the name; taken names are an error naming the holder. */
int container_name_reserve(const char *root, const char *name, const char *id,
			   berr_t *err);
/* Drop the name if it still points at id. */
void container_name_release(const char *root, const char *name, const char *id);

/* A name, a full id or an unambiguous id prefix to the full id. */
int container_lookup(const char *root, const char *ref, char id[CONTAINER_ID_LEN + 1],
		     berr_t *err);

/* Ids of every kept container (with a container.json), oldest first. */
int container_list(const char *root, char ***ids, berr_t *err);

/* <dir>/lock, flock'd exclusively: start, stop, rm and rename of one
 * container take turns (two starts would make two monitors). */
int container_lock(const char *dir, int *fd, berr_t *err);

int container_record_write(const char *dir, json_t *rec, berr_t *err);
int container_record_load(const char *dir, json_t **rec, berr_t *err);

/* state.json, or NULL in *state when the monitor never wrote one. */
int container_state_load(const char *dir, json_t **state, berr_t *err);

#endif
