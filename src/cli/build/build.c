/* `berth build [flags] CONTEXT`: docker build's flags for the image
 * layer's Dockerfile builder (src/build). */
#include "cli/build/build.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build/build.h"
#include "cli/container/container.h"
#include "common/cleanup.h"
#include "common/strv.h"

enum { B_BUILD_ARG = 256, B_TARGET, B_NO_CACHE, B_NETWORK, B_LABEL, B_PULL };

static const struct option opts[] = {
	{ "tag", required_argument, NULL, 't' },
	{ "file", required_argument, NULL, 'f' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "build-arg", required_argument, NULL, B_BUILD_ARG },
	{ "target", required_argument, NULL, B_TARGET },
	{ "no-cache", no_argument, NULL, B_NO_CACHE },
	{ "network", required_argument, NULL, B_NETWORK },
	{ "label", required_argument, NULL, B_LABEL },
	{ "pull", required_argument, NULL, B_PULL },
	{ 0 },
};

struct build_flags {
	struct build_opts o;
	char **tags, **args, **labels;
};

static int flag(struct build_flags *f, int c, char **argv, berr_t *err)
{
	char ***list = c == 't' ? &f->tags : c == B_BUILD_ARG ? &f->args : c == B_LABEL ? &f->labels : NULL;

	if (list)
		return strv_push(list, optarg) < 0 ? err_set(err, ENOMEM, "out of memory") : 0;
	switch (c) {
	case 'f': f->o.dockerfile = optarg; return 0;
	case 'q': f->o.quiet = true; return 0;
	case B_TARGET: f->o.target = optarg; return 0;
	case B_NO_CACHE: f->o.no_cache = true; return 0;
	case B_PULL:
		/* missing (pull what is not in the store) or never. */
		if (strcmp(optarg, "missing") && strcmp(optarg, "never"))
			return err_set(err, EINVAL, "build: --pull '%s': expected missing or never", optarg);
		if (!strcmp(optarg, "never"))
			f->o.pull = NULL;
		return 0;
	case B_NETWORK:
		if (strcmp(optarg, "none") && strcmp(optarg, "host"))
			return err_set(err, EINVAL, "build: --network '%s': expected none or host", optarg);
		f->o.network = optarg;
		return 0;
	}
	return img_bad_flag("build", c, argv, err);
}

/* FROM an image not in the store: pulled as `berth run` pulls it. */
static int pull(void *ctx, const char *ref, char manifest[DIGEST_MAX], berr_t *err)
{
	return run_pull(ctx, ref, manifest, err);
}

void cli_build_opts(const struct berth_globals *g, struct cli_roots *roots, struct build_opts *o)
{
	*roots = (struct cli_roots){ .store = g->root, .run = g->run_root };
	*o = (struct build_opts){ .store_root = g->root, .run_root = g->run_root,
				  .pull = pull, .pull_ctx = roots };
}

int cli_build(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	struct cli_roots roots;
	struct build_flags f = { 0 };
	char id[DIGEST_MAX], manifest[DIGEST_MAX];
	int c, r = -1;

	cli_build_opts(g, &roots, &f.o);
	while ((c = img_getopt(argc, argv, "t:f:q", opts)) != -1)
		if (flag(&f, c, argv, err) < 0)
			goto out;
	if (argc - optind != 1) {
		err_set(err, EINVAL, "build: expected one CONTEXT directory (usage: berth build [-t NAME]... [-f FILE] CONTEXT)");
		goto out;
	}
	f.o.context = argv[optind];
	f.o.tags = f.tags;
	f.o.build_args = f.args;
	f.o.labels = f.labels;
	r = build_image(&f.o, id, manifest, err);
	if (r == 0 && f.o.quiet)
		printf("%s\n", id);
	else if (r == 0) {
		printf("Successfully built %.12s\n", id + 7);
		for (char *const *t = f.tags; t && *t; t++)
			printf("Successfully tagged %s\n", *t);
	}
out:
	strv_free(f.tags);
	strv_free(f.args);
	strv_free(f.labels);
	return r;
}
