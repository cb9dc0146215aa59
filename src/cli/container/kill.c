/* `berth kill [-s SIGNAL] CONTAINER...`: a signal to the container's init
 * (SIGKILL by default, as docker).  The restart policy then applies as to
 * any other exit; only stop ends a container for good. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>

#include "cli/container/container.h"
#include "cli/image/image.h"
#include "common/units.h"
#include "container/instance.h"
#include "container/status.h"
#include "runtime/container.h"

static const struct option opts[] = {
	{ "signal", required_argument, NULL, 's' },
	{ 0 },
};

static int kill_one(struct berth_globals *g, const char *ref, int sig, berr_t *err)
{
	struct container_view v;
	char rt_root[PATH_MAX];
	int r = -1;

	if (cli_container_view(g, ref, &v, err) < 0)
		return -1;
	if (!v.pid)
		err_set(err, ESRCH, "container %s is not running", ref);
	else if (instance_runtime_root(g->run_root, rt_root, sizeof(rt_root), err) == 0)
		r = container_kill(rt_root, v.paths.id, sig, false, err);
	container_view_clear(&v);
	return r;
}

int ctr_kill(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	int sig = SIGKILL, c, failed = 0;

	while ((c = img_getopt(argc, argv, "s:", opts)) != -1) {
		if (c != 's')
			return img_bad_flag("kill", c, argv, err);
		if (units_parse_signal(optarg, &sig, err) < 0)
			return -1;
	}
	if (optind >= argc)
		return err_set(err, EINVAL, "kill: expected a container");
	for (int i = optind; i < argc; i++) {
		berr_t e = NULL;

		if (kill_one(g, argv[i], sig, &e) < 0) {
			err_print(stderr, "berth", e);
			failed++;
		} else {
			printf("%s\n", argv[i]);
		}
		err_free(&e);
	}
	return failed ? err_set(err, EIO, "kill: %d of %d containers failed", failed, argc - optind) : 0;
}
