/* cgroup v2 device rules as a BPF_PROG_TYPE_CGROUP_DEVICE program.
 *
 * The outcome must be the one cgroup v1's devices controller gives for the
 * same rules written in order to devices.allow / devices.deny (which is
 * what cgroup_v1.c does).  v1 is not "the last matching rule wins"; the
 * kernel (security/device_cgroup.c) keeps a default and a list of
 * exceptions to it, and each write edits that state:
 *
 *  - A type 'a' line resets: devices.allow makes the default allow,
 *    devices.deny makes it deny, and the exceptions are dropped.  The
 *    kernel looks at the 'a' alone, so "a *:* r" resets everything, all of
 *    r, w and m, whatever access the line names.
 *  - A 'c' or 'b' line that goes against the default adds an exception,
 *    or ORs its access into the exception with the same type, major and
 *    minor (exactly the same: '*' is only equal to '*').
 *  - A line that agrees with the default removes its access bits from the
 *    exception with exactly the same type, major and minor, and drops it
 *    when none are left.  It never punches a hole in a wider exception:
 *    after "a" allowed, "c *:* rwm" denied, "c 1:3 rwm" allowed, c 1:3 is
 *    still denied.
 *
 * and a request (one type, major, minor, and the accesses wanted at once,
 * e.g. read+write for O_RDWR) is decided by:
 *
 *  - default deny: allowed when one exception matches it and holds every
 *    access asked for.  Access is never summed over exceptions: "c 1:* r"
 *    and "c *:3 w" do not allow c 1:3 for rw, while "c 1:3 r" then
 *    "c 1:3 w" do, having merged into one exception.
 *  - default allow: denied when one exception matches it and shares any
 *    access with it.
 *
 * Evaluating the rules last to first, each deciding when it covers the
 * whole request, gets three of the cases above wrong (the merged
 * exception, the missing hole, and "a" allowed then "c 1:5 r" denied,
 * which v1 makes refuse c 1:5 for rw), so the rules are first run
 * through that state machine here and the program tests the final state;
 * the order of exceptions then does not matter.
 * A fresh v1 cgroup below the root starts with default allow and no
 * exceptions, and so does the state here; restrictions of parent cgroups
 * come from their own programs, all of which must allow. */
#include "runtime/cgroup_v2_devices.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/syscalls.h"

#define ACC_ALL (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)
#define ANY UINT32_MAX /* v1's ~0, '*' as a major or minor */

/* Registers of the program; r1 holds the context on entry. */
enum {
	R_RET = BPF_REG_0,
	R_CTX = BPF_REG_1,
	R_ACCESS = BPF_REG_2, /* access_type as is: access << 16 | type */
	R_TYPE = BPF_REG_3,
	R_MAJOR = BPF_REG_4,
	R_MINOR = BPF_REG_5,
	R_TMP = BPF_REG_6,
};

#define PROLOGUE_LEN 5
#define BLOCK_MAX 8 /* instructions for one exception, at most */
#define EPILOGUE_LEN 2
#define MAX_EXCEPTIONS ((BPF_MAXINSNS - PROLOGUE_LEN - EPILOGUE_LEN) / BLOCK_MAX)
#define MAX_ATTACHED 64 /* the kernel's BPF_CGROUP_MAX_PROGS */
#define LOG_SIZE (64 * 1024)
#define WHAT "linux.resources.devices"

struct dev_exception {
	uint32_t type, major, minor, access; /* BPF_DEVCG_* bits */
};

/* What v1 keeps for a cgroup; ex has room for one exception a rule. */
struct dev_state {
	bool allow_default;
	struct dev_exception *ex;
	size_t n;
};

static int dev_number(int64_t v, size_t i, const char *field, uint32_t *out,
		      berr_t *err)
{
	if (v > UINT32_MAX)
		return err_set(err, EINVAL, WHAT "[%zu].%s: %lld is out of range",
			       i, field, (long long)v);
	/* UINT32_MAX is v1's '*' too: the kernel stores '*' as ~0. */
	*out = v < 0 ? ANY : (uint32_t)v;
	return 0;
}

