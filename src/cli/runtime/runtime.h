/* `berth runtime`: the runc-compatible command line.  One file per verb;
 * each parses its own flags and calls the runtime library. */
#ifndef BERTH_CLI_RUNTIME_H
#define BERTH_CLI_RUNTIME_H

#include <getopt.h>
#include <stdbool.h>

#include <jansson.h>

#include "common/error.h"

struct rt_globals {
	const char *root;
	bool cgroups_disabled;
};

struct rt_verb {
	const char *name;
	const char *usage;
	const char *summary;
	int (*fn)(struct rt_globals *g, int argc, char **argv, berr_t *err);
	int error_code; /* exit code when the verb itself fails (runc's) */
};

int rt_main(int argc, char **argv);

/* Parse verb flags: long options also work with one dash (runc's
 * convention); parsing stops at the first argument that is not a flag. */
int rt_getopt(int argc, char **argv, const char *shortopts,
	      const struct option *longopts);

/* Exactly one container id argument left after the flags. */
int rt_need_id(const struct rt_verb *v, int argc, char **argv, int first,
	       const char **id, berr_t *err);

const struct rt_verb *rt_verb_find(const char *name);

/* The verbs. */
int rt_create(struct rt_globals *g, int argc, char **argv, berr_t *err);
int rt_start(struct rt_globals *g, int argc, char **argv, berr_t *err);
int rt_run(struct rt_globals *g, int argc, char **argv, berr_t *err);
int rt_state(struct rt_globals *g, int argc, char **argv, berr_t *err);
int rt_kill(struct rt_globals *g, int argc, char **argv, berr_t *err);
int rt_delete(struct rt_globals *g, int argc, char **argv, berr_t *err);
int rt_exec(struct rt_globals *g, int argc, char **argv, berr_t *err);
int rt_list(struct rt_globals *g, int argc, char **argv, berr_t *err);
int rt_ps(struct rt_globals *g, int argc, char **argv, berr_t *err);
int rt_spec(struct rt_globals *g, int argc, char **argv, berr_t *err);
int rt_features(struct rt_globals *g, int argc, char **argv, berr_t *err);
int rt_pause(struct rt_globals *g, int argc, char **argv, berr_t *err);
int rt_resume(struct rt_globals *g, int argc, char **argv, berr_t *err);
int rt_update(struct rt_globals *g, int argc, char **argv, berr_t *err);

/* Print a JSON value to stdout, indented as runc does. */
int rt_print_json(json_t *v, berr_t *err);

#endif
