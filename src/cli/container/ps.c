/* `berth ps [-a] [-q] [--no-trunc] [--format json]`: docker's columns;
 * STATUS also says how often the container was restarted and, while it
 * waits between attempts, when the next one is. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/container/container.h"
#include "cli/image/image.h"
#include "common/strv.h"
#include "container/record.h"
#include "container/status.h"
#include "network/network.h"

enum { PS_NO_TRUNC = 256, PS_FORMAT };

static const struct option opts[] = {
	{ "all", no_argument, NULL, 'a' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "no-trunc", no_argument, NULL, PS_NO_TRUNC },
	{ "format", required_argument, NULL, PS_FORMAT },
	{ 0 },
};

struct ps_flags {
	bool all, quiet, no_trunc, json;
};

#define COLS 7

static const char *state_str(json_t *state, const char *key)
{
	const char *s = json_string_value(json_object_get(state, key));

	return s ? s : "";
}

/* "in 1.5s" until an RFC 3339 time. */
static void until(const char *when, char *buf, size_t len)
{
	struct timespec now;
	time_t t = img_parse_time(when);

	clock_gettime(CLOCK_REALTIME, &now);
	double d = t ? (double)(t - now.tv_sec) : 0;
	const char *frac = strchr(when, '.');

	if (frac)
		d += strtod(frac, NULL) - (double)now.tv_nsec / 1e9;
	snprintf(buf, len, "%.1fs", d > 0 ? d : 0);
}

/* "Up 5 seconds", "Exited (1) 3 minutes ago", "Restarting (1) 2 seconds
 * ago, next in 1.6s", each with "(N restarts)" when there were any. */
static void status_text(const struct container_view *v, char *buf, size_t len)
{
	json_t *st = v->state;
	char ago[64], next[32];
	long long code = json_integer_value(json_object_get(st, "ExitCode"));
	long long restarts = json_integer_value(json_object_get(st, "RestartCount"));
	int n;

	if (!strcmp(v->status, "running")) {
		img_ago(img_parse_time(state_str(st, "StartedAt")), ago, sizeof(ago));
		ago[strlen(ago) > 4 ? strlen(ago) - 4 : 0] = 0; /* " ago" */
		n = snprintf(buf, len, "Up %s", ago);
	} else if (!strcmp(v->status, "restarting")) {
		img_ago(img_parse_time(state_str(st, "FinishedAt")), ago, sizeof(ago));
		until(state_str(st, "NextRestartAt"), next, sizeof(next));
		n = snprintf(buf, len, "Restarting (%lld) %s, next in %s", code, ago, next);
	} else if (!strcmp(v->status, "exited")) {
		img_ago(img_parse_time(state_str(st, "FinishedAt")), ago, sizeof(ago));
		n = snprintf(buf, len, "Exited (%lld) %s", code, ago);
	} else {
		n = snprintf(buf, len, "%s", !strcmp(v->status, "dead")      ? "Dead"
					     : !strcmp(v->status, "unknown") ? "Unknown"
									     : "Created");
	}
	if (restarts > 0 && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " (%lld restart%s)", restarts, restarts == 1 ? "" : "s");
}

/* docker's COMMAND: quoted, cut to 20 characters unless --no-trunc. */
static char *command_text(const struct container_view *v, bool no_trunc)
{
	json_t *cmd = json_object_get(json_object_get(v->rec, "Config"), "Cmd"), *a;
	char buf[256], out[264];
	size_t i, n = 0;

	buf[0] = 0;
	json_array_foreach(cmd, i, a)
		if (n < sizeof(buf))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? " " : "",
					      json_string_value(a));
	if (!no_trunc && strlen(buf) > 20)
		snprintf(buf + 19, sizeof(buf) - 19, "…");
	snprintf(out, sizeof(out), "\"%s\"", buf);
	return strdup(out);
}

