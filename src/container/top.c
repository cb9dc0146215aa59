#include "container/top.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/passwd.h"
#include "common/proc.h"
#include "runtime/container.h"

#define PROC_FILE_MAX (1 << 20)

int top_parse_stat(const char *text, struct top_proc *p)
{
	const char *open = strchr(text, '('), *close = strrchr(text, ')');
	unsigned long long utime, stime, start;
	int pid, ppid, tty;

	if (!open || !close || close < open || sscanf(text, "%d", &pid) != 1)
		return -1;
	/* After "(comm) ": state ppid pgrp session tty_nr tpgid flags minflt
	 * cminflt majflt cmajflt utime stime cutime cstime priority nice
	 * num_threads itrealvalue starttime */
	if (sscanf(close + 1, " %*c %d %*d %*d %d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu",
		   &ppid, &tty, &utime, &stime, &start) != 5)
		return -1;
	p->pid = pid;
	p->ppid = ppid;
	p->tty_nr = tty;
	p->cpu_ticks = utime + stime;
	p->start_ticks = start;
	snprintf(p->comm, sizeof(p->comm), "%.*s", (int)(close - open - 1), open + 1);
	return 0;
}

int top_parse_uid(const char *status, uid_t *uid)
{
	const char *line = strncmp(status, "Uid:", 4) ? strstr(status, "\nUid:") : status - 1;
	unsigned long real, effective;

	if (!line || sscanf(line + 1, "Uid: %lu %lu", &real, &effective) != 2)
		return -1;
	*uid = (uid_t)effective;
	return 0;
}

/* Linux's tty majors: 4 (tty0-63; ttyS from 64), 136-143 (pts). */
void top_format_tty(int tty_nr, char *buf, size_t len)
{
	unsigned major = ((unsigned)tty_nr >> 8) & 0xfff;
	unsigned minor = ((unsigned)tty_nr & 0xff) | (((unsigned)tty_nr >> 12) & 0xfff00);

	if (major >= 136 && major <= 143)
		snprintf(buf, len, "pts/%u", (major - 136) * 256 + minor);
	else if (major == 4 && minor < 64)
		snprintf(buf, len, "tty%u", minor);
	else if (major == 4)
		snprintf(buf, len, "ttyS%u", minor - 64);
	else
		snprintf(buf, len, "?");
}

void top_format_time(uint64_t s, char *buf, size_t len)
{
	uint64_t days = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;

	if (days)
		snprintf(buf, len, "%" PRIu64 "-%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64, days, h,
			 m, sec);
	else
		snprintf(buf, len, "%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64, h, m, sec);
}

void top_format_stime(time_t started, time_t now, char *buf, size_t len)
{
	struct tm s, n;

	if (!localtime_r(&started, &s) || !localtime_r(&now, &n)) {
		snprintf(buf, len, "?");
		return;
	}
	if (s.tm_year == n.tm_year && s.tm_yday == n.tm_yday)
		strftime(buf, len, "%H:%M", &s);
	else if (s.tm_year == n.tm_year)
		strftime(buf, len, "%b%d", &s);
	else
		strftime(buf, len, "%Y", &s);
}

unsigned top_cpu_percent(uint64_t cpu_ticks, uint64_t elapsed_ticks)
{
	if (elapsed_ticks == 0)
		return 0;
	return (unsigned)(cpu_ticks * 100 / elapsed_ticks);
}

char *top_format_cmd(const char *cmdline, size_t len, const char *comm)
{
	char *out;

	while (len && cmdline[len - 1] == '\0')
		len--;
	if (len == 0)
		return asprintf(&out, "[%s]", comm) < 0 ? NULL : out;
	out = malloc(len + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++)
		out[i] = cmdline[i] ? cmdline[i] : ' ';
	out[len] = '\0';
	return out;
}

static uint64_t uptime_ticks(long hz)
{
	cleanup_free char *text = NULL;
	cleanup_err berr_t e = NULL;
	double up;

	if (fs_read_file_at(AT_FDCWD, "/proc/uptime", 256, &text, NULL, &e) < 0 ||
	    sscanf(text, "%lf", &up) != 1)
		return 0;
	return (uint64_t)(up * (double)hz);
}

/* The row of pid; 0 with *row NULL when it exited meanwhile.  up: the
 * time since boot in ticks. */
static int proc_row(pid_t pid, long hz, uint64_t up, time_t now, json_t **row, berr_t *err)
{
	cleanup_free char *stat = NULL, *status = NULL, *cmdline = NULL, *cmd = NULL;
	cleanup_err berr_t gone = NULL;
	char path[64], user[256], tty[32], stime[32], cputime[32];
	struct passwd_entry pw;
	struct top_proc p;
	size_t len = 0;

	*row = NULL;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (fs_read_file_at(AT_FDCWD, path, PROC_FILE_MAX, &stat, NULL, &gone) < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (fs_read_file_at(AT_FDCWD, path, PROC_FILE_MAX, &status, NULL, &gone) < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (fs_read_file_at(AT_FDCWD, path, PROC_FILE_MAX, &cmdline, &len, &gone) < 0)
		return 0;
	if (top_parse_stat(stat, &p) < 0 || top_parse_uid(status, &p.uid) < 0)
		return err_set(err, EINVAL, "/proc/%d: cannot parse stat or status", (int)pid);
	cmd = top_format_cmd(cmdline, len, p.comm);
	if (!cmd)
		return err_sys(err, "top");
	if (passwd_find_uid("/etc/passwd", p.uid, &pw))
		snprintf(user, sizeof(user), "%s", pw.name);
	else
		snprintf(user, sizeof(user), "%u", (unsigned)p.uid);
	top_format_tty(p.tty_nr, tty, sizeof(tty));
	top_format_time(p.cpu_ticks / (uint64_t)hz, cputime, sizeof(cputime));
	top_format_stime((time_t)proc_started_at(pid), now, stime, sizeof(stime));
	*row = json_pack("[s,i,i,i,s,s,s,s]", user, (int)p.pid, (int)p.ppid,
			 (int)top_cpu_percent(p.cpu_ticks,
					      up > p.start_ticks ? up - p.start_ticks : 0),
			 stime, tty, cputime, cmd);
	return *row ? 0 : err_set(err, ENOMEM, "top");
}

static int by_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int container_top(const char *runtime_root, const char *id, json_t **out, berr_t *err)
{
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t up = uptime_ticks(hz);
	time_t now = time(NULL);
	json_t *procs, *doc;

	if (container_pids(runtime_root, id, &pids, &n, err) < 0)
		return -1;
	qsort(pids, n, sizeof(*pids), by_pid);
	doc = json_pack("{s:[s,s,s,s,s,s,s,s],s:[]}", "Titles", "UID", "PID", "PPID", "C",
			"STIME", "TTY", "TIME", "CMD", "Processes");
	if (!doc)
		return err_set(err, ENOMEM, "top");
	procs = json_object_get(doc, "Processes");
	for (size_t i = 0; i < n; i++) {
		json_t *row;

		if (proc_row(pids[i], hz, up, now, &row, err) < 0) {
			json_decref(doc);
			return -1;
		}
		if (row)
			json_array_append_new(procs, row);
	}
	*out = doc;
	return 0;
}
