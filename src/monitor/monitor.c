/* berth-monitor (see monitor.h): setup, the start helper, the container's
 * exit and restart, and the event loop. */
#include "monitor/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/frames.h"

#define PIPE_BYTES (1 << 20)
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static sigset_t handled;

void monitor_now(char buf[40])
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	log_timestamp(&t, buf, 40);
}

void monitor_save(struct monitor *m)
{
	if (monitor_state_write(m->store_dir, &m->st) < 0)
		fprintf(stderr, "berth-monitor %s: write state.json: %s\n", m->id, strerror(errno));
}

void monitor_fail(struct monitor *m, const char *what)
{
	snprintf(m->st.error, sizeof(m->st.error), "monitor: %s: %s", what, strerror(errno));
}

static uint64_t ns_between(const struct timespec *a, const struct timespec *b)
{
	int64_t d = (int64_t)(b->tv_sec - a->tv_sec) * 1000000000 + (b->tv_nsec - a->tv_nsec);

	return d > 0 ? (uint64_t)d : 0;
}

static void arm_timer(struct monitor *m, uint64_t ns)
{
	struct itimerspec its = {
		.it_value = { (time_t)(ns / 1000000000), (long)(ns % 1000000000) },
	};

	if (!ns)
		its.it_value.tv_nsec = 1; /* zero would disarm it */
	timerfd_settime(m->timer_fd, 0, &its, NULL);
}

static void disarm_timer(struct monitor *m)
{
	struct itimerspec its = { 0 };

	timerfd_settime(m->timer_fd, 0, &its, NULL);
}

/* ------------------------------------------------------------------ */
/* The start helper: `berth --root R --run-root RR __start ID` with the
 * container's stdio as its own and the channel as fd 3. */

