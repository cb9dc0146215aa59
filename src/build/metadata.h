/* The instructions that change only an image's config (ENV, LABEL, CMD,
 * ENTRYPOINT, WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL, HEALTHCHECK,
 * SHELL, ONBUILD, MAINTAINER), applied as docker applies them.  Used by
 * `berth build` and by `berth import --change`. */
#ifndef BERTH_BUILD_METADATA_H
#define BERTH_BUILD_METADATA_H

#include <jansson.h>
#include <stdbool.h>

#include "build/dockerfile.h"
#include "common/words.h"
#include "common/error.h"

struct stage_meta {
	json_t *doc;    /* the whole image config document (not owned) */
	json_t *config; /* its "config" object */
	bool cmd_set;   /* a CMD in this stage: ENTRYPOINT then keeps it */
};

bool metadata_instruction(const char *keyword);

/* Apply one instruction; variables expand through w (ENV's own values
 * included).  Errors say what is wrong with the arguments; the caller
 * adds the file and line. */
int metadata_apply(struct stage_meta *m, const struct df_instruction *in,
		   const struct words_opts *w, berr_t *err);

/* The stage's SHELL (default /bin/sh -c) followed by cmd: a shell form's
 * argv.  NULL when out of memory. */
json_t *metadata_shell_form(const struct stage_meta *m, const char *cmd);

/* A variable of the config's Env, or NULL. */
const char *metadata_env(const struct stage_meta *m, const char *name);

#endif
