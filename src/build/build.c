#include "build/build.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "build/cache.h"
#include "build/metadata.h"
#include "build/steps.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "image/store_internal.h"

#define DOCKERFILE_NAME "Dockerfile"

/* Usable with --build-arg without an ARG, as docker allows. */
static const char *const predefined_args[] = {
	"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
	"NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
};

static const char *lookup(void *ctx, const char *name)
{
	const struct vars *v = ctx;
	const char *env = v->st ? metadata_env(&v->st->meta, name) : NULL;

	return env ? env : json_string_value(json_object_get(v->args, name));
}

void vars_opts(const struct build *b, struct vars *v, struct words_opts *o)
{
	*o = (struct words_opts){ .escape = b->df.escape, .lookup = lookup, .ctx = v,
				  .split = true };
}

char **build_arg_env(const struct build *b)
{
	char **env = calloc(1, sizeof(char *));
	const char *k;
	json_t *v;

	json_object_foreach(b->args, k, v) {
		cleanup_free char *kv = NULL;

		if (env && json_is_string(v) && asprintf(&kv, "%s=%s", k, json_string_value(v)) >= 0 &&
		    strv_push(&env, kv) < 0) {
			strv_free(env);
			return NULL;
		}
	}
	return env;
}

/* ---- ARG ----------------------------------------------------------------- */

static int parse_build_args(struct build *b, berr_t *err)
{
	b->build_args = json_object();
	b->used_args = json_object();
	for (char *const *a = b->o->build_args; a && *a; a++) {
		const char *eq = strchr(*a, '=');
		cleanup_free char *k = strndup(*a, eq ? (size_t)(eq - *a) : strlen(*a));
		const char *v = eq ? eq + 1 : (k ? getenv(k) : NULL);

		if (!k || !*k)
			return err_set(err, EINVAL, "--build-arg '%s': expected NAME=VALUE", *a);
		if (v && json_object_set_new(b->build_args, k, json_string(v)) < 0)
			return err_set(err, EINVAL, "--build-arg '%s': not valid UTF-8", *a);
	}
	for (size_t i = 0; i < sizeof(predefined_args) / sizeof(*predefined_args); i++)
		if (json_object_get(b->build_args, predefined_args[i]))
			json_object_set_new(b->used_args, predefined_args[i], json_true());
	return 0;
}

/* ARG NAME[=default]: --build-arg wins over the default; a global ARG
 * redeclared without a default keeps the global value. */
