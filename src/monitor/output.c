/* The container's output: read from its FIFOs (or pty), written to the log
 * and sent to attached clients. */
#include <errno.h>
#include <stdbool.h>
#include <unistd.h>

#include "monitor/frames.h"
#include "monitor/monitor.h"

/* 16 KiB a read: every page of the buffer counts in the monitor's
 * resident set.  While the container runs, a few reads a turn of the event
 * loop: one that writes without pause would otherwise keep the monitor
 * here, deaf to stop requests. */
#define READS_PER_TURN 4

static void drain(struct monitor *m, int fd, struct log_stream *s, bool all)
{
	char buf[16384];
	struct timespec now;

	for (int turns = 0; all || turns < READS_PER_TURN; turns++) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* Every slave closed (a daemon left its terminal):
			 * the master says so on every poll from now on. */
			if (fd == m->pty && (n == 0 || errno == EIO))
				m->pty_hup = true;
			return;
		}
		clock_gettime(CLOCK_REALTIME, &now);
		if (log_stream_feed(&m->log, s, buf, (size_t)n, &now) < 0)
			monitor_fail(m, "write the log");
		clients_broadcast(m, s == &m->err ? 2 : 1, buf, (size_t)n);
	}
}

void output_drain(struct monitor *m, int fd, struct log_stream *s)
{
	drain(m, fd, s, false);
}

void output_flush(struct monitor *m)
{
	struct timespec now;

	if (m->pty >= 0)
		drain(m, m->pty, &m->out, true);
	drain(m, m->out_fd, &m->out, true);
	drain(m, m->err_fd, &m->err, true);
	clock_gettime(CLOCK_REALTIME, &now);
	if (log_stream_flush(&m->log, &m->out, &now) < 0 ||
	    log_stream_flush(&m->log, &m->err, &now) < 0)
		monitor_fail(m, "write the log");
}
