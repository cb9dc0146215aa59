/* The last steps before the container's process runs, shared by the init
 * and by exec: limits, identity, capabilities, no_new_privs, seccomp. */
#ifndef BERTH_RUNTIME_PROCESS_H
#define BERTH_RUNTIME_PROCESS_H

#include <limits.h>
#include <stddef.h>

#include "common/error.h"
#include "runtime/lsm.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"

/* rlimits, scheduler, I/O priority, initial CPU affinity:
 * things that may fail on a bad config, so they run before start. */
int process_apply_limits(const struct spec_process *p, berr_t *err);

/* What execve gets, resolved inside the container's root before the user
 * switch: argv[0] looked up in the process's PATH as execvp would, and
 * "HOME=<dir>" from the container's /etc/passwd (or "/") when the env has
 * no HOME, as runc and crun set it ("" otherwise). */
struct process_target {
	char path[PATH_MAX];
	char home[PATH_MAX + 8];
};

int process_resolve(const struct spec_process *p, struct process_target *t,
		    berr_t *err);

/* Switch user, set capabilities, no_new_privs and seccomp; a filter's
 * listener fd goes to listener when one is connected. */
int process_finalize(const struct spec_process *p,
		     const struct seccomp_prog *seccomp,
		     const struct seccomp_listener *listener,
		     const struct lsm_host *lsm, berr_t *err);

/* process.oomScoreAdj of pid, written by the runtime through the host's
 * /proc (the container's own /proc is the container's to fake). */
int process_set_oom_score(pid_t pid, const struct spec_process *p,
			  berr_t *err);

/* Which of fds 3..3+n-1 the caller had open, taken before the runtime
 * opens anything: an fd it opens itself may take the number of a closed
 * one and must not be passed on. */
struct preserved_fds {
	unsigned n;
	unsigned char *open; /* n flags */
};

int process_preserve_fds(unsigned n, struct preserved_fds *out, berr_t *err);
void process_preserved_clear(struct preserved_fds *p);

/* Close every fd but stdio and the preserved ones, then execve.  Only
 * returns on failure. */
int process_exec(const struct spec_process *p, const struct process_target *t,
		 const struct preserved_fds *keep, berr_t *err);

#endif
