/* `berth healthcheck [--http PATH --port N [--status N]] [--tcp N]
 * [--timeout D] CONTAINER [CMD...]`: one probe of the services layer's
 * health checks, by hand.  Prints "healthy|unhealthy: <detail>"; exit 0
 * healthy, 1 unhealthy, 125 when the probe could not be made. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/container/container.h"
#include "cli/image/image.h"
#include "common/units.h"
#include "container/instance.h"
#include "container/status.h"
#include "service/health.h"

enum { H_HTTP = 256, H_PORT, H_STATUS, H_TCP, H_TIMEOUT };

static const struct option opts[] = {
	{ "http", required_argument, NULL, H_HTTP },
	{ "port", required_argument, NULL, H_PORT },
	{ "status", required_argument, NULL, H_STATUS },
	{ "tcp", required_argument, NULL, H_TCP },
	{ "timeout", required_argument, NULL, H_TIMEOUT },
	{ 0 },
};

static int parse_int(const char *flag, int64_t min, int64_t max, int *out, berr_t *err)
{
	char what[32];
	int64_t v;

	snprintf(what, sizeof(what), "healthcheck: %s", flag);
	if (units_parse_int(optarg, what, min, max, &v, err) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_flag(int c, struct health_check *hc, berr_t *err)
{
	int64_t ns;

	switch (c) {
	case H_HTTP: hc->kind = HEALTH_HTTP; hc->path = optarg; return 0;
	case H_PORT: return parse_int("--port", 1, 65535, &hc->port, err);
	case H_STATUS: return parse_int("--status", 100, 599, &hc->expect_status, err);
	case H_TCP:
		hc->kind = HEALTH_TCP;
		return parse_int("--tcp", 1, 65535, &hc->port, err);
	case H_TIMEOUT:
		if (units_parse_duration(optarg, "healthcheck: --timeout", &ns, err) < 0)
			return -1;
		if (ns == 0)
			return err_set(err, EINVAL, "healthcheck: --timeout must be more than 0");
		hc->timeout_ns = (uint64_t)ns;
		return 0;
	}
	return -1;
}

/* The flags must make one kind of check. */
static int check_kind(const struct health_check *hc, int args, int kinds, berr_t *err)
{
	if (args < 1)
		return err_set(err, EINVAL, "healthcheck: expected CONTAINER [CMD...]");
	if (hc->kind == HEALTH_EXEC && args < 2)
		return err_set(err, EINVAL, "healthcheck: give a command, --http PATH --port N or --tcp N");
	if (hc->kind != HEALTH_EXEC && args > 1)
		return err_set(err, EINVAL, "healthcheck: a command is for an exec check, not with --http or --tcp");
	if (kinds > 1)
		return err_set(err, EINVAL, "healthcheck: --http and --tcp exclude each other");
	if (hc->kind == HEALTH_HTTP && !hc->port)
		return err_set(err, EINVAL, "healthcheck: --http needs --port");
	if (hc->kind != HEALTH_HTTP && hc->expect_status)
		return err_set(err, EINVAL, "healthcheck: --status is for --http");
	return 0;
}

static int parse(int argc, char **argv, struct health_check *hc, berr_t *err)
{
	int c, kinds = 0;

	while ((c = img_getopt(argc, argv, "", opts)) != -1) {
		if (c == ':' || c == '?')
			return img_bad_flag("healthcheck", c, argv, err);
		kinds += c == H_HTTP || c == H_TCP;
		if (parse_flag(c, hc, err) < 0)
			return -1;
	}
	return check_kind(hc, argc - optind, kinds, err);
}

/* The container's address on its bridge network, if it has one. */
static int target_ip(struct berth_globals *g, const char *id, char *ip, size_t len, berr_t *err)
{
	json_t *settings;

	if (ctr_network_settings(g, id, &settings, err) < 0)
		return -1;
	snprintf(ip, len, "%s", json_string_value(json_object_get(settings, "IPAddress")) ?: "");
	json_decref(settings);
	return 0;
}

static void print_result(const struct health_check *hc, const struct health_result *r)
{
	char line[200];
	size_t n = strcspn(r->output, "\r\n");

	/* One line: the first of the output, with the status or exit code. */
	snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), r->output);
	if (hc->kind == HEALTH_EXEC && r->code >= 0)
		printf("%s: exit code %d%s%s\n", r->healthy ? "healthy" : "unhealthy", r->code,
		       *line ? ": " : "", line);
	else
		printf("%s: %s\n", r->healthy ? "healthy" : "unhealthy", line);
}

int ctr_healthcheck(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	struct health_check hc = { .kind = HEALTH_EXEC };
	struct container_view v = { 0 };
	struct health_result *res = NULL;
	char rt_root[PATH_MAX], ip[64];
	int r = -1;

	if (parse(argc, argv, &hc, err) < 0 || cli_container_view(g, argv[optind], &v, err) < 0)
		goto out;
	if (!v.pid) {
		err_set(err, ESRCH, "healthcheck: container %s is not running", argv[optind]);
		goto out;
	}
	hc.cmd = argv + optind + 1;
	if (instance_runtime_root(g->run_root, rt_root, sizeof(rt_root), err) < 0 ||
	    target_ip(g, v.paths.id, ip, sizeof(ip), err) < 0)
		goto out;
	struct health_target t = { .rt_root = rt_root, .id = v.paths.id, .pid = v.pid,
				   .ip = *ip ? ip : NULL };

	res = malloc(sizeof(*res));
	if (!res) {
		err_set(err, ENOMEM, "healthcheck");
		goto out;
	}
	if (health_probe(&t, &hc, res, err) < 0)
		goto out;
	print_result(&hc, res);
	g->exit_code = res->healthy ? 0 : 1;
	r = 0;
out:
	free(res);
	container_view_clear(&v);
	return r;
}
