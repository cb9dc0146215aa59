/* The config.json `spec` writes: what runc writes, with berth's hostname;
 * --rootless adds a user namespace mapping the caller to root. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "runtime/spec_default.h"

static const char default_spec[] =
	"{\"ociVersion\":\"1.2.0\","
	"\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},"
	"\"args\":[\"sh\"],"
	"\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"TERM=xterm\"],"
	"\"cwd\":\"/\","
	"\"capabilities\":{"
	"\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
	"\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
	"\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
	"\"ambient\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},"
	"\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
	"\"noNewPrivileges\":true},"
	"\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
	"\"hostname\":\"berth\","
	"\"mounts\":["
	"{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
	"{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
	"\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
	"{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
	"\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]},"
	"{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
	"{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
	"{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
	"{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
	"\"linux\":{"
	"\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
	"\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},"
	"{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}],"
	"\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\","
	"\"/proc/latency_stats\",\"/proc/timer_list\",\"/proc/timer_stats\","
	"\"/proc/sched_debug\",\"/sys/firmware\",\"/proc/scsi\"],"
	"\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\","
	"\"/proc/sysrq-trigger\"]}}";

/* Rootless: no network namespace of its own to configure, the host's /sys
 * bound (sysfs needs a network namespace owned by the user namespace), no
 * gid=5 on devpts (unmapped), no cgroup limits. */
static int make_rootless(json_t *spec)
{
	json_t *linux = json_object_get(spec, "linux");
	json_t *ns = json_object_get(linux, "namespaces"), *mounts, *m;
	size_t i;

	for (i = 0; i < json_array_size(ns); i++)
		if (strcmp(json_string_value(json_object_get(json_array_get(ns, i), "type")),
			   "network") == 0)
			json_array_remove(ns, i--);
	json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
	json_object_set_new(linux, "uidMappings",
			    json_pack("[{s:i,s:i,s:i}]", "containerID", 0, "hostID",
				      (json_int_t)geteuid(), "size", 1));
	json_object_set_new(linux, "gidMappings",
			    json_pack("[{s:i,s:i,s:i}]", "containerID", 0, "hostID",
				      (json_int_t)getegid(), "size", 1));
	json_object_del(linux, "resources");
	mounts = json_object_get(spec, "mounts");
	json_array_foreach(mounts, i, m) {
		const char *dest = json_string_value(json_object_get(m, "destination"));

		if (strcmp(dest, "/sys") == 0)
			json_array_set_new(mounts, i,
					   json_pack("{s:s,s:s,s:s,s:[s,s,s,s,s]}", "destination",
						     "/sys", "type", "none", "source", "/sys",
						     "options", "rbind", "nosuid", "noexec", "nodev",
						     "ro"));
		else if (strcmp(dest, "/dev/pts") == 0)
			json_array_remove(json_object_get(m, "options"), 5);
	}
	return 0;
}

json_t *spec_default(bool rootless)
{
	json_t *spec = json_loads(default_spec, 0, NULL);

	if (spec && rootless)
		make_rootless(spec);
	return spec;
}
