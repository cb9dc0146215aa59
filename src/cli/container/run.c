/* `berth run`: an image's container in the foreground, with docker run's
 * flags: rootfs (overlay of the image's layers), OCI config, the in-process
 * runtime, then cleanup. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/container/container.h"
#include "common/cleanup.h"
#include "common/strv.h"
#include "common/units.h"
#include "container/foreground.h"
#include "container/kept.h"
#include "container/monitor_client.h"
#include "container/record.h"
#include "container/run_options.h"
#include "image/image.h"
#include "image/store.h"
#include "image/store_internal.h"
#include "network/network.h"

enum { R_RM = 256, R_ENVFILE, R_ENTRYPOINT, R_NAME, R_TMPFS, R_READONLY, R_CPUS,
       R_PIDS, R_CAPADD, R_CAPDROP, R_SECOPT, R_NETWORK, R_ULIMIT, R_INIT, R_USERNS,
       R_PULL, R_RESTART, R_RDELAY, R_RMAXDELAY, R_RMULT, R_RRESET, R_LOGOPT, R_STOPSIG,
       R_STOPTIMEOUT };

static const struct option opts[] = {
	{ "rm", no_argument, NULL, R_RM },
	{ "interactive", no_argument, NULL, 'i' },
	{ "tty", no_argument, NULL, 't' },
	{ "env", required_argument, NULL, 'e' },
	{ "env-file", required_argument, NULL, R_ENVFILE },
	{ "workdir", required_argument, NULL, 'w' },
	{ "user", required_argument, NULL, 'u' },
	{ "entrypoint", required_argument, NULL, R_ENTRYPOINT },
	{ "name", required_argument, NULL, R_NAME },
	{ "hostname", required_argument, NULL, 'h' },
	{ "volume", required_argument, NULL, 'v' },
	{ "tmpfs", required_argument, NULL, R_TMPFS },
	{ "read-only", no_argument, NULL, R_READONLY },
	{ "memory", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, R_CPUS },
	{ "pids-limit", required_argument, NULL, R_PIDS },
	{ "cap-add", required_argument, NULL, R_CAPADD },
	{ "cap-drop", required_argument, NULL, R_CAPDROP },
	{ "security-opt", required_argument, NULL, R_SECOPT },
	{ "network", required_argument, NULL, R_NETWORK },
	{ "net", required_argument, NULL, R_NETWORK },
	{ "ulimit", required_argument, NULL, R_ULIMIT },
	{ "init", no_argument, NULL, R_INIT },
	{ "userns", required_argument, NULL, R_USERNS },
	{ "pull", required_argument, NULL, R_PULL },
	{ "detach", no_argument, NULL, 'd' },
	{ "restart", required_argument, NULL, R_RESTART },
	{ "restart-delay", required_argument, NULL, R_RDELAY },
	{ "restart-max-delay", required_argument, NULL, R_RMAXDELAY },
	{ "restart-multiplier", required_argument, NULL, R_RMULT },
	{ "restart-reset-after", required_argument, NULL, R_RRESET },
	{ "log-opt", required_argument, NULL, R_LOGOPT },
	{ "stop-signal", required_argument, NULL, R_STOPSIG },
	{ "stop-timeout", required_argument, NULL, R_STOPTIMEOUT },
	{ "publish", required_argument, NULL, 'p' },
	{ "label", required_argument, NULL, 'l' },
	{ 0 },
};

static int push(char ***v, berr_t *err)
{
	return strv_push(v, optarg) < 0 ? err_sys(err, "run") : 0;
}

static int parse_cpus(struct run_options *o, berr_t *err)
{
	char *end;

	o->cpus = strtod(optarg, &end);
	if (*end || end == optarg || !(o->cpus > 0) || o->cpus > 1024)
		return err_set(err, EINVAL, "--cpus: '%s' is not a number of CPUs like 1.5", optarg);
	return 0;
}

static int security_opt(struct run_options *o, berr_t *err)
{
	if (!strcmp(optarg, "no-new-privileges") || !strcmp(optarg, "no-new-privileges:true") ||
	    !strcmp(optarg, "no-new-privileges=true"))
		o->no_new_privileges = true;
	else if (!strncmp(optarg, "seccomp=", 8) || !strncmp(optarg, "seccomp:", 8))
		o->seccomp = optarg + 8;
	else
		return err_set(err, EINVAL, "--security-opt '%s': expected no-new-privileges or seccomp=unconfined|FILE",
			       optarg);
	return 0;
}

static int restart_mode(struct run_options *o, berr_t *err)
{
	if (restart_policy_parse_mode(optarg, &o->restart) < 0)
		return err_set(err, EINVAL, "--restart '%s': expected no, on-failure[:N], always or unless-stopped",
			       optarg);
	return 0;
}

static int duration(const char *flag, uint64_t *out, berr_t *err)
{
	int64_t ns;

	if (units_parse_duration(optarg, flag, &ns, err) < 0)
		return -1;
	if (ns <= 0 || (uint64_t)ns > BACKOFF_MAX_NS)
		return err_set(err, EINVAL, "%s '%s': must be more than zero and at most a year", flag,
			       optarg);
	*out = (uint64_t)ns;
	return 0;
}

static int multiplier(struct run_options *o, berr_t *err)
{
	char *end;

	o->restart.multiplier = strtod(optarg, &end);
	if (*end || end == optarg || !(o->restart.multiplier >= 1.0 && o->restart.multiplier <= 100.0))
		return err_set(err, EINVAL, "--restart-multiplier '%s': expected a number from 1 to 100",
			       optarg);
	return 0;
}

/* docker's json-file options, for berth's log: max-size and max-file. */
static int log_opt(struct run_options *o, berr_t *err)
{
	if (!strncmp(optarg, "max-size=", 9))
		return units_parse_bytes(optarg + 9, "--log-opt max-size", &o->log_max_size, err) < 0 ||
			       o->log_max_size < 4096
			       ? err_set(err, EINVAL, "--log-opt '%s': max-size must be at least 4k", optarg)
			       : 0;
	if (!strncmp(optarg, "max-file=", 9))
		return units_parse_int(optarg + 9, "--log-opt max-file", 1, 1000, &o->log_max_files, err);
	return err_set(err, EINVAL, "--log-opt '%s': expected max-size=SIZE or max-file=N", optarg);
}

