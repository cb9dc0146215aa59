/* The config's "mounts", in order, onto destinations inside the rootfs. */
#ifndef BERTH_RUNTIME_MOUNTS_H
#define BERTH_RUNTIME_MOUNTS_H

#include <stdbool.h>

#include "common/error.h"
#include "runtime/init.h"

/* A cgroup mount first waits for the container's cgroup (init_await_go). */
int mounts_apply(struct init_ctx *ctx, berr_t *err);

/* Create the destinations that lie on the rootfs itself: in a user
 * namespace, done with the host's root identity, before the init becomes
 * the namespace's root (which may not own the rootfs). */
int mounts_make_destinations(const struct init_ctx *ctx, berr_t *err);

/* Remount an existing mount point read-only (plus flags), keeping the
 * flags the kernel locks in a user namespace. */
int mounts_remount(const char *target, unsigned long flags, berr_t *err);

/* True when the config mounts something at dest. */
bool mounts_has_destination(const struct spec *spec, const char *dest);

#endif
