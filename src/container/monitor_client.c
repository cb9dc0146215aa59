/* The berth side of the monitor protocol (see monitor_client.h). */
#include "container/monitor_client.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/proc.h"
#include "container/foreground.h"
#include "container/instance.h"

/* berth-monitor lives next to the berth binary. */
static int monitor_paths(char self[PATH_MAX], char monitor[PATH_MAX], berr_t *err)
{
	ssize_t n = readlink("/proc/self/exe", self, PATH_MAX - 1);
	char *slash;

	if (n < 0)
		return err_sys(err, "find the berth binary");
	self[n] = 0;
	slash = strrchr(self, '/');
	if (snprintf(monitor, PATH_MAX, "%.*s/berth-monitor", (int)(slash - self), self) >=
	    PATH_MAX)
		return err_set(err, ENAMETOOLONG, "path of berth-monitor too long");
	if (access(monitor, X_OK) < 0)
		return err_sys(err, "%s", monitor);
	return 0;
}

/* Signals as a new program expects them: berth's own dispositions and
 * mask (ignored SIGPIPE, blocked ones while attached) must not reach the
 * monitor or, through it, the container. */
static void default_signals(void)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* In the grandchild: stdio to /dev/null (stderr to the run directory's
 * monitor.err); every other fd closed on exec but the client and the
 * ones the mode names (keep, -1 terminated). */
static void monitor_exec(const char *run_dir, char *const argv[], int client, const int *keep)
{
	char errpath[PATH_MAX + 16];
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), errfd;

	snprintf(errpath, sizeof(errpath), "%s/monitor.err", run_dir);
	errfd = open(errpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    dup2(errfd >= 0 ? errfd : null, 2) < 0 || chdir("/") < 0 ||
	    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		_exit(125);
	fcntl(client, F_SETFD, 0);
	for (; *keep >= 0; keep++)
		fcntl(*keep, F_SETFD, 0);
	default_signals();
	execv(argv[0], argv);
	_exit(127);
}

/* In the process about to become the monitor: the container's stdio as
 * __start would set it, the container started, and the monitor's mode
 * argument saying how it went. */
