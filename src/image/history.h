/* The history of an image: the config's "history" entries (every field
 * type-checked, the config comes from archives and registries), each
 * matched with the layer it made. */
#ifndef BERTH_IMAGE_HISTORY_H
#define BERTH_IMAGE_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "image/image.h"
#include "image/store.h"

struct history_entry {
	char *created;    /* RFC 3339 as written, or NULL */
	char *created_by; /* or NULL */
	char *comment;    /* or NULL */
	bool empty_layer; /* made no layer */
	uint64_t size;    /* the layer blob's size; 0 for no layer */
};

/* Oldest first, as in the config.  A config without history gives one
 * entry per layer (created: the image's time), so sizes still show. */
int image_history(struct store *s, const struct image *img,
		  struct history_entry **out, size_t *n, berr_t *err);
void history_free(struct history_entry *h, size_t n);

#endif
