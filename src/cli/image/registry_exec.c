/* pull and push in the static berth: they run in berth-registry, the
 * same command line linked dynamically with libcurl, found next to this
 * executable.  Debian ships no static libcurl that links (its
 * Libs.private need libgssapi_krb5, libldap, libssh2 and libpsl archives,
 * and Kerberos has none), and berth itself stays static for the start-up
 * time of every container and because --init copies it into containers. */
#include "cli/image/image.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"

static int exec_helper(struct berth_globals *g, int argc, char **argv,
		       berr_t *err)
{
	cleanup_free char **args = NULL;
	char path[PATH_MAX];

	if (img_registry_helper(path, err) < 0 ||
	    img_registry_argv(path, g->root, g->run_root, argc, argv, &args, err) < 0)
		return -1;
	fflush(NULL);
	execv(path, args);
	return err_sys(err, "%s: run '%s'", argv[0], path);
}

int img_pull(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	return exec_helper(g, argc, argv, err);
}

int img_push(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	return exec_helper(g, argc, argv, err);
}
