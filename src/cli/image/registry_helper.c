/* berth-registry, the registry client linked dynamically with libcurl
 * (see registry_exec.c for why), found next to the running executable:
 * its path, its command line, and running it as a child (`berth run`
 * pulling an image it does not have). */
#include "cli/image/image.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/proc.h"

#define HELPER "berth-registry"

int img_registry_helper(char out[PATH_MAX], berr_t *err)
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

/* berth-registry --root ROOT [--run-root DIR] VERB ARGS...: the argv
 * (pointing into path, root and argv) in *out, to be freed alone. */
int img_registry_argv(const char *path, const char *root, const char *run_root,
		       int argc, char **argv, char ***out, berr_t *err)
{
	char **args = calloc((size_t)argc + 6, sizeof(*args));
	int n = 0;

	if (!args)
		return err_sys(err, "%s", argv[0]);
	args[n++] = (char *)path;
	args[n++] = "--root";
	args[n++] = (char *)root;
	if (run_root && *run_root) {
		args[n++] = "--run-root";
		args[n++] = (char *)run_root;
	}
	for (int i = 0; i < argc; i++)
		args[n++] = argv[i];
	*out = args;
	return 0;
}

/* The child: stdout into the pipe, stderr shared with the caller (so
 * progress shows on a terminal and errors reach the user as they are). */
static _Noreturn void exec_child(int out, const char *path, char **args)
{
	if (dup2(out, STDOUT_FILENO) < 0)
		_exit(125);
	execv(path, args);
	fprintf(stderr, "berth: run '%s': %s\n", path, strerror(errno));
	_exit(127);
}

int img_registry_run(const char *root, const char *run_root, int argc, char **argv,
		     size_t max, char **out, berr_t *err)
{
	cleanup_free char **args = NULL;
	cleanup_close int rd = -1, wr = -1;
	char path[PATH_MAX];
	cleanup_pid pid_t pid = -1;
	int fds[2], status, code;

	if (img_registry_helper(path, err) < 0 ||
	    img_registry_argv(path, root, run_root, argc, argv, &args, err) < 0)
		return -1;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_sys(err, "%s: pipe", argv[0]);
	rd = fds[0];
	wr = fds[1];
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return err_sys(err, "%s: fork", argv[0]);
	if (pid == 0)
		exec_child(wr, path, args);
	close(take_fd(wr));
	if (fs_read_fd(rd, "the output of " HELPER, max, out, NULL, err) < 0 ||
	    proc_wait(pid, &status, err) < 0)
		return -1;
	pid = -1;
	code = proc_exit_code(status);
	if (code != 0)
		return err_set(err, EIO, "%s %s failed (exit %d; its error is above)", HELPER,
			       argv[0], code);
	return 0;
}
