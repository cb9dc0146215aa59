/* Seccomp: name tables, compile errors, and filters loaded in forked
 * children that then make the filtered syscalls. */
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/error.h"
#include "runtime/seccomp.h"

/* A path whose parent is missing: an unfiltered mkdir fails with ENOENT
 * and creates nothing, so a filter's errno stands out. */
#define NO_DIR "/nonexistent-berth-seccomp/dir"

/* Child checks return 0, or the number of the first check that failed;
 * the parent reports that number. */
#define CHECK(n, cond)              \
	do {                        \
		if (!(cond))        \
			return (n); \
	} while (0)

typedef int (*child_fn)(const struct seccomp_prog *prog);

static char *mkdir_names[] = { "mkdir", "mkdirat", NULL };
static char *getpid_names[] = { "getpid", NULL };
static char *getppid_names[] = { "getppid", NULL };
static char *personality_names[] = { "personality", NULL };

static long sys3(long nr, long a, long b)
{
	return syscall(nr, a, b, 0);
}

static int load_nnp(const struct seccomp_prog *prog)
{
	berr_t err = NULL;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return 200;
	if (seccomp_prog_load(prog, NULL, &err) < 0) {
		fprintf(stderr, "child: %s\n", err_msg(err));
		return 201;
	}
	return 0;
}

/* Run fn in a forked child; returns its wait status. */
static int run_child(const struct seccomp_prog *prog, child_fn fn)
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	/* Leave by the raw syscall: the sanitizers' _exit hook runs the leak
	 * checker, whose syscalls a strict filter refuses. */
	if (pid == 0)
		syscall(SYS_exit_group, fn(prog));
	while (waitpid(pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	return status;
}

static void expect_child_ok(const struct seccomp_prog *prog, child_fn fn)
{
	int status = run_child(prog, fn);

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child: expected exit 0, got status %#x (check %d "
			 "failed; 200+ means setup)", status,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void compile_ok(const struct spec_seccomp *spec,
		       struct seccomp_prog *prog)
{
	berr_t err = NULL;

	if (seccomp_compile(spec, prog, &err) < 0)
		fail_msg("seccomp_compile: %s", err_msg(err));
	assert_non_null(prog->bpf);
	assert_true(prog->len > 0);
	assert_int_equal(prog->len % 8, 0);
}

static void compile_fails(const struct spec_seccomp *spec, const char *want)
{
	struct seccomp_prog prog = { 0 };
	berr_t err = NULL;

	assert_int_equal(seccomp_compile(spec, &prog, &err), -1);
	if (!strstr(err_msg(err), want))
		fail_msg("expected error containing '%s', got '%s'", want,
			 err_msg(err));
	assert_null(prog.bpf);
	err_free(&err);
}

static void test_name_tables(void **state)
{
	unsigned flag = 0;

	assert_int_equal(seccomp_action_from_name("SCMP_ACT_ALLOW"),
			 SCMP_ACT_ALLOW);
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_ERRNO"),
			 SCMP_ACT_ERRNO(0));
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_TRACE"),
			 SCMP_ACT_TRACE(0));
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_KILL"),
			 SCMP_ACT_KILL_THREAD);
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_KILL_PROCESS"),
			 SCMP_ACT_KILL_PROCESS);
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_NOTIFY"),
			 SCMP_ACT_NOTIFY);
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_LOG"),
			 SCMP_ACT_LOG);
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_TRAP"),
			 SCMP_ACT_TRAP);
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_ALLOWED"), -1);
	assert_int_equal(seccomp_action_from_name("scmp_act_allow"), -1);
	assert_int_equal(seccomp_action_from_name(""), -1);
	assert_int_equal(seccomp_action_from_name(NULL), -1);

	assert_int_equal(seccomp_op_from_name("SCMP_CMP_EQ"), SCMP_CMP_EQ);
	assert_int_equal(seccomp_op_from_name("SCMP_CMP_MASKED_EQ"),
			 SCMP_CMP_MASKED_EQ);
	assert_int_equal(seccomp_op_from_name("SCMP_CMP_NE"), SCMP_CMP_NE);
	assert_int_equal(seccomp_op_from_name("SCMP_CMP_EQUAL"), -1);

	assert_int_equal(seccomp_flag_from_name("SECCOMP_FILTER_FLAG_LOG",
						&flag), 0);
	assert_int_equal(flag, SECCOMP_FILTER_FLAG_LOG);
	assert_int_equal(seccomp_flag_from_name(
				 "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
				 &flag), 0);
	assert_int_equal(flag, 1u << 5);
	flag = 7;
	assert_int_equal(seccomp_flag_from_name("SECCOMP_FILTER_FLAG_FOO",
						&flag), -1);
	assert_int_equal(flag, 7);

	assert_int_equal(seccomp_arch_known("SCMP_ARCH_X86_64"), 1);
	assert_int_equal(seccomp_arch_known("SCMP_ARCH_AARCH64"), 1);
	assert_int_equal(seccomp_arch_known("SCMP_ARCH_MIPSEL64N32"), 1);
	assert_int_equal(seccomp_arch_known("SCMP_ARCH_S390X"), 1);
	assert_int_equal(seccomp_arch_known("SCMP_ARCH_RISCV64"), 1);
	assert_int_equal(seccomp_arch_known("SCMP_ARCH_VAX"), 0);
	assert_int_equal(seccomp_arch_known("x86_64"), 0);
}

