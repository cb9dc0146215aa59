/* --userns=auto: each container gets its own range of host ids, so root
 * in one container is an unprivileged, unshared uid on the host.  Ranges
 * are recorded in <store>/containers/<id>/userns and are free again when
 * the container's directory is removed. */
#ifndef BERTH_CONTAINER_USERNS_H
#define BERTH_CONTAINER_USERNS_H

#include <stdint.h>

#include "common/error.h"

struct userns_range {
	uint32_t base, size; /* size 0: the host's user namespace */
};

/* "host" or "auto[:size=N]" into r->size (base still 0). */
int userns_parse(const char *arg, struct userns_range *r, berr_t *err);

/* Pick the lowest free range of r->size ids and record it in
 * <containers>/<id>/userns, under a lock so concurrent runs differ. */
int userns_allocate(const char *containers, const char *id,
		    struct userns_range *r, berr_t *err);

#endif
