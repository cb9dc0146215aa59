/* Typed reading of YAML nodes for the definition parser, with errors and
 * warnings that name file, line and key path. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/units.h"
#include "service/definition_internal.h"

const char *kp_key(struct kpath *k, const char *parent, const char *key)
{
	snprintf(k->buf, sizeof(k->buf), "%s%s%s", parent, parent[0] ? "." : "", key);
	return k->buf;
}

const char *kp_index(struct kpath *k, const char *parent, size_t i)
{
	snprintf(k->buf, sizeof(k->buf), "%s[%zu]", parent, i);
	return k->buf;
}

int dbad(struct dctx *c, const struct ynode *n, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(c->err, EINVAL, false, fmt, ap);
	va_end(ap);
	return err_prefix(c->err, "%s:%u: %s", c->file, n->line, path);
}

int dwrap(struct dctx *c, const struct ynode *n)
{
	return err_prefix(c->err, "%s:%u", c->file, n->line);
}

int dwarn(struct dctx *c, const struct ynode *n, const char *path, const char *why)
{
	cleanup_free char *w = NULL;

	if (asprintf(&w, "%s:%u: %s: %s", c->file, n->line, path, why) < 0)
		return err_sys(c->err, "%s", c->file);
	/* Keys are quoted as written: a control character (a newline in a
	 * key) shows as '?', so a warning stays one line, as errors do. */
	for (char *p = w; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (strv_push(&c->p->warnings, w) < 0)
		return err_sys(c->err, "%s", c->file);
	return 0;
}

int d_scalar(struct dctx *c, const struct ynode *n, const char *path)
{
	if (n->kind != YNODE_SCALAR || ynode_is_null(n))
		return dbad(c, n, path, "expected a value, not %s",
			    n->kind == YNODE_SCALAR ? "null" : ynode_kind_name(n));
	return 0;
}

int d_str(struct dctx *c, const struct ynode *n, const char *path, char **out)
{
	char *s;

	if (d_scalar(c, n, path) < 0)
		return -1;
	if (!(s = strdup(n->str)))
		return err_sys(c->err, "%s", path);
	free(*out);
	*out = s;
	return 0;
}

int d_int(struct dctx *c, const struct ynode *n, const char *path, int64_t min, int64_t max,
	  int64_t *out)
{
	if (d_scalar(c, n, path) < 0)
		return -1;
	if (units_parse_int(n->str, path, min, max, out, c->err) < 0)
		return dwrap(c, n);
	return 0;
}

int d_bool(struct dctx *c, const struct ynode *n, const char *path, bool *out)
{
	if (d_scalar(c, n, path) < 0)
		return -1;
	if (strcmp(n->str, "true") && strcmp(n->str, "false"))
		return dbad(c, n, path, "\"%s\" is not true or false", n->str);
	*out = !strcmp(n->str, "true");
	return 0;
}

#define YEAR_NS (365ll * 24 * 3600 * 1000 * 1000 * 1000)

int d_duration(struct dctx *c, const struct ynode *n, const char *path, bool zero_ok,
	       int64_t *out)
{
	int64_t ns;

	if (d_scalar(c, n, path) < 0)
		return -1;
	if (units_parse_duration(n->str, path, &ns, c->err) < 0)
		return dwrap(c, n);
	if ((!zero_ok && ns == 0) || ns > YEAR_NS)
		return dbad(c, n, path, "\"%s\" must be %s and at most a year", n->str,
			    zero_ok ? "0 or more" : "more than 0");
	*out = ns;
	return 0;
}

int d_map(struct dctx *c, const struct ynode *n, const char *path)
{
	if (n->kind != YNODE_MAP)
		return dbad(c, n, path, "expected a mapping, not a %s",
			    ynode_is_null(n) ? "null" : ynode_kind_name(n));
	return 0;
}

int d_strv(struct dctx *c, const struct ynode *n, const char *path, bool one_ok, char ***out)
{
	cleanup_strv char **v = calloc(1, sizeof(char *));
	struct kpath k;

	if (!v)
		return err_sys(c->err, "%s", path);
	if (one_ok && n->kind == YNODE_SCALAR) {
		if (d_scalar(c, n, path) < 0)
			return -1;
		if (strv_push(&v, n->str) < 0)
			return err_sys(c->err, "%s", path);
	} else if (n->kind != YNODE_SEQ) {
		return dbad(c, n, path, "expected a list%s, not a %s", one_ok ? " or a string" : "",
			    ynode_kind_name(n));
	}
	for (size_t i = 0; n->kind == YNODE_SEQ && i < n->n; i++) {
		if (d_scalar(c, n->items[i], kp_index(&k, path, i)) < 0)
			return -1;
		if (strv_push(&v, n->items[i]->str) < 0)
			return err_sys(c->err, "%s", path);
	}
	strv_free(*out);
	*out = take_ptr(v);
	return 0;
}

