/* berth-monitor: the small process that keeps one container.
 *
 * It is the parent (subreaper) of the container's init, holds its stdio,
 * writes its log, records its state and applies its restart policy, and
 * outlives the berth command that started it.  It links only libc (musl in
 * the release build, so its resident set stays tens of kilobytes) and runs
 * `berth __start ID` / `berth __cleanup ID` for everything that needs the
 * runtime, the store or the network.
 *
 *   berth-monitor BERTH ROOT RUN_ROOT ID [CLIENT_FD [ADOPT_PID]]
 *
 * CLIENT_FD, when given (and not 0), is an already connected attach client
 * (the `berth run` that spawned it) that also receives the first start's
 * result.  ADOPT_PID: instead of starting the container, take over its
 * running init, whose previous monitor was killed.
 */
#ifndef BERTH_MONITOR_MONITOR_H
#define BERTH_MONITOR_MONITOR_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "monitor/conf.h"
#include "monitor/log_writer.h"
#include "monitor/state_file.h"

#define MONITOR_MAX_CLIENTS 32

struct client {
	int fd;
	bool handshaken, attached, stopper;
	size_t len;
	unsigned char *in; /* FRAME_HEADER + FRAME_DATA_MAX */
	/* Output the client's socket had no room for yet; while any client
	 * has some, the container's output is not read (it waits, as for a
	 * slow disk). */
	unsigned char *out;
	size_t out_len, out_off;
	struct timespec stuck_since;
	struct timespec since; /* connected; no hello within CLIENT_HELLO_S: dropped */
};

#define CLIENT_HELLO_S 5

/* A client that takes nothing for this long is dropped, so that it cannot
 * hold up the container for good; one that falls this far behind too. */
#define CLIENT_STUCK_S 10
#define CLIENT_PENDING_MAX (4u << 20)

enum phase { PHASE_STARTING, PHASE_RUNNING, PHASE_BACKOFF, PHASE_STOPPING };

struct monitor {
	const char *berth, *root, *run_root, *id;
	int store_dir, run_dir;
	struct monitor_conf conf;
	struct monitor_state st;
	struct log_file log;
	struct log_stream out, err;
	int out_fd, err_fd, pty, stdin_w;
	bool pty_hup; /* the pty has no slave open: kept for resizes, not polled */
	int sig_fd, listen_fd, timer_fd, chan_fd;
	int pidfd; /* an adopted container's init (not our child) */
	pid_t helper;
	enum phase phase;
	bool started_once, stop_requested;
	unsigned attempt, stop_timeout_s;
	int stop_signal;
	struct timespec run_began;
	unsigned short rows, cols; /* the last size a client asked for */
	pid_t early_pid; /* an init reaped before its helper reported it */
	int early_status;
	unsigned char *pending; /* stdin the container has not read yet */
	size_t pending_len, pending_off;
	struct client clients[MONITOR_MAX_CLIENTS];
};

/* Clients (clients.c). */
void clients_accept(struct monitor *m);
void clients_read(struct monitor *m, struct client *c);
void clients_process(struct monitor *m, struct client *c);
void clients_broadcast(struct monitor *m, int type, const void *data, size_t len);
/* Drop connections that never said hello (they would fill the slots). */
bool clients_expire(struct monitor *m);
/* Whether some client still has output to take. */
bool clients_pending(const struct monitor *m);
/* Send what a client's socket has room for; drop it when stuck too long. */
void clients_send_pending(struct monitor *m, struct client *c);
/* Before the monitor exits: give clients their output, for a while. */
void clients_drain(struct monitor *m);
void client_add(struct monitor *m, int fd, bool attached);
void client_drop(struct client *c);
void monitor_request_stop(struct monitor *m, unsigned timeout_s, int sig);
void monitor_write_stdin(struct monitor *m, const unsigned char *data, size_t len);
/* The terminal's size to the pty, now or once it exists. */
void monitor_apply_size(struct monitor *m);

/* Output (output.c). */
void output_drain(struct monitor *m, int fd, struct log_stream *s);
void output_flush(struct monitor *m);

/* Records a failure of the monitor itself in state.json's Error. */
void monitor_fail(struct monitor *m, const char *what);
void monitor_save(struct monitor *m);
void monitor_now(char buf[40]);

#endif
