/* The OCI runtime configuration (config.json) as C values.
 *
 * spec_parse() checks every field up front, before the runtime touches the
 * host, so a bad config changes nothing.  Optional scalars carry a `set`
 * flag; arrays carry their length. */
#ifndef BERTH_RUNTIME_SPEC_H
#define BERTH_RUNTIME_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

struct opt_i64 {
	bool set;
	int64_t v;
};

struct opt_u64 {
	bool set;
	uint64_t v;
};

struct spec_idmap {
	uint32_t container_id, host_id, size;
};

struct spec_mount {
	char *destination;
	char *type;   /* may be NULL for bind mounts */
	char *source; /* may be NULL */
	unsigned long flags;       /* MS_* to set */
	unsigned long propagation; /* MS_PRIVATE/SHARED/SLAVE/UNBINDABLE [|MS_REC] */
	uint64_t attr_set, attr_clr; /* MOUNT_ATTR_* applied recursively */
	char *data;                  /* options the kernel parses (mode=, size=) */
	bool bind;                   /* MS_BIND given (bind or rbind) */
	bool tmpcopyup;
	bool idmap, ridmap;          /* idmapped mount (recursively) */
	struct spec_idmap *uid_mappings, *gid_mappings; /* for idmap */
	size_t n_uid_mappings, n_gid_mappings;
};

struct spec_rlimit {
	int resource; /* RLIMIT_* */
	uint64_t soft, hard;
};

struct spec_user {
	uint32_t uid, gid;
	struct opt_u64 umask;
	uint32_t *additional_gids;
	size_t n_additional_gids;
};

/* Capability sets as bit masks (bit N = capability N). */
struct spec_caps {
	uint64_t bounding, effective, inheritable, permitted, ambient;
	bool set; /* process.capabilities present at all */
};

struct spec_scheduler {
	bool set;
	int policy;
	int32_t nice, priority;
	uint64_t flags, runtime, deadline, period;
};

struct spec_process {
	bool terminal;
	struct opt_u64 console_height, console_width;
	struct spec_user user;
	char **args; /* NULL-terminated */
	char **env;  /* NULL-terminated, may be empty */
	char *cwd;
	struct spec_caps caps;
	struct spec_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	struct opt_i64 oom_score_adj;
	char *apparmor_profile, *selinux_label;
	struct spec_scheduler scheduler;
	struct opt_i64 ioprio; /* already encoded IOPRIO_PRIO_VALUE */
	char *cpu_affinity_initial, *cpu_affinity_final;
};

struct spec_hook {
	char *path;
	char **args; /* NULL-terminated, may be NULL */
	char **env;  /* NULL-terminated, may be NULL */
	struct opt_i64 timeout; /* seconds */
};

enum spec_hook_kind {
	HOOK_PRESTART,
	HOOK_CREATE_RUNTIME,
	HOOK_CREATE_CONTAINER,
	HOOK_START_CONTAINER,
	HOOK_POSTSTART,
	HOOK_POSTSTOP,
	HOOK_KINDS
};

/* Name of a hook list in config.json ("createRuntime"). */
const char *spec_hook_name(enum spec_hook_kind kind);

struct spec_hook_list {
	struct spec_hook *hooks;
	size_t n;
};

struct spec_namespace {
	int type;   /* CLONE_NEW* */
	char *path; /* join this namespace; NULL creates a new one */
};

struct spec_device {
	char type; /* 'c', 'b', 'u' or 'p' */
	char *path;
	int64_t major, minor;
	struct opt_u64 file_mode, uid, gid;
};

struct spec_device_rule {
	bool allow;
	char type;             /* 'a', 'c' or 'b' */
	int64_t major, minor;  /* -1 means any */
	char access[4];        /* subset of "rwm" */
};

struct spec_weight_device {
	int64_t major, minor;
	struct opt_u64 weight, leaf_weight;
};

struct spec_throttle_device {
	int64_t major, minor;
	uint64_t rate;
};

struct spec_kv {
	char *key, *value;
};

struct spec_hugepage {
	char *page_size; /* "2MB", "1GB" */
	uint64_t limit;
};