static int child_mkdir_eperm(const struct seccomp_prog *prog)
{
	int rc = load_nnp(prog);

	if (rc)
		return rc;
	CHECK(1, mkdir(NO_DIR, 0755) < 0 && errno == EPERM);
	/* Unfiltered syscalls still work. */
	CHECK(2, rmdir(NO_DIR) < 0 && errno == ENOENT);
	CHECK(3, syscall(SYS_getppid) == getppid());
	return 0;
}

static void test_errno_rule(void **state)
{
	struct spec_seccomp_rule rules[] = {
		{ .names = mkdir_names, .action = SCMP_ACT_ERRNO(0),
		  .errno_ret = { true, EPERM } },
	};
	struct spec_seccomp spec = {
		.set = true, .default_action = SCMP_ACT_ALLOW,
		.rules = rules, .n_rules = 1,
	};
	struct seccomp_prog prog = { 0 };

	compile_ok(&spec, &prog);
	assert_false(prog.notify);
	expect_child_ok(&prog, child_mkdir_eperm);
	seccomp_prog_clear(&prog);
	assert_null(prog.bpf);

	/* Without errnoRet, ERRNO means EPERM. */
	rules[0].errno_ret.set = false;
	compile_ok(&spec, &prog);
	expect_child_ok(&prog, child_mkdir_eperm);
	seccomp_prog_clear(&prog);
}

static int child_getppid_eacces(const struct seccomp_prog *prog)
{
	int rc = load_nnp(prog);

	if (rc)
		return rc;
	CHECK(1, syscall(SYS_getppid) < 0 && errno == EACCES);
	return 0;
}

static void test_errno_ret_value(void **state)
{
	struct spec_seccomp_rule rules[] = {
		{ .names = getppid_names, .action = SCMP_ACT_ERRNO(0),
		  .errno_ret = { true, EACCES } },
	};
	struct spec_seccomp spec = {
		.set = true, .default_action = SCMP_ACT_ALLOW,
		.rules = rules, .n_rules = 1,
	};
	struct seccomp_prog prog = { 0 };

	compile_ok(&spec, &prog);
	expect_child_ok(&prog, child_getppid_eacces);
	seccomp_prog_clear(&prog);
}

