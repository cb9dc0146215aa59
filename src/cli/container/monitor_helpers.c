/* `berth __start ID` and `berth __cleanup ID`: what berth-monitor runs for
 * the work that needs the store and the runtime (the monitor itself links
 * only libc).  fd 3 is the channel to the monitor: __start answers
 * "ok <pid>" (with the pty master attached for a terminal) or
 * "err <code> <message>"; stdio is the container's. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/container/container.h"
#include "common/unix_socket.h"
#include "container/foreground.h"
#include "container/instance.h"

#define CHANNEL_FD 3

static int channel(int argc, berr_t *err)
{
	if (argc != 2)
		return err_set(err, EINVAL, "internal command: expected a container id");
	if (fcntl(CHANNEL_FD, F_SETFD, FD_CLOEXEC) < 0)
		return err_sys(err, "internal command: no channel on fd 3 (berth-monitor runs this)");
	return 0;
}

int ctr_internal_start(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	struct created c = { .pid = -1, .console_master = -1 };
	char msg[2048];
	int len, r;

	if (channel(argc, err) < 0)
		return -1;
	if (instance_start(g->root, g->run_root, argv[1], &c, err) < 0) {
		len = snprintf(msg, sizeof(msg), "err %d %s", fg_failure_code(*err), err_msg(*err));
		send(CHANNEL_FD, msg, (size_t)len < sizeof(msg) ? (size_t)len : sizeof(msg) - 1,
		     MSG_NOSIGNAL);
		/* Told to the monitor; printed, it would land in the
		 * container's log. */
		err_free(err);
		g->exit_code = 125;
		return 0;
	}
	len = snprintf(msg, sizeof(msg), "ok %d", (int)c.pid);
	if (c.console_master >= 0) {
		r = unix_send_fd(CHANNEL_FD, c.console_master, msg, (size_t)len, err);
		close(c.console_master);
		return r;
	}
	if (send(CHANNEL_FD, msg, (size_t)len, MSG_NOSIGNAL) != len)
		return err_sys(err, "tell the monitor");
	return 0;
}

int ctr_internal_cleanup(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	if (channel(argc, err) < 0)
		return -1;
	return instance_cleanup(g->root, g->run_root, argv[1], err);
}
