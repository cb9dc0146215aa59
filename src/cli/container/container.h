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

#endif
