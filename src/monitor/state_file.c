/* state.json, written by hand: the monitor links no JSON library. */
#include "monitor/state_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A JSON string body: quotes, backslashes and control characters escaped. */
static void escape(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 7 < len; in++) {
		unsigned char c = (unsigned char)*in;

		if (c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, len - o, "\\%c", c);
		else if (c < 0x20)
			o += (size_t)snprintf(out + o, len - o, "\\u%04x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = 0;
}

int monitor_state_write(int dirfd, const struct monitor_state *s)
{
	char buf[2048], err[1100];
	int len, fd;

	escape(s->error, err, sizeof(err));
	len = snprintf(buf, sizeof(buf),
		       "{\"Status\":\"%s\",\"Pid\":%d,\"PidStartTime\":%llu,\"MonitorPid\":%d,\"MonitorStartTime\":%llu,"
		       "\"ExitCode\":%d,\"RestartCount\":%u,\"StoppedByUser\":%s,"
		       "\"StartedAt\":\"%s\",\"FinishedAt\":\"%s\",\"NextRestartAt\":\"%s\","
		       "\"Error\":\"%s\"}\n",
		       s->status, (int)s->pid, (unsigned long long)s->pid_start, (int)s->monitor_pid,
		       (unsigned long long)s->monitor_start, s->exit_code, s->restart_count,
		       s->stopped_by_user ? "true" : "false", s->started_at, s->finished_at,
		       s->next_restart_at, err);
	if (len < 0 || (size_t)len >= sizeof(buf))
		return errno = EOVERFLOW, -1;
	fd = openat(dirfd, "state.json.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		    0600);
	if (fd < 0)
		return -1;
	if (write(fd, buf, (size_t)len) != len) {
		close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return -1;
	return renameat(dirfd, "state.json.tmp", dirfd, "state.json");
}
