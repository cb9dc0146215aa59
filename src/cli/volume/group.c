/* `berth volume SUBCOMMAND`: dispatch, with the store root made absolute
 * first. */
#include "cli/volume/volume.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/group.h"
#include "common/cleanup.h"
#include "common/fs.h"

static const struct cli_sub subs[] = {
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

/* Volume records and mounts name the root as the kernel resolves it. */
int vol_group(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	cleanup_free char *root = NULL;
	struct berth_globals resolved = *g;
	int r;

	if (absolute_root(g->root, &root, err) < 0)
		return -1;
	resolved.root = root;
	r = cli_group(&resolved, "volume", subs, sizeof(subs) / sizeof(*subs), argc, argv, err);
	g->exit_code = resolved.exit_code;
	return r;
}
