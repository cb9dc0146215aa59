/* Unit tests of the cgroup v2 device program.  The generated program is
 * run by a small interpreter of the instructions it uses and compared, on
 * every (type, major, minor, access) of a grid, with a reference that
 * follows the kernel's v1 devices controller (security/device_cgroup.c)
 * step by step.  One test loads and attaches a program to a real cgroup2
 * cgroup, when run as root with cgroup2 at /sys/fs/cgroup/unified. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/syscalls.h"
#include "runtime/cgroup_v2_devices.h"

#define M BPF_DEVCG_ACC_MKNOD
#define R BPF_DEVCG_ACC_READ
#define W BPF_DEVCG_ACC_WRITE
#define CHR BPF_DEVCG_DEV_CHAR
#define BLK BPF_DEVCG_DEV_BLOCK
#define N(a) (sizeof(a) / sizeof((a)[0]))

#define ALLOW(t, ma, mi, acc) { true, t, ma, mi, acc }
#define DENY(t, ma, mi, acc) { false, t, ma, mi, acc }

/* The list berth hands the manager for a spec without device settings. */
static const struct spec_device_rule berth_default[] = {
	DENY('a', -1, -1, "rwm"),
	ALLOW('c', -1, -1, "m"),   ALLOW('b', -1, -1, "m"),
	ALLOW('c', 1, 3, "rwm"),   ALLOW('c', 1, 5, "rwm"),
	ALLOW('c', 1, 7, "rwm"),   ALLOW('c', 1, 8, "rwm"),
	ALLOW('c', 1, 9, "rwm"),   ALLOW('c', 5, 0, "rwm"),
	ALLOW('c', 5, 1, "rwm"),   ALLOW('c', 5, 2, "rwm"),
	ALLOW('c', 136, -1, "rwm"), ALLOW('c', 10, 200, "rwm"),
};

/* ---- interpreter of the instructions the generator emits ---------- */

struct vm {
	uint64_t r[11];
	bool set[11];
	const struct bpf_cgroup_dev_ctx *ctx;
};

static uint64_t reg(struct vm *vm, unsigned i, size_t pc)
{
	if (i > 10 || !vm->set[i])
		fail_msg("insn %zu reads r%u before writing it", pc, i);
	return vm->r[i];
}

static void set_reg(struct vm *vm, unsigned i, uint64_t v)
{
	assert_true(i < 10);
	vm->r[i] = v;
	vm->set[i] = true;
}

static void exec_ldx(struct vm *vm, const struct bpf_insn *in, size_t pc)
{
	if (in->code != (BPF_LDX | BPF_MEM | BPF_W) || in->src_reg != BPF_REG_1 ||
	    in->off < 0 || in->off > 8 || in->off % 4)
		fail_msg("insn %zu: unexpected load 0x%02x off %d", pc, in->code, in->off);
	(void)reg(vm, BPF_REG_1, pc);
	set_reg(vm, in->dst_reg,
		((const uint32_t *)vm->ctx)[in->off / 4]);
}

static void exec_alu(struct vm *vm, const struct bpf_insn *in, size_t pc)
{
	bool is64 = BPF_CLASS(in->code) == BPF_ALU64;
	uint64_t src = BPF_SRC(in->code) == BPF_X ? reg(vm, in->src_reg, pc) :
						    (uint64_t)(int64_t)in->imm;
	uint64_t v = 0;

	switch (BPF_OP(in->code)) {
	case BPF_MOV: v = src; break;
	case BPF_AND: v = reg(vm, in->dst_reg, pc) & src; break;
	case BPF_OR: v = reg(vm, in->dst_reg, pc) | src; break;
	default: fail_msg("insn %zu: unexpected ALU op 0x%02x", pc, in->code);
	}
	set_reg(vm, in->dst_reg, is64 ? v : (uint32_t)v);
}

/* Returns the pc of the next instruction. */
static size_t exec_jmp(struct vm *vm, const struct bpf_insn *in, size_t pc)
{
	bool is32 = BPF_CLASS(in->code) == BPF_JMP32;
	uint64_t a, b;
	bool taken = false;

	if (BPF_OP(in->code) == BPF_JA)
		return pc + 1 + in->off;
	if (BPF_SRC(in->code) != BPF_K)
		fail_msg("insn %zu: unexpected register jump 0x%02x", pc, in->code);
	a = reg(vm, in->dst_reg, pc);
	b = (uint64_t)(int64_t)in->imm;
	if (is32) {
		a = (uint32_t)a;
		b = (uint32_t)b;
	}
	switch (BPF_OP(in->code)) {
	case BPF_JEQ: taken = a == b; break;
	case BPF_JNE: taken = a != b; break;
	case BPF_JSET: taken = (a & b) != 0; break;
	default: fail_msg("insn %zu: unexpected jump 0x%02x", pc, in->code);
	}
	return taken ? pc + 1 + in->off : pc + 1;
}

