/* Shared between the files that parse config.json sections. */
#ifndef BERTH_RUNTIME_SPEC_INTERNAL_H
#define BERTH_RUNTIME_SPEC_INTERNAL_H

#include <jansson.h>

#include "common/error.h"
#include "runtime/spec.h"

/* Cap on any array in a config, so a hostile file cannot make the runtime
 * allocate without bound. */
#define SPEC_MAX_ITEMS 65536

/* Cap on config.json itself. */
#define SPEC_MAX_BYTES (16 * 1024 * 1024)

int spec_parse_mounts(json_t *root, struct spec *spec, berr_t *err);
void spec_mounts_free(struct spec *spec);
const char *const *spec_mount_option_names(size_t *n);

int spec_parse_linux(json_t *root, struct spec *spec, berr_t *err);
void spec_linux_free(struct spec_linux *l);

int spec_parse_seccomp(json_t *obj, const char *where,
		       struct spec_seccomp *out, berr_t *err);
void spec_seccomp_free(struct spec_seccomp *s);

int spec_parse_hooks(json_t *root, struct spec *spec, berr_t *err);
void spec_hooks_free(struct spec *spec);

/* Optional scalars: absent leaves out->set false; present sets it. */
int spec_opt_u64(json_t *obj, const char *key, const char *where, uint64_t max,
		 struct opt_u64 *out, berr_t *err);
int spec_opt_i64(json_t *obj, const char *key, const char *where, int64_t min,
		 int64_t max, struct opt_i64 *out, berr_t *err);

/* Allocate a zeroed array for json array arr (n entries + 1 spare) with
 * the size cap applied; where names the array in errors. */
void *spec_alloc_array(json_t *arr, size_t elem, const char *where,
		       berr_t *err);

/* Parse an array of {containerID, hostID, size}. */
int spec_parse_idmaps(json_t *obj, const char *key, const char *where,
		      struct spec_idmap **out, size_t *n, berr_t *err);

/* Parse a string→string object into key/value pairs. */
int spec_parse_kv(json_t *obj, const char *key, const char *where,
		  struct spec_kv **out, size_t *n, berr_t *err);
void spec_kv_free(struct spec_kv *kv, size_t n);

#endif
