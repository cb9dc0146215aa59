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

#endif
