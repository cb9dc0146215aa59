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

#define HELPER "berth-registry"

static int helper_path(char out[PATH_MAX], berr_t *err)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n < 0)
		return err_sys(err, "readlink /proc/self/exe");
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return err_set(err, ENOENT, "cannot tell the directory of '%s'", self);
	slash[1] = '\0';
	if ((size_t)snprintf(out, PATH_MAX, "%s%s", self, HELPER) >= PATH_MAX)
		return err_set(err, ENAMETOOLONG, "path of %s too long", HELPER);
	return 0;
}

/* berth-registry --root ROOT [--run-root DIR] VERB ARGS... */
static int exec_helper(struct berth_globals *g, int argc, char **argv,
		       berr_t *err)
{
	cleanup_free char **args = calloc((size_t)argc + 6, sizeof(*args));
	char path[PATH_MAX];
	int n = 0;

	if (!args)
		return err_sys(err, "%s", argv[0]);
	if (helper_path(path, err) < 0)
		return -1;
	args[n++] = path;
	args[n++] = "--root";
	args[n++] = (char *)g->root;
	if (g->run_root && *g->run_root) {
		args[n++] = "--run-root";
		args[n++] = (char *)g->run_root;
	}
	for (int i = 0; i < argc; i++)
		args[n++] = argv[i];
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
