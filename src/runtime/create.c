/* `create`: everything the runtime process does to bring a container to
 * the "created" state, and undoes on any failure (state dir, cgroup,
 * half-started init) so a bad config leaves nothing behind. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/log.h"
#include "common/passwd.h"
#include "common/proc.h"
#include "common/syscalls.h"
#include "common/unix_socket.h"
#include "runtime/cgroup.h"
#include "runtime/console.h"
#include "runtime/container.h"
#include "runtime/create_internal.h"
#include "runtime/devices.h"
#include "runtime/exe_guard.h"
#include "runtime/hooks.h"
#include "runtime/init.h"
#include "runtime/lsm.h"
#include "runtime/mount_sources.h"
#include "runtime/namespaces.h"
#include "runtime/process.h"
#include "runtime/state.h"
#include "runtime/sync.h"

/* The bundle as the caller named it, made absolute but not resolved:
 * hooks and state show that path, as runc and crun do. */
static int resolve_bundle(const struct create_opts *o, char **out, berr_t *err)
{
	const char *b = o->bundle ? o->bundle : ".";
	char cwd[PATH_MAX];
	struct stat st;

	if (stat(b, &st) < 0)
		return err_sys(err, "bundle '%s'", b);
	if (!S_ISDIR(st.st_mode))
		return err_set(err, ENOTDIR, "bundle '%s' is not a directory", b);
	if (b[0] == '/' && asprintf(out, "%s", b) >= 0)
		return 0;
	if (!getcwd(cwd, sizeof(cwd)))
		return err_sys(err, "bundle '%s'", b);
	if (strcmp(b, ".") == 0 ? asprintf(out, "%s", cwd) < 0 :
				  asprintf(out, "%s/%s", cwd, b) < 0)
		return err_sys(err, "bundle '%s'", b);
	return 0;
}

/* A relative root.path must stay inside the bundle; an absolute one is
 * the caller's explicit choice, as with runc. */
