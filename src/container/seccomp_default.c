/* A deny list, not docker's allow list: the syscalls below are those
 * docker's default profile refuses to a container without the matching
 * capability (kernel modules, clocks, mounts and namespaces, tracing,
 * keyrings, reboot, swap, BPF, perf, ...).  An allow list also refuses
 * syscalls newer than itself; that is the stricter design and the next
 * step (it needs a syscall table per architecture). */
#include "container/seccomp_default.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

struct denied {
	const char *cap; /* the capability that allows them, or NULL */
	const char *const *names;
};

static const char *const always[] = {
	"add_key", "keyctl", "request_key", "kexec_file_load", "kexec_load",
	"open_by_handle_at", "userfaultfd", "uselib", "ustat", "vm86", "vm86old",
	"_sysctl", "sysfs", "nfsservctl", "get_kernel_syms", "query_module",
	"create_module", "lookup_dcookie", "perf_event_open", "bpf", NULL,
};
static const char *const sys_admin[] = {
	"mount", "umount", "umount2", "unshare", "setns", "pivot_root", "quotactl",
	"name_to_handle_at", "fsopen", "fsconfig", "fsmount", "fspick",
	"move_mount", "open_tree", "mount_setattr", "swapon", "swapoff",
	"setdomainname", "sethostname", "iopl", "ioperm", NULL,
};
static const char *const sys_module[] = { "init_module", "finit_module",
					  "delete_module", NULL };
static const char *const sys_time[] = { "settimeofday", "stime", "clock_settime",
					"clock_settime64", "adjtimex", "clock_adjtime",
					"clock_adjtime64", NULL };
static const char *const sys_ptrace[] = { "ptrace", "process_vm_readv",
					  "process_vm_writev", "kcmp", NULL };
static const char *const sys_boot[] = { "reboot", NULL };
static const char *const sys_pacct[] = { "acct", NULL };
static const char *const sys_nice[] = { "mbind", "set_mempolicy", "migrate_pages",
					"move_pages", NULL };

static const struct denied denied[] = {
	{ NULL, always },	       { "SYS_ADMIN", sys_admin },
	{ "SYS_MODULE", sys_module }, { "SYS_TIME", sys_time },
	{ "SYS_PTRACE", sys_ptrace }, { "SYS_BOOT", sys_boot },
	{ "SYS_PACCT", sys_pacct },   { "SYS_NICE", sys_nice },
};

static bool added(char *const *cap_add, const char *cap)
{
	for (size_t i = 0; cap_add && cap_add[i]; i++) {
		const char *c = cap_add[i];

		if (!strncasecmp(c, "CAP_", 4))
			c += 4;
		if (!strcasecmp(c, cap) || !strcasecmp(c, "ALL"))
			return true;
	}
	return false;
}

/* clone() asking for any new namespace (flags in arg 0 on x86_64); the
 * conditions on one argument are alternatives.  clone3 gets ENOSYS, so
 * libc falls back to clone, whose flags can be checked. */
static json_t *clone_rule(const unsigned long *flags, size_t n)
{
	json_t *args = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(args, json_pack("{s:i,s:I,s:I,s:s}", "index", 0,
						      "value", (json_int_t)flags[i],
						      "valueTwo", (json_int_t)flags[i],
						      "op", "SCMP_CMP_MASKED_EQ"));
	return json_pack("{s:[s],s:s,s:i,s:o}", "names", "clone", "action",
			 "SCMP_ACT_ERRNO", "errnoRet", 1, "args", args);
}

static json_t *namespace_clone_rules(void)
{
	/* CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC | NEWUSER, NEWPID, NEWNET:
	 * two rules, as a rule takes at most six conditions. */
	static const unsigned long flags[] = { 0x00020000, 0x02000000, 0x04000000,
					       0x08000000, 0x10000000, 0x20000000,
					       0x40000000 };

	return json_pack("[o,o,{s:[s],s:s,s:i}]", clone_rule(flags, 4),
			 clone_rule(flags + 4, 3), "names", "clone3", "action",
			 "SCMP_ACT_ERRNO", "errnoRet", 38);
}

json_t *seccomp_default_profile(char *const *cap_add)
{
	json_t *names = json_array(), *rules;

	for (size_t d = 0; d < sizeof(denied) / sizeof(*denied); d++) {
		if (denied[d].cap && added(cap_add, denied[d].cap))
			continue;
		for (size_t i = 0; denied[d].names[i]; i++)
			json_array_append_new(names, json_string(denied[d].names[i]));
	}
	rules = json_pack("[{s:o, s:s, s:i}]", "names", names, "action", "SCMP_ACT_ERRNO",
			  "errnoRet", 1);
	if (!added(cap_add, "SYS_ADMIN")) {
		json_t *clone_rules = namespace_clone_rules();

		json_array_extend(rules, clone_rules);
		json_decref(clone_rules);
	}
	return json_pack("{s:s, s:o}", "defaultAction", "SCMP_ACT_ALLOW", "syscalls", rules);
}