static json_t *row_json(const struct container_view *v)
{
	json_t *rec = v->rec, *st = v->state;

	return json_pack("{s:O?, s:O?, s:O?, s:s, s:I, s:I, s:I, s:s}", "ID",
			 json_object_get(rec, "Id"), "Names", json_object_get(rec, "Name"), "Image",
			 json_object_get(rec, "ImageName"), "State", v->status, "ExitCode",
			 (json_int_t)json_integer_value(json_object_get(st, "ExitCode")),
			 "RestartCount",
			 (json_int_t)json_integer_value(json_object_get(st, "RestartCount")), "Pid",
			 (json_int_t)v->pid, "NextRestartAt", state_str(st, "NextRestartAt"));
}

static int show(struct berth_globals *g, const char *id, const struct ps_flags *f,
		json_t *attachments, char ***cells, size_t *rows, berr_t *err)
{
	struct container_view v;
	char status[160], created[64];
	int r = 0;

	if (container_view_load(g->root, g->run_root, id, &v, err) < 0) {
		container_view_clear(&v);
		return -1;
	}
	bool live = !strcmp(v.status, "running") || !strcmp(v.status, "restarting");

	if (v.state_error)
		fprintf(stderr, "berth: container %.12s: %s\n", id, v.state_error);

	if (!f->all && !live)
		goto out;
	if (f->quiet) {
		printf("%.12s\n", id);
		goto out;
	}
	if (f->json) {
		json_t *row = row_json(&v);

		r = img_print_json(row, err);
		json_decref(row);
		goto out;
	}
	status_text(&v, status, sizeof(status));
	img_ago(img_parse_time(json_string_value(json_object_get(v.rec, "Created")) ?: ""),
		created, sizeof(created));
	char idtext[65];

	snprintf(idtext, sizeof(idtext), f->no_trunc ? "%s" : "%.12s", id);
	char *cmd = command_text(&v, f->no_trunc), ports[256] = "";
	json_t *net = ctr_network_settings_of(attachments, id);

	ctr_ports_text(net, ports, sizeof(ports));
	json_decref(net);
	const char *vals[COLS] = { idtext, json_string_value(json_object_get(v.rec, "ImageName")),
				   cmd, created, status, ports,
				   json_string_value(json_object_get(v.rec, "Name")) };

	for (int i = 0; i < COLS; i++)
		if (strv_push(cells, vals[i] ? vals[i] : "") < 0)
			r = err_sys(err, "ps");
	free(cmd);
	(*rows)++;
out:
	container_view_clear(&v);
	return r;
}

int ctr_ps(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const char *const headers[COLS] = { "CONTAINER ID", "IMAGE", "COMMAND", "CREATED",
						   "STATUS", "PORTS", "NAMES" };
	struct ps_flags f = { 0 };
	char **ids = NULL, **cells = NULL;
	size_t rows = 0;
	int c, r = 0;

	while ((c = img_getopt(argc, argv, "aq", opts)) != -1) {
		if (c == 'a')
			f.all = true;
		else if (c == 'q')
			f.quiet = true;
		else if (c == PS_NO_TRUNC)
			f.no_trunc = true;
		else if (c == PS_FORMAT && !strcmp(optarg, "json"))
			f.json = true;
		else
			return c == PS_FORMAT ? err_set(err, EINVAL, "ps: --format '%s': only json is supported", optarg)
					      : img_bad_flag("ps", c, argv, err);
	}
	struct net_roots nr = { .store = g->root, .run = g->run_root };
	json_t *attachments = NULL;

	/* Every container's network from one read of the attachments. */
	if (container_list(g->root, &ids, err) < 0 || net_attachments(&nr, NULL, &attachments, err) < 0)
		r = -1;
	for (size_t i = 0; r == 0 && ids[i]; i++)
		r = show(g, ids[i], &f, attachments, &cells, &rows, err);
	json_decref(attachments);
	if (r == 0 && !f.quiet && !f.json)
		img_print_table(headers, COLS, (const char *const *)cells, rows);
	strv_free(ids);
	strv_free(cells);
	return r;
}