static int publish(struct run_options *o, berr_t *err)
{
	struct port_map *grown = realloc(o->ports, (o->n_ports + 1) * sizeof(*grown));

	if (!grown)
		return err_sys(err, "-p");
	o->ports = grown;
	return port_parse(optarg, &o->ports[o->n_ports++], err);
}

static int parse_flag(int c, struct run_options *o, berr_t *err)
{
	switch (c) {
	case 'd': o->detach = true; return 0;
	case R_RESTART: return restart_mode(o, err);
	case R_RDELAY: return duration("--restart-delay", &o->restart.delay_ns, err);
	case R_RMAXDELAY: return duration("--restart-max-delay", &o->restart.max_delay_ns, err);
	case R_RMULT: return multiplier(o, err);
	case R_RRESET: return duration("--restart-reset-after", &o->restart.reset_ns, err);
	case R_LOGOPT: return log_opt(o, err);
	case R_STOPSIG: return units_parse_signal(optarg, &o->stop_signal, err);
	case R_STOPTIMEOUT: return units_parse_int(optarg, "--stop-timeout", 0, 86400, &o->stop_timeout, err);
	case R_RM: o->rm = true; return 0;
	case 'i': o->interactive = true; return 0;
	case 't': o->tty = true; return 0;
	case 'e': return push(&o->env, err);
	case 'l':
		if (!*optarg || *optarg == '=')
			return err_set(err, EINVAL, "--label '%s': expected KEY=VALUE", optarg);
		return push(&o->labels, err);
	case R_ENVFILE: return push(&o->env_files, err);
	case 'w': o->workdir = optarg; return 0;
	case 'u': o->user = optarg; return 0;
	case R_ENTRYPOINT: o->entrypoint = optarg; o->entrypoint_set = true; return 0;
	case R_NAME: o->name = optarg; return 0;
	case 'h': o->hostname = optarg; return 0;
	case 'v': return push(&o->volumes, err);
	case R_TMPFS: return push(&o->tmpfs, err);
	case R_READONLY: o->read_only = true; return 0;
	case 'm': return units_parse_bytes(optarg, "--memory", &o->memory, err);
	case R_CPUS: return parse_cpus(o, err);
	case R_PIDS: return units_parse_int(optarg, "--pids-limit", -1, INT32_MAX, &o->pids_limit, err);
	case R_CAPADD: return push(&o->cap_add, err);
	case R_CAPDROP: return push(&o->cap_drop, err);
	case R_SECOPT: return security_opt(o, err);
	case R_NETWORK: o->network = optarg; return 0;
	case 'p': return publish(o, err);
	case R_ULIMIT: return push(&o->ulimits, err);
	case R_INIT: o->init = true; return 0;
	case R_USERNS: return userns_parse(optarg, &o->userns, err);
	}
	return err_set(err, EINVAL, "run: unknown flag");
}

static int parse(int argc, char **argv, struct run_options *o, enum run_pull *pull,
		 berr_t *err)
{
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+idte:w:u:h:v:m:p:l:", opts, NULL)) != -1) {
		if (c == '?' || c == ':')
			return err_set(err, EINVAL, "run: unknown flag or missing value in '%s'",
				       argv[optind - 1]);
		if (c == R_PULL ? run_pull_parse(optarg, pull, err) < 0 : parse_flag(c, o, err) < 0)
			return -1;
	}
	if (optind >= argc)
		return err_set(err, EINVAL, "run: expected an image (berth run [flags] IMAGE [COMMAND...])");
	/* No network asked for: none, as berth's default, unless ports are
	 * published, which needs docker's default, the bridge. */
	if (!o->network)
		o->network = o->n_ports ? "bridge" : "none";
	if (o->n_ports && !net_wanted(o->network))
		return err_set(err, EINVAL, "-p: publishing ports needs a bridge network (--network bridge or NAME), not --network %s",
			       o->network);
	o->image = argv[optind];
	o->command = argv + optind + 1;
	if (o->rm && o->restart.mode != RESTART_NO)
		return err_set(err, EINVAL, "run: --restart and --rm conflict (a removed container cannot be restarted)");
	if (o->restart.max_delay_ns < o->restart.delay_ns)
		return err_set(err, EINVAL, "run: --restart-max-delay is shorter than --restart-delay");
	return 0;
}

