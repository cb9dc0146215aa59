/* `berth deploy SERVICE --image REF` and `berth rollback SERVICE [--to N]`:
 * a new revision of a deployed service with another image, or an
 * earlier revision again. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli/image/image.h"
#include "cli/service/api_client.h"
#include "cli/service/service.h"
#include "common/units.h"

/* A deploy ends when its revision is active or was rolled back; after
 * this long it gives up waiting (the deploy goes on). */
#define DEPLOY_WAIT_S 600

static const struct option deploy_opts[] = {
	{ "image", required_argument, NULL, 'i' },
	{ "detach", no_argument, NULL, 'd' },
	{ 0 },
};

static const struct option rollback_opts[] = {
	{ "to", required_argument, NULL, 't' },
	{ "detach", no_argument, NULL, 'd' },
	{ 0 },
};

/* The revision a reply names, waited for unless detached. */
static int settle(struct berth_globals *g, const char *name, json_t *reply, bool detach,
		  berr_t *err)
{
	int64_t rev = json_integer_value(json_object_get(reply, "revision"));

	if (detach || json_is_false(json_object_get(reply, "changed")))
		return 0;
	return svc_await(g, name, rev, DEPLOY_WAIT_S, err);
}

/* POST /v1/services/NAME/ACTION with body; the reply in *reply. */
static int post(struct berth_globals *g, const char *name, const char *action, json_t *body,
		json_t **reply, berr_t *err)
{
	if (!body)
		return err_set(err, ENOMEM, "out of memory");
	return api_service(g->run_root, "POST", name, action, body, NULL, reply, err);
}

int svc_deploy(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	const char *image = NULL;
	char id[DIGEST_MAX];
	json_t *body, *reply = NULL;
	bool detach = false;
	int c, r;

	while ((c = img_getopt_anywhere(argc, argv, "d", deploy_opts)) != -1) {
		if (c == 'd')
			detach = true;
		else if (c == 'i')
			image = optarg;
		else
			return img_bad_flag("deploy", c, argv, err);
	}
	if (argc - optind != 1 || !image)
		return err_set(err, EINVAL, "deploy: expected SERVICE --image REF");
	if (svc_image_id(g, argv[optind], image, id, err) < 0)
		return -1;
	body = json_pack("{s:s, s:s}", "image", image, "digest", id);
	r = post(g, argv[optind], "/deploy", body, &reply, err);
	json_decref(body);
	if (r == 0) {
		svc_print_revision(argv[optind], reply);
		r = settle(g, argv[optind], reply, detach, err);
	}
	json_decref(reply);
	return r;
}

int svc_rollback(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	int64_t to = 0;
	json_t *body, *reply = NULL;
	bool detach = false;
	int c, r;

	while ((c = img_getopt_anywhere(argc, argv, "d", rollback_opts)) != -1) {
		if (c == 'd')
			detach = true;
		else if (c != 't')
			return img_bad_flag("rollback", c, argv, err);
		else if (units_parse_int(optarg, "rollback: --to", 1, INT32_MAX, &to, err) < 0)
			return -1;
	}
	if (argc - optind != 1)
		return err_set(err, EINVAL, "rollback: expected one SERVICE");
	body = to ? json_pack("{s:I}", "to", (json_int_t)to) : json_object();
	r = post(g, argv[optind], "/rollback", body, &reply, err);
	json_decref(body);
	if (r == 0) {
		printf("%s: rolling back to revision %lld\n", argv[optind],
		       (long long)json_integer_value(json_object_get(reply, "revision")));
		fflush(stdout);
		r = settle(g, argv[optind], reply, detach, err);
	}
	json_decref(reply);
	return r;
}