static int resolve_rootfs(const char *bundle, const char *path, char **out,
			  berr_t *err)
{
	cleanup_free char *joined = NULL, *real_bundle = realpath(bundle, NULL);
	struct stat st;

	if (!real_bundle)
		return err_sys(err, "bundle '%s'", bundle);
	if (path[0] != '/' && asprintf(&joined, "%s/%s", real_bundle, path) < 0)
		return err_sys(err, "root.path");
	*out = realpath(joined ? joined : path, NULL);
	if (!*out)
		return err_sys(err, "root.path: '%s'", path);
	if (path[0] != '/' &&
	    (strncmp(*out, real_bundle, strlen(real_bundle)) != 0 ||
	     (*out)[strlen(real_bundle)] != '/'))
		return err_set(err, EINVAL, "root.path: '%s' resolves to '%s', outside the bundle",
			       path, *out);
	if (stat(*out, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(err, ENOTDIR, "root.path: '%s' is not a directory",
			       *out);
	return 0;
}

static int load_config(const struct create_opts *o, const char *bundle,
		       struct spec **spec, berr_t *err)
{
	cleanup_free char *path = NULL;

	if (o->config_path)
		path = strdup(o->config_path);
	else if (asprintf(&path, "%s/config.json", bundle) < 0)
		path = NULL;
	if (!path)
		return err_sys(err, "config path");
	if (spec_load(path, spec, err) < 0)
		return -1;
	if (!(*spec)->process)
		return err_set(err, EINVAL, "%s: process: required to create a container",
			       path);
	if (exe_guard_needed(*spec, (*spec)->process) && exe_guard_ensure(err) < 0)
		return -1;
	if (!ns_find(*spec, CLONE_NEWNS))
		return err_set(err, EINVAL, "%s: linux.namespaces: a mount namespace is required",
			       path);
	return 0;
}

static int add_env(struct spec_process *p, const char *entry, berr_t *err)
{
	return strv_push(&p->env, entry) < 0 ? err_sys(err, "process.env") : 0;
}

/* Socket activation: the listening fds follow stdio like preserved ones. */
static int pass_listen_fds(struct create_run *c, berr_t *err)
{
	char buf[32];

	if (!c->opts->listen_fds)
		return 0;
	snprintf(buf, sizeof(buf), "LISTEN_FDS=%u", c->opts->listen_fds);
	if (add_env(c->spec->process, buf, err) < 0 ||
	    add_env(c->spec->process, "LISTEN_PID=1", err) < 0)
		return -1;
	return 0;
}

static char *cgroup_path_for(const struct spec *spec, const char *id)
{
	char *path = NULL;

	if (spec->linux.cgroups_path)
		return strdup(spec->linux.cgroups_path);
	if (asprintf(&path, "berth/%s", id) < 0)
		return NULL;
	return path;
}

/* Only where the cgroup will be: creating it happens after the clone,
 * while the init builds its mounts (see init_await_go). */
static int plan_cgroup(struct create_run *c, berr_t *err)
{
	if (c->opts->cgroups_disabled)
		return 0;
	c->cgroup_path = cgroup_path_for(c->spec, c->opts->id);
	if (!c->cgroup_path)
		return err_sys(err, "cgroup path");
	if (strchr(c->cgroup_path, ':'))
		return err_set(err, EINVAL, "linux.cgroupsPath: '%s' is a systemd path; berth manages cgroupfs directly (--systemd-cgroup is not supported)",
			       c->cgroup_path);
	/* BERTH_CGROUP_ROOT points at another cgroupfs mount, e.g. the
	 * cgroup2 half of a hybrid host. */
	if (cgroup_init(&c->cg, getenv("BERTH_CGROUP_ROOT"), c->cgroup_path, err) < 0)
		return err_prefix(err, "linux.cgroupsPath");
	c->cgroup_planned = true;
	return 0;
}

/* As runc: a cgroup that already holds processes is someone else's; its
 * processes would be killed with this container.  Checked before anything
 * is created, so a refusal leaves no directory of ours in any hierarchy
 * and touches nothing of theirs. */
static int refuse_populated(struct create_run *c, berr_t *err)
{
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;

	if (c->cg.ops->pids(&c->cg, &pids, &n, err) < 0) {
		if ((*err)->errnum != ENOENT)
			return -1;
		err_free(err); /* not there yet: nobody's */
		return 0;
	}
	if (n > 0)
		return err_set(err, EBUSY, "cgroup '%s' already has processes (pid %d)",
			       c->cgroup_path, pids[0]);
	return 0;
}

static int make_cgroup(struct create_run *c, berr_t *err)
{
	cleanup_free struct spec_device_rule *rules = NULL;
	struct spec_resources res;
	size_t n;

	if (!c->cgroup_planned)
		return 0;
	if (refuse_populated(c, err) < 0)
		return err_prefix(err, "linux.cgroupsPath");
	/* Set first: a create that fails half way is undone too. */
	c->cgroup_created = true;
	if (c->cg.ops->create(&c->cg, err) < 0)
		return err_prefix(err, "linux.cgroupsPath");
	if (devices_cgroup_rules(c->spec, &rules, &n, err) < 0)
		return -1;
	/* The config's rules plus the defaults every container needs. */
	res = c->spec->linux.resources;
	res.devices = rules;
	res.n_devices = n;
	if (c->cg.ops->apply(&c->cg, &res, err) < 0)
		return err_prefix(err, "linux.resources");
	return 0;
}

static int open_fifo(struct create_run *c, berr_t *err)
{
	if (c->start_by_sync)
		return 0;
	if (mkfifoat(c->state_dirfd, "exec.fifo", 0600) < 0)
		return err_sys(err, "create exec fifo");
	c->init.fifo_fd = openat(c->state_dirfd, "exec.fifo", O_PATH | O_CLOEXEC);
	if (c->init.fifo_fd < 0)
		return err_sys(err, "open exec fifo");
	c->init.host_proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->init.host_proc_fd < 0)
		return err_sys(err, "open /proc");
	return 0;
}

static int prepare(struct create_run *c, berr_t *err)
{
	const struct create_opts *o = c->opts;

	if (state_check_id(o->id, err) < 0 ||
	    resolve_bundle(o, &c->bundle, err) < 0 ||
	    load_config(o, c->bundle, &c->spec, err) < 0 ||
	    resolve_rootfs(c->bundle, c->spec->root_path, &c->rootfs, err) < 0)
		return -1;
	if (pass_listen_fds(c, err) < 0)
		return -1;
	lsm_probe(&c->init.lsm);
	lsm_warn_unsupported(c->spec, &c->init.lsm);
	if (c->spec->linux.seccomp.set) {
		if (seccomp_compile(&c->spec->linux.seccomp, &c->init.seccomp, err) < 0)
			return -1;
		c->init.has_seccomp = true;
	}
	if (create_connect_listener(&c->spec->linux.seccomp, &c->init.seccomp,
			     &c->init.seccomp_listener, err) < 0)
		return -1;
	if (c->spec->process->terminal && !o->console_socket && !c->relay_console)
		return err_set(err, EINVAL, "process.terminal: a terminal needs --console-socket");
	if (mount_sources_open(c->spec, c->bundle, &c->init.mount_fds, err) < 0)
		return -1;
	if (state_dir_create(o->root, o->id, &c->state_dirfd, err) < 0)
		return -1;
	c->state_created = true;
	return open_fifo(c, err);
}

/* The seccomp listener socket is a host path, unreachable from the init
 * after pivot_root: connected here, used by the init before execve.  As
 * crun, a listener is asked for whenever a listenerPath is given. */
int create_connect_listener(const struct spec_seccomp *sc,
			    struct seccomp_prog *prog, int *fd, berr_t *err)
{
	*fd = -1;
	if (!sc->set || !sc->listener_path)
		return 0;
	prog->notify = true;
	return unix_connect(sc->listener_path, "linux.seccomp.listenerPath", fd, err);
}

/* As runc: the caller's name from /etc/passwd, "" when not listed. */
static char *owner_name(void)
{
	struct passwd_entry pw;

	return strdup(passwd_find_uid("/etc/passwd", geteuid(), &pw) ? pw.name : "");
}

static int fill_state(struct create_run *c, berr_t *err)
{
	struct container_state *st = &c->state;

	st->id = strdup(c->opts->id);
	st->bundle = strdup(c->bundle);
	st->rootfs = strdup(c->rootfs);
	st->created = state_timestamp();
	st->owner = owner_name();
	st->oci_version = strdup(c->spec->oci_version);
	st->cgroup_root = c->cgroup_created ? strdup(c->cg.root) : NULL;
	st->cgroup_path = c->cgroup_created ? strdup(c->cgroup_path) : NULL;
	st->annotations = json_incref(c->spec->annotations);
	if (!st->id || !st->bundle || !st->rootfs || !st->created || !st->owner ||
	    !st->oci_version || (c->cgroup_created && (!st->cgroup_root || !st->cgroup_path)))
		return err_sys(err, "state of '%s'", c->opts->id);
	return 0;
}

/* Keeps the config as created: exec and update read it later, even if the
 * bundle's copy has changed since. */
static int save_config(struct create_run *c, berr_t *err)
{
	cleanup_free char *text = json_dumps(c->spec->json, JSON_COMPACT);

	if (!text)
		return err_set(err, ENOMEM, "encode config of '%s'", c->opts->id);
	return fs_write_atomic_at(c->state_dirfd, "config.json", text,
				  strlen(text), 0600, FS_VOLATILE, err);
}

int create_hook_state(struct create_run *c, enum container_status status,
		      char **out, berr_t *err)
{
	json_auto_t *o = state_to_json(&c->state, status);

	if (o)
		json_object_set_new(o, "pid", json_integer(c->pid));
	*out = o ? json_dumps(o, JSON_COMPACT) : NULL;
	return *out ? 0 : err_set(err, ENOMEM, "encode hook state");
}

static int clone_init(struct create_run *c, berr_t *err)
{
	struct ns_saved saved;
	unsigned long flags;
	bool all;
	int fds[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		return err_sys(err, "socketpair");
	c->sync_fd = fds[0];
	c->init.sync_fd = fds[1];
	flags = ns_clone_flags(c->spec, &all);
	c->init.clone_did_namespaces = all;
	if (ns_prepare_children(c->spec, &saved, err) < 0) {
		ns_restore_children(&saved, NULL);
		return -1;
	}
	c->pid = sys_clone_ns(flags);
	if (c->pid == 0) {
		close(c->sync_fd);
		init_main(&c->init);
	}
	if (c->pid < 0) {
		err_sys(err, "clone the container init");
		ns_restore_children(&saved, NULL);
		return -1;
	}
	close(take_fd(c->init.sync_fd));
	return ns_restore_children(&saved, err);
}

static int usermap_if_asked(struct create_run *c, berr_t *err)
{
	if (!ns_is_new(c->spec, CLONE_NEWUSER))
		return 0;
	if (c->init.clone_did_namespaces)
		return ns_write_id_maps(c->pid, c->spec, err);
	if (sync_expect(c->sync_fd, SYNC_USERMAP_REQUEST, NULL, err) < 0 ||
	    ns_write_id_maps(c->pid, c->spec, err) < 0)
		return -1;
	return sync_send(c->sync_fd, SYNC_USERMAP_DONE, NULL, 0, err);
}

static int runtime_hooks(struct create_run *c, const char *state_json,
			 berr_t *err)
{
	if (sync_expect(c->sync_fd, SYNC_HOOKS_REQUEST, NULL, err) < 0 ||
	    hooks_run(c->spec, HOOK_PRESTART, state_json, err) < 0 ||
	    hooks_run(c->spec, HOOK_CREATE_RUNTIME, state_json, err) < 0)
		return -1;
	return sync_send(c->sync_fd, SYNC_HOOKS_DONE, NULL, 0, err);
}

/* The clone forked the real init into its pid namespace and exits: reap
 * it and continue with the init it reported. */
static int adopt_forked_init(struct create_run *c, berr_t *err)
{
	cleanup_free char *payload = NULL;
	int status;
	long pid;

	if (!ns_pid_by_fork(c->spec))
		return 0;
	if (sync_expect(c->sync_fd, SYNC_INIT_PID, &payload, err) < 0)
		return -1;
	pid = strtol(payload, NULL, 10);
	if (pid <= 0)
		return err_set(err, EPROTO, "bad init pid '%s' from the container", payload);
	if (proc_wait(c->pid, &status, err) < 0)
		return -1;
	c->pid = (pid_t)pid;
	return 0;
}

static int drive_init(struct create_run *c, berr_t *err)
{
	cleanup_free char *state_json = NULL;

	if (usermap_if_asked(c, err) < 0 || adopt_forked_init(c, err) < 0)
		return -1;
	c->state.pid = c->pid;
	if (create_hook_state(c, STATUS_CREATING, &state_json, err) < 0 ||
	    sync_send(c->sync_fd, SYNC_GO, state_json, strlen(state_json), err) < 0)
		return -1;
	if ((c->spec->hooks[HOOK_PRESTART].n || c->spec->hooks[HOOK_CREATE_RUNTIME].n) &&
	    runtime_hooks(c, state_json, err) < 0)
		return -1;
	return sync_expect(c->sync_fd, SYNC_READY, NULL, err);
}

/* runc writes the pid file atomically: whoever polls for it never reads
 * an empty one. */
int create_write_pid_file(const char *path, pid_t pid, berr_t *err)
{
	cleanup_free char *dir = strdup(path);
	cleanup_close int dirfd = -1;
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d", pid);

	if (!dir)
		return err_sys(err, "pid file '%s'", path);
	dir[name - path] = '\0';
	dirfd = open(dir[0] ? dir : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return err_sys(err, "pid file '%s'", path);
	if (fs_write_atomic_at(dirfd, name, buf, (size_t)n, 0644, FS_VOLATILE, err) < 0)
		return err_prefix(err, "pid file '%s'", path);
	return 0;
}

static int finish(struct create_run *c, berr_t *err)
{
	if (process_set_oom_score(c->pid, c->spec->process, err) < 0)
		return -1;
	c->state.pid_start = proc_start_time(c->pid);
	if (save_config(c, err) < 0 || state_save(c->state_dirfd, &c->state, err) < 0)
		return -1;
	if (c->opts->pid_file && create_write_pid_file(c->opts->pid_file, c->pid, err) < 0)
		return -1;
	return 0;
}

static int connect_console(struct create_run *c, berr_t *err)
{
	int fds[2];

	c->init.console_fd = -1;
	if (!c->spec->process->terminal)
		return 0;
	if (c->opts->console_socket)
		return console_connect(c->opts->console_socket, &c->init.console_fd, err);
	/* Foreground run: the runtime itself receives the master. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		return err_sys(err, "console socketpair");
	c->console_recv_fd = fds[0];
	c->init.console_fd = fds[1];
	return 0;
}

int create_run_start(struct create_run *c, berr_t *err)
{
	cleanup_free char *json = NULL;

	if (sync_send(c->sync_fd, SYNC_START, NULL, 0, err) < 0)
		return -1;
	if (c->spec->hooks[HOOK_POSTSTART].n &&
	    create_hook_state(c, STATUS_RUNNING, &json, err) == 0)
		hooks_run_warn(c->spec, HOOK_POSTSTART, json);
	err_free(err);
	return 0;
}

/* The runtime spec: a create that fails once the container exists goes on
 * to delete, and delete runs the poststop hooks. */
static void poststop_after_failure(struct create_run *c)
{
	cleanup_free char *json = NULL;
	berr_t err = NULL;

	if (!c->spec || !c->spec->hooks[HOOK_POSTSTOP].n || !c->state.id)
		return;
	c->pid = 0;
	if (create_hook_state(c, STATUS_STOPPED, &json, &err) == 0)
		hooks_run_warn(c->spec, HOOK_POSTSTOP, json);
	err_free(&err);
}

void create_run_cleanup(struct create_run *c, bool failed)
{
	berr_t ignored = NULL;

	if (failed && c->pid > 0)
		cleanup_pid_fn(&c->pid);
	if (failed && c->cgroup_created)
		c->cg.ops->destroy(&c->cg, &ignored);
	err_free(&ignored);
	if (failed && c->state_created) {
		poststop_after_failure(c);
		state_dir_remove(c->opts->root, c->opts->id, &ignored);
	}
	err_free(&ignored);
	cleanup_close_fn(&c->sync_fd);
	cleanup_close_fn(&c->init.sync_fd);
	cleanup_close_fn(&c->init.console_fd);
	cleanup_close_fn(&c->console_recv_fd);
	cleanup_close_fn(&c->init.fifo_fd);
	cleanup_close_fn(&c->init.host_proc_fd);
	cleanup_close_fn(&c->init.seccomp_listener);
	cleanup_close_fn(&c->state_dirfd);
	seccomp_prog_clear(&c->init.seccomp);
	mount_sources_close(c->init.mount_fds, c->spec ? c->spec->n_mounts : 0);
	process_preserved_clear(&c->init.preserved);
	cgroup_clear(&c->cg);
	state_clear(&c->state);
	free(c->cgroup_path);
	free(c->bundle);
	free(c->rootfs);
	spec_free(c->spec);
	memset(c, 0, sizeof(*c));
	c->sync_fd = c->state_dirfd = c->console_recv_fd = -1;
}

int create_run_begin(struct create_run *c, const struct create_opts *o,
		     berr_t *err)
{
	c->opts = o;
	c->init.opts = o;
	/* Before anything here opens an fd. */
	if (process_preserve_fds(o->preserve_fds + o->listen_fds, &c->init.preserved,
				 err) < 0)
		return -1;
	if (prepare(c, err) < 0 || plan_cgroup(c, err) < 0 ||
	    connect_console(c, err) < 0)
		return -1;
	c->init.spec = c->spec;
	c->init.bundle = c->bundle;
	c->init.rootfs = c->rootfs;
	c->init.cgroup = c->cgroup_planned ? &c->cg : NULL;
	c->init.cgroup_root = c->cgroup_planned ? c->cg.root : NULL;
	c->init.cgroup_path = c->cgroup_planned ? c->cgroup_path : NULL;
	if (clone_init(c, err) < 0)
		return -1;
	if (make_cgroup(c, err) < 0 || fill_state(c, err) < 0 ||
	    drive_init(c, err) < 0) {
		sync_peer_error(c->sync_fd, err);
		return -1;
	}
	if (finish(c, err) < 0)
		return -1;
	if (c->console_recv_fd >= 0 &&
	    unix_recv_fd(c->console_recv_fd, &c->console_master, err) < 0)
		return -1;
	return 0;
}

void create_run_init(struct create_run *c)
{
	memset(c, 0, sizeof(*c));
	c->sync_fd = c->state_dirfd = c->console_recv_fd = c->console_master = -1;
	c->init.sync_fd = c->init.console_fd = c->init.fifo_fd = -1;
	c->init.host_proc_fd = c->init.rootfd = c->init.seccomp_listener = -1;
}

int container_create(const struct create_opts *o, struct created *out,
		     berr_t *err)
{
	struct create_run c;
	int r;

	create_run_init(&c);
	r = create_run_begin(&c, o, err);
	if (r == 0 && out) {
		out->pid = c.pid;
		out->console_master = -1;
	}
	create_run_cleanup(&c, r < 0);
	return r;
}
