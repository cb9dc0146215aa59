/* berth: one binary, one sub-command per layer.  Called as berth-runtime
 * it is the runc-compatible runtime, for OCI engines. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "cli/build/build.h"
#include "cli/container/container.h"
#include "cli/image/image.h"
#include "cli/init.h"
#include "cli/network/network.h"
#include "cli/runtime/runtime.h"
#include "cli/service/service.h"
#include "cli/volume/volume.h"

struct berth_verb {
	const char *name;
	const char *usage;
	const char *summary;
	int (*fn)(struct berth_globals *g, int argc, char **argv, berr_t *err);
	int error_code; /* exit code when the verb fails (docker's) */
};

static const struct berth_verb verbs[] = {
	{ "build", "build [-t NAME]... [-f FILE] [--build-arg K=V]... CONTEXT",
	  "build an image from a Dockerfile", cli_build, 1 },
	{ "images", "images [-q] [--no-trunc]", "list images", img_images, 1 },
	{ "tag", "tag SOURCE TARGET", "give an image another name", img_tag, 1 },
	{ "rmi", "rmi [-f] [--no-prune] IMAGE...", "remove images (names; unused images)", img_rmi, 1 },
	{ "inspect", "inspect [--type container|image] NAME...",
	  "print containers or images as JSON", img_inspect, 1 },
	{ "import", "import [-c INSTRUCTION]... TARBALL|- [NAME]",
	  "make an image of a rootfs tarball", img_import, 1 },
	{ "load", "load [-i FILE|DIR|-]",
	  "load a docker save archive or an OCI layout", img_load, 1 },
	{ "save", "save [-o FILE] [--format docker|oci] IMAGE...",
	  "write images as a docker save archive or an OCI layout tar", img_save, 1 },
	{ "history", "history [--no-trunc] [-q] IMAGE",
	  "show the history of an image", img_history, 1 },
	{ "image", "image prune [-a] [-f] | image gc",
	  "remove unused images | remove unreferenced blobs and layers", img_group, 1 },
	{ "pull", "pull [-q] [--insecure] [--creds U:P] NAME[:TAG|@DIGEST]",
	  "download an image from a registry", img_pull, 1 },
	{ "push", "push [-q] [--insecure] [--creds U:P] NAME:TAG",
	  "upload an image to a registry", img_push, 1 },
	{ "ps", "ps [-a] [-q] [--no-trunc] [--format json]", "list containers", ctr_ps, 1 },
	{ "start", "start [-a] CONTAINER...", "start stopped containers", ctr_start, 1 },
	{ "stop", "stop [-t SECONDS] [-s SIGNAL] CONTAINER...",
	  "stop containers for good (also between restarts)", ctr_stop, 1 },
	{ "restart", "restart [-t SECONDS] CONTAINER...", "stop and start containers", ctr_restart, 1 },
	{ "kill", "kill [-s SIGNAL] CONTAINER...", "send a signal to containers", ctr_kill, 1 },
	{ "rm", "rm [-f] CONTAINER...", "remove containers", ctr_rm, 1 },
	{ "logs", "logs [-f] [-t] [--since T] [--until T] [--tail N] CONTAINER",
	  "show a container's output", ctr_logs, 1 },
	{ "wait", "wait CONTAINER...", "wait for containers to stop, print exit codes", ctr_wait, 125 },
	{ "rename", "rename CONTAINER NEW_NAME", "rename a container", ctr_rename, 1 },
	{ "port", "port CONTAINER [PORT[/PROTO]]", "list a container's published ports", ctr_port, 1 },
	{ "attach", "attach CONTAINER", "attach this terminal to a container", ctr_attach, 1 },
	{ "exec", "exec [-d] [-i] [-t] [-e K=V] [-w DIR] [-u USER] CONTAINER CMD...",
	  "run a command in a running container", ctr_exec, 126 },
	{ "healthcheck", "healthcheck [--http PATH --port N [--status N]] [--tcp N] [--timeout D] CONTAINER [CMD...]",
	  "probe a running container's health once (see docs/berth-healthcheck.md)", ctr_healthcheck, 125 },
	{ "__start", "", "", ctr_internal_start, 125 },
	{ "__cleanup", "", "", ctr_internal_cleanup, 125 },
	{ "stats", "stats [--no-stream] [--format table|json] CONTAINER...",
	  "show containers' resource use", cli_stats, 1 },
	{ "top", "top CONTAINER", "show a container's processes", cli_top, 1 },
	{ "volume", "volume create|ls|inspect|rm|prune ...",
	  "manage named volumes", vol_group, 1 },
	{ "network", "network create|ls|rm|inspect ...",
	  "manage container networks (see docs/berth-network.md)", cli_network, 1 },
	{ "up", "up [-f FILE] [--no-build] [SERVICE...]",
	  "deploy a Compose file's services through berthd (see docs/berth-service.md)", svc_up, 1 },
	{ "down", "down [-f FILE] [SERVICE...]", "remove services from berthd", svc_down, 1 },
	{ "deploy", "deploy [-d] SERVICE --image REF", "deploy a service's new image (waits for the outcome)", svc_deploy, 1 },
	{ "rollback", "rollback [-d] SERVICE [--to N]", "deploy a service's earlier revision again",
	  svc_rollback, 1 },
	{ "scale", "scale SERVICE=N...", "set services' replica counts", svc_scale, 1 },
	{ "service", "service ls|ps|inspect|history|pause|resume|logs|events ...",
	  "show and control berthd's services", svc_group, 1 },
	{ "generate", "generate systemd [--root DIR] [--run-root DIR]",
	  "print a systemd unit that runs berthd", svc_generate, 1 },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: berth [--root DIR] [--run-root DIR] COMMAND ...\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++)
		if (*verbs[i].usage) /* the monitor's helpers are not for people */
			fprintf(out, "  %-46s %s\n", verbs[i].usage, verbs[i].summary);
	fprintf(out, "  %-46s %s\n  %-46s %s\n  %-46s %s\n",
		"run [flags] IMAGE [COMMAND...]", "run a container from an image, in the foreground",
		"runtime ...", "the OCI runtime, with runc's command line",
		"version", "print the version");
}