static void helper_child(struct monitor *m, int chan, int stdin_r, const char *verb)
{
	char fifo[64];
	int out, err;
	sigset_t none;

	/* Nothing of the monitor's reaches the container: not its ignored
	 * SIGPIPE, SIGHUP and SIGINT, not its blocked signals, not its fds. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Opened read-write, so the container's output always has a reader:
	 * if this monitor died, the container would block on a full pipe
	 * instead of getting SIGPIPE and losing lines. */
	/* __cleanup has no container to speak for: its errors go with the
	 * monitor's own. */
	bool own = !strcmp(verb, "__cleanup");

	snprintf(fifo, sizeof(fifo), "/proc/self/fd/%d/%s", m->run_dir, own ? "monitor.err" : "stdout");
	out = open(fifo, own ? O_WRONLY | O_APPEND | O_CLOEXEC : O_RDWR | O_CLOEXEC);
	snprintf(fifo, sizeof(fifo), "/proc/self/fd/%d/%s", m->run_dir, own ? "monitor.err" : "stderr");
	err = open(fifo, own ? O_WRONLY | O_APPEND | O_CLOEXEC : O_RDWR | O_CLOEXEC);
	if (stdin_r < 0)
		stdin_r = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (out < 0 || err < 0 || stdin_r < 0 || dup2(stdin_r, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(err, 2) < 0 || dup2(chan, 3) < 0 ||
	    syscall(SYS_close_range, 4, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		_exit(125);
	execl(m->berth, m->berth, "--root", m->root, "--run-root", m->run_root, verb, m->id,
	      (char *)NULL);
	_exit(127);
}

static int stdin_pipe(struct monitor *m, int *r)
{
	int p[2];

	*r = -1;
	if (!m->conf.interactive || m->conf.tty)
		return 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fcntl(p[1], F_SETPIPE_SZ, PIPE_BYTES);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	if (m->stdin_w >= 0)
		close(m->stdin_w);
	m->stdin_w = p[1];
	*r = p[0];
	return 0;
}

static void start_failed(struct monitor *m, int code, const char *msg);

static void spawn_start(struct monitor *m)
{
	int sv[2], stdin_r;

	m->phase = PHASE_STARTING;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    stdin_pipe(m, &stdin_r) < 0) {
		start_failed(m, 125, "monitor: cannot spawn the start helper");
		return;
	}
	m->helper = fork();
	if (m->helper == 0)
		helper_child(m, sv[1], stdin_r, "__start");
	close(sv[1]);
	if (stdin_r >= 0)
		close(stdin_r);
	if (m->helper < 0) {
		close(sv[0]);
		start_failed(m, 125, "monitor: fork the start helper");
		return;
	}
	m->chan_fd = sv[0];
}

/* `berth __cleanup ID`, waited for: the container is gone for good. */
static void run_cleanup(struct monitor *m)
{
	int sv[2], status = 0;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return;
	pid = fork();
	if (pid == 0)
		helper_child(m, sv[1], -1, "__cleanup");
	close(sv[1]);
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	close(sv[0]);
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(m->st.error, sizeof(m->st.error),
			 "releasing the container failed (see monitor.err in its run directory)");
		monitor_save(m);
	}
}

/* ------------------------------------------------------------------ */

static void tell_exit(struct monitor *m)
{
	char text[16];

	snprintf(text, sizeof(text), "%d", m->st.exit_code);
	clients_broadcast(m, FRAME_EXIT, text, strlen(text));
}

/* The state is saved before clients hear of the end, so that whoever
 * waits for it reads the final state. */
static void finish(struct monitor *m, bool tell)
{
	m->st.status = "exited";
	m->st.pid = 0;
	m->st.next_restart_at[0] = 0;
	monitor_save(m);
	if (tell)
		tell_exit(m);
	clients_drain(m);
	run_cleanup(m);
	/* The cleanup of a --rm container took state.json with it. */
	exit(0);
}

/* The container ended (code) or could not start; restart or finish. */
static void ended(struct monitor *m, int code, bool start_error)
{
	struct timespec now;
	uint32_t rnd = 0;

	output_flush(m);
	m->st.exit_code = code;
	m->st.pid = 0;
	monitor_now(m->st.finished_at);
	/* A first start that fails is an error for whoever started it, not a
	 * crash to retry. */
	if ((start_error && !m->started_once) || m->stop_requested ||
	    !restart_wanted(&m->conf.restart, code, m->st.restart_count, false))
		finish(m, true);
	clock_gettime(CLOCK_MONOTONIC, &now);
	m->attempt = backoff_attempt(&m->conf.restart, m->attempt,
				     start_error ? 0 : ns_between(&m->run_began, &now));
	if (getrandom(&rnd, sizeof(rnd), 0) < 0)
		rnd = 0;
	uint64_t delay = backoff_delay(&m->conf.restart, m->attempt, rnd / 4294967296.0);

	m->attempt++;
	struct timespec at;

	clock_gettime(CLOCK_REALTIME, &at);
	at.tv_sec += (time_t)(delay / 1000000000);
	at.tv_nsec += (long)(delay % 1000000000);
	if (at.tv_nsec >= 1000000000) {
		at.tv_sec++;
		at.tv_nsec -= 1000000000;
	}
	log_timestamp(&at, m->st.next_restart_at, sizeof(m->st.next_restart_at));
	m->st.status = "restarting";
	m->phase = PHASE_BACKOFF;
	monitor_save(m);
	tell_exit(m);
	arm_timer(m, delay);
}

static void start_failed(struct monitor *m, int code, const char *msg)
{
	snprintf(m->st.error, sizeof(m->st.error), "%s", msg);
	clients_broadcast(m, FRAME_ERROR, msg, strlen(msg));
	ended(m, code, true);
}

static unsigned long long start_time(pid_t pid);

static void running(struct monitor *m, pid_t pid)
{
	char text[16];

	m->st.pid = pid;
	m->st.pid_start = start_time(pid);
	m->st.status = "running";
	m->st.error[0] = 0;
	m->st.next_restart_at[0] = 0;
	m->started_once = true;
	m->phase = PHASE_RUNNING;
	clock_gettime(CLOCK_MONOTONIC, &m->run_began);
	monitor_now(m->st.started_at);
	monitor_save(m);
	snprintf(text, sizeof(text), "%d", (int)pid);
	clients_broadcast(m, FRAME_STARTED, text, strlen(text));
	if (m->stop_requested)
		monitor_request_stop(m, m->stop_timeout_s, m->stop_signal);
	if (m->early_pid == pid)
		ended(m, WIFEXITED(m->early_status) ? WEXITSTATUS(m->early_status)
						    : 128 + WTERMSIG(m->early_status), false);
}

/* "ok <pid>" (with the pty master attached for a terminal) or
 * "err <code> <message>". */
static void channel_read(struct monitor *m)
{
	char buf[1024], ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			      .msg_controllen = sizeof(ctl) };
	ssize_t n = recvmsg(m->chan_fd, &msg, MSG_CMSG_CLOEXEC);
	int pid = 0, code = 125, off = 0;

	close(m->chan_fd);
	m->chan_fd = -1;
	if (n <= 0) {
		start_failed(m, 125, "the start helper died without a word");
		return;
	}
	buf[n] = 0;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	if (cm && cm->cmsg_type == SCM_RIGHTS) {
		memcpy(&m->pty, CMSG_DATA(cm), sizeof(int));
		m->pty_hup = false;
		fcntl(m->pty, F_SETFL, O_NONBLOCK);
		monitor_apply_size(m);
	}
	if (sscanf(buf, "ok %d", &pid) == 1 && pid > 0)
		running(m, pid);
	else if (sscanf(buf, "err %d %n", &code, &off) == 1 && off > 0)
		start_failed(m, code, buf + off);
	else
		start_failed(m, 125, "the start helper said something unexpected");
}

