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

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "cli/globals.h"
#include "common/error.h"
#include "image/store.h"

/* --pull: when an image is pulled before it runs (docker's values). */
enum run_pull { RUN_PULL_MISSING, RUN_PULL_ALWAYS, RUN_PULL_NEVER };

int run_pull_parse(const char *arg, enum run_pull *policy, berr_t *err);
/* Pulls image through berth-registry ("Digest:"/"Status:" lines on
 * stderr); the manifest digest pulled in digest. */
int run_pull(const struct cli_roots *r, const char *image, char digest[DIGEST_MAX],
	     berr_t *err);

/* Relaying a monitor's frames to this terminal (attach_session.c). */
struct attach_opts {
	const char *id;
	bool tty, input;
	/* run -d: return once the container runs (or failed to start). */
	bool until_started;
	const struct cli_roots *roots;
};

/* Until the container ends (*code: its exit code), the user detaches
 * (ctrl-p ctrl-q with a terminal; *code 0), or the monitor goes away. */
int attach_session(int fd, const struct attach_opts *o, int *code, berr_t *err);

/* A container named by name, id or id prefix, as a loaded view. */
struct container_view;
int cli_container_view(const struct berth_globals *g, const char *ref, struct container_view *v,
		       berr_t *err);
/* The same under the container's lock (container_lock), held in *lock
 * until the caller closes it; the view is loaded after it is taken. */
int cli_container_view_locked(const struct berth_globals *g, const char *ref,
			      struct container_view *v, int *lock, berr_t *err);

/* Stop (timeout -1, sig 0: the container's own) / start one container. */
int ctr_stop_one(struct container_view *v, int64_t timeout, int sig, berr_t *err);
/* *lock (the container's, or -1) is closed once the container runs. */
int ctr_start_one(struct berth_globals *g, struct container_view *v, int *lock, berr_t *err);

/* A container's network as docker shows it (port.c). */
int ctr_network_settings(const struct berth_globals *g, const char *id, json_t **out,
			 berr_t *err);
/* The same from attachments already read (net_attachments), for ps. */
json_t *ctr_network_settings_of(json_t *attachments, const char *id);
void ctr_ports_text(json_t *settings, char *buf, size_t len);

int ctr_ps(struct berth_globals *g, int argc, char **argv, berr_t *err);
int ctr_healthcheck(struct berth_globals *g, int argc, char **argv, berr_t *err);
int ctr_stop(struct berth_globals *g, int argc, char **argv, berr_t *err);
int ctr_start(struct berth_globals *g, int argc, char **argv, berr_t *err);
int ctr_restart(struct berth_globals *g, int argc, char **argv, berr_t *err);
int ctr_kill(struct berth_globals *g, int argc, char **argv, berr_t *err);
int ctr_rm(struct berth_globals *g, int argc, char **argv, berr_t *err);
int ctr_logs(struct berth_globals *g, int argc, char **argv, berr_t *err);
int ctr_wait(struct berth_globals *g, int argc, char **argv, berr_t *err);
int ctr_rename(struct berth_globals *g, int argc, char **argv, berr_t *err);
int ctr_port(struct berth_globals *g, int argc, char **argv, berr_t *err);
int ctr_attach(struct berth_globals *g, int argc, char **argv, berr_t *err);
int ctr_exec(struct berth_globals *g, int argc, char **argv, berr_t *err);
/* inspect of a container; 1 when ref names none (then images are tried). */
int ctr_inspect_one(struct berth_globals *g, const char *ref, json_t **out, berr_t *err);
/* The monitor's helpers: `berth __start ID`, `berth __cleanup ID`. */
int ctr_internal_start(struct berth_globals *g, int argc, char **argv, berr_t *err);
int ctr_internal_cleanup(struct berth_globals *g, int argc, char **argv, berr_t *err);


/* berth stats [--no-stream] [--format table|json] ID...;
 * berth top ID [ps options, ignored]. */
int cli_stats(struct berth_globals *g, int argc, char **argv, berr_t *err);
int cli_top(struct berth_globals *g, int argc, char **argv, berr_t *err);

/* A running container named by arg (a name, id or unique id prefix of a
 * kept container, else the id or prefix of a foreground one): its full id
 * (malloc'd) and the runtime root it runs under, in state_root. */
int cli_container_find(const struct berth_globals *g, const char *arg,
		       char state_root[PATH_MAX], char **id, berr_t *err);

#endif
