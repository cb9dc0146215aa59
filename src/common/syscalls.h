/* Raw syscalls that libc wraps late or not at all, each behind one function
 * with a fallback for kernels that lack it.
 *
 * Setting BERTH_FORCE_FALLBACK to a comma-separated list of names
 * ("clone3,openat2,close_range,pidfd") makes the wrapper take its fallback
 * as if the kernel returned ENOSYS; the tests use it to exercise both paths. */
#ifndef BERTH_COMMON_SYSCALLS_H
#define BERTH_COMMON_SYSCALLS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Fork a child with CLONE_NEW* flags (and SIGCHLD as exit signal).  Returns
 * the pid in the parent, 0 in the child, -1 with errno set on failure.  The
 * child does not share memory with the parent (no CLONE_VM). */
pid_t sys_clone_ns(unsigned long ns_flags);

/* Open path below rootfd as if rootfd were "/", never leaving it, following
 * symlinks inside it (RESOLVE_IN_ROOT).  Fallback: resolve one component at
 * a time with O_NOFOLLOW and rewrite symlinks against rootfd. */
int sys_openat_in_root(int rootfd, const char *path, int flags, mode_t mode);

/* Open path below dirfd, following symlinks only while they stay below
 * it: an absolute path, ".." above dirfd or a symlink out of it fails
 * with EXDEV (RESOLVE_BENEATH; the same walk as above as fallback). */
int sys_openat_beneath(int dirfd, const char *path, int flags);

/* Close every fd >= first.
 * Fallback: walk /proc/self/fd. */
int sys_close_fds_from(int first);

/* Mark every fd >= first close-on-exec. */
int sys_cloexec_fds_from(int first);

int sys_pidfd_open(pid_t pid);
int sys_pidfd_send_signal(int pidfd, int sig);
int sys_pivot_root(const char *new_root, const char *put_old);

/* True when name is listed in BERTH_FORCE_FALLBACK. */
bool sys_fallback_forced(const char *name);

/* The new mount API (Linux 5.2+).  sys_open_tree() returns -1 with
 * ENOSYS on older kernels (or when "open_tree" is forced to fall back);
 * callers then bind by path. */
int sys_open_tree(int dirfd, const char *path, unsigned flags);
int sys_move_mount(int from_dirfd, const char *from_path, int to_dirfd,
		   const char *to_path, unsigned flags);

struct mount_attr;
int sys_mount_setattr(int dirfd, const char *path, unsigned flags,
		      struct mount_attr *attr);

union bpf_attr;

/* bpf(2), which libc does not wrap.  Returns what the kernel does (an fd
 * or 0), -1 with errno set on failure.  No fallback: without bpf(2) a
 * cgroup v2 device program cannot be had at all. */
int sys_bpf(int cmd, union bpf_attr *attr, unsigned int size);

#endif
