/* What a kept container is doing now: its record, the monitor's state.json
 * and whether the monitor is still there. */
#ifndef BERTH_CONTAINER_STATUS_H
#define BERTH_CONTAINER_STATUS_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "container/record.h"

struct container_view {
	struct container_paths paths;
	json_t *rec;   /* container.json */
	json_t *state; /* state.json; an empty object before the monitor wrote one */
	/* created, running, restarting, exited, dead (the monitor is gone
	 * and did not say how the container ended), or unknown (state.json is
	 * damaged). */
	const char *status;
	bool monitor_alive;
	pid_t pid; /* the init while running, else 0 */
	/* state.json could not be read (damaged): status "unknown", and this
	 * says why; the container can still be removed. */
	char *state_error;
};

int container_view_load(const char *root, const char *run_root, const char *id,
			struct container_view *v, berr_t *err);
void container_view_clear(struct container_view *v);

/* Whether the container needs stopping before removal: its monitor runs
 * and has not recorded its end. */
bool container_view_active(const struct container_view *v);

/* Wait (up to timeout_ms) for the monitor's process to be gone: after a
 * stop it closes its socket a moment before it has exited, and after
 * recording "exited" it still releases the container. */
void container_view_await_monitor(struct container_view *v, int timeout_ms);

#endif
