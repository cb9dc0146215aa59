#include "runtime/console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/unix_socket.h"

int console_connect(const char *path, int *fd, berr_t *err)
{
	return unix_connect(path, "console socket", fd, err);
}

static int open_pty(int *master, char *slave_name, size_t size, berr_t *err)
{
	*master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0)
		return err_sys(err, "open /dev/ptmx in the container");
	if (unlockpt(*master) < 0 || ptsname_r(*master, slave_name, size) != 0)
		return err_sys(err, "unlock the container's pty");
	return 0;
}

int console_setup(const struct spec_process *proc, int sockfd, berr_t *err)
{
	cleanup_close int master = -1, slave = -1;
	struct winsize ws = { 0 };
	char name[128];

	if (open_pty(&master, name, sizeof(name), err) < 0)
		return -1;
	if (proc->console_height.set || proc->console_width.set) {
		ws.ws_row = (unsigned short)proc->console_height.v;
		ws.ws_col = (unsigned short)proc->console_width.v;
		if (ioctl(master, TIOCSWINSZ, &ws) < 0)
			return err_sys(err, "process.consoleSize");
	}
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return err_sys(err, "open '%s'", name);
	if (unix_send_fd(sockfd, master, name, strlen(name), err) < 0)
		return err_prefix(err, "console socket");
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		return err_sys(err, "make '%s' the controlling terminal", name);
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return err_sys(err, "attach stdio to '%s'", name);
	return 0;
}
