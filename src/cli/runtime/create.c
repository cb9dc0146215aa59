/* create and run share their flags. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/runtime/runtime.h"
#include "common/units.h"
#include "runtime/container.h"

enum { OPT_CONSOLE = 256, OPT_PIDFILE, OPT_NOPIVOT, OPT_NOKEYRING, OPT_PRESERVE,
       OPT_CONFIG, OPT_KEEP, OPT_NOSUBREAPER };

static const struct option create_opts[] = {
	{ "bundle", required_argument, NULL, 'b' },
	{ "console-socket", required_argument, NULL, OPT_CONSOLE },
	{ "pid-file", required_argument, NULL, OPT_PIDFILE },
	{ "no-pivot", no_argument, NULL, OPT_NOPIVOT },
	{ "no-new-keyring", no_argument, NULL, OPT_NOKEYRING },
	{ "preserve-fds", required_argument, NULL, OPT_PRESERVE },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "detach", no_argument, NULL, 'd' },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "no-subreaper", no_argument, NULL, OPT_NOSUBREAPER },
	{ 0 },
};

struct run_flags {
	bool detach, keep;
};

/* systemd socket activation, as runc and crun pass it on: the fds follow
 * stdio and the container sees LISTEN_FDS with itself (pid 1) as
 * LISTEN_PID.  Not when LISTEN_PID names another process: the activation
 * was meant for it. */
static int listen_fds(struct create_opts *o, berr_t *err)
{
	const char *v = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
	int64_t n, p;

	if (!v || !*v)
		return 0;
	if (pid && (units_parse_int(pid, "LISTEN_PID", 1, INT32_MAX, &p, err) < 0 ||
		    p != getpid())) {
		err_free(err);
		return 0;
	}
	if (units_parse_int(v, "LISTEN_FDS", 0, 1 << 16, &n, err) < 0)
		return -1;
	o->listen_fds = (unsigned)n;
	return 0;
}

static int parse(struct rt_globals *g, int argc, char **argv, bool run,
		 struct create_opts *o, struct run_flags *f, berr_t *err)
{
	const struct rt_verb *v = rt_verb_find(run ? "run" : "create");
	int64_t n;
	int c;

	*o = (struct create_opts){ .root = g->root,
				   .cgroups_disabled = g->cgroups_disabled };
	while ((c = rt_getopt(argc, argv, run ? "b:d" : "b:", create_opts)) != -1) {
		switch (c) {
		case 'b': o->bundle = optarg; break;
		case OPT_CONSOLE: o->console_socket = optarg; break;
		case OPT_PIDFILE: o->pid_file = optarg; break;
		case OPT_NOPIVOT: o->no_pivot = true; break;
		case OPT_NOKEYRING: o->no_new_keyring = true; break;
		case OPT_CONFIG: o->config_path = optarg; break;
		case OPT_PRESERVE:
			if (units_parse_int(optarg, "--preserve-fds", 0, 1 << 20, &n, err) < 0)
				return -1;
			o->preserve_fds = (unsigned)n;
			break;
		case 'd': case OPT_KEEP:
			if (!run)
				return err_set(err, EINVAL, "create: unknown flag '%s'",
					       argv[optind - 1]);
			*(c == 'd' ? &f->detach : &f->keep) = true;
			break;
		case OPT_NOSUBREAPER: break;
		case ':': return err_set(err, EINVAL, "%s: '%s' needs a value", v->name,
					 argv[optind - 1]);
		default: return err_set(err, EINVAL, "%s: unknown flag '%s'", v->name,
					argv[optind - 1]);
		}
	}
	if (listen_fds(o, err) < 0)
		return -1;
	return rt_need_id(v, argc, argv, optind, &o->id, err);
}

int rt_create(struct rt_globals *g, int argc, char **argv, berr_t *err)
{
	struct create_opts o;
	struct run_flags f = { 0 };

	if (parse(g, argc, argv, false, &o, &f, err) < 0 ||
	    container_create(&o, NULL, err) < 0)
		return -1;
	return 0;
}

int rt_run(struct rt_globals *g, int argc, char **argv, berr_t *err)
{
	struct create_opts o;
	struct run_flags f = { 0 };
	int code;

	if (parse(g, argc, argv, true, &o, &f, err) < 0 ||
	    container_run(&o, f.detach, f.keep, &code, err) < 0)
		return -1;
	return code;
}
