/* `berth service events [-f] [--since ID]`: what berthd did to services
 * (deploys, health changes, rollbacks), one line an event; with -f it
 * keeps streaming them as they happen. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/image/image.h"
#include "cli/service/api_client.h"
#include "cli/service/service.h"
#include "common/units.h"

static const struct option opts[] = {
	{ "follow", no_argument, NULL, 'f' },
	{ "since", required_argument, NULL, 's' },
	{ 0 },
};

/* "2026-11-22T05:40:00Z web deploy revision 3 deploying"; the time as
 * berthd gives it: a string, or Unix seconds. */
static void print_event(json_t *ev)
{
	json_t *t = json_object_get(ev, "time");
	char when[32] = "";

	if (json_is_string(t))
		snprintf(when, sizeof(when), "%s", json_string_value(t));
	else if (json_is_number(t)) {
		time_t secs = (time_t)json_number_value(t);
		struct tm tm;

		if (gmtime_r(&secs, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	printf("%s %s %s %s\n", when, json_string_value(json_object_get(ev, "service")) ?: "-",
	       json_string_value(json_object_get(ev, "kind")) ?: "-",
	       json_string_value(json_object_get(ev, "message")) ?: "");
	fflush(stdout);
}

/* A line of newline-delimited events, or a whole JSON list of them:
 * either is read, so berthd may answer a request without follow=1 in
 * either form. */
static int event_line(void *ctx, const char *line, size_t len, berr_t *err)
{
	json_error_t jerr;
	json_t *ev, *one;
	size_t i;

	if (len == 0)
		return 0;
	if (!(ev = json_loadb(line, len, 0, &jerr)))
		return err_set(err, EPROTO, "berthd's events: not JSON: %s", jerr.text);
	if (json_is_array(ev))
		json_array_foreach(ev, i, one)
			print_event(one);
	else
		print_event(ev);
	json_decref(ev);
	return 0;
}

int svc_events(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	bool follow = false;
	int64_t since = 0;
	char path[128];
	int c;

	while ((c = img_getopt_anywhere(argc, argv, "f", opts)) != -1) {
		if (c == 'f')
			follow = true;
		else if (c != 's')
			return img_bad_flag("service events", c, argv, err);
		else if (units_parse_int(optarg, "service events: --since", 0, INT64_MAX, &since, err) < 0)
			return -1;
	}
	if (optind != argc)
		return err_set(err, EINVAL, "service events: takes no arguments");
	/* since=0: from the first event berthd kept */
	snprintf(path, sizeof(path), "/v1/events?since=%lld%s", (long long)since,
		 follow ? "&follow=1" : "");
	return api_stream(g->run_root, path, event_line, NULL, err);
}