/* Returns the pc of the next instruction. */
static size_t step(struct vm *vm, const struct bpf_insn *in, size_t pc)
{
	switch (BPF_CLASS(in->code)) {
	case BPF_LDX: exec_ldx(vm, in, pc); return pc + 1;
	case BPF_ALU: case BPF_ALU64: exec_alu(vm, in, pc); return pc + 1;
	case BPF_JMP: case BPF_JMP32: return exec_jmp(vm, in, pc);
	}
	fail_msg("insn %zu: unexpected class 0x%02x", pc, in->code);
	return pc;
}

/* Runs the program on one request; forward jumps only, as the
 * generator emits, so it always ends. */
static int run(const struct bpf_insn *p, size_t n, uint32_t type,
	       uint32_t access, uint32_t major, uint32_t minor)
{
	struct bpf_cgroup_dev_ctx ctx = { access << 16 | type, major, minor };
	struct vm vm = { .ctx = &ctx };
	size_t pc = 0, next;

	set_reg(&vm, BPF_REG_1, 0);
	for (;;) {
		if (pc >= n)
			fail_msg("pc %zu runs off the %zu-instruction program", pc, n);
		if (p[pc].code == (BPF_JMP | BPF_EXIT)) {
			uint64_t r0 = reg(&vm, BPF_REG_0, pc);

			if (r0 > 1)
				fail_msg("insn %zu returns %llu, not 0 or 1", pc,
					 (unsigned long long)r0);
			return (int)r0;
		}
		next = step(&vm, &p[pc], pc);
		if (next <= pc)
			fail_msg("insn %zu jumps backwards", pc);
		pc = next;
	}
}

/* ---- reference: the kernel's v1 devices controller ---------------- */

struct ref_ex {
	short type;
	uint32_t major, minor; /* ~0 is '*' */
	short access;
};

struct ref {
	bool allow_default;
	struct ref_ex ex[1024];
	size_t n;
};

static short ref_access(const char *s)
{
	short a = 0;

	for (; *s; s++)
		a |= *s == 'r' ? R : *s == 'w' ? W : M;
	return a;
}

/* devcgroup_update_access() for one line written as cgroup_v1.c writes
 * it: an 'a' line resets; others add or remove by exact key. */
static void ref_write(struct ref *s, const struct spec_device_rule *r)
{
	struct ref_ex ex = { r->type == 'b' ? BLK : CHR, (uint32_t)r->major,
			     (uint32_t)r->minor, ref_access(r->access) };
	bool add = r->allow != s->allow_default;
	size_t i;

	if (r->type == 'a') {
		s->allow_default = r->allow;
		s->n = 0;
		return;
	}
	for (i = 0; i < s->n; i++)
		if (s->ex[i].type == ex.type && s->ex[i].major == ex.major &&
		    s->ex[i].minor == ex.minor)
			break;
	if (add && i == s->n) {
		assert_true(s->n < N(s->ex));
		s->ex[s->n++] = ex;
	} else if (add) {
		s->ex[i].access |= ex.access;
	} else if (i < s->n && !(s->ex[i].access &= ~ex.access)) {
		memmove(&s->ex[i], &s->ex[i + 1], (s->n - i - 1) * sizeof(ex));
		s->n--;
	}
}

/* match_exception() and match_exception_partial(), for a real device. */
static bool ref_matches(const struct ref_ex *ex, short type, uint32_t major,
			uint32_t minor)
{
	return ex->type == type && (ex->major == ~0u || ex->major == major) &&
	       (ex->minor == ~0u || ex->minor == minor);
}

static int ref_check(const struct ref *s, short type, short access,
		     uint32_t major, uint32_t minor)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct ref_ex *ex = &s->ex[i];

		if (!ref_matches(ex, type, major, minor))
			continue;
		if (s->allow_default && (access & ex->access))
			return 0;
		if (!s->allow_default && !(access & ~ex->access))
			return 1;
	}
	return s->allow_default;
}

/* ---- comparing the two ------------------------------------------- */

