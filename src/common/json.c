#include "common/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"

/* Paths longer than the buffer end in "..." rather than failing: they only
 * decorate messages. */
static const char *jpath_done(struct jpath *p, int n)
{
	if (n >= (int)sizeof(p->buf))
		memcpy(p->buf + sizeof(p->buf) - 4, "...", 4);
	return p->buf;
}

const char *jpath_key(struct jpath *p, const char *parent, const char *key)
{
	if (parent && *parent)
		return jpath_done(p, snprintf(p->buf, sizeof(p->buf), "%s.%s",
					      parent, key));
	return jpath_done(p, snprintf(p->buf, sizeof(p->buf), "%s", key));
}

const char *jpath_index(struct jpath *p, const char *parent, size_t index)
{
	return jpath_done(p, snprintf(p->buf, sizeof(p->buf), "%s[%zu]",
				      parent, index));
}

const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "unknown";
}

static int type_error(const char *where, const char *expected, json_t *v,
		      berr_t *err)
{
	return err_set(err, EINVAL, "%s: expected %s, got %s", where, expected,
		       json_type_name(v));
}

/* Looks key up; 0 when absent (error if required), 1 when found.  A JSON
 * null counts as absent, as Go's decoder in runc treats it. */
static int lookup(json_t *obj, const char *key, const char *where,
		  bool required, json_t **v, berr_t *err)
{
	struct jpath p;

	*v = obj ? json_object_get(obj, key) : NULL;
	if (*v && json_is_null(*v))
		*v = NULL;
	if (!*v && required)
		return err_set(err, EINVAL, "%s: required field missing",
			       jpath_key(&p, where, key));
	return *v ? 1 : 0;
}

/* jget_object and jget_array: the same lookup, a different type. */
static int get_typed(json_t *obj, const char *key, const char *where,
		     bool required, json_type type, const char *expected,
		     json_t **out, berr_t *err)
{
	struct jpath p;
	json_t *v;
	int r = lookup(obj, key, where, required, &v, err);

	if (r <= 0)
		return r;
	if (json_typeof(v) != type)
		return type_error(jpath_key(&p, where, key), expected, v, err);
	*out = v;
	return 1;
}

int jget_object(json_t *obj, const char *key, const char *where,
		bool required, json_t **out, berr_t *err)
{
	return get_typed(obj, key, where, required, JSON_OBJECT, "an object",
			 out, err);
}

int jget_array(json_t *obj, const char *key, const char *where,
	       bool required, json_t **out, berr_t *err)
{
	return get_typed(obj, key, where, required, JSON_ARRAY, "an array",
			 out, err);
}

int jcheck_object(json_t *v, const char *where, berr_t *err)
{
	return json_is_object(v) ? 0 : type_error(where, "an object", v, err);
}

int jcheck_string(json_t *v, const char *where, char **out, berr_t *err)
{
	if (!json_is_string(v))
		return type_error(where, "a string", v, err);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return err_set(err, EINVAL, "%s: string contains a NUL byte",
			       where);
	*out = strdup(json_string_value(v));
	if (!*out)
		return err_sys(err, "%s", where);
	return 1;
}

int jget_string(json_t *obj, const char *key, const char *where,
		bool required, char **out, berr_t *err)
{
	struct jpath p;
	json_t *v;
	int r = lookup(obj, key, where, required, &v, err);

	if (r <= 0)
		return r;
	free(*out);
	*out = NULL;
	return jcheck_string(v, jpath_key(&p, where, key), out, err);
}

int jget_bool(json_t *obj, const char *key, const char *where, bool *out,
	      berr_t *err)
{
	struct jpath p;
	json_t *v;
	int r = lookup(obj, key, where, false, &v, err);

	if (r <= 0)
		return r;
	if (!json_is_boolean(v))
		return type_error(jpath_key(&p, where, key), "a boolean", v,
				  err);
	*out = json_is_true(v);
	return 1;
}

int jcheck_int(json_t *v, const char *where, int64_t min, int64_t max,
	       int64_t *out, berr_t *err)
{
	json_int_t n;

	if (json_is_real(v))
		return err_set(err, ERANGE,
			       "%s: %g is not an integer in [%lld, %lld]",
			       where, json_real_value(v), (long long)min,
			       (long long)max);
	if (!json_is_integer(v))
		return type_error(where, "an integer", v, err);
	n = json_integer_value(v);
	if (n < min || n > max)
		return err_set(err, ERANGE, "%s: %lld is out of range [%lld, %lld]",
			       where, (long long)n, (long long)min,
			       (long long)max);
	*out = n;
	return 1;
}

int jget_int(json_t *obj, const char *key, const char *where, int64_t min,
	     int64_t max, bool required, int64_t *out, berr_t *err)
{
	struct jpath p;
	json_t *v;
	int r = lookup(obj, key, where, required, &v, err);

	if (r <= 0)
		return r;
	return jcheck_int(v, jpath_key(&p, where, key), min, max, out, err);
}

int jget_uint(json_t *obj, const char *key, const char *where, uint64_t max,
	      bool required, uint64_t *out, berr_t *err)
{
	int64_t n;
	int64_t cap = max > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)max;
	int r = jget_int(obj, key, where, 0, cap, required, &n, err);

	if (r > 0)
		*out = (uint64_t)n;
	return r;
}

int jget_strv(json_t *obj, const char *key, const char *where, bool required,
	      char ***out, berr_t *err)
{
	struct jpath p, q;
	cleanup_strv char **v = NULL;
	json_t *arr = NULL, *item;
	size_t i;
	int r = jget_array(obj, key, where, required, &arr, err);

	if (r < 0)
		return r;
	v = calloc((arr ? json_array_size(arr) : 0) + 1, sizeof(*v));
	if (!v)
		return err_sys(err, "%s", jpath_key(&p, where, key));
	json_array_foreach(arr, i, item) {
		jpath_key(&p, where, key);
		if (jcheck_string(item, jpath_index(&q, p.buf, i), &v[i],
				  err) < 0)
			return -1;
	}
	strv_free(*out);
	*out = take_ptr(v);
	return r;
}
