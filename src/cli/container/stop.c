/* `berth stop [-t SECONDS] [-s SIGNAL] CONTAINER...` and `berth restart`:
 * the monitor sends the stop signal, waits, kills, and ends; a container
 * waiting between restart attempts is stopped at once, for good. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/container/container.h"
#include "cli/each.h"
#include "cli/image/image.h"
#include "common/cleanup.h"
#include "common/units.h"
#include "container/monitor_client.h"
#include "container/status.h"

static const struct option opts[] = {
	{ "time", required_argument, NULL, 't' },
	{ "timeout", required_argument, NULL, 't' },
	{ "signal", required_argument, NULL, 's' },
	{ 0 },
};

int ctr_stop_one(struct container_view *v, int64_t timeout, int sig, berr_t *err)
{
	json_t *cfg = json_object_get(v->rec, "Config");

	if (!v->monitor_alive)
		return 0;
	if (timeout < 0)
		timeout = json_integer_value(json_object_get(cfg, "StopTimeout"));
	if (!sig)
		sig = (int)json_integer_value(json_object_get(cfg, "StopSignal"));
	if (monitor_stop(v->paths.run_dir, (unsigned)timeout, sig > 0 ? sig : 15, err) < 0 &&
	    (*err)->errnum != ESRCH)
		return -1;
	err_free(err);
	container_view_await_monitor(v, 5000);
	return 0;
}

/* The view from before the stop is stale. */
static int restart_one(struct berth_globals *g, struct container_view *v, int *lock, berr_t *err)
{
	char id[CONTAINER_ID_LEN + 1];

	memcpy(id, v->paths.id, sizeof(id));
	container_view_clear(v);
	if (container_view_load(g->root, g->run_root, id, v, err) < 0)
		return -1;
	return ctr_start_one(g, v, lock, err);
}

struct stop_ctx {
	struct berth_globals *g;
	int64_t timeout;
	int sig;
	bool restart;
};

static int stop_named(void *ctx, const char *ref, berr_t *err)
{
	struct stop_ctx *x = ctx;
	struct container_view v;
	cleanup_close int lock = -1;
	int r;

	if (cli_container_view_locked(x->g, ref, &v, &lock, err) < 0)
		return -1;
	r = ctr_stop_one(&v, x->timeout, x->sig, err) < 0 ||
			    (x->restart && restart_one(x->g, &v, &lock, err) < 0)
		    ? -1 : 0;
	container_view_clear(&v);
	return r;
}

static int each(struct berth_globals *g, int argc, char **argv, bool restart, berr_t *err)
{
	struct stop_ctx x = { g, -1, 0, restart };
	int c;

	while ((c = img_getopt(argc, argv, "t:s:", opts)) != -1) {
		if (c == 't' && units_parse_int(optarg, "-t", 0, 86400, &x.timeout, err) < 0)
			return -1;
		if (c == 's' && units_parse_signal(optarg, &x.sig, err) < 0)
			return -1;
		if (c != 't' && c != 's')
			return img_bad_flag(argv[0], c, argv, err);
	}
	return cli_each(argv[0], argc - optind, argv + optind, stop_named, &x, err);
}

int ctr_stop(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	return each(g, argc, argv, false, err);
}

int ctr_restart(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	return each(g, argc, argv, true, err);
}
