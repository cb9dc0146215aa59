/* Running containers named on the command line: kept ones by name, id or
 * prefix (container/record.h), and foreground `run --rm` ones, which have
 * no record, by their id under the runtime root. */
#include "cli/container/container.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "container/instance.h"
#include "container/record.h"
#include "runtime/state.h"

static int find_unrecorded(const char *arg, const char *state_root, char **id, berr_t *err)
{
	cleanup_closedir DIR *d = NULL;
	cleanup_free char *found = NULL;
	size_t len = strlen(arg), matches = 0;
	struct dirent *e;

	if (state_check_id(arg, err) < 0)
		return -1;
	d = opendir(state_root);
	if (!d && errno != ENOENT)
		return err_sys(err, "read '%s'", state_root);
	while (d && (e = readdir(d))) {
		bool exact = !strcmp(e->d_name, arg);

		if (e->d_name[0] == '.' || strncmp(e->d_name, arg, len))
			continue;
		if (exact || matches++ == 0) {
			free(found);
			found = strdup(e->d_name);
			if (!found)
				return err_sys(err, "container '%s'", arg);
		}
		if (exact) {
			matches = 1;
			break;
		}
	}
	if (matches == 0)
		return err_set(err, ENOENT, "no such container: %s", arg);
	if (matches > 1)
		return err_set(err, EINVAL, "container '%s': more than one container id starts with it",
			       arg);
	*id = take_ptr(found);
	return 0;
}

int cli_container_find(const struct berth_globals *g, const char *arg,
		       char state_root[PATH_MAX], char **id, berr_t *err)
{
	char kept[CONTAINER_ID_LEN + 1];

	if (instance_runtime_root(g->run_root, state_root, PATH_MAX, err) < 0)
		return -1;
	if (container_lookup(g->root, arg, kept, err) == 0) {
		*id = strdup(kept);
		return *id ? 0 : err_sys(err, "container '%s'", arg);
	}
	if ((*err)->errnum != ENOENT)
		return -1;
	err_free(err);
	return find_unrecorded(arg, state_root, id, err);
}