static int declare_arg(struct build *b, json_t *scope, struct stage *st,
		       const struct df_instruction *in, char **resolved, berr_t *err)
{
	struct vars v = { .st = st, .args = scope };
	struct words_opts wo;
	cleanup_free char *word = NULL;
	const char *value;
	char *eq;

	vars_opts(b, &v, &wo);
	if (words_expand_one(in->args, &wo, &word, err) < 0)
		return -1;
	eq = strchr(word, '=');
	if (eq)
		*eq++ = '\0';
	if (!*word || strspn(word, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != strlen(word))
		return err_set(err, EINVAL, "ARG '%.60s': not a variable name", word);
	value = json_string_value(json_object_get(b->build_args, word));
	if (value)
		json_object_set_new(b->used_args, word, json_true());
	else if (eq)
		value = eq;
	else if (scope != b->global_args)
		value = json_string_value(json_object_get(b->global_args, word));
	json_object_set_new(scope, word, value ? json_string(value) : json_null());
	return asprintf(resolved, "%s=%s", word, value ? value : "") < 0 ? err_sys(err, "ARG") : 0;
}

/* ---- stages ---------------------------------------------------------------- */

long build_find_stage(const struct build *b, const char *name)
{
	char *end;
	long i = strtol(name, &end, 10);

	if (*name && !*end && i >= 0 && (size_t)i < b->n_done)
		return i;
	for (size_t j = 0; j < b->n_done; j++)
		if (b->done[j].name && !strcasecmp(b->done[j].name, name))
			return (long)j;
	return -1;
}

static int copy_stage(struct stage *to, const struct stage *from, berr_t *err)
{
	to->doc = json_deep_copy(from->doc);
	to->layers = calloc(from->n_layers + 1, sizeof(char *));
	for (size_t i = 0; to->layers && i < from->n_layers; i++)
		if (strv_push(&to->layers, from->layers[i]) < 0)
			break;
	to->n_layers = strv_len(to->layers);
	if (!to->doc || !to->layers || to->n_layers != from->n_layers)
		return err_set(err, ENOMEM, "out of memory");
	to->meta.doc = to->doc;
	to->meta.config = json_object_get(to->doc, "config");
	return 0;
}

int build_base_image(struct build *b, struct stage *st, const char *ref, char id[DIGEST_MAX],
		     berr_t *err)
{
	char manifest[DIGEST_MAX];

	if (stage_from_image(st, &b->store, ref, id, err) == 0)
		return 0;
	if (!b->o->pull || (*err)->errnum != ENOENT)
		return -1;
	err_free(err);
	fprintf(b->out, " ---> %s is not in the store: pulling it\n", ref);
	fflush(b->out);
	if (b->o->pull(b->o->pull_ctx, ref, manifest, err) < 0)
		return -1;
	return stage_from_image(st, &b->store, manifest, id, err);
}

/* FROM image|stage|scratch [AS name]; the first cache key is what the
 * stage starts from. */
static int start_stage(struct build *b, const struct df_instruction *in, struct stage *st,
		       char key[DIGEST_MAX], berr_t *err)
{
	struct vars v = { .args = b->global_args };
	struct words_opts wo;
	cleanup_strv char **w = NULL;
	char id[DIGEST_MAX];
	long from;

	vars_opts(b, &v, &wo);
	if (words_expand(in->args, &wo, &w, err) < 0)
		return -1;
	if (!w[0] || (w[1] && (strcasecmp(w[1], "AS") || !w[2] || w[3])))
		return err_set(err, EINVAL, "FROM: expected IMAGE [AS NAME]");
	if (w[1] && !(st->name = strdup(w[2])))
		return err_set(err, ENOMEM, "out of memory");
	if ((from = build_find_stage(b, w[0])) >= 0) {
		memcpy(key, b->done_keys[from], DIGEST_MAX);
		return copy_stage(st, &b->done[from], err);
	}
	if (!strcasecmp(w[0], "scratch")) {
		stage_from_scratch(st);
		return cache_key("", "FROM scratch", NULL, key, err);
	}
	if (build_base_image(b, st, w[0], id, err) < 0)
		return err_prefix(err, "FROM %s", w[0]);
	return cache_key("", "FROM", id, key, err);
}

/* ---- steps ----------------------------------------------------------------- */

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int execute(struct build *b, struct stage *st, const struct df_instruction *in,
		   berr_t *err)
{
	struct vars v = { .st = st, .args = b->args };
	struct words_opts wo;

	vars_opts(b, &v, &wo);
	if (!strcmp(in->keyword, "RUN"))
		return step_run(b, st, in, err);
	if (!strcmp(in->keyword, "COPY") || !strcmp(in->keyword, "ADD"))
		return step_copy(b, st, in, err);
	if (strcmp(in->keyword, "ARG") && metadata_apply(&st->meta, in, &wo, err) < 0)
		return -1;
	return stage_add_history(st, in->text, err);
}

/* One instruction: from the cache, or executed and cached.  key moves on
 * to the key after it. */
static int step(struct build *b, struct stage *st, const struct df_instruction *in,
		char key[DIGEST_MAX], int n, int total, berr_t *err)
{
	char next[DIGEST_MAX], extra[DIGEST_MAX] = "";
	cleanup_free char *arg = NULL;
	double t0 = seconds();
	bool hit = false;

	fprintf(b->out, "Step %d/%d : %s\n", n, total, in->text);
	fflush(b->out);
	if (!strcmp(in->keyword, "ARG") && declare_arg(b, b->args, st, in, &arg, err) < 0)
		return -1;
	if ((!strcmp(in->keyword, "COPY") || !strcmp(in->keyword, "ADD")) &&
	    step_copy_key(b, st, in, extra, err) < 0)
		return -1;
	if (cache_key(key, in->text, arg ? arg : extra, next, err) < 0 ||
	    (!b->o->no_cache && cache_get(&b->store, next, st, &hit, err) < 0))
		return -1;
	if (hit) {
		fprintf(b->out, " ---> Using cache\n");
	} else {
		char now[32];

		image_time_now(now);
		/* Set when a step runs, not at commit: a rebuild from the cache
		 * restores the same document, hence the same image id. */
		json_object_set_new(st->doc, "created", json_string(now));
		if (execute(b, st, in, err) < 0 || cache_put(&b->store, next, st, err) < 0)
			return -1;
		fprintf(b->out, " ---> done in %.2fs\n", seconds() - t0);
	}
	memcpy(key, next, DIGEST_MAX);
	return 0;
}

/* ---- the build --------------------------------------------------------- */

/* The instructions [first, end) of the stage starting at first (a FROM). */
static size_t stage_end(const struct dockerfile *df, size_t first)
{
	size_t i = first + 1;

	while (i < df->n && strcmp(df->ins[i].keyword, "FROM"))
		i++;
	return i;
}

static int run_stage(struct build *b, size_t first, size_t end, int *n, int total,
		     berr_t *err)
{
	struct stage st = { 0 };
	char key[DIGEST_MAX];
	const struct df_instruction *in = &b->df.ins[first];
	struct stage *grown;
	char (*keys)[DIGEST_MAX];

	json_decref(b->args);
	b->args = json_object();
	fprintf(b->out, "Step %d/%d : %s\n", (*n)++, total, in->text);
	if (start_stage(b, in, &st, key, err) < 0)
		goto fail;
	for (size_t i = first + 1; i < end; i++) {
		in = &b->df.ins[i];
		if (step(b, &st, in, key, (*n)++, total, err) < 0)
			goto fail;
	}
	grown = realloc(b->done, (b->n_done + 1) * sizeof(*b->done));
	if (grown)
		b->done = grown;
	keys = grown ? realloc(b->done_keys, (b->n_done + 1) * sizeof(*b->done_keys)) : NULL;
	if (!keys) {
		err_set(err, ENOMEM, "out of memory");
		goto fail;
	}
	b->done_keys = keys;
	memcpy(b->done_keys[b->n_done], key, DIGEST_MAX);
	b->done[b->n_done++] = st;
	return 0;
fail:
	stage_clear(&st);
	return err_prefix(err, "%s:%d", b->df.name, in->line);
}

/* The end of the stage named target ("AS target"), or 0. */
static size_t target_end(struct build *b, size_t first, berr_t *err)
{
	for (size_t j = first; j < b->df.n; j = stage_end(&b->df, j)) {
		struct vars v = { .args = b->global_args };
		struct words_opts wo;
		cleanup_strv char **w = NULL;

		vars_opts(b, &v, &wo);
		if (words_expand(b->df.ins[j].args, &wo, &w, err) < 0)
			return 0;
		if (w[0] && w[1] && w[2] && !strcasecmp(w[1], "AS") && !strcasecmp(w[2], b->o->target))
			return stage_end(&b->df, j);
	}
	err_set(err, ENOENT, "--target %s: %s has no stage of that name", b->o->target, b->df.name);
	return 0;
}

/* Global ARGs, then every stage up to the target. */
static int run_stages(struct build *b, berr_t *err)
{
	size_t i = 0, last = b->df.n;
	int n = 1;

	for (; i < b->df.n && !strcmp(b->df.ins[i].keyword, "ARG"); i++) {
		cleanup_free char *resolved = NULL;

		if (declare_arg(b, b->global_args, NULL, &b->df.ins[i], &resolved, err) < 0)
			return err_prefix(err, "%s:%d", b->df.name, b->df.ins[i].line);
	}
	if (b->o->target && !(last = target_end(b, i, err)))
		return -1;
	for (size_t j = i; j < last; j = stage_end(&b->df, j))
		if (run_stage(b, j, stage_end(&b->df, j), &n, (int)(last - i), err) < 0)
			return -1;
	return 0;
}

static int read_dockerfile(struct build *b, char **text, size_t *len, char **name,
			   berr_t *err)
{
	const char *path = b->o->dockerfile;

	if (!path) {
		if (asprintf(name, "%s/%s", b->ctx.path, DOCKERFILE_NAME) < 0)
			return err_sys(err, "Dockerfile");
	} else if (!(*name = strdup(path))) {
		return err_sys(err, "Dockerfile");
	}
	if (fs_read_regular_at(AT_FDCWD, *name, DOCKERFILE_MAX, text, err) < 0)
		return -1;
	*len = strlen(*text);
	return 0;
}

static void warn_unused_args(const struct build *b)
{
	const char *k;
	json_t *v;

	json_object_foreach(b->build_args, k, v)
		if (!json_object_get(b->used_args, k))
			fprintf(stderr, "berth: warning: --build-arg %s was not used by any ARG\n", k);
}

/* --label K=V on the final image, then the image stored and named. */
static int finish(struct build *b, char id[DIGEST_MAX], char manifest[DIGEST_MAX],
		  berr_t *err)
{
	struct stage *st = &b->done[b->n_done - 1];

	for (char *const *l = b->o->labels; l && *l; l++) {
		const char *eq = strchr(*l, '=');
		cleanup_free char *k = eq ? strndup(*l, (size_t)(eq - *l)) : NULL;
		json_t *labels = json_object_get(st->meta.config, "Labels");

		if (!k || !*k)
			return err_set(err, EINVAL, "--label '%s': expected KEY=VALUE", *l);
		if (!json_is_object(labels)) {
			labels = json_object();
			json_object_set_new(st->meta.config, "Labels", labels);
		}
		if (json_object_set_new(labels, k, json_string(eq + 1)) < 0)
			return err_set(err, EINVAL, "--label '%s': not valid UTF-8", *l);
	}
	if (stage_commit(st, &b->store, manifest, id, err) < 0)
		return -1;
	for (char *const *t = b->o->tags; t && *t; t++)
		if (store_ref_set(&b->store, *t, manifest, err) < 0)
			return -1;
	return 0;
}

static void build_clear(struct build *b)
{
	for (size_t i = 0; i < b->n_done; i++)
		stage_clear(&b->done[i]);
	free(b->done);
	free(b->done_keys);
	json_decref(b->global_args);
	json_decref(b->args);
	json_decref(b->build_args);
	json_decref(b->used_args);
	dockerfile_clear(&b->df);
	context_close(&b->ctx);
	store_close(&b->store);
	if (b->out && b->out != stdout)
		fclose(b->out);
}

static int check_tags(const struct build_opts *o, berr_t *err)
{
	char norm[REF_NAME_MAX + 1];

	for (char *const *t = o->tags; t && *t; t++)
		if (ref_normalize(*t, norm, err) < 0)
			return err_prefix(err, "-t");
	return 0;
}

int build_image(const struct build_opts *o, char id[DIGEST_MAX],
		char manifest[DIGEST_MAX], berr_t *err)
{
	struct build b = { .o = o, .ctx = { .fd = -1 }, .store = { .rootfd = -1 } };
	cleanup_free char *text = NULL, *name = NULL;
	cleanup_close int lock = -1;
	size_t len = 0;
	int r = -1;

	b.out = o->quiet ? fopen("/dev/null", "we") : stdout;
	b.global_args = json_object();
	if (!b.out || !b.global_args) {
		err_sys(err, "build");
		goto out;
	}
	if (check_tags(o, err) < 0 || parse_build_args(&b, err) < 0 ||
	    context_open(o->context, true, &b.ctx, err) < 0 ||
	    read_dockerfile(&b, &text, &len, &name, err) < 0 ||
	    dockerfile_parse(text, len, o->dockerfile ? o->dockerfile : DOCKERFILE_NAME, &b.df,
			     err) < 0)
		goto out;
	/* Shared for the whole build: gc never takes a blob a step just made. */
	if (store_open(o->store_root, &b.store, err) < 0 ||
	    store_lock(&b.store, false, &lock, err) < 0 || run_stages(&b, err) < 0 ||
	    finish(&b, id, manifest, err) < 0)
		goto out;
	warn_unused_args(&b);
	r = 0;
out:
	build_clear(&b);
	return r;
}