int d_abs_path(struct dctx *c, const struct ynode *n, const char *path, const char *rel,
	       char **out)
{
	char *s;

	if (!rel[0])
		return dbad(c, n, path, "an empty path");
	if (rel[0] == '/')
		s = strdup(rel);
	else if (asprintf(&s, "%s/%s", c->p->dir, strncmp(rel, "./", 2) ? rel : rel + 2) < 0)
		s = NULL;
	if (!s)
		return err_sys(c->err, "%s", path);
	free(*out);
	*out = s;
	return 0;
}

static bool is_extension(const char *key)
{
	return !strncmp(key, "x-", 2) && strncmp(key, "x-berth-", 8);
}

int d_walk(struct dctx *c, const struct ynode *n, const char *path, const struct dfield *fields,
	   void *obj)
{
	struct kpath k;

	if (d_map(c, n, path) < 0)
		return -1;
	for (size_t i = 0; i < n->n / 2; i++) {
		const struct ynode *key = n->items[2 * i];
		const struct dfield *f = fields;

		while (f->key && strcmp(f->key, key->str))
			f++;
		kp_key(&k, path, key->str);
		if (!f->key && !is_extension(key->str) && dwarn(c, key, k.buf, "not supported by berth, ignored") < 0)
			return -1;
		if (f->key && f->fn && f->fn(c, n->items[2 * i + 1], k.buf, obj) < 0)
			return -1;
	}
	return 0;
}

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct svc_kv *)a)->key, ((const struct svc_kv *)b)->key);
}

void kvs_sort(struct svc_kvs *kv)
{
	if (kv->n)
		qsort(kv->v, kv->n, sizeof(*kv->v), kv_cmp);
}

int kvs_set(struct svc_kvs *kv, const char *key, const char *value)
{
	char *v = strdup(value), *k = NULL;
	struct svc_kv *grown;

	for (size_t i = 0; v && i < kv->n; i++)
		if (!strcmp(kv->v[i].key, key)) {
			free(kv->v[i].value);
			kv->v[i].value = v;
			return 0;
		}
	if (!v || !(k = strdup(key)) || !(grown = realloc(kv->v, (kv->n + 1) * sizeof(*grown)))) {
		free(v);
		free(k);
		return -1;
	}
	kv->v = grown;
	kv->v[kv->n++] = (struct svc_kv){ k, v };
	return 0;
}

void kvs_free(struct svc_kvs *kv)
{
	for (size_t i = 0; i < kv->n; i++) {
		free(kv->v[i].key);
		free(kv->v[i].value);
	}
	free(kv->v);
	*kv = (struct svc_kvs){ 0 };
}

/* One entry: value NULL means "KEY" alone or a null value. */
static int kv_one(struct dctx *c, const struct ynode *n, const char *path, const char *key,
		  const char *value, bool env_style, struct svc_kvs *out)
{
	if (!key[0] || strchr(key, '=') || (env_style && strpbrk(key, " \t")))
		return dbad(c, n, path, "\"%s\" is not a valid name", key);
	if (!value && env_style)
		value = getenv(key);
	if (!value && env_style)
		return 0;
	if (kvs_set(out, key, value ? value : "") < 0)
		return err_sys(c->err, "%s", path);
	return 0;
}

static int kv_list_item(struct dctx *c, const struct ynode *n, const char *path, bool env_style,
			struct svc_kvs *out)
{
	cleanup_free char *key = NULL;
	const char *eq;

	if (d_scalar(c, n, path) < 0)
		return -1;
	eq = strchr(n->str, '=');
	if (!(key = strndup(n->str, eq ? (size_t)(eq - n->str) : strlen(n->str))))
		return err_sys(c->err, "%s", path);
	return kv_one(c, n, path, key, eq ? eq + 1 : NULL, env_style, out);
}

int d_kvs(struct dctx *c, const struct ynode *n, const char *path, bool env_style,
	  struct svc_kvs *out)
{
	struct kpath k;

	if (n->kind == YNODE_SEQ) {
		for (size_t i = 0; i < n->n; i++)
			if (kv_list_item(c, n->items[i], kp_index(&k, path, i), env_style, out) < 0)
				return -1;
		return 0;
	}
	if (d_map(c, n, path) < 0)
		return -1;
	for (size_t i = 0; i < n->n / 2; i++) {
		const struct ynode *v = n->items[2 * i + 1];

		kp_key(&k, path, n->items[2 * i]->str);
		if (v->kind != YNODE_SCALAR)
			return dbad(c, v, k.buf, "expected a value, not a %s", ynode_kind_name(v));
		if (kv_one(c, v, k.buf, n->items[2 * i]->str, ynode_is_null(v) ? NULL : v->str,
			   env_style, out) < 0)
			return -1;
	}
	return 0;
}
