/* The last steps before the container's process runs, shared by the init
 * and by exec: limits, identity, capabilities, no_new_privs, seccomp. */
#ifndef BERTH_RUNTIME_PROCESS_H
#define BERTH_RUNTIME_PROCESS_H

#include <stddef.h>

#include "common/error.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"

/* rlimits, oom_score_adj, scheduler, I/O priority, initial CPU affinity:
 * things that may fail on a bad config, so they run before start. */
int process_apply_limits(const struct spec_process *p, berr_t *err);

/* Resolve args[0] against the PATH in the process env, as execvp would,
 * inside the current root; the result goes to out. */
int process_find_executable(const struct spec_process *p, char *out,
			    size_t size, berr_t *err);

/* Switch user, set capabilities, no_new_privs and seccomp. */
int process_finalize(const struct spec_process *p,
		     const struct seccomp_prog *seccomp, berr_t *err);

/* Close every fd but stdio and the preserved ones, then execve.  Only
 * returns on failure. */
int process_exec(const struct spec_process *p, const char *path,
		 unsigned preserve_fds, berr_t *err);

#endif
