#include "common/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"

void cleanup_pid_fn(pid_t *pid)
{
	int saved = errno;

	if (*pid > 0) {
		kill(*pid, SIGKILL);
		while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	errno = saved;
}

int proc_wait(pid_t pid, int *status, berr_t *err)
{
	for (;;) {
		if (waitpid(pid, status, 0) >= 0)
			return 0;
		if (errno != EINTR)
			return err_sys(err, "wait for process %d", pid);
	}
}

int proc_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

/* The stat line's comm field may hold spaces and parentheses: parse from
 * the last ')' on. */
static char *stat_fields(pid_t pid, char **buf)
{
	char path[64];
	berr_t err = NULL;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (fs_read_file_at(AT_FDCWD, path, 4096, buf, NULL, &err) < 0) {
		err_free(&err);
		return NULL;
	}
	p = strrchr(*buf, ')');
	return p ? p + 2 : NULL;
}

uint64_t proc_start_time(pid_t pid)
{
	cleanup_free char *buf = NULL;
	char *p = stat_fields(pid, &buf);

	/* After ") " come fields 3.. ; start time is field 22. */
	for (int field = 3; p && field < 22; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p ? strtoull(p, NULL, 10) : 0;
}

static int64_t boot_time(void)
{
	cleanup_free char *buf = NULL;
	berr_t err = NULL;
	const char *p;

	if (fs_read_file_at(AT_FDCWD, "/proc/stat", 1 << 20, &buf, NULL, &err) < 0) {
		err_free(&err);
		return 0;
	}
	p = strstr(buf, "\nbtime ");
	return p ? strtoll(p + 7, NULL, 10) : 0;
}

int64_t proc_started_at(pid_t pid)
{
	uint64_t ticks = proc_start_time(pid);
	int64_t boot = boot_time();
	long hz = sysconf(_SC_CLK_TCK);

	if (ticks == 0 || boot == 0 || hz <= 0)
		return 0;
	return boot + (int64_t)(ticks / (uint64_t)hz);
}

int proc_is_alive(pid_t pid, uint64_t start_time)
{
	cleanup_free char *buf = NULL;
	char *p;

	if (pid <= 0)
		return 0;
	p = stat_fields(pid, &buf);
	if (!p || *p == 'Z' || *p == 'X')
		return 0;
	return start_time == 0 || proc_start_time(pid) == start_time;
}
