/* Network definitions: <root>/networks/<name>.json, one bridge network
 * each.  The default network "bridge" is made on first use. */
#ifndef BERTH_NETWORK_NETDEF_H
#define BERTH_NETWORK_NETDEF_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "network/subnet.h"

#define NET_NAME_MAX 64
#define NET_DEFAULT "bridge"
#define NET_DEFAULT_BRIDGE "berth0"
#define NET_DEFAULT_SUBNET "10.87.0.0/16"

struct net_def {
	char name[NET_NAME_MAX + 1];
	char id[65];
	char bridge[16]; /* IFNAMSIZ */
	struct subnet subnet;
	uint32_t gateway;
	int64_t created;
};

/* Docker's rule: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64 characters, and
 * not "none" or "host" (those are not networks). */
int netdef_check_name(const char *name, berr_t *err);

/* The directory <root>/networks (made if missing) and its lock, held
 * exclusively by whoever changes definitions or attachments; returns the
 * locked fd. */
int netdef_lock(const char *root, berr_t *err);

/* name's definition; the default network is created when missing.  The
 * caller holds the lock. */
int netdef_load(const char *root, const char *name, struct net_def *out, berr_t *err);

/* A new network; subnet and gateway may be NULL (a free /24 and its first
 * address).  Refuses duplicates and subnets overlapping another network's.
 * The caller holds the lock. */
int netdef_create(const char *root, const char *name, const char *subnet,
		  const char *gateway, struct net_def *out, berr_t *err);

/* Every definition (the default one created first), sorted by name. */
int netdef_list(const char *root, struct net_def **out, size_t *n, berr_t *err);

int netdef_remove(const char *root, const char *name, berr_t *err);

json_t *netdef_json(const struct net_def *d);

#endif
