/* What the build's steps share: the build in progress and the steps that
 * make layers (RUN in step_run.c, COPY and ADD in step_copy.c). */
#ifndef BERTH_BUILD_STEPS_H
#define BERTH_BUILD_STEPS_H

#include <jansson.h>
#include <limits.h>
#include <stdio.h>

#include "build/build.h"
#include "build/context.h"
#include "build/dockerfile.h"
#include "build/stage.h"
#include "common/words.h"
#include "image/store.h"

struct build {
	const struct build_opts *o;
	struct store store;
	struct build_context ctx;
	struct dockerfile df;
	struct stage *done;     /* finished stages, by index, for FROM and --from */
	char (*done_keys)[DIGEST_MAX];
	size_t n_done;
	json_t *global_args;    /* ARGs before the first FROM: name -> value|null */
	json_t *args;           /* the stage's ARGs */
	json_t *build_args;     /* --build-arg: name -> value */
	json_t *used_args;      /* names some ARG consumed */
	FILE *out;              /* progress; /dev/null with -q */
};

/* Variables as an instruction of st sees them: its ENV first, then ARGs. */
struct vars {
	const struct stage *st; /* NULL: global ARGs only (FROM) */
	json_t *args;
};

void vars_opts(const struct build *b, struct vars *v, struct words_opts *o);

/* stage_from_image, pulling the image first when it is not in the store
 * and the build may pull. */
int build_base_image(struct build *b, struct stage *st, const char *ref, char id[DIGEST_MAX],
		     berr_t *err);

/* A finished stage by name or index, or -1. */
long build_find_stage(const struct build *b, const char *name);

/* "K=V" of every ARG with a value: a RUN step's extra environment. */
char **build_arg_env(const struct build *b);

/* The steps that make a layer; extra gets what the cache key must cover
 * beyond the instruction's text (COPY: the sources' content hash). */
int step_run(struct build *b, struct stage *st, const struct df_instruction *in,
	     berr_t *err);
int step_copy_key(struct build *b, struct stage *st, const struct df_instruction *in,
		  char extra[DIGEST_MAX], berr_t *err);
int step_copy(struct build *b, struct stage *st, const struct df_instruction *in,
	      berr_t *err);

/* A stage's root filesystem mounted for reading or writing, in a fresh
 * directory under the store's tmp/; the writable layer is <dir>/upper. */
struct scratch_root {
	char dir[PATH_MAX];
	char rootfs[PATH_MAX];
	bool made, mounted;
};
int scratch_root_mount(struct build *b, struct stage *st, struct scratch_root *r, berr_t *err);
/* Unmount, pack the writable layer into st as a layer (when created_by is
 * not NULL), remove the directory. */
int scratch_root_finish(struct build *b, struct stage *st, struct scratch_root *r,
			const char *created_by, berr_t *err);

#endif
