/* `berth down [-f FILE] [SERVICE...]`: remove services from berthd (their
 * replicas drained and removed): the named ones, else every service of
 * the file, else, with no file here, every deployed service. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/image/image.h"
#include "cli/service/api_client.h"
#include "cli/service/service.h"
#include "common/cleanup.h"
#include "common/strv.h"

static const struct option opts[] = {
	{ "file", required_argument, NULL, 'f' },
	{ 0 },
};

/* A service of the file that berthd does not have is already down; one
 * named on the command line is an error. */
static int remove_one(struct berth_globals *g, const char *name, bool named, berr_t *err)
{
	int status = 0;

	if (api_service(g->run_root, "DELETE", name, "", NULL, &status, NULL, err) < 0) {
		if (status != 404 || named)
			return -1;
		err_free(err);
		printf("%s: not deployed\n", name);
		return 0;
	}
	printf("%s: removed\n", name);
	return 0;
}

/* The file's services, dependents before what they depend on. */
static int from_file(const char *file, char ***names, berr_t *err)
{
	struct svc_project sp;
	cleanup_free struct service **order = NULL;
	size_t n = 0;
	int r = svc_project_open(file, &sp, err);

	if (r == 0)
		r = svc_project_order(&sp.p, NULL, 0, &order, &n, err);
	for (size_t i = n; r == 0 && i > 0; i--)
		if (strv_push(names, order[i - 1]->name) < 0)
			r = err_set(err, ENOMEM, "out of memory");
	svc_project_close(&sp);
	return r;
}

static int from_berthd(struct berth_globals *g, char ***names, berr_t *err)
{
	json_t *list = NULL, *v;
	size_t i;
	int r = 0;

	if (api_call(g->run_root, "GET", "/v1/services", NULL, NULL, &list, err) < 0)
		return -1;
	json_array_foreach(list, i, v)
		if (r == 0 && json_is_string(json_object_get(v, "name")) &&
		    strv_push(names, json_string_value(json_object_get(v, "name"))) < 0)
			r = err_set(err, ENOMEM, "out of memory");
	json_decref(list);
	return r;
}

int svc_down(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	const char *file = NULL;
	cleanup_strv char **names = NULL;
	cleanup_free char *path = NULL;
	cleanup_err berr_t no_file = NULL;
	bool named = false;
	int c, r = 0;

	while ((c = img_getopt_anywhere(argc, argv, "f:", opts)) != -1) {
		if (c != 'f')
			return img_bad_flag("down", c, argv, err);
		file = optarg;
	}
	if (optind < argc) {
		named = true;
		for (int i = optind; i < argc; i++)
			if (strv_push(&names, argv[i]) < 0)
				return err_set(err, ENOMEM, "out of memory");
	} else if (svc_project_file(file, &path, &no_file) == 0)
		r = from_file(path, &names, err);
	else
		r = from_berthd(g, &names, err);
	for (char **n = names; r == 0 && n && *n; n++)
		r = remove_one(g, *n, named, err);
	return r;
}
