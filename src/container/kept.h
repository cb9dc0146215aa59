/* Turning a prepared container (foreground.h) into a kept one: its record
 * (container.json, docker's inspect fields), its monitor.conf, its name,
 * its run directory.  The monitor is spawned afterwards. */
#ifndef BERTH_CONTAINER_KEPT_H
#define BERTH_CONTAINER_KEPT_H

#include "common/error.h"
#include "container/foreground.h"
#include "container/run_options.h"

int kept_create(struct fg_container *c, const struct run_options *o, const char *image_ref,
		const char *run_root, berr_t *err);

/* monitor.conf's text for o (the image's StopSignal when o has none). */
int kept_monitor_conf(const struct run_options *o, const struct image *img, char *buf,
		      size_t len, berr_t *err);

#endif
