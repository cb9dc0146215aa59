/* Resource use of a running container, as `docker stats` shows it: one
 * sample read from its cgroup (runtime/cgroup.h, v1 or v2) and from its
 * init's network namespace, and the pure arithmetic and formatting that
 * turn two samples into docker's columns. */
#ifndef BERTH_CONTAINER_STATS_H
#define BERTH_CONTAINER_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

struct container_stats {
	uint64_t cpu_usage_ns;   /* the cgroup's CPU time */
	uint64_t system_ns;      /* the host's CPU time (/proc/stat), same moment */
	unsigned online_cpus;
	uint64_t memory_usage;   /* without inactive page cache, as docker */
	uint64_t memory_limit;   /* the host's memory when unlimited */
	uint64_t pids_current, pids_limit; /* pids_limit UINT64_MAX: none */
	uint64_t blk_read, blk_write;
	uint64_t net_rx, net_tx; /* every interface but lo */
};

/* One sample of container id under runtime_root (runc's --root). */
int container_stats_read(const char *runtime_root, const char *id,
			 struct container_stats *out, berr_t *err);

/* docker's CPU %: cpu delta / system delta x online CPUs x 100; 0 when
 * either delta is not positive. */
double container_cpu_percent(const struct container_stats *prev,
			     const struct container_stats *now);
/* Memory use in % of the limit (0 without a limit). */
double container_mem_percent(const struct container_stats *s);

/* The host's CPU time in ns from /proc/stat's text (the "cpu " line,
 * user to steal); -1 when there is no such line. */
int stats_parse_proc_stat(const char *text, long ticks_per_sec, uint64_t *ns);
/* Bytes received and sent in /proc/PID/net/dev's text, lo left out. */
void stats_parse_net_dev(const char *text, uint64_t *rx, uint64_t *tx);

/* docker's sizes: "1.5MiB" (memory: binary units, 4 significant digits),
 * "21MB" (I/O: decimal units, 3 significant digits), "0.35%". */
void stats_format_binary(uint64_t n, char *buf, size_t len);
void stats_format_decimal(uint64_t n, char *buf, size_t len);
void stats_format_percent(double p, char *buf, size_t len);

#endif
