#include "runtime/caps.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"

/* Indexed by capability number; names as in the OCI spec. */
static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

#define N_CAP_NAMES ((int)(sizeof(cap_names) / sizeof(*cap_names)))

int spec_capability_number(const char *name)
{
	for (int i = 0; i < N_CAP_NAMES; i++)
		if (strcasecmp(cap_names[i], name) == 0)
			return i;
	return -1;
}

const char *spec_capability_name(int number)
{
	return number >= 0 && number < N_CAP_NAMES ? cap_names[number] : NULL;
}

int spec_capability_last(void)
{
	return N_CAP_NAMES - 1;
}

/* Asked of the kernel, not read from /proc/sys/kernel/cap_last_cap: by
 * the time this runs the process sees the container's /proc, which the
 * container controls. */
int caps_last_cap(void)
{
	int cap = 0;

	while (cap < 63 && prctl(PR_CAPBSET_READ, cap + 1, 0, 0, 0) >= 0)
		cap++;
	return cap;
}

int caps_drop_bounding(const struct spec_caps *caps, berr_t *err)
{
	int last = caps_last_cap();

	for (int cap = 0; cap <= last; cap++) {
		if (caps->bounding & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return err_sys(err, "drop %s from the bounding set",
				       spec_capability_name(cap) ?: "capability");
	}
	return 0;
}

int caps_apply(const struct spec_caps *caps, berr_t *err)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };
	int last = caps_last_cap();

	/* The kernel refuses effective bits outside permitted: as crun, an
	 * effective capability is permitted too (the bounding set, already
	 * applied, still limits both). */
	uint64_t permitted = caps->permitted | caps->effective;

	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(caps->effective >> (32 * i));
		data[i].permitted = (uint32_t)(permitted >> (32 * i));
		data[i].inheritable = (uint32_t)(caps->inheritable >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return err_sys(err, "set capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return err_sys(err, "clear ambient capabilities");
	for (int cap = 0; cap <= last; cap++) {
		if (!(caps->ambient & (1ULL << cap)))
			continue;
		/* Ambient needs the cap permitted and inheritable; runc and
		 * crun skip the ones that are not rather than fail. */
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0 &&
		    errno != EPERM && errno != EINVAL)
			return err_sys(err, "raise ambient %s",
				       spec_capability_name(cap) ?: "capability");
	}
	return 0;
}
