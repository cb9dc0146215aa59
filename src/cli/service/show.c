/* What berthd says about services, as tables or JSON: `berth service ls`,
 * `ps`, `inspect` and `history`. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/image/image.h"
#include "cli/service/api_client.h"
#include "cli/service/service.h"
#include "common/cleanup.h"
#include "common/strv.h"

static const struct option format_opts[] = {
	{ "format", required_argument, NULL, 'F' },
	{ 0 },
};

/* --format table|json; *json tells which.  Returns optind's operands. */
static int parse_format(const char *verb, int argc, char **argv, bool *json, berr_t *err)
{
	int c;

	*json = false;
	while ((c = img_getopt_anywhere(argc, argv, "", format_opts)) != -1) {
		if (c != 'F')
			return img_bad_flag(verb, c, argv, err);
		if (strcmp(optarg, "json") && strcmp(optarg, "table"))
			return err_set(err, EINVAL, "%s: --format '%s': expected table or json", verb, optarg);
		*json = !strcmp(optarg, "json");
	}
	return 0;
}

static const char *str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

static long long num(json_t *obj, const char *key)
{
	return (long long)json_integer_value(json_object_get(obj, key));
}

/* "8080:80, 8443:443" */
static int ports_cell(char ***cells, json_t *ports)
{
	char buf[512] = "";
	size_t used = 0, i;
	json_t *p;

	json_array_foreach(ports, i, p)
		if (used < sizeof(buf))
			used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s", i ? ", " : "",
						 json_string_value(p) ?: "?");
	return strv_pushf(cells, "%s", buf);
}

static int get_service(struct berth_globals *g, const char *name, const char *suffix, json_t **out,
		       berr_t *err)
{
	return api_service(g->run_root, "GET", name, suffix, NULL, NULL, out, err);
}

/* list as JSON, or as a table of the cells row makes of each element. */
static int print_list(json_t *list, bool json, const char *const *headers, size_t cols,
		      int (*row)(char ***cells, json_t *v), berr_t *err)
{
	cleanup_strv char **cells = NULL;
	json_t *v;
	size_t i;

	if (!json_is_array(list))
		return err_set(err, EPROTO, "berthd's response: expected a list");
	if (json)
		return img_print_json(list, err);
	json_array_foreach(list, i, v)
		if (row(&cells, v) < 0)
			return err_set(err, ENOMEM, "out of memory");
	img_print_table(headers, cols, (const char *const *)cells, cells ? strv_len(cells) / cols : 0);
	return 0;
}

static int ls_row(char ***cells, json_t *s)
{
	bool paused = json_is_true(json_object_get(s, "paused"));

	if (strv_pushf(cells, "%s", str(s, "name")) < 0 ||
	    strv_pushf(cells, "%lld", num(s, "revision")) < 0 ||
	    strv_pushf(cells, "%s%s", str(s, "status"), paused ? " (PAUSED)" : "") < 0 ||
	    strv_pushf(cells, "%lld/%lld", num(s, "healthy"), num(s, "replicas")) < 0 ||
	    strv_pushf(cells, "%s", str(s, "image")) < 0 ||
	    ports_cell(cells, json_object_get(s, "ports")) < 0)
		return -1;
	return 0;
}

int svc_ls(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const char *const headers[] = { "NAME", "REVISION", "STATUS", "REPLICAS", "IMAGE",
					       "PORTS" };
	json_t *list = NULL;
	bool json;
	int r;

	if (parse_format("service ls", argc, argv, &json, err) < 0)
		return -1;
	if (optind != argc)
		return err_set(err, EINVAL, "service ls: takes no arguments");
	if (api_call(g->run_root, "GET", "/v1/services", NULL, NULL, &list, err) < 0)
		return -1;
	r = print_list(list, json, headers, 6, ls_row, err);
	json_decref(list);
	return r;
}

static int ps_row(char ***cells, json_t *c)
{
	bool retiring = json_is_true(json_object_get(c, "retiring"));

	if (strv_pushf(cells, "%s", str(c, "name")) < 0 || strv_pushf(cells, "%.12s", str(c, "id")) < 0 ||
	    strv_pushf(cells, "%lld", num(c, "revision")) < 0 ||
	    strv_pushf(cells, "%s%s", str(c, "state"), retiring ? " (retiring)" : "") < 0 ||
	    strv_pushf(cells, "%s", str(c, "health")) < 0 || strv_pushf(cells, "%s", str(c, "ip")) < 0 ||
	    strv_pushf(cells, "%s", json_is_true(json_object_get(c, "routed")) ? "yes" : "no") < 0)
		return -1;
	return 0;
}

int svc_ps(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const char *const headers[] = { "NAME", "ID", "REVISION", "STATE", "HEALTH", "IP",
					       "ROUTED" };
	json_t *svc = NULL;
	bool json;
	int r;

	if (parse_format("service ps", argc, argv, &json, err) < 0)
		return -1;
	if (argc - optind != 1)
		return err_set(err, EINVAL, "service ps: expected one SERVICE");
	if (get_service(g, argv[optind], "", &svc, err) < 0)
		return -1;
	r = print_list(json_object_get(svc, "containers"), json, headers, 7, ps_row, err);
	json_decref(svc);
	return r;
}

/* docker inspect's way: what was found is printed, what was not is an
 * error after it (the last one; earlier ones on stderr). */
int svc_inspect(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	cleanup_err berr_t missing = NULL;
	json_t *all, *one;
	int r = 0;

	if (argc < 2)
		return err_set(err, EINVAL, "service inspect: expected SERVICE...");
	if (!(all = json_array()))
		return err_set(err, ENOMEM, "service inspect: out of memory");
	for (int i = 1; i < argc; i++) {
		if (missing)
			err_print(stderr, "berth", missing);
		err_free(&missing);
		if (get_service(g, argv[i], "", &one, &missing) == 0)
			json_array_append_new(all, one);
		else if (missing->errnum != EPROTO)
			break; /* berthd cannot be asked at all */
	}
	if (json_array_size(all) || !missing)
		r = img_print_json(all, err);
	json_decref(all);
	if (r == 0 && missing) {
		*err = take_ptr(missing);
		r = -1;
	}
	return r;
}

static int history_row(char ***cells, json_t *h)
{
	char ago[64];

	img_ago((time_t)num(h, "created"), ago, sizeof(ago));
	if (strv_pushf(cells, "%s%lld", json_is_true(json_object_get(h, "current")) ? "* " : "  ",
		 num(h, "revision")) < 0 ||
	    strv_pushf(cells, "%s", str(h, "status")) < 0 || strv_pushf(cells, "%s", ago) < 0 ||
	    strv_pushf(cells, "%s", str(h, "image")) < 0)
		return -1;
	return 0;
}

int svc_history(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const char *const headers[] = { "REVISION", "STATUS", "CREATED", "IMAGE" };
	json_t *list = NULL;
	int r;

	if (argc != 2)
		return err_set(err, EINVAL, "service history: expected one SERVICE");
	if (get_service(g, argv[1], "/history", &list, err) < 0)
		return -1;
	r = print_list(list, false, headers, 4, history_row, err);
	json_decref(list);
	return r;
}
