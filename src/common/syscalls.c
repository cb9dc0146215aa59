#include "common/syscalls.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

bool sys_fallback_forced(const char *name)
{
	const char *list = getenv("BERTH_FORCE_FALLBACK");
	size_t len = strlen(name);

	for (const char *p = list; p && *p;) {
		const char *end = strchrnul(p, ',');

		if ((size_t)(end - p) == len && strncmp(p, name, len) == 0)
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		stack_size, tls, set_tid, set_tid_size, cgroup;
};

pid_t sys_clone_ns(unsigned long ns_flags)
{
	struct clone3_args args = { .flags = ns_flags, .exit_signal = SIGCHLD };
	long ret = -1;

	if (!sys_fallback_forced("clone3")) {
		ret = syscall(SYS_clone3, &args, sizeof(args));
		if (ret >= 0 || (errno != ENOSYS && errno != E2BIG))
			return (pid_t)ret;
	}
	/* Old kernels: plain clone without a new stack behaves like fork. */
	return (pid_t)syscall(SYS_clone, ns_flags | SIGCHLD, NULL, NULL, NULL,
			      NULL);
}

/* The path still to resolve and the part resolved so far, relative to the
 * root ("." is the root itself). */
struct walk {
	char resolved[PATH_MAX];
	char pending[PATH_MAX * 2];
	int links;
	bool beneath; /* climbing out is an error (EXDEV), not clamped */
};

/* Take the next component off pending into comp: 1, or 0 when none is
 * left, -1 (ENAMETOOLONG) for a component too long to be a name. */
static int next_component(struct walk *w, char comp[NAME_MAX + 1])
{
	char *p = w->pending;
	size_t len;

	while (*p == '/')
		p++;
	len = strcspn(p, "/");
	if (!*p)
		return 0;
	if (len > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(comp, p, len);
	comp[len] = '\0';
	memmove(w->pending, p + len, strlen(p + len) + 1);
	return 1;
}

/* Replace the link at candidate by its target, prepended to pending; an
 * absolute target restarts from the root. */
static int follow_link(int rootfd, struct walk *w, const char *candidate)
{
	char target[PATH_MAX], rest[PATH_MAX * 2];
	ssize_t n = readlinkat(rootfd, candidate, target, sizeof(target) - 1);

	if (n < 0)
		return -1;
	if (++w->links > 40) {
		errno = ELOOP;
		return -1;
	}
	target[n] = '\0';
	if (w->beneath && target[0] == '/') {
		errno = EXDEV;
		return -1;
	}
	if (snprintf(rest, sizeof(rest), "%s/%s", target, w->pending) >=
	    (int)sizeof(rest)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(w->pending, rest);
	if (target[0] == '/')
		strcpy(w->resolved, ".");
	return 0;
}

/* Fallback for RESOLVE_IN_ROOT on kernels before 5.6: resolve the path
 * lexically, one component at a time, reading each symlink ourselves so that
 * neither ".." nor an absolute link can climb above rootfd.  The final open
 * uses O_NOFOLLOW.  It is racy against a concurrent rename inside the root,
 * which is why openat2 is preferred whenever the kernel has it. */
static int open_in_root_walk(int rootfd, const char *path, int flags,
			     mode_t mode, bool beneath)
{
	struct walk w = { .resolved = ".", .beneath = beneath };
	char comp[NAME_MAX + 1], next[PATH_MAX];
	struct stat st;
	int more;

	if (strlen(path) >= sizeof(w.pending)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(w.pending, path);
	while ((more = next_component(&w, comp)) > 0) {
		char *slash = strrchr(w.resolved, '/');

		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			if (!slash && beneath) {
				errno = EXDEV;
				return -1;
			}
			if (slash)
				*slash = '\0';
			continue;
		}
		if (snprintf(next, sizeof(next), "%s/%s", w.resolved, comp) >=
		    (int)sizeof(next)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (fstatat(rootfd, next, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode) && (w.pending[strspn(w.pending, "/")] ||
					    !(flags & O_NOFOLLOW))) {
			if (follow_link(rootfd, &w, next) < 0)
				return -1;
			continue;
		}
		strcpy(w.resolved, next);
	}
	if (more < 0)
		return -1;
	return openat(rootfd, w.resolved, flags | O_NOFOLLOW | O_CLOEXEC, mode);
}

#define OPENAT2_TRIES 32

static int open_resolved(int rootfd, const char *path, int flags, mode_t mode,
			 bool beneath)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = (beneath ? RESOLVE_BENEATH : RESOLVE_IN_ROOT) | RESOLVE_NO_MAGICLINKS,
	};

	/* With ".." in the path the kernel answers EAGAIN when any rename or
	 * mount happened on the system during the lookup (other writers of
	 * the image store do rename): retry, then walk. */
	for (int tries = 0; tries < OPENAT2_TRIES && !sys_fallback_forced("openat2"); tries++) {
		long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));

		if (fd >= 0 || (errno != ENOSYS && errno != EPERM && errno != EAGAIN))
			return (int)fd;
		if (errno != EAGAIN)
			break;
	}
	if (beneath && path[0] == '/') {
		errno = EXDEV;
		return -1;
	}
	return open_in_root_walk(rootfd, path, flags, mode, beneath);
}

int sys_openat_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
	return open_resolved(rootfd, path, flags, mode, false);
}

int sys_openat_beneath(int dirfd, const char *path, int flags)
{
	return open_resolved(dirfd, path, flags, 0, true);
}

static int for_each_fd_from(int first, int (*fn)(int fd))
{
	cleanup_closedir DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;

	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end || de->d_name[0] == '.' || fd < first ||
		    fd == dirfd(dir))
			continue;
		if (fn((int)fd) < 0 && errno != EBADF)
			return -1;
	}
	return 0;
}

static int set_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	if (flags < 0)
		return -1;
	return fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

static int close_one(int fd)
{
	return close(fd);
}

int sys_close_fds_from(int first)
{
	if (!sys_fallback_forced("close_range") &&
	    syscall(SYS_close_range, first, ~0U, 0) == 0)
		return 0;
	return for_each_fd_from(first, close_one);
}

int sys_cloexec_fds_from(int first)
{
	if (!sys_fallback_forced("close_range") &&
	    syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	return for_each_fd_from(first, set_cloexec);
}

int sys_pidfd_open(pid_t pid)
{
	if (sys_fallback_forced("pidfd")) {
		errno = ENOSYS;
		return -1;
	}
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int sys_pidfd_send_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

int sys_pivot_root(const char *new_root, const char *put_old)
{
	return (int)syscall(SYS_pivot_root, new_root, put_old);
}

int sys_bpf(int cmd, union bpf_attr *attr, unsigned int size)
{
	return (int)syscall(SYS_bpf, cmd, attr, size);
}

int sys_open_tree(int dirfd, const char *path, unsigned flags)
{
	if (sys_fallback_forced("open_tree")) {
		errno = ENOSYS;
		return -1;
	}
	return (int)syscall(SYS_open_tree, dirfd, path, flags);
}

int sys_move_mount(int from_dirfd, const char *from_path, int to_dirfd,
		   const char *to_path, unsigned flags)
{
	return (int)syscall(SYS_move_mount, from_dirfd, from_path, to_dirfd,
			    to_path, flags);
}

int sys_mount_setattr(int dirfd, const char *path, unsigned flags,
		      struct mount_attr *attr)
{
	return (int)syscall(SYS_mount_setattr, dirfd, path, flags, attr,
			    sizeof(*attr));
}