static void start_here(const char *root, const char *run_root, const char *id,
		       const char *run_dir, bool interactive, char mode[64], char msg[1024],
		       int keep[5])
{
	cleanup_close int dir = open(run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct created c = { .pid = -1, .console_master = -1 };
	berr_t err = NULL;
	int out, errfd, null, keep_out, keep_err;

	if (dir < 0 || (mkfifoat(dir, "stdout", 0600) < 0 && errno != EEXIST) ||
	    (mkfifoat(dir, "stderr", 0600) < 0 && errno != EEXIST))
		_exit(125);
	/* Read-write, as berth-monitor's helper opens them (monitor.c). */
	out = openat(dir, "stdout", O_RDWR | O_CLOEXEC);
	errfd = openat(dir, "stderr", O_RDWR | O_CLOEXEC);
	int in[2] = { -1, -1 };

	/* -i: a pipe whose write end the monitor keeps (it makes one per
	 * start; this is the first). */
	if (interactive ? pipe2(in, O_CLOEXEC) < 0 : (in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		_exit(125);
	null = in[0];
	/* The monitor's own ends, open across its exec: a FIFO nobody holds
	 * open drops what is in it, and a container can write and exit before
	 * the monitor runs. */
	keep_out = openat(dir, "stdout", O_RDWR | O_NONBLOCK);
	keep_err = openat(dir, "stderr", O_RDWR | O_NONBLOCK);
	if (out < 0 || errfd < 0 || null < 0 || keep_out < 0 || keep_err < 0 ||
	    dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0 ||
	    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		_exit(125);
	keep[0] = keep_out;
	keep[1] = keep_err;
	keep[2] = in[1];
	/* The container's signals are set by the runtime; its starter's must
	 * not be berth's (ignored SIGPIPE) either. */
	default_signals();
	if (instance_start(root, run_root, id, &c, &err) < 0) {
		snprintf(mode, 64, "failed=%d", fg_failure_code(err));
		snprintf(msg, 1024, "%s", err_msg(err));
		err_free(&err);
		return;
	}
	if (c.console_master >= 0)
		keep[in[1] >= 0 ? 3 : 2] = c.console_master;
	snprintf(mode, 64, "child=%d,pty=%d,out=%d,err=%d,in=%d", (int)c.pid, c.console_master,
		 keep_out, keep_err, in[1]);
}

int monitor_spawn(const char *root, const char *run_root, const char *id,
		  const struct monitor_spawn_opts *o, int *client, berr_t *err)
{
	char self[PATH_MAX], monitor[PATH_MAX], run_dir[PATH_MAX], fdtext[16];
	char mode[64] = "", msg[1024] = "";
	int sv[2], status;
	pid_t pid;

	if (monitor_paths(self, monitor, err) < 0)
		return -1;
	snprintf(run_dir, sizeof(run_dir), "%s/containers/%s", run_root, id);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return err_sys(err, "socketpair for the monitor");
	snprintf(fdtext, sizeof(fdtext), "%d", sv[1]);
	if (o->adopt)
		snprintf(mode, sizeof(mode), "adopt=%d,restarts=%u", (int)o->adopt, o->restarts);
	char *argv[] = { monitor, self, (char *)root, (char *)run_root, (char *)id, fdtext, mode,
			 msg, NULL };

	pid = fork();
	if (pid == 0) {
		/* A session of its own, and the parent gone at once: the
		 * monitor is nobody's child in berth and outlives this
		 * command, its terminal and its process group. */
		if (setsid() < 0)
			_exit(125);
		pid_t grandchild = fork();

		if (grandchild != 0)
			_exit(grandchild < 0 ? 125 : 0);
		int keep[5] = { -1, -1, -1, -1, -1 };

		if (!o->adopt)
			start_here(root, run_root, id, run_dir, o->interactive, mode, msg, keep);
		monitor_exec(run_dir, argv, sv[1], keep);
	}
	close(sv[1]);
	if (pid < 0 || proc_wait(pid, &status, err) < 0 || status != 0) {
		close(sv[0]);
		return pid < 0 ? err_sys(err, "fork the monitor") : -1;
	}
	*client = sv[0];
	return 0;
}

int monitor_connect(const char *run_dir, const char *hello, int *fd, berr_t *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	cleanup_close int dir = open(run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t len = strlen(hello);

	if (dir < 0 || s < 0)
		return err_sys(err, "the container's monitor (%s)", run_dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/monitor.sock", dir);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return err_set(err, errno == ENOENT || errno == ECONNREFUSED ? ESRCH : errno,
			       "the container's monitor is not running (%s)", strerror(errno));
	if (send(s, hello, len, MSG_NOSIGNAL) != (ssize_t)len || send(s, "\n", 1, MSG_NOSIGNAL) != 1)
		return err_sys(err, "the container's monitor refused the connection");
	*fd = s;
	s = -1;
	return 0;
}

static int read_full(int fd, void *buf, size_t len, berr_t *err)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(err, "read from the container's monitor");
		if (n == 0)
			return done ? err_set(err, EPROTO, "the container's monitor went away mid-frame") : 1;
		done += (size_t)n;
	}
	return 0;
}

int monitor_frame_read(int fd, struct frame *f, berr_t *err)
{
	unsigned char h[FRAME_HEADER];
	int r = read_full(fd, h, sizeof(h), err);

	if (r != 0)
		return r;
	f->type = h[0];
	f->len = frame_length(h);
	if (f->len > FRAME_DATA_MAX)
		return err_set(err, EPROTO, "the container's monitor sent a frame of %zu bytes", f->len);
	r = read_full(fd, f->data, f->len, err);
	if (r == 1)
		return err_set(err, EPROTO, "the container's monitor went away mid-frame");
	f->data[f->len] = 0;
	return r;
}

int monitor_frame_write(int fd, int type, const void *data, size_t len, berr_t *err)
{
	unsigned char h[FRAME_HEADER];
	struct iovec iov[2] = { { h, sizeof(h) }, { (void *)data, len } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };

	frame_header(h, (enum frame_type)type, len);
	while (sendmsg(fd, &msg, MSG_NOSIGNAL) != (ssize_t)(sizeof(h) + len))
		if (errno != EINTR)
			return err_sys(err, "write to the container's monitor");
	return 0;
}

/* One stop request: 1 when the monitor refused it (no "ok"). */
static int stop_once(const char *run_dir, const char *hello, berr_t *err)
{
	cleanup_close int fd = -1;
	char buf[64];
	bool taken = false;

	if (monitor_connect(run_dir, hello, &fd, err) < 0) {
		/* Closed on us before the hello: all its slots were taken. */
		if ((*err)->errnum != EPIPE && (*err)->errnum != ECONNRESET)
			return -1;
		err_free(err);
		return 1;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0) {
			taken = taken || (n >= 3 && !memcmp(buf, "ok\n", 3));
			continue;
		}
		return taken ? 0 : 1;
	}
}

#define STOP_RETRY_NS (200 * 1000 * 1000)
#define STOP_RETRIES 50 /* 10 s: longer than the monitor keeps idle clients */

int monitor_stop(const char *run_dir, unsigned timeout_s, int sig, berr_t *err)
{
	char hello[64];
	struct timespec pause = { 0, STOP_RETRY_NS };

	snprintf(hello, sizeof(hello), "stop %u %d", timeout_s, sig);
	for (int i = 0; i < STOP_RETRIES; i++) {
		int r = stop_once(run_dir, hello, err);

		if (r <= 0)
			return r;
		nanosleep(&pause, NULL);
	}
	return err_set(err, EBUSY, "the container's monitor keeps refusing the stop (too many connections)");
}
