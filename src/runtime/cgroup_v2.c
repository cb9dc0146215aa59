/* The cgroup v2 manager: one unified hierarchy at root, the cgroup being
 * root/<path>.  A controller's files appear in a cgroup only once every
 * ancestor lists it in cgroup.subtree_control, so create() enables the
 * ones berth uses on the way down. */
#include "runtime/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "runtime/cgroup_internal.h"
#include "runtime/cgroup_v2_devices.h"

#define FREEZE_TRIES 100
#define FREEZE_WAIT_MS 10
#define DEFAULT_CFS_PERIOD 100000

static const char *const wanted[] = {
	"memory", "pids", "cpu", "cpuset", "io", "hugetlb",
};

static int leaf_dir(const struct cgroup *cg, char **dir, berr_t *err)
{
	*dir = cg_join(cg->root, cg->path);
	if (!*dir)
		return err_sys(err, "cgroup '%s'", cg->path);
	return 0;
}

static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n) {
		bool start = p == list || p[-1] == ' ' || p[-1] == '\n';

		if (start && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	}
	return false;
}

/* Only what dir offers and has not enabled yet: writing an enabled
 * controller again can fail with EBUSY for no gain. */
static int enable_controllers(const char *dir, berr_t *err)
{
	cleanup_free char *avail = NULL;
	cleanup_free char *on = NULL;
	char line[128] = "";

	if (cg_read(dir, "cgroup.controllers", &avail, err) < 0 ||
	    cg_read(dir, "cgroup.subtree_control", &on, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		if (!has_word(avail, wanted[i]) || has_word(on, wanted[i]))
			continue;
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
			 "%s+%s", line[0] ? " " : "", wanted[i]);
	}
	if (!line[0])
		return 0;
	return cg_write(dir, "cgroup.subtree_control", line, err);
}

static int v2_create(struct cgroup *cg, berr_t *err)
{
	cleanup_free char *leaf = NULL;
	cleanup_free char *dir = strdup(cg->root);

	if (!dir || leaf_dir(cg, &leaf, err) < 0)
		return err_sys(err, "cgroup '%s'", cg->path);
	if (fs_mkdir_p(leaf, 0755, err) < 0)
		return err_prefix(err, "create cgroup");
	/* Every ancestor of the leaf, root included, but not the leaf:
	 * processes live there, and v2 forbids them in a cgroup that hands
	 * controllers down. */
	for (const char *c = cg->path; *c;) {
		cleanup_free char *parent = take_ptr(dir);
		size_t len = strcspn(c, "/");

		if (enable_controllers(parent, err) < 0)
			return -1;
		if (!c[len])
			break;
		if (asprintf(&dir, "%s/%.*s", parent, (int)len, c) < 0) {
			dir = NULL;
			return err_sys(err, "cgroup '%s'", cg->path);
		}
		c += len + 1;
	}
	return 0;
}

static int v2_enter(struct cgroup *cg, pid_t pid, berr_t *err)
{
	cleanup_free char *dir = NULL;

	if (leaf_dir(cg, &dir, err) < 0)
		return -1;
	return cg_writef(err, dir, "cgroup.procs", "%d", pid);
}

/* OCI's -1 (unlimited) is v2's "max". */
static void fmt_max(char *buf, size_t len, int64_t v)
{
	if (v < 0)
		snprintf(buf, len, "max");
	else
		snprintf(buf, len, "%lld", (long long)v);
}

/* OCI swap is memory+swap; memory.swap.max is swap alone. */
static int swap_value(const struct spec_resources *res, char *buf,
		      size_t len, berr_t *err)
{
	struct opt_i64 limit = res->memory.limit, swap = res->memory.swap;

	buf[0] = '\0';
	if (!swap.set && limit.set && limit.v == -1)
		swap = (struct opt_i64){ true, -1 };
	if (!swap.set)
		return 0;
	if (swap.v == -1) {
		snprintf(buf, len, "max");
		return 0;
	}
	if (!limit.set || limit.v < 0)
		return err_set(err, EINVAL,
			       "linux.resources.memory.swap %lld needs a memory limit on cgroup v2",
			       (long long)swap.v);
	if (swap.v < limit.v)
		return err_set(err, EINVAL,
			       "linux.resources.memory.swap %lld is below the memory limit %lld (swap counts memory+swap)",
			       (long long)swap.v, (long long)limit.v);
	snprintf(buf, len, "%lld", (long long)(swap.v - limit.v));
	return 0;
}

