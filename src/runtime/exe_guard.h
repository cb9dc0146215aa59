/* Protection of the runtime binary from the container (the runc
 * CVE-2019-5736 class).
 *
 * While the init or an exec'd process still runs berth's code inside the
 * container, /proc/<pid>/exe leads to berth's binary.  Making those
 * processes non-dumpable keeps ordinary container processes out; a
 * container granted CAP_SYS_PTRACE without a user namespace passes that
 * check, so for such containers the runtime first re-executes itself from
 * a sealed in-memory copy of its binary: the link then leads to the copy,
 * which cannot be written. */
#ifndef BERTH_RUNTIME_EXE_GUARD_H
#define BERTH_RUNTIME_EXE_GUARD_H

#include <stdbool.h>

#include "common/error.h"
#include "runtime/spec.h"

/* True when processes of this container could reach ours despite
 * non-dumpable (CAP_SYS_PTRACE in the bounding set, no user namespace). */
bool exe_guard_needed(const struct spec *spec, const struct spec_process *p);

/* Unless already running from a sealed copy, re-exec from one with the
 * same arguments and environment.  Returns only when already protected
 * (0) or on failure (-1). */
int exe_guard_ensure(berr_t *err);

#endif
