#include "runtime/exe_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "runtime/namespaces.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

bool exe_guard_needed(const struct spec *spec, const struct spec_process *p)
{
	if (ns_find(spec, CLONE_NEWUSER))
		return false;
	/* Without a capabilities object the process keeps all of them. */
	return !p->caps.set || (p->caps.bounding & (1ULL << CAP_SYS_PTRACE));
}

static bool running_from_copy(void)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int seals = fd >= 0 ? fcntl(fd, F_GET_SEALS) : -1;

	if (fd >= 0)
		close(fd);
	return seals >= 0 && (seals & SEALS) == SEALS;
}

static int sealed_copy(int *out, berr_t *err)
{
	cleanup_close int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	cleanup_close int mem = memfd_create("berth", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct stat st;

	if (exe < 0 || fstat(exe, &st) < 0)
		return err_sys(err, "open the runtime binary");
	if (mem < 0)
		return err_sys(err, "create a memfd for the runtime binary");
	if (fs_copy_data(exe, mem, st.st_size, err) < 0)
		return err_prefix(err, "the runtime binary");
	if (fcntl(mem, F_ADD_SEALS, SEALS) < 0)
		return err_sys(err, "seal the runtime binary copy");
	*out = take_fd(mem);
	return 0;
}

/* argv as this process got it, from /proc/self/cmdline. */
static char **own_argv(char **buf, berr_t *err)
{
	size_t len, n = 0;
	char **argv;

	if (fs_read_file_at(AT_FDCWD, "/proc/self/cmdline", 1 << 20, buf, &len, err) < 0)
		return NULL;
	for (size_t i = 0; i < len; i++)
		n += (*buf)[i] == '\0';
	argv = calloc(n + 1, sizeof(*argv));
	if (!argv) {
		err_sys(err, "read own arguments");
		return NULL;
	}
	for (size_t i = 0, k = 0; i < len && k < n; i += strlen(*buf + i) + 1)
		argv[k++] = *buf + i;
	return argv;
}

int exe_guard_ensure(berr_t *err)
{
	cleanup_free char *buf = NULL;
	cleanup_free char **argv = NULL;
	cleanup_close int mem = -1;

	if (running_from_copy())
		return 0;
	argv = own_argv(&buf, err);
	if (!argv || sealed_copy(&mem, err) < 0)
		return -1;
	fexecve(mem, argv, environ);
	return err_sys(err, "re-execute the runtime from its sealed copy");
}
