/* berth-proxy: the data plane of berth's services.  berthd configures
 * it over a unix socket; it keeps serving when berthd is gone. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "proxy/control.h"
#include "proxy/ipcount.h"
#include "proxy/listener.h"
#include "proxy/loop.h"
#include "proxy/session.h"

static const char usage[] =
	"usage: berth-proxy --control PATH [--max-header-bytes N] [--header-timeout-ms N]\n"
	"                   [--idle-timeout-ms N] [--backend-timeout-ms N] [--tunnel-timeout-ms N]\n"
	"                   [--max-conns-per-ip N] [--pool-size N]\n";

static const struct option longopts[] = {
	{ "control", required_argument, NULL, 'c' },
	{ "max-header-bytes", required_argument, NULL, 'H' },
	{ "header-timeout-ms", required_argument, NULL, 't' },
	{ "idle-timeout-ms", required_argument, NULL, 'i' },
	{ "backend-timeout-ms", required_argument, NULL, 'b' },
	{ "tunnel-timeout-ms", required_argument, NULL, 'T' },
	{ "max-conns-per-ip", required_argument, NULL, 'm' },
	{ "pool-size", required_argument, NULL, 'p' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* A decimal number in [min, max] for the flag named name. */
static int number(const char *name, const char *s, int64_t min, int64_t max, int64_t *out,
		  berr_t *err)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return err_set(err, EINVAL, "--%s %s: expected a number from %lld to %lld", name, s,
			       (long long)min, (long long)max);
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o, const char **control, berr_t *err)
{
	int c, idx;
	int64_t v = 0;

	opterr = 0; /* one error line, ours */
	while ((c = getopt_long(argc, argv, ":", longopts, &idx)) != -1) {
		const char *name = c == '?' || c == ':' || c == 'h' ? "" : longopts[idx].name;

		if (c == 'h') {
			fputs(usage, stdout);
			exit(0);
		}
		if (c == ':')
			return err_set(err, EINVAL, "%s: missing value", argv[optind - 1]);
		if (c == '?')
			return err_set(err, EINVAL, "%s: unknown flag (see --help)", argv[optind - 1]);
		if (c == 'c') {
			*control = optarg;
			continue;
		}
		if (number(name, optarg, 1, INT32_MAX, &v, err) < 0)
			return -1;
		switch (c) {
		case 'H': o->max_head = (size_t)v; break;
		case 't': o->header_timeout_ms = v; break;
		case 'i': o->idle_timeout_ms = v; break;
		case 'b': o->backend_timeout_ms = v; break;
		case 'T': o->tunnel_timeout_ms = v; break;
		case 'm': o->max_conns_per_ip = (unsigned)v; break;
		default: o->pool_per_backend = (unsigned)v; break;
		}
	}
	if (optind < argc)
		return err_set(err, EINVAL, "unexpected argument %s", argv[optind]);
	if (!*control)
		return err_set(err, EINVAL, "--control PATH is required");
	if (o->max_head > 1024 * 1024)
		return err_set(err, EINVAL, "--max-header-bytes: at most 1048576");
	return 0;
}

int main(int argc, char **argv)
{
	struct proxy px = {
		.epfd = -1,
		.opts = {
			.max_head = 16 * 1024,
			.header_timeout_ms = 10000,
			.idle_timeout_ms = 60000,
			.backend_timeout_ms = 60000,
			.tunnel_timeout_ms = 3600 * 1000,
			.max_conns_per_ip = 256,
			.pool_per_backend = 64,
		},
	};
	cleanup_err berr_t err = NULL;
	const char *control = NULL;
	int r = -1;

	signal(SIGPIPE, SIG_IGN);
	if (parse_args(argc, argv, &px.opts, &control, &err) < 0)
		goto out;
	if ((px.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		err_sys(&err, "epoll_create1");
		goto out;
	}
	if (!(px.ips = ipcount_new())) {
		err_sys(&err, "client table");
		goto out;
	}
	if (control_open(&px, control, &err) == 0)
		r = loop_run(&px, &err);
	sessions_close_all(&px);
	listeners_free(&px);
	control_close();
out:
	ipcount_free(px.ips);
	if (px.epfd >= 0)
		close(px.epfd);
	if (r < 0)
		err_print(stderr, "berth-proxy", err);
	return r < 0 ? 1 : 0;
}
