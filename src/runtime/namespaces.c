#include "runtime/namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/syscalls.h"
#include "runtime/sync.h"

/* The order joins happen in: user first so the others are permitted,
 * mount last because it changes how later paths resolve. */
const int ns_join_order[NS_JOIN_ORDER_N] = { CLONE_NEWUSER, CLONE_NEWIPC,
					     CLONE_NEWUTS, CLONE_NEWNET,
					     CLONE_NEWCGROUP, CLONE_NEWNS };

#define ALL_NEW (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET)
#define CLONE_NEW (ALL_NEW | CLONE_NEWUSER | CLONE_NEWPID)

const struct spec_namespace *ns_find(const struct spec *spec, int type)
{
	for (size_t i = 0; i < spec->linux.n_namespaces; i++)
		if (spec->linux.namespaces[i].type == type)
			return &spec->linux.namespaces[i];
	return NULL;
}

bool ns_is_new(const struct spec *spec, int type)
{
	const struct spec_namespace *ns = ns_find(spec, type);

	return ns && !ns->path;
}

int ns_join(const char *path, int type, berr_t *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_sys(err, "open %s namespace '%s'",
			       spec_namespace_name(type), path);
	if (setns(fd, type) < 0)
		return err_sys(err, "join %s namespace '%s'",
			       spec_namespace_name(type), path);
	return 0;
}

static int save_own(const char *name, int *fd, berr_t *err)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	return *fd < 0 ? err_sys(err, "open '%s'", path) : 0;
}

static int write_time_offsets(const struct spec *spec, berr_t *err)
{
	char buf[128];
	int n = snprintf(buf, sizeof(buf), "monotonic %lld %u\nboottime %lld %u\n",
			 (long long)spec->linux.time_offsets.monotonic_secs,
			 spec->linux.time_offsets.monotonic_nsecs,
			 (long long)spec->linux.time_offsets.boottime_secs,
			 spec->linux.time_offsets.boottime_nsecs);

	return fs_write_file_at(AT_FDCWD, "/proc/self/timens_offsets", buf,
				(size_t)n, err);
}

int ns_prepare_children(const struct spec *spec, struct ns_saved *saved,
			berr_t *err)
{
	const struct spec_namespace *pid = ns_find(spec, CLONE_NEWPID);
	const struct spec_namespace *time = ns_find(spec, CLONE_NEWTIME);

	saved->pid_fd = saved->time_fd = -1;
	if (pid && pid->path && (save_own("pid", &saved->pid_fd, err) < 0 ||
				 ns_join(pid->path, CLONE_NEWPID, err) < 0))
		return -1;
	if (!time)
		return 0;
	if (save_own("time", &saved->time_fd, err) < 0)
		return -1;
	if (time->path)
		return ns_join(time->path, CLONE_NEWTIME, err);
	if (unshare(CLONE_NEWTIME) < 0)
		return err_sys(err, "create time namespace");
	return spec->linux.time_offsets.set ? write_time_offsets(spec, err) : 0;
}

