/* `berth push [-q] [--insecure] [--creds USER:PASS] HOST/NAME:TAG`: the
 * image is found under the name it is pushed as (tag it first). */
#include "cli/image/image.h"

#include "registry/registry.h"

static int push(struct store *s, const char *ref, const struct registry_opts *o,
		char **name, char manifest[DIGEST_MAX], berr_t *err)
{
	*name = NULL;
	return registry_push(s, ref, o, manifest, err);
}

int img_push(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	return img_registry_verb(g, "push", argc, argv, push, err);
}
