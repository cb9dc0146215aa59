/* The container's init, from clone() to execve().
 *
 * Everything that can fail because of the config happens before the init
 * reports SYNC_READY, so `create` fails cleanly; after that it only waits
 * for `start`, runs the startContainer hooks, drops its powers and execs. */
#include "runtime/init.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "runtime/console.h"
#include "runtime/hooks.h"
#include "runtime/mounts.h"
#include "runtime/namespaces.h"
#include "runtime/process.h"
#include "runtime/rootfs.h"
#include "runtime/sync.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1

static int set_names(const struct spec *spec, berr_t *err)
{
	if (spec->hostname && spec->hostname[0] &&
	    sethostname(spec->hostname, strlen(spec->hostname)) < 0)
		return err_sys(err, "hostname: set '%s'", spec->hostname);
	if (spec->domainname && spec->domainname[0] &&
	    setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
		return err_sys(err, "domainname: set '%s'", spec->domainname);
	return 0;
}

/* "net.ipv4.ip_forward" -> /proc/sys/net/ipv4/ip_forward; before
 * readonlyPaths make /proc/sys read-only. */
static int apply_sysctl(const struct spec *spec, berr_t *err)
{
	for (size_t i = 0; i < spec->linux.n_sysctl; i++) {
		const struct spec_kv *kv = &spec->linux.sysctl[i];
		char path[PATH_MAX];

		if (strstr(kv->key, "..") || strchr(kv->key, '/'))
			return err_set(err, EINVAL, "linux.sysctl: '%s' is not a sysctl name",
				       kv->key);
		snprintf(path, sizeof(path), "/proc/sys/%s", kv->key);
		for (char *p = path + strlen("/proc/sys/"); *p; p++)
			if (*p == '.')
				*p = '/';
		if (fs_write_file_at(AT_FDCWD, path, kv->value, strlen(kv->value),
				     err) < 0)
			return err_prefix(err, "linux.sysctl.%s", kv->key);
	}
	return 0;
}

/* runc and crun create a missing cwd rather than fail; before the root
 * turns read-only. */
static int make_cwd(const struct spec_process *p, berr_t *err)
{
	if (access(p->cwd, F_OK) == 0 || errno != ENOENT)
		return 0;
	if (fs_mkdir_p(p->cwd, 0755, err) < 0)
		return err_prefix(err, "process.cwd");
	return 0;
}

static int prepare_cwd(const struct spec_process *p, berr_t *err)
{
	if (chdir(p->cwd) < 0)
		return err_sys(err, "process.cwd: '%s'", p->cwd);
	return 0;
}

static int process_setup(struct init_ctx *ctx, struct process_target *t,
			 berr_t *err)
{
	const struct spec *spec = ctx->spec;

	if (spec->process->terminal && ctx->console_fd >= 0 &&
	    console_setup(spec->process, ctx->console_fd, err) < 0)
		return err_prefix(err, "process.terminal");
	if (!ctx->opts->no_new_keyring &&
	    syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, ctx->opts->id) < 0 &&
	    errno != ENOSYS && errno != EACCES && errno != EPERM)
		return err_sys(err, "join a session keyring");
	if (spec->linux.personality.set &&
	    personality((unsigned long)spec->linux.personality.v) < 0)
		return err_sys(err, "linux.personality");
	if (process_apply_limits(spec->process, err) < 0 ||
	    prepare_cwd(spec->process, err) < 0)
		return -1;
	return process_resolve(spec->process, t, err);
}

int init_await_go(struct init_ctx *ctx, berr_t *err)
{
	if (ctx->got_go)
		return 0;
	if (sync_expect(ctx->sync_fd, SYNC_GO, &ctx->state_json, err) < 0)
		return -1;
	/* Itself, through the host's cgroupfs (see cgroup_ops.enter). */
	if (ctx->cgroup && ctx->cgroup->ops->enter(ctx->cgroup, 0, err) < 0)
		return err_prefix(err, "join cgroup");
	if (ns_enter_cgroup(ctx->spec, err) < 0)
		return -1;
	ctx->got_go = true;
	return 0;
}

static int mount_setup(struct init_ctx *ctx, berr_t *err)
{
	const struct spec *spec = ctx->spec;
	bool hooks = spec->hooks[HOOK_PRESTART].n ||
		     spec->hooks[HOOK_CREATE_RUNTIME].n;
	bool userns = ns_is_new(spec, CLONE_NEWUSER);

	/* In a new user namespace the init keeps the host's root identity
	 * (with capabilities only inside) while it binds the rootfs and
	 * creates the mount points on it, which the namespace's root may not
	 * reach; then it becomes that root, which owns what it creates on the
	 * container's own filesystems.  The id maps come before SYNC_GO, and
	 * the cgroup is joined as the host's root. */
	if (rootfs_bind(ctx, err) < 0 ||
	    (userns && (init_await_go(ctx, err) < 0 ||
			mounts_make_destinations(ctx, err) < 0)) ||
	    ns_become_root(ctx->spec, err) < 0 || rootfs_populate(ctx, err) < 0 ||
	    init_await_go(ctx, err) < 0)
		return -1;
	/* prestart and createRuntime run in the runtime's namespaces, now
	 * that ours exist but before pivot_root. */
	if (hooks && (sync_send(ctx->sync_fd, SYNC_HOOKS_REQUEST, NULL, 0, err) < 0 ||
		      sync_expect(ctx->sync_fd, SYNC_HOOKS_DONE, NULL, err) < 0))
		return -1;
	if (hooks_run(spec, HOOK_CREATE_CONTAINER, ctx->state_json, err) < 0)
		return -1;
	return rootfs_pivot(ctx, err);
}

