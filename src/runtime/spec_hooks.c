/* config.json "hooks": six lists of programs the runtime calls. */
#include <errno.h>
#include <stdlib.h>

#include "common/json.h"
#include "runtime/spec.h"
#include "runtime/spec_internal.h"

static const char *const hook_keys[HOOK_KINDS] = {
	[HOOK_PRESTART] = "prestart",
	[HOOK_CREATE_RUNTIME] = "createRuntime",
	[HOOK_CREATE_CONTAINER] = "createContainer",
	[HOOK_START_CONTAINER] = "startContainer",
	[HOOK_POSTSTART] = "poststart",
	[HOOK_POSTSTOP] = "poststop",
};

const char *spec_hook_name(enum spec_hook_kind kind)
{
	return hook_keys[kind];
}

static int parse_hook(json_t *item, const char *where, struct spec_hook *h,
		      berr_t *err)
{
	int r;

	if (jcheck_object(item, where, err) < 0)
		return -1;
	if (jget_string(item, "path", where, true, &h->path, err) < 0 ||
	    jget_strv(item, "args", where, false, &h->args, err) < 0 ||
	    jget_strv(item, "env", where, false, &h->env, err) < 0)
		return -1;
	if (h->path[0] != '/')
		return err_set(err, EINVAL, "%s.path: '%s' is not an absolute path",
			       where, h->path);
	r = jget_int(item, "timeout", where, 1, INT32_MAX, false, &h->timeout.v,
		     err);
	if (r < 0)
		return -1;
	h->timeout.set = r > 0;
	return 0;
}

static int parse_list(json_t *hooks, int kind, struct spec_hook_list *list,
		      berr_t *err)
{
	int found;
	json_t *arr = NULL, *item;
	struct jpath p, q;
	size_t i;

	found = jget_array(hooks, hook_keys[kind], "hooks", false, &arr, err);
	if (found <= 0)
		return found;
	jpath_key(&p, "hooks", hook_keys[kind]);
	list->hooks = spec_alloc_array(arr, sizeof(*list->hooks), p.buf, err);
	if (!list->hooks)
		return -1;
	json_array_foreach(arr, i, item) {
		list->n = i + 1;
		if (parse_hook(item, jpath_index(&q, p.buf, i), &list->hooks[i],
			       err) < 0)
			return -1;
	}
	return 0;
}

int spec_parse_hooks(json_t *root, struct spec *spec, berr_t *err)
{
	int found;
	json_t *hooks = NULL;

	found = jget_object(root, "hooks", "", false, &hooks, err);
	if (found <= 0)
		return found;
	for (int kind = 0; kind < HOOK_KINDS; kind++)
		if (parse_list(hooks, kind, &spec->hooks[kind], err) < 0)
			return -1;
	return 0;
}

void spec_hooks_free(struct spec *spec)
{
	for (int kind = 0; kind < HOOK_KINDS; kind++) {
		struct spec_hook_list *l = &spec->hooks[kind];

		for (size_t i = 0; i < l->n; i++) {
			free(l->hooks[i].path);
			strv_free(l->hooks[i].args);
			strv_free(l->hooks[i].env);
		}
		free(l->hooks);
	}
}
