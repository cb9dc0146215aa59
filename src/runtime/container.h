/* The runtime's verbs as a library: what `berth runtime` calls and what the
 * higher layers call in-process.  Each takes the state root (runc's --root)
 * and a container id. */
#ifndef BERTH_RUNTIME_CONTAINER_H
#define BERTH_RUNTIME_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "runtime/spec.h"

struct create_opts {
	const char *root;           /* state root */
	const char *id;
	const char *bundle;         /* NULL: current directory */
	const char *config_path;    /* NULL: <bundle>/config.json */
	const char *pid_file;       /* written with the init's pid */
	const char *console_socket; /* receives the pty master */
	bool no_pivot;              /* MS_MOVE + chroot instead of pivot_root */
	bool no_new_keyring;
	unsigned preserve_fds;      /* fds 3..3+n-1 passed to the container */
	unsigned listen_fds;        /* socket activation: LISTEN_FDS passed on */
	bool cgroups_disabled;      /* --cgroup-manager disabled */
};

/* A container whose init waits for start; the caller may keep the init as
 * its child (foreground run) or exit and leave it (create). */
struct created {
	pid_t pid;
	int console_master; /* pty master when the caller relays it, else -1 */
};

int container_create(const struct create_opts *o, struct created *out,
		     berr_t *err);

/* Let a created container's init run its process, then poststart hooks. */
int container_start(const char *root, const char *id, berr_t *err);

/* create + start in one; without detach, wait for the init while
 * forwarding signals, remove the container (unless keep), and give its
 * exit code. */
int container_run(const struct create_opts *o, bool detach, bool keep,
		  int *exit_code, berr_t *err);

/* create + start for a caller that keeps the container (berth's monitor):
 * the init's pid, and with a terminal its pty master, given to the caller
 * instead of a console socket. */
int container_run_detached(const struct create_opts *o, struct created *out, berr_t *err);

int container_kill(const char *root, const char *id, int sig, bool all,
		   berr_t *err);
int container_delete(const char *root, const char *id, bool force,
		     berr_t *err);
int container_pause(const char *root, const char *id, bool pause,
		    berr_t *err);
int container_update(const char *root, const char *id,
		     const struct spec_resources *res, berr_t *err);
int container_pids(const char *root, const char *id, pid_t **pids, size_t *n,
		   berr_t *err);

struct exec_opts {
	const char *root;
	const char *id;
	struct spec_process *process; /* fully resolved process to run */
	const char *pid_file;
	const char *console_socket;
	bool detach;
	unsigned preserve_fds;
};

int container_exec(const struct exec_opts *o, int *exit_code, berr_t *err);

/* runc's exec defaults: the container's own process object (user, env,
 * cwd, capabilities...) with args as its command line, not on a terminal;
 * JSON, for the caller's overrides before spec_parse_process. */
int container_exec_process_json(const char *root, const char *id, char **args,
				json_t **out, berr_t *err);

/* The container's stored config (as created), for exec defaults. */
int container_load_spec(const char *root, const char *id, struct spec **out,
			berr_t *err);

#endif
