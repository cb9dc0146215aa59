/* Containers named on the command line, found under the runtime root
 * `berth run` uses.  (Names and the containers layer's own records will
 * replace this lookup.) */
#include "cli/container/container.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "runtime/state.h"

int cli_container_find(const char *run_root, const char *arg, char state_root[PATH_MAX],
		       char **id, berr_t *err)
{
	cleanup_closedir DIR *d = NULL;
	cleanup_free char *found = NULL;
	size_t len = strlen(arg), matches = 0;
	struct dirent *e;

	if (snprintf(state_root, PATH_MAX, "%s/runtime", run_root) >= PATH_MAX)
		return err_set(err, ENAMETOOLONG, "run root '%s' too long", run_root);
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
