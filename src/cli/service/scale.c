/* `berth scale SERVICE=N...`: the desired replicas of deployed services
 * (no new revision: berthd reconciles in place).  Every argument is
 * checked before the first request. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/service/api_client.h"
#include "cli/service/service.h"
#include "common/cleanup.h"
#include "common/units.h"

#define SCALE_MAX 1000

int svc_parse_scale(const char *arg, char **name, int *replicas, berr_t *err)
{
	const char *eq = strchr(arg, '=');
	int64_t n;

	if (!eq || eq == arg)
		return err_set(err, EINVAL, "scale: '%s': expected SERVICE=REPLICAS", arg);
	if (units_parse_int(eq + 1, "scale: replicas", 0, SCALE_MAX, &n, err) < 0)
		return err_prefix(err, "scale: '%s'", arg);
	if (!(*name = strndup(arg, (size_t)(eq - arg))))
		return err_set(err, ENOMEM, "out of memory");
	*replicas = (int)n;
	return 0;
}

static int scale_one(struct berth_globals *g, const char *arg, berr_t *err)
{
	cleanup_free char *name = NULL;
	json_t *body;
	int n, r;

	if (svc_parse_scale(arg, &name, &n, err) < 0)
		return -1;
	if (!(body = json_pack("{s:i}", "replicas", n)))
		return err_set(err, ENOMEM, "out of memory");
	r = api_service(g->run_root, "POST", name, "/scale", body, NULL, NULL, err);
	json_decref(body);
	if (r < 0)
		return -1;
	printf("%s: scaled to %d\n", name, n);
	return 0;
}

int svc_scale(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	cleanup_free char *name = NULL;
	int n;

	if (argc < 2)
		return err_set(err, EINVAL, "scale: expected SERVICE=REPLICAS...");
	for (int i = 1; i < argc; i++) {
		free(take_ptr(name));
		if (svc_parse_scale(argv[i], &name, &n, err) < 0)
			return -1;
	}
	for (int i = 1; i < argc; i++)
		if (scale_one(g, argv[i], err) < 0)
			return -1;
	return 0;
}
