/* The container's filesystem view, built inside its new mount namespace:
 * rootfs bind, the config's mounts (each destination resolved inside the
 * rootfs so a symlink cannot point a mount at the host), devices,
 * pivot_root, then masked and read-only paths. */
#ifndef BERTH_RUNTIME_ROOTFS_H
#define BERTH_RUNTIME_ROOTFS_H

#include "common/error.h"
#include "runtime/init.h"

/* Before pivot_root: propagation and the rootfs bound onto itself
 * (ctx->rootfd opened on it); done with the host identity the init
 * starts with, which can still reach the rootfs path. */
int rootfs_bind(struct init_ctx *ctx, berr_t *err);

/* Then, as the container's root: the config's mounts and devices. */
int rootfs_populate(struct init_ctx *ctx, berr_t *err);

/* pivot_root (or MS_MOVE + chroot with --no-pivot) and drop the old root. */
int rootfs_pivot(const struct init_ctx *ctx, berr_t *err);

/* After pivot_root: masked and read-only paths, read-only root. */
int rootfs_finish(const struct init_ctx *ctx, berr_t *err);

/* Open path inside the rootfs (never leaving it), creating missing
 * directories, and the last component as a directory or an empty file. */
int rootfs_open_dest(int rootfd, const char *path, bool dir, berr_t *err);

#endif
