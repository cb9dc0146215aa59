/* Control groups behind one small interface: a manager for the legacy v1
 * hierarchies (one mount per controller, as on hybrid hosts) and one for the
 * unified v2 hierarchy.  cgroup_detect() picks by what is mounted at the
 * cgroup root; a hybrid host whose unified mount holds no usable controller
 * is driven through v1.
 *
 * The root is a parameter so the unit tests can drive both managers against
 * a fake cgroupfs tree in a temporary directory. */
#ifndef BERTH_RUNTIME_CGROUP_H
#define BERTH_RUNTIME_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"
#include "runtime/spec.h"

struct cgroup_ops;

struct cgroup {
	const struct cgroup_ops *ops;
	char *root; /* "/sys/fs/cgroup" or a test tree */
	char *path; /* relative to each hierarchy, e.g. "berth/abc" */
	/* v1: where each known controller is mounted (NULL: not mounted),
	 * found once by cgroup_init rather than on every operation. */
	char **v1_mounts;
};

struct cgroup_stats {
	uint64_t memory_usage, memory_limit, memory_max_usage;
	uint64_t oom_kills;     /* OOM kills in this cgroup so far */
	uint64_t cpu_usage_ns;  /* total CPU time */
	uint64_t pids_current, pids_limit;
	/* Page cache the kernel can drop at once (docker leaves it out of
	 * the memory use it shows). */
	uint64_t memory_inactive_file;
	uint64_t io_read_bytes, io_write_bytes; /* block I/O, every device */
};

struct cgroup_ops {
	const char *name; /* "v1" or "v2" */
	/* Create the cgroup (every controller for v1); existing is fine. */
	int (*create)(struct cgroup *cg, berr_t *err);
	/* Move pid into the cgroup; 0 moves the calling single-threaded
	 * process (the fast path on v1). */
	int (*enter)(struct cgroup *cg, pid_t pid, berr_t *err);
	/* Write the resource limits; fields not set are left alone. */
	int (*apply)(struct cgroup *cg, const struct spec_resources *res,
		     berr_t *err);
	int (*freeze)(struct cgroup *cg, bool frozen, berr_t *err);
	/* 1 when frozen, 0 when not, negative on error. */
	int (*is_frozen)(struct cgroup *cg, berr_t *err);
	/* Every pid in the cgroup and below, malloc'd into *pids. */
	int (*pids)(struct cgroup *cg, pid_t **pids, size_t *n, berr_t *err);
	int (*stats)(struct cgroup *cg, struct cgroup_stats *st, berr_t *err);
	/* Remove the cgroup directories (they must be empty of processes). */
	int (*destroy)(struct cgroup *cg, berr_t *err);
};

extern const struct cgroup_ops cgroup_v1_ops;
extern const struct cgroup_ops cgroup_v2_ops;

/* Pick the manager for root ("/sys/fs/cgroup" when NULL) and fill cg. */
int cgroup_init(struct cgroup *cg, const char *root, const char *path,
		berr_t *err);
void cgroup_clear(struct cgroup *cg);

/* Which manager serves root: &cgroup_v1_ops or &cgroup_v2_ops. */
int cgroup_detect(const char *root, const struct cgroup_ops **ops,
		  berr_t *err);

/* Convert cpu.shares (2..262144) to cgroup v2 cpu.weight (1..10000) the way
 * crun and runc do, so a config means the same on both. */
uint64_t cgroup_shares_to_weight(uint64_t shares);

/* Convert blkio.weight (10..1000) to io.bfq.weight / io.weight (1..10000). */
uint64_t cgroup_blkio_to_io_weight(uint64_t weight);

/* Add up the bytes read and written in a v1 blkio io_service_bytes file
 * ("8:0 Read 4096" lines) or a v2 io.stat ("8:0 rbytes=4096 wbytes=0 ...");
 * other lines are skipped. */
void cgroup_parse_io_bytes(const char *text, uint64_t *read, uint64_t *write);

/* Signal every process in the cgroup (kill --all). */
int cgroup_kill_all(struct cgroup *cg, int sig, berr_t *err);

#endif