struct spec_resources {
	struct {
		struct opt_i64 limit, reservation, swap, kernel, kernel_tcp;
		struct opt_u64 swappiness;
		bool disable_oom_killer, use_hierarchy, check_before_update;
	} memory;
	struct {
		struct opt_u64 shares, period, realtime_period, burst;
		struct opt_i64 quota, realtime_runtime, idle;
		char *cpus, *mems;
	} cpu;
	struct opt_i64 pids_limit;
	struct {
		struct opt_u64 weight, leaf_weight;
		struct spec_weight_device *weight_devices;
		size_t n_weight_devices;
		/* read bps, write bps, read iops, write iops */
		struct spec_throttle_device *throttle[4];
		size_t n_throttle[4];
	} blkio;
	struct spec_hugepage *hugepages;
	size_t n_hugepages;
	struct spec_device_rule *devices;
	size_t n_devices;
	struct {
		struct opt_u64 class_id;
		struct spec_kv *priorities; /* value holds the priority */
		size_t n_priorities;
	} network;
	struct spec_kv *unified; /* cgroup v2 file -> value */
	size_t n_unified;
};

/* Seccomp, kept close to the JSON: seccomp.c turns it into BPF. */
struct spec_seccomp_arg {
	unsigned index;
	uint64_t value, value_two;
	int op; /* enum scmp_compare */
};

struct spec_seccomp_rule {
	char **names; /* NULL-terminated */
	uint32_t action;
	struct opt_u64 errno_ret;
	struct spec_seccomp_arg *args;
	size_t n_args;
};

struct spec_seccomp {
	bool set;
	uint32_t default_action;
	struct opt_u64 default_errno_ret;
	char **architectures; /* NULL-terminated, may be empty */
	unsigned flags;       /* SECCOMP_FILTER_FLAG_* */
	char *listener_path, *listener_metadata;
	struct spec_seccomp_rule *rules;
	size_t n_rules;
};

struct spec_linux {
	struct spec_namespace *namespaces;
	size_t n_namespaces;
	struct spec_idmap *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	struct {
		bool set;
		int64_t monotonic_secs, boottime_secs;
		uint32_t monotonic_nsecs, boottime_nsecs;
	} time_offsets;
	struct spec_device *devices;
	size_t n_devices;
	char *cgroups_path;
	struct spec_resources resources;
	bool has_resources;
	unsigned long rootfs_propagation; /* 0: default (rslave/private) */
	struct spec_seccomp seccomp;
	struct spec_kv *sysctl;
	size_t n_sysctl;
	char **masked_paths;   /* NULL-terminated */
	char **readonly_paths; /* NULL-terminated */
	char *mount_label;
	struct opt_u64 personality; /* PER_LINUX / PER_LINUX32 | flags */
};

struct spec {
	char *oci_version;
	char *root_path; /* as written; resolved against the bundle later */
	bool root_readonly;
	struct spec_mount *mounts;
	size_t n_mounts;
	struct spec_process *process; /* NULL when absent */
	char *hostname, *domainname;
	struct spec_hook_list hooks[HOOK_KINDS];
	json_t *annotations; /* object of strings, never NULL */
	struct spec_linux linux;
	json_t *json;        /* the parsed document, for state and hooks */
};

/* Parse and check a whole config.json document.  name is used in error
 * messages ("config.json").  On failure nothing is allocated. */
int spec_parse(const char *text, size_t len, const char *name,
	       struct spec **out, berr_t *err);

/* Read and parse dir/config.json (or path when it names a file). */
int spec_load(const char *path, struct spec **out, berr_t *err);

/* Parse a process object alone (runtime exec --process). */
int spec_parse_process(json_t *obj, const char *where,
		       struct spec_process **out, berr_t *err);

/* Parse linux.resources alone (runtime update --resources). */
int spec_parse_resources(json_t *obj, const char *where,
			 struct spec_resources *out, berr_t *err);

void spec_free(struct spec *spec);
void spec_process_free(struct spec_process *p);
void spec_resources_clear(struct spec_resources *r);

/* Namespace type name ("pid") for a CLONE_NEW* flag, and back. */
const char *spec_namespace_name(int type);
int spec_namespace_type(const char *name);

/* "RLIMIT_NOFILE" for RLIMIT_NOFILE. */
const char *spec_rlimit_name(int resource);

/* The namespace's name under /proc/PID/ns ("net" for CLONE_NEWNET). */
const char *spec_namespace_proc_name(int type);

/* Index into caps tables: the capability number for "CAP_SYS_ADMIN". */
int spec_capability_number(const char *name);
const char *spec_capability_name(int number);
int spec_capability_last(void);

#endif
