/* The global flags given before the verb, for every layer's commands. */
#ifndef BERTH_CLI_GLOBALS_H
#define BERTH_CLI_GLOBALS_H

struct berth_globals {
	const char *root;     /* --root, $BERTH_ROOT, or /var/lib/berth */
	const char *run_root; /* --run-root, $BERTH_RUN_ROOT, or /run/berth */
	int exit_code;        /* set by verbs that pass a container's code on */
};

#endif
