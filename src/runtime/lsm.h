/* AppArmor profiles and SELinux labels.  Applied when the host runs the
 * security module; accepted with a warning when it does not, so a config
 * written for another host still runs here. */
#ifndef BERTH_RUNTIME_LSM_H
#define BERTH_RUNTIME_LSM_H

#include <stdbool.h>

#include "common/error.h"
#include "runtime/spec.h"

/* Which modules the host runs: probed by the runtime on the host, never
 * from inside the container (whose /sys and /proc it controls). */
struct lsm_host {
	bool apparmor, selinux;
};

void lsm_probe(struct lsm_host *host);

/* At create: warn about labels this host cannot apply. */
void lsm_warn_unsupported(const struct spec *spec, const struct lsm_host *host);

/* Just before execve: label the process.  The attribute file must be on a
 * real procfs: a container that fakes its /proc gets an error, not a
 * silently unlabelled process. */
int lsm_apply_exec_label(const struct spec_process *p,
			 const struct lsm_host *host, berr_t *err);

#endif
