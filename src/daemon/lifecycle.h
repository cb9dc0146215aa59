/* Changes to services' desired state (lifecycle.c): stored first, then
 * read back into berthd.  Errors with errno ENOENT are unknown services. */
#ifndef BERTH_DAEMON_LIFECYCLE_H
#define BERTH_DAEMON_LIFECYCLE_H

#include "daemon/daemon.h"

/* PUT: a new revision when the canonical definition or the image ids
 * differ from the current revision's (*changed says which). */
int svc_apply(struct berthd *d, const char *name, json_t *def, json_t *digests, int64_t *rev,
	      bool *changed, berr_t *err);
/* The current definition with another image. */
int svc_deploy_image(struct berthd *d, const char *name, const char *image, const char *digest,
		     int64_t *rev, bool *changed, berr_t *err);
int svc_rollback(struct berthd *d, const char *name, int64_t to, int64_t *rev, berr_t *err);
int svc_scale(struct berthd *d, const char *name, int64_t replicas, berr_t *err);
int svc_pause(struct berthd *d, const char *name, bool paused, berr_t *err);
int svc_delete(struct berthd *d, const char *name, berr_t *err);

/* Services whose deletion is complete leave the store. */
void svcs_finish_deletes(struct berthd *d);
/* A new revision's replica failed: rollback or pause (update_config). */
void svc_deploy_failed(struct berthd *d, struct svc *s, const char *replica, const char *why);

#endif