static int setup(struct init_ctx *ctx, struct process_target *t, berr_t *err)
{
	const struct spec *spec = ctx->spec;

	if (ns_enter(spec, ctx->sync_fd, ctx->clone_did_namespaces, err) < 0 ||
	    mount_setup(ctx, err) < 0 ||
	    apply_sysctl(spec, err) < 0 ||
	    make_cwd(spec->process, err) < 0 || rootfs_finish(ctx, err) < 0 ||
	    set_names(spec, err) < 0)
		return -1;
	return process_setup(ctx, t, err);
}

/* Blocks until `start` opens the fifo for reading.  The fifo lives in the
 * state dir, unreachable after pivot_root, so it is reopened through the
 * host's /proc and the O_PATH fd taken before.  `run` has no fifo: the
 * runtime that created us says start on the sync socket. */
static int wait_for_start(struct init_ctx *ctx, berr_t *err)
{
	char path[32];
	cleanup_close int fd = -1;

	if (ctx->fifo_fd < 0)
		return sync_expect(ctx->sync_fd, SYNC_START, NULL, err);
	snprintf(path, sizeof(path), "self/fd/%d", ctx->fifo_fd);
	fd = openat(ctx->host_proc_fd, path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open exec fifo");
	if (write(fd, "0", 1) != 1)
		return err_sys(err, "write exec fifo");
	close(ctx->host_proc_fd);
	close(ctx->fifo_fd);
	ctx->host_proc_fd = -1;
	/* Kept open until execve closes it: `start` reads to EOF, so its
	 * poststart hooks run only once the process is executing. */
	ctx->fifo_fd = take_fd(fd);
	return 0;
}

/* startContainer hooks see the container as "created", as runc shows it. */
static int start_hooks(struct init_ctx *ctx, berr_t *err)
{
	json_t *state = json_loads(ctx->state_json, 0, NULL);
	cleanup_free char *text = NULL;

	if (!ctx->spec->hooks[HOOK_START_CONTAINER].n)
		return 0;
	if (state)
		json_object_set_new(state, "status", json_string("created"));
	text = state ? json_dumps(state, JSON_COMPACT) : NULL;
	json_decref(state);
	if (!text)
		return err_set(err, ENOMEM, "encode hook state");
	return hooks_run(ctx->spec, HOOK_START_CONTAINER, text, err);
}

static _Noreturn void die(const char *stage, berr_t err)
{
	fprintf(stderr, "berth: %s: %s\n", stage, err_msg(err));
	_exit(err && err->errnum == ENOENT ? 127 : 126);
}

_Noreturn void init_main(struct init_ctx *ctx)
{
	struct seccomp_listener listener;
	struct process_target target;
	berr_t err = NULL;

	/* Processes of the container must not read our memory or open
	 * /proc/<pid>/exe (the runc CVE-2019-5736 class): not dumpable until
	 * execve replaces this image. */
	if ((prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 &&
	     err_sys(&err, "make the init non-dumpable") < 0) ||
	    (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 &&
	     err_sys(&err, "set the init's parent-death signal") < 0) ||
	    setup(ctx, &target, &err) < 0) {
		sync_send_error(ctx->sync_fd, err);
		_exit(1);
	}
	/* The runtime exits once we are ready; we must outlive it. */
	if (prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) < 0 ||
	    sync_send(ctx->sync_fd, SYNC_READY, NULL, 0, &err) < 0)
		_exit(1);
	if (wait_for_start(ctx, &err) < 0)
		die("start", err);
	close(ctx->sync_fd);
	if (start_hooks(ctx, &err) < 0)
		die("startContainer hook", err);
	listener.sock = ctx->seccomp_listener;
	listener.metadata = ctx->spec->linux.seccomp.listener_metadata;
	listener.state_json = ctx->state_json;
	if (process_finalize(ctx->spec->process, ctx->has_seccomp ? &ctx->seccomp : NULL,
			     &listener, &ctx->lsm, &err) < 0 ||
	    process_exec(ctx->spec->process, &target, &ctx->preserved, &err) < 0)
		die("exec", err);
	_exit(127);
}
