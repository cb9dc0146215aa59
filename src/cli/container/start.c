/* `berth start [-a] CONTAINER...`: a new monitor for a stopped container
 * (its writable layer, record and log are kept), or for one that still
 * runs after its monitor was killed; -a attaches. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/container/container.h"
#include "cli/each.h"
#include "cli/image/image.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "container/monitor_client.h"
#include "container/status.h"

static const struct option opts[] = {
	{ "attach", no_argument, NULL, 'a' },
	{ 0 },
};

/* The lock is held until the new monitor says the container runs (or
 * could not start): a second start waits and then finds it running. */
static int start(struct berth_globals *g, struct container_view *v, bool attach, int *lock,
		 int *code, berr_t *err)
{
	struct cli_roots roots = { .store = g->root, .run = g->run_root };
	json_t *cfg = json_object_get(v->rec, "Config");
	struct attach_opts ao = { .id = v->paths.id, .tty = json_is_true(json_object_get(cfg, "Tty")),
				  .input = false,
				  .until_started = true, .roots = &roots };
	struct monitor_spawn_opts spawn = {
		.adopt = v->pid,
		.restarts = (unsigned)json_integer_value(json_object_get(v->state, "RestartCount")),
		.interactive = json_is_true(json_object_get(cfg, "OpenStdin")),
	};
	cleanup_close int client = -1;

	*code = 0;
	if (!strcmp(v->status, "exited")) /* its monitor may still be releasing it */
		container_view_await_monitor(v, 5000);
	if (v->monitor_alive)
		return 0;
	/* Still running without a monitor (it was killed): a new one adopts
	 * it. */
	/* After a reboot the run root (a tmpfs) is empty. */
	if (fs_mkdir_p(v->paths.run_dir, 0700, err) < 0 ||
	    monitor_spawn(g->root, g->run_root, v->paths.id, &spawn, &client, err) < 0 ||
	    attach_session(client, &ao, code, err) < 0)
		return -1;
	cleanup_close_fn(lock);
	if (*code)
		return err_set(err, ECANCELED, "container %.12s did not start", v->paths.id);
	if (!attach)
		return 0;
	ao.until_started = false;
	ao.input = json_is_true(json_object_get(cfg, "OpenStdin"));
	return attach_session(client, &ao, code, err);
}

int ctr_start_one(struct berth_globals *g, struct container_view *v, int *lock, berr_t *err)
{
	int code;

	return start(g, v, false, lock, &code, err);
}

static int start_named(void *ctx, const char *ref, berr_t *err)
{
	struct container_view v;
	cleanup_close int lock = -1;
	int r;

	if (cli_container_view_locked(ctx, ref, &v, &lock, err) < 0)
		return -1;
	r = ctr_start_one(ctx, &v, &lock, err);
	container_view_clear(&v);
	return r;
}

/* -a: one container, attached; berth exits with its code. */
static int start_attached(struct berth_globals *g, const char *ref, berr_t *err)
{
	struct container_view v;
	cleanup_close int lock = -1;
	int r;

	if (cli_container_view_locked(g, ref, &v, &lock, err) < 0)
		return -1;
	r = start(g, &v, true, &lock, &g->exit_code, err);
	container_view_clear(&v);
	return r;
}

int ctr_start(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	bool attach = false;
	int c;

	while ((c = img_getopt(argc, argv, "a", opts)) != -1) {
		if (c != 'a')
			return img_bad_flag("start", c, argv, err);
		attach = true;
	}
	if (attach && argc - optind != 1)
		return err_set(err, EINVAL, "start: -a takes one container");
	if (attach)
		return start_attached(g, argv[optind], err);
	return cli_each("start", argc - optind, argv + optind, start_named, g, err);
}
