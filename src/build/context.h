/* The build context: the directory COPY and ADD take their sources from.
 * Every source is resolved below it (a path or symlink that leads out is
 * an error, never followed), .dockerignore'd paths do not exist for
 * COPY, and the sources' content is hashed for the build cache. */
#ifndef BERTH_BUILD_CONTEXT_H
#define BERTH_BUILD_CONTEXT_H

#include <stdbool.h>

#include "build/ignore.h"
#include "common/error.h"
#include "common/tree_copy.h"
#include "image/sha256.h"

struct build_context {
	int fd;
	char *path;  /* as resolved, for messages and /proc lookups */
	struct ignore ignore;
};

/* With dockerignore, <path>/.dockerignore (if any) applies. */
int context_open(const char *path, bool dockerignore, struct build_context *c,
		 berr_t *err);
void context_close(struct build_context *c);

/* The context paths a COPY source names: globs ('*', '?', [...]) expand
 * per component; an absolute path, one climbing out with "..", one
 * reaching out through a symlink, or one matching nothing is an error.
 * *out: NULL-terminated, relative, sorted. */
int context_glob(const struct build_context *c, const char *pattern,
		 char ***out, berr_t *err);

/* Feed the sources' names, types, modes and content (whole trees for
 * directories, ignored paths left out) to h, in a fixed order. */
int context_hash(const struct build_context *c, char *const *paths,
		 struct sha256 *h, berr_t *err);

/* Copy source path (a file, or a directory's contents) to ddir/dname;
 * a top-level symlink is followed (inside the context), symlinks below it
 * are copied as links.  o->skip is set by this function. */
int context_copy(const struct build_context *c, const char *path, int ddir,
		 const char *dname, struct tree_copy_opts *o, berr_t *err);

#endif
