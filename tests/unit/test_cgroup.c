/* Unit tests of the cgroup layer.  Both managers run against fake
 * cgroupfs trees in a temporary directory: the test creates the files the
 * kernel would (mkdir on a plain filesystem creates none) and checks what
 * the managers wrote.  One test drives a real v1 cgroup when run as root
 * on a v1 or hybrid host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "runtime/cgroup.h"

#define MiB (1024LL * 1024)

struct tree {
	char dir[64];
	struct cgroup cg;
};

/* Creates the parent directories too. */
static void put(const char *root, const char *rel, const char *content)
{
	char path[512];
	char *slash;
	FILE *f;
	berr_t err = NULL;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	slash = strrchr(path, '/');
	*slash = '\0';
	if (fs_mkdir_p(path, 0755, &err) < 0)
		fail_msg("%s", err_msg(err));
	*slash = '/';
	f = fopen(path, "w");
	if (!f)
		fail_msg("create '%s': %s", path, strerror(errno));
	fputs(content, f);
	fclose(f);
}

static void check_file(const char *root, const char *rel, const char *want)
{
	char path[512];
	char *got = NULL;
	berr_t err = NULL;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (fs_read_file_at(AT_FDCWD, path, 4096, &got, NULL, &err) < 0)
		fail_msg("%s", err_msg(err));
	if (strcmp(got, want))
		fail_msg("'%s': expected '%s', got '%s'", rel, want, got);
	free(got);
}

static bool exists(const char *root, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return access(path, F_OK) == 0;
}

/* A call that must succeed; on failure the message says why. */
#define ok(call)                                                           \
	do {                                                               \
		berr_t e_ = NULL;                                          \
		berr_t *err = &e_;                                         \
		if ((call) < 0)                                            \
			fail_msg("%s failed: %s", #call, err_msg(e_));     \
		err_free(&e_);                                             \
	} while (0)

/* A call that must fail with a message containing needle. */
#define fails(call, needle)                                                \
	do {                                                               \
		berr_t e_ = NULL;                                          \
		berr_t *err = &e_;                                         \
		if ((call) >= 0)                                           \
			fail_msg("%s succeeded, expected '%s'", #call,     \
				 needle);                                  \
		if (!strstr(err_msg(e_), needle))                          \
			fail_msg("%s: expected '%s' in '%s'", #call,       \
				 needle, err_msg(e_));                     \
		err_free(&e_);                                             \
	} while (0)

static void rm_file(const char *root, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (unlink(path) < 0)
		fail_msg("unlink '%s': %s", path, strerror(errno));
}

/* cgroupfs lets rmdir remove a cgroup with its files in it; a plain
 * directory does not, so the test removes the files first. */
static void unlink_files(const char *dir)
{
	cleanup_closedir DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char sub[512];

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		if (de->d_type == DT_DIR)
			unlink_files(sub);
		else
			unlink(sub);
	}
}

static int tree_setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/berth-cgtest-XXXXXX");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int tree_teardown(void **state)
{
	struct tree *t = *state;
	berr_t err = NULL;

	cgroup_clear(&t->cg);
	fs_remove_tree_at(AT_FDCWD, t->dir, &err);
	err_free(&err);
	free(t);
	return 0;
}

static void test_conversions(void **state)
{
	assert_int_equal(cgroup_shares_to_weight(2), 1);
	assert_int_equal(cgroup_shares_to_weight(262144), 10000);
	assert_int_equal(cgroup_shares_to_weight(1024), 39);
	assert_int_equal(cgroup_shares_to_weight(1), 1);
	assert_int_equal(cgroup_shares_to_weight(1000000), 10000);
	assert_int_equal(cgroup_blkio_to_io_weight(10), 1);
	assert_int_equal(cgroup_blkio_to_io_weight(1000), 10000);
	assert_int_equal(cgroup_blkio_to_io_weight(500), 4950);
}

