/* The services layer's commands: berth talks to berthd (api_client.h),
 * which owns the services' desired state and reconciles it. */
#ifndef BERTH_CLI_SERVICE_H
#define BERTH_CLI_SERVICE_H

#include <jansson.h>
#include <stddef.h>

#include "cli/globals.h"
#include "common/error.h"
#include "image/store.h"
#include "service/definition.h"

/* A Compose file as `up` and `down` use it. */
struct svc_project {
	struct project p;
	char *file; /* the path read */
	char *name; /* the project's name (svc_project_name) */
};

/* -f FILE, else ./berth.yaml, else ./compose.yaml (malloc'd). */
int svc_project_file(const char *flag, char **path, berr_t *err);

/* The file's top-level name, else its directory's basename; lowercased,
 * anything but [a-z0-9_-] replaced by '-' (image names take no more). */
int svc_project_name(const char *top_name, const char *dir, char **out, berr_t *err);

/* Choose the file (svc_project_file), parse it, print its warnings. */
int svc_project_open(const char *flag, struct svc_project *sp, berr_t *err);
void svc_project_close(struct svc_project *sp);

/* The services named (all when n is 0) and everything they depend on,
 * dependencies first, in *out (pointers into p; free the array). */
int svc_project_order(struct project *p, char *const *names, size_t n,
		      struct service ***out, size_t *count, berr_t *err);

/* The image id (config digest) of ref in the local store; service names
 * the service in errors.  Nothing is pulled. */
int svc_image_id(const struct berth_globals *g, const char *service, const char *ref,
		 char id[DIGEST_MAX], berr_t *err);

/* "web: revision 3 deploying" or "web: unchanged (revision 3)" from a
 * {"name", "revision", "changed"} reply. */
void svc_print_revision(const char *name, json_t *reply);

/* Until revision rev of name is active (0), or berthd rolled it back,
 * paused it or marked it failed (-1, saying why), or timeout_s passed. */
int svc_await(const struct berth_globals *g, const char *name, int64_t rev, int64_t timeout_s,
	      berr_t *err);

/* "NAME=N" of `berth scale`: the name (malloc'd) and N in 0..1000. */
int svc_parse_scale(const char *arg, char **name, int *replicas, berr_t *err);

int svc_up(struct berth_globals *g, int argc, char **argv, berr_t *err);
int svc_down(struct berth_globals *g, int argc, char **argv, berr_t *err);
int svc_deploy(struct berth_globals *g, int argc, char **argv, berr_t *err);
int svc_rollback(struct berth_globals *g, int argc, char **argv, berr_t *err);
int svc_scale(struct berth_globals *g, int argc, char **argv, berr_t *err);
/* berth service ls|ps|inspect|history|pause|resume|logs|events */
int svc_ls(struct berth_globals *g, int argc, char **argv, berr_t *err);
int svc_ps(struct berth_globals *g, int argc, char **argv, berr_t *err);
int svc_inspect(struct berth_globals *g, int argc, char **argv, berr_t *err);
int svc_history(struct berth_globals *g, int argc, char **argv, berr_t *err);
int svc_logs(struct berth_globals *g, int argc, char **argv, berr_t *err);
int svc_events(struct berth_globals *g, int argc, char **argv, berr_t *err);
int svc_group(struct berth_globals *g, int argc, char **argv, berr_t *err);
/* berth generate systemd */
int svc_generate(struct berth_globals *g, int argc, char **argv, berr_t *err);

#endif
