/* `-v SOURCE:DESTINATION[:ro|rw]` for `berth run`: SOURCE is an absolute
 * host path (a bind mount) or a volume name.  Named volumes are created
 * when missing, and an empty one first gets what the image holds at
 * DESTINATION (docker's copy-up). */
#ifndef BERTH_VOLUME_VOLUME_MOUNT_H
#define BERTH_VOLUME_VOLUME_MOUNT_H

#include <stdbool.h>

#include "common/error.h"

struct volume_spec {
	char *source; /* host path or volume name */
	char *dest;   /* absolute, not "/" */
	bool ro;
	bool named;   /* source is a volume name */
};

/* Pure: split and check one -v argument; errors quote it. */
int volume_spec_parse(const char *spec, struct volume_spec *out, berr_t *err);
void volume_spec_clear(struct volume_spec *s);

/* specs with every named volume replaced by "<its _data>:DEST[:ro]",
 * ready for a bind mount (malloc'd strv in *out).  rootfs is the
 * container's mounted root, the source of the copy-up.  When a volume is
 * named, *lock holds <root>/volumes/.lock shared: keep it until the
 * container's config.json is written, so `volume rm` either sees the
 * container as a user or finishes before the run uses the volume. */
int volume_run_specs(const char *root, const char *rootfs, char *const *specs, char ***out,
		     int *lock, berr_t *err);

#endif
