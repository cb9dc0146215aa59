/* A child unshares its network namespace and binds /proc/self/ns/net onto
 * the file: the mount, not a process, keeps the namespace alive. */
#include "network/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/proc.h"

static int bind_new_netns(const char *path)
{
	if (unshare(CLONE_NEWNET) < 0 ||
	    mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
		return errno;
	return 0;
}

int netns_create(const char *path, berr_t *err)
{
	int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	int status;
	pid_t pid;

	if (fd < 0)
		return err_sys(err, "create network namespace file %s", path);
	close(fd);
	pid = fork();
	if (pid == 0)
		_exit(bind_new_netns(path));
	if (pid < 0 || proc_wait(pid, &status, err) < 0) {
		if (pid < 0)
			err_sys(err, "fork");
		unlink(path);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		unlink(path);
		return err_set(err, WIFEXITED(status) ? WEXITSTATUS(status) : EINTR,
			       "create network namespace %s: %s", path,
			       WIFEXITED(status) ? strerror(WEXITSTATUS(status)) : "child killed");
	}
	return 0;
}

bool netns_is_bound(const char *path)
{
	struct statfs fs;

	return statfs(path, &fs) == 0 && fs.f_type == NSFS_MAGIC;
}

int netns_remove(const char *path, berr_t *err)
{
	/* Detached: a process still inside (a crashed container's) keeps
	 * the namespace, not the file. */
	while (netns_is_bound(path))
		if (umount2(path, MNT_DETACH) < 0)
			return err_sys(err, "unmount network namespace %s", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return err_sys(err, "remove network namespace file %s", path);
	return 0;
}
