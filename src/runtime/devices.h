/* Device nodes in the container's /dev: the default set every container
 * gets (null, zero, full, random, urandom, tty) plus linux.devices, and the
 * device cgroup rules that let the container use exactly those. */
#ifndef BERTH_RUNTIME_DEVICES_H
#define BERTH_RUNTIME_DEVICES_H

#include <stdbool.h>

#include "common/error.h"
#include "runtime/spec.h"

/* Create the nodes and /dev symlinks under rootfd (before pivot_root).
 * In a user namespace mknod is refused, so host nodes are bound instead. */
int devices_create(const struct spec *spec, int rootfd, bool in_userns,
		   berr_t *err);

/* The config's device rules followed by allow rules for the default and
 * configured devices (as runc adds them); free with free(). */
int devices_cgroup_rules(const struct spec *spec,
			 struct spec_device_rule **rules, size_t *n,
			 berr_t *err);

#endif
