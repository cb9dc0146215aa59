/* The monitor's record of its container, <root>/containers/<id>/state.json,
 * replaced atomically (write, rename) on every change, read by `berth ps`,
 * `inspect`, `wait`.  Times are RFC 3339 UTC; empty when not yet. */
#ifndef BERTH_MONITOR_STATE_FILE_H
#define BERTH_MONITOR_STATE_FILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct monitor_state {
	const char *status; /* created, running, restarting, exited */
	pid_t pid;          /* the container's init while running */
	uint64_t pid_start; /* its start time (clock ticks), against pid reuse */
	pid_t monitor_pid;
	uint64_t monitor_start; /* start time of the monitor (clock ticks) */
	int exit_code;
	unsigned restart_count;
	bool stopped_by_user;
	char started_at[40], finished_at[40], next_restart_at[40];
	char error[512];
};

/* Write state.json in dirfd; -1 with errno. */
int monitor_state_write(int dirfd, const struct monitor_state *s);

#endif