static const uint32_t majors[] = { 0, 1, 4, 5, 8, 10, 136, 200, 4095 };
static const uint32_t minors[] = { 0, 1, 2, 3, 5, 7, 8, 9, 11, 200, 0xfffff };

struct program {
	struct bpf_insn *insns;
	size_t n;
};

static struct program build(const struct spec_device_rule *rules, size_t n)
{
	struct program p = { 0 };
	berr_t err = NULL;

	if (cgroup_v2_devices_program(rules, n, &p.insns, &p.n, &err) < 0)
		fail_msg("cgroup_v2_devices_program: %s", err_msg(err));
	assert_true(p.n <= BPF_MAXINSNS);
	return p;
}

static void print_rules(const struct spec_device_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "  [%zu] %s %c %lld:%lld '%s'\n", i,
			rules[i].allow ? "allow" : "deny", rules[i].type,
			(long long)rules[i].major, (long long)rules[i].minor,
			rules[i].access);
}

/* Every request of the grid decides the same in the program and in the
 * reference. */
static void compare(const struct spec_device_rule *rules, size_t n)
{
	struct program p = build(rules, n);
	struct ref s = { .allow_default = true };

	for (size_t i = 0; i < n; i++)
		ref_write(&s, &rules[i]);
	for (uint32_t type = BLK; type <= CHR; type++)
		for (uint32_t acc = 0; acc <= (M | R | W); acc++)
			for (size_t a = 0; a < N(majors); a++)
				for (size_t b = 0; b < N(minors); b++) {
					int want = ref_check(&s, (short)type, (short)acc,
							     majors[a], minors[b]);
					int got = run(p.insns, p.n, type, acc,
						      majors[a], minors[b]);

					if (got == want)
						continue;
					print_rules(rules, n);
					fail_msg("%c %u:%u access %u: v1 says %s, the program %s",
						 type == CHR ? 'c' : 'b', majors[a], minors[b],
						 acc, want ? "allow" : "deny",
						 got ? "allow" : "deny");
				}
	free(p.insns);
}

/* One request against the program, for the cases spelled out below. */
static void expect(const struct spec_device_rule *rules, size_t n, char type,
		   uint32_t major, uint32_t minor, uint32_t acc, bool allowed)
{
	struct program p = build(rules, n);
	int got = run(p.insns, p.n, type == 'b' ? BLK : CHR, acc, major, minor);

	free(p.insns);
	if (got != allowed) {
		print_rules(rules, n);
		fail_msg("%c %u:%u access %u: expected %s", type, major, minor,
			 acc, allowed ? "allow" : "deny");
	}
}

#define EXPECT(rules, ...) expect(rules, N(rules), __VA_ARGS__)

/* ---- tests -------------------------------------------------------- */

static void test_berth_default(void **state)
{
	compare(berth_default, N(berth_default));
	EXPECT(berth_default, 'c', 1, 3, R | W, true);
	EXPECT(berth_default, 'c', 1, 5, R, true);
	EXPECT(berth_default, 'c', 5, 1, W, true);
	EXPECT(berth_default, 'c', 136, 7, R | W, true);
	EXPECT(berth_default, 'c', 10, 200, R | W, true);
	EXPECT(berth_default, 'c', 1, 11, R, false);
	EXPECT(berth_default, 'c', 1, 11, M, true);
	EXPECT(berth_default, 'c', 1, 11, M | R, false);
	EXPECT(berth_default, 'c', 10, 201, R, false);
	EXPECT(berth_default, 'b', 8, 0, M, true);
	EXPECT(berth_default, 'b', 8, 0, R, false);
	EXPECT(berth_default, 'b', 1, 3, R, false);
}

/* Denying one device after allowing everything. */
static void test_allow_all_deny_one(void **state)
{
	static const struct spec_device_rule rules[] = {
		ALLOW('a', -1, -1, "rwm"), DENY('c', 1, 5, "rwm"),
	};
	static const struct spec_device_rule read_only[] = {
		ALLOW('a', -1, -1, "rwm"), DENY('c', 1, 5, "r"),
	};

	compare(rules, N(rules));
	compare(read_only, N(read_only));
	EXPECT(rules, 'c', 1, 5, R, false);
	EXPECT(rules, 'c', 1, 3, R | W, true);
	EXPECT(rules, 'b', 1, 5, R, true);
	/* A deny exception stops any request sharing an access with it. */
	EXPECT(read_only, 'c', 1, 5, R | W, false);
	EXPECT(read_only, 'c', 1, 5, W, true);
}