static int set_swap(const char *dir, const struct spec_resources *res,
		    berr_t *err)
{
	char v[24];

	if (swap_value(res, v, sizeof(v), err) < 0)
		return -1;
	if (!v[0])
		return 0;
	/* No swap accounting: asking for none or for unlimited is moot. */
	if (!cg_has(dir, "memory.swap.max") &&
	    (!strcmp(v, "0") || !strcmp(v, "max")))
		return 0;
	return cg_write(dir, "memory.swap.max", v, err);
}

/* kernel, kernelTCP, swappiness, disableOOMKiller and useHierarchy have
 * no v2 file: kernel memory is always counted in memory.max, the
 * hierarchy is always on, and the rest does not exist; they are left
 * out, as runc and crun do. */
static int apply_memory(const char *dir, const struct spec_resources *res,
			berr_t *err)
{
	char v[24];

	if (res->memory.check_before_update && res->memory.limit.set &&
	    cg_check_usage(dir, "memory.current", res->memory.limit.v, err) < 0)
		return -1;
	if (res->memory.limit.set) {
		fmt_max(v, sizeof(v), res->memory.limit.v);
		if (cg_write(dir, "memory.max", v, err) < 0)
			return -1;
	}
	if (res->memory.reservation.set) {
		fmt_max(v, sizeof(v), res->memory.reservation.v);
		if (cg_write(dir, "memory.low", v, err) < 0)
			return -1;
	}
	return set_swap(dir, res, err);
}

static int apply_cpu(const char *dir, const struct spec_resources *res,
		     berr_t *err)
{
	char quota[24] = "max";

	if ((res->cpu.realtime_period.set && res->cpu.realtime_period.v) ||
	    (res->cpu.realtime_runtime.set && res->cpu.realtime_runtime.v))
		return err_set(err, EINVAL,
			       "linux.resources.cpu.realtimePeriod/realtimeRuntime require cgroup v1");
	if (res->cpu.shares.set &&
	    cg_writef(err, dir, "cpu.weight", "%llu",
		      (unsigned long long)cgroup_shares_to_weight(
			      res->cpu.shares.v)) < 0)
		return -1;
	if (res->cpu.quota.set && res->cpu.quota.v > 0)
		fmt_max(quota, sizeof(quota), res->cpu.quota.v);
	if ((res->cpu.quota.set || res->cpu.period.set) &&
	    cg_writef(err, dir, "cpu.max", "%s %llu", quota,
		      (unsigned long long)(res->cpu.period.set ?
						   res->cpu.period.v :
						   DEFAULT_CFS_PERIOD)) < 0)
		return -1;
	if (res->cpu.burst.set &&
	    cg_writef(err, dir, "cpu.max.burst", "%llu",
		      (unsigned long long)res->cpu.burst.v) < 0)
		return -1;
	if (res->cpu.idle.set &&
	    cg_writef(err, dir, "cpu.idle", "%lld",
		      (long long)res->cpu.idle.v) < 0)
		return -1;
	if (res->cpu.cpus && cg_write(dir, "cpuset.cpus", res->cpu.cpus, err) < 0)
		return -1;
	if (res->cpu.mems && cg_write(dir, "cpuset.mems", res->cpu.mems, err) < 0)
		return -1;
	return 0;
}

static int apply_pids(const char *dir, const struct spec_resources *res,
		      berr_t *err)
{
	if (!res->pids_limit.set)
		return 0;
	if (res->pids_limit.v <= 0)
		return cg_write(dir, "pids.max", "max", err);
	return cg_writef(err, dir, "pids.max", "%lld",
			 (long long)res->pids_limit.v);
}

/* io.bfq.weight takes blkio's 1..1000 scale as is; io.weight has its own
 * 1..10000 scale.  leafWeight has no v2 counterpart. */
static int apply_io_weights(const char *dir, const struct spec_resources *res,
			    berr_t *err)
{
	bool bfq = cg_has(dir, "io.bfq.weight");
	const char *file = bfq ? "io.bfq.weight" : "io.weight";

	if (res->blkio.weight.set &&
	    cg_writef(err, dir, file, "%llu",
		      (unsigned long long)(bfq ? res->blkio.weight.v :
						 cgroup_blkio_to_io_weight(
							 res->blkio.weight.v))) < 0)
		return -1;
	for (size_t i = 0; i < res->blkio.n_weight_devices; i++) {
		const struct spec_weight_device *d =
			&res->blkio.weight_devices[i];
		uint64_t w = d->weight.v;

		if (!d->weight.set)
			continue;
		if (cg_writef(err, dir, file, "%lld:%lld %llu",
			      (long long)d->major, (long long)d->minor,
			      (unsigned long long)(bfq ? w :
						   cgroup_blkio_to_io_weight(w))) < 0)
			return -1;
	}
	return 0;
}

