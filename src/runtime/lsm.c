#include "runtime/lsm.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/log.h"

static bool apparmor_enabled(void)
{
	char c = 0;
	int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == 'Y';
}

static bool selinux_enabled(void)
{
	return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

void lsm_warn_unsupported(const struct spec *spec)
{
	const struct spec_process *p = spec->process;

	if (p && p->apparmor_profile && !apparmor_enabled())
		log_warn("process.apparmorProfile: AppArmor is not enabled on this host; '%s' ignored",
			 p->apparmor_profile);
	if (p && p->selinux_label && !selinux_enabled())
		log_warn("process.selinuxLabel: SELinux is not enabled on this host; '%s' ignored",
			 p->selinux_label);
	if (spec->linux.mount_label)
		log_warn("linux.mountLabel: '%s' ignored (%s)", spec->linux.mount_label,
			 selinux_enabled() ? "mount labels are not applied yet"
					   : "SELinux is not enabled on this host");
}

static int write_attr(const char *file, const char *value, const char *field,
		      berr_t *err)
{
	if (fs_write_file_at(AT_FDCWD, file, value, strlen(value), err) < 0)
		return err_prefix(err, "%s", field);
	return 0;
}

int lsm_apply_exec_label(const struct spec_process *p, berr_t *err)
{
	char buf[4096];

	if (p->apparmor_profile && apparmor_enabled()) {
		snprintf(buf, sizeof(buf), "exec %s", p->apparmor_profile);
		if (write_attr(access("/proc/thread-self/attr/apparmor/exec", F_OK) == 0 ?
				       "/proc/thread-self/attr/apparmor/exec" :
				       "/proc/thread-self/attr/exec",
			       buf, "process.apparmorProfile", err) < 0)
			return -1;
	}
	if (p->selinux_label && selinux_enabled() &&
	    write_attr("/proc/thread-self/attr/exec", p->selinux_label,
		       "process.selinuxLabel", err) < 0)
		return -1;
	return 0;
}