/* An allow exception must hold every access asked for at once. */
static void test_partial_access(void **state)
{
	static const struct spec_device_rule r_only[] = {
		DENY('a', -1, -1, "rwm"), ALLOW('c', 1, 3, "r"),
	};
	static const struct spec_device_rule merged[] = {
		DENY('a', -1, -1, "rwm"), ALLOW('c', 1, 3, "r"), ALLOW('c', 1, 3, "w"),
	};
	static const struct spec_device_rule split[] = {
		DENY('a', -1, -1, "rwm"), ALLOW('c', 1, -1, "r"), ALLOW('c', -1, 3, "w"),
	};

	compare(r_only, N(r_only));
	compare(merged, N(merged));
	compare(split, N(split));
	EXPECT(r_only, 'c', 1, 3, R, true);
	EXPECT(r_only, 'c', 1, 3, R | W, false);
	EXPECT(r_only, 'c', 1, 3, W, false);
	/* Same key: v1 merges them into one "c 1:3 rw" exception. */
	EXPECT(merged, 'c', 1, 3, R | W, true);
	/* Different keys: no single exception covers rw. */
	EXPECT(split, 'c', 1, 3, R | W, false);
	EXPECT(split, 'c', 1, 3, R, true);
	EXPECT(split, 'c', 2, 3, W, true);
}

/* Removal by exact key only: no hole in a wider exception. */
static void test_no_holes(void **state)
{
	static const struct spec_device_rule hole[] = {
		ALLOW('a', -1, -1, "rwm"), DENY('c', -1, -1, "rwm"), ALLOW('c', 1, 3, "rwm"),
	};
	static const struct spec_device_rule trim[] = {
		ALLOW('a', -1, -1, "rwm"), DENY('c', 1, 3, "rw"), ALLOW('c', 1, 3, "r"),
	};
	static const struct spec_device_rule revoke[] = {
		DENY('a', -1, -1, "rwm"), ALLOW('c', 1, 3, "rwm"), DENY('c', 1, 3, "w"),
	};

	compare(hole, N(hole));
	compare(trim, N(trim));
	compare(revoke, N(revoke));
	EXPECT(hole, 'c', 1, 3, R, false);
	EXPECT(hole, 'b', 1, 3, R, true);
	EXPECT(trim, 'c', 1, 3, R, true);
	EXPECT(trim, 'c', 1, 3, W, false);
	EXPECT(trim, 'c', 1, 3, M, true);
	EXPECT(revoke, 'c', 1, 3, R | M, true);
	EXPECT(revoke, 'c', 1, 3, R | W, false);
}

/* Whatever access or numbers an 'a' rule names, v1 resets everything. */
static void test_type_a_resets(void **state)
{
	static const struct spec_device_rule deny_r[] = {
		ALLOW('c', 1, 3, "rwm"), DENY('a', 1, 3, "r"),
	};
	static const struct spec_device_rule allow_late[] = {
		DENY('a', -1, -1, "rwm"), DENY('c', 1, 3, "rwm"), ALLOW('a', -1, -1, "m"),
	};
	static const struct spec_device_rule empty[1];

	compare(deny_r, N(deny_r));
	compare(allow_late, N(allow_late));
	compare(empty, 0);
	EXPECT(deny_r, 'c', 1, 3, W, false);
	EXPECT(deny_r, 'b', 8, 0, M, false);
	EXPECT(allow_late, 'c', 1, 3, R | W, true);
	EXPECT(allow_late, 'b', 8, 0, R, true);
	expect(empty, 0, 'c', 1, 11, R | W | M, true);
}

/* Empty access, and UINT32_MAX, which v1 stores as '*'. */
static void test_odd_fields(void **state)
{
	static const struct spec_device_rule rules[] = {
		DENY('a', -1, -1, "rwm"), ALLOW('c', 1, 3, ""),
		ALLOW('c', UINT32_MAX, 7, "r"), ALLOW('b', 8, -1, "rw"),
		DENY('b', 8, -1, ""), DENY('b', 8, -1, "w"),
	};

	compare(rules, N(rules));
	EXPECT(rules, 'c', 1, 3, 0, true);
	EXPECT(rules, 'c', 1, 3, R, false);
	EXPECT(rules, 'c', 136, 7, R, true);
	EXPECT(rules, 'b', 8, 1, R, true);
	EXPECT(rules, 'b', 8, 1, W, false);
}

static uint32_t next_rand(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 16;
}

