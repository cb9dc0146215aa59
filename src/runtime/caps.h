/* Linux capabilities: names, and the sequence that leaves a process with
 * exactly the five sets the config asks for. */
#ifndef BERTH_RUNTIME_CAPS_H
#define BERTH_RUNTIME_CAPS_H

#include <stdint.h>

#include "common/error.h"
#include "runtime/spec.h"

/* Highest capability the running kernel knows. */
int caps_last_cap(void);

/* Drop every capability not in the bounding set.  Needs CAP_SETPCAP, so it
 * runs before the user switch. */
int caps_drop_bounding(const struct spec_caps *caps, berr_t *err);

/* Set effective, permitted and inheritable, then raise the ambient ones.
 * Runs after setuid (with PR_SET_KEEPCAPS kept on across it). */
int caps_apply(const struct spec_caps *caps, berr_t *err);

#endif
