/* Typed access to jansson values with errors that name the field by its
 * path in the document ("process.user.uid: expected an integer"). */
#ifndef BERTH_COMMON_JSON_H
#define BERTH_COMMON_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/strv.h"

/* The path of child key under parent path ("process" + "cwd"). */
struct jpath {
	char buf[256];
};

const char *jpath_key(struct jpath *p, const char *parent, const char *key);
const char *jpath_index(struct jpath *p, const char *parent, size_t index);

const char *json_type_name(const json_t *v);

/* Each getter looks up key in obj (which may be NULL: treated as absent).
 * Absent keys are an error when required, else leave *out untouched and
 * return 0.  Returns 1 when the key was present and valid. */
int jget_object(json_t *obj, const char *key, const char *where,
		bool required, json_t **out, berr_t *err);
int jget_array(json_t *obj, const char *key, const char *where,
	       bool required, json_t **out, berr_t *err);
int jget_string(json_t *obj, const char *key, const char *where,
		bool required, char **out, berr_t *err);
int jget_bool(json_t *obj, const char *key, const char *where,
	      bool *out, berr_t *err);
int jget_int(json_t *obj, const char *key, const char *where, int64_t min,
	     int64_t max, bool required, int64_t *out, berr_t *err);
/* Unsigned 64-bit: jansson holds integers as int64, so values above
 * INT64_MAX arrive as reals; those are rejected as out of range. */
int jget_uint(json_t *obj, const char *key, const char *where, uint64_t max,
	      bool required, uint64_t *out, berr_t *err);

/* An array of strings as a NULL-terminated vector (empty when absent). */
int jget_strv(json_t *obj, const char *key, const char *where, bool required,
	      char ***out, berr_t *err);

/* Check that v is an object / string / integer in range; where names v
 * itself. */
int jcheck_object(json_t *v, const char *where, berr_t *err);
int jcheck_string(json_t *v, const char *where, char **out, berr_t *err);
int jcheck_int(json_t *v, const char *where, int64_t min, int64_t max,
	       int64_t *out, berr_t *err);


#endif
