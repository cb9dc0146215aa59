#include "runtime/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/syscalls.h"

static _Noreturn void exec_hook(const struct spec_hook *h, int in)
{
	char *const default_argv[] = { h->path, NULL };
	char *const empty_env[] = { NULL };

	sigset_t none;

	/* A foreground run blocks every signal while it waits: hooks start
	 * with none blocked, as programs expect. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(in, STDIN_FILENO) < 0)
		_exit(127);
	sys_close_fds_from(3);
	execve(h->path, h->args && h->args[0] ? h->args : default_argv,
	       h->env ? h->env : empty_env);
	_exit(127);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before deadline (0: none), at least 0; -1 without one. */
static int left_ms(int64_t deadline)
{
	int64_t left;

	if (!deadline)
		return -1;
	left = deadline - now_ms();
	return left <= 0 ? 0 : (int)(left > 1000 ? 1000 : left);
}

/* The state goes to the hook's stdin within the hook's own deadline: a
 * hook that does not read it (with a state larger than the pipe) must
 * neither block us past its timeout nor kill us with SIGPIPE. */
static int feed_state(int fd, const char *json, int64_t deadline)
{
	size_t len = strlen(json);
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	int flags = fcntl(fd, F_GETFL);

	if (flags >= 0)
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	while (len) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		ssize_t n = write(fd, json, len);

		if (n > 0) {
			json += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EAGAIN) {
			if (deadline && now_ms() >= deadline) {
				signal(SIGPIPE, old);
				errno = ETIMEDOUT;
				return -1;
			}
			poll(&p, 1, left_ms(deadline));
		} else if (n < 0 && errno != EINTR) {
			break; /* the hook closed its stdin: fine */
		}
	}
	signal(SIGPIPE, old);
	return 0;
}

/* Wait for pid until deadline (0: forever). */
static int wait_hook(pid_t pid, int64_t deadline, int *status)
{
	cleanup_close int pidfd = sys_pidfd_open(pid);

	for (;;) {
		pid_t r = waitpid(pid, status, deadline ? WNOHANG : 0);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (deadline && now_ms() >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (r == 0 && pidfd >= 0) {
			struct pollfd p = { .fd = pidfd, .events = POLLIN };

			poll(&p, 1, left_ms(deadline));
		} else if (r == 0) {
			usleep(10000);
		}
	}
}

static int run_one(const struct spec_hook *h, const char *kind,
		   const char *where, const char *state_json, berr_t *err)
{
	int fds[2], status = 0, r;
	int64_t deadline;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_sys(err, "%s", where);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return err_sys(err, "%s: fork", where);
	}
	if (pid == 0)
		exec_hook(h, fds[0]);
	close(fds[0]);
	deadline = h->timeout.set ? now_ms() + h->timeout.v * 1000 : 0;
	r = feed_state(fds[1], state_json, deadline);
	close(fds[1]);
	if (r < 0 || wait_hook(pid, deadline, &status) < 0) {
		int saved = errno;

		cleanup_pid_fn(&pid);
		errno = saved;
		if (saved == ETIMEDOUT)
			return err_set(err, ETIMEDOUT, "%s: '%s' timed out after %lld s",
				       where, h->path, (long long)h->timeout.v);
		return err_sys(err, "%s: wait for '%s'", where, h->path);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return err_set(err, ECHILD, "%s: '%s': %s hook failed with exit code %d",
		       where, h->path, kind, proc_exit_code(status));
}

int hooks_run(const struct spec *spec, enum spec_hook_kind kind,
	      const char *state_json, berr_t *err)
{
	const struct spec_hook_list *l = &spec->hooks[kind];

	for (size_t i = 0; i < l->n; i++) {
		char where[64];

		snprintf(where, sizeof(where), "hooks.%s[%zu]", spec_hook_name(kind), i);
		if (run_one(&l->hooks[i], spec_hook_name(kind), where, state_json,
			    err) < 0)
			return -1;
	}
	return 0;
}

void hooks_run_warn(const struct spec *spec, enum spec_hook_kind kind,
		    const char *state_json)
{
	const struct spec_hook_list *l = &spec->hooks[kind];

	for (size_t i = 0; i < l->n; i++) {
		berr_t err = NULL;
		char where[64];

		snprintf(where, sizeof(where), "hooks.%s[%zu]", spec_hook_name(kind), i);
		if (run_one(&l->hooks[i], spec_hook_name(kind), where,
			    state_json ? state_json : "{}", &err) < 0)
			log_warn("%s", err_msg(err));
		err_free(&err);
	}
}
