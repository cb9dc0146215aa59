#include "runtime/lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"

void lsm_probe(struct lsm_host *host)
{
	cleanup_close int fd = open("/sys/module/apparmor/parameters/enabled",
				    O_RDONLY | O_CLOEXEC);
	char c = 0;

	host->apparmor = fd >= 0 && read(fd, &c, 1) == 1 && c == 'Y';
	host->selinux = access("/sys/fs/selinux/enforce", F_OK) == 0;
}

void lsm_warn_unsupported(const struct spec *spec, const struct lsm_host *host)
{
	const struct spec_process *p = spec->process;

	if (p && p->apparmor_profile && !host->apparmor)
		log_warn("process.apparmorProfile: AppArmor is not enabled on this host; '%s' ignored",
			 p->apparmor_profile);
	if (p && p->selinux_label && !host->selinux)
		log_warn("process.selinuxLabel: SELinux is not enabled on this host; '%s' ignored",
			 p->selinux_label);
	if (spec->linux.mount_label)
		log_warn("linux.mountLabel: '%s' ignored (%s)", spec->linux.mount_label,
			 host->selinux ? "mount labels are not applied yet"
				       : "SELinux is not enabled on this host");
}

static int write_attr(const char *file, const char *value, const char *field,
		      berr_t *err)
{
	cleanup_close int fd = open(file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	struct statfs sfs;
	size_t len = strlen(value);

	if (fd < 0)
		return err_sys(err, "%s: open '%s'", field, file);
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		return err_set(err, EPERM, "%s: '%s' is not on procfs", field, file);
	if (write(fd, value, len) != (ssize_t)len)
		return err_sys(err, "%s: write '%s'", field, file);
	return 0;
}

int lsm_apply_exec_label(const struct spec_process *p,
			 const struct lsm_host *host, berr_t *err)
{
	char buf[4096];

	if (p->apparmor_profile && host->apparmor) {
		snprintf(buf, sizeof(buf), "exec %s", p->apparmor_profile);
		if (write_attr(access("/proc/thread-self/attr/apparmor/exec", F_OK) == 0 ?
				       "/proc/thread-self/attr/apparmor/exec" :
				       "/proc/thread-self/attr/exec",
			       buf, "process.apparmorProfile", err) < 0)
			return -1;
	}
	if (p->selinux_label && host->selinux &&
	    write_attr("/proc/thread-self/attr/exec", p->selinux_label,
		       "process.selinuxLabel", err) < 0)
		return -1;
	return 0;
}
