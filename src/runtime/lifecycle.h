/* Shared by delete and by run, which removes its container in-process. */
#ifndef BERTH_RUNTIME_LIFECYCLE_H
#define BERTH_RUNTIME_LIFECYCLE_H

#include "common/error.h"
#include "runtime/cgroup.h"
#include "runtime/spec.h"
#include "runtime/state.h"

/* Remove a container whose init has exited: processes left in its
 * cgroup, the cgroup, then the poststop hooks and the state dir.  With
 * force, a cgroup that cannot be removed is only a warning. */
int lifecycle_remove(const char *root, const struct container_state *st,
		     const struct spec *spec, struct cgroup *cg, bool force,
		     berr_t *err);

#endif