static struct spec_device_rule random_rule(uint32_t *seed)
{
	static const int64_t nums[] = { -1, 1, 3, 5, 136 };
	static const char *const acc[] = { "", "r", "w", "m", "rw", "rm", "wm", "rwm", "mr" };
	struct spec_device_rule r = { 0 };
	uint32_t t = next_rand(seed) % 9;

	r.allow = next_rand(seed) & 1;
	r.type = t == 0 ? 'a' : t < 5 ? 'c' : 'b';
	r.major = nums[next_rand(seed) % N(nums)];
	r.minor = nums[next_rand(seed) % N(nums)];
	strcpy(r.access, acc[next_rand(seed) % N(acc)]);
	return r;
}

/* Many random lists over a few numbers, so that keys collide often. */
static void test_random_lists(void **state)
{
	uint32_t seed = 20240601;

	for (int round = 0; round < 3000; round++) {
		struct spec_device_rule rules[16];
		size_t n = 1 + next_rand(&seed) % N(rules);

		for (size_t i = 0; i < n; i++)
			rules[i] = random_rule(&seed);
		compare(rules, n);
	}
}

/* 511 exceptions fit in BPF_MAXINSNS; more are refused up front. */
static void test_size_limit(void **state)
{
	size_t n = 600;
	cleanup_free struct spec_device_rule *rules = calloc(n, sizeof(*rules));
	struct program p;
	berr_t err = NULL;

	assert_non_null(rules);
	rules[0] = (struct spec_device_rule)DENY('a', -1, -1, "rwm");
	for (size_t i = 1; i < n; i++)
		rules[i] = (struct spec_device_rule)ALLOW('c', 7, (int64_t)i, "rw");
	p = build(rules, 512);
	compare(rules, 512);
	free(p.insns);
	assert_int_equal(cgroup_v2_devices_program(rules, n, &p.insns, &p.n, &err), -1);
	if (!strstr(err_msg(err), "linux.resources.devices: the rules leave 599 exceptions"))
		fail_msg("unexpected message '%s'", err_msg(err));
	err_free(&err);
}

static void test_bad_rules(void **state)
{
	static const struct {
		struct spec_device_rule rule;
		const char *want;
	} bad[] = {
		{ ALLOW('x', 1, 3, "r"), "linux.resources.devices[1].type: 'x'" },
		{ ALLOW('c', 1, 3, "rx"), "linux.resources.devices[1].access: 'rx'" },
		{ ALLOW('c', (int64_t)UINT32_MAX + 1, 3, "r"),
		  "linux.resources.devices[1].major: 4294967296" },
	};

	for (size_t i = 0; i < N(bad); i++) {
		struct spec_device_rule two[2] = { DENY('a', -1, -1, "rwm"), bad[i].rule };
		struct bpf_insn *insns = NULL;
		berr_t err = NULL;
		size_t n;

		assert_int_equal(cgroup_v2_devices_program(two, 2, &insns, &n, &err), -1);
		assert_null(insns);
		if (!strstr(err_msg(err), bad[i].want))
			fail_msg("expected '%s' in '%s'", bad[i].want, err_msg(err));
		err_free(&err);
	}
}

/* ---- a real cgroup2 cgroup ---------------------------------------- */

#define UNIFIED "/sys/fs/cgroup/unified"

struct real {
	char dir[128];
	int dirfd;
	pid_t child;
};

static int real_setup(void **state)
{
	struct real *r = calloc(1, sizeof(*r));
	struct statfs sfs;

	if (!r)
		return -1;
	r->dirfd = -1;
	r->child = -1;
	*state = r;
	if (geteuid() != 0 || statfs(UNIFIED, &sfs) < 0 ||
	    sfs.f_type != CGROUP2_SUPER_MAGIC)
		return 0;
	snprintf(r->dir, sizeof(r->dir), UNIFIED "/berth-unit-%d", getpid());
	if (mkdir(r->dir, 0755) < 0) {
		fprintf(stderr, "mkdir '%s': %s\n", r->dir, strerror(errno));
		r->dir[0] = '\0';
		return 0;
	}
	r->dirfd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return r->dirfd < 0 ? -1 : 0;
}

/* The child is reaped before the rmdir: a cgroup with a task in it cannot
 * be removed.  Its programs go with it. */
static int real_teardown(void **state)
{
	struct real *r = *state;

	if (r->child > 0) {
		kill(r->child, SIGKILL);
		waitpid(r->child, NULL, 0);
	}
	if (r->dirfd >= 0)
		close(r->dirfd);
	if (r->dir[0] && rmdir(r->dir) < 0)
		fprintf(stderr, "cleanup: rmdir '%s': %s\n", r->dir, strerror(errno));
	free(r);
	return 0;
}

