/* `berth volume SUBCOMMAND`: dispatch, with the store root made absolute
 * first. */
#include "cli/volume/volume.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fs.h"

static const struct {
	const char *name, *usage;
	int (*fn)(const char *root, int argc, char **argv, berr_t *err);
} subs[] = {
	{ "create", "volume create [--label K=V]... [-d local] [NAME]", vol_create },
	{ "ls", "volume ls [-q]", vol_ls },
	{ "inspect", "volume inspect NAME...", vol_inspect },
	{ "rm", "volume rm [-f] NAME...", vol_rm },
	{ "prune", "volume prune [-f]", vol_prune },
};

static int absolute_root(const char *root, char **out, berr_t *err)
{
	if (fs_mkdir_p(root, 0700, err) < 0)
		return -1;
	*out = realpath(root, NULL);
	return *out ? 0 : err_sys(err, "root '%s'", root);
}

int vol_group(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	cleanup_free char *root = NULL;

	if (argc < 2)
		return err_set(err, EINVAL, "volume: expected a subcommand (create, ls, inspect, rm, prune)");
	for (size_t i = 0; i < sizeof(subs) / sizeof(*subs); i++) {
		if (strcmp(argv[1], subs[i].name) != 0)
			continue;
		if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
			printf("Usage: berth %s\n", subs[i].usage);
			return 0;
		}
		if (absolute_root(g->root, &root, err) < 0)
			return -1;
		optind = 1;
		return subs[i].fn(root, argc - 1, argv + 1, err);
	}
	return err_set(err, EINVAL,
		       "volume: unknown subcommand '%s' (expected create, ls, inspect, rm or prune)",
		       argv[1]);
}