static void test_detect_by_content(void **state)
{
	struct tree *t = *state;
	const struct cgroup_ops *ops = NULL;
	char v1[128], v2[128], empty[128];

	snprintf(v1, sizeof(v1), "%s/v1", t->dir);
	snprintf(v2, sizeof(v2), "%s/v2", t->dir);
	snprintf(empty, sizeof(empty), "%s/empty", t->dir);
	put(t->dir, "v2/cgroup.controllers", "cpu memory pids\n");
	/* Hybrid: v1 controllers plus an empty unified mount below. */
	put(t->dir, "v1/memory/tasks", "");
	put(t->dir, "v1/unified/cgroup.controllers", "");
	put(t->dir, "empty/x", "");
	ok(cgroup_detect(v2, &ops, err));
	assert_ptr_equal(ops, &cgroup_v2_ops);
	ok(cgroup_detect(v1, &ops, err));
	assert_ptr_equal(ops, &cgroup_v1_ops);
	fails(cgroup_detect(empty, &ops, err), "neither");
	fails(cgroup_detect("/nonexistent-berth", &ops, err), "statfs");
	/* This host when it is v1 or hybrid (unified mount without
	 * controllers below /sys/fs/cgroup). */
	if (access("/sys/fs/cgroup/memory/tasks", F_OK) == 0) {
		ok(cgroup_detect("/sys/fs/cgroup", &ops, err));
		assert_ptr_equal(ops, &cgroup_v1_ops);
	}
}

static void test_init_path(void **state)
{
	struct tree *t = *state;

	put(t->dir, "cgroup.controllers", "memory\n");
	ok(cgroup_init(&t->cg, t->dir, "/berth/x/", err));
	assert_string_equal(t->cg.path, "berth/x");
	assert_string_equal(t->cg.ops->name, "v2");
	cgroup_clear(&t->cg);
	fails(cgroup_init(&t->cg, t->dir, "../x", err), "'..'");
	fails(cgroup_init(&t->cg, t->dir, "a/../b", err), "'..'");
	fails(cgroup_init(&t->cg, t->dir, "a//b", err), "empty");
	fails(cgroup_init(&t->cg, t->dir, "/", err), "empty");
	assert_null(t->cg.path);
}

/* A v1 host: separate mounts, a combined cpu,cpuacct mount reached
 * through symlinks, and a combined net_cls,net_prio without them. */
static void make_v1(struct tree *t)
{
	static const char *const ctrls[] = { "cpuset", "memory", "devices",
					     "freezer", "blkio", "pids",
					     "hugetlb", "net_cls,net_prio",
					     "cpu,cpuacct" };
	char path[256];

	for (size_t i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s/tasks", t->dir, ctrls[i]);
		put(t->dir, path + strlen(t->dir) + 1, "");
	}
	snprintf(path, sizeof(path), "%s/cpu", t->dir);
	assert_int_equal(symlink("cpu,cpuacct", path), 0);
	snprintf(path, sizeof(path), "%s/cpuacct", t->dir);
	assert_int_equal(symlink("cpu,cpuacct", path), 0);
	put(t->dir, "cpuset/cpuset.cpus", "0-1");
	put(t->dir, "cpuset/cpuset.mems", "0");
	/* The kernel gives a new cpuset empty cpus and mems. */
	put(t->dir, "cpuset/berth/cpuset.cpus", "");
	put(t->dir, "cpuset/berth/cpuset.mems", "");
	put(t->dir, "cpuset/berth/x/cpuset.cpus", "");
	put(t->dir, "cpuset/berth/x/cpuset.mems", "");
}

