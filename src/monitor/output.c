/* The container's output: read from its FIFOs (or pty), written to the log
 * and sent to attached clients. */
#include <errno.h>
#include <unistd.h>

#include "monitor/frames.h"
#include "monitor/monitor.h"

/* Reads until the pipe is empty (the fds are non-blocking).  16 KiB at a
 * time: every page of the buffer counts in the monitor's resident set. */
void output_drain(struct monitor *m, int fd, struct log_stream *s)
{
	char buf[16384];
	struct timespec now;

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		clock_gettime(CLOCK_REALTIME, &now);
		if (log_stream_feed(&m->log, s, buf, (size_t)n, &now) < 0)
			monitor_fail(m, "write the log");
		clients_broadcast(m, s == &m->err ? 2 : 1, buf, (size_t)n);
	}
}

void output_flush(struct monitor *m)
{
	struct timespec now;

	if (m->pty >= 0)
		output_drain(m, m->pty, &m->out);
	output_drain(m, m->out_fd, &m->out);
	output_drain(m, m->err_fd, &m->err);
	clock_gettime(CLOCK_REALTIME, &now);
	if (log_stream_flush(&m->log, &m->out, &now) < 0 ||
	    log_stream_flush(&m->log, &m->err, &now) < 0)
		monitor_fail(m, "write the log");
}
