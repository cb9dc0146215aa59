/* config.json "linux.seccomp": checked against libseccomp's names here so a
 * bad profile fails before anything is created. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"
#include "runtime/spec_internal.h"

static int get_action(json_t *obj, const char *key, const char *where,
		      uint32_t *out, berr_t *err)
{
	cleanup_free char *name = NULL;
	struct jpath p;
	int64_t action;

	if (jget_string(obj, key, where, true, &name, err) < 0)
		return -1;
	action = seccomp_action_from_name(name);
	if (action < 0)
		return err_set(err, EINVAL, "%s: unknown action '%s'",
			       jpath_key(&p, where, key), name);
	*out = (uint32_t)action;
	return 0;
}

static int parse_arg(json_t *item, const char *where,
		     struct spec_seccomp_arg *a, berr_t *err)
{
	cleanup_free char *op = NULL;
	int64_t index;

	if (jcheck_object(item, where, err) < 0)
		return -1;
	if (jget_int(item, "index", where, 0, 5, true, &index, err) < 0 ||
	    jget_uint(item, "value", where, UINT64_MAX, true, &a->value, err) < 0 ||
	    jget_uint(item, "valueTwo", where, UINT64_MAX, false, &a->value_two,
		      err) < 0 ||
	    jget_string(item, "op", where, true, &op, err) < 0)
		return -1;
	a->index = (unsigned)index;
	a->op = seccomp_op_from_name(op);
	if (a->op < 0)
		return err_set(err, EINVAL, "%s.op: unknown operator '%s'", where,
			       op);
	return 0;
}

static int parse_args(json_t *rule, const char *where,
		      struct spec_seccomp_rule *r, berr_t *err)
{
	int found;
	json_t *arr = NULL, *item;
	struct jpath p, q;
	size_t i;

	found = jget_array(rule, "args", where, false, &arr, err);
	if (found <= 0)
		return found;
	where = jpath_key(&p, where, "args");
	/* libseccomp takes at most six conditions per rule. */
	if (json_array_size(arr) > 6)
		return err_set(err, E2BIG, "%s: more than 6 conditions", where);
	r->args = spec_alloc_array(arr, sizeof(*r->args), where, err);
	if (!r->args)
		return -1;
	json_array_foreach(arr, i, item) {
		if (parse_arg(item, jpath_index(&q, where, i), &r->args[i], err) < 0)
			return -1;
		r->n_args = i + 1;
	}
	return 0;
}

static int parse_rule(json_t *item, const char *where,
		      struct spec_seccomp_rule *r, berr_t *err)
{
	cleanup_free char *name = NULL;
	int n;

	if (jcheck_object(item, where, err) < 0)
		return -1;
	if (jget_strv(item, "names", where, false, &r->names, err) < 0)
		return -1;
	/* Profiles of OCI 1.0.0-rc days used a single "name". */
	if (!r->names[0] &&
	    (n = jget_string(item, "name", where, false, &name, err)) != 0) {
		if (n < 0)
			return -1;
		strv_free(r->names);
		r->names = calloc(2, sizeof(char *));
		if (!r->names)
			return err_sys(err, "%s", where);
		r->names[0] = take_ptr(name);
	}
	if (!r->names[0])
		return err_set(err, EINVAL, "%s.names: required field missing", where);
	if (get_action(item, "action", where, &r->action, err) < 0 ||
	    spec_opt_u64(item, "errnoRet", where, 4095, &r->errno_ret, err) < 0)
		return -1;
	return parse_args(item, where, r, err);
}

static int parse_rules(json_t *obj, const char *where, struct spec_seccomp *s,
		       berr_t *err)
{
	int found;
	json_t *arr = NULL, *item;
	struct jpath p, q;
	size_t i;

	found = jget_array(obj, "syscalls", where, false, &arr, err);
	if (found <= 0)
		return found;
	where = jpath_key(&p, where, "syscalls");
	s->rules = spec_alloc_array(arr, sizeof(*s->rules), where, err);
	if (!s->rules)
		return -1;
	json_array_foreach(arr, i, item) {
		s->n_rules = i + 1;
		if (parse_rule(item, jpath_index(&q, where, i), &s->rules[i], err) < 0)
			return -1;
	}
	return 0;
}

static int parse_lists(json_t *obj, const char *where, struct spec_seccomp *s,
		       berr_t *err)
{
	cleanup_strv char **flags = NULL;
	struct jpath p, q;

	if (jget_strv(obj, "architectures", where, false, &s->architectures,
		      err) < 0 ||
	    jget_strv(obj, "flags", where, false, &flags, err) < 0)
		return -1;
	for (size_t i = 0; s->architectures[i]; i++)
		if (!seccomp_arch_known(s->architectures[i]))
			return err_set(err, EINVAL, "%s: unknown architecture '%s'",
				       jpath_index(&q, jpath_key(&p, where, "architectures"), i),
				       s->architectures[i]);
	for (size_t i = 0; flags[i]; i++) {
		unsigned flag;

		if (seccomp_flag_from_name(flags[i], &flag) < 0)
			return err_set(err, EINVAL, "%s: unknown flag '%s'",
				       jpath_index(&q, jpath_key(&p, where, "flags"), i),
				       flags[i]);
		s->flags |= flag;
	}
	return 0;
}

int spec_parse_seccomp(json_t *obj, const char *where,
		       struct spec_seccomp *s, berr_t *err)
{
	s->set = true;
	if (get_action(obj, "defaultAction", where, &s->default_action, err) < 0 ||
	    spec_opt_u64(obj, "defaultErrnoRet", where, 4095,
			 &s->default_errno_ret, err) < 0 ||
	    jget_string(obj, "listenerPath", where, false, &s->listener_path,
			err) < 0 ||
	    jget_string(obj, "listenerMetadata", where, false,
			&s->listener_metadata, err) < 0 ||
	    parse_lists(obj, where, s, err) < 0)
		return -1;
	return parse_rules(obj, where, s, err);
}

void spec_seccomp_free(struct spec_seccomp *s)
{
	strv_free(s->architectures);
	free(s->listener_path);
	free(s->listener_metadata);
	for (size_t i = 0; i < s->n_rules; i++) {
		strv_free(s->rules[i].names);
		free(s->rules[i].args);
	}
	free(s->rules);
	memset(s, 0, sizeof(*s));
}
