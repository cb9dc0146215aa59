/* Shell-like words, as Dockerfiles and start-time templates use them:
 * variables substituted ($NAME, ${NAME}, ${NAME:-word}, ${NAME:+word},
 * ${NAME:?message} and the colon-less forms, which test only for unset),
 * quotes and escapes removed, split on unquoted whitespace where the
 * instruction takes several words. */
#ifndef BERTH_COMMON_WORDS_H
#define BERTH_COMMON_WORDS_H

#include <stdbool.h>

#include "common/error.h"

/* A variable's value, or NULL when it is unset. */
typedef const char *(*words_lookup_fn)(void *ctx, const char *name);

struct words_opts {
	char escape;             /* '\\' unless the Dockerfile says otherwise */
	words_lookup_fn lookup;  /* NULL: nothing is set */
	void *ctx;
	bool split;              /* several words, else the text is one */
	/* Templates: only ${...} is special ("$$" is a '$'), everything else
	 * is text, and ${NAME} with NAME unset is an error. */
	bool template;
};

/* *out: NULL-terminated words.  Errors name what is wrong and where in
 * the text: an unterminated quote or ${, a bad variable name, ${X:?msg}
 * with X unset. */
int words_expand(const char *text, const struct words_opts *o, char ***out,
		 berr_t *err);

/* words_expand() that must give exactly one word (WORKDIR, USER, ...);
 * without split, so "a b" stays one word. */
int words_expand_one(const char *text, const struct words_opts *o, char **out,
		     berr_t *err);

#endif