static void reaped(struct monitor *m, pid_t pid, int status)
{
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

	if (pid == m->helper) {
		m->helper = 0;
		return;
	}
	if (m->phase == PHASE_STARTING) {
		m->early_pid = pid;
		m->early_status = status;
		return;
	}
	if (pid != m->st.pid || !m->st.pid)
		return; /* an orphan of the container's, reparented here */
	if (m->pty >= 0) {
		output_flush(m);
		close(m->pty);
		m->pty = -1;
	}
	disarm_timer(m);
	ended(m, code, false);
}

static void signal_read(struct monitor *m)
{
	struct signalfd_siginfo si;
	int status;
	pid_t pid;

	while (read(m->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM)
			monitor_request_stop(m, m->conf.stop_timeout_s, m->conf.stop_signal);
	}
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		reaped(m, pid, status);
}

/* Through the pidfd for an adopted container, which is not our child and
 * whose pid could otherwise be reused. */
static void signal_container(struct monitor *m, int sig)
{
	if (m->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, m->pidfd, sig, NULL, 0);
	else
		kill(m->st.pid, sig);
}

void monitor_request_stop(struct monitor *m, unsigned timeout_s, int sig)
{
	m->stop_requested = true;
	m->st.stopped_by_user = true;
	m->stop_timeout_s = timeout_s;
	m->stop_signal = sig;
	switch (m->phase) {
	case PHASE_BACKOFF:
		/* Between attempts: stopped for good, at once. */
		disarm_timer(m);
		finish(m, false);
		break;
	case PHASE_RUNNING:
		m->phase = PHASE_STOPPING;
		signal_container(m, timeout_s ? sig : SIGKILL);
		arm_timer(m, (uint64_t)timeout_s * 1000000000);
		monitor_save(m);
		break;
	case PHASE_STOPPING: {
		/* rm -f during a stop: the stricter request wins. */
		struct itimerspec left;

		if (timerfd_gettime(m->timer_fd, &left) == 0 &&
		    (uint64_t)timeout_s < (uint64_t)left.it_value.tv_sec) {
			signal_container(m, timeout_s ? sig : SIGKILL);
			arm_timer(m, (uint64_t)timeout_s * 1000000000);
		}
		break;
	}
	case PHASE_STARTING: /* stopped as soon as it runs */
		break;
	}
}

