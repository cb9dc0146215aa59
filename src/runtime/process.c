#include "runtime/process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/passwd.h"
#include "common/syscalls.h"
#include "runtime/caps.h"
#include "runtime/lsm.h"

static int apply_rlimits(const struct spec_process *p, berr_t *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct spec_rlimit *rl = &p->rlimits[i];
		struct rlimit lim = { .rlim_cur = rl->soft, .rlim_max = rl->hard };
		struct rlimit cur;

		if (setrlimit(rl->resource, &lim) == 0)
			continue;
		if (errno == EPERM && getrlimit(rl->resource, &cur) == 0 &&
		    rl->hard > cur.rlim_max)
			return err_set(err, EPERM,
				       "process.rlimits[%zu]: %s hard limit %llu is above the host's %llu and raising it needs CAP_SYS_RESOURCE",
				       i, spec_rlimit_name(rl->resource),
				       (unsigned long long)rl->hard,
				       (unsigned long long)cur.rlim_max);
		return err_sys(err, "process.rlimits[%zu]: set %s", i,
			       spec_rlimit_name(rl->resource));
	}
	return 0;
}

int process_set_oom_score(pid_t pid, const struct spec_process *p,
			  berr_t *err)
{
	char path[64], buf[16];
	int n;

	if (!p->oom_score_adj.set)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", pid);
	n = snprintf(buf, sizeof(buf), "%lld", (long long)p->oom_score_adj.v);
	if (fs_write_file_at(AT_FDCWD, path, buf, (size_t)n, err) < 0)
		return err_prefix(err, "process.oomScoreAdj");
	return 0;
}

struct sched_attr_v1 {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
};

static int apply_scheduler(const struct spec_process *p, berr_t *err)
{
	const struct spec_scheduler *s = &p->scheduler;
	struct sched_attr_v1 attr = {
		.size = sizeof(attr), .sched_policy = (uint32_t)s->policy,
		.sched_flags = s->flags, .sched_nice = s->nice,
		.sched_priority = (uint32_t)s->priority,
		.sched_runtime = s->runtime, .sched_deadline = s->deadline,
		.sched_period = s->period,
	};

	if (s->set && syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
		return err_sys(err, "process.scheduler");
	if (p->ioprio.set &&
	    syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0,
		    (int)p->ioprio.v) < 0)
		return err_sys(err, "process.ioPriority");
	return 0;
}

/* "0-3,7" into a cpu set. */
static int parse_cpus(const char *list, cpu_set_t *set, const char *where,
		      berr_t *err)
{
	const char *p = list;

	CPU_ZERO(set);
	while (*p) {
		char *end;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;

		if (end == p)
			return err_set(err, EINVAL, "%s: '%s' is not a cpu list",
				       where, list);
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		if (hi < lo || hi >= CPU_SETSIZE)
			return err_set(err, EINVAL, "%s: '%s' is not a cpu list",
				       where, list);
		for (unsigned long c = lo; c <= hi; c++)
			CPU_SET(c, set);
		p = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return err_set(err, EINVAL, "%s: '%s' is not a cpu list",
				       where, list);
	}
	return 0;
}

static int set_affinity(const char *list, const char *where, berr_t *err)
{
	cpu_set_t set;

	if (!list)
		return 0;
	if (parse_cpus(list, &set, where, err) < 0)
		return -1;
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return err_sys(err, "%s", where);
	return 0;
}

int process_apply_limits(const struct spec_process *p, berr_t *err)
{
	if (apply_rlimits(p, err) < 0 || apply_scheduler(p, err) < 0 ||
	    set_affinity(p->cpu_affinity_initial,
			 "process.execCPUAffinity.initial", err) < 0)
		return -1;
	return 0;
}

static const char *env_get(char *const *env, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
			return env[i] + len + 1;
	return NULL;
}

static bool is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       (st.st_mode & 0111);
}

static int find_executable(const struct spec_process *p, char *out,
			   size_t size, berr_t *err)
{
	const char *file = p->args[0];
	const char *path = env_get(p->env, "PATH");

	if (strchr(file, '/')) {
		if (snprintf(out, size, "%s", file) >= (int)size)
			return err_set(err, ENAMETOOLONG, "exec '%s': name too long", file);
		if (access(out, F_OK) < 0)
			return err_sys(err, "exec: '%s'", file);
		return 0;
	}
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (const char *dir = path; *dir;) {
		size_t len = strcspn(dir, ":");

		if (snprintf(out, size, "%.*s/%s", (int)len, len ? dir : ".", file) <
			    (int)size &&
		    is_executable(out))
			return 0;
		dir += len;
		if (*dir == ':')
			dir++;
	}
	return err_set(err, ENOENT, "exec: '%s': executable file not found in $PATH",
		       file);
}

