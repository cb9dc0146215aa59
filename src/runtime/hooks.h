/* OCI hooks: each program gets the container's state JSON on stdin and
 * must finish within its timeout. */
#ifndef BERTH_RUNTIME_HOOKS_H
#define BERTH_RUNTIME_HOOKS_H

#include "common/error.h"
#include "runtime/spec.h"

/* Run every hook of kind in order; the first failure stops the list. */
int hooks_run(const struct spec *spec, enum spec_hook_kind kind,
	      const char *state_json, berr_t *err);

/* poststart and poststop: every hook runs; a failure is a warning (the
 * runtime spec: the lifecycle continues as if it had succeeded). */
void hooks_run_warn(const struct spec *spec, enum spec_hook_kind kind,
		    const char *state_json);

#endif