static void timer_fired(struct monitor *m)
{
	uint64_t ticks;

	if (read(m->timer_fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	if (m->phase == PHASE_BACKOFF) {
		m->st.restart_count++;
		spawn_start(m);
	} else if (m->phase == PHASE_STOPPING) {
		signal_container(m, SIGKILL);
	}
}

static void stdin_flush(struct monitor *m)
{
	ssize_t w = write(m->stdin_w, m->pending + m->pending_off, m->pending_len - m->pending_off);

	if (w < 0 && errno == EAGAIN)
		return;
	if (w > 0)
		m->pending_off += (size_t)w;
	if (w < 0 || m->pending_off == m->pending_len) {
		free(m->pending);
		m->pending = NULL;
		m->pending_len = m->pending_off = 0;
		for (int i = 0; i < MONITOR_MAX_CLIENTS; i++)
			clients_process(m, &m->clients[i]);
	}
}

/* ------------------------------------------------------------------ */
/* The event loop. */

enum { SLOT_SIG, SLOT_LISTEN, SLOT_TIMER, SLOT_CHAN, SLOT_OUT, SLOT_ERR, SLOT_PTY, SLOT_STDIN, SLOT_PIDFD, SLOT_CLIENTS };

static void adopted_ended(struct monitor *m);

static void loop(struct monitor *m)
{
	struct pollfd p[SLOT_CLIENTS + MONITOR_MAX_CLIENTS];

	for (;;) {
		bool held = clients_pending(m), hello = clients_expire(m);

		p[SLOT_SIG] = (struct pollfd){ m->sig_fd, POLLIN, 0 };
		p[SLOT_LISTEN] = (struct pollfd){ m->listen_fd, POLLIN, 0 };
		p[SLOT_TIMER] = (struct pollfd){ m->timer_fd, POLLIN, 0 };
		p[SLOT_CHAN] = (struct pollfd){ m->chan_fd, POLLIN, 0 };
		p[SLOT_OUT] = (struct pollfd){ held ? -1 : m->out_fd, POLLIN, 0 };
		p[SLOT_ERR] = (struct pollfd){ held ? -1 : m->err_fd, POLLIN, 0 };
		p[SLOT_PTY] = (struct pollfd){ held || m->pty_hup ? -1 : m->pty, POLLIN, 0 };
		p[SLOT_STDIN] = (struct pollfd){ m->pending_len ? m->stdin_w : -1, POLLOUT, 0 };
		p[SLOT_PIDFD] = (struct pollfd){ m->pidfd, POLLIN, 0 };
		for (int i = 0; i < MONITOR_MAX_CLIENTS; i++) {
			struct client *c = &m->clients[i];

			/* Still read while stdin is full (stop requests, hang-ups),
			 * unless the client's buffer is full too. */
			bool full = c->len == FRAME_HEADER + FRAME_DATA_MAX;

			p[SLOT_CLIENTS + i] = (struct pollfd){
				c->fd, (short)((m->pending_len && full ? 0 : POLLIN) |
					       (c->out_len ? POLLOUT : 0)), 0 };
		}
		if (poll(p, SLOT_CLIENTS + MONITOR_MAX_CLIENTS, held || hello ? 1000 : -1) < 0) {
			if (errno == EINTR)
				continue;
			monitor_fail(m, "poll");
			finish(m, false);
		}
		/* Output first, so a container's last lines are logged before
		 * its exit is handled. */
		if (p[SLOT_OUT].revents)
			output_drain(m, m->out_fd, &m->out);
		if (p[SLOT_ERR].revents)
			output_drain(m, m->err_fd, &m->err);
		if (p[SLOT_PTY].revents && m->pty >= 0)
			output_drain(m, m->pty, &m->out);
		if (p[SLOT_CHAN].revents && m->chan_fd >= 0)
			channel_read(m);
		if (p[SLOT_SIG].revents)
			signal_read(m);
		if (p[SLOT_PIDFD].revents && m->pidfd >= 0)
			adopted_ended(m);
		if (p[SLOT_TIMER].revents)
			timer_fired(m);
		if (p[SLOT_STDIN].revents && m->pending_len)
			stdin_flush(m);
		if (p[SLOT_LISTEN].revents)
			clients_accept(m);
		for (int i = 0; i < MONITOR_MAX_CLIENTS; i++) {
			struct client *c = &m->clients[i];
			short ev = p[SLOT_CLIENTS + i].revents;

			if (c->fd != p[SLOT_CLIENTS + i].fd || c->fd < 0)
				continue;
			if (c->out_len) /* also checks how long it has been stuck */
				clients_send_pending(m, c);
			if (c->fd >= 0 && (ev & (POLLIN | POLLHUP | POLLERR)))
				clients_read(m, c);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Adoption: a container whose monitor was killed still runs (its output
 * waited in the FIFOs, which it holds open read-write).  A new monitor
 * takes over its output, stop and restart policy; not being its parent,
 * it learns of its end through a pidfd, without an exit status. */

static void adopt(struct monitor *m, pid_t pid)
{
	char text[16];

	m->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (m->pidfd < 0) {
		start_failed(m, 125, "monitor: the container to adopt is gone");
		return;
	}
	m->st.pid = pid;
	m->st.pid_start = start_time(pid);
	m->st.status = "running";
	m->started_once = true;
	m->phase = PHASE_RUNNING;
	clock_gettime(CLOCK_MONOTONIC, &m->run_began);
	snprintf(m->st.error, sizeof(m->st.error), "adopted by a new monitor");
	monitor_save(m);
	snprintf(text, sizeof(text), "%d", (int)pid);
	clients_broadcast(m, FRAME_STARTED, text, strlen(text));
}

static void adopted_ended(struct monitor *m)
{
	close(m->pidfd);
	m->pidfd = -1;
	disarm_timer(m);
	snprintf(m->st.error, sizeof(m->st.error),
		 "exit status unknown: the container ended while adopted by a new monitor");
	ended(m, 255, false);
}

/* The container was started by the process that exec'd this monitor (it
 * is our child already), or that start failed. */
static void begin_started(struct monitor *m, pid_t pid, int pty, int out, int err, int in)
{
	int status;
	pid_t reaped_pid;

	/* The FIFO ends its starter kept open for us (see monitor_client.c). */
	close(m->out_fd);
	close(m->err_fd);
	m->out_fd = out;
	m->err_fd = err;
	fcntl(out, F_SETFD, FD_CLOEXEC);
	fcntl(err, F_SETFD, FD_CLOEXEC);
	if (in >= 0) {
		m->stdin_w = in;
		fcntl(in, F_SETFD, FD_CLOEXEC);
		fcntl(in, F_SETPIPE_SZ, PIPE_BYTES);
		fcntl(in, F_SETFL, O_NONBLOCK);
	}
	if (pty >= 0) {
		m->pty = pty;
		m->pty_hup = false;
		fcntl(pty, F_SETFD, FD_CLOEXEC);
		fcntl(pty, F_SETFL, O_NONBLOCK);
	}
	m->phase = PHASE_STARTING;
	/* An init that ended before this exec has no SIGCHLD coming. */
	while ((reaped_pid = waitpid(-1, &status, WNOHANG)) > 0)
		reaped(m, reaped_pid, status);
	running(m, pid);
}

/* MODE: "" (start the container through `berth __start`),
 * "adopt=PID,restarts=N", "child=PID,pty=FD,out=FD,err=FD,in=FD" (-1:
 * none), or "failed=CODE" with MESSAGE. */
static void begin(struct monitor *m, const char *mode, const char *message)
{
	int pid = 0, pty = -1, out = -1, err = -1, in = -1, code = 125;
	unsigned restarts = 0;

	if (sscanf(mode, "adopt=%d,restarts=%u", &pid, &restarts) == 2 && pid > 0) {
		m->st.restart_count = restarts;
		adopt(m, pid);
	} else if (sscanf(mode, "child=%d,pty=%d,out=%d,err=%d,in=%d", &pid, &pty, &out, &err, &in) == 5 &&
		   pid > 0 && out > 2 && err > 2)
		begin_started(m, pid, pty, out, err, in);
	else if (sscanf(mode, "failed=%d", &code) == 1)
		start_failed(m, code, message);
	else
		spawn_start(m);
}

/* ------------------------------------------------------------------ */
/* Setup. */

static int open_dir(const char *a, const char *id)
{
	char path[4096];

	if (snprintf(path, sizeof(path), "%s/containers/%s", a, id) >= (int)sizeof(path))
		return errno = ENAMETOOLONG, -1;
	return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static int read_conf(struct monitor *m)
{
	char text[4096];
	unsigned bad = 0;
	int fd = openat(m->store_dir, "monitor.conf", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);

	if (fd >= 0)
		close(fd);
	if (n < 0)
		return -1;
	text[n] = 0;
	monitor_conf_default(&m->conf);
	if (monitor_conf_parse(text, &m->conf, &bad) < 0) {
		fprintf(stderr, "berth-monitor: monitor.conf line %u: not understood\n", bad);
		return errno = EINVAL, -1;
	}
	return 0;
}

static int open_fifo(struct monitor *m, const char *name)
{
	int fd;

	if (mkfifoat(m->run_dir, name, 0600) < 0 && errno != EEXIST)
		return -1;
	fd = openat(m->run_dir, name, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0)
		fcntl(fd, F_SETPIPE_SZ, PIPE_BYTES);
	return fd;
}

/* Bound through /proc/self/fd: the run root may be longer than a socket
 * address can be. */
static int listen_socket(struct monitor *m)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/monitor.sock", m->run_dir);
	unlinkat(m->run_dir, "monitor.sock", 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0)
		return -1;
	return fd;
}

/* Field 22 of /proc/PID/stat (pid 0: this process); 0 when unknown. */
static unsigned long long start_time(pid_t pid)
{
	char buf[1024], path[64];
	unsigned long long start = 0;
	int fd;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/stat");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	char *p;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	/* Field 22; p is at the end of field 2. */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%llu", &start);
	return start;
}

static int setup(struct monitor *m)
{
	if ((m->store_dir = open_dir(m->root, m->id)) < 0 ||
	    (m->run_dir = open_dir(m->run_root, m->id)) < 0 || read_conf(m) < 0)
		return -1;
	sigemptyset(&handled);
	sigaddset(&handled, SIGCHLD);
	sigaddset(&handled, SIGTERM);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &handled, NULL) < 0 ||
	    (m->sig_fd = signalfd(-1, &handled, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ||
	    (m->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0 ||
	    (m->out_fd = open_fifo(m, "stdout")) < 0 || (m->err_fd = open_fifo(m, "stderr")) < 0 ||
	    (m->listen_fd = listen_socket(m)) < 0)
		return -1;
	if (log_file_open(&m->log, m->store_dir, "container.log", m->conf.log_max_size,
			  m->conf.log_max_files) < 0)
		return -1;
	m->out.name = "stdout";
	m->err.name = "stderr";
	m->st.monitor_pid = getpid();
	m->st.monitor_start = start_time(0);
	m->st.status = "created";
	return 0;
}

static void save_if_new(struct monitor *m, const char *mode)
{
	/* A monitor adopting or taking over a started container writes its
	 * state itself at once; one that starts it says "created" first, so
	 * that it is seen alive from now on. */
	if (!*mode)
		monitor_save(m);
}

int main(int argc, char **argv)
{
	/* Zero-initialised, so in .bss: only the pages used become resident
	 * (in .data the whole struct, buffers included, would be file-backed
	 * and faulted in 64 KB at a time). */
	static struct monitor m;

	m.pty = m.stdin_w = m.chan_fd = m.sig_fd = m.listen_fd = -1;
	m.timer_fd = m.out_fd = m.err_fd = m.pidfd = -1;

	if (argc < 5 || argc > 8) {
		fprintf(stderr, "usage: berth-monitor BERTH ROOT RUN_ROOT ID [CLIENT_FD [MODE [MESSAGE]]]\n");
		return 2;
	}
	m.berth = argv[1];
	m.root = argv[2];
	m.run_root = argv[3];
	m.id = argv[4];
	for (int i = 0; i < MONITOR_MAX_CLIENTS; i++)
		m.clients[i].fd = -1;
	if (setup(&m) < 0) {
		fprintf(stderr, "berth-monitor %s: %s\n", m.id, strerror(errno));
		return 1;
	}
	if (argc >= 6 && atoi(argv[5]) > 2) {
		int fd = atoi(argv[5]);

		fcntl(fd, F_SETFD, FD_CLOEXEC);
		fcntl(fd, F_SETFL, O_NONBLOCK);
		client_add(&m, fd, true);
	}
	save_if_new(&m, argc >= 7 ? argv[6] : "");
	begin(&m, argc >= 7 ? argv[6] : "", argc >= 8 ? argv[7] : "");
	loop(&m);
}
