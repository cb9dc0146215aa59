/* What berthd says about services, as tables or JSON: `berth service ls`,
 * `ps`, `inspect` and `history`. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
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

static int cell(char ***cells, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append a formatted cell; -1 (errno ENOMEM) when out of memory. */
static int cell(char ***cells, const char *fmt, ...)
{
	cleanup_free char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		s = NULL;
		return -1;
	}
	return strv_push(cells, s);
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
	return cell(cells, "%s", buf);
}

static int get_service(struct berth_globals *g, const char *name, const char *suffix, json_t **out,
		       berr_t *err)
{
	return api_service(g->run_root, "GET", name, suffix, NULL, NULL, out, err);
}

static void print_table(const char *const *headers, size_t cols, char **cells)
{
	img_print_table(headers, cols, (const char *const *)cells, strv_len(cells) / cols);
}

static int ls_row(char ***cells, json_t *s)
{
	bool paused = json_is_true(json_object_get(s, "paused"));

	if (cell(cells, "%s", str(s, "name")) < 0 || cell(cells, "%lld", num(s, "revision")) < 0 ||
	    cell(cells, "%s%s", str(s, "status"), paused ? " (PAUSED)" : "") < 0 ||
	    cell(cells, "%lld/%lld", num(s, "healthy"), num(s, "replicas")) < 0 ||
	    cell(cells, "%s", str(s, "image")) < 0 || ports_cell(cells, json_object_get(s, "ports")) < 0)
		return -1;
	return 0;
}

int svc_ls(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const char *const headers[] = { "NAME", "REVISION", "STATUS", "REPLICAS", "IMAGE",
					       "PORTS" };
	cleanup_strv char **cells = NULL;
	json_t *list = NULL, *s;
	bool json;
	size_t i;
	int r = 0;

	if (parse_format("service ls", argc, argv, &json, err) < 0)
		return -1;
	if (optind != argc)
		return err_set(err, EINVAL, "service ls: takes no arguments");
	if (api_call(g->run_root, "GET", "/v1/services", NULL, NULL, &list, err) < 0)
		return -1;
	if (json)
		r = img_print_json(list, err);
	json_array_foreach(list, i, s)
		if (!json && r == 0 && ls_row(&cells, s) < 0)
			r = err_set(err, ENOMEM, "service ls: out of memory");
	if (!json && r == 0)
		print_table(headers, 6, cells);
	json_decref(list);
	return r;
}

static int ps_row(char ***cells, json_t *c)
{
	bool retiring = json_is_true(json_object_get(c, "retiring"));

	if (cell(cells, "%s", str(c, "name")) < 0 || cell(cells, "%.12s", str(c, "id")) < 0 ||
	    cell(cells, "%lld", num(c, "revision")) < 0 ||
	    cell(cells, "%s%s", str(c, "state"), retiring ? " (retiring)" : "") < 0 ||
	    cell(cells, "%s", str(c, "health")) < 0 || cell(cells, "%s", str(c, "ip")) < 0 ||
	    cell(cells, "%s", json_is_true(json_object_get(c, "routed")) ? "yes" : "no") < 0)
		return -1;
	return 0;
}

int svc_ps(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const char *const headers[] = { "NAME", "ID", "REVISION", "STATE", "HEALTH", "IP",
					       "ROUTED" };
	cleanup_strv char **cells = NULL;
	json_t *svc = NULL, *list, *c;
	bool json;
	size_t i;
	int r = 0;

	if (parse_format("service ps", argc, argv, &json, err) < 0)
		return -1;
	if (argc - optind != 1)
		return err_set(err, EINVAL, "service ps: expected one SERVICE");
	if (get_service(g, argv[optind], "", &svc, err) < 0)
		return -1;
	list = json_object_get(svc, "containers");
	if (json)
		r = img_print_json(json_is_array(list) ? list : json_array(), err);
	json_array_foreach(list, i, c)
		if (!json && r == 0 && ps_row(&cells, c) < 0)
			r = err_set(err, ENOMEM, "service ps: out of memory");
	if (!json && r == 0)
		print_table(headers, 7, cells);
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
	if (cell(cells, "%s%lld", json_is_true(json_object_get(h, "current")) ? "* " : "  ",
		 num(h, "revision")) < 0 ||
	    cell(cells, "%s", str(h, "status")) < 0 || cell(cells, "%s", ago) < 0 ||
	    cell(cells, "%s", str(h, "image")) < 0)
		return -1;
	return 0;
}

int svc_history(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const char *const headers[] = { "REVISION", "STATUS", "CREATED", "IMAGE" };
	cleanup_strv char **cells = NULL;
	json_t *list = NULL, *h;
	size_t i;
	int r = 0;

	if (argc != 2)
		return err_set(err, EINVAL, "service history: expected one SERVICE");
	if (get_service(g, argv[1], "/history", &list, err) < 0)
		return -1;
	json_array_foreach(list, i, h)
		if (r == 0 && history_row(&cells, h) < 0)
			r = err_set(err, ENOMEM, "service history: out of memory");
	if (r == 0)
		print_table(headers, 4, cells);
	json_decref(list);
	return r;
}
