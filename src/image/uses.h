/* Images in use by containers: <store>/containers/<id>/image.json. */
#ifndef BERTH_IMAGE_USES_H
#define BERTH_IMAGE_USES_H

#include <jansson.h>
#include <stddef.h>

#include <stdbool.h>

#include "common/error.h"
#include "image/store.h"

/* Record (atomically; durably when the container is kept) that the
 * container in container_dir uses the image with this manifest digest and
 * id; name may be NULL. */
int image_use_write(const char *container_dir, const char *manifest,
		    const char *id, const char *name, bool durable, berr_t *err);

/* [{"container": id, "manifest": digest, "name": name or absent}] for
 * every container that recorded its image.  A damaged record is an error
 * naming it: guessing could let an image in use be collected. */
int image_uses_list(struct store *s, json_t **uses, berr_t *err);

/* "<id12> (<name>)" of the first container in uses using manifest,
 * written to buf; NULL when none does. */
const char *image_user(json_t *uses, const char *manifest, char *buf, size_t len);

#endif
