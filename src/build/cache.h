/* The build cache: after each instruction, the state of the stage (its
 * config document, stored as a blob, and its layers) under a key that
 * chains the base image, every instruction so far as expanded, and the
 * content of what COPY and ADD took.  A hit restores that state exactly,
 * so an unchanged rebuild gives the same image id.  Entries live in
 * <store>/build-cache/<key hex>; one whose blobs are gone is a miss. */
#ifndef BERTH_BUILD_CACHE_H
#define BERTH_BUILD_CACHE_H

#include <stdbool.h>

#include "build/stage.h"
#include "common/error.h"
#include "image/sha256.h"
#include "image/store.h"

/* key = sha256(parent, '\0', text, '\0', extra); extra may be NULL. */
int cache_key(const char *parent, const char *text, const char *extra,
	      char key[DIGEST_MAX], berr_t *err);

/* On a hit, st's config and layers become the cached ones. */
int cache_get(struct store *s, const char *key, struct stage *st, bool *hit,
	      berr_t *err);
int cache_put(struct store *s, const char *key, struct stage *st, berr_t *err);

#endif
