/* Garbage collection of the image store (see gc.c for its safety). */
#ifndef BERTH_IMAGE_GC_H
#define BERTH_IMAGE_GC_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "image/store.h"

struct gc_stats {
	size_t blobs;   /* blobs removed */
	size_t layers;  /* unpacked layers removed */
	uint64_t bytes; /* bytes of the removed blobs */
};

/* Remove what no image, name or container references.  store_gc takes
 * the store lock exclusively; store_gc_locked expects the caller to hold
 * it so (rmi and prune decide and collect under one lock). */
int store_gc(struct store *s, struct gc_stats *st, berr_t *err);
int store_gc_locked(struct store *s, struct gc_stats *st, berr_t *err);

#endif
