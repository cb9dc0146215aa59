/* The /etc files a networked container gets: hosts (shared by the
 * network), hostname and resolv.conf (its own). */
#ifndef BERTH_NETWORK_ETC_FILES_H
#define BERTH_NETWORK_ETC_FILES_H

#include <limits.h>

#include "common/error.h"
#include "network/network.h"

/* dir/hostname and dir/resolv.conf: the host's resolv.conf without
 * loopback nameservers (unreachable from another namespace). */
int etc_write_own(const char *dir, const char *hostname, berr_t *err);

/* <run>/networks/hosts/<network>, rewritten in place from the records of
 * the network's members; its path in out (may be NULL). */
int etc_hosts_update(const struct net_roots *r, const char *network, char out[PATH_MAX],
		     berr_t *err);

/* Nameserver filtering of a resolv.conf text, for the unit tests: the
 * lines kept, in a new string. */
char *etc_resolv_filter(const char *host_resolv);

#endif
