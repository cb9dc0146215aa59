/* `exec`: a new process inside a running container.  The runtime joins
 * the container's pid namespace for its children, forks, puts the child in
 * the container's cgroup; the child joins every other namespace (user
 * first, mount last), then applies the process like the init does. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/proc.h"
#include "common/syscalls.h"
#include "common/unix_socket.h"
#include "runtime/cgroup.h"
#include "runtime/exe_guard.h"
#include "runtime/console.h"
#include "runtime/container.h"
#include "runtime/create_internal.h"
#include "runtime/foreground.h"
#include "runtime/namespaces.h"
#include "runtime/process.h"
#include "runtime/state.h"
#include "runtime/sync.h"

struct exec_run {
	const struct exec_opts *o;
	struct container_state st;
	struct spec *spec;
	struct cgroup cg;
	bool has_cgroup;
	struct seccomp_prog seccomp;
	int ns_fds[NS_JOIN_ORDER_N];
	int sync[2];
	int console_fd;   /* init side of the console socket */
	int console_recv; /* our side when relaying */
	int listener;     /* connected seccomp listenerPath, or -1 */
	char *state_json; /* for the seccomp listener */
	struct lsm_host lsm;
	struct preserved_fds preserved;
	pid_t pid;
};

static int open_namespaces(struct exec_run *x, berr_t *err)
{
	for (size_t i = 0; i < NS_JOIN_ORDER_N; i++) {
		char path[64];

		x->ns_fds[i] = -1;
		if (!ns_find(x->spec, ns_join_order[i]))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", x->st.pid,
			 spec_namespace_proc_name(ns_join_order[i]));
		x->ns_fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (x->ns_fds[i] < 0)
			return err_sys(err, "open '%s'", path);
	}
	return 0;
}

static int child_setup(struct exec_run *x, struct process_target *t,
		       berr_t *err)
{
	const struct spec_process *p = x->o->process;

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return err_sys(err, "make the exec process non-dumpable");
	/* Itself, before leaving the host's mount namespace (fast on v1). */
	if (x->has_cgroup && x->cg.ops->enter(&x->cg, 0, err) < 0)
		return err_prefix(err, "join the container's cgroup");
	for (size_t i = 0; i < NS_JOIN_ORDER_N; i++)
		if (x->ns_fds[i] >= 0 && setns(x->ns_fds[i], ns_join_order[i]) < 0)
			return err_sys(err, "join the container's %s namespace",
				       spec_namespace_name(ns_join_order[i]));
	if (sync_expect(x->sync[1], SYNC_GO, NULL, err) < 0)
		return -1;
	if (chdir(p->cwd) < 0)
		return err_sys(err, "process.cwd: '%s'", p->cwd);
	if (p->terminal && x->console_fd >= 0 &&
	    console_setup(p, x->console_fd, err) < 0)
		return -1;
	if (process_apply_limits(p, err) < 0 ||
	    process_resolve(p, t, err) < 0)
		return -1;
	struct seccomp_listener l = { .sock = x->listener,
				      .metadata = x->spec->linux.seccomp.listener_metadata,
				      .state_json = x->state_json };

	return process_finalize(p, x->seccomp.bpf ? &x->seccomp : NULL, &l, &x->lsm, err);
}

static _Noreturn void child(struct exec_run *x)
{
	struct process_target target;
	berr_t err = NULL;

	close(x->sync[0]);
	/* On success execve closes the sync socket: EOF tells the runtime. */
	if (child_setup(x, &target, &err) == 0)
		process_exec(x->o->process, &target, &x->preserved, &err);
	sync_send_error(x->sync[1], err);
	_exit(err && err->errnum == ENOENT ? 127 : 126);
}

static int exec_state_json(struct exec_run *x, enum container_status status,
			   berr_t *err)
{
	json_auto_t *o = state_to_json(&x->st, status);

	x->state_json = o ? json_dumps(o, JSON_COMPACT) : NULL;
	return x->state_json ? 0 : err_set(err, ENOMEM, "encode state");
}

static int load(struct exec_run *x, berr_t *err)
{
	enum container_status status;

	if (state_load(x->o->root, x->o->id, &x->st, err) < 0 ||
	    container_load_spec(x->o->root, x->o->id, &x->spec, err) < 0)
		return -1;
	if (exe_guard_needed(x->spec, x->o->process) && exe_guard_ensure(err) < 0)
		return -1;
	status = state_status(x->o->root, &x->st);
	if (status != STATUS_RUNNING && status != STATUS_CREATED)
		return err_set(err, EINVAL, "cannot exec in container '%s': it is %s",
			       x->o->id, status_name(status));
	if (x->st.cgroup_path) {
		if (cgroup_init(&x->cg, x->st.cgroup_root, x->st.cgroup_path, err) < 0)
			return -1;
		x->has_cgroup = true;
	}
	if (x->spec->linux.seccomp.set &&
	    seccomp_compile(&x->spec->linux.seccomp, &x->seccomp, err) < 0)
		return -1;
	lsm_probe(&x->lsm);
	if (create_connect_listener(&x->spec->linux.seccomp, &x->seccomp,
				    &x->listener, err) < 0 ||
	    exec_state_json(x, status, err) < 0)
		return -1;
	return open_namespaces(x, err);
}

