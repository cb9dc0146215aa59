/* `berth service logs [-f] [-t] [--tail N] SERVICE`: the logs of every
 * replica, each line prefixed "NAME | " as docker compose does.  berthd
 * names the replicas; their logs are read here from the store berth and
 * berthd share, as `berth logs` reads them.  What is there is merged by
 * time; with -f what follows is printed as it comes, and the replica list
 * is asked again every second so that replicas started later (a deploy,
 * a scale-up, a restart) are followed too. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/image/image.h"
#include "cli/service/api_client.h"
#include "cli/service/service.h"
#include "common/cleanup.h"
#include "common/units.h"
#include "container/log_follow.h"
#include "container/log_reader.h"
#include "container/record.h"

#define LOG_NAME "container.log"
#define POLL_NS (100 * 1000 * 1000)
#define RELIST_S 1

static const struct option opts[] = {
	{ "follow", no_argument, NULL, 'f' },
	{ "timestamps", no_argument, NULL, 't' },
	{ "tail", required_argument, NULL, 'n' },
	{ 0 },
};

struct replica {
	char id[CONTAINER_ID_LEN + 1];
	char *name;
	struct log_follow *follow; /* NULL until followed */
	bool listed;               /* in the last list berthd gave */
	bool continued;            /* its last entry printed was partial */
};

struct slogs {
	struct berth_globals *g;
	const char *service;
	bool follow, stamps;
	int64_t tail; /* per replica; -1: all */
	struct replica *r;
	size_t n;
	int width;    /* of the widest name, for the prefixes */
};

/* One entry of the merged history. */
struct line {
	struct log_entry e;
	struct replica *from;
	size_t seq; /* keeps each replica's order among equal times */
};

/* A long line comes as partial entries: the prefix goes before its
 * first, the newline after its last. */
static void print_entry(const struct slogs *s, struct replica *r, const struct log_entry *e)
{
	FILE *out = e->is_stderr ? stderr : stdout;

	if (!r->continued)
		fprintf(out, "%-*s | %s%s", s->width, r->name, s->stamps ? e->stamp : "",
			s->stamps ? " " : "");
	fwrite(e->text, 1, e->len, out);
	if (!e->partial)
		fputc('\n', out);
	r->continued = e->partial;
}

static struct replica *find(struct slogs *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->r[i].id, id))
			return &s->r[i];
	return NULL;
}

static int add(struct slogs *s, const char *id, const char *name, berr_t *err)
{
	struct replica *r = realloc(s->r, (s->n + 1) * sizeof(*r));

	if (!r)
		return err_set(err, ENOMEM, "out of memory");
	s->r = r;
	r = &s->r[s->n];
	*r = (struct replica){ .listed = true, .name = strdup(name) };
	if (!r->name)
		return err_set(err, ENOMEM, "out of memory");
	snprintf(r->id, sizeof(r->id), "%s", id);
	s->n++;
	if ((int)strlen(name) > s->width)
		s->width = (int)strlen(name);
	return 0;
}

static void drop(struct replica *r)
{
	if (r->follow)
		log_follow_close(r->follow);
	free(r->follow);
	free(r->name);
}

/* The service's containers from berthd, marked listed (new ones added);
 * those no longer listed are dropped. */
static int relist(struct slogs *s, berr_t *err)
{
	json_t *svc = NULL, *c;
	size_t i, kept = 0;
	int r = 0;

	if (api_service(s->g->run_root, "GET", s->service, "", NULL, NULL, &svc, err) < 0)
		return -1;
	for (i = 0; i < s->n; i++)
		s->r[i].listed = false;
	json_array_foreach(json_object_get(svc, "containers"), i, c) {
		const char *id = json_string_value(json_object_get(c, "id"));
		const char *name = json_string_value(json_object_get(c, "name"));
		struct replica *known = id ? find(s, id) : NULL;

		if (known)
			known->listed = true;
		else if (r == 0 && id && strlen(id) == CONTAINER_ID_LEN)
			r = add(s, id, name ? name : id, err);
	}
	json_decref(svc);
	for (i = 0; i < s->n; i++) {
		if (s->r[i].listed)
			s->r[kept++] = s->r[i];
		else
			drop(&s->r[i]);
	}
	s->n = kept;
	return r;
}

