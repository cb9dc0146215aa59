/* Bind-mount sources opened by the runtime, before the container exists,
 * as detached mount trees (open_tree).  The init attaches them with
 * move_mount: a source the container's user namespace could not even
 * reach still mounts, and an idmapping (OCI idmap/ridmap) is set on the
 * detached tree before it is attached. */
#ifndef BERTH_RUNTIME_MOUNT_SOURCES_H
#define BERTH_RUNTIME_MOUNT_SOURCES_H

#include <stddef.h>

#include "common/error.h"
#include "runtime/spec.h"

/* One fd per mount (-1 for mounts that are not binds, or when the kernel
 * lacks open_tree: the init then binds by path). */
int mount_sources_open(const struct spec *spec, const char *bundle, int **fds,
		       berr_t *err);
void mount_sources_close(int *fds, size_t n);

/* The path of a bind source: absolute, or relative to the bundle. */
char *mount_source_path(const char *bundle, const char *source);

#endif
