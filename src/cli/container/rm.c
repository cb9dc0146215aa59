/* `berth rm [-f] CONTAINER...`: a running container is refused unless -f,
 * which kills it first (docker's behaviour). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/container/container.h"
#include "cli/image/image.h"
#include "container/instance.h"
#include "container/status.h"
#include "runtime/container.h"

static const struct option opts[] = {
	{ "force", no_argument, NULL, 'f' },
	{ 0 },
};

/* A container whose monitor was killed may still run: its init is
 * killed through the runtime. */
static int kill_orphan(struct berth_globals *g, const struct container_view *v, berr_t *err)
{
	char rt_root[PATH_MAX];

	if (instance_runtime_root(g->run_root, rt_root, sizeof(rt_root), err) < 0)
		return -1;
	return container_kill(rt_root, v->paths.id, SIGKILL, false, err);
}

static int rm_one(struct berth_globals *g, const char *ref, bool force, berr_t *err)
{
	struct container_view v;
	int r;

	if (cli_container_view(g, ref, &v, err) < 0)
		return -1;
	if (!strcmp(v.status, "exited")) /* its monitor may still be releasing it */
		container_view_await_monitor(&v, 5000);
	if ((container_view_active(&v) || v.pid) && !force)
		r = err_set(err, EBUSY, "container %s is %s: stop it first, or use rm -f", ref, v.status);
	else
		r = (v.monitor_alive ? ctr_stop_one(&v, 0, SIGKILL, err)
				     : v.pid ? kill_orphan(g, &v, err) : 0) < 0 ||
				    instance_cleanup(g->root, g->run_root, v.paths.id, err) < 0 ||
				    instance_remove(g->root, g->run_root, v.paths.id, err) < 0
			    ? -1 : 0;
	container_view_clear(&v);
	return r;
}

int ctr_rm(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	bool force = false;
	int c, failed = 0;

	while ((c = img_getopt(argc, argv, "fv", opts)) != -1) {
		if (c == 'f')
			force = true;
		else if (c != 'v') /* -v: anonymous volumes; berth makes none */
			return img_bad_flag("rm", c, argv, err);
	}
	if (optind >= argc)
		return err_set(err, EINVAL, "rm: expected a container");
	for (int i = optind; i < argc; i++) {
		berr_t e = NULL;

		if (rm_one(g, argv[i], force, &e) < 0) {
			err_print(stderr, "berth", e);
			failed++;
		} else {
			printf("%s\n", argv[i]);
		}
		err_free(&e);
	}
	return failed ? err_set(err, EIO, "rm: %d of %d containers failed", failed, argc - optind) : 0;
}
