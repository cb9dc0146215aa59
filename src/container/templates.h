/* Start-time templates: configuration that differs per environment is
 * rendered when a container starts, not baked into its image.  The image
 * label org.berth.templates lists template files (absolute paths ending
 * in .tmpl, separated by commas); each is rendered with the container's
 * environment into the same path without .tmpl, in the container's
 * writable layer, before its command runs.  In a template only ${NAME},
 * ${NAME:-default} (and the other forms of common/words.h) and "$$" are
 * special; ${NAME} with NAME unset stops the container with an error
 * naming the file, line and variable. */
#ifndef BERTH_CONTAINER_TEMPLATES_H
#define BERTH_CONTAINER_TEMPLATES_H

#include <jansson.h>

#include "common/error.h"

#define TEMPLATES_LABEL "org.berth.templates"

/* labels: the image's; env: the container's ["K=V", ...]. */
int templates_render(json_t *labels, json_t *env, const char *rootfs, berr_t *err);

#endif
