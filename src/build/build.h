/* `berth build`: a Dockerfile and its context into an image in the store.
 * Stages run in order; RUN steps are containers of the stage so far (the
 * runtime in this process), COPY and ADD write into an overlay of it, and
 * each step's writable layer becomes an image layer.  Every step's result
 * is cached (build/cache.h). */
#ifndef BERTH_BUILD_BUILD_H
#define BERTH_BUILD_BUILD_H

#include <stdbool.h>

#include "common/error.h"
#include "image/store.h"

struct build_opts {
	const char *context;    /* directory */
	const char *dockerfile; /* NULL: <context>/Dockerfile */
	char **tags;            /* names for the image; may be NULL */
	char **build_args;      /* "K=V", or "K" taken from the environment */
	char **labels;          /* "K=V" added to the image's labels */
	const char *target;     /* the stage to build; NULL: the last one */
	const char *network;    /* RUN steps: "host" (default) or "none" */
	bool no_cache, quiet;
	const char *store_root, *run_root;
	/* FROM and COPY --from of an image not in the store: fetch it (the
	 * CLI runs the registry client) and give its manifest digest; NULL:
	 * a missing image is an error. */
	int (*pull)(void *ctx, const char *ref, char manifest[DIGEST_MAX], berr_t *err);
	void *pull_ctx;
};

/* On success, id is the image id (config digest) and manifest its
 * manifest digest. */
int build_image(const struct build_opts *o, char id[DIGEST_MAX],
		char manifest[DIGEST_MAX], berr_t *err);

#endif
