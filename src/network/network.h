/* Container networking: a container joins a bridge network through the
 * CNI plugins (bridge + host-local IPAM + portmap, loopback for lo).
 *
 * The API other code calls:
 *
 *   if (net_wanted(network)) {
 *           net_prepare(&roots, &req, &att, err);   before config.json
 *           net_config_apply(cfg, &att, err);       into the OCI config
 *   }
 *   ... the container runs, joins att.netns ...
 *   net_release(&roots, id, err);                   when it is gone for good
 *
 * State (see docs/architecture.md, "Networking"):
 *   <root>/networks/<name>.json            definitions (netdef.h)
 *   <root>/networks/lock                   serialises every change below
 *   <run>/netns/<id>                       the container's network namespace
 *   <run>/networks/containers/<id>/        attachment.json, hostname, resolv.conf
 *   <run>/networks/hosts/<network>         /etc/hosts of every member
 *   <run>/networks/ipam/                   host-local's allocations
 */
#ifndef BERTH_NETWORK_NETWORK_H
#define BERTH_NETWORK_NETWORK_H

#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"
#include "network/ports.h"

struct net_roots {
	const char *store; /* --root */
	const char *run;   /* --run-root */
};

struct net_request {
	const char *network;      /* a network's name (net_wanted() is true) */
	const char *container_id; /* 1-64 of [0-9a-f] */
	const char *name;         /* --name, or NULL */
	const char *hostname;     /* the container's hostname, or NULL (id[:12]) */
	const struct port_map *ports;
	size_t n_ports;
	/* The process whose end makes the attachment stale (a foreground
	 * `berth run`, a container's monitor), or 0: then only the removal
	 * of <root>/containers/<id> does. */
	pid_t owner;
};

/* What the OCI config needs. */
struct net_attachment {
	char netns[PATH_MAX];    /* linux.namespaces "network" path */
	char hosts[PATH_MAX];    /* bound read-only at /etc/hosts */
	char resolv[PATH_MAX];   /* bound at /etc/resolv.conf */
	char hostname[PATH_MAX]; /* bound at /etc/hostname */
	char ip[INET_ADDRSTRLEN];
};

/* True for a network name; false for NULL, "none" and "host", which the
 * OCI config handles alone. */
bool net_wanted(const char *network);

/* Releases stale attachments first (net_cleanup_stale), then attaches
 * the container: namespace, CNI ADD, record, /etc files.  On failure
 * nothing is left behind. */
int net_prepare(const struct net_roots *r, const struct net_request *rq,
		struct net_attachment *out, berr_t *err);

/* Joins the namespace at a->netns and binds the /etc files. */
int net_config_apply(json_t *cfg, const struct net_attachment *a, berr_t *err);

/* CNI DEL with the recorded config, the namespace unmounted and removed,
 * the record removed, the network's hosts file rewritten.  Releasing a
 * container that is not attached is not an error. */
int net_release(const struct net_roots *r, const char *container_id, berr_t *err);

/* Releases every attachment whose container is gone: no directory
 * <root>/containers/<id>, or its owner process ended, or gone(id, arg)
 * (gone may be NULL).  Failures are reported on stderr and skipped: one
 * broken record must not stop every start. */
int net_cleanup_stale(const struct net_roots *r, bool (*gone)(const char *id, void *arg),
		      void *arg, berr_t *err);

/* The attached containers of network (all when NULL) as
 * {"<id>": {"name", "ip", "network", "ports"}}. */
int net_attachments(const struct net_roots *r, const char *network, json_t **out,
		    berr_t *err);

/* `berth network rm`: refused while containers are attached. */
int net_remove(const struct net_roots *r, const char *name, berr_t *err);

#endif
