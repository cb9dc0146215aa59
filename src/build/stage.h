/* One stage of a build: the image it grows (config document, layers,
 * history) from its FROM to its last instruction, and the image it is
 * committed as. */
#ifndef BERTH_BUILD_STAGE_H
#define BERTH_BUILD_STAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "build/metadata.h"
#include "common/error.h"
#include "image/image.h"
#include "image/store.h"

struct stage {
	char *name;      /* "AS name", or NULL */
	json_t *doc;     /* the image config document being built */
	char **layers;   /* layer blob digests, base first, NULL-terminated */
	size_t n_layers;
	struct stage_meta meta;
	struct image view; /* layers and config as an image, for running */
};

/* FROM ref (an image in the store; id gets its image id) or scratch. */
int stage_from_image(struct stage *st, struct store *s, const char *ref,
		     char id[DIGEST_MAX], berr_t *err);
void stage_from_scratch(struct stage *st);
void stage_clear(struct stage *st);

/* Add a layer (an uncompressed layer blob: its digest is its diff id)
 * with the history entry of the instruction that made it. */
int stage_add_layer(struct stage *st, const char *blob, const char *created_by,
		    berr_t *err);
/* A history entry of an instruction that changed only the config. */
int stage_add_history(struct stage *st, const char *created_by, berr_t *err);

/* The stage as an image to run a step in: view's layers and config are
 * the stage's (valid until the stage changes). */
int stage_view(struct stage *st, berr_t *err);

/* Store the config and an OCI manifest; the image's manifest digest and
 * id (config digest). */
int stage_commit(struct stage *st, struct store *s, char manifest[DIGEST_MAX],
		 char id[DIGEST_MAX], berr_t *err);

#endif
