/* Named volumes, as docker's "local" driver keeps them:
 *
 *   <root>/volumes/<name>/_data        the data, bind-mounted into containers
 *   <root>/volumes/<name>/volume.json  Name, Driver, Mountpoint, CreatedAt,
 *                                      Labels, Options, Scope
 *   <root>/volumes/.lock               flock: shared by runs from resolving
 *                                      their volumes until their config.json
 *                                      is written, exclusive by rm and prune
 *   <root>/volumes/.tmp-<hex>          a volume being created, renamed to
 *                                      <name> when complete (never visible
 *                                      half made), or one being removed
 *
 * A volume is in use while a container record's config
 * (<root>/containers/<id>/config.json) has a mount whose source is its
 * _data. */
#ifndef BERTH_VOLUME_VOLUME_H
#define BERTH_VOLUME_VOLUME_H

#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"

#define VOLUME_NAME_MAX 128

/* docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*, here at most VOLUME_NAME_MAX
 * characters. */
int volume_check_name(const char *name, berr_t *err);

/* Take <root>/volumes/.lock (creating the directory); *fd holds it. */
int volume_lock(const char *root, bool exclusive, int *fd, berr_t *err);

/* Create the volume name (NULL: a random 64-hex name) with labels (a JSON
 * object, may be NULL).  One that exists already is kept as it is (as
 * docker does), *created says which.  The name in *name_out (malloc'd). */
int volume_create(const char *root, const char *name, json_t *labels, char **name_out,
		  bool *created, berr_t *err);

/* volume.json of name, checked (an object whose Name is name), with
 * Mountpoint set to where the data is under this root. */
int volume_load(const char *root, const char *name, json_t **doc, berr_t *err);

/* The absolute path of name's _data (root must exist). */
int volume_data_path(const char *root, const char *name, char **path, berr_t *err);

/* Every volume name, sorted (entries that are not volumes are skipped). */
int volume_list(const char *root, char ***names, berr_t *err);

/* The ids of the containers whose config mounts name's data, sorted. */
int volume_users(const char *root, const char *name, char ***ids, berr_t *err);

/* Remove name; refused while a container uses it (the error names the
 * container).  Call with the lock held exclusively. */
int volume_remove(const char *root, const char *name, berr_t *err);

#endif
