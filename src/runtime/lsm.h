/* AppArmor profiles and SELinux labels.  Applied when the host runs the
 * security module; accepted with a warning when it does not, so a config
 * written for another host still runs here. */
#ifndef BERTH_RUNTIME_LSM_H
#define BERTH_RUNTIME_LSM_H

#include "common/error.h"
#include "runtime/spec.h"

/* At create: warn about labels this host cannot apply. */
void lsm_warn_unsupported(const struct spec *spec);

/* Just before execve: label the process (a no-op without the module). */
int lsm_apply_exec_label(const struct spec_process *p, berr_t *err);

#endif