/* Which global flag arg is (0 --root, 1 --run-root, -1 neither); *inline_value
 * points after '=' in the --flag=VALUE form, else is NULL. */
static int global_flag(const char *arg, const char **inline_value)
{
	static const char *const names[] = { "--root", "--run-root" };

	for (int k = 0; k < 2; k++) {
		size_t n = strlen(names[k]);

		if (strncmp(arg, names[k], n) != 0 || (arg[n] && arg[n] != '='))
			continue;
		*inline_value = arg[n] == '=' ? arg + n + 1 : NULL;
		return k;
	}
	return -1;
}

/* --root DIR / --root=DIR (and --run-root) before the verb; returns the
 * index of the verb, or -1 with the error. */
static int parse_globals(int argc, char **argv, struct berth_globals *g,
			 berr_t *err)
{
	const char **slots[] = { &g->root, &g->run_root };
	int i = 1;

	while (i < argc) {
		const char *value;
		int k = global_flag(argv[i], &value);

		if (k < 0)
			return i;
		if (!value && i + 1 >= argc)
			return err_set(err, EINVAL, "%s needs a value", argv[i]);
		if (!value)
			value = argv[++i];
		if (!*value)
			return err_set(err, EINVAL, "%s: empty directory", argv[i]);
		*slots[k] = value;
		i++;
	}
	return i;
}

static int run_verb(struct berth_globals *g, int argc, char **argv)
{
	berr_t err = NULL;
	int code;

	for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++) {
		const struct berth_verb *v = &verbs[i];

		if (strcmp(argv[0], v->name) != 0)
			continue;
		if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			printf("Usage: berth %s\n\n%s\n", v->usage, v->summary);
			return 0;
		}
		optind = 1;
		code = v->fn(g, argc, argv, &err);
		if (code < 0) {
			err_print(stderr, "berth", err);
			err_free(&err);
			return v->error_code;
		}
		return g->exit_code; /* 0, or one passed on (start -a, wait) */
	}
	fprintf(stderr, "berth: unknown command '%s'\n", argv[0]);
	usage(stderr);
	return 125;
}

/* A closed stdin, stdout or stderr would be the number of the next fd
 * berth opens (a state dir, a rootfs), which a container would then get
 * as its stdio: occupy them with /dev/null first. */
static void ensure_stdio(void)
{
	for (int fd = 0; fd < 3; fd++) {
		int n;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		n = open("/dev/null", O_RDWR);
		if (n >= 0 && n != fd) {
			dup2(n, fd);
			close(n);
		}
	}
}

#define RUN_DEFAULT_ROOT "/run/berth"

/* Monitors run from /, so the roots they are given must not depend on
 * this command's working directory. */
static int absolute(const char **dir, char buf[PATH_MAX])
{
	char cwd[PATH_MAX];

	if (**dir == '/')
		return 0;
	if (!getcwd(cwd, sizeof(cwd)) || snprintf(buf, PATH_MAX, "%s/%s", cwd, *dir) >= PATH_MAX)
		return -1;
	*dir = buf;
	return 0;
}

/* `berth [global flags] VERB ...` (`berth runtime` keeps its own flags,
 * --root included, and is dispatched before these). */
static int berth_main(int argc, char **argv)
{
	struct berth_globals g = { .root = getenv("BERTH_ROOT"),
				   .run_root = getenv("BERTH_RUN_ROOT") };
	static char root_abs[PATH_MAX], run_abs[PATH_MAX];
	berr_t err = NULL;
	int i = parse_globals(argc, argv, &g, &err);

	if (i < 0) {
		err_print(stderr, "berth", err);
		err_free(&err);
		return 125;
	}
	if (!g.root || !*g.root)
		g.root = STORE_DEFAULT_ROOT;
	if (!g.run_root || !*g.run_root)
		g.run_root = RUN_DEFAULT_ROOT;
	if (absolute(&g.root, root_abs) < 0 || absolute(&g.run_root, run_abs) < 0) {
		fprintf(stderr, "berth: --root or --run-root: path too long\n");
		return 125;
	}
	if (i >= argc) {
		usage(stderr);
		return 125;
	}
	if (strcmp(argv[i], "version") == 0 || strcmp(argv[i], "--version") == 0) {
		puts("berth version 0.1.0");
		return 0;
	}
	if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[i], "runtime") == 0)
		return rt_main(argc - i, argv + i);
	if (strcmp(argv[i], "run") == 0) {
		struct cli_roots roots = { .store = g.root, .run = g.run_root };

		return cli_run(&roots, argc - i, argv + i);
	}
	return run_verb(&g, argc - i, argv + i);
}

int main(int argc, char **argv)
{
	const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	ensure_stdio();
	if (strcmp(self, "berth-runtime") == 0)
		return rt_main(argc, argv);
	if (strcmp(self, "berth-init") == 0)
		return berth_init_main(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return 125;
	}
	if (strcmp(argv[1], "runtime") == 0)
		return rt_main(argc - 1, argv + 1);
	return berth_main(argc, argv);
}
