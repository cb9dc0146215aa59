/* Attachment records: <run>/networks/containers/<id>/attachment.json,
 * what releasing a container needs (network, namespace, CNI config and
 * result, ports, owner), beside the container's /etc files. */
#ifndef BERTH_NETWORK_RECORD_H
#define BERTH_NETWORK_RECORD_H

#include <jansson.h>
#include <limits.h>

#include "common/error.h"
#include "network/network.h"

/* snprintf into a PATH_MAX buffer; ENAMETOOLONG names the result. */
int net_path(char out[PATH_MAX], berr_t *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Container ids are lower-case hex, at most 64: they become file names. */
int rec_check_id(const char *id, berr_t *err);

/* <run>/networks/containers/<id> (made with mkdir -p when make). */
int rec_dir(const struct net_roots *r, const char *id, bool make, char out[PATH_MAX],
	    berr_t *err);

int rec_write(const struct net_roots *r, const char *id, json_t *doc, berr_t *err);
/* errno ENOENT when there is none. */
int rec_read(const struct net_roots *r, const char *id, json_t **doc, berr_t *err);
/* The directory, files and all; a missing one is fine. */
int rec_remove(const struct net_roots *r, const char *id, berr_t *err);
/* The ids that have a directory (a NULL-terminated vector). */
int rec_ids(const struct net_roots *r, char ***ids, berr_t *err);

#endif