static int access_bits(const char *access, size_t i, uint32_t *out,
		       berr_t *err)
{
	*out = 0;
	for (size_t k = 0; k < 3 && access[k]; k++) {
		const char *at = strchr("mrw", access[k]);

		if (!at)
			return err_set(err, EINVAL, WHAT "[%zu].access: '%.3s' is not a subset of rwm",
				       i, access);
		*out |= 1u << (at - "mrw"); /* MKNOD, READ, WRITE */
	}
	return 0;
}

static int rule_exception(const struct spec_device_rule *r, size_t i,
			  struct dev_exception *ex, berr_t *err)
{
	ex->type = r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
	if (dev_number(r->major, i, "major", &ex->major, err) < 0 ||
	    dev_number(r->minor, i, "minor", &ex->minor, err) < 0)
		return -1;
	return access_bits(r->access, i, &ex->access, err);
}

static struct dev_exception *find_exception(struct dev_state *s,
					    const struct dev_exception *ex)
{
	for (size_t i = 0; i < s->n; i++) {
		struct dev_exception *e = &s->ex[i];

		if (e->type == ex->type && e->major == ex->major &&
		    e->minor == ex->minor)
			return e;
	}
	return NULL;
}

/* The kernel's dev_exception_add() and dev_exception_rm(). */
static void exception_add(struct dev_state *s, const struct dev_exception *ex)
{
	struct dev_exception *e = find_exception(s, ex);

	if (e)
		e->access |= ex->access;
	else
		s->ex[s->n++] = *ex;
}

static void exception_rm(struct dev_state *s, const struct dev_exception *ex)
{
	struct dev_exception *e = find_exception(s, ex);

	if (!e)
		return;
	e->access &= ~ex->access;
	if (!e->access)
		*e = s->ex[--s->n];
}

static int state_apply(struct dev_state *s, const struct spec_device_rule *r,
		       size_t i, berr_t *err)
{
	struct dev_exception ex;

	if (r->type != 'a' && r->type != 'c' && r->type != 'b')
		return err_set(err, EINVAL, WHAT "[%zu].type: '%c' is not one of a, c, b",
			       i, r->type);
	if (r->type == 'a') {
		s->allow_default = r->allow;
		s->n = 0;
		return 0;
	}
	if (rule_exception(r, i, &ex, err) < 0)
		return -1;
	if (r->allow == s->allow_default)
		exception_rm(s, &ex);
	else
		exception_add(s, &ex);
	return 0;
}

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src,
			    int16_t off, int32_t imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src,
				  .off = off, .imm = imm };
}

/* 32-bit compares: majors and minors are u32, and a 64-bit compare would
 * sign-extend an immediate of 2^31 or more. */
static struct bpf_insn jump_if(uint8_t op, uint8_t reg, uint32_t imm)
{
	return insn(BPF_JMP32 | op | BPF_K, reg, 0, 0, (int32_t)imm);
}

