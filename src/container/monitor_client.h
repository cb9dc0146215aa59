/* Talking to a kept container's berth-monitor (protocol in
 * monitor/frames.h): spawning it, attaching, asking it to stop. */
#ifndef BERTH_CONTAINER_MONITOR_CLIENT_H
#define BERTH_CONTAINER_MONITOR_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"
#include "monitor/frames.h"

struct frame {
	int type;
	size_t len;
	char data[FRAME_DATA_MAX + 1]; /* NUL-terminated for text frames */
};

/* How a new monitor gets its container going.  Unless it adopts one, the
 * container is started in the process that becomes the monitor, before it
 * execs berth-monitor, instead of in a `berth __start` the monitor runs:
 * one exec of berth less per container. */
struct monitor_spawn_opts {
	/* The pid of the container's init when it still runs without a
	 * monitor (its old one was killed): adopted, not started; restarts:
	 * the restart count it had. */
	pid_t adopt;
	unsigned restarts;
	/* -i: the container's stdin is a pipe the monitor writes. */
	bool interactive;
};

/* Start the container's monitor, detached from this process (its own
 * session, reparented away), with *client an attach connection that also
 * gets the first start's result.  root and run_root must be absolute. */
int monitor_spawn(const char *root, const char *run_root, const char *id,
		  const struct monitor_spawn_opts *o, int *client, berr_t *err);

/* Connect to the monitor in run_dir and say hello ("attach", "stop 10 15"). */
int monitor_connect(const char *run_dir, const char *hello, int *fd, berr_t *err);

/* Next frame; 1 at end of file (the monitor went away). */
int monitor_frame_read(int fd, struct frame *f, berr_t *err);
int monitor_frame_write(int fd, int type, const void *data, size_t len, berr_t *err);

/* Ask the monitor to stop the container for good and wait until it has. */
int monitor_stop(const char *run_dir, unsigned timeout_s, int sig, berr_t *err);

#endif
