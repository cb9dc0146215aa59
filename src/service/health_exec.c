/* The exec probe: the check's command run inside the container by the
 * runtime's exec (every namespace and the cgroup, the container's user,
 * env and cwd, as `berth exec` does), its stdout and stderr a pipe we
 * keep the first HEALTH_OUTPUT_MAX bytes of.
 *
 * Two forked helpers, so that a check leaves nothing running in the
 * container: the reaper, a child subreaper, forks the runner, which leads
 * a process group of its own (inherited by the command and its children)
 * and runs container_exec.  When the runner ends, or when we send the
 * reaper SIGTERM at the timeout, the reaper kills that whole group (also
 * what a finished check left in the background: a check run every few
 * seconds must not pile them up) and reaps the command if the runner died
 * before it could.  The command's own children are orphans of the
 * container's pid namespace: its init reaps them, or they stay zombies as
 * they do with docker without --init.  Processes that left the group
 * (setsid) survive a check, as with docker. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/proc.h"
#include "common/syscalls.h"
#include "container/foreground.h"
#include "runtime/container.h"
#include "service/health_internal.h"

enum { REAPER_GRACE_NS = 2000000000 };

struct exec_wait {
	pid_t helper; /* the reaper */
	int out;    /* read end of the output pipe, -1 at EOF */
	int pidfd;  /* the helper's, -1 without pidfd support */
	size_t len; /* of the output kept */
};

static _Noreturn void runner(const struct exec_opts *o, int out_fd)
{
	berr_t err = NULL;
	int code, null = open("/dev/null", O_RDONLY);

	if (setpgid(0, 0) < 0 || null < 0 || dup2(null, STDIN_FILENO) < 0 ||
	    dup2(out_fd, STDOUT_FILENO) < 0 || dup2(out_fd, STDERR_FILENO) < 0)
		_exit(125);
	if (container_exec(o, &code, &err) < 0) {
		err_print(stderr, "health check", err);
		_exit(fg_failure_code(err));
	}
	_exit(code);
}

static volatile pid_t runner_pid;

static void kill_runner_group(int sig)
{
	kill(-runner_pid, SIGKILL);
}

/* When the runner has exited, but before it is reaped (so that its pid
 * still names its group and cannot have been reused), kill the rest of
 * its group; reap it, and what of the group comes to us: the command
 * itself when the runner died first (the command's own orphans go to the
 * container's init, which reaps them or not, as with docker). */
static int reap(const sigset_t *term)
{
	siginfo_t si = { 0 };
	int status, code = 125;

	for (;;) {
		if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) < 0) {
			if (errno == EINTR)
				continue;
			return code;
		}
		if (si.si_pid == runner_pid) {
			/* No SIGTERM handler once the runner is gone. */
			sigprocmask(SIG_BLOCK, term, NULL);
			kill_runner_group(0);
		}
		if (waitpid(si.si_pid, &status, 0) == runner_pid)
			code = proc_exit_code(status);
	}
}

static _Noreturn void reaper(const struct exec_opts *o, int out_fd)
{
	struct sigaction sa = { .sa_handler = kill_runner_group };
	sigset_t term, old;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ||
	    sigprocmask(SIG_BLOCK, &term, &old) < 0)
		_exit(125);
	runner_pid = fork();
	if (runner_pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		runner(o, out_fd);
	}
	close(out_fd);
	if (runner_pid < 0)
		_exit(125);
	setpgid(runner_pid, runner_pid); /* either of us may get there first */
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigprocmask(SIG_SETMASK, &old, NULL) < 0)
		kill_runner_group(0);
	_exit(reap(&term));
}

/* Keep the first bytes of the output, drain the rest so the command
 * never blocks on a full pipe. */
static void read_output(struct exec_wait *w, struct health_result *out)
{
	char sink[4096];

	for (;;) {
		size_t room = HEALTH_OUTPUT_MAX - w->len;
		ssize_t n = room ? read(w->out, out->output + w->len, room)
				 : read(w->out, sink, sizeof(sink));

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			close(w->out);
			w->out = -1;
		}
		if (n <= 0)
			return;
		if (room)
			w->len += (size_t)n;
	}
}

/* Until the helper exits (1, its status in *status) or the deadline (0). */
static int wait_helper(struct exec_wait *w, uint64_t deadline, int *status,
		       struct health_result *out)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = w->out, .events = POLLIN },
				       { .fd = w->pidfd, .events = POLLIN } };
		pid_t r = waitpid(w->helper, status, WNOHANG);
		int ms = health_ms_left(deadline);

		if (r == w->helper)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
		if (ms == 0)
			return 0;
		/* Without a pidfd, look at the helper every 10 ms. */
		if (poll(p, 2, w->pidfd < 0 && ms > 10 ? 10 : ms) > 0 && p[0].revents)
			read_output(w, out);
	}
}

/* The helper's outcome into out: its exit code, or killed at the timeout. */
static int finish(struct exec_wait *w, uint64_t deadline, uint64_t timeout_ns,
		  struct health_result *out, berr_t *err)
{
	int status, r = wait_helper(w, deadline, &status, out);

	if (r > 0) {
		read_output(w, out); /* what is already in the pipe */
		out->output[w->len] = 0;
		out->code = proc_exit_code(status);
		out->healthy = out->code == 0;
		return 0;
	}
	if (r < 0)
		err_sys(err, "health check: wait for the command");
	/* The reaper kills the command's group; a command that left it
	 * (setsid) it would wait for, and we do not. */
	kill(w->helper, SIGTERM);
	if (wait_helper(w, health_mono_ns() + REAPER_GRACE_NS, &status, out) <= 0) {
		kill(w->helper, SIGKILL);
		proc_wait(w->helper, &status, NULL);
	}
	health_say(out, "health check exceeded its timeout (%.3gs)", (double)timeout_ns / 1e9);
	return r;
}

static int run(const struct exec_opts *o, uint64_t deadline, uint64_t timeout_ns,
	       struct health_result *out, berr_t *err)
{
	struct exec_wait w = { .out = -1, .pidfd = -1 };
	int pipe_fds[2], r;

	if (pipe2(pipe_fds, O_CLOEXEC) < 0)
		return err_sys(err, "health check: pipe");
	/* The read end only: the write end is a separate open file. */
	if (fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK) < 0 || (w.helper = fork()) < 0) {
		r = err_sys(err, "health check: start the command");
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		return r;
	}
	if (w.helper == 0)
		reaper(o, pipe_fds[1]);
	close(pipe_fds[1]);
	w.out = pipe_fds[0];
	w.pidfd = sys_pidfd_open(w.helper);
	r = finish(&w, deadline, timeout_ns, out, err);
	cleanup_close_fn(&w.out);
	cleanup_close_fn(&w.pidfd);
	return r;
}

int health_probe_exec(const struct health_target *t, const struct health_check *c,
		      uint64_t deadline, struct health_result *out, berr_t *err)
{
	json_auto_t *proc = NULL;
	struct exec_opts o = { .root = t->rt_root, .id = t->id };
	int r;

	if (!c->cmd || !c->cmd[0])
		return err_set(err, EINVAL, "health check: no command to run");
	if (container_exec_process_json(t->rt_root, t->id, c->cmd, &proc, err) < 0 ||
	    spec_parse_process(proc, "health check process", &o.process, err) < 0)
		return err_prefix(err, "health check");
	r = run(&o, deadline, c->timeout_ns, out, err);
	spec_process_free(o.process);
	return r;
}