static int child_args_and(const struct seccomp_prog *prog)
{
	int rc = load_nnp(prog);

	if (rc)
		return rc;
	/* getpid ignores its arguments, but the filter sees the registers. */
	CHECK(1, sys3(SYS_getpid, 42, 7) < 0 && errno == EACCES);
	CHECK(2, sys3(SYS_getpid, 42, 0) == getpid());
	CHECK(3, sys3(SYS_getpid, 0, 7) == getpid());
	return 0;
}

static void test_args_and(void **state)
{
	struct spec_seccomp_arg args[] = {
		{ .index = 0, .value = 42, .op = SCMP_CMP_EQ },
		{ .index = 1, .value = 7, .op = SCMP_CMP_EQ },
	};
	struct spec_seccomp_rule rules[] = {
		{ .names = getpid_names, .action = SCMP_ACT_ERRNO(0),
		  .errno_ret = { true, EACCES }, .args = args, .n_args = 2 },
	};
	struct spec_seccomp spec = {
		.set = true, .default_action = SCMP_ACT_ALLOW,
		.rules = rules, .n_rules = 1,
	};
	struct seccomp_prog prog = { 0 };

	compile_ok(&spec, &prog);
	expect_child_ok(&prog, child_args_and);
	seccomp_prog_clear(&prog);
}

static int child_args_or(const struct seccomp_prog *prog)
{
	int rc = load_nnp(prog);

	if (rc)
		return rc;
	CHECK(1, syscall(SYS_personality, 0x1111UL) < 0 && errno == ENOTSUP);
	CHECK(2, syscall(SYS_personality, 0x2222UL) < 0 && errno == ENOTSUP);
	/* 0xffffffff only queries the persona. */
	CHECK(3, syscall(SYS_personality, 0xffffffffUL) >= 0);
	return 0;
}

static void test_args_duplicate_index_or(void **state)
{
	struct spec_seccomp_arg args[] = {
		{ .index = 0, .value = 0x1111, .op = SCMP_CMP_EQ },
		{ .index = 0, .value = 0x2222, .op = SCMP_CMP_EQ },
	};
	struct spec_seccomp_rule rules[] = {
		{ .names = personality_names, .action = SCMP_ACT_ERRNO(0),
		  .errno_ret = { true, ENOTSUP }, .args = args, .n_args = 2 },
	};
	struct spec_seccomp spec = {
		.set = true, .default_action = SCMP_ACT_ALLOW,
		.rules = rules, .n_rules = 1,
	};
	struct seccomp_prog prog = { 0 };

	compile_ok(&spec, &prog);
	expect_child_ok(&prog, child_args_or);
	seccomp_prog_clear(&prog);
}

static int child_masked_eq(const struct seccomp_prog *prog)
{
	int rc = load_nnp(prog);

	if (rc)
		return rc;
	CHECK(1, sys3(SYS_getpid, 0x3a, 0) < 0 && errno == EACCES);
	CHECK(2, sys3(SYS_getpid, 0x4a, 0) == getpid());
	return 0;
}

static void test_args_masked_eq(void **state)
{
	/* value is the mask, valueTwo what the masked argument must be. */
	struct spec_seccomp_arg args[] = {
		{ .index = 0, .value = 0xf0, .value_two = 0x30,
		  .op = SCMP_CMP_MASKED_EQ },
	};
	struct spec_seccomp_rule rules[] = {
		{ .names = getpid_names, .action = SCMP_ACT_ERRNO(0),
		  .errno_ret = { true, EACCES }, .args = args, .n_args = 1 },
	};
	struct spec_seccomp spec = {
		.set = true, .default_action = SCMP_ACT_ALLOW,
		.rules = rules, .n_rules = 1,
	};
	struct seccomp_prog prog = { 0 };

	compile_ok(&spec, &prog);
	expect_child_ok(&prog, child_masked_eq);
	seccomp_prog_clear(&prog);
}

