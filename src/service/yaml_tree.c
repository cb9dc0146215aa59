#include "service/yaml_tree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/cleanup.h"

/* A mapping bigger than this is not a service definition; the cap also
 * bounds the quadratic duplicate-key check. */
#define YTREE_MAX_PAIRS 4096
#define YTREE_MAX_ANCHORS 1024

struct anchor {
	char *name;
	struct ynode *node;
};

struct loader {
	struct ytree *t;
	const char *file;
	struct ynode *stack[YTREE_MAX_DEPTH];
	char *stack_anchor[YTREE_MAX_DEPTH];
	size_t depth;
	struct anchor anchors[YTREE_MAX_ANCHORS];
	size_t n_anchors;
	size_t expanded; /* nodes so far, each alias counted as its target's size */
	size_t documents;
};

static struct ynode *node_new(struct loader *l, enum ynode_kind kind, unsigned line)
{
	struct ytree *t = l->t;
	struct ynode *n;

	if (t->n_arena == t->cap_arena) {
		size_t cap = t->cap_arena ? t->cap_arena * 2 : 64;
		struct ynode **grown = realloc(t->arena, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		t->arena = grown;
		t->cap_arena = cap;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->line = line;
	n->weight = 1;
	t->arena[t->n_arena++] = n;
	return n;
}

static int count(struct loader *l, size_t weight, unsigned line, berr_t *err)
{
	if (weight > YTREE_MAX_NODES - l->expanded)
		return err_set(err, E2BIG, "%s:%u: more than %u nodes with aliases expanded",
			       l->file, line, YTREE_MAX_NODES);
	l->expanded += weight;
	return 0;
}

static int push_item(struct ynode *parent, struct ynode *child)
{
	struct ynode **grown;

	if (!(parent->n % 16)) {
		grown = realloc(parent->items, (parent->n + 16) * sizeof(*grown));
		if (!grown)
			return -1;
		parent->items = grown;
	}
	parent->items[parent->n++] = child;
	parent->weight += child->weight;
	return 0;
}

static struct ynode *map_get_n(const struct ynode *map, const char *key, size_t pairs)
{
	for (size_t i = 0; i < pairs; i++)
		if (!strcmp(map->items[2 * i]->str, key))
			return map->items[2 * i + 1];
	return NULL;
}

/* Adds child to the open container on top of the stack; for a mapping,
 * keys (every even item) must be unique scalars. */
static int add_child(struct loader *l, struct ynode *child, berr_t *err)
{
	struct ynode *top = l->stack[l->depth - 1];
	bool is_key = top->kind == YNODE_MAP && !(top->n % 2);

	if (is_key && child->kind != YNODE_SCALAR)
		return err_set(err, EINVAL, "%s:%u: a mapping key must be a string, not a %s",
			       l->file, child->line, ynode_kind_name(child));
	if (is_key && top->n / 2 >= YTREE_MAX_PAIRS)
		return err_set(err, E2BIG, "%s:%u: more than %u keys in one mapping", l->file,
			       child->line, YTREE_MAX_PAIRS);
	if (is_key && map_get_n(top, child->str, top->n / 2))
		return err_set(err, EINVAL, "%s:%u: duplicate key '%s'", l->file, child->line,
			       child->str);
	if (push_item(top, child) < 0)
		return err_sys(err, "%s", l->file);
	return 0;
}

/* The node a finished subtree becomes: the root, or a child of the top. */
static int place(struct loader *l, struct ynode *n, berr_t *err)
{
	if (l->depth)
		return add_child(l, n, err);
	if (l->t->root)
		return err_set(err, EINVAL, "%s:%u: more than one document", l->file, n->line);
	l->t->root = n;
	return 0;
}

static int anchor_add(struct loader *l, char *name, struct ynode *n, berr_t *err)
{
	if (!name)
		return 0;
	if (l->n_anchors == YTREE_MAX_ANCHORS) {
		free(name);
		return err_set(err, E2BIG, "%s:%u: more than %u anchors", l->file, n->line,
			       YTREE_MAX_ANCHORS);
	}
	l->anchors[l->n_anchors++] = (struct anchor){ name, n };
	return 0;
}

/* Anchors are registered when their node is complete, so an alias inside
 * its own anchor (a cycle) is an undefined alias.  A later anchor of the
 * same name wins, as YAML says. */
static struct ynode *anchor_find(struct loader *l, const char *name)
{
	for (size_t i = l->n_anchors; i-- > 0;)
		if (!strcmp(l->anchors[i].name, name))
			return l->anchors[i].node;
	return NULL;
}

static int merge_one(struct loader *l, struct ynode *map, struct ynode *src, berr_t *err)
{
	if (src->kind != YNODE_MAP)
		return err_set(err, EINVAL, "%s:%u: '<<' merges a mapping, not a %s", l->file,
			       src->line, ynode_kind_name(src));
	for (size_t i = 0; i < src->n / 2; i++) {
		if (map_get_n(map, src->items[2 * i]->str, map->n / 2))
			continue;
		if (map->n / 2 >= YTREE_MAX_PAIRS)
			return err_set(err, E2BIG, "%s:%u: more than %u keys in one mapping", l->file,
				       map->line, YTREE_MAX_PAIRS);
		if (count(l, src->items[2 * i + 1]->weight + 1, src->line, err) < 0)
			return -1;
		if (push_item(map, src->items[2 * i]) < 0 || push_item(map, src->items[2 * i + 1]) < 0)
			return err_sys(err, "%s", l->file);
	}
	return 0;
}

/* "<<: *base" or "<<: [*a, *b]": the merged mappings' keys that the
 * mapping does not have itself are added (the first merged one wins). */
static int apply_merge(struct loader *l, struct ynode *map, berr_t *err)
{
	struct ynode *src = NULL;
	size_t at;

	for (at = 0; at < map->n / 2; at++)
		if (map->items[2 * at]->plain && !strcmp(map->items[2 * at]->str, "<<"))
			break;
	if (at == map->n / 2)
		return 0;
	src = map->items[2 * at + 1];
	memmove(&map->items[2 * at], &map->items[2 * at + 2], (map->n - 2 * at - 2) * sizeof(*map->items));
	map->n -= 2;
	if (src->kind != YNODE_SEQ)
		return merge_one(l, map, src, err);
	for (size_t i = 0; i < src->n; i++)
		if (merge_one(l, map, src->items[i], err) < 0)
			return -1;
	return 0;
}

static int on_scalar(struct loader *l, yaml_event_t *ev, unsigned line, berr_t *err)
{
	struct ynode *n;
	char *anchor;

	if (count(l, 1, line, err) < 0)
		return -1;
	if (!(n = node_new(l, YNODE_SCALAR, line)))
		return err_sys(err, "%s", l->file);
	n->str = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
	if (!n->str)
		return err_sys(err, "%s", l->file);
	if (strlen(n->str) != ev->data.scalar.length)
		return err_set(err, EINVAL, "%s:%u: a NUL character in a string", l->file, line);
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (place(l, n, err) < 0)
		return -1;
	if (!ev->data.scalar.anchor)
		return 0;
	if (!(anchor = strdup((const char *)ev->data.scalar.anchor)))
		return err_sys(err, "%s", l->file);
	return anchor_add(l, anchor, n, err);
}

static int on_start(struct loader *l, enum ynode_kind kind, const yaml_char_t *anchor,
		    unsigned line, berr_t *err)
{
	struct ynode *n;

	if (l->depth == YTREE_MAX_DEPTH)
		return err_set(err, E2BIG, "%s:%u: nested deeper than %u levels", l->file, line,
			       YTREE_MAX_DEPTH);
	if (count(l, 1, line, err) < 0)
		return -1;
	if (!(n = node_new(l, kind, line)))
		return err_sys(err, "%s", l->file);
	l->stack_anchor[l->depth] = anchor ? strdup((const char *)anchor) : NULL;
	if (anchor && !l->stack_anchor[l->depth])
		return err_sys(err, "%s", l->file);
	l->stack[l->depth++] = n;
	return 0;
}

static int on_end(struct loader *l, berr_t *err)
{
	struct ynode *n = l->stack[--l->depth];
	char *anchor = l->stack_anchor[l->depth];

	l->stack_anchor[l->depth] = NULL;
	if (n->kind == YNODE_MAP && apply_merge(l, n, err) < 0) {
		free(anchor);
		return -1;
	}
	if (place(l, n, err) < 0) {
		free(anchor);
		return -1;
	}
	return anchor_add(l, anchor, n, err);
}

static int on_alias(struct loader *l, yaml_event_t *ev, unsigned line, berr_t *err)
{
	struct ynode *n = anchor_find(l, (const char *)ev->data.alias.anchor);

	if (!n)
		return err_set(err, EINVAL, "%s:%u: alias '*%s' names no complete anchor before it",
			       l->file, line, ev->data.alias.anchor);
	if (count(l, n->weight, line, err) < 0)
		return -1;
	return place(l, n, err);
}

static int on_event(struct loader *l, yaml_event_t *ev, berr_t *err)
{
	unsigned line = (unsigned)ev->start_mark.line + 1;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return on_scalar(l, ev, line, err);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(l, YNODE_SEQ, ev->data.sequence_start.anchor, line, err);
	case YAML_MAPPING_START_EVENT:
		return on_start(l, YNODE_MAP, ev->data.mapping_start.anchor, line, err);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(l, err);
	case YAML_ALIAS_EVENT:
		return on_alias(l, ev, line, err);
	case YAML_DOCUMENT_START_EVENT:
		if (++l->documents > 1)
			return err_set(err, EINVAL, "%s:%u: more than one document", l->file, line);
		return 0;
	default:
		return 0;
	}
}

/* The line of offset in text: reader errors (bad UTF-8, control
 * characters) carry an offset, not a mark. */
static unsigned line_at(const char *text, size_t len, size_t offset)
{
	unsigned line = 1;

	for (size_t i = 0; i < offset && i < len; i++)
		line += text[i] == '\n';
	return line;
}

static int parser_error(const yaml_parser_t *p, const char *text, size_t len, const char *file,
			berr_t *err)
{
	unsigned line = p->error == YAML_READER_ERROR ? line_at(text, len, p->problem_offset)
						       : (unsigned)p->problem_mark.line + 1;

	if (p->error == YAML_MEMORY_ERROR)
		return err_set(err, ENOMEM, "%s: out of memory", file);
	if (p->context)
		return err_set(err, EINVAL, "%s:%u: %s %s", file, line, p->problem ? p->problem : "bad YAML",
			       p->context);
	return err_set(err, EINVAL, "%s:%u: %s", file, line, p->problem ? p->problem : "bad YAML");
}

static void loader_free(struct loader *l)
{
	for (size_t i = 0; i < l->n_anchors; i++)
		free(l->anchors[i].name);
	for (size_t i = 0; i < l->depth; i++)
		free(l->stack_anchor[i]);
}

static int load(yaml_parser_t *p, const char *text, size_t len, struct loader *l, berr_t *err)
{
	yaml_event_t ev;
	bool done = false;

	while (!done) {
		if (!yaml_parser_parse(p, &ev))
			return parser_error(p, text, len, l->file, err);
		done = ev.type == YAML_STREAM_END_EVENT;
		int r = on_event(l, &ev, err);

		yaml_event_delete(&ev);
		if (r < 0)
			return -1;
	}
	return 0;
}

int ytree_parse(const char *text, size_t len, const char *file, struct ytree *t,
		berr_t *err)
{
	struct loader *l;
	yaml_parser_t p;
	int r;

	memset(t, 0, sizeof(*t));
	if (len > YTREE_MAX_BYTES)
		return err_set(err, EFBIG, "%s: larger than %u bytes", file, YTREE_MAX_BYTES);
	l = calloc(1, sizeof(*l));
	if (!l)
		return err_sys(err, "%s", file);
	l->t = t;
	l->file = file;
	if (!yaml_parser_initialize(&p)) {
		free(l);
		return err_set(err, ENOMEM, "%s: out of memory", file);
	}
	/* UTF-8 only: libyaml then refuses any invalid byte sequence. */
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	r = load(&p, text, len, l, err);
	yaml_parser_delete(&p);
	loader_free(l);
	free(l);
	if (r < 0)
		ytree_free(t);
	return r;
}

void ytree_free(struct ytree *t)
{
	for (size_t i = 0; i < t->n_arena; i++) {
		free(t->arena[i]->str);
		free(t->arena[i]->items);
		free(t->arena[i]);
	}
	free(t->arena);
	memset(t, 0, sizeof(*t));
}

bool ynode_is_null(const struct ynode *n)
{
	return n->kind == YNODE_SCALAR && n->plain &&
	       (!n->str[0] || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
		!strcmp(n->str, "Null") || !strcmp(n->str, "NULL"));
}

struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	return map && map->kind == YNODE_MAP ? map_get_n(map, key, map->n / 2) : NULL;
}

const char *ynode_kind_name(const struct ynode *n)
{
	return n->kind == YNODE_SCALAR ? "string" : n->kind == YNODE_SEQ ? "list" : "mapping";
}