static uint32_t attached(int dirfd)
{
	uint32_t ids[64];
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)dirfd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uintptr_t)ids;
	attr.query.prog_cnt = N(ids);
	if (sys_bpf(BPF_PROG_QUERY, &attr, sizeof(attr)) < 0)
		fail_msg("BPF_PROG_QUERY: %s", strerror(errno));
	return attr.query.prog_cnt;
}

static void apply(int dirfd, const struct spec_device_rule *rules, size_t n)
{
	berr_t err = NULL;

	if (cgroup_v2_devices_apply(dirfd, rules, n, &err) < 0)
		fail_msg("cgroup_v2_devices_apply: %s", err_msg(err));
}

static void move_into(const char *dir, pid_t pid)
{
	char path[256];
	cleanup_close int fd = -1;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || dprintf(fd, "%d", pid) < 0)
		fail_msg("move %d into '%s': %s", pid, path, strerror(errno));
}

/* In the child: 0 when /dev/zero cannot be read (EPERM) but written, and
 * /dev/null can be read; else which check failed. */
static int child_checks(int go)
{
	char c;
	int fd;

	if (read(go, &c, 1) != 1)
		return 10;
	fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 || errno != EPERM)
		return 11;
	fd = open("/dev/zero", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return 12;
	close(fd);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 13;
	close(fd);
	return 0;
}

static void run_child(struct real *r)
{
	static const char *const what[] = {
		[10] = "no go from the parent",
		[11] = "/dev/zero opened for reading, expected EPERM",
		[12] = "/dev/zero refused for writing",
		[13] = "/dev/null refused for reading",
	};
	cleanup_close int rd = -1, wr = -1;
	int pipefd[2], status;

	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	rd = pipefd[0];
	wr = pipefd[1];
	r->child = fork();
	assert_true(r->child >= 0);
	if (r->child == 0)
		_exit(child_checks(rd));
	move_into(r->dir, r->child);
	assert_int_equal(write(wr, "x", 1), 1);
	assert_int_equal(waitpid(r->child, &status, 0), r->child);
	r->child = -1;
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status))
		fail_msg("child in the cgroup: %s",
			 WEXITSTATUS(status) < (int)N(what) && what[WEXITSTATUS(status)] ?
				 what[WEXITSTATUS(status)] : "exited non-zero");
}

/* The verifier takes the largest program the generator makes. */
static void apply_largest(int dirfd)
{
	size_t n = 512;
	cleanup_free struct spec_device_rule *rules = calloc(n, sizeof(*rules));

	assert_non_null(rules);
	rules[0] = (struct spec_device_rule)DENY('a', -1, -1, "rwm");
	for (size_t i = 1; i < n; i++)
		rules[i] = (struct spec_device_rule)ALLOW('c', 7, (int64_t)i, "rw");
	apply(dirfd, rules, n);
}

static void test_real_cgroup2(void **state)
{
	static const struct spec_device_rule no_zero_read[] = {
		ALLOW('a', -1, -1, "rwm"), DENY('c', 1, 5, "r"),
	};
	static const struct spec_device_rule narrow[] = { DENY('c', 1, 3, "w") };
	struct real *r = *state;

	if (r->dirfd < 0)
		skip();
	apply(r->dirfd, no_zero_read, N(no_zero_read));
	/* As `update` does: the list starts over, so the new program
	 * replaces the old one. */
	apply(r->dirfd, no_zero_read, N(no_zero_read));
	assert_int_equal(attached(r->dirfd), 1);
	run_child(r);
	/* No 'a' rule: the old program stays and the new one joins it. */
	apply(r->dirfd, narrow, N(narrow));
	assert_int_equal(attached(r->dirfd), 2);
	apply(r->dirfd, no_zero_read, N(no_zero_read));
	assert_int_equal(attached(r->dirfd), 1);
	apply_largest(r->dirfd);
	assert_int_equal(attached(r->dirfd), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_berth_default),
		cmocka_unit_test(test_allow_all_deny_one),
		cmocka_unit_test(test_partial_access),
		cmocka_unit_test(test_no_holes),
		cmocka_unit_test(test_type_a_resets),
		cmocka_unit_test(test_odd_fields),
		cmocka_unit_test(test_random_lists),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_bad_rules),
		cmocka_unit_test_setup_teardown(test_real_cgroup2, real_setup,
						real_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
