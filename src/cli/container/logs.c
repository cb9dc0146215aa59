/* `berth logs [-f] [-t] [--since T] [--until T] [--tail N] CONTAINER`:
 * the container's stdout to stdout and its stderr to stderr, from the
 * rotated files and, with -f, as the monitor writes them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/container/container.h"
#include "cli/image/image.h"
#include "common/cleanup.h"
#include "common/units.h"
#include "container/log_follow.h"
#include "container/log_reader.h"
#include "container/status.h"

#define LOG_NAME "container.log"
#define FOLLOW_POLL_NS (100 * 1000 * 1000)

enum { L_SINCE = 256, L_UNTIL, L_TAIL };

static const struct option opts[] = {
	{ "follow", no_argument, NULL, 'f' },
	{ "timestamps", no_argument, NULL, 't' },
	{ "since", required_argument, NULL, L_SINCE },
	{ "until", required_argument, NULL, L_UNTIL },
	{ "tail", required_argument, NULL, L_TAIL },
	{ "n", required_argument, NULL, 'n' },
	{ 0 },
};

struct logs_flags {
	bool follow, stamps;
	struct timespec since, until; /* tv_sec 0: unset */
	int64_t tail;                 /* -1: all */
};

/* RFC 3339, Unix seconds, or a duration back from now ("10m"). */
static int parse_when(const char *flag, const char *s, struct timespec *t, berr_t *err)
{
	int64_t ns;
	char *end;
	long long secs = strtoll(s, &end, 10);

	if (*s && !*end) {
		t->tv_sec = (time_t)secs;
		return 0;
	}
	if (log_time_parse(s, strlen(s), t) == 0 || (t->tv_sec = img_parse_time(s)))
		return 0;
	if (units_parse_duration(s, flag, &ns, err) < 0)
		return err_set(err, EINVAL, "%s '%s': expected a time (RFC 3339 or Unix seconds) or a duration like 10m",
			       flag, s);
	clock_gettime(CLOCK_REALTIME, t);
	t->tv_sec -= (time_t)(ns / 1000000000);
	return 0;
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static bool wanted(const struct logs_flags *f, const struct log_entry *e)
{
	if (f->since.tv_sec && before(&e->time, &f->since))
		return false;
	return !f->until.tv_sec || before(&e->time, &f->until);
}

static void print_entry(const struct logs_flags *f, const struct log_entry *e)
{
	FILE *out = e->is_stderr ? stderr : stdout;

	if (f->stamps)
		fprintf(out, "%s ", e->stamp);
	fwrite(e->text, 1, e->len, out);
	if (!e->partial)
		fputc('\n', out);
}

static void print_line(void *ctx, const char *line, size_t len)
{
	const struct logs_flags *f = ctx;
	struct log_entry e;

	if (log_entry_parse(line, len, &e) == 0 && wanted(f, &e))
		print_entry(f, &e);
}

/* Entries in buf[0..len) that pass the filters, the last tail of them;
 * returns how much of buf was whole lines (the rest is being written). */
static size_t print_lines(const struct logs_flags *f, const char *buf, size_t len, int64_t tail)
{
	size_t skip = 0, done = 0;

	if (tail >= 0) {
		int64_t total = 0;

		for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + len - p))); p++)
			total++;
		skip = total > tail ? (size_t)(total - tail) : 0;
	}
	for (const char *p = buf, *nl; (nl = memchr(p, '\n', (size_t)(buf + len - p))); p = nl + 1) {
		done = (size_t)(nl + 1 - buf);
		if (skip)
			skip--;
		else
			print_line((void *)f, p, (size_t)(nl - p));
	}
	fflush(stdout);
	fflush(stderr);
	return done;
}

/* -f: what the monitor appends until the monitor is gone and everything
 * is read. */
static int follow(struct berth_globals *g, const char *id, const char *dir,
		  const struct logs_flags *f, off_t from, berr_t *err)
{
	struct log_follow t;
	struct timespec pause = { 0, FOLLOW_POLL_NS };
	int r;

	if (log_follow_open(&t, dir, LOG_NAME, from, err) < 0)
		return -1;
	while ((r = log_follow_poll(&t, print_line, (void *)f, err)) >= 0) {
		struct container_view v;

		fflush(stdout);
		fflush(stderr);
		if (r > 0)
			continue;
		if (container_view_load(g->root, g->run_root, id, &v, err) < 0) {
			container_view_clear(&v);
			r = -1;
			break;
		}
		bool alive = v.monitor_alive;

		container_view_clear(&v);
		if (!alive)
			break;
		nanosleep(&pause, NULL);
	}
	log_follow_close(&t);
	return r < 0 ? -1 : 0;
}

static int parse(int argc, char **argv, struct logs_flags *f, berr_t *err)
{
	int c;

	while ((c = img_getopt(argc, argv, "ftn:", opts)) != -1) {
		if (c == 'f')
			f->follow = true;
		else if (c == 't')
			f->stamps = true;
		else if (c == L_SINCE && parse_when("--since", optarg, &f->since, err) < 0)
			return -1;
		else if (c == L_UNTIL && parse_when("--until", optarg, &f->until, err) < 0)
			return -1;
		else if ((c == L_TAIL || c == 'n') && strcmp(optarg, "all") &&
			 units_parse_int(optarg, "--tail", 0, INT64_MAX, &f->tail, err) < 0)
			return -1;
		else if (c != 'f' && c != 't' && c != L_SINCE && c != L_UNTIL && c != L_TAIL && c != 'n')
			return img_bad_flag("logs", c, argv, err);
	}
	if (argc - optind != 1)
		return err_set(err, EINVAL, "logs: expected one container");
	return 0;
}

int ctr_logs(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	struct logs_flags f = { .tail = -1 };
	struct container_view v;
	cleanup_free char *text = NULL;
	size_t len, live;
	int r;

	if (parse(argc, argv, &f, err) < 0 || cli_container_view(g, argv[optind], &v, err) < 0)
		return -1;
	r = log_read_all(v.paths.dir, LOG_NAME, &text, &len, &live, err);
	if (r == 0) {
		size_t rest = len - print_lines(&f, text, len, f.tail);

		/* Followed from the end of the live file's whole lines. */
		if (f.follow)
			r = follow(g, v.paths.id, v.paths.dir, &f,
				   live > rest ? (off_t)(live - rest) : 0, err);
	}
	container_view_clear(&v);
	return r;
}
