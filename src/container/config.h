/* The OCI config of a container made from an image: the runtime's default
 * config, then the image's settings, then the `berth run` flags, applied
 * as docker applies them. */
#ifndef BERTH_CONTAINER_CONFIG_H
#define BERTH_CONTAINER_CONFIG_H

#include <jansson.h>
#include <sys/types.h>

#include "common/error.h"
#include "container/run_options.h"
#include "image/image.h"

/* id names the container (hostname default, cgroup path); rootfs is the
 * mounted root, whose /etc/passwd resolves user names. */
int container_config_build(const struct image_config *img,
			   const struct run_options *o, const char *id,
			   const char *rootfs, json_t **out, berr_t *err);

/* "uid", "uid:gid", "name", "name:group" (or ":group") against the
 * rootfs's /etc/passwd and /etc/group; a numeric uid takes its group
 * from passwd, else 0. */
int container_user_resolve(const char *rootfs, const char *spec, uid_t *uid, gid_t *gid,
			   berr_t *err);

#endif
