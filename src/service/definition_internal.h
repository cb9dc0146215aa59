/* What the parts of the definition parser share: the parse context, the
 * error and warning helpers that put "file:line: key.path: " in front,
 * typed scalar readers and the table-driven walk over a mapping. */
#ifndef BERTH_SERVICE_DEFINITION_INTERNAL_H
#define BERTH_SERVICE_DEFINITION_INTERNAL_H

#include "service/definition.h"
#include "service/yaml_tree.h"

#define KPATH_MAX 256

struct dctx {
	const char *file;
	struct project *p;
	berr_t *err;
};

/* A key path: "services.web" + "ports" or + [1]. */
struct kpath {
	char buf[KPATH_MAX];
};
const char *kp_key(struct kpath *k, const char *parent, const char *key);
const char *kp_index(struct kpath *k, const char *parent, size_t i);

/* "file:line: path: <message>" as the error; returns -1. */
int dbad(struct dctx *c, const struct ynode *n, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Prefix an error set by a helper (units_*, port_parse) with file:line. */
int dwrap(struct dctx *c, const struct ynode *n);
/* "file:line: path: not supported by berth, ignored" into the warnings. */
int dwarn(struct dctx *c, const struct ynode *n, const char *path, const char *why);

int d_scalar(struct dctx *c, const struct ynode *n, const char *path);
int d_str(struct dctx *c, const struct ynode *n, const char *path, char **out);
int d_int(struct dctx *c, const struct ynode *n, const char *path, int64_t min, int64_t max,
	  int64_t *out);
int d_bool(struct dctx *c, const struct ynode *n, const char *path, bool *out);
/* A duration > 0 (or >= 0 with zero_ok), at most a year. */
int d_duration(struct dctx *c, const struct ynode *n, const char *path, bool zero_ok,
	       int64_t *out);
int d_map(struct dctx *c, const struct ynode *n, const char *path);
/* A list of strings, or with one_ok a single string taken as one item. */
int d_strv(struct dctx *c, const struct ynode *n, const char *path, bool one_ok, char ***out);
/* An absolute path joined to the file's directory. */
int d_abs_path(struct dctx *c, const struct ynode *n, const char *path, const char *rel,
	       char **out);

/* One key of a mapping and what reads its value into obj; fn NULL: the
 * key is read by the caller itself. */
struct dfield {
	const char *key;
	int (*fn)(struct dctx *c, const struct ynode *v, const char *path, void *obj);
};

/* Each key of map n read by its field; keys not in the table warn,
 * except extension keys ("x-" but not "x-berth-"), which Compose says
 * tools ignore. */
int d_walk(struct dctx *c, const struct ynode *n, const char *path, const struct dfield *fields,
	   void *obj);

/* Key/value lists (environment, labels, build args): a mapping or a list
 * of "KEY=VALUE"; env_style: "KEY" alone or a null value takes KEY from
 * the environment of the parsing process (or leaves it unset). */
int d_kvs(struct dctx *c, const struct ynode *n, const char *path, bool env_style,
	  struct svc_kvs *out);
int kvs_set(struct svc_kvs *kv, const char *key, const char *value);
void kvs_sort(struct svc_kvs *kv);
void kvs_free(struct svc_kvs *kv);

/* The service fields with more than a line of logic (service_fields.c). */
int d_ports(struct dctx *c, const struct ynode *v, const char *path, void *obj);
int d_volumes(struct dctx *c, const struct ynode *v, const char *path, void *obj);
int d_healthcheck(struct dctx *c, const struct ynode *v, const char *path, void *obj);
int d_deploy(struct dctx *c, const struct ynode *v, const char *path, void *obj);
int d_env_file(struct dctx *c, const struct ynode *v, const char *path, struct svc_kvs *env);

#endif