static size_t emit_prologue(struct bpf_insn *p)
{
	p[0] = insn(BPF_LDX | BPF_MEM | BPF_W, R_ACCESS, R_CTX,
		    offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
	p[1] = insn(BPF_LDX | BPF_MEM | BPF_W, R_MAJOR, R_CTX,
		    offsetof(struct bpf_cgroup_dev_ctx, major), 0);
	p[2] = insn(BPF_LDX | BPF_MEM | BPF_W, R_MINOR, R_CTX,
		    offsetof(struct bpf_cgroup_dev_ctx, minor), 0);
	p[3] = insn(BPF_ALU | BPF_MOV | BPF_X, R_TYPE, R_ACCESS, 0, 0);
	p[4] = insn(BPF_ALU | BPF_AND | BPF_K, R_TYPE, 0, 0, 0xffff);
	return PROLOGUE_LEN;
}

static size_t emit_return(struct bpf_insn *p, bool allow)
{
	p[0] = insn(BPF_ALU64 | BPF_MOV | BPF_K, R_RET, 0, 0, allow);
	p[1] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return 2;
}

/* "if the request matches, return the opposite of the default"; every
 * test that fails jumps past the block to the next exception. */
static size_t emit_exception(struct bpf_insn *p, const struct dev_exception *ex,
			     bool allow_default)
{
	size_t k = 0;

	p[k++] = jump_if(BPF_JNE, R_TYPE, ex->type);
	if (ex->major != ANY)
		p[k++] = jump_if(BPF_JNE, R_MAJOR, ex->major);
	if (ex->minor != ANY)
		p[k++] = jump_if(BPF_JNE, R_MINOR, ex->minor);
	if (allow_default) {
		/* A deny exception matches on any shared access. */
		p[k++] = insn(BPF_ALU | BPF_MOV | BPF_X, R_TMP, R_ACCESS, 0, 0);
		p[k++] = insn(BPF_ALU | BPF_AND | BPF_K, R_TMP, 0, 0,
			      (int32_t)(ex->access << 16));
		p[k++] = jump_if(BPF_JEQ, R_TMP, 0);
	} else if (ex->access != ACC_ALL) {
		/* An allow exception must hold every access asked for. */
		p[k++] = jump_if(BPF_JSET, R_ACCESS, (~ex->access & ACC_ALL) << 16);
	}
	k += emit_return(p + k, !allow_default);
	for (size_t i = 0; i < k; i++)
		if (BPF_CLASS(p[i].code) == BPF_JMP32)
			p[i].off = (int16_t)(k - i - 1);
	return k;
}

static int emit_program(const struct dev_state *s, struct bpf_insn **insns,
			size_t *count, berr_t *err)
{
	struct bpf_insn *p;
	size_t k;

	if (s->n > MAX_EXCEPTIONS)
		return err_set(err, E2BIG, WHAT ": the rules leave %zu exceptions, more than the %d a BPF program of %d instructions holds",
			       s->n, (int)MAX_EXCEPTIONS, BPF_MAXINSNS);
	p = calloc(PROLOGUE_LEN + s->n * BLOCK_MAX + EPILOGUE_LEN, sizeof(*p));
	if (!p)
		return err_sys(err, WHAT ": BPF program");
	k = emit_prologue(p);
	for (size_t i = 0; i < s->n; i++)
		k += emit_exception(p + k, &s->ex[i], s->allow_default);
	k += emit_return(p + k, s->allow_default);
	*insns = p;
	*count = k;
	return 0;
}

int cgroup_v2_devices_program(const struct spec_device_rule *rules, size_t n,
			      struct bpf_insn **insns, size_t *count,
			      berr_t *err)
{
	cleanup_free struct dev_exception *ex = calloc(n + 1, sizeof(*ex));
	struct dev_state s = { .allow_default = true, .ex = ex };

	if (!ex)
		return err_sys(err, WHAT ": BPF program");
	for (size_t i = 0; i < n; i++)
		if (state_apply(&s, &rules[i], i, err) < 0)
			return -1;
	return emit_program(&s, insns, count, err);
}

static int bpf_load(const struct bpf_insn *insns, size_t count, char *log,
		    size_t log_size)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = (uint32_t)count;
	/* No helper is called, so the license gates nothing. */
	attr.license = (uintptr_t)"GPL";
	attr.log_buf = (uintptr_t)log;
	attr.log_size = (uint32_t)log_size;
	attr.log_level = log ? 1 : 0;
	memcpy(attr.prog_name, CGROUP_V2_DEVICES_PROG_NAME,
	       sizeof(CGROUP_V2_DEVICES_PROG_NAME));
	return sys_bpf(BPF_PROG_LOAD, &attr, sizeof(attr));
}

static const char *last_line(char *log)
{
	char *end = log + strlen(log), *nl;

	while (end > log && end[-1] == '\n')
		*--end = '\0';
	nl = strrchr(log, '\n');
	return *log ? (nl ? nl + 1 : log) : "no verifier log";
}

/* Returns the program fd.  A refused program is loaded again for the
 * verifier's log, whose last line says why. */
static int load_program(const struct bpf_insn *insns, size_t count,
			berr_t *err)
{
	cleanup_free char *log = NULL;
	int fd = bpf_load(insns, count, NULL, 0);

	if (fd >= 0)
		return fd;
	if (errno != EACCES && errno != EINVAL)
		return err_sys(err, WHAT ": load the BPF device program");
	log = calloc(1, LOG_SIZE);
	if (!log)
		return err_sys(err, WHAT ": load the BPF device program");
	fd = bpf_load(insns, count, log, LOG_SIZE);
	if (fd >= 0)
		return fd;
	return err_set(err, errno, WHAT ": the kernel refused the BPF device program: %s",
		       last_line(log));
}