static int setup_console(struct exec_run *x, berr_t *err)
{
	int fds[2];

	if (!x->o->process->terminal)
		return 0;
	if (x->o->console_socket)
		return console_connect(x->o->console_socket, &x->console_fd, err);
	if (x->o->detach)
		return err_set(err, EINVAL, "exec: a detached terminal needs --console-socket");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		return err_sys(err, "console socketpair");
	x->console_recv = fds[0];
	x->console_fd = fds[1];
	return 0;
}

static int fork_child(struct exec_run *x, berr_t *err)
{
	struct ns_saved saved;
	int r = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, x->sync) < 0)
		return err_sys(err, "socketpair");
	/* pid and time namespaces take effect for children only: only the
	 * exec'd process enters them, we go back right after the fork. */
	if (ns_children_into(x->st.pid, ns_find(x->spec, CLONE_NEWTIME) != NULL,
			     &saved, err) < 0) {
		ns_restore_children(&saved, NULL);
		return err_prefix(err, "join the container's namespaces");
	}
	x->pid = sys_clone_ns(0);
	if (x->pid == 0)
		child(x);
	if (x->pid < 0)
		r = err_sys(err, "fork the exec process");
	if (ns_restore_children(&saved, r < 0 ? NULL : err) < 0)
		r = -1;
	if (r == 0)
		close(take_fd(x->sync[1]));
	return r;
}

/* EOF on the sync socket means execve succeeded. */
static int wait_exec(struct exec_run *x, berr_t *err)
{
	cleanup_free char *msg = NULL;
	enum sync_type type;
	berr_t recv_err = NULL;

	if (sync_recv(x->sync[0], &type, &msg, &recv_err) < 0) {
		bool eof = recv_err->errnum == EPIPE;

		if (!eof) {
			*err = recv_err;
			return -1;
		}
		err_free(&recv_err);
		return 0;
	}
	if (type == SYNC_ERROR)
		return sync_error_payload(msg, err);
	return err_set(err, EPROTO, "unexpected message %d from the exec process", type);
}

static int start_child(struct exec_run *x, berr_t *err)
{
	if (fork_child(x, err) < 0 ||
	    process_set_oom_score(x->pid, x->o->process, err) < 0)
		return -1;
	if (sync_send(x->sync[0], SYNC_GO, NULL, 0, err) < 0 || wait_exec(x, err) < 0)
		return -1;
	if (x->o->pid_file && create_write_pid_file(x->o->pid_file, x->pid, err) < 0)
		return -1;
	return 0;
}

static int attend(struct exec_run *x, int *exit_code, berr_t *err)
{
	struct foreground fg;
	cleanup_close int master = -1;
	int status = 0;

	if (x->console_recv >= 0 && unix_recv_fd(x->console_recv, &master, err) < 0)
		return -1;
	if (foreground_begin(&fg, master, err) < 0)
		return -1;
	if (foreground_wait(&fg, x->pid, &status, err) < 0) {
		foreground_end(&fg);
		return -1;
	}
	foreground_end(&fg);
	x->pid = -1;
	*exit_code = proc_exit_code(status);
	return 0;
}

static void exec_run_clear(struct exec_run *x, bool failed)
{
	if (failed && x->pid > 0)
		cleanup_pid_fn(&x->pid);
	for (size_t i = 0; i < NS_JOIN_ORDER_N; i++)
		cleanup_close_fn(&x->ns_fds[i]);
	cleanup_close_fn(&x->sync[0]);
	cleanup_close_fn(&x->sync[1]);
	cleanup_close_fn(&x->console_fd);
	cleanup_close_fn(&x->console_recv);
	cleanup_close_fn(&x->listener);
	process_preserved_clear(&x->preserved);
	free(x->state_json);
	seccomp_prog_clear(&x->seccomp);
	cgroup_clear(&x->cg);
	spec_free(x->spec);
	state_clear(&x->st);
}

int container_exec(const struct exec_opts *o, int *exit_code, berr_t *err)
{
	struct exec_run x = { .o = o, .sync = { -1, -1 }, .console_fd = -1,
			      .console_recv = -1, .listener = -1 };
	int r;

	for (size_t i = 0; i < NS_JOIN_ORDER_N; i++)
		x.ns_fds[i] = -1;
	*exit_code = 0;
	/* Before anything here opens an fd. */
	r = process_preserve_fds(o->preserve_fds, &x.preserved, err) < 0 ||
	    load(&x, err) < 0 || setup_console(&x, err) < 0 || start_child(&x, err) < 0 ?
		    -1 : 0;
	if (r == 0 && !o->detach)
		r = attend(&x, exit_code, err);
	exec_run_clear(&x, r < 0);
	return r;
}

int container_exec_process_json(const char *root, const char *id, char **args,
				json_t **out, berr_t *err)
{
	struct spec *spec = NULL;
	json_t *argv = json_array();

	if (!argv)
		return err_set(err, ENOMEM, "exec process");
	if (container_load_spec(root, id, &spec, err) < 0) {
		json_decref(argv);
		return -1;
	}
	*out = json_deep_copy(json_object_get(spec->json, "process"));
	spec_free(spec);
	if (!*out) {
		json_decref(argv);
		return err_set(err, EINVAL, "exec: container '%s' has no process", id);
	}
	for (size_t i = 0; args[i]; i++)
		json_array_append_new(argv, json_string(args[i]));
	json_object_set_new(*out, "args", argv);
	json_object_set_new(*out, "terminal", json_false());
	return 0;
}