static int by_time(const void *a, const void *b)
{
	const struct line *x = a, *y = b;

	if (x->e.time.tv_sec != y->e.time.tv_sec)
		return x->e.time.tv_sec < y->e.time.tv_sec ? -1 : 1;
	if (x->e.time.tv_nsec != y->e.time.tv_nsec)
		return x->e.time.tv_nsec < y->e.time.tv_nsec ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The entries of text (the last tail of them) appended to *lines. */
static int collect(const struct slogs *s, struct replica *r, const char *text, size_t len,
		   struct line **lines, size_t *n, berr_t *err)
{
	size_t total = 0, skip = 0;
	struct log_entry e;

	for (const char *p = text; (p = memchr(p, '\n', (size_t)(text + len - p))); p++)
		total++;
	if (s->tail >= 0 && total > (size_t)s->tail)
		skip = total - (size_t)s->tail;
	for (const char *p = text, *nl; (nl = memchr(p, '\n', (size_t)(text + len - p))); p = nl + 1) {
		if (skip) {
			skip--;
			continue;
		}
		if (log_entry_parse(p, (size_t)(nl - p), &e) < 0)
			continue;
		struct line *more = realloc(*lines, (*n + 1) * sizeof(**lines));

		if (!more)
			return err_set(err, ENOMEM, "out of memory");
		*lines = more;
		(*lines)[*n] = (struct line){ .e = e, .from = r, .seq = *n };
		(*n)++;
	}
	return 0;
}

/* Follow r's live log from offset from; a replica whose log is not
 * there yet (not started) is tried again next round. */
static int start_following(const struct slogs *s, struct replica *r, off_t from, berr_t *err)
{
	struct container_paths p;
	cleanup_err berr_t open_err = NULL;

	if (container_paths(s->g->root, s->g->run_root, r->id, &p, err) < 0)
		return -1;
	if (!(r->follow = malloc(sizeof(*r->follow))))
		return err_set(err, ENOMEM, "out of memory");
	if (log_follow_open(r->follow, p.dir, LOG_NAME, from, &open_err) == 0)
		return 0;
	free(take_ptr(r->follow));
	if (open_err->errnum == ENOENT)
		return 0;
	*err = take_ptr(open_err);
	return err_prefix(err, "%s", r->name);
}

/* A replica's log so far into *text (kept until printed); with -f it is
 * then followed from the end of the whole lines read. */
static int read_one(struct slogs *s, struct replica *r, char **text, struct line **lines,
		    size_t *n, berr_t *err)
{
	struct container_paths p;
	cleanup_err berr_t read_err = NULL;
	size_t len = 0, live = 0, rest;
	const char *nl;

	if (container_paths(s->g->root, s->g->run_root, r->id, &p, err) < 0)
		return -1;
	/* A replica removed since berthd listed it has nothing to show. */
	if (log_read_all(p.dir, LOG_NAME, text, &len, &live, &read_err) < 0) {
		if (read_err->errnum != ENOENT) {
			*err = take_ptr(read_err);
			return err_prefix(err, "%s", r->name);
		}
		len = live = 0;
	}
	if (collect(s, r, *text, len, lines, n, err) < 0)
		return -1;
	if (!s->follow)
		return 0;
	nl = len ? memrchr(*text, '\n', len) : NULL;
	rest = len - (nl ? (size_t)(nl + 1 - *text) : 0);
	return start_following(s, r, (off_t)(live > rest ? live - rest : 0), err);
}

/* Everything logged so far, merged by time. */
static int history(struct slogs *s, berr_t *err)
{
	cleanup_free struct line *lines = NULL;
	char **texts = calloc(s->n + 1, sizeof(*texts));
	size_t n = 0;
	int r = texts ? 0 : err_set(err, ENOMEM, "out of memory");

	for (size_t i = 0; r == 0 && i < s->n; i++)
		r = read_one(s, &s->r[i], &texts[i], &lines, &n, err);
	if (r == 0) {
		qsort(lines, n, sizeof(*lines), by_time);
		for (size_t i = 0; i < n; i++)
			print_entry(s, lines[i].from, &lines[i].e);
	}
	for (size_t i = 0; texts && i < s->n; i++)
		free(texts[i]);
	free(texts);
	return r;
}

struct poll_ctx {
	const struct slogs *s;
	struct replica *r;
};

static void follow_line(void *ctx, const char *line, size_t len)
{
	const struct poll_ctx *c = ctx;
	struct log_entry e;

	if (log_entry_parse(line, len, &e) == 0)
		print_entry(c->s, c->r, &e);
}

/* One round over the replicas; *busy when any had something new.  A
 * replica new since the last round is followed from its start. */
static int poll_all(struct slogs *s, bool *busy, berr_t *err)
{
	for (size_t i = 0; i < s->n; i++) {
		struct replica *r = &s->r[i];
		struct poll_ctx c = { s, r };
		int k;

		if (!r->follow && start_following(s, r, 0, err) < 0)
			return -1;
		if (!r->follow)
			continue;
		if ((k = log_follow_poll(r->follow, follow_line, &c, err)) < 0)
			return err_prefix(err, "%s", r->name);
		*busy |= k > 0;
	}
	fflush(stdout);
	fflush(stderr);
	return 0;
}

static time_t monotonic_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec;
}

/* Until interrupted, or berthd cannot say what the replicas are.  The
 * list is asked for by the clock, not by idle rounds, so that chatty
 * replicas do not hide new ones. */
static int follow(struct slogs *s, berr_t *err)
{
	struct timespec pause = { 0, POLL_NS };
	time_t listed = monotonic_s();

	for (;;) {
		bool busy = false;

		if (poll_all(s, &busy, err) < 0)
			return -1;
		if (monotonic_s() - listed >= RELIST_S) {
			if (relist(s, err) < 0)
				return -1;
			listed = monotonic_s();
		}
		if (!busy)
			nanosleep(&pause, NULL);
	}
}

static int parse(struct slogs *s, int argc, char **argv, berr_t *err)
{
	int c;

	while ((c = img_getopt_anywhere(argc, argv, "ftn:", opts)) != -1) {
		if (c == 'f')
			s->follow = true;
		else if (c == 't')
			s->stamps = true;
		else if (c == 'n' && strcmp(optarg, "all") &&
			 units_parse_int(optarg, "service logs: --tail", 0, INT64_MAX, &s->tail, err) < 0)
			return -1;
		else if (c != 'n')
			return img_bad_flag("service logs", c, argv, err);
	}
	if (argc - optind != 1)
		return err_set(err, EINVAL, "service logs: expected one SERVICE");
	s->service = argv[optind];
	return 0;
}

int svc_logs(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	struct slogs s = { .g = g, .tail = -1 };
	int r = parse(&s, argc, argv, err);

	if (r == 0)
		r = relist(&s, err);
	if (r == 0)
		r = history(&s, err);
	fflush(stdout);
	fflush(stderr);
	if (r == 0 && s.follow)
		r = follow(&s, err);
	for (size_t i = 0; i < s.n; i++)
		drop(&s.r[i]);
	free(s.r);
	return r;
}
