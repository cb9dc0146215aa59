/* Child processes: waiting without losing EINTR, and identifying a process
 * across pid reuse by its start time. */
#ifndef BERTH_COMMON_PROC_H
#define BERTH_COMMON_PROC_H

#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

/* waitpid retrying on EINTR; returns the raw status in *status. */
int proc_wait(pid_t pid, int *status, berr_t *err);

/* Shell-style exit code: the exit status, or 128 + signal. */
int proc_exit_code(int status);

/* Start time of pid in clock ticks since boot (field 22 of
 * /proc/PID/stat); 0 when the process does not exist. */
uint64_t proc_start_time(pid_t pid);

/* When pid started, in seconds since the epoch (boot time from /proc/stat
 * plus the start time); 0 when unknown. */
int64_t proc_started_at(pid_t pid);

/* True while pid exists, is not a zombie, and still started at start_time
 * (0 skips that check). */
int proc_is_alive(pid_t pid, uint64_t start_time);

#endif
