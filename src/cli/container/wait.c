/* `berth wait CONTAINER...`: block until each container stops, print its
 * exit code (docker's output); berth's exit code is the last one's. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/container/container.h"
#include "container/status.h"

#define POLL_NS (20 * 1000 * 1000)

static bool stopped(const struct container_view *v, const char *finished_before)
{
	const char *finished = json_string_value(json_object_get(v->state, "FinishedAt"));

	if (!v->monitor_alive)
		return true;
	/* The next exit (docker's "next-exit"), also one after which the
	 * container waits to be restarted. */
	return finished && *finished && strcmp(finished, finished_before);
}

static int wait_one(struct berth_globals *g, const char *ref, int *code, berr_t *err)
{
	struct container_view v;
	char id[CONTAINER_ID_LEN + 1], before[64];
	struct timespec pause = { 0, POLL_NS };

	if (cli_container_view(g, ref, &v, err) < 0)
		return -1;
	memcpy(id, v.paths.id, sizeof(id));
	snprintf(before, sizeof(before), "%s",
		 json_string_value(json_object_get(v.state, "FinishedAt")) ?: "");
	while (!stopped(&v, before)) {
		container_view_clear(&v);
		nanosleep(&pause, NULL);
		if (container_view_load(g->root, g->run_root, id, &v, err) < 0) {
			container_view_clear(&v);
			return -1;
		}
	}
	*code = (int)json_integer_value(json_object_get(v.state, "ExitCode"));
	container_view_clear(&v);
	return 0;
}

int ctr_wait(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	int code = 0;

	if (argc < 2)
		return err_set(err, EINVAL, "wait: expected a container");
	for (int i = 1; i < argc; i++) {
		if (wait_one(g, argv[i], &code, err) < 0)
			return -1;
		printf("%d\n", code);
		fflush(stdout);
	}
	g->exit_code = code;
	return 0;
}