static bool same_dev(const struct spec_throttle_device *a,
		     const struct spec_throttle_device *b)
{
	return a->major == b->major && a->minor == b->minor;
}

/* Whether the device of throttle[k][i] came up at an earlier position. */
static bool seen_before(const struct spec_resources *res, int k, size_t i)
{
	const struct spec_throttle_device *t = &res->blkio.throttle[k][i];

	for (int k2 = 0; k2 <= k; k2++) {
		size_t end = k2 < k ? res->blkio.n_throttle[k2] : i;

		for (size_t j = 0; j < end; j++)
			if (same_dev(&res->blkio.throttle[k2][j], t))
				return true;
	}
	return false;
}

/* One io.max line a device, with every limit the spec gives it:
 * "8:0 rbps=1048576 wiops=100". */
static int write_io_max(const char *dir, const struct spec_resources *res,
			const struct spec_throttle_device *dev, berr_t *err)
{
	static const char *const keys[4] = { "rbps", "wbps", "riops", "wiops" };
	char line[256];
	int len = snprintf(line, sizeof(line), "%lld:%lld",
			   (long long)dev->major, (long long)dev->minor);

	for (int k = 0; k < 4; k++) {
		for (size_t j = 0; j < res->blkio.n_throttle[k]; j++) {
			const struct spec_throttle_device *t =
				&res->blkio.throttle[k][j];

			if (same_dev(t, dev) && len < (int)sizeof(line))
				len += snprintf(line + len, sizeof(line) - len,
						" %s=%llu", keys[k],
						(unsigned long long)t->rate);
		}
	}
	return cg_write(dir, "io.max", line, err);
}

static int apply_io(const char *dir, const struct spec_resources *res,
		    berr_t *err)
{
	if (apply_io_weights(dir, res, err) < 0)
		return -1;
	for (int k = 0; k < 4; k++) {
		for (size_t i = 0; i < res->blkio.n_throttle[k]; i++) {
			if (seen_before(res, k, i))
				continue;
			if (write_io_max(dir, res, &res->blkio.throttle[k][i],
					 err) < 0)
				return -1;
		}
	}
	return 0;
}

static int apply_hugetlb(const char *dir, const struct spec_resources *res,
			 berr_t *err)
{
	for (size_t i = 0; i < res->n_hugepages; i++) {
		const struct spec_hugepage *h = &res->hugepages[i];
		char file[64];

		if (cg_check_page_size(h->page_size, err) < 0)
			return -1;
		snprintf(file, sizeof(file), "hugetlb.%.32s.max", h->page_size);
		if (cg_writef(err, dir, file, "%llu",
			      (unsigned long long)h->limit) < 0)
			return -1;
	}
	return 0;
}

/* A key is a file name inside the cgroup, nothing else. */
static int check_unified_key(const char *key, berr_t *err)
{
	if (!*key || key[0] == '.' || strchr(key, '/') || strstr(key, ".."))
		return err_set(err, EINVAL,
			       "linux.resources.unified: key '%s' is not a cgroup file name",
			       key);
	return 0;
}

/* Written last, so a unified value overrides the typed fields. */
static int apply_unified(const char *dir, const struct spec_resources *res,
			 berr_t *err)
{
	for (size_t i = 0; i < res->n_unified; i++)
		if (check_unified_key(res->unified[i].key, err) < 0)
			return -1;
	for (size_t i = 0; i < res->n_unified; i++)
		if (cg_write(dir, res->unified[i].key, res->unified[i].value,
			     err) < 0)
			return -1;
	return 0;
}

/* Device rules: v2 has no devices.allow; a BPF_PROG_TYPE_CGROUP_DEVICE
 * program attached to the cgroup enforces them (cgroup_v2_devices.c). */
static int apply_devices(const char *dir, const struct spec_resources *res,
			 berr_t *err)
{
	cleanup_close int fd = -1;

	if (!res->n_devices)
		return 0;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "linux.resources.devices: open cgroup '%s'", dir);
	return cgroup_v2_devices_apply(fd, res->devices, res->n_devices, err);
}

/* network (net_cls, net_prio) has no v2 controller: classification is
 * done by socket cgroup BPF/nftables on v2. */
