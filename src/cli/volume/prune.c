/* `berth volume prune [-f]`: remove every volume no container uses,
 * under the volumes' lock held exclusively (a run cannot start using one
 * in between). */
#include "cli/volume/volume.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/cleanup.h"
#include "volume/volume.h"

static const struct option opts[] = {
	{ "force", no_argument, NULL, 'f' },
	{ 0 },
};

/* Without -f the user confirms, as with docker; anything but y/yes on
 * stdin (EOF included) cancels. */
static bool confirmed(void)
{
	char line[16] = "";

	printf("WARNING! This will remove all local volumes not used by at least one container.\n"
	       "Are you sure you want to continue? [y/N] ");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\n")] = '\0';
	return !strcasecmp(line, "y") || !strcasecmp(line, "yes");
}

static int prune(const char *root, berr_t *err)
{
	cleanup_close int lock = -1;
	cleanup_strv char **names = NULL;

	if (volume_lock(root, true, &lock, err) < 0 || volume_list(root, &names, err) < 0)
		return -1;
	printf("Deleted Volumes:\n");
	for (size_t i = 0; names[i]; i++) {
		cleanup_strv char **users = NULL;

		if (volume_users(root, names[i], &users, err) < 0)
			return -1;
		if (users[0])
			continue;
		if (volume_remove(root, names[i], err) < 0)
			return -1;
		printf("%s\n", names[i]);
	}
	return 0;
}

int vol_prune(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	const char *root = g->root;

	bool force = false;
	int c;

	while ((c = img_getopt(argc, argv, "f", opts)) != -1) {
		if (c != 'f')
			return img_bad_flag("volume prune", c, argv, err);
		force = true;
	}
	if (optind < argc)
		return err_set(err, EINVAL, "volume prune: no arguments expected");
	if (!force && !confirmed())
		return 0;
	return prune(root, err);
}