static int switch_user(const struct spec_user *u, berr_t *err)
{
	gid_t *gids = NULL;

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return err_sys(err, "keep capabilities across the user switch");
	if (u->n_additional_gids) {
		gids = (gid_t *)u->additional_gids;
		if (setgroups(u->n_additional_gids, gids) < 0)
			return err_sys(err, "process.user.additionalGids");
	} else if (setgroups(0, NULL) < 0 && errno != EPERM) {
		return err_sys(err, "clear supplementary groups");
	}
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return err_sys(err, "process.user.gid: set gid %u", u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return err_sys(err, "process.user.uid: set uid %u", u->uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return err_sys(err, "reset keep capabilities");
	return 0;
}

static int load_seccomp(const struct seccomp_prog *sc,
			const struct seccomp_listener *listener, berr_t *err)
{
	cleanup_close int notify = -1;

	if (!sc || !sc->bpf)
		return 0;
	if (seccomp_prog_load(sc, sc->notify ? &notify : NULL, err) < 0)
		return err_prefix(err, "linux.seccomp");
	if (notify >= 0 && listener && listener->sock >= 0)
		return seccomp_send_listener(listener, notify, err);
	return 0;
}

int process_finalize(const struct spec_process *p,
		     const struct seccomp_prog *seccomp,
		     const struct seccomp_listener *listener,
		     const struct lsm_host *lsm, berr_t *err)
{
	/* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which
	 * the process may be about to lose: load it first then. */
	if (!p->no_new_privileges && load_seccomp(seccomp, listener, err) < 0)
		return -1;
	if (p->caps.set && caps_drop_bounding(&p->caps, err) < 0)
		return err_prefix(err, "process.capabilities.bounding");
	if (switch_user(&p->user, err) < 0)
		return -1;
	if (p->caps.set && caps_apply(&p->caps, err) < 0)
		return err_prefix(err, "process.capabilities");
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_sys(err, "process.noNewPrivileges");
	if (lsm_apply_exec_label(p, lsm, err) < 0)
		return -1;
	if (p->no_new_privileges && load_seccomp(seccomp, listener, err) < 0)
		return -1;
	return set_affinity(p->cpu_affinity_final, "process.execCPUAffinity.final",
			    err);
}

int process_resolve(const struct spec_process *p, struct process_target *t,
		    berr_t *err)
{
	struct passwd_entry pw;

	t->home[0] = '\0';
	if (!env_get(p->env, "HOME"))
		snprintf(t->home, sizeof(t->home), "HOME=%s",
			 passwd_find_uid("/etc/passwd", p->user.uid, &pw) && pw.home[0] ?
				 pw.home : "/");
	return find_executable(p, t->path, sizeof(t->path), err);
}

/* The process env plus HOME when it had none. */
static char **final_env(const struct spec_process *p, const char *home,
			berr_t *err)
{
	size_t n = strv_len(p->env);
	char **env = calloc(n + 2, sizeof(*env));

	if (!env) {
		err_sys(err, "process.env");
		return NULL;
	}
	if (n)
		memcpy(env, p->env, n * sizeof(*env));
	if (home && home[0])
		env[n] = (char *)home;
	return env;
}

int process_preserve_fds(unsigned n, struct preserved_fds *out, berr_t *err)
{
	out->n = n;
	out->open = n ? calloc(n, 1) : NULL;
	if (n && !out->open)
		return err_sys(err, "--preserve-fds");
	for (unsigned i = 0; i < n; i++)
		out->open[i] = fcntl((int)(3 + i), F_GETFD) >= 0;
	return 0;
}

void process_preserved_clear(struct preserved_fds *p)
{
	free(p->open);
	p->open = NULL;
	p->n = 0;
}

int process_exec(const struct spec_process *p, const struct process_target *t,
		 const struct preserved_fds *keep, berr_t *err)
{
	char **env = final_env(p, t->home, err);

	if (p->user.umask.set)
		umask((mode_t)p->user.umask.v);
	if (sys_cloexec_fds_from(3) < 0)
		return err_sys(err, "mark fds close-on-exec");
	for (unsigned i = 0; keep && i < keep->n; i++) {
		int flags = fcntl((int)(3 + i), F_GETFD);

		if (keep->open[i] && flags >= 0)
			fcntl((int)(3 + i), F_SETFD, flags & ~FD_CLOEXEC);
	}
	if (!env)
		return -1;
	execve(t->path, p->args, env);
	err_sys(err, "exec '%s'", p->args[0]);
	free(env);
	return -1;
}
