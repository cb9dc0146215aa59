/* A YAML document as a small tree, read with libyaml under caps that make
 * hostile files harmless: a size cap, a depth cap, and a cap on nodes
 * counted with every alias expanded (a "billion laughs" file is refused
 * after a few thousand nodes instead of being expanded).  Aliases share
 * the anchored node rather than copying it; all nodes live in one arena
 * freed with the tree.  Duplicate keys in a mapping are an error, and
 * merge keys ("<<: *base") are applied as Compose files use them. */
#ifndef BERTH_SERVICE_YAML_TREE_H
#define BERTH_SERVICE_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define YTREE_MAX_BYTES (1u << 20)
#define YTREE_MAX_DEPTH 64
#define YTREE_MAX_NODES 100000

enum ynode_kind { YNODE_SCALAR, YNODE_SEQ, YNODE_MAP };

struct ynode {
	enum ynode_kind kind;
	unsigned line;      /* 1-based, where the node starts */
	bool plain;         /* an unquoted scalar (so "null" and ~ mean null) */
	char *str;          /* scalars: the text */
	size_t n;           /* seq: items; map: pairs */
	struct ynode **items; /* seq: items[i]; map: key items[2i], value items[2i+1] */
	size_t weight;      /* nodes below and including this one, aliases expanded */
};

struct ytree {
	struct ynode *root; /* NULL for an empty document */
	struct ynode **arena;
	size_t n_arena, cap_arena;
};

/* Parse text (len bytes); file names it in errors ("compose.yaml:3: ...").
 * One document only. */
int ytree_parse(const char *text, size_t len, const char *file,
		struct ytree *t, berr_t *err);
void ytree_free(struct ytree *t);

/* A plain scalar that YAML reads as null ("", "~", "null"). */
bool ynode_is_null(const struct ynode *n);

/* The value of key in map n, or NULL. */
struct ynode *ynode_get(const struct ynode *map, const char *key);

const char *ynode_kind_name(const struct ynode *n);

#endif
