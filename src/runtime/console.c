#include "runtime/console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"

int console_connect(const char *path, int *fd, berr_t *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	cleanup_close int s = -1;

	if (strlen(path) >= sizeof(addr.sun_path))
		return err_set(err, ENAMETOOLONG, "console socket '%s': path too long",
			       path);
	strcpy(addr.sun_path, path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return err_sys(err, "console socket");
	if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return err_sys(err, "connect to console socket '%s'", path);
	*fd = take_fd(s);
	return 0;
}

int console_send_fd(int sockfd, int fd, const char *name, berr_t *err)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)name, .iov_len = strlen(name) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	while (sendmsg(sockfd, &msg, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return err_sys(err, "send the console to the console socket");
	return 0;
}

int console_recv_fd(int sockfd, int *fd, berr_t *err)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 }, name[256];
	struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct cmsghdr *c;

	while (recvmsg(sockfd, &msg, MSG_CMSG_CLOEXEC) < 0)
		if (errno != EINTR)
			return err_sys(err, "receive the console");
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return err_set(err, EPROTO, "no console received");
	memcpy(fd, CMSG_DATA(c), sizeof(int));
	return 0;
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
	if (console_send_fd(sockfd, master, name, err) < 0)
		return -1;
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		return err_sys(err, "make '%s' the controlling terminal", name);
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return err_sys(err, "attach stdio to '%s'", name);
	return 0;
}
