#include "runtime/seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "common/unix_socket.h"
#include <unistd.h>

#include "common/cleanup.h"

/* Older uapi headers lack the newer flags; the values are kernel ABI. */
#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* seccomp_data carries six syscall arguments. */
#define SECCOMP_MAX_ARGS 6

struct name_value {
	const char *name;
	uint64_t value;
};

/* ERRNO and TRACE are listed with data 0: the rule's errnoRet is merged in
 * by resolve_action() at compile time. */
static const struct name_value actions[] = {
	{ "SCMP_ACT_KILL", SCMP_ACT_KILL },
	{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
	{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
	{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
	{ "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0) },
	{ "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0) },
	{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
	{ "SCMP_ACT_LOG", SCMP_ACT_LOG },
	{ "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY },
	{ NULL, 0 },
};

static const struct name_value ops[] = {
	{ "SCMP_CMP_NE", SCMP_CMP_NE },
	{ "SCMP_CMP_LT", SCMP_CMP_LT },
	{ "SCMP_CMP_LE", SCMP_CMP_LE },
	{ "SCMP_CMP_EQ", SCMP_CMP_EQ },
	{ "SCMP_CMP_GE", SCMP_CMP_GE },
	{ "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
	{ NULL, 0 },
};

static const struct name_value flags[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
	{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
	{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
	  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
	{ NULL, 0 },
};

/* OCI names to libseccomp arch tokens; an arch the installed libseccomp
 * does not define is unknown rather than a build failure. */
static const struct name_value arches[] = {
	{ "SCMP_ARCH_X86", SCMP_ARCH_X86 },
	{ "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
	{ "SCMP_ARCH_X32", SCMP_ARCH_X32 },
	{ "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
	{ "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
	{ "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
	{ "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64 },
	{ "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32 },
	{ "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL },
	{ "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 },
	{ "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 },
	{ "SCMP_ARCH_PPC", SCMP_ARCH_PPC },
	{ "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64 },
	{ "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
	{ "SCMP_ARCH_S390", SCMP_ARCH_S390 },
	{ "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
#ifdef SCMP_ARCH_PARISC
	{ "SCMP_ARCH_PARISC", SCMP_ARCH_PARISC },
	{ "SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64 },
#endif
#ifdef SCMP_ARCH_RISCV64
	{ "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
#endif
#ifdef SCMP_ARCH_LOONGARCH64
	{ "SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64 },
#endif
#ifdef SCMP_ARCH_M68K
	{ "SCMP_ARCH_M68K", SCMP_ARCH_M68K },
#endif
	{ NULL, 0 },
};

static const struct name_value *lookup(const struct name_value *t,
				       const char *name)
{
	if (!name)
		return NULL;
	for (; t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

int64_t seccomp_action_from_name(const char *name)
{
	const struct name_value *e = lookup(actions, name);

	return e ? (int64_t)e->value : -1;
}

int seccomp_op_from_name(const char *name)
{
	const struct name_value *e = lookup(ops, name);

	return e ? (int)e->value : -1;
}

int seccomp_flag_from_name(const char *name, unsigned *flag)
{
	const struct name_value *e = lookup(flags, name);

	if (!e)
		return -1;
	*flag = (unsigned)e->value;
	return 0;
}

int seccomp_arch_known(const char *name)
{
	return lookup(arches, name) ? 1 : 0;
}

static void cleanup_scmp_fn(scmp_filter_ctx *ctx)
{
	int saved = errno;

	if (*ctx)
		seccomp_release(*ctx);
	errno = saved;
}

#define cleanup_scmp __attribute__((cleanup(cleanup_scmp_fn)))

/* libseccomp returns -errno; report it like a failed syscall. */
__attribute__((format(printf, 3, 4)))
static int scmp_fail(berr_t *err, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, -rc, true, fmt, ap);
	va_end(ap);
	return -1;
}

/* Merge errnoRet into ERRNO (default EPERM) and TRACE (default 0), as runc
 * does; other actions carry no data and ignore errnoRet like runc. */
static int resolve_action(uint32_t action, const struct opt_u64 *ret,
			  const char *field, uint32_t *out, berr_t *err)
{
	uint32_t base = action & SECCOMP_RET_ACTION_FULL;
	uint64_t data;

	if (base != SCMP_ACT_ERRNO(0) && base != SCMP_ACT_TRACE(0)) {
		*out = action;
		return 0;
	}
	data = base == SCMP_ACT_ERRNO(0) ? EPERM : 0;
	if (ret->set)
		data = ret->v;
	if (data > SECCOMP_RET_DATA)
		return err_set(err, ERANGE, "%s: %llu out of range (max %u)",
			       field, (unsigned long long)data,
			       SECCOMP_RET_DATA);
	*out = base | (uint32_t)data;
	return 0;
}

static int add_arches(scmp_filter_ctx ctx, char **names, berr_t *err)
{
	for (size_t i = 0; names && names[i]; i++) {
		const struct name_value *e = lookup(arches, names[i]);
		int rc;

		if (!e)
			return err_set(err, EINVAL, "linux.seccomp.architectures"
				       "[%zu]: unknown architecture '%s'", i,
				       names[i]);
		rc = seccomp_arch_add(ctx, (uint32_t)e->value);
		/* The native arch is in every new filter already. */
		if (rc < 0 && rc != -EEXIST)
			return scmp_fail(err, rc, "linux.seccomp.architectures"
					 "[%zu]: add '%s'", i, names[i]);
	}
	return 0;
}

/* Turn the rule's args into libseccomp conditions.  *split is set when an
 * argument index repeats: see add_for_name(). */
static int build_conds(const struct spec_seccomp_rule *rule, size_t ri,
		       struct scmp_arg_cmp *conds, bool *split, berr_t *err)
{
	unsigned seen = 0;

	*split = false;
	for (size_t i = 0; i < rule->n_args; i++) {
		const struct spec_seccomp_arg *a = &rule->args[i];

		if (a->index >= SECCOMP_MAX_ARGS)
			return err_set(err, EINVAL, "linux.seccomp.syscalls"
				       "[%zu].args[%zu].index: %u out of range "
				       "(max %d)", ri, i, a->index,
				       SECCOMP_MAX_ARGS - 1);
		if (a->op < SCMP_CMP_NE || a->op > SCMP_CMP_MASKED_EQ)
			return err_set(err, EINVAL, "linux.seccomp.syscalls"
				       "[%zu].args[%zu].op: unknown operator %d",
				       ri, i, a->op);
		if (seen & (1u << a->index))
			*split = true;
		seen |= 1u << a->index;
		/* For MASKED_EQ, value is the mask and valueTwo the result. */
		conds[i] = (struct scmp_arg_cmp){
			.arg = a->index,
			.op = (enum scmp_compare)a->op,
			.datum_a = a->value,
			.datum_b = a->value_two,
		};
	}
	return 0;
}

/* Distinct argument indexes are ANDed in one rule.  A repeated index can
 * never match twice in one call, so runc gives it the older meaning of OR
 * and adds one rule per condition -- all of the rule's conditions, not only
 * the repeated ones; we do the same so that runc profiles behave alike.
 * Non-exact adds let libseccomp adapt a rule per architecture. */
static int add_for_name(scmp_filter_ctx ctx, int nr, uint32_t action,
			const struct scmp_arg_cmp *conds, size_t n, bool split)
{
	int rc;

	if (!split)
		return seccomp_rule_add_array(ctx, action, nr, (unsigned)n,
					      conds);
	for (size_t i = 0; i < n; i++) {
		rc = seccomp_rule_add_array(ctx, action, nr, 1, &conds[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, const struct spec_seccomp *spec,
		    size_t ri, uint32_t def, bool *notify, berr_t *err)
{
	const struct spec_seccomp_rule *rule = &spec->rules[ri];
	cleanup_free struct scmp_arg_cmp *conds = NULL;
	char field[64], ret_field[80];
	uint32_t action;
	bool split;

	snprintf(field, sizeof(field), "linux.seccomp.syscalls[%zu]", ri);
	snprintf(ret_field, sizeof(ret_field), "%s.errnoRet", field);
	if (resolve_action(rule->action, &rule->errno_ret, ret_field, &action,
			   err) < 0)
		return -1;
	/* libseccomp refuses a rule equal to the default (EACCES): it would
	 * change nothing, so it is dropped as runc and crun do. */
	if (action == def || !rule->names)
		return 0;
	if (rule->n_args) {
		conds = calloc(rule->n_args, sizeof(*conds));
		if (!conds)
			return err_sys(err, "%s.args", field);
	}
	if (build_conds(rule, ri, conds, &split, err) < 0)
		return -1;
	for (size_t i = 0; rule->names[i]; i++) {
		int nr = seccomp_syscall_resolve_name(rule->names[i]);
		int rc;

		/* Profiles list syscalls of newer kernels and other arches
		 * than this libseccomp knows: skip them like runc and crun. */
		if (nr == __NR_SCMP_ERROR)
			continue;
		rc = add_for_name(ctx, nr, action, conds, rule->n_args, split);
		if (rc < 0)
			return scmp_fail(err, rc, "%s.names[%zu]: add rule for "
					 "'%s'", field, i, rule->names[i]);
		if (action == SCMP_ACT_NOTIFY)
			*notify = true;
	}
	return 0;
}

/* Bounded read of the whole memfd; the size was checked by the caller. */
static int read_all(int fd, void *buf, size_t len, berr_t *err)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
				  (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(err, "linux.seccomp: read BPF program");
		if (n == 0)
			return err_set(err, EIO, "linux.seccomp: BPF program "
				       "truncated at %zu of %zu bytes", done,
				       len);
		done += (size_t)n;
	}
	return 0;
}

/* libseccomp 2.5 can only export to an fd (seccomp_export_bpf_mem came in
 * 2.6), so the program goes through a memfd. */
static int export_bpf(scmp_filter_ctx ctx, struct seccomp_prog *prog,
		      berr_t *err)
{
	cleanup_close int fd = -1;
	cleanup_free void *buf = NULL;
	off_t size;
	int rc;

	fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "linux.seccomp: memfd_create");
	rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0)
		return scmp_fail(err, rc, "linux.seccomp: export BPF");
	size = lseek(fd, 0, SEEK_END);
	if (size < 0)
		return err_sys(err, "linux.seccomp: size BPF program");
	/* Fail here, not in the container: the kernel takes at most
	 * BPF_MAXINSNS instructions. */
	if (size == 0 || size % sizeof(struct sock_filter) ||
	    size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return err_set(err, E2BIG, "linux.seccomp: filter of %lld "
			       "bytes; the kernel takes at most %d "
			       "instructions", (long long)size, BPF_MAXINSNS);
	buf = malloc((size_t)size);
	if (!buf)
		return err_sys(err, "linux.seccomp: BPF program");
	if (read_all(fd, buf, (size_t)size, err) < 0)
		return -1;
	prog->bpf = take_ptr(buf);
	prog->len = (size_t)size;
	return 0;
}

/* spec->flags go to seccomp(2) as they are (prog->flags): we load the
 * exported BPF ourselves, so libseccomp's filter attributes for TSYNC, LOG
 * or SPEC_ALLOW would have no effect. */
int seccomp_compile(const struct spec_seccomp *spec, struct seccomp_prog *out,
		    berr_t *err)
{
	cleanup_scmp scmp_filter_ctx ctx = NULL;
	struct seccomp_prog prog = { .flags = spec->flags };
	uint32_t def;

	if (resolve_action(spec->default_action, &spec->default_errno_ret,
			   "linux.seccomp.defaultErrnoRet", &def, err) < 0)
		return -1;
	ctx = seccomp_init(def);
	if (!ctx)
		return err_set(err, EINVAL, "linux.seccomp.defaultAction: "
			       "libseccomp rejects action %#x", def);
	prog.notify = def == SCMP_ACT_NOTIFY;
	if (add_arches(ctx, spec->architectures, err) < 0)
		return -1;
	for (size_t i = 0; i < spec->n_rules; i++)
		if (add_rule(ctx, spec, i, def, &prog.notify, err) < 0)
			return -1;
	if (export_bpf(ctx, &prog, err) < 0)
		return -1;
	*out = prog;
	return 0;
}

/* Without no_new_privs the kernel wants CAP_SYS_ADMIN, which the init
 * still holds here; a missing one shows up as EACCES. */
int seccomp_prog_load(const struct seccomp_prog *prog, int *notify_fd,
		      berr_t *err)
{
	size_t count = prog->len / sizeof(struct sock_filter);
	struct sock_fprog fprog = {
		.len = (unsigned short)count,
		.filter = prog->bpf,
	};
	unsigned long fl = prog->flags;
	long rc;

	if (notify_fd)
		*notify_fd = -1;
	if (!prog->bpf || !count || count > BPF_MAXINSNS ||
	    prog->len % sizeof(struct sock_filter))
		return err_set(err, EINVAL, "seccomp: invalid program of %zu "
			       "bytes", prog->len);
	/* The listener fd would leak with nobody to hand it to. */
	if (prog->notify && !notify_fd)
		return err_set(err, EINVAL, "seccomp: the filter has "
			       "SCMP_ACT_NOTIFY rules but no listener is "
			       "expected");
	if (prog->notify)
		fl |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, fl, &fprog);
	if (rc < 0 && errno == EACCES)
		return err_sys(err, "seccomp: load filter (needs "
			       "no_new_privs or CAP_SYS_ADMIN)");
	if (rc < 0)
		return err_sys(err, "seccomp: load filter (flags %#lx)", fl);
	if (prog->notify)
		*notify_fd = (int)rc;
	return 0;
}

void seccomp_prog_clear(struct seccomp_prog *prog)
{
	if (!prog)
		return;
	free(prog->bpf);
	*prog = (struct seccomp_prog){ 0 };
}

static json_t *names_of(const struct name_value *t)
{
	json_t *arr = json_array();

	for (; arr && t->name; t++)
		json_array_append_new(arr, json_string(t->name));
	return arr;
}

json_t *seccomp_features(void)
{
	const struct scmp_version *v = seccomp_version();
	char version[32];

	snprintf(version, sizeof(version), "%u.%u.%u", v->major, v->minor, v->micro);
	return json_pack("{s:b, s:o, s:o, s:o, s:o, s:o, s:s}", "enabled", 1,
			 "actions", names_of(actions), "operators", names_of(ops),
			 "archs", names_of(arches), "knownFlags", names_of(flags),
			 "supportedFlags", names_of(flags), "libseccompVersion", version);
}

int seccomp_send_listener(const struct seccomp_listener *l, int notify_fd,
			  berr_t *err)
{
	json_t *state = json_loads(l->state_json ? l->state_json : "{}", 0, NULL);
	json_t *pid = json_object_get(state, "pid");
	json_t *msg = json_pack("{s:s, s:[s], s:I, s:s, s:o}", "ociVersion", "0.2.0",
				"fds", "seccompFd", "pid",
				(json_int_t)(pid ? json_integer_value(pid) : 0),
				"metadata", l->metadata ? l->metadata : "",
				"state", state ? state : json_object());
	char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	int r;

	json_decref(msg);
	if (!text)
		return err_set(err, ENOMEM, "linux.seccomp.listenerPath: encode the state");
	r = unix_send_fd(l->sock, notify_fd, text, strlen(text), err);
	free(text);
	return r < 0 ? err_prefix(err, "linux.seccomp.listenerPath") : 0;
}
