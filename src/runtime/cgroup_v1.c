/* The cgroup v1 manager: one hierarchy per controller, each mounted at
 * root/<controller> (or a combined mount such as root/cpu,cpuacct, often
 * with symlinks root/cpu and root/cpuacct pointing at it).  The cgroup is
 * the same relative path created in every mounted hierarchy. */
#include "runtime/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "runtime/cgroup_internal.h"

#define FREEZE_TRIES 100
#define FREEZE_WAIT_MS 10

static const char *const controllers[] = {
	"cpu",	   "cpuacct", "cpuset",	 "memory",  "devices",
	"freezer", "blkio",   "pids",	 "hugetlb", "net_cls",
	"net_prio", "perf_event", "systemd",
};

#define N_CONTROLLERS (sizeof(controllers) / sizeof(controllers[0]))

/* "cpu,cpuacct" names cpu; "name=systemd" names systemd. */
static bool mount_names(const char *name, const char *ctrl)
{
	size_t n = strlen(ctrl);

	for (const char *t = name; t; t = strchr(t, ',')) {
		if (*t == ',')
			t++;
		if (!strncmp(t, "name=", 5))
			t += 5;
		if (!strncmp(t, ctrl, n) && (t[n] == ',' || !t[n]))
			return true;
	}
	return false;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Where ctrl is mounted below root, malloc'd into *out; *out stays NULL
 * when it is not mounted. */
static int find_mount(const char *root, const char *ctrl, char **out,
		      berr_t *err)
{
	cleanup_free char *p = cg_join(root, ctrl);
	cleanup_closedir DIR *d = NULL;
	struct dirent *de;

	*out = NULL;
	if (!p)
		return err_sys(err, "find the %s cgroup controller", ctrl);
	if (is_dir(p)) {
		*out = take_ptr(p);
		return 0;
	}
	d = opendir(root);
	if (!d)
		return err_sys(err, "open '%s'", root);
	while ((de = readdir(d))) {
		if (!strchr(de->d_name, ',') || !mount_names(de->d_name, ctrl))
			continue;
		*out = cg_join(root, de->d_name);
		if (!*out)
			return err_sys(err, "find the %s cgroup controller", ctrl);
		return 0;
	}
	return 0;
}

bool cgroup_v1_present(const char *root)
{
	for (size_t i = 0; i < N_CONTROLLERS; i++) {
		cleanup_err berr_t e = NULL;
		cleanup_free char *m = NULL;

		if (find_mount(root, controllers[i], &m, &e) == 0 && m)
			return true;
	}
	return false;
}

/* The cgroup's directory in ctrl's hierarchy; NULL when not mounted. */
int cgroup_v1_scan(struct cgroup *cg, berr_t *err)
{
	cg->v1_mounts = calloc(N_CONTROLLERS, sizeof(*cg->v1_mounts));
	if (!cg->v1_mounts)
		return err_sys(err, "cgroup controllers");
	for (size_t i = 0; i < N_CONTROLLERS; i++)
		if (find_mount(cg->root, controllers[i], &cg->v1_mounts[i], err) < 0)
			return -1;
	return 0;
}

void cgroup_v1_unscan(struct cgroup *cg)
{
	for (size_t i = 0; cg->v1_mounts && i < N_CONTROLLERS; i++)
		free(cg->v1_mounts[i]);
	free(cg->v1_mounts);
	cg->v1_mounts = NULL;
}

static const char *mount_of(const struct cgroup *cg, const char *ctrl)
{
	for (size_t i = 0; cg->v1_mounts && i < N_CONTROLLERS; i++)
		if (strcmp(controllers[i], ctrl) == 0)
			return cg->v1_mounts[i];
	return NULL;
}

static int ctrl_dir(const struct cgroup *cg, const char *ctrl, char **out,
		    berr_t *err)
{
	cleanup_free char *m = NULL;
	const char *known = mount_of(cg, ctrl);

	*out = NULL;
	if (!known && !cg->v1_mounts && find_mount(cg->root, ctrl, &m, err) < 0)
		return -1;
	if (known || m) {
		*out = cg_join(known ? known : m, cg->path);
		if (!*out)
			return err_sys(err, "cgroup '%s'", cg->path);
	}
	return 0;
}

/* The same, for a setting that cannot be applied without ctrl. */
static int need_dir(const struct cgroup *cg, const char *ctrl,
		    const char *what, char **out, berr_t *err)
{
	if (ctrl_dir(cg, ctrl, out, err) < 0)
		return -1;
	if (!*out)
		return err_set(err, ENOENT,
			       "%s: the %s cgroup controller is not mounted under '%s'",
			       what, ctrl, cg->root);
	return 0;
}

static bool blank(const char *s)
{
	return s[strspn(s, " \t\n")] == '\0';
}

/* A new cpuset starts with no cpus and no memory nodes, and the kernel
 * refuses to move a task into it: inherit the parent's. */
static int inherit(const char *parent, const char *dir, const char *file,
		   berr_t *err)
{
	cleanup_free char *cur = NULL;
	cleanup_free char *from = NULL;

	if (cg_read(dir, file, &cur, err) < 0)
		return -1;
	if (!blank(cur))
		return 0;
	if (cg_read(parent, file, &from, err) < 0)
		return -1;
	return cg_write(dir, file, from, err);
}

/* Top down, so each parent is filled before its child copies it. */
static int init_cpuset(const struct cgroup *cg, berr_t *err)
{
	cleanup_free char *dir = NULL;

	if (find_mount(cg->root, "cpuset", &dir, err) < 0)
		return -1;
	for (const char *c = cg->path; dir && *c;) {
		cleanup_free char *parent = take_ptr(dir);
		size_t len = strcspn(c, "/");

		if (asprintf(&dir, "%s/%.*s", parent, (int)len, c) < 0) {
			dir = NULL;
			return err_sys(err, "cgroup '%s'", cg->path);
		}
		if (inherit(parent, dir, "cpuset.cpus", err) < 0 ||
		    inherit(parent, dir, "cpuset.mems", err) < 0)
			return -1;
		c += len;
		c += *c == '/';
	}
	return 0;
}

static int v1_create(struct cgroup *cg, berr_t *err)
{
	for (size_t i = 0; i < N_CONTROLLERS; i++) {
		cleanup_free char *dir = NULL;

		if (ctrl_dir(cg, controllers[i], &dir, err) < 0)
			return -1;
		if (dir && fs_mkdir_p(dir, 0755, err) < 0)
			return err_prefix(err, "create cgroup");
	}
	return init_cpuset(cg, err);
}

/* Moving another process takes the kernel's global threadgroup lock,
 * whose first writer waits a full RCU grace period (about 10 ms here).  A
 * single-threaded process moving itself ("0" into "tasks") skips that
 * lock, so the container's init joins by itself (pid 0). */
static int v1_enter(struct cgroup *cg, pid_t pid, berr_t *err)
{
	const char *file = pid == 0 ? "tasks" : "cgroup.procs";

	for (size_t i = 0; i < N_CONTROLLERS; i++) {
		cleanup_free char *dir = NULL;

		if (ctrl_dir(cg, controllers[i], &dir, err) < 0)
			return -1;
		if (dir && cg_writef(err, dir, file, "%d", pid) < 0)
			return -1;
	}
	return 0;
}

/* OCI swap is the memory+swap total, which is what memsw means. */
static int set_limits(const char *dir, const struct spec_resources *res,
		      berr_t *err)
{
	struct opt_i64 limit = res->memory.limit, swap = res->memory.swap;
	char l[24], s[24];

	/* Unlimited memory with no swap value: unlimited swap too (runc). */
	if (limit.set && limit.v == -1 && !swap.set)
		swap = (struct opt_i64){ true, -1 };
	if (swap.set && !cg_has(dir, "memory.memsw.limit_in_bytes")) {
		if (swap.v != -1 && !(limit.set && swap.v == limit.v))
			return err_set(err, ENOENT,
				       "linux.resources.memory.swap is %lld but '%s/memory.memsw.limit_in_bytes' does not exist (the kernel does not account swap; boot with swapaccount=1)",
				       (long long)swap.v, dir);
		swap.set = false;
	}
	snprintf(l, sizeof(l), "%lld", (long long)limit.v);
	snprintf(s, sizeof(s), "%lld", (long long)swap.v);
	if (limit.set && swap.set)
		return cg_write_pair(dir, "memory.limit_in_bytes", l,
				     "memory.memsw.limit_in_bytes", s, err);
	if (limit.set)
		return cg_write(dir, "memory.limit_in_bytes", l, err);
	if (swap.set)
		return cg_write(dir, "memory.memsw.limit_in_bytes", s, err);
	return 0;
}

static bool memory_set(const struct spec_resources *r)
{
	return r->memory.limit.set || r->memory.reservation.set ||
	       r->memory.swap.set || r->memory.kernel.set ||
	       r->memory.kernel_tcp.set || r->memory.swappiness.set ||
	       r->memory.disable_oom_killer || r->memory.use_hierarchy;
}

/* Knobs that only v1 has. */
static int apply_memory_v1_only(const char *dir,
				const struct spec_resources *res, berr_t *err)
{
	char v[24];

	/* Kernel memory limits are gone since Linux 5.16 (EOPNOTSUPP) or
	 * 6.x (no file): the runtime spec marks them deprecated. */
	snprintf(v, sizeof(v), "%lld", (long long)res->memory.kernel.v);
	if (res->memory.kernel.set &&
	    cg_write_lenient(dir, "memory.kmem.limit_in_bytes", v, EOPNOTSUPP,
			     err) < 0)
		return -1;
	if (res->memory.kernel_tcp.set &&
	    cg_writef(err, dir, "memory.kmem.tcp.limit_in_bytes", "%lld",
		      (long long)res->memory.kernel_tcp.v) < 0)
		return -1;
	if (res->memory.swappiness.set &&
	    cg_writef(err, dir, "memory.swappiness", "%llu",
		      (unsigned long long)res->memory.swappiness.v) < 0)
		return -1;
	if (res->memory.disable_oom_killer &&
	    cg_write(dir, "memory.oom_control", "1", err) < 0)
		return -1;
	if (res->memory.use_hierarchy &&
	    cg_write(dir, "memory.use_hierarchy", "1", err) < 0)
		return -1;
	return 0;
}

static int apply_memory(struct cgroup *cg, const struct spec_resources *res,
			berr_t *err)
{
	cleanup_free char *dir = NULL;

	if (!memory_set(res))
		return 0;
	if (need_dir(cg, "memory", "linux.resources.memory", &dir, err) < 0)
		return -1;
	if (res->memory.check_before_update && res->memory.limit.set &&
	    cg_check_usage(dir, "memory.usage_in_bytes", res->memory.limit.v,
			   err) < 0)
		return -1;
	if (set_limits(dir, res, err) < 0)
		return -1;
	if (res->memory.reservation.set &&
	    cg_writef(err, dir, "memory.soft_limit_in_bytes", "%lld",
		      (long long)res->memory.reservation.v) < 0)
		return -1;
	return apply_memory_v1_only(dir, res, err);
}

/* Period first: a quota or runtime is only valid against its period, and
 * cg_write_pair swaps the order when the kernel says so. */
static int set_periods(const char *dir, const char *pfile,
		       struct opt_u64 period, const char *qfile,
		       struct opt_i64 quota, berr_t *err)
{
	char p[24], q[24];

	snprintf(p, sizeof(p), "%llu", (unsigned long long)period.v);
	snprintf(q, sizeof(q), "%lld", (long long)quota.v);
	if (period.set && quota.set)
		return cg_write_pair(dir, pfile, p, qfile, q, err);
	if (period.set)
		return cg_write(dir, pfile, p, err);
	if (quota.set)
		return cg_write(dir, qfile, q, err);
	return 0;
}

static int apply_cpu(struct cgroup *cg, const struct spec_resources *res,
		     berr_t *err)
{
	cleanup_free char *dir = NULL;
	const char *what = "linux.resources.cpu";

	if (!res->cpu.shares.set && !res->cpu.period.set &&
	    !res->cpu.quota.set && !res->cpu.realtime_period.set &&
	    !res->cpu.realtime_runtime.set && !res->cpu.burst.set &&
	    !res->cpu.idle.set)
		return 0;
	if (need_dir(cg, "cpu", what, &dir, err) < 0)
		return -1;
	if (res->cpu.shares.set &&
	    cg_writef(err, dir, "cpu.shares", "%llu",
		      (unsigned long long)res->cpu.shares.v) < 0)
		return -1;
	if (set_periods(dir, "cpu.cfs_period_us", res->cpu.period,
			"cpu.cfs_quota_us", res->cpu.quota, err) < 0 ||
	    set_periods(dir, "cpu.rt_period_us", res->cpu.realtime_period,
			"cpu.rt_runtime_us", res->cpu.realtime_runtime,
			err) < 0)
		return -1;
	/* cpu.cfs_burst_us exists since Linux 5.14. */
	if (res->cpu.burst.set && cg_has(dir, "cpu.cfs_burst_us") &&
	    cg_writef(err, dir, "cpu.cfs_burst_us", "%llu",
		      (unsigned long long)res->cpu.burst.v) < 0)
		return -1;
	if (res->cpu.idle.set &&
	    cg_writef(err, dir, "cpu.idle", "%lld",
		      (long long)res->cpu.idle.v) < 0)
		return -1;
	return 0;
}

static int apply_cpuset(struct cgroup *cg, const struct spec_resources *res,
			berr_t *err)
{
	cleanup_free char *dir = NULL;

	if (!res->cpu.cpus && !res->cpu.mems)
		return 0;
	if (need_dir(cg, "cpuset", "linux.resources.cpu.cpus/mems", &dir,
		     err) < 0)
		return -1;
	if (res->cpu.cpus && cg_write(dir, "cpuset.cpus", res->cpu.cpus, err) < 0)
		return -1;
	if (res->cpu.mems && cg_write(dir, "cpuset.mems", res->cpu.mems, err) < 0)
		return -1;
	return 0;
}

static int apply_pids(struct cgroup *cg, const struct spec_resources *res,
		      berr_t *err)
{
	cleanup_free char *dir = NULL;

	if (!res->pids_limit.set)
		return 0;
	if (need_dir(cg, "pids", "linux.resources.pids", &dir, err) < 0)
		return -1;
	if (res->pids_limit.v <= 0)
		return cg_write(dir, "pids.max", "max", err);
	return cg_writef(err, dir, "pids.max", "%lld",
			 (long long)res->pids_limit.v);
}

/* Kernels without CFQ (4.12+ blk-mq) only have the bfq files. */
static const char *weight_file(const char *dir, const char *cfq,
			       const char *bfq)
{
	return cg_has(dir, cfq) || !cg_has(dir, bfq) ? cfq : bfq;
}

static int apply_blkio_weights(const char *dir,
			       const struct spec_resources *res, berr_t *err)
{
	const char *wfile = weight_file(dir, "blkio.weight", "blkio.bfq.weight");
	const char *dfile = weight_file(dir, "blkio.weight_device",
					"blkio.bfq.weight_device");

	if (res->blkio.weight.set &&
	    cg_writef(err, dir, wfile, "%llu",
		      (unsigned long long)res->blkio.weight.v) < 0)
		return -1;
	if (res->blkio.leaf_weight.set &&
	    cg_writef(err, dir, "blkio.leaf_weight", "%llu",
		      (unsigned long long)res->blkio.leaf_weight.v) < 0)
		return -1;
	for (size_t i = 0; i < res->blkio.n_weight_devices; i++) {
		const struct spec_weight_device *d =
			&res->blkio.weight_devices[i];

		if (d->weight.set &&
		    cg_writef(err, dir, dfile, "%lld:%lld %llu",
			      (long long)d->major, (long long)d->minor,
			      (unsigned long long)d->weight.v) < 0)
			return -1;
		if (d->leaf_weight.set &&
		    cg_writef(err, dir, "blkio.leaf_weight_device",
			      "%lld:%lld %llu", (long long)d->major,
			      (long long)d->minor,
			      (unsigned long long)d->leaf_weight.v) < 0)
			return -1;
	}
	return 0;
}

static int apply_blkio(struct cgroup *cg, const struct spec_resources *res,
		       berr_t *err)
{
	static const char *const files[4] = {
		"blkio.throttle.read_bps_device",
		"blkio.throttle.write_bps_device",
		"blkio.throttle.read_iops_device",
		"blkio.throttle.write_iops_device",
	};
	cleanup_free char *dir = NULL;
	size_t n = res->blkio.n_weight_devices;

	for (int k = 0; k < 4; k++)
		n += res->blkio.n_throttle[k];
	if (!n && !res->blkio.weight.set && !res->blkio.leaf_weight.set)
		return 0;
	if (need_dir(cg, "blkio", "linux.resources.blockIO", &dir, err) < 0 ||
	    apply_blkio_weights(dir, res, err) < 0)
		return -1;
	for (int k = 0; k < 4; k++) {
		for (size_t i = 0; i < res->blkio.n_throttle[k]; i++) {
			const struct spec_throttle_device *t =
				&res->blkio.throttle[k][i];

			if (cg_writef(err, dir, files[k], "%lld:%lld %llu",
				      (long long)t->major, (long long)t->minor,
				      (unsigned long long)t->rate) < 0)
				return -1;
		}
	}
	return 0;
}

static int apply_hugetlb(struct cgroup *cg, const struct spec_resources *res,
			 berr_t *err)
{
	cleanup_free char *dir = NULL;

	if (!res->n_hugepages)
		return 0;
	if (need_dir(cg, "hugetlb", "linux.resources.hugepageLimits", &dir,
		     err) < 0)
		return -1;
	for (size_t i = 0; i < res->n_hugepages; i++) {
		const struct spec_hugepage *h = &res->hugepages[i];
		char file[64];

		if (cg_check_page_size(h->page_size, err) < 0)
			return -1;
		snprintf(file, sizeof(file), "hugetlb.%.32s.limit_in_bytes",
			 h->page_size);
		if (cg_writef(err, dir, file, "%llu",
			      (unsigned long long)h->limit) < 0)
			return -1;
	}
	return 0;
}

static int apply_network(struct cgroup *cg, const struct spec_resources *res,
			 berr_t *err)
{
	cleanup_free char *cls = NULL;
	cleanup_free char *prio = NULL;

	if (res->network.class_id.set) {
		if (need_dir(cg, "net_cls", "linux.resources.network.classID",
			     &cls, err) < 0 ||
		    cg_writef(err, cls, "net_cls.classid", "%llu",
			      (unsigned long long)res->network.class_id.v) < 0)
			return -1;
	}
	if (!res->network.n_priorities)
		return 0;
	if (need_dir(cg, "net_prio", "linux.resources.network.priorities",
		     &prio, err) < 0)
		return -1;
	for (size_t i = 0; i < res->network.n_priorities; i++) {
		const struct spec_kv *kv = &res->network.priorities[i];

		if (cg_writef(err, prio, "net_prio.ifpriomap", "%s %s",
			      kv->key, kv->value) < 0)
			return -1;
	}
	return 0;
}

/* Rules in order, each one line such as "c 1:3 rwm" into devices.allow
 * or devices.deny; "a *:* rwm" into devices.deny denies everything. */
static int apply_devices(struct cgroup *cg, const struct spec_resources *res,
			 berr_t *err)
{
	cleanup_free char *dir = NULL;

	if (!res->n_devices)
		return 0;
	if (need_dir(cg, "devices", "linux.resources.devices", &dir, err) < 0)
		return -1;
	for (size_t i = 0; i < res->n_devices; i++) {
		const struct spec_device_rule *r = &res->devices[i];
		char maj[24], min[24];

		cg_fmt_devnum(maj, sizeof(maj), r->type == 'a' ? -1 : r->major);
		cg_fmt_devnum(min, sizeof(min), r->type == 'a' ? -1 : r->minor);
		if (cg_writef(err, dir, r->allow ? "devices.allow" : "devices.deny",
			      "%c %s:%s %s", r->type, maj, min, r->access) < 0)
			return -1;
	}
	return 0;
}

static int v1_apply(struct cgroup *cg, const struct spec_resources *res,
		    berr_t *err)
{
	if (res->n_unified)
		return err_set(err, EINVAL,
			       "linux.resources.unified requires cgroup v2");
	if (apply_devices(cg, res, err) < 0 || apply_memory(cg, res, err) < 0 ||
	    apply_cpu(cg, res, err) < 0 || apply_cpuset(cg, res, err) < 0 ||
	    apply_pids(cg, res, err) < 0 || apply_blkio(cg, res, err) < 0 ||
	    apply_hugetlb(cg, res, err) < 0 || apply_network(cg, res, err) < 0)
		return -1;
	return 0;
}

static int read_state(const char *dir, bool *frozen, berr_t *err)
{
	cleanup_free char *state = NULL;

	if (cg_read(dir, "freezer.state", &state, err) < 0)
		return -1;
	*frozen = !strncmp(state, "FROZEN", 6);
	return 0;
}

/* The state goes FREEZING until every task stopped; writing FROZEN again
 * retries tasks that were busy in the kernel (as runc does). */
static int v1_freeze(struct cgroup *cg, bool frozen, berr_t *err)
{
	cleanup_free char *dir = NULL;
	bool done = false;

	if (need_dir(cg, "freezer", frozen ? "freeze" : "thaw", &dir, err) < 0)
		return -1;
	if (!frozen)
		return cg_write(dir, "freezer.state", "THAWED", err);
	for (int i = 0; i < FREEZE_TRIES; i++) {
		if (cg_write(dir, "freezer.state", "FROZEN", err) < 0 ||
		    read_state(dir, &done, err) < 0)
			return -1;
		if (done)
			return 0;
		cg_sleep_ms(FREEZE_WAIT_MS);
	}
	/* Do not leave the cgroup half frozen. */
	if (cg_write(dir, "freezer.state", "THAWED", err) < 0)
		return -1;
	return err_set(err, EBUSY, "'%s/freezer.state' did not reach FROZEN in %d ms",
		       dir, FREEZE_TRIES * FREEZE_WAIT_MS);
}

static int v1_is_frozen(struct cgroup *cg, berr_t *err)
{
	cleanup_free char *dir = NULL;
	bool frozen;

	if (need_dir(cg, "freezer", "freezer state", &dir, err) < 0 ||
	    read_state(dir, &frozen, err) < 0)
		return -1;
	return frozen;
}

/* Every hierarchy holds the same processes: read the first one there is,
 * pids and freezer being the usual ones. */
static int v1_pids(struct cgroup *cg, pid_t **pids, size_t *n, berr_t *err)
{
	static const char *const prefer[] = { "pids", "freezer", "memory" };
	struct cg_pids list = { 0 };
	cleanup_free char *dir = NULL;

	for (size_t i = 0; !dir && i < 3 + N_CONTROLLERS; i++) {
		const char *c = i < 3 ? prefer[i] : controllers[i - 3];

		if (ctrl_dir(cg, c, &dir, err) < 0)
			return -1;
	}
	if (!dir)
		return err_set(err, ENOENT, "no cgroup controller mounted under '%s'",
			       cg->root);
	if (cg_collect_pids(dir, &list, err) < 0) {
		free(list.v);
		return -1;
	}
	*pids = list.v;
	*n = list.n;
	return 0;
}

static int memory_stats(const char *dir, struct cgroup_stats *st,
			berr_t *err)
{
	if (cg_read_u64_opt(dir, "memory.usage_in_bytes", &st->memory_usage,
			    err) < 0 ||
	    cg_read_u64_opt(dir, "memory.limit_in_bytes", &st->memory_limit,
			    err) < 0 ||
	    cg_read_u64_opt(dir, "memory.max_usage_in_bytes",
			    &st->memory_max_usage, err) < 0)
		return -1;
	if (cg_read_key_opt(dir, "memory.stat", "total_inactive_file",
			    &st->memory_inactive_file, err) < 0)
		return -1;
	/* "oom_kill N" appeared in Linux 4.13. */
	return cg_read_key_opt(dir, "memory.oom_control", "oom_kill",
			       &st->oom_kills, err);
}

/* The throttle counters see every bio whatever the I/O scheduler; the
 * others are the scheduler's (CFQ, BFQ). */
static int blkio_stats(const char *dir, struct cgroup_stats *st, berr_t *err)
{
	static const char *const files[] = {
		"blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_service_bytes",
		"blkio.io_service_bytes_recursive", "blkio.bfq.io_service_bytes_recursive",
	};
	cleanup_free char *text = NULL;

	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		if (!cg_has(dir, files[i]))
			continue;
		if (cg_read(dir, files[i], &text, err) < 0)
			return -1;
		cgroup_parse_io_bytes(text, &st->io_read_bytes, &st->io_write_bytes);
		return 0;
	}
	return 0;
}

