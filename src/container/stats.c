/* One sample of a container's resource use: the cgroup manager's counters
 * (v1 or v2, whichever created it), the host's CPU time for the CPU %,
 * and the network counters of the init's namespace. */
#include "container/stats.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "runtime/cgroup.h"
#include "runtime/state.h"

#define PROC_FILE_MAX (1 << 20)

int stats_parse_proc_stat(const char *text, long ticks_per_sec, uint64_t *ns)
{
	unsigned long long f[8] = { 0 };
	const char *line = strncmp(text, "cpu ", 4) ? strstr(text, "\ncpu ") : text - 1;
	uint64_t ticks = 0;

	if (!line || ticks_per_sec <= 0 ||
	    sscanf(line + 1, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1], &f[2],
		   &f[3], &f[4], &f[5], &f[6], &f[7]) < 4)
		return -1;
	for (int i = 0; i < 8; i++)
		ticks += f[i];
	*ns = ticks * (1000000000ULL / (uint64_t)ticks_per_sec);
	return 0;
}

void stats_parse_net_dev(const char *text, uint64_t *rx, uint64_t *tx)
{
	*rx = *tx = 0;
	for (const char *p = text; *p; p = *strchrnul(p, '\n') ? strchrnul(p, '\n') + 1 : "") {
		char name[64];
		unsigned long long r, t;

		/* "  eth0: rx_bytes packets errs drop fifo frame compressed
		 * multicast tx_bytes ..."; the two header lines have no ':'
		 * right after the first word. */
		if (sscanf(p, " %63[^: ]: %llu %*u %*u %*u %*u %*u %*u %*u %llu", name, &r, &t) != 3 ||
		    !strcmp(name, "lo"))
			continue;
		*rx += r;
		*tx += t;
	}
}

double container_cpu_percent(const struct container_stats *prev,
			     const struct container_stats *now)
{
	double cpu, sys;

	if (now->cpu_usage_ns <= prev->cpu_usage_ns || now->system_ns <= prev->system_ns)
		return 0.0;
	cpu = (double)(now->cpu_usage_ns - prev->cpu_usage_ns);
	sys = (double)(now->system_ns - prev->system_ns);
	return cpu / sys * now->online_cpus * 100.0;
}

double container_mem_percent(const struct container_stats *s)
{
	return s->memory_limit ? (double)s->memory_usage / (double)s->memory_limit * 100.0 : 0.0;
}

/* go-units' CustomSize: divide by base while the value reaches it. */
static void format_units(uint64_t n, double base, const char *const *units, size_t n_units,
			 int digits, char *buf, size_t len)
{
	double v = (double)n;
	size_t i = 0;

	while (v >= base && i + 1 < n_units) {
		v /= base;
		i++;
	}
	snprintf(buf, len, "%.*g%s", digits, v, units[i]);
}

void stats_format_binary(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };

	format_units(n, 1024.0, units, sizeof(units) / sizeof(*units), 4, buf, len);
}

void stats_format_decimal(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };

	format_units(n, 1000.0, units, sizeof(units) / sizeof(*units), 3, buf, len);
}

void stats_format_percent(double p, char *buf, size_t len)
{
	snprintf(buf, len, "%.2f%%", p);
}

static int read_proc(const char *path, char **text, berr_t *err)
{
	return fs_read_file_at(AT_FDCWD, path, PROC_FILE_MAX, text, NULL, err);
}

static int read_cgroup(const struct container_state *st, struct container_stats *out,
		       berr_t *err)
{
	struct cgroup cg = { 0 };
	struct cgroup_stats cs;
	struct sysinfo si;
	uint64_t host_mem;
	int r;

	if (!st->cgroup_path)
		return 0; /* created without a cgroup of its own */
	if (cgroup_init(&cg, st->cgroup_root, st->cgroup_path, err) < 0)
		return -1;
	r = cg.ops->stats(&cg, &cs, err);
	cgroup_clear(&cg);
	if (r < 0)
		return -1;
	out->cpu_usage_ns = cs.cpu_usage_ns;
	out->memory_usage = cs.memory_usage > cs.memory_inactive_file
				    ? cs.memory_usage - cs.memory_inactive_file : cs.memory_usage;
	/* Unlimited reads as a huge number (v1) or "max": show the host's. */
	host_mem = sysinfo(&si) == 0 ? (uint64_t)si.totalram * si.mem_unit : 0;
	out->memory_limit = cs.memory_limit && cs.memory_limit < host_mem ? cs.memory_limit
									  : host_mem;
	out->pids_current = cs.pids_current;
	out->pids_limit = cs.pids_limit ? cs.pids_limit : UINT64_MAX;
	out->blk_read = cs.io_read_bytes;
	out->blk_write = cs.io_write_bytes;
	return 0;
}

static int read_host_and_net(pid_t pid, struct container_stats *out, berr_t *err)
{
	cleanup_free char *stat = NULL, *net = NULL;
	char path[64];
	long n_cpus = sysconf(_SC_NPROCESSORS_ONLN);

	out->online_cpus = n_cpus > 0 ? (unsigned)n_cpus : 1;
	if (read_proc("/proc/stat", &stat, err) < 0)
		return -1;
	if (stats_parse_proc_stat(stat, sysconf(_SC_CLK_TCK), &out->system_ns) < 0)
		return err_set(err, EINVAL, "/proc/stat: no cpu line");
	snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)pid);
	if (read_proc(path, &net, err) < 0)
		return err_prefix(err, "network counters");
	stats_parse_net_dev(net, &out->net_rx, &out->net_tx);
	return 0;
}

int container_stats_read(const char *runtime_root, const char *id,
			 struct container_stats *out, berr_t *err)
{
	struct container_state st = { 0 };
	enum container_status status;
	int r;

	memset(out, 0, sizeof(*out));
	if (state_load(runtime_root, id, &st, err) < 0)
		return -1;
	status = state_status(runtime_root, &st);
	if (status != STATUS_RUNNING && status != STATUS_PAUSED)
		r = err_set(err, EINVAL, "container %s is %s, not running", id,
			    status_name(status));
	else
		r = read_cgroup(&st, out, err) < 0 || read_host_and_net(st.pid, out, err) < 0
			    ? -1 : 0;
	state_clear(&st);
	return r;
}
