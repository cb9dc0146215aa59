/* One run of a kept container, as its monitor asks for it (`berth __start`
 * and `berth __cleanup`): the root filesystem mounted again if a previous
 * stop unmounted it, the runtime's leftovers of the previous run removed,
 * the container created and started with this process's stdio; and, when
 * the container is gone for good, everything of it but its record and
 * writable layer released. */
#ifndef BERTH_CONTAINER_INSTANCE_H
#define BERTH_CONTAINER_INSTANCE_H

#include "common/error.h"
#include "runtime/container.h"

/* The runtime's state root for containers of run_root. */
int instance_runtime_root(const char *run_root, char *buf, size_t len, berr_t *err);

/* A signal to the running container's init, through the runtime (which
 * checks the init is still the one it started). */
int instance_signal(const char *run_root, const char *id, int sig, berr_t *err);

int instance_start(const char *root, const char *run_root, const char *id,
		   struct created *out, berr_t *err);

/* With remove (a --rm container) the record, name and directory go too. */
int instance_cleanup(const char *root, const char *run_root, const char *id, berr_t *err);

/* Remove a stopped kept container: its directories and name. */
int instance_remove(const char *root, const char *run_root, const char *id, berr_t *err);

#endif
