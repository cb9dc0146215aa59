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

	if (dup2(in, STDIN_FILENO) < 0)
		_exit(127);
	sys_close_fds_from(3);
	execve(h->path, h->args && h->args[0] ? h->args : default_argv,
	       h->env ? h->env : empty_env);
	_exit(127);
}

/* A hook that does not read its stdin must not block or kill us. */
static void feed_state(int fd, const char *json)
{
	size_t len = strlen(json);
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);

	while (len) {
		ssize_t n = write(fd, json, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		json += n;
		len -= (size_t)n;
	}
	signal(SIGPIPE, old);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for pid at most timeout_s seconds (0: forever). */
static int wait_hook(pid_t pid, int64_t timeout_s, int *status)
{
	int64_t deadline = now_ms() + timeout_s * 1000;
	cleanup_close int pidfd = sys_pidfd_open(pid);

	for (;;) {
		pid_t r = waitpid(pid, status, timeout_s ? WNOHANG : 0);
		int64_t left = deadline - now_ms();

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (timeout_s && left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (r == 0 && pidfd >= 0) {
			struct pollfd p = { .fd = pidfd, .events = POLLIN };

			poll(&p, 1, (int)(left > 1000 ? 1000 : left));
		} else if (r == 0) {
			usleep(10000);
		}
	}
}

static int run_one(const struct spec_hook *h, const char *kind,
		   const char *where, const char *state_json, berr_t *err)
{
	int fds[2], status = 0;
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
	feed_state(fds[1], state_json);
	close(fds[1]);
	if (wait_hook(pid, h->timeout.set ? h->timeout.v : 0, &status) < 0) {
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
