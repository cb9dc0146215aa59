/* What the runtime process hands to the container's init.  The init is a
 * clone without CLONE_VM, so it reads this from its own copy of memory. */
#ifndef BERTH_RUNTIME_INIT_H
#define BERTH_RUNTIME_INIT_H

#include <stdbool.h>

#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "runtime/lsm.h"
#include "runtime/process.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"

struct init_ctx {
	const struct create_opts *opts;
	const struct spec *spec;
	const char *bundle;      /* absolute */
	const char *rootfs;      /* absolute */
	struct cgroup *cgroup;   /* joined by the init itself, or NULL */
	const char *cgroup_root; /* host cgroupfs, for cgroup mounts */
	const char *cgroup_path; /* the container's cgroup, or NULL */
	struct seccomp_prog seccomp;
	bool has_seccomp;
	bool clone_did_namespaces; /* new namespaces came with clone() */
	int sync_fd;     /* init's end of the socketpair */
	int console_fd;  /* connected --console-socket, or -1 */
	int fifo_fd;     /* O_PATH exec.fifo in the state dir, or -1 when
			  * the runtime starts us over sync_fd (run) */
	int host_proc_fd; /* host /proc, to reopen the fifo after pivot */
	char *state_json; /* for hooks the init runs itself (from SYNC_GO) */
	bool got_go;      /* SYNC_GO received: the cgroup exists and is joined */
	struct preserved_fds preserved; /* --preserve-fds, socket activation */
	int *mount_fds;  /* detached bind sources by mount index, or -1 */
	int rootfd;      /* the bound rootfs, once rootfs_bind ran */
	int seccomp_listener; /* connected linux.seccomp.listenerPath, or -1 */
	struct lsm_host lsm;  /* probed on the host */
};

/* The runtime creates the cgroup while the init builds its mounts; the
 * init waits for SYNC_GO, joins the cgroup and unshares its cgroup
 * namespace only when it needs them (a cgroup mount, a user namespace
 * switch, the end of the mounts).  Idempotent. */
int init_await_go(struct init_ctx *ctx, berr_t *err);

/* Runs in the cloned child; never returns. */
_Noreturn void init_main(struct init_ctx *ctx);

#endif