static int v1_stats(struct cgroup *cg, struct cgroup_stats *st, berr_t *err)
{
	cleanup_free char *mem = NULL;
	cleanup_free char *cpu = NULL;
	cleanup_free char *pids = NULL;
	cleanup_free char *blkio = NULL;

	memset(st, 0, sizeof(*st));
	if (ctrl_dir(cg, "memory", &mem, err) < 0 ||
	    ctrl_dir(cg, "cpuacct", &cpu, err) < 0 ||
	    ctrl_dir(cg, "pids", &pids, err) < 0 ||
	    ctrl_dir(cg, "blkio", &blkio, err) < 0)
		return -1;
	if (mem && memory_stats(mem, st, err) < 0)
		return -1;
	if (blkio && blkio_stats(blkio, st, err) < 0)
		return -1;
	if (cpu && cg_read_u64_opt(cpu, "cpuacct.usage", &st->cpu_usage_ns,
				   err) < 0)
		return -1;
	if (pids && (cg_read_u64_opt(pids, "pids.current", &st->pids_current,
				     err) < 0 ||
		     cg_read_u64_opt(pids, "pids.max", &st->pids_limit, err) < 0))
		return -1;
	return 0;
}

/* Every hierarchy is tried even after a failure, so one busy controller
 * leaves as little behind as possible; the first failure is reported. */
static int v1_destroy(struct cgroup *cg, berr_t *err)
{
	int ret = 0;

	for (size_t i = 0; i < N_CONTROLLERS; i++) {
		cleanup_err berr_t e = NULL;
		cleanup_free char *dir = NULL;

		if (ctrl_dir(cg, controllers[i], &dir, &e) == 0 &&
		    (!dir || cg_rmdir(dir, &e) == 0))
			continue;
		if (ret == 0)
			ret = err_set(err, e ? e->errnum : 0, "%s", err_msg(e));
	}
	return ret;
}

const struct cgroup_ops cgroup_v1_ops = {
	.name = "v1",
	.create = v1_create,
	.enter = v1_enter,
	.apply = v1_apply,
	.freeze = v1_freeze,
	.is_frozen = v1_is_frozen,
	.pids = v1_pids,
	.stats = v1_stats,
	.destroy = v1_destroy,
};