static void test_unknown_name_skipped(void **state)
{
	static char *names[] = { "berth_no_such_syscall", "mkdir", "mkdirat",
				 NULL };
	static char *only_unknown[] = { "berth_no_such_syscall", NULL };
	struct spec_seccomp_rule rules[] = {
		{ .names = only_unknown, .action = SCMP_ACT_NOTIFY },
		{ .names = names, .action = SCMP_ACT_ERRNO(0) },
	};
	struct spec_seccomp spec = {
		.set = true, .default_action = SCMP_ACT_ALLOW,
		.rules = rules, .n_rules = 2,
	};
	struct seccomp_prog prog = { 0 };

	compile_ok(&spec, &prog);
	/* The notify rule added nothing, so no listener is needed. */
	assert_false(prog.notify);
	expect_child_ok(&prog, child_mkdir_eperm);
	seccomp_prog_clear(&prog);
}

static void test_default_action_rule_skipped(void **state)
{
	struct spec_seccomp_rule rules[] = {
		{ .names = getpid_names, .action = SCMP_ACT_ALLOW },
		{ .names = mkdir_names, .action = SCMP_ACT_ERRNO(0) },
	};
	struct spec_seccomp spec = {
		.set = true, .default_action = SCMP_ACT_ALLOW,
		.rules = rules, .n_rules = 2,
	};
	struct seccomp_prog prog = { 0 };

	compile_ok(&spec, &prog);
	expect_child_ok(&prog, child_mkdir_eperm);
	seccomp_prog_clear(&prog);

	/* Equal after errnoRet is merged: ERRNO(38) both. */
	spec.default_action = SCMP_ACT_ERRNO(0);
	spec.default_errno_ret = (struct opt_u64){ true, ENOSYS };
	rules[0].action = SCMP_ACT_ERRNO(0);
	rules[0].errno_ret = (struct opt_u64){ true, ENOSYS };
	rules[1].action = SCMP_ACT_ALLOW;
	compile_ok(&spec, &prog);
	seccomp_prog_clear(&prog);
}

static int child_enosys_allowlist(const struct seccomp_prog *prog)
{
	int rc = load_nnp(prog);

	if (rc)
		return rc;
	CHECK(1, syscall(SYS_getpid) > 0);
	CHECK(2, syscall(SYS_getppid) < 0 && errno == ENOSYS);
	CHECK(3, mkdir(NO_DIR, 0755) < 0 && errno == ENOSYS);
	return 0;
}

static void test_enosys_default_allowlist(void **state)
{
	static char *allowed[] = { "exit", "exit_group", "getpid",
				   "rt_sigreturn", "berth_future_syscall",
				   NULL };
	struct spec_seccomp_rule rules[] = {
		{ .names = allowed, .action = SCMP_ACT_ALLOW },
	};
	struct spec_seccomp spec = {
		.set = true, .default_action = SCMP_ACT_ERRNO(0),
		.default_errno_ret = { true, ENOSYS },
		.rules = rules, .n_rules = 1,
	};
	struct seccomp_prog prog = { 0 };

	compile_ok(&spec, &prog);
	expect_child_ok(&prog, child_enosys_allowlist);
	seccomp_prog_clear(&prog);
}

static int child_getppid_enosys(const struct seccomp_prog *prog)
{
	int rc = load_nnp(prog);

	if (rc)
		return rc;
	/* SCMP_ACT_TRACE with no tracer attached fails with ENOSYS. */
	CHECK(1, syscall(SYS_getppid) < 0 && errno == ENOSYS);
	return 0;
}

static int child_getppid(const struct seccomp_prog *prog)
{
	int rc = load_nnp(prog);

	if (rc)
		return rc;
	syscall(SYS_getppid);
	return 1;
}