static void v1_leaf_files(struct tree *t)
{
	static const char *const files[] = {
		"memory/berth/x/memory.limit_in_bytes",
		"memory/berth/x/memory.memsw.limit_in_bytes",
		"memory/berth/x/memory.soft_limit_in_bytes",
		"memory/berth/x/memory.swappiness",
		"memory/berth/x/memory.oom_control",
		"cpu/berth/x/cpu.shares",
		"cpu/berth/x/cpu.cfs_quota_us",
		"cpu/berth/x/cpu.cfs_period_us",
		"pids/berth/x/pids.max",
		"devices/berth/x/devices.allow",
		"devices/berth/x/devices.deny",
		"hugetlb/berth/x/hugetlb.2MB.limit_in_bytes",
		"blkio/berth/x/blkio.weight",
		"blkio/berth/x/blkio.throttle.read_bps_device",
		"net_cls,net_prio/berth/x/net_cls.classid",
		"net_cls,net_prio/berth/x/net_prio.ifpriomap",
		"freezer/berth/x/freezer.state",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		put(t->dir, files[i], "");
}

static void test_v1_create_apply(void **state)
{
	struct tree *t = *state;
	struct spec_device_rule rules[] = {
		{ .allow = false, .type = 'a', .major = -1, .minor = -1,
		  .access = "rwm" },
		{ .allow = true, .type = 'c', .major = 1, .minor = 3,
		  .access = "rwm" },
	};
	struct spec_hugepage huge = { .page_size = "2MB", .limit = 4 * MiB };
	struct spec_throttle_device thr = { 8, 0, 1048576 };
	struct spec_kv prio = { .key = "eth0", .value = "5" };
	struct spec_resources res = { 0 };

	make_v1(t);
	ok(cgroup_init(&t->cg, t->dir, "berth/x", err));
	assert_string_equal(t->cg.ops->name, "v1");
	ok(t->cg.ops->create(&t->cg, err));
	assert_true(exists(t->dir, "memory/berth/x"));
	assert_true(exists(t->dir, "cpu,cpuacct/berth/x"));
	assert_true(exists(t->dir, "net_cls,net_prio/berth/x"));
	check_file(t->dir, "cpuset/berth/cpuset.cpus", "0-1");
	check_file(t->dir, "cpuset/berth/x/cpuset.cpus", "0-1");
	check_file(t->dir, "cpuset/berth/x/cpuset.mems", "0");
	v1_leaf_files(t);

	res.memory.limit = (struct opt_i64){ true, 64 * MiB };
	res.memory.swap = (struct opt_i64){ true, 128 * MiB };
	res.memory.reservation = (struct opt_i64){ true, 32 * MiB };
	res.memory.swappiness = (struct opt_u64){ true, 10 };
	res.memory.disable_oom_killer = true;
	res.cpu.shares = (struct opt_u64){ true, 512 };
	res.cpu.quota = (struct opt_i64){ true, 50000 };
	res.cpu.period = (struct opt_u64){ true, 100000 };
	res.pids_limit = (struct opt_i64){ true, 10 };
	res.devices = rules;
	res.n_devices = 2;
	res.hugepages = &huge;
	res.n_hugepages = 1;
	res.blkio.weight = (struct opt_u64){ true, 300 };
	res.blkio.throttle[0] = &thr;
	res.blkio.n_throttle[0] = 1;
	res.network.class_id = (struct opt_u64){ true, 0x100001 };
	res.network.priorities = &prio;
	res.network.n_priorities = 1;
	ok(t->cg.ops->apply(&t->cg, &res, err));

	check_file(t->dir, "memory/berth/x/memory.limit_in_bytes", "67108864");
	check_file(t->dir, "memory/berth/x/memory.memsw.limit_in_bytes",
		   "134217728");
	check_file(t->dir, "memory/berth/x/memory.soft_limit_in_bytes",
		   "33554432");
	check_file(t->dir, "memory/berth/x/memory.swappiness", "10");
	check_file(t->dir, "memory/berth/x/memory.oom_control", "1");
	check_file(t->dir, "cpuacct/berth/x/cpu.shares", "512");
	check_file(t->dir, "cpu/berth/x/cpu.cfs_quota_us", "50000");
	check_file(t->dir, "cpu/berth/x/cpu.cfs_period_us", "100000");
	check_file(t->dir, "pids/berth/x/pids.max", "10");
	check_file(t->dir, "devices/berth/x/devices.deny", "a *:* rwm");
	check_file(t->dir, "devices/berth/x/devices.allow", "c 1:3 rwm");
	check_file(t->dir, "hugetlb/berth/x/hugetlb.2MB.limit_in_bytes",
		   "4194304");
	check_file(t->dir, "blkio/berth/x/blkio.weight", "300");
	check_file(t->dir, "blkio/berth/x/blkio.throttle.read_bps_device",
		   "8:0 1048576");
	check_file(t->dir, "net_cls,net_prio/berth/x/net_cls.classid",
		   "1048577");
	check_file(t->dir, "net_cls,net_prio/berth/x/net_prio.ifpriomap",
		   "eth0 5");
}

static void test_v1_limits(void **state)
{
	struct tree *t = *state;
	struct spec_kv kv = { .key = "memory.high", .value = "1" };
	struct spec_resources res = { 0 };

	make_v1(t);
	ok(cgroup_init(&t->cg, t->dir, "berth/x", err));
	ok(t->cg.ops->create(&t->cg, err));
	v1_leaf_files(t);

	res.pids_limit = (struct opt_i64){ true, 0 };
	ok(t->cg.ops->apply(&t->cg, &res, err));
	check_file(t->dir, "pids/berth/x/pids.max", "max");

	res = (struct spec_resources){ 0 };
	res.unified = &kv;
	res.n_unified = 1;
	fails(t->cg.ops->apply(&t->cg, &res, err),
	      "linux.resources.unified requires cgroup v2");

	/* Without swap accounting, only swap == limit or -1 can be met. */
	rm_file(t->dir, "memory/berth/x/memory.memsw.limit_in_bytes");
	res = (struct spec_resources){ 0 };
	res.memory.limit = (struct opt_i64){ true, 64 * MiB };
	res.memory.swap = (struct opt_i64){ true, 200 * MiB };
	fails(t->cg.ops->apply(&t->cg, &res, err),
	      "memory.memsw.limit_in_bytes' does not exist");
	res.memory.swap.v = 64 * MiB;
	ok(t->cg.ops->apply(&t->cg, &res, err));
	check_file(t->dir, "memory/berth/x/memory.limit_in_bytes", "67108864");
	res.memory.swap.v = -1;
	ok(t->cg.ops->apply(&t->cg, &res, err));
}

static void test_v1_missing_controller(void **state)
{
	struct tree *t = *state;
	struct spec_resources res = { 0 };

	put(t->dir, "memory/tasks", "");
	ok(cgroup_init(&t->cg, t->dir, "x", err));
	ok(t->cg.ops->create(&t->cg, err));
	res.pids_limit = (struct opt_i64){ true, 5 };
	fails(t->cg.ops->apply(&t->cg, &res, err),
	      "the pids cgroup controller is not mounted");
}

static void test_v1_freeze_pids_stats_destroy(void **state)
{
	struct tree *t = *state;
	struct cgroup_stats st;
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;

	make_v1(t);
	ok(cgroup_init(&t->cg, t->dir, "berth/x", err));
	ok(t->cg.ops->create(&t->cg, err));
	put(t->dir, "freezer/berth/x/freezer.state", "THAWED\n");
	ok(t->cg.ops->freeze(&t->cg, true, err));
	check_file(t->dir, "freezer/berth/x/freezer.state", "FROZEN");
	assert_int_equal(t->cg.ops->is_frozen(&t->cg, NULL), 1);
	ok(t->cg.ops->freeze(&t->cg, false, err));
	assert_int_equal(t->cg.ops->is_frozen(&t->cg, NULL), 0);

	put(t->dir, "pids/berth/x/cgroup.procs", "11\n12\n");
	put(t->dir, "pids/berth/x/sub/cgroup.procs", "13\n");
	ok(t->cg.ops->pids(&t->cg, &pids, &n, err));
	assert_int_equal(n, 3);
	assert_int_equal(pids[0] + pids[1] + pids[2], 36);

	put(t->dir, "memory/berth/x/memory.usage_in_bytes", "1000\n");
	put(t->dir, "memory/berth/x/memory.limit_in_bytes", "2000\n");
	put(t->dir, "memory/berth/x/memory.oom_control",
	    "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
	put(t->dir, "cpuacct/berth/x/cpuacct.usage", "123456789\n");
	put(t->dir, "pids/berth/x/pids.current", "2\n");
	put(t->dir, "pids/berth/x/pids.max", "max\n");
	put(t->dir, "memory/berth/x/memory.stat",
	    "cache 10\ninactive_file 5\ntotal_cache 30\ntotal_inactive_file 300\n");
	/* The throttle counters win over the scheduler's. */
	put(t->dir, "blkio/berth/x/blkio.io_service_bytes_recursive", "8:0 Read 1\n");
	put(t->dir, "blkio/berth/x/blkio.throttle.io_service_bytes_recursive",
	    "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Total 12288\nTotal 12288\n");
	ok(t->cg.ops->stats(&t->cg, &st, err));
	assert_int_equal(st.memory_inactive_file, 300);
	assert_int_equal(st.io_read_bytes, 4096);
	assert_int_equal(st.io_write_bytes, 8192);
	assert_int_equal(st.memory_usage, 1000);
	assert_int_equal(st.memory_limit, 2000);
	assert_int_equal(st.oom_kills, 3);
	assert_int_equal(st.cpu_usage_ns, 123456789);
	assert_int_equal(st.pids_current, 2);
	assert_true(st.pids_limit == UINT64_MAX);

	unlink_files(t->dir);
	ok(t->cg.ops->destroy(&t->cg, err));
	assert_false(exists(t->dir, "memory/berth/x"));
	assert_false(exists(t->dir, "pids/berth/x"));
	assert_true(exists(t->dir, "memory/berth"));
	ok(t->cg.ops->destroy(&t->cg, err)); /* already gone is fine */
}

static void make_v2(struct tree *t)
{
	put(t->dir, "cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
	put(t->dir, "cgroup.subtree_control", "");
	/* What the kernel would show in berth/ once root enabled them, with
	 * memory already handed down. */
	put(t->dir, "berth/cgroup.controllers", "cpu io memory pids\n");
	put(t->dir, "berth/cgroup.subtree_control", "memory\n");
}

static void v2_leaf_files(struct tree *t)
{
	static const char *const files[] = {
		"memory.max", "memory.low", "memory.swap.max", "cpu.max",
		"cpu.weight", "pids.max", "io.max", "io.weight",
		"hugetlb.2MB.max", "memory.high", "cpuset.cpus",
		"cgroup.freeze",
	};
	char rel[128];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(rel, sizeof(rel), "berth/x/%s", files[i]);
		put(t->dir, rel, "");
	}
}

static void test_v2_create_apply(void **state)
{
	struct tree *t = *state;
	struct spec_throttle_device rbps = { 8, 0, 1048576 };
	struct spec_throttle_device wiops[] = { { 8, 0, 100 }, { 8, 16, 7 } };
	struct spec_hugepage huge = { .page_size = "2MB", .limit = 4 * MiB };
	struct spec_kv kv = { .key = "memory.high", .value = "50M" };
	struct spec_resources res = { 0 };

	make_v2(t);
	ok(cgroup_init(&t->cg, t->dir, "berth/x", err));
	assert_string_equal(t->cg.ops->name, "v2");
	ok(t->cg.ops->create(&t->cg, err));
	assert_true(exists(t->dir, "berth/x"));
	check_file(t->dir, "cgroup.subtree_control",
		   "+memory +pids +cpu +cpuset +io +hugetlb");
	check_file(t->dir, "berth/cgroup.subtree_control", "+pids +cpu +io");
	v2_leaf_files(t);

	res.memory.limit = (struct opt_i64){ true, 64 * MiB };
	res.memory.swap = (struct opt_i64){ true, 96 * MiB };
	res.memory.reservation = (struct opt_i64){ true, 32 * MiB };
	res.cpu.shares = (struct opt_u64){ true, 1024 };
	res.cpu.quota = (struct opt_i64){ true, 50000 };
	res.cpu.period = (struct opt_u64){ true, 100000 };
	res.cpu.cpus = "0";
	res.pids_limit = (struct opt_i64){ true, 10 };
	res.blkio.weight = (struct opt_u64){ true, 500 };
	res.blkio.throttle[0] = &rbps;
	res.blkio.n_throttle[0] = 1;
	res.blkio.throttle[3] = wiops;
	res.blkio.n_throttle[3] = 2;
	res.hugepages = &huge;
	res.n_hugepages = 1;
	res.unified = &kv;
	res.n_unified = 1;
	/* Device rules need a real cgroup2 directory for their BPF program
	 * (tested in test_cgroup_v2_devices), not this fake tree. */
	ok(t->cg.ops->apply(&t->cg, &res, err));

	check_file(t->dir, "berth/x/memory.max", "67108864");
	check_file(t->dir, "berth/x/memory.swap.max", "33554432");
	check_file(t->dir, "berth/x/memory.low", "33554432");
	check_file(t->dir, "berth/x/cpu.weight", "39");
	check_file(t->dir, "berth/x/cpu.max", "50000 100000");
	check_file(t->dir, "berth/x/cpuset.cpus", "0");
	check_file(t->dir, "berth/x/pids.max", "10");
	check_file(t->dir, "berth/x/io.weight", "4950");
	/* One line a device; the last one written is the second device. */
	check_file(t->dir, "berth/x/io.max", "8:16 wiops=7");
	check_file(t->dir, "berth/x/hugetlb.2MB.max", "4194304");
	check_file(t->dir, "berth/x/memory.high", "50M");

	res.blkio.n_throttle[3] = 1;
	ok(t->cg.ops->apply(&t->cg, &res, err));
	check_file(t->dir, "berth/x/io.max", "8:0 rbps=1048576 wiops=100");
}

static void test_v2_unlimited_and_errors(void **state)
{
	struct tree *t = *state;
	struct spec_kv bad[] = {
		{ .key = "memory.high", .value = "1" },
		{ .key = "../x", .value = "1" },
	};
	const char *hostile[] = { "../x", "a/b", ".hidden", "a..b", "" };
	struct spec_resources res = { 0 };

	make_v2(t);
	ok(cgroup_init(&t->cg, t->dir, "berth/x", err));
	ok(t->cg.ops->create(&t->cg, err));
	v2_leaf_files(t);

	res.memory.limit = (struct opt_i64){ true, -1 };
	res.cpu.period = (struct opt_u64){ true, 200000 };
	res.pids_limit = (struct opt_i64){ true, -1 };
	ok(t->cg.ops->apply(&t->cg, &res, err));
	check_file(t->dir, "berth/x/memory.max", "max");
	check_file(t->dir, "berth/x/memory.swap.max", "max");
	check_file(t->dir, "berth/x/cpu.max", "max 200000");
	check_file(t->dir, "berth/x/pids.max", "max");

	/* No key is written when one of them is refused. */
	res = (struct spec_resources){ 0 };
	res.unified = bad;
	res.n_unified = 2;
	fails(t->cg.ops->apply(&t->cg, &res, err), "key '../x'");
	check_file(t->dir, "berth/x/memory.high", "");
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		bad[1].key = (char *)hostile[i];
		fails(t->cg.ops->apply(&t->cg, &res, err),
		      "is not a cgroup file name");
	}

	res = (struct spec_resources){ 0 };
	res.memory.swap = (struct opt_i64){ true, 64 * MiB };
	fails(t->cg.ops->apply(&t->cg, &res, err), "needs a memory limit");
	res.memory.limit = (struct opt_i64){ true, 128 * MiB };
	fails(t->cg.ops->apply(&t->cg, &res, err), "below the memory limit");
	res = (struct spec_resources){ 0 };
	res.cpu.realtime_runtime = (struct opt_i64){ true, 1000 };
	fails(t->cg.ops->apply(&t->cg, &res, err), "require cgroup v1");
	res = (struct spec_resources){ 0 };
	res.pids_limit = (struct opt_i64){ true, 3 };
	rm_file(t->dir, "berth/x/pids.max");
	fails(t->cg.ops->apply(&t->cg, &res, err), "/berth/x/pids.max'");
}

static void test_v2_freeze_stats_destroy(void **state)
{
	struct tree *t = *state;
	struct cgroup_stats st;

	make_v2(t);
	ok(cgroup_init(&t->cg, t->dir, "berth/x", err));
	ok(t->cg.ops->create(&t->cg, err));
	v2_leaf_files(t);
	put(t->dir, "berth/x/cgroup.events", "populated 1\nfrozen 1\n");
	ok(t->cg.ops->freeze(&t->cg, true, err));
	check_file(t->dir, "berth/x/cgroup.freeze", "1");
	assert_int_equal(t->cg.ops->is_frozen(&t->cg, NULL), 1);
	ok(t->cg.ops->freeze(&t->cg, false, err));
	check_file(t->dir, "berth/x/cgroup.freeze", "0");

	/* Never reports frozen: gives up after a second and thaws. */
	put(t->dir, "berth/x/cgroup.events", "populated 1\nfrozen 0\n");
	fails(t->cg.ops->freeze(&t->cg, true, err), "did not report frozen");
	check_file(t->dir, "berth/x/cgroup.freeze", "0");
	assert_int_equal(t->cg.ops->is_frozen(&t->cg, NULL), 0);

	put(t->dir, "berth/x/memory.current", "4096\n");
	put(t->dir, "berth/x/memory.max", "max\n");
	put(t->dir, "berth/x/memory.events",
	    "low 0\nhigh 0\nmax 5\noom 2\noom_kill 2\n");
	put(t->dir, "berth/x/cpu.stat", "usage_usec 1500\nuser_usec 1000\n");
	put(t->dir, "berth/x/pids.current", "4\n");
	put(t->dir, "berth/x/pids.max", "100\n");
	ok(t->cg.ops->stats(&t->cg, &st, err));
	assert_int_equal(st.io_read_bytes + st.io_write_bytes, 0); /* no io.stat */
	put(t->dir, "berth/x/memory.stat", "anon 10\nactive_file 2\ninactive_file 77\n");
	put(t->dir, "berth/x/io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=1 dbytes=0 dios=0\n");
	ok(t->cg.ops->stats(&t->cg, &st, err));
	assert_int_equal(st.memory_inactive_file, 77);
	assert_int_equal(st.io_read_bytes, 10);
	assert_int_equal(st.io_write_bytes, 20);
	assert_int_equal(st.memory_usage, 4096);
	assert_true(st.memory_limit == UINT64_MAX);
	assert_int_equal(st.memory_max_usage, 0); /* no memory.peak */
	assert_int_equal(st.oom_kills, 2);
	assert_int_equal(st.cpu_usage_ns, 1500000);
	assert_int_equal(st.pids_current, 4);
	assert_int_equal(st.pids_limit, 100);

	unlink_files(t->dir);
	ok(t->cg.ops->destroy(&t->cg, err));
	assert_false(exists(t->dir, "berth/x"));
	assert_true(exists(t->dir, "berth"));
}

static void test_v2_kill_all(void **state)
{
	struct tree *t = *state;
	cleanup_pid pid_t child = -1;
	char procs[32];
	int status;

	make_v2(t);
	ok(cgroup_init(&t->cg, t->dir, "berth/x", err));
	ok(t->cg.ops->create(&t->cg, err));
	v2_leaf_files(t);

	put(t->dir, "berth/x/cgroup.kill", "");
	ok(cgroup_kill_all(&t->cg, SIGKILL, err));
	check_file(t->dir, "berth/x/cgroup.kill", "1");

	/* Other signals: freeze, signal each listed pid, thaw. */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	snprintf(procs, sizeof(procs), "%d\n", child);
	put(t->dir, "berth/x/cgroup.procs", procs);
	put(t->dir, "berth/x/cgroup.events", "frozen 1\n");
	ok(cgroup_kill_all(&t->cg, SIGTERM, err));
	check_file(t->dir, "berth/x/cgroup.freeze", "0");
	assert_int_equal(waitpid(child, &status, 0), child);
	child = -1;
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}

/* A real v1 cgroup on this host (root only).  The teardown kills the
 * child and removes the cgroup even when an assertion failed. */
struct real {
	struct cgroup cg;
	pid_t child;
	bool created;
};

static int real_setup(void **state)
{
	struct real *r = calloc(1, sizeof(*r));
	char name[64];
	berr_t err = NULL;

	if (!r)
		return -1;
	r->child = -1;
	*state = r;
	if (geteuid() != 0 || access("/sys/fs/cgroup/memory/tasks", F_OK))
		return 0;
	snprintf(name, sizeof(name), "berth-unit-test-%d", getpid());
	if (cgroup_init(&r->cg, NULL, name, &err) < 0 ||
	    r->cg.ops != &cgroup_v1_ops)
		cgroup_clear(&r->cg);
	err_free(&err);
	return 0;
}

static int real_teardown(void **state)
{
	struct real *r = *state;
	berr_t err = NULL;

	if (r->child > 0) {
		kill(r->child, SIGKILL);
		waitpid(r->child, NULL, 0);
	}
	if (r->created && r->cg.ops->destroy(&r->cg, &err) < 0)
		fprintf(stderr, "cleanup: %s\n", err_msg(err));
	err_free(&err);
	cgroup_clear(&r->cg);
	free(r);
	return 0;
}

static void test_real_v1(void **state)
{
	struct real *r = *state;
	struct spec_resources res = { 0 };
	cleanup_free pid_t *pids = NULL;
	char rel[256];
	size_t n = 0;
	int status;

	if (!r->cg.ops)
		skip();
	ok(r->cg.ops->create(&r->cg, err));
	r->created = true;
	res.memory.limit = (struct opt_i64){ true, 64 * MiB };
	res.memory.swap = (struct opt_i64){ true, 128 * MiB };
	res.pids_limit = (struct opt_i64){ true, 10 };
	ok(r->cg.ops->apply(&r->cg, &res, err));
	snprintf(rel, sizeof(rel), "memory/%s/memory.limit_in_bytes",
		 r->cg.path);
	check_file("/sys/fs/cgroup", rel, "67108864\n");
	snprintf(rel, sizeof(rel), "pids/%s/pids.max", r->cg.path);
	check_file("/sys/fs/cgroup", rel, "10\n");
	/* Raising both: the kernel wants memsw raised first. */
	res.memory.limit.v = 256 * MiB;
	res.memory.swap.v = 512 * MiB;
	ok(r->cg.ops->apply(&r->cg, &res, err));
	snprintf(rel, sizeof(rel), "memory/%s/memory.limit_in_bytes",
		 r->cg.path);
	check_file("/sys/fs/cgroup", rel, "268435456\n");

	r->child = fork();
	assert_true(r->child >= 0);
	if (r->child == 0) {
		pause();
		_exit(0);
	}
	ok(r->cg.ops->enter(&r->cg, r->child, err));
	ok(r->cg.ops->pids(&r->cg, &pids, &n, err));
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], r->child);
	ok(cgroup_kill_all(&r->cg, SIGKILL, err));
	assert_int_equal(waitpid(r->child, &status, 0), r->child);
	r->child = -1;
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ok(r->cg.ops->destroy(&r->cg, err));
	r->created = false;
	snprintf(rel, sizeof(rel), "/sys/fs/cgroup/memory/%s", r->cg.path);
	assert_int_equal(access(rel, F_OK), -1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, tree_setup, tree_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conversions),
		T(test_detect_by_content),
		T(test_init_path),
		T(test_v1_create_apply),
		T(test_v1_limits),
		T(test_v1_missing_controller),
		T(test_v1_freeze_pids_stats_destroy),
		T(test_v2_create_apply),
		T(test_v2_unlimited_and_errors),
		T(test_v2_freeze_stats_destroy),
		T(test_v2_kill_all),
		cmocka_unit_test_setup_teardown(test_real_v1, real_setup,
						real_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
