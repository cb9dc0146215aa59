/* The containers layer's commands (docker's verbs). */
#ifndef BERTH_CLI_CONTAINER_H
#define BERTH_CLI_CONTAINER_H

struct cli_roots {
	const char *store; /* --root: images, layers, containers */
	const char *run;   /* --run-root: running containers' state */
};

/* berth run [flags] IMAGE [COMMAND...]: exit code as docker's (the
 * container's, 125 when berth failed, 126/127 when the command cannot be
 * run / is not found). */
int cli_run(const struct cli_roots *roots, int argc, char **argv);

#include "common/error.h"
#include "image/store.h"

/* --pull: when an image is pulled before it runs (docker's values). */
enum run_pull { RUN_PULL_MISSING, RUN_PULL_ALWAYS, RUN_PULL_NEVER };

int run_pull_parse(const char *arg, enum run_pull *policy, berr_t *err);
/* Pulls image through berth-registry ("Digest:"/"Status:" lines on
 * stderr); the manifest digest pulled in digest. */
int run_pull(const struct cli_roots *r, const char *image, char digest[DIGEST_MAX],
	     berr_t *err);

#include <limits.h>

#include "cli/image/image.h"

/* berth stats [--no-stream] [--format table|json] ID...;
 * berth top ID [ps options, ignored]. */
int cli_stats(struct berth_globals *g, int argc, char **argv, berr_t *err);
int cli_top(struct berth_globals *g, int argc, char **argv, berr_t *err);

/* A running container named by arg: its full id (malloc'd) under the
 * runtime root of run_root (<run-root>/runtime, in state_root), where
 * `berth run` starts containers; arg is the id or a unique prefix. */
int cli_container_find(const char *run_root, const char *arg, char state_root[PATH_MAX],
		       char **id, berr_t *err);

#endif
