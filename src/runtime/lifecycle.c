/* start, kill, delete, pause/resume, update, ps: verbs on an existing
 * container, found through its state record. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/syscalls.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "runtime/hooks.h"
#include "runtime/lifecycle.h"
#include "runtime/state.h"

/* A loaded container: state record, stored config and cgroup. */
struct loaded {
	struct container_state st;
	struct spec *spec;
	struct cgroup cg;
	bool has_cgroup;
	enum container_status status;
};

static void loaded_clear(struct loaded *l)
{
	state_clear(&l->st);
	spec_free(l->spec);
	cgroup_clear(&l->cg);
	memset(l, 0, sizeof(*l));
}

int container_load_spec(const char *root, const char *id, struct spec **out,
			berr_t *err)
{
	cleanup_close int dirfd = -1;
	cleanup_free char *text = NULL;
	size_t len;

	if (state_dir_open(root, id, &dirfd, err) < 0 ||
	    fs_read_file_at(dirfd, "config.json", 16 << 20, &text, &len, err) < 0)
		return -1;
	return spec_parse(text, len, "stored config.json", out, err);
}

static int load(const char *root, const char *id, struct loaded *l,
		berr_t *err)
{
	memset(l, 0, sizeof(*l));
	if (state_load(root, id, &l->st, err) < 0)
		return -1;
	if (container_load_spec(root, id, &l->spec, err) < 0) {
		loaded_clear(l);
		return -1;
	}
	if (l->st.cgroup_path) {
		if (cgroup_init(&l->cg, l->st.cgroup_root, l->st.cgroup_path, err) < 0) {
			loaded_clear(l);
			return -1;
		}
		l->has_cgroup = true;
	}
	l->status = state_status(root, &l->st);
	return 0;
}

static char *hook_state(const struct loaded *l, enum container_status status)
{
	json_auto_t *o = state_to_json(&l->st, status);

	return o ? json_dumps(o, JSON_COMPACT) : NULL;
}

/* Reads the fifo until the init's byte (want_eof false) or until EOF, when
 * execve closed the init's end (want_eof true).  An init that dies is an
 * error while waiting for its byte, the end of the wait otherwise. */
static int read_fifo(int fd, const struct loaded *l, bool want_eof,
		     berr_t *err)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char byte;
		ssize_t n;

		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			return err_sys(err, "wait for the container init");
		n = read(fd, &byte, 1);
		if (n == 1 && !want_eof)
			return 0;
		if (n == 0 && want_eof && (p.revents & POLLHUP))
			return 0;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return err_sys(err, "read exec fifo");
		if (!proc_is_alive(l->st.pid, l->st.pid_start))
			return want_eof ? 0 : err_set(err, ESRCH,
				"container '%s' init exited before start", l->st.id);
	}
}

/* The fifo is opened without blocking so a dead init is noticed instead
 * of waited for. */
static int release_init(const char *root, const struct loaded *l, berr_t *err)
{
	cleanup_free char *path = NULL;
	cleanup_close int fd = -1;

	if (asprintf(&path, "%s/%s/exec.fifo", root, l->st.id) < 0)
		return err_sys(err, "start");
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open '%s'", path);
	if (read_fifo(fd, l, false, err) < 0)
		return -1;
	if (unlink(path) < 0)
		return err_sys(err, "remove '%s'", path);
	return read_fifo(fd, l, true, err);
}

int container_start(const char *root, const char *id, berr_t *err)
{
	struct loaded l;
	cleanup_free char *json = NULL;
	int r = -1;

	if (load(root, id, &l, err) < 0)
		return -1;
	if (l.status != STATUS_CREATED)
		err_set(err, EINVAL, "cannot start container '%s': it is %s, not created",
			id, status_name(l.status));
	else if (release_init(root, &l, err) == 0)
		r = 0;
	if (r == 0 && l.spec->hooks[HOOK_POSTSTART].n) {
		json = hook_state(&l, STATUS_RUNNING);
		hooks_run_warn(l.spec, HOOK_POSTSTART, json);
	}
	loaded_clear(&l);
	return r;
}

static int signal_init(const struct loaded *l, int sig, berr_t *err)
{
	cleanup_close int pidfd = sys_pidfd_open(l->st.pid);

	/* The pidfd pins the process: once it is open and the start time
	 * still matches, the signal cannot reach a process that reused the
	 * pid.  A mismatch means the init is gone already. */
	if (pidfd >= 0) {
		if (!proc_is_alive(l->st.pid, l->st.pid_start))
			return 0;
		if (sys_pidfd_send_signal(pidfd, sig) < 0 && errno != ESRCH)
			return err_sys(err, "signal container '%s'", l->st.id);
		return 0;
	}
	if (errno != ENOSYS && errno != EINVAL)
		return errno == ESRCH ? 0 : err_sys(err, "signal container '%s'", l->st.id);
	/* Old kernels: the start time check narrows the race to a moment. */
	if (proc_is_alive(l->st.pid, l->st.pid_start) && kill(l->st.pid, sig) < 0)
		return err_sys(err, "signal container '%s'", l->st.id);
	return 0;
}

