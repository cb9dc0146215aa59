/* `berth attach CONTAINER`: this terminal to the container's stdio
 * through its monitor, until it ends or ctrl-p ctrl-q detaches. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli/container/container.h"
#include "common/cleanup.h"
#include "container/monitor_client.h"
#include "container/status.h"

int ctr_attach(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	struct cli_roots roots = { .store = g->root, .run = g->run_root };
	struct container_view v;
	cleanup_close int fd = -1;
	int r, code = 0;

	if (argc != 2)
		return err_set(err, EINVAL, "attach: expected one container");
	if (cli_container_view(g, argv[1], &v, err) < 0)
		return -1;
	json_t *cfg = json_object_get(v.rec, "Config");
	struct attach_opts ao = { .id = v.paths.id, .tty = json_is_true(json_object_get(cfg, "Tty")),
				  .input = json_is_true(json_object_get(cfg, "OpenStdin")),
				  .roots = &roots };

	r = !v.monitor_alive ? err_set(err, ESRCH, "container %s is not running", argv[1])
			     : monitor_connect(v.paths.run_dir, "attach", &fd, err) < 0 ||
					       attach_session(fd, &ao, &code, err) < 0
				       ? -1 : 0;
	container_view_clear(&v);
	g->exit_code = code;
	return r;
}
