/* `berth kill [-s SIGNAL] CONTAINER...`: a signal to the container's init
 * (SIGKILL by default, as docker).  The restart policy then applies as to
 * any other exit; only stop ends a container for good. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>

#include "cli/container/container.h"
#include "cli/each.h"
#include "cli/image/image.h"
#include "common/units.h"
#include "container/instance.h"
#include "container/status.h"
#include "runtime/container.h"

static const struct option opts[] = {
	{ "signal", required_argument, NULL, 's' },
	{ 0 },
};

struct kill_ctx {
	struct berth_globals *g;
	int sig;
};

static int kill_one(void *ctx, const char *ref, berr_t *err)
{
	struct berth_globals *g = ((struct kill_ctx *)ctx)->g;
	int sig = ((struct kill_ctx *)ctx)->sig;
	struct container_view v;
	int r;

	if (cli_container_view(g, ref, &v, err) < 0)
		return -1;
	r = v.pid ? instance_signal(g->run_root, v.paths.id, sig, err)
		  : err_set(err, ESRCH, "container %s is not running", ref);
	container_view_clear(&v);
	return r;
}

int ctr_kill(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	struct kill_ctx k = { g, SIGKILL };
	int c;

	while ((c = img_getopt(argc, argv, "s:", opts)) != -1) {
		if (c != 's')
			return img_bad_flag("kill", c, argv, err);
		if (units_parse_signal(optarg, &k.sig, err) < 0)
			return -1;
	}
	return cli_each("kill", argc - optind, argv + optind, kill_one, &k, err);
}
