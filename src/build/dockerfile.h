/* A Dockerfile as instructions: parser directives (escape, syntax),
 * comments and line continuations handled, each instruction with its
 * line, flags (--from=..., --chown=...) and arguments, and the exec form
 * (a JSON array) told from the shell form.  Words are not expanded here:
 * that needs the build's variables (common/words.h). */
#ifndef BERTH_BUILD_DOCKERFILE_H
#define BERTH_BUILD_DOCKERFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define DOCKERFILE_MAX (4 << 20)

struct df_instruction {
	int line;         /* where it starts, from 1 */
	char keyword[12]; /* upper case: "RUN" */
	char **flags;     /* "--from=build" as written, NULL-terminated */
	char *args;       /* the rest, continuation lines joined */
	char **argv;      /* the exec form's strings, or NULL (shell form) */
	char *text;       /* the instruction as written, joined: for history */
};

struct dockerfile {
	const char *name; /* for messages; not owned */
	char escape;
	struct df_instruction *ins;
	size_t n;
};

/* Errors name the file and line: "Dockerfile:7: unknown instruction
 * 'RUNN'". */
int dockerfile_parse(const char *text, size_t len, const char *name,
		     struct dockerfile *out, berr_t *err);
/* One instruction alone, as `import --change` takes it; name prefixes
 * errors. */
int dockerfile_parse_line(const char *text, const char *name, struct dockerfile *out,
			  berr_t *err);
void dockerfile_clear(struct dockerfile *df);

/* text as an exec form: the strings of a JSON array of strings, or NULL
 * (not one, or out of memory). */
char **df_exec_form(const char *text);

/* The value of flag --name= of an instruction, or NULL. */
const char *df_flag(const struct df_instruction *in, const char *name);

#endif
