/* `berth service SUB ...`: the sub-commands, and pause and resume, which
 * only flip the flag that stops berthd's reconciling of a service. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/group.h"
#include "cli/service/api_client.h"
#include "cli/service/service.h"

/* POST /v1/services/NAME/pause or /resume for each name. */
static int set_paused(struct berth_globals *g, int argc, char **argv, const char *action,
		      berr_t *err)
{
	if (argc < 2)
		return err_set(err, EINVAL, "service %s: expected SERVICE...", action + 1);
	for (int i = 1; i < argc; i++) {
		if (api_service(g->run_root, "POST", argv[i], action, NULL, NULL, NULL, err) < 0)
			return -1;
		printf("%s: %s\n", argv[i], strcmp(action, "/pause") ? "resumed" : "paused");
	}
	return 0;
}

static int svc_pause(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	return set_paused(g, argc, argv, "/pause", err);
}

static int svc_resume(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	return set_paused(g, argc, argv, "/resume", err);
}

static const struct cli_sub subs[] = {
	{ "ls", "service ls [--format table|json]", svc_ls },
	{ "ps", "service ps [--format table|json] SERVICE", svc_ps },
	{ "inspect", "service inspect SERVICE...", svc_inspect },
	{ "history", "service history SERVICE", svc_history },
	{ "pause", "service pause SERVICE...", svc_pause },
	{ "resume", "service resume SERVICE...", svc_resume },
	{ "logs", "service logs [-f] [-t] [--tail N] SERVICE", svc_logs },
	{ "events", "service events [-f] [--since ID]", svc_events },
};

int svc_group(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	return cli_group(g, "service", subs, sizeof(subs) / sizeof(*subs), argc, argv, err);
}
