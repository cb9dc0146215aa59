/* `berth pull [-q] [--insecure] [--creds USER:PASS] NAME[:TAG|@DIGEST]`,
 * and what pull and push share on the command line. */
#include "cli/image/image.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "registry/registry.h"

/* --insecure, --creds, -q; returns the index of the image name. */
static int registry_flags(const char *verb, int argc, char **argv,
			  struct registry_opts *o, bool *quiet, berr_t *err)
{
	static const struct option opts[] = {
		{ "insecure", no_argument, NULL, 'k' },
		{ "creds", required_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ 0 },
	};
	int c;

	while ((c = img_getopt(argc, argv, "q", opts)) != -1) {
		if (c == 'k')
			o->insecure = true;
		else if (c == 'c')
			o->creds = optarg;
		else if (c == 'q')
			*quiet = true;
		else
			return img_bad_flag(verb, c, argv, err);
	}
	if (argc - optind != 1)
		return err_set(err, EINVAL, "%s: expected one image name (usage: berth %s [-q] [--insecure] [--creds USER:PASS] NAME[:TAG])",
			       verb, verb);
	/* Progress lines are for a person watching, not for logs. */
	o->progress = !*quiet && isatty(STDERR_FILENO);
	return optind;
}

int img_registry_verb(struct berth_globals *g, const char *verb, int argc,
		      char **argv, img_registry_op op, berr_t *err)
{
	struct registry_opts o = { 0 };
	cleanup_free char *name = NULL;
	char manifest[DIGEST_MAX];
	bool quiet = false;
	struct store s;
	int i, r;

	if ((i = registry_flags(verb, argc, argv, &o, &quiet, err)) < 0)
		return -1;
	if (http_global_init(err) < 0 || store_open(g->root, &s, err) < 0)
		return -1;
	r = op(&s, argv[i], &o, &name, manifest, err);
	store_close(&s);
	if (r < 0)
		return -1;
	if (quiet)
		printf("%s\n", manifest);
	else
		printf("%s\nDigest: %s\n", name ? name : argv[i], manifest);
	return 0;
}

int img_pull(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	return img_registry_verb(g, "pull", argc, argv, registry_pull, err);
}