/* Ids of the programs attached to the cgroup itself (not inherited). */
static int query_attached(int dirfd, uint32_t ids[MAX_ATTACHED], uint32_t *n,
			  berr_t *err)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)dirfd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uintptr_t)ids;
	attr.query.prog_cnt = MAX_ATTACHED;
	if (sys_bpf(BPF_PROG_QUERY, &attr, sizeof(attr)) < 0)
		return err_sys(err, WHAT ": list the cgroup's BPF device programs");
	*n = attr.query.prog_cnt < MAX_ATTACHED ? attr.query.prog_cnt : MAX_ATTACHED;
	return 0;
}

/* *fd is the program's when it is one of berth's device programs, -1 when
 * it is someone else's or already gone. */
static int open_berth_program(uint32_t id, int *fd, berr_t *err)
{
	cleanup_close int prog = -1;
	struct bpf_prog_info info;
	union bpf_attr attr;

	*fd = -1;
	memset(&attr, 0, sizeof(attr));
	attr.prog_id = id;
	prog = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr, sizeof(attr));
	if (prog < 0)
		return errno == ENOENT ? 0 : err_sys(err, WHAT ": open BPF program %u", id);
	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = (uint32_t)prog;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr)) < 0)
		return err_sys(err, WHAT ": inspect BPF program %u", id);
	if (strncmp(info.name, CGROUP_V2_DEVICES_PROG_NAME, sizeof(info.name)) == 0)
		*fd = take_fd(prog);
	return 0;
}

static int attach_op(int cmd, int dirfd, int prog, uint32_t flags)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)dirfd;
	attr.attach_bpf_fd = (uint32_t)prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = flags;
	return sys_bpf(cmd, &attr, sizeof(attr));
}

static int detach_berth_programs(int dirfd, const uint32_t *ids, uint32_t n,
				 berr_t *err)
{
	for (uint32_t i = 0; i < n; i++) {
		cleanup_close int prog = -1;

		if (open_berth_program(ids[i], &prog, err) < 0)
			return -1;
		if (prog >= 0 && attach_op(BPF_PROG_DETACH, dirfd, prog, 0) < 0 &&
		    errno != ENOENT)
			return err_sys(err, WHAT ": detach the previous BPF device program %u",
				       ids[i]);
	}
	return 0;
}

/* An 'a' rule drops all state before it, so the outcome of such a list
 * does not depend on what the cgroup had. */
static bool starts_over(const struct spec_device_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rules[i].type == 'a')
			return true;
	return false;
}

/* The new program is attached before the old ones are detached, so the
 * cgroup is never left without one.  A list without an 'a' rule (an
 * `update` naming a few devices) would, on v1, edit the state the earlier
 * rules left, which berth does not keep; the old programs then stay and
 * the new one is added to them.  Since every attached program must allow,
 * such an update can narrow access (its deny rules) but not widen it (its
 * allow rules change nothing): stricter than v1, never looser. */
int cgroup_v2_devices_apply(int cgroup_dirfd,
			    const struct spec_device_rule *rules, size_t n,
			    berr_t *err)
{
	cleanup_free struct bpf_insn *insns = NULL;
	cleanup_close int prog = -1;
	uint32_t old[MAX_ATTACHED];
	uint32_t n_old = 0;
	size_t count;

	if (cgroup_v2_devices_program(rules, n, &insns, &count, err) < 0)
		return -1;
	prog = load_program(insns, count, err);
	if (prog < 0 || query_attached(cgroup_dirfd, old, &n_old, err) < 0)
		return -1;
	if (attach_op(BPF_PROG_ATTACH, cgroup_dirfd, prog, BPF_F_ALLOW_MULTI) < 0)
		return err_sys(err, WHAT ": attach the BPF device program to the cgroup");
	if (!starts_over(rules, n))
		return 0;
	return detach_berth_programs(cgroup_dirfd, old, n_old, err);
}