static int v2_apply(struct cgroup *cg, const struct spec_resources *res,
		    berr_t *err)
{
	cleanup_free char *dir = NULL;

	if (leaf_dir(cg, &dir, err) < 0)
		return -1;
	if (apply_devices(dir, res, err) < 0 ||
	    apply_memory(dir, res, err) < 0 || apply_cpu(dir, res, err) < 0 ||
	    apply_pids(dir, res, err) < 0 || apply_io(dir, res, err) < 0 ||
	    apply_hugetlb(dir, res, err) < 0 || apply_unified(dir, res, err) < 0)
		return -1;
	return 0;
}

static int read_frozen(const char *dir, bool *frozen, berr_t *err)
{
	uint64_t v;

	if (cg_read_key(dir, "cgroup.events", "frozen", &v, err) < 0)
		return -1;
	*frozen = v == 1;
	return 0;
}

/* cgroup.freeze is a request; cgroup.events says "frozen 1" once every
 * task has stopped. */
static int v2_freeze(struct cgroup *cg, bool frozen, berr_t *err)
{
	cleanup_free char *dir = NULL;
	bool done = false;

	if (leaf_dir(cg, &dir, err) < 0 ||
	    cg_write(dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
		return -1;
	for (int i = 0; frozen && i < FREEZE_TRIES; i++) {
		if (read_frozen(dir, &done, err) < 0)
			return -1;
		if (done)
			return 0;
		cg_sleep_ms(FREEZE_WAIT_MS);
	}
	if (!frozen)
		return 0;
	if (cg_write(dir, "cgroup.freeze", "0", err) < 0)
		return -1;
	return err_set(err, EBUSY, "'%s/cgroup.events' did not report frozen in %d ms",
		       dir, FREEZE_TRIES * FREEZE_WAIT_MS);
}

static int v2_is_frozen(struct cgroup *cg, berr_t *err)
{
	cleanup_free char *dir = NULL;
	bool frozen;

	if (leaf_dir(cg, &dir, err) < 0 || read_frozen(dir, &frozen, err) < 0)
		return -1;
	return frozen;
}

static int v2_pids(struct cgroup *cg, pid_t **pids, size_t *n, berr_t *err)
{
	struct cg_pids list = { 0 };
	cleanup_free char *dir = NULL;

	if (leaf_dir(cg, &dir, err) < 0)
		return -1;
	if (cg_collect_pids(dir, &list, err) < 0) {
		free(list.v);
		return -1;
	}
	*pids = list.v;
	*n = list.n;
	return 0;
}

/* A controller that is not enabled has no files: its stats stay 0. */
static int v2_stats(struct cgroup *cg, struct cgroup_stats *st, berr_t *err)
{
	cleanup_free char *dir = NULL, *io = NULL;
	uint64_t usec = 0;

	memset(st, 0, sizeof(*st));
	if (leaf_dir(cg, &dir, err) < 0 ||
	    cg_read_u64_opt(dir, "memory.current", &st->memory_usage, err) < 0 ||
	    cg_read_u64_opt(dir, "memory.max", &st->memory_limit, err) < 0 ||
	    cg_read_u64_opt(dir, "memory.peak", &st->memory_max_usage, err) < 0 ||
	    cg_read_key_opt(dir, "memory.events", "oom_kill", &st->oom_kills,
			    err) < 0 ||
	    cg_read_key_opt(dir, "cpu.stat", "usage_usec", &usec, err) < 0 ||
	    cg_read_u64_opt(dir, "pids.current", &st->pids_current, err) < 0 ||
	    cg_read_u64_opt(dir, "pids.max", &st->pids_limit, err) < 0 ||
	    cg_read_key_opt(dir, "memory.stat", "inactive_file", &st->memory_inactive_file,
			    err) < 0)
		return -1;
	st->cpu_usage_ns = usec * 1000;
	if (!cg_has(dir, "io.stat"))
		return 0;
	if (cg_read(dir, "io.stat", &io, err) < 0)
		return -1;
	cgroup_parse_io_bytes(io, &st->io_read_bytes, &st->io_write_bytes);
	return 0;
}

static int v2_destroy(struct cgroup *cg, berr_t *err)
{
	cleanup_free char *dir = NULL;

	if (leaf_dir(cg, &dir, err) < 0)
		return -1;
	return cg_rmdir(dir, err);
}

const struct cgroup_ops cgroup_v2_ops = {
	.name = "v2",
	.create = v2_create,
	.enter = v2_enter,
	.apply = v2_apply,
	.freeze = v2_freeze,
	.is_frozen = v2_is_frozen,
	.pids = v2_pids,
	.stats = v2_stats,
	.destroy = v2_destroy,
};
