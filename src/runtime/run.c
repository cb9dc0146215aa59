/* `run`: create and start in one process.  In the foreground the runtime
 * stays the init's parent: it forwards signals, relays the terminal when
 * there is no console socket, reports an OOM kill, removes the container
 * and returns the container's exit code. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/proc.h"
#include "runtime/container.h"
#include "runtime/create_internal.h"
#include "runtime/foreground.h"
#include "runtime/lifecycle.h"

static void report_oom(struct create_run *c, int status)
{
	struct cgroup_stats st = { 0 };
	berr_t err = NULL;

	if (!c->cgroup_created || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		return;
	if (c->cg.ops->stats(&c->cg, &st, &err) == 0 && st.oom_kills > 0)
		fprintf(stderr, "berth: container '%s' was killed by the OOM killer (memory limit %llu bytes)\n",
			c->opts->id, (unsigned long long)st.memory_limit);
	err_free(&err);
}

static int foreground(struct create_run *c, int *exit_code, berr_t *err)
{
	struct foreground fg;
	int status = 0;

	if (foreground_begin(&fg, c->console_master, err) < 0)
		return -1;
	if (create_run_start(c, err) < 0 ||
	    foreground_wait(&fg, c->pid, &status, err) < 0) {
		foreground_end(&fg);
		return -1;
	}
	foreground_end(&fg);
	report_oom(c, status);
	c->pid = -1; /* reaped */
	*exit_code = proc_exit_code(status);
	return 0;
}

int container_run(const struct create_opts *o, bool detach, bool keep,
		  int *exit_code, berr_t *err)
{
	struct create_run c;
	berr_t del_err = NULL;
	int r;

	create_run_init(&c);
	/* An init forked by an intermediate process (pid namespace after a
	 * user namespace) is reparented to us, so we can wait for it. */
	if (!detach && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return err_sys(err, "become a subreaper");
	c.relay_console = !detach && !o->console_socket;
	c.start_by_sync = true;
	*exit_code = 0;
	r = create_run_begin(&c, o, err);
	if (r == 0 && detach)
		r = create_run_start(&c, err);
	else if (r == 0)
		r = foreground(&c, exit_code, err);
	if (r == 0 && !detach && !keep &&
	    lifecycle_remove(o->root, &c.state, c.spec,
			     c.cgroup_created ? &c.cg : NULL, true, &del_err) < 0)
		log_warn("%s", err_msg(del_err));
	err_free(&del_err);
	cleanup_close_fn(&c.console_master);
	create_run_cleanup(&c, r < 0);
	return r;
}

int container_run_detached(const struct create_opts *o, struct created *out, berr_t *err)
{
	struct create_run c;
	int r;

	create_run_init(&c);
	c.relay_console = !o->console_socket;
	c.start_by_sync = true;
	r = create_run_begin(&c, o, err);
	if (r == 0)
		r = create_run_start(&c, err);
	if (r == 0) {
		out->pid = c.pid;
		out->console_master = c.console_master;
		c.console_master = -1;
	}
	cleanup_close_fn(&c.console_master);
	create_run_cleanup(&c, r < 0);
	return r;
}
