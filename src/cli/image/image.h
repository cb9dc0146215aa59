/* The image verbs of `berth`: images, tag, rmi, inspect, import, load,
 * save, history, image prune|gc, pull, push.
 * One file per verb; each parses its own flags and calls the image
 * library (src/image). */
#ifndef BERTH_CLI_IMAGE_H
#define BERTH_CLI_IMAGE_H

#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "cli/globals.h"
#include "common/error.h"
#include "image/image.h"
#include "image/store.h"


int img_images(struct berth_globals *g, int argc, char **argv, berr_t *err);
int img_tag(struct berth_globals *g, int argc, char **argv, berr_t *err);
int img_rmi(struct berth_globals *g, int argc, char **argv, berr_t *err);
int img_inspect(struct berth_globals *g, int argc, char **argv, berr_t *err);
int img_import(struct berth_globals *g, int argc, char **argv, berr_t *err);
int img_load(struct berth_globals *g, int argc, char **argv, berr_t *err);
int img_save(struct berth_globals *g, int argc, char **argv, berr_t *err);
int img_history(struct berth_globals *g, int argc, char **argv, berr_t *err);
/* `berth image prune|gc ...` */
int img_group(struct berth_globals *g, int argc, char **argv, berr_t *err);
int img_prune(struct berth_globals *g, int argc, char **argv, berr_t *err);
int img_gc(struct berth_globals *g, int argc, char **argv, berr_t *err);
int img_pull(struct berth_globals *g, int argc, char **argv, berr_t *err);
int img_push(struct berth_globals *g, int argc, char **argv, berr_t *err);
/* berth-registry's path (beside this executable) and its argv: path,
 * --root ROOT [--run-root DIR], then argv; *out is freed alone. */
int img_registry_helper(char out[PATH_MAX], berr_t *err);
int img_registry_argv(const char *path, const char *root, const char *run_root,
		      int argc, char **argv, char ***out, berr_t *err);
/* Runs berth-registry VERB ARGS (argv) to the end with the same stderr;
 * its stdout (at most max bytes) in *out.  Fails when it does. */
int img_registry_run(const char *root, const char *run_root, int argc, char **argv,
		     size_t max, char **out, berr_t *err);

/* getopt_long that stops at the first non-flag and reports a missing
 * value as ':' (so the verb words the error). */
int img_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts);
/* The same, flags also after operands (`berth deploy web --image x`,
 * compose style).  glibc fixes the ordering at a process's first getopt
 * call: berth runs one verb a process, so this must be the first. */
int img_getopt_anywhere(int argc, char **argv, const char *shortopts,
			const struct option *longopts);
/* The error for what img_getopt returned when it is '?' or ':'. */
int img_bad_flag(const char *verb, int c, char **argv, berr_t *err);

/* Sum of the image's layer blob sizes. */
int img_size(struct store *s, const struct image *img, uint64_t *size,
	     berr_t *err);
/* The names whose image has this id (config digest), sorted. */
int img_names_of(struct store *s, const char *id, json_t **names, berr_t *err);

/* docker's sizes: decimal units, three significant digits ("4.26MB"). */
void img_human_size(uint64_t n, char *buf, size_t len);

int img_print_json(json_t *v, berr_t *err);

/* An RFC 3339 time ("2024-05-01T10:00:00.123456789Z" or "+02:00") as
 * Unix time; 0 when it is not one. */
time_t img_parse_time(const char *s);
/* docker's "3 weeks ago" wording ("N/A" for 0). */
void img_ago(time_t t, char *buf, size_t len);

#define IMG_TABLE_COLUMNS_MAX 8
/* docker's tables: a header row, then rows of cells (row-major), each
 * column as wide as its widest cell plus three spaces. */
void img_print_table(const char *const *headers, size_t cols,
		     const char *const *cells, size_t rows);
/* pull and push: flags (--insecure, --creds, -q), the store, the
 * operation, and "NAME\nDigest: DIGEST" (or the digest alone, -q). */
struct registry_opts;
typedef int (*img_registry_op)(struct store *s, const char *ref,
			       const struct registry_opts *o, char **name,
			       char manifest[DIGEST_MAX], berr_t *err);
int img_registry_verb(struct berth_globals *g, const char *verb, int argc,
		      char **argv, img_registry_op op, berr_t *err);

#endif
