/* One create in progress, shared by create.c and run.c (a foreground run
 * keeps the init as its child and relays its console). */
#ifndef BERTH_RUNTIME_CREATE_INTERNAL_H
#define BERTH_RUNTIME_CREATE_INTERNAL_H

#include <stdbool.h>

#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "runtime/init.h"
#include "runtime/state.h"

struct create_run {
	const struct create_opts *opts;
	struct spec *spec;
	char *bundle, *rootfs, *cgroup_path;
	struct cgroup cg;
	bool cgroup_planned, cgroup_created, state_created;
	bool relay_console; /* foreground run with a terminal */
	bool start_by_sync; /* run: no exec.fifo, SYNC_START instead */
	int state_dirfd;
	int sync_fd;
	int console_recv_fd; /* receives the master when relaying */
	int console_master;
	pid_t pid;
	struct container_state state;
	struct init_ctx init;
};

void create_run_init(struct create_run *c);
int create_run_begin(struct create_run *c, const struct create_opts *o,
		     berr_t *err);
/* failed: undo everything (kill the init, remove cgroup and state). */
void create_run_cleanup(struct create_run *c, bool failed);

/* run: let the init exec (it waits for SYNC_START), then poststart. */
int create_run_start(struct create_run *c, berr_t *err);

int create_hook_state(struct create_run *c, enum container_status status,
		      char **out, berr_t *err);

int create_connect_listener(const struct spec_seccomp *sc,
			    struct seccomp_prog *prog, int *fd, berr_t *err);

int create_write_pid_file(const char *path, pid_t pid, berr_t *err);

#endif
