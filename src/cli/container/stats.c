/* `berth stats [--no-stream] [--format table|json] ID...`: docker's
 * columns, refreshed every second until interrupted, or once with
 * --no-stream (two samples a second apart, so the CPU % means something). */
#include "cli/container/container.h"
#include "cli/image/image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "container/stats.h"
#include "runtime/state.h"

#define COLUMNS 8
#define CELL_MAX 64

enum { S_NO_STREAM = 256, S_FORMAT };

static const struct option opts[] = {
	{ "no-stream", no_argument, NULL, S_NO_STREAM },
	{ "format", required_argument, NULL, S_FORMAT },
	{ 0 },
};

static const char *const headers[COLUMNS] = {
	"CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O",
	"PIDS",
};

struct watched {
	char *id, *name;
	struct container_stats prev, now;
	char cells[COLUMNS][CELL_MAX];
};

struct stats_cmd {
	char state_root[PATH_MAX];
	struct watched *c;
	size_t n;
	bool stream, json;
};

/* The --name given to `berth run` (recorded in the state's annotations),
 * else the short id, as docker shows an unnamed one's. */
static int find_one(struct stats_cmd *x, const struct berth_globals *g, const char *arg,
		    struct watched *w, berr_t *err)
{
	struct container_state st = { 0 };
	const char *name;

	if (cli_container_find(g, arg, x->state_root, &w->id, err) < 0 ||
	    state_load(x->state_root, w->id, &st, err) < 0)
		return -1;
	name = json_string_value(json_object_get(st.annotations, "org.berth.name"));
	w->name = name ? strdup(name) : strndup(w->id, 12);
	state_clear(&st);
	return w->name ? 0 : err_sys(err, "stats");
}

static void pair(char *buf, uint64_t a, uint64_t b, void (*fmt)(uint64_t, char *, size_t))
{
	char x[24], y[24];

	fmt(a, x, sizeof(x));
	fmt(b, y, sizeof(y));
	snprintf(buf, CELL_MAX, "%s / %s", x, y);
}

static void fill_cells(struct watched *w)
{
	const struct container_stats *s = &w->now;

	snprintf(w->cells[0], CELL_MAX, "%.12s", w->id);
	snprintf(w->cells[1], CELL_MAX, "%s", w->name);
	stats_format_percent(container_cpu_percent(&w->prev, s), w->cells[2], CELL_MAX);
	pair(w->cells[3], s->memory_usage, s->memory_limit, stats_format_binary);
	stats_format_percent(container_mem_percent(s), w->cells[4], CELL_MAX);
	pair(w->cells[5], s->net_rx, s->net_tx, stats_format_decimal);
	pair(w->cells[6], s->blk_read, s->blk_write, stats_format_decimal);
	snprintf(w->cells[7], CELL_MAX, "%llu", (unsigned long long)s->pids_current);
}

/* docker's `--format json`: one object per container and line. */
static int print_json(const struct watched *w, berr_t *err)
{
	cleanup_free char *text = NULL;
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", w->cells[0],
			      "Container", w->cells[0], "Name", w->cells[1], "CPUPerc",
			      w->cells[2], "MemUsage", w->cells[3], "MemPerc", w->cells[4],
			      "NetIO", w->cells[5], "BlockIO", w->cells[6], "PIDs", w->cells[7]);

	text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	if (!text)
		return err_set(err, ENOMEM, "stats: encode JSON");
	printf("%s\n", text);
	return 0;
}

static int print_all(struct stats_cmd *x, berr_t *err)
{
	cleanup_free const char **cells = calloc(x->n * COLUMNS + 1, sizeof(*cells));

	if (!cells)
		return err_sys(err, "stats");
	if (x->stream && isatty(STDOUT_FILENO))
		printf("\033[2J\033[H");
	for (size_t i = 0; i < x->n; i++) {
		fill_cells(&x->c[i]);
		for (int c = 0; c < COLUMNS; c++)
			cells[i * COLUMNS + c] = x->c[i].cells[c];
		if (x->json && print_json(&x->c[i], err) < 0)
			return -1;
	}
	if (!x->json)
		img_print_table(headers, COLUMNS, cells, x->n);
	return fflush(stdout) == 0 ? 0 : err_sys(err, "write standard output");
}

static int sample(struct stats_cmd *x, berr_t *err)
{
	for (size_t i = 0; i < x->n; i++) {
		x->c[i].prev = x->c[i].now;
		if (container_stats_read(x->state_root, x->c[i].id, &x->c[i].now, err) < 0)
			return -1;
	}
	return 0;
}

static int parse(struct stats_cmd *x, int argc, char **argv, berr_t *err)
{
	int c;

	x->stream = true;
	while ((c = img_getopt(argc, argv, "", opts)) != -1) {
		if (c == S_NO_STREAM)
			x->stream = false;
		else if (c == S_FORMAT && (!strcmp(optarg, "json") || !strcmp(optarg, "table")))
			x->json = !strcmp(optarg, "json");
		else if (c == S_FORMAT)
			return err_set(err, EINVAL, "stats: --format '%s': expected table or json",
				       optarg);
		else
			return img_bad_flag("stats", c, argv, err);
	}
	if (optind >= argc)
		return err_set(err, EINVAL, "stats: expected at least one container");
	return 0;
}

static int watch(struct stats_cmd *x, berr_t *err)
{
	const struct timespec second = { 1, 0 };

	if (sample(x, err) < 0)
		return -1;
	do {
		nanosleep(&second, NULL);
		if (sample(x, err) < 0 || print_all(x, err) < 0)
			return -1;
	} while (x->stream);
	return 0;
}

int cli_stats(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	struct stats_cmd x = { 0 };
	int r;

	if (parse(&x, argc, argv, err) < 0)
		return -1;
	x.c = calloc((size_t)(argc - optind), sizeof(*x.c));
	if (!x.c)
		return err_sys(err, "stats");
	r = 0;
	for (int i = optind; i < argc && r == 0; i++)
		r = find_one(&x, g, argv[i], &x.c[x.n++], err);
	if (r == 0)
		r = watch(&x, err);
	for (size_t i = 0; i < x.n; i++) {
		free(x.c[i].id);
		free(x.c[i].name);
	}
	free(x.c);
	return r;
}
