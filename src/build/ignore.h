/* .dockerignore: which paths of the build context COPY and ADD may not
 * see.  Patterns as docker reads them: one per line, '#' comments,
 * leading '/' and "./" dropped, '*' '?' and [classes] within one path
 * component, "**" across any number of them, '!' for an exception; the
 * last pattern that matches a path or one of its parents decides. */
#ifndef BERTH_BUILD_IGNORE_H
#define BERTH_BUILD_IGNORE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct ignore_pattern {
	char **parts;   /* components; "**" kept as one */
	bool exception; /* "!pattern" */
};

struct ignore {
	struct ignore_pattern *pats;
	size_t n;
	bool has_exceptions;
};

/* Parse the file's text; a bad pattern is an error naming its line. */
int ignore_parse(const char *text, size_t len, const char *name,
		 struct ignore *out, berr_t *err);
void ignore_clear(struct ignore *ig);

/* path: relative to the context, '/'-separated, no "." or "..". */
bool ignore_excludes(const struct ignore *ig, const char *path);

/* Whether a directory that is excluded may still hold included paths
 * (an exception pattern could match below it): then it must be walked. */
bool ignore_may_include_below(const struct ignore *ig, const char *dir);

#endif