static void test_trace_and_kill(void **state)
{
	struct spec_seccomp_rule rules[] = {
		{ .names = getppid_names, .action = SCMP_ACT_TRACE(0),
		  .errno_ret = { true, 5 } },
	};
	struct spec_seccomp spec = {
		.set = true, .default_action = SCMP_ACT_ALLOW,
		.rules = rules, .n_rules = 1,
	};
	struct seccomp_prog prog = { 0 };
	int status;

	compile_ok(&spec, &prog);
	expect_child_ok(&prog, child_getppid_enosys);
	seccomp_prog_clear(&prog);

	rules[0].action = SCMP_ACT_KILL_PROCESS;
	compile_ok(&spec, &prog);
	status = run_child(&prog, child_getppid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
	seccomp_prog_clear(&prog);
}

static int child_notify(const struct seccomp_prog *prog)
{
	berr_t err = NULL;
	int fd = -2;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return 200;
	/* Without a place for the listener fd the load must refuse. */
	CHECK(1, seccomp_prog_load(prog, NULL, &err) < 0);
	CHECK(2, strstr(err_msg(err), "SCMP_ACT_NOTIFY") != NULL);
	err_free(&err);
	CHECK(3, seccomp_prog_load(prog, &fd, &err) == 0);
	CHECK(4, fd >= 0);
	return 0;
}

static void test_notify(void **state)
{
	struct spec_seccomp_rule rules[] = {
		{ .names = getppid_names, .action = SCMP_ACT_NOTIFY },
	};
	struct spec_seccomp spec = {
		.set = true, .default_action = SCMP_ACT_ALLOW,
		.rules = rules, .n_rules = 1,
	};
	struct seccomp_prog prog = { 0 };

	compile_ok(&spec, &prog);
	assert_true(prog.notify);
	expect_child_ok(&prog, child_notify);
	seccomp_prog_clear(&prog);
}

static int child_no_nnp(const struct seccomp_prog *prog)
{
	berr_t err = NULL;

	/* As the container's init: no no_new_privs, CAP_SYS_ADMIN held. */
	CHECK(1, seccomp_prog_load(prog, NULL, &err) == 0);
	CHECK(2, mkdir(NO_DIR, 0755) < 0 && errno == EPERM);
	return 0;
}

static void test_load_without_nnp(void **state)
{
	struct spec_seccomp_rule rules[] = {
		{ .names = mkdir_names, .action = SCMP_ACT_ERRNO(0) },
	};
	struct spec_seccomp spec = {
		.set = true, .default_action = SCMP_ACT_ALLOW,
		.rules = rules, .n_rules = 1,
	};
	struct seccomp_prog prog = { 0 };

	if (geteuid() != 0)
		skip();
	compile_ok(&spec, &prog);
	expect_child_ok(&prog, child_no_nnp);
	seccomp_prog_clear(&prog);
}

static int child_bad_flags(const struct seccomp_prog *prog)
{
	berr_t err = NULL;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return 200;
	CHECK(1, seccomp_prog_load(prog, NULL, &err) < 0);
	CHECK(2, err->errnum == EINVAL);
	CHECK(3, strstr(err_msg(err), "seccomp: load filter") != NULL);
	err_free(&err);
	/* Nothing was installed. */
	CHECK(4, mkdir(NO_DIR, 0755) < 0 && errno == ENOENT);
	return 0;
}

static void test_flags(void **state)
{
	struct spec_seccomp_rule rules[] = {
		{ .names = mkdir_names, .action = SCMP_ACT_ERRNO(0) },
	};
	struct spec_seccomp spec = {
		.set = true, .default_action = SCMP_ACT_ALLOW,
		.flags = SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW,
		.rules = rules, .n_rules = 1,
	};
	struct seccomp_prog prog = { 0 };

	compile_ok(&spec, &prog);
	assert_int_equal(prog.flags, spec.flags);
	expect_child_ok(&prog, child_mkdir_eperm);

	prog.flags = 1u << 30;
	expect_child_ok(&prog, child_bad_flags);
	seccomp_prog_clear(&prog);
}

static void test_architectures(void **state)
{
	static char *arches[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86",
				  "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64",
				  "SCMP_ARCH_ARM", NULL };
	struct spec_seccomp_rule rules[] = {
		{ .names = mkdir_names, .action = SCMP_ACT_ERRNO(0) },
	};
	struct spec_seccomp spec = {
		.set = true, .default_action = SCMP_ACT_ALLOW,
		.rules = rules, .n_rules = 1,
	};
	struct seccomp_prog native = { 0 }, multi = { 0 };

	compile_ok(&spec, &native);
	spec.architectures = arches;
	compile_ok(&spec, &multi);
	assert_true(multi.len > native.len);
	expect_child_ok(&multi, child_mkdir_eperm);
	seccomp_prog_clear(&native);
	seccomp_prog_clear(&multi);
}

static void test_compile_errors(void **state)
{
	static char *bad_arches[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_VAX",
				      NULL };
	struct spec_seccomp_arg bad_index[] = {
		{ .index = 6, .value = 1, .op = SCMP_CMP_EQ },
	};
	struct spec_seccomp_arg bad_op[] = {
		{ .index = 0, .value = 1, .op = SCMP_CMP_EQ },
		{ .index = 1, .value = 1, .op = 99 },
	};
	struct spec_seccomp_rule rules[] = {
		{ .names = getpid_names, .action = SCMP_ACT_ERRNO(0) },
		{ .names = mkdir_names, .action = SCMP_ACT_ERRNO(0) },
	};
	struct spec_seccomp spec = {
		.set = true, .default_action = SCMP_ACT_ALLOW,
		.architectures = bad_arches, .rules = rules, .n_rules = 2,
	};

	compile_fails(&spec, "linux.seccomp.architectures[1]: unknown "
			     "architecture 'SCMP_ARCH_VAX'");
	spec.architectures = NULL;

	rules[1].args = bad_index;
	rules[1].n_args = 1;
	compile_fails(&spec, "linux.seccomp.syscalls[1].args[0].index: 6 "
			     "out of range");
	rules[1].args = bad_op;
	rules[1].n_args = 2;
	compile_fails(&spec, "linux.seccomp.syscalls[1].args[1].op: unknown "
			     "operator 99");
	rules[1].n_args = 0;

	rules[0].errno_ret = (struct opt_u64){ true, 70000 };
	compile_fails(&spec, "linux.seccomp.syscalls[0].errnoRet: 70000 out "
			     "of range");
	rules[0].errno_ret.set = false;

	spec.default_action = SCMP_ACT_ERRNO(0);
	spec.default_errno_ret = (struct opt_u64){ true, 1u << 20 };
	compile_fails(&spec, "linux.seccomp.defaultErrnoRet");
	spec.default_errno_ret.set = false;

	spec.default_action = 0x12345678;
	compile_fails(&spec, "linux.seccomp.defaultAction");
}

static void test_load_invalid_prog(void **state)
{
	struct seccomp_prog prog = { 0 };
	berr_t err = NULL;
	int fd = 5;

	/* Rejected before any syscall, so safe in this process. */
	assert_int_equal(seccomp_prog_load(&prog, &fd, &err), -1);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(err_msg(err), "invalid program"));
	err_free(&err);
	seccomp_prog_clear(&prog);
	seccomp_prog_clear(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_tables),
		cmocka_unit_test(test_errno_rule),
		cmocka_unit_test(test_errno_ret_value),
		cmocka_unit_test(test_args_and),
		cmocka_unit_test(test_args_duplicate_index_or),
		cmocka_unit_test(test_args_masked_eq),
		cmocka_unit_test(test_unknown_name_skipped),
		cmocka_unit_test(test_default_action_rule_skipped),
		cmocka_unit_test(test_enosys_default_allowlist),
		cmocka_unit_test(test_trace_and_kill),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_load_without_nnp),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_architectures),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_load_invalid_prog),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
