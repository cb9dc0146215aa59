/* `berth runtime [global flags] VERB ...` and the berth-runtime entry
 * point: global flags as runc has them, then the verb table. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/runtime/runtime.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "runtime/state.h"

static const struct rt_verb verbs[] = {
	{ "create", "create [flags] ID", "create a container", rt_create, 1 },
	{ "start", "start ID", "run the process of a created container", rt_start, 1 },
	{ "run", "run [flags] ID", "create and start a container", rt_run, 1 },
	{ "state", "state ID", "print the state of a container", rt_state, 1 },
	{ "kill", "kill [--all] ID [SIGNAL]", "send a signal to a container", rt_kill, 1 },
	{ "delete", "delete [--force] ID", "remove a container", rt_delete, 1 },
	{ "exec", "exec [flags] ID COMMAND [ARG...]", "run a process in a container", rt_exec, 255 },
	{ "list", "list [--format table|json] [--quiet]", "list containers", rt_list, 1 },
	{ "ps", "ps [--format table|json] ID [PS-ARGS...]", "list a container's processes", rt_ps, 1 },
	{ "spec", "spec [--bundle DIR] [--rootless]", "write a default config.json", rt_spec, 1 },
	{ "features", "features", "print the supported features as JSON", rt_features, 1 },
	{ "pause", "pause ID", "freeze every process of a container", rt_pause, 1 },
	{ "resume", "resume ID", "thaw a paused container", rt_resume, 1 },
	{ "update", "update [flags] ID", "change a container's resource limits", rt_update, 1 },
};

const struct rt_verb *rt_verb_find(const char *name)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: berth runtime [--root DIR] [--log FILE] [--log-format text|json] [--debug] VERB ...\n\n"
		     "An OCI runtime with runc's command line.\n\nVerbs:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++)
		fprintf(out, "  %-44s %s\n", verbs[i].usage, verbs[i].summary);
}

int rt_getopt(int argc, char **argv, const char *shortopts,
	      const struct option *longopts)
{
	char opts[64];

	/* '+' stops at the first non-flag (the id, or exec's command);
	 * ':' reports a missing value as ':' instead of printing. */
	snprintf(opts, sizeof(opts), "+:%s", shortopts);
	return getopt_long_only(argc, argv, opts, longopts, NULL);
}

int rt_need_id(const struct rt_verb *v, int argc, char **argv, int first,
	       const char **id, berr_t *err)
{
	if (argc - first != 1)
		return err_set(err, EINVAL, "%s: expected exactly one container id (usage: %s)",
			       v->name, v->usage);
	*id = argv[first];
	return 0;
}

int rt_print_json(json_t *v, berr_t *err)
{
	cleanup_free char *text = json_dumps(v, JSON_INDENT(2));

	if (!text)
		return err_set(err, ENOMEM, "encode JSON");
	puts(text);
	return 0;
}

struct globals_parse {
	const char *log_path;
	enum log_format format;
	enum log_level level;
};

static int parse_manager(struct rt_globals *g, const char *v, berr_t *err)
{
	if (strcmp(v, "cgroupfs") == 0)
		return 0;
	if (strcmp(v, "disabled") == 0) {
		g->cgroups_disabled = true;
		return 0;
	}
	if (strcmp(v, "systemd") == 0)
		return err_set(err, EOPNOTSUPP, "--cgroup-manager systemd: berth manages cgroupfs directly; use cgroupfs");
	return err_set(err, EINVAL, "--cgroup-manager: '%s' is not cgroupfs, systemd or disabled",
		       v);
}

static int parse_globals(int argc, char **argv, struct rt_globals *g,
			 struct globals_parse *p, berr_t *err)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "log", required_argument, NULL, 'l' },
		{ "log-format", required_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "systemd-cgroup", no_argument, NULL, 's' },
		{ "cgroup-manager", required_argument, NULL, 'm' },
		{ "rootless", required_argument, NULL, 'R' },
		{ "criu", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ 0 },
	};
	int c;

	while ((c = rt_getopt(argc, argv, "hv", opts)) != -1) {
		switch (c) {
		case 'r': g->root = optarg; break;
		case 'l': p->log_path = optarg; break;
		case 'f':
			if (strcmp(optarg, "json") && strcmp(optarg, "text"))
				return err_set(err, EINVAL, "--log-format: '%s' is not text or json",
					       optarg);
			p->format = strcmp(optarg, "json") == 0 ? LOG_JSON : LOG_TEXT;
			break;
		case 'd': p->level = LOG_DEBUG; break;
		case 's':
			return err_set(err, EOPNOTSUPP, "--systemd-cgroup: berth manages cgroupfs directly; systemd cgroups are not supported");
		case 'm':
			if (parse_manager(g, optarg, err) < 0)
				return -1;
			break;
		case 'R': case 'C': break; /* accepted for engines, no effect */
		case 'h': usage(stdout); exit(0);
		case 'v': printf("berth runtime version 0.1.0\nspec: 1.2.0\n"); exit(0);
		case ':': return err_set(err, EINVAL, "%s: needs a value", argv[optind - 1]);
		default: return err_set(err, EINVAL, "unknown global flag '%s'", argv[optind - 1]);
		}
	}
	return 0;
}

static int dispatch(int argc, char **argv, struct rt_globals *g,
		    int *error_code, berr_t *err)
{
	const struct rt_verb *v;

	if (optind >= argc) {
		usage(stderr);
		return err_set(err, EINVAL, "no verb given");
	}
	v = rt_verb_find(argv[optind]);
	if (!v)
		return err_set(err, EINVAL, "unknown verb '%s' (see 'berth runtime --help')",
			       argv[optind]);
	*error_code = v->error_code;
	argc -= optind;
	argv += optind;
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("Usage: berth runtime %s\n\n%s (see docs/berth-runtime.md)\n",
		       v->usage, v->summary);
		return 0;
	}
	optind = 1;
	return v->fn(g, argc, argv, err);
}

int rt_main(int argc, char **argv)
{
	struct rt_globals g = { .root = STATE_DEFAULT_ROOT };
	struct globals_parse p = { .format = LOG_TEXT, .level = LOG_WARN };
	berr_t err = NULL;
	int code, error_code = 1;

	optind = 1;
	if (parse_globals(argc, argv, &g, &p, &err) < 0 ||
	    log_open(p.log_path, p.format, p.level, &err) < 0) {
		err_print(stderr, "berth", err);
		err_free(&err);
		return 1;
	}
	code = dispatch(argc, argv, &g, &error_code, &err);
	if (code < 0) {
		/* Engines read the --log file; people read stderr. */
		if (log_to_file())
			log_error("%s", err_msg(err));
		err_print(stderr, "berth", err);
		err_free(&err);
		code = error_code;
	}
	log_close();
	return code;
}