static void clear_options(struct run_options *o)
{
	strv_free(o->env);
	strv_free(o->env_files);
	strv_free(o->volumes);
	strv_free(o->tmpfs);
	strv_free(o->cap_add);
	strv_free(o->cap_drop);
	strv_free(o->ulimits);
	strv_free(o->labels);
	free(o->ports);
}

/* The image to run, pulled first as --pull says.  No store lock is held
 * while pulling (berth-registry takes its own); afterwards the image is
 * found by the manifest digest the pull stored. */
static int find_image(struct store *s, const struct cli_roots *r, const char *name,
		      enum run_pull pull, int *lock, struct image *img, berr_t *err)
{
	char digest[DIGEST_MAX];

	if (pull == RUN_PULL_ALWAYS)
		return run_pull(r, name, digest, err) < 0 || store_lock(s, false, lock, err) < 0
			       ? -1 : image_resolve(s, digest, img, err);
	if (store_lock(s, false, lock, err) < 0)
		return -1;
	if (image_resolve(s, name, img, err) == 0)
		return 0;
	if (pull == RUN_PULL_NEVER || (*err)->errnum != ENOENT)
		return -1;
	err_free(err);
	close(*lock);
	*lock = -1;
	fprintf(stderr, "Unable to find image '%s' locally\n", name);
	if (run_pull(r, name, digest, err) < 0 || store_lock(s, false, lock, err) < 0)
		return -1;
	return image_resolve(s, digest, img, err);
}

/* The store lock is held shared from finding the image until the
 * container has recorded it and its layers are mounted: garbage
 * collection (exclusive) sees either no container or one whose image it
 * must keep. */
static int prepare(struct store *s, struct image *img, const struct cli_roots *r,
		   struct run_options *o, enum run_pull pull, struct fg_container *c,
		   berr_t *err)
{
	cleanup_close int lock = -1;

	if (store_open(r->store, s, err) < 0 ||
	    find_image(s, r, o->image, pull, &lock, img, err) < 0)
		return -1;
	return fg_prepare(c, s, img, o,
			  FG_RECORD_USE | FG_TEMPLATES | (o->rm && !o->detach ? 0 : FG_KEPT), err);
}

/* A kept container: recorded, named, handed to its monitor; then either
 * its id printed (-d) or its output relayed until it ends. */
static int run_kept(const struct cli_roots *r, struct run_options *o, struct fg_container *c,
		    int *code, berr_t *err)
{
	cleanup_close int client = -1;
	bool named = false;

	if (o->name) {
		if (container_name_reserve(r->store, o->name, c->id, err) < 0)
			return -1;
		named = true;
	}
	if (kept_create(c, o, o->image, r->run, err) < 0 ||
	    monitor_spawn(r->store, r->run, c->id,
			  &(struct monitor_spawn_opts){ .interactive = o->interactive }, &client,
			  err) < 0) {
		if (named)
			container_name_release(r->store, o->name, c->id);
		return -1;
	}
	fg_handover(c);
	struct attach_opts ao = { .id = c->id, .tty = o->tty, .input = o->interactive,
				  .until_started = o->detach, .roots = r };

	if (attach_session(client, &ao, code, err) < 0)
		return -1;
	if (o->detach && *code == 0)
		printf("%s\n", c->id);
	return 0;
}

int cli_run(const struct cli_roots *roots, int argc, char **argv)
{
	struct run_options o = { .stop_timeout = -1 };
	struct store s = { .rootfd = -1 };
	struct image img = { 0 };
	struct fg_container c = { .run_root = roots->run };
	enum run_pull pull = RUN_PULL_MISSING;
	berr_t err = NULL;
	int code = 0;

	restart_policy_default(&o.restart);
	if (parse(argc, argv, &o, &pull, &err) < 0 || prepare(&s, &img, roots, &o, pull, &c, &err) < 0 ||
	    (o.rm && !o.detach ? fg_launch(&c, &o, roots->run, &code, &err)
			       : run_kept(roots, &o, &c, &code, &err)) < 0) {
		code = fg_failure_code(err);
		fprintf(stderr, "berth: %s\n", err_msg(err));
	}
	/* Only what no monitor took over: a foreground --rm container, or a
	 * kept one whose start failed before its monitor existed. */
	fg_cleanup(&c, true);
	image_clear(&img);
	store_close(&s);
	clear_options(&o);
	err_free(&err);
	return code;
}
