#include <errno.h>

#include "cli/runtime/runtime.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"
#include "runtime/spec_internal.h"

static json_t *capabilities(void)
{
	json_t *arr = json_array();

	for (int i = 0; arr && i <= spec_capability_last(); i++)
		json_array_append_new(arr, json_string(spec_capability_name(i)));
	return arr;
}

static json_t *mount_options(void)
{
	size_t n;
	const char *const *names = spec_mount_option_names(&n);
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_string(names[i]));
	return arr;
}

int rt_features(struct rt_globals *g, int argc, char **argv, berr_t *err)
{
	json_auto_t *f = json_pack(
		"{s:s, s:s, s:[s,s,s,s,s,s], s:o, s:{s:[s,s,s,s,s,s,s,s], s:o,"
		" s:{s:b,s:b,s:b,s:b,s:b}, s:o, s:{s:b}, s:{s:b}, s:{s:b},"
		" s:{s:{s:b}}}, s:{s:s}}",
		"ociVersionMin", "1.0.0", "ociVersionMax", "1.2.0",
		"hooks", "prestart", "createRuntime", "createContainer",
		"startContainer", "poststart", "poststop",
		"mountOptions", mount_options(),
		"linux", "namespaces", "cgroup", "ipc", "mount", "network", "pid",
		"time", "user", "uts",
		"capabilities", capabilities(),
		"cgroup", "v1", 1, "v2", 1, "systemd", 0, "systemdUser", 0, "rdma", 0,
		"seccomp", seccomp_features(),
		"apparmor", "enabled", 0, "selinux", "enabled", 0,
		"intelRdt", "enabled", 0,
		"mountExtensions", "idmap", "enabled", 1,
		"annotations", "org.berth.runtime.version", "0.1.0");

	if (argc > 1)
		return err_set(err, EINVAL, "features: takes no arguments");
	if (!f)
		return err_set(err, ENOMEM, "features: encode JSON");
	return rt_print_json(f, err);
}
