/* A TCP connection for the HTTP and TCP probes.  A container on a bridge
 * has an address the caller reaches; one on network none or host is
 * reached at 127.0.0.1 from inside its network namespace: a forked child
 * joins that namespace and hands back a socket made there, which keeps
 * its namespace for connect() in the caller (setns in the caller would
 * move a thread of berthd). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/proc.h"
#include "common/unix_socket.h"
#include "service/health_internal.h"

enum { SOCK_FLAGS = SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC };

static _Noreturn void netns_child(int netns, int chan)
{
	int fd;

	if (setns(netns, CLONE_NEWNET) < 0)
		_exit(1);
	fd = socket(AF_INET, SOCK_FLAGS, 0);
	_exit(fd < 0 || unix_send_fd(chan, fd, "s", 1, NULL) < 0 ? 1 : 0);
}

static int socket_in_netns(pid_t pid, int *fd, berr_t *err)
{
	char path[64];
	cleanup_close int netns = -1;
	int chan[2], status, r;
	pid_t child;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	netns = open(path, O_RDONLY | O_CLOEXEC);
	if (netns < 0)
		return err_sys(err, "health check: open '%s'", path);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, chan) < 0)
		return err_sys(err, "health check: socketpair");
	child = fork();
	if (child == 0)
		netns_child(netns, chan[1]);
	close(chan[1]);
	if (child < 0) {
		close(chan[0]);
		return err_sys(err, "health check: fork");
	}
	r = unix_recv_fd(chan[0], fd, err);
	close(chan[0]);
	if (proc_wait(child, &status, r < 0 ? NULL : err) < 0)
		r = -1;
	return r < 0 ? err_prefix(err, "health check: a socket in the network namespace of pid %d", pid) : 0;
}

/* Non-blocking connect, finished by poll before the deadline. */
static int connect_by(int fd, const struct sockaddr_in *sa, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int e = 0, n;

	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	n = poll(&p, 1, health_ms_left(deadline));
	if (n == 0)
		errno = ETIMEDOUT;
	if (n <= 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
		return -1;
	errno = e;
	return e ? -1 : 0;
}

int health_connect(const struct health_target *t, int port, uint64_t deadline,
		   int *fd, struct health_result *out, berr_t *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	const char *ip = t->ip ? t->ip : "127.0.0.1";
	cleanup_close int s = -1;

	*fd = -1;
	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return err_set(err, EINVAL, "health check: '%s' is not an IPv4 address", ip);
	if (t->ip)
		s = socket(AF_INET, SOCK_FLAGS, 0);
	else if (socket_in_netns(t->pid, &s, err) < 0)
		return -1;
	if (s < 0)
		return err_sys(err, "health check: socket");
	if (connect_by(s, &sa, deadline) < 0) {
		health_say(out, "connect to %s:%d%s: %s", ip, port,
			   t->ip ? "" : " in the container", strerror(errno));
		return 0;
	}
	*fd = take_fd(s);
	return 0;
}
