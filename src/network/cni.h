/* The CNI protocol (containernetworking/cni SPEC.md, version 1.0.0): a
 * plugin is an executable found in CNI_PATH by its "type", called with
 * CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME and CNI_PATH in its
 * environment and its configuration as JSON on stdin; it answers with a
 * result (or an error object) as JSON on stdout. */
#ifndef BERTH_NETWORK_CNI_H
#define BERTH_NETWORK_CNI_H

#include <jansson.h>

#include "common/error.h"

#define CNI_VERSION "1.0.0"
#define CNI_DEFAULT_PATH "/usr/lib/cni"

struct cni_call {
	const char *container_id;
	const char *netns;  /* "" when the namespace is already gone (DEL) */
	const char *ifname;
};

/* ADD every plugin of the list {"cniVersion", "name", "plugins": [...]}
 * in order, each getting the previous one's result as prevResult; the
 * last result in *result.  On failure the plugins already added are
 * deleted again. */
int cni_add(json_t *list, const struct cni_call *c, json_t **result, berr_t *err);

/* DEL in reverse order, with the ADD result as prevResult (may be NULL).
 * Every plugin is called even when one fails; the first error is
 * returned. */
int cni_del(json_t *list, const struct cni_call *c, json_t *result, berr_t *err);

#endif
