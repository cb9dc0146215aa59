/* `berth rm [-f] CONTAINER...`: a running container is refused unless -f,
 * which kills it first (docker's behaviour). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/container/container.h"
#include "cli/each.h"
#include "cli/image/image.h"
#include "common/cleanup.h"
#include "container/instance.h"
#include "container/monitor_client.h"
#include "container/status.h"
#include "runtime/container.h"

static const struct option opts[] = {
	{ "force", no_argument, NULL, 'f' },
	{ 0 },
};

struct rm_ctx {
	struct berth_globals *g;
	bool force;
};

static int rm_one(void *ctx, const char *ref, berr_t *err)
{
	struct berth_globals *g = ((struct rm_ctx *)ctx)->g;
	bool force = ((struct rm_ctx *)ctx)->force;
	struct container_view v;
	cleanup_close int lock = -1;
	int r;

	/* -f does not wait for a stop in progress (which holds the lock)
	 * to run out its timeout: the monitor is told to kill first. */
	if (force && cli_container_view(g, ref, &v, err) == 0) {
		if (v.monitor_alive && monitor_stop(v.paths.run_dir, 0, SIGKILL, err) < 0)
			err_free(err);
		container_view_clear(&v);
	}
	err_free(err);
	if (cli_container_view_locked(g, ref, &v, &lock, err) < 0)
		return -1;
	if (!strcmp(v.status, "exited")) /* its monitor may still be releasing it */
		container_view_await_monitor(&v, 5000);
	if ((container_view_active(&v) || v.pid) && !force)
		r = err_set(err, EBUSY, "container %s is %s: stop it first, or use rm -f", ref, v.status);
	else
		r = (v.monitor_alive ? ctr_stop_one(&v, 0, SIGKILL, err)
				     : v.pid ? instance_signal(g->run_root, v.paths.id, SIGKILL, err) : 0) < 0 ||
				    instance_cleanup(g->root, g->run_root, v.paths.id, err) < 0 ||
				    instance_remove(g->root, g->run_root, v.paths.id, err) < 0
			    ? -1 : 0;
	container_view_clear(&v);
	return r;
}

int ctr_rm(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	struct rm_ctx r = { g, false };
	int c;

	while ((c = img_getopt(argc, argv, "fv", opts)) != -1) {
		if (c == 'f')
			r.force = true;
		else if (c != 'v') /* -v: anonymous volumes; berth makes none */
			return img_bad_flag("rm", c, argv, err);
	}
	return cli_each("rm", argc - optind, argv + optind, rm_one, &r, err);
}
