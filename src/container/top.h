/* The processes of a container, as `docker top` shows them (ps -ef's
 * columns: UID PID PPID C STIME TTY TIME CMD), read from /proc for the
 * pids of its cgroup.  The parsing and formatting are pure functions. */
#ifndef BERTH_CONTAINER_TOP_H
#define BERTH_CONTAINER_TOP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/error.h"

/* UID PID PPID C STIME TTY TIME CMD */
#define TOP_COLUMNS 8

struct top_proc {
	pid_t pid, ppid;
	uid_t uid;            /* effective, as ps shows it */
	uint64_t cpu_ticks;   /* user + system time */
	uint64_t start_ticks; /* after boot */
	int tty_nr;
	char comm[64];
};

/* /proc/PID/stat's text (comm may hold spaces and parentheses); -1 when
 * malformed. */
int top_parse_stat(const char *text, struct top_proc *p);
/* The effective uid of /proc/PID/status's "Uid:" line; -1 without one. */
int top_parse_uid(const char *status, uid_t *uid);

/* ps's columns: TTY "pts/3", "tty1" or "?"; TIME "[D-]HH:MM:SS"; STIME
 * "HH:MM" the same day, else "MonDD" the same year, else the year; C the
 * CPU time in % of the time since the start; CMD the arguments joined by
 * spaces, "[comm]" without any (kernel threads, zombies). */
void top_format_tty(int tty_nr, char *buf, size_t len);
void top_format_time(uint64_t seconds, char *buf, size_t len);
void top_format_stime(time_t started, time_t now, char *buf, size_t len);
unsigned top_cpu_percent(uint64_t cpu_ticks, uint64_t elapsed_ticks);
char *top_format_cmd(const char *cmdline, size_t len, const char *comm);

/* {"Titles": [...], "Processes": [[...], ...]} (docker's API shape) for
 * container id under runtime_root; user names from the host's
 * /etc/passwd, as ps on the host shows them. */
int container_top(const char *runtime_root, const char *id, json_t **out, berr_t *err);

#endif