int container_kill(const char *root, const char *id, int sig, bool all,
		   berr_t *err)
{
	struct loaded l;
	int r;

	if (load(root, id, &l, err) < 0)
		return -1;
	if (l.status == STATUS_STOPPED && !all)
		r = err_set(err, ESRCH, "cannot kill container '%s': it is not running",
			    id);
	else if (all && l.has_cgroup)
		r = cgroup_kill_all(&l.cg, sig, err);
	else
		r = l.status == STATUS_STOPPED ? 0 : signal_init(&l, sig, err);
	loaded_clear(&l);
	return r;
}

static void wait_gone(const struct loaded *l)
{
	for (int i = 0; i < 500 && proc_is_alive(l->st.pid, l->st.pid_start); i++)
		usleep(2000);
}

/* Processes still in the cgroup (exec'd, forked) go with the container;
 * reading the pids first skips freezing an empty cgroup. */
static void kill_leftovers(struct cgroup *cg)
{
	cleanup_free pid_t *pids = NULL;
	berr_t err = NULL;
	size_t n = 0;

	if (cg->ops->pids(cg, &pids, &n, &err) < 0 || n > 0)
		cgroup_kill_all(cg, SIGKILL, &err);
	err_free(&err);
}

int lifecycle_remove(const char *root, const struct container_state *st,
		     const struct spec *spec, struct cgroup *cg, bool force,
		     berr_t *err)
{
	cleanup_free char *json = NULL;
	json_auto_t *o = NULL;

	if (cg) {
		kill_leftovers(cg);
		if (cg->ops->destroy(cg, err) < 0 && !force)
			return -1;
		/* A process kept frozen elsewhere pins the cgroup: crun warns
		 * and removes the container all the same. */
		if (*err)
			log_warn("%s", err_msg(*err));
		err_free(err);
	}
	if (spec->hooks[HOOK_POSTSTOP].n) {
		o = state_to_json(st, STATUS_STOPPED);
		json = o ? json_dumps(o, JSON_COMPACT) : NULL;
		hooks_run_warn(spec, HOOK_POSTSTOP, json);
	}
	return state_dir_remove(root, st->id, err);
}

static void stop_for_delete(struct loaded *l)
{
	berr_t ignored = NULL;

	if (l->has_cgroup && l->status == STATUS_PAUSED)
		l->cg.ops->freeze(&l->cg, false, &ignored);
	err_free(&ignored);
	signal_init(l, SIGKILL, &ignored);
	err_free(&ignored);
	wait_gone(l);
}

/* As runc and crun: with --force a container that does not exist (or
 * whose record is half written) is no error. */
static int delete_missing(const char *root, const char *id, bool force,
			  berr_t *err)
{
	berr_t ignored = NULL;

	if (!force || !*err || (*err)->errnum != ENOENT)
		return -1;
	err_free(err);
	if (state_check_id(id, &ignored) == 0)
		state_dir_remove(root, id, &ignored);
	err_free(&ignored);
	return 0;
}

int container_delete(const char *root, const char *id, bool force,
		     berr_t *err)
{
	struct loaded l;
	int r;

	if (load(root, id, &l, err) < 0)
		return delete_missing(root, id, force, err);
	if (!force && (l.status == STATUS_RUNNING || l.status == STATUS_PAUSED)) {
		r = err_set(err, EBUSY, "cannot delete container '%s' that is not stopped: %s",
			    id, status_name(l.status));
	} else {
		if (l.status != STATUS_STOPPED)
			stop_for_delete(&l);
		r = lifecycle_remove(root, &l.st, l.spec, l.has_cgroup ? &l.cg : NULL,
				     force, err);
	}
	loaded_clear(&l);
	return r;
}

int container_pause(const char *root, const char *id, bool pause,
		    berr_t *err)
{
	struct loaded l;
	enum container_status need = pause ? STATUS_RUNNING : STATUS_PAUSED;
	int r;

	if (load(root, id, &l, err) < 0)
		return -1;
	if (!l.has_cgroup)
		r = err_set(err, EOPNOTSUPP, "container '%s' has no cgroup to freeze", id);
	else if (l.status != need)
		r = err_set(err, EINVAL, "cannot %s container '%s': it is %s",
			    pause ? "pause" : "resume", id, status_name(l.status));
	else
		r = l.cg.ops->freeze(&l.cg, pause, err);
	loaded_clear(&l);
	return r;
}

int container_update(const char *root, const char *id,
		     const struct spec_resources *res, berr_t *err)
{
	struct loaded l;
	int r;

	if (load(root, id, &l, err) < 0)
		return -1;
	if (!l.has_cgroup)
		r = err_set(err, EOPNOTSUPP, "container '%s' has no cgroup", id);
	else if (l.status == STATUS_STOPPED)
		r = err_set(err, EINVAL, "cannot update container '%s': it is stopped", id);
	else
		r = l.cg.ops->apply(&l.cg, res, err);
	loaded_clear(&l);
	return r;
}

int container_pids(const char *root, const char *id, pid_t **pids, size_t *n,
		   berr_t *err)
{
	struct loaded l;
	int r;

	if (load(root, id, &l, err) < 0)
		return -1;
	if (!l.has_cgroup) {
		*pids = malloc(sizeof(pid_t));
		*n = l.status == STATUS_STOPPED ? 0 : 1;
		r = *pids ? 0 : err_sys(err, "ps");
		if (*pids)
			(*pids)[0] = l.st.pid;
	} else {
		r = l.cg.ops->pids(&l.cg, pids, n, err);
	}
	loaded_clear(&l);
	return r;
}