int ns_children_into(pid_t pid, bool time, struct ns_saved *saved,
		     berr_t *err)
{
	char path[64];

	saved->pid_fd = saved->time_fd = -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
	if (save_own("pid", &saved->pid_fd, err) < 0 ||
	    ns_join(path, CLONE_NEWPID, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/time", pid);
	if (time && (save_own("time", &saved->time_fd, err) < 0 ||
		     ns_join(path, CLONE_NEWTIME, err) < 0))
		return -1;
	return 0;
}

int ns_restore_children(struct ns_saved *saved, berr_t *err)
{
	int r = 0;

	if (saved->pid_fd >= 0 && setns(saved->pid_fd, CLONE_NEWPID) < 0)
		r = err_sys(err, "return to the runtime's pid namespace");
	if (saved->time_fd >= 0 && setns(saved->time_fd, CLONE_NEWTIME) < 0)
		r = err_sys(err, "return to the runtime's time namespace");
	cleanup_close_fn(&saved->pid_fd);
	cleanup_close_fn(&saved->time_fd);
	saved->pid_fd = saved->time_fd = -1;
	return r;
}

static bool joins_any(const struct spec *spec)
{
	for (size_t i = 0; i < spec->linux.n_namespaces; i++) {
		int t = spec->linux.namespaces[i].type;

		if (spec->linux.namespaces[i].path && t != CLONE_NEWPID &&
		    t != CLONE_NEWTIME)
			return true;
	}
	return false;
}

bool ns_pid_by_fork(const struct spec *spec)
{
	return joins_any(spec) && ns_is_new(spec, CLONE_NEWPID) &&
	       ns_find(spec, CLONE_NEWUSER);
}

unsigned long ns_clone_flags(const struct spec *spec, bool *all)
{
	unsigned long flags = ns_is_new(spec, CLONE_NEWPID) &&
			      !ns_pid_by_fork(spec) ? CLONE_NEWPID : 0;

	/* With nothing to join, one clone() creates every namespace, the user
	 * one first, so it owns the others (a pid namespace owned by the
	 * host's user namespace would refuse the container's /proc mount). */
	*all = !joins_any(spec);
	if (!*all)
		return flags;
	for (size_t i = 0; i < spec->linux.n_namespaces; i++)
		if (!spec->linux.namespaces[i].path)
			flags |= (unsigned long)spec->linux.namespaces[i].type & CLONE_NEW;
	return flags;
}

int ns_become_root(const struct spec *spec, berr_t *err)
{
	/* The namespace's root, so the setup that follows is allowed. */
	if (ns_is_new(spec, CLONE_NEWUSER) &&
	    (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		return err_sys(err, "become root in the user namespace");
	return 0;
}

static int new_userns(int sync_fd, berr_t *err)
{
	if (unshare(CLONE_NEWUSER) < 0)
		return err_sys(err, "create user namespace");
	if (sync_send(sync_fd, SYNC_USERMAP_REQUEST, NULL, 0, err) < 0 ||
	    sync_expect(sync_fd, SYNC_USERMAP_DONE, NULL, err) < 0)
		return -1;
	return 0;
}

/* A pid namespace belongs to the user namespace of the process that
 * creates it; with a user namespace to join or create first, the init
 * unshares it itself and forks the real init into it.  The intermediate
 * process reports the new init's pid and leaves; the runtime adopts it. */
static int fork_into_pidns(int sync_fd, berr_t *err)
{
	char buf[16];
	pid_t pid;

	if (unshare(CLONE_NEWPID) < 0)
		return err_sys(err, "create pid namespace");
	pid = fork();
	if (pid < 0)
		return err_sys(err, "fork into the pid namespace");
	if (pid == 0)
		return 0;
	snprintf(buf, sizeof(buf), "%d", pid);
	if (sync_send(sync_fd, SYNC_INIT_PID, buf, strlen(buf), err) < 0)
		_exit(1);
	_exit(0);
}

int ns_enter(const struct spec *spec, int sync_fd, bool done_in_clone,
	     berr_t *err)
{
	int unshare_flags = 0;

	if (done_in_clone)
		return 0;
	for (size_t o = 0; o < NS_JOIN_ORDER_N; o++) {
		const struct spec_namespace *ns = ns_find(spec, ns_join_order[o]);

		if (ns && ns->path && ns_join(ns->path, ns->type, err) < 0)
			return -1;
	}
	if (ns_is_new(spec, CLONE_NEWUSER) && new_userns(sync_fd, err) < 0)
		return -1;
	for (size_t i = 0; i < spec->linux.n_namespaces; i++)
		if (!spec->linux.namespaces[i].path)
			unshare_flags |= spec->linux.namespaces[i].type & ALL_NEW;
	if (unshare_flags && unshare(unshare_flags) < 0)
		return err_sys(err, "create namespaces");
	return ns_pid_by_fork(spec) ? fork_into_pidns(sync_fd, err) : 0;
}

int ns_enter_cgroup(const struct spec *spec, berr_t *err)
{
	const struct spec_namespace *ns = ns_find(spec, CLONE_NEWCGROUP);

	if (!ns)
		return 0;
	if (ns->path)
		return 0; /* joined with the others */
	if (unshare(CLONE_NEWCGROUP) < 0)
		return err_sys(err, "create cgroup namespace");
	return 0;
}

static int write_map(pid_t pid, const char *file, const struct spec_idmap *m,
		     size_t n, berr_t *err)
{
	cleanup_free char *buf = NULL;
	char path[64];
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		return err_sys(err, "%s", file);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%u %u %u\n", m[i].container_id, m[i].host_id,
			m[i].size);
	if (fclose(out) != 0)
		return err_sys(err, "%s", file);
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	return fs_write_file_at(AT_FDCWD, path, buf, len, err);
}

int ns_write_id_maps(pid_t pid, const struct spec *spec, berr_t *err)
{
	const struct spec_linux *l = &spec->linux;
	/* No mappings given (crun accepts that): the namespace's root is
	 * the caller, as a rootless runtime would map it. */
	struct spec_idmap self_uid = { 0, (uint32_t)geteuid(), 1 };
	struct spec_idmap self_gid = { 0, (uint32_t)getegid(), 1 };

	if (write_map(pid, "uid_map", l->n_uid_mappings ? l->uid_mappings : &self_uid,
		      l->n_uid_mappings ? l->n_uid_mappings : 1, err) < 0)
		return err_prefix(err, "linux.uidMappings");
	if (write_map(pid, "gid_map", l->n_gid_mappings ? l->gid_mappings : &self_gid,
		      l->n_gid_mappings ? l->n_gid_mappings : 1, err) < 0)
		return err_prefix(err, "linux.gidMappings");
	return 0;
}

/* A user namespace holding these maps, kept alive by the returned fd: the
 * idmapping of an idmapped mount.  A child is cloned into a new user
 * namespace, its maps are written, its namespace opened, and it exits. */
int ns_userns_with_maps(const struct spec_idmap *uids, size_t n_uids,
			const struct spec_idmap *gids, size_t n_gids, int *fd,
			berr_t *err)
{
	struct spec spec = { 0 };
	char path[64];
	int hold[2], r = 0;
	pid_t pid;

	if (pipe2(hold, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	pid = sys_clone_ns(CLONE_NEWUSER);
	if (pid == 0) {
		char c;

		close(hold[1]);
		_exit(read(hold[0], &c, 1) < 0);
	}
	close(hold[0]);
	if (pid < 0) {
		close(hold[1]);
		return err_sys(err, "create a user namespace for an idmapping");
	}
	spec.linux.uid_mappings = (struct spec_idmap *)uids;
	spec.linux.n_uid_mappings = n_uids;
	spec.linux.gid_mappings = (struct spec_idmap *)gids;
	spec.linux.n_gid_mappings = n_gids;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	if (ns_write_id_maps(pid, &spec, err) < 0)
		r = -1;
	else if ((*fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		r = err_sys(err, "open '%s'", path);
	close(hold[1]);
	cleanup_pid_fn(&pid);
	return r;
}
