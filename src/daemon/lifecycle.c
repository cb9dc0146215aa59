/* Changes to a service's desired state, from the API or from berthd's own
 * verdicts: each is one transaction in the store first, then berthd reads
 * the service back, so what runs in memory is always what is stored. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "daemon/lifecycle.h"

void berthd_event(struct berthd *d, const char *service, const char *kind, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	berr_t err = NULL;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "berthd: %s%s%s: %s\n", service ? service : "", service ? " " : "", kind, msg);
	if (svc_store_event(d->store, service, kind, msg, NULL, &err) < 0) {
		fprintf(stderr, "berthd: event not recorded: %s\n", err_msg(err));
		err_free(&err);
	}
}

static int reload(struct berthd *d, int r, berr_t *err)
{
	return r < 0 ? -1 : svcs_load(d, false, err);
}

static int unknown(const char *name, berr_t *err)
{
	return err_set(err, ENOENT, "no service '%s'", name);
}

/* The definition as berthd will run it: canonical, and nothing in it
 * that a replica cannot have. */
static int check_definition(const char *name, json_t *def, json_t *digests, char **text,
			    berr_t *err)
{
	struct service s = { 0 };
	int r = service_from_json(def, "definition", &s, err);

	if (r == 0 && strcmp(s.name, name))
		r = err_set(err, EINVAL, "definition.name: '%s' is not the service '%s'", s.name, name);
	if (r == 0 && !s.image)
		r = err_set(err, EINVAL, "definition.image: missing (build the image first: berth up builds it)");
	if (r == 0 && !json_is_object(digests))
		r = err_set(err, EINVAL, "digests: expected an object of image reference to image id");
	if (r == 0 && !json_is_string(json_object_get(digests, s.image)))
		r = err_set(err, EINVAL, "digests: no image id for '%s'", s.image);
	for (size_t i = 0; r == 0 && i < s.n_volumes; i++)
		if (s.volumes[i].type == SVC_VOLUME_ANONYMOUS)
			r = err_set(err, EINVAL, "definition.volumes[%zu]: anonymous volumes are not supported for services; name the volume", i);
	if (r == 0 && !(*text = service_json_dump(&s)))
		r = err_sys(err, "definition");
	service_clear(&s);
	return r;
}

int svc_apply(struct berthd *d, const char *name, json_t *def, json_t *digests, int64_t *rev,
	      bool *changed, berr_t *err)
{
	cleanup_free char *text = NULL, *dig = NULL;
	struct svc *cur = svc_find(d, name);

	if (check_definition(name, def, digests, &text, err) < 0)
		return -1;
	if (!(dig = json_dumps(digests, JSON_COMPACT | JSON_SORT_KEYS)))
		return err_sys(err, "digests");
	*changed = true;
	if (cur && !cur->deleting) {
		cleanup_free char *cur_text = service_json_dump(&cur->def);

		if (cur_text && !strcmp(cur_text, text) && cur->digests && !strcmp(cur->digests, dig)) {
			*changed = false;
			*rev = cur->rev;
			return 0;
		}
	}
	if (svc_store_deploy(d->store, name, text, dig, rev, err) < 0)
		return -1;
	/* A definition that says how many replicas takes them back from berth scale. */
	if (cur && cur->scale >= 0 && svc_store_set_scale(d->store, name, -1, err) < 0)
		return -1;
	if (cur)
		cur->deleting = false;
	return reload(d, 0, err);
}

int svc_deploy_image(struct berthd *d, const char *name, const char *image, const char *digest,
		     int64_t *rev, bool *changed, berr_t *err)
{
	struct svc *s = svc_find(d, name);

	if (!s || s->deleting)
		return unknown(name, err);
	json_t *def = service_to_json(&s->def);
	json_t *digests = json_pack("{s:s}", image, digest);

	if (!def || !digests || json_object_set_new(def, "image", json_string(image)) < 0) {
		json_decref(def);
		json_decref(digests);
		return err_sys(err, "deploy");
	}
	int r = svc_apply(d, name, def, digests, rev, changed, err);

	json_decref(def);
	json_decref(digests);
	return r;
}

int svc_rollback(struct berthd *d, const char *name, int64_t to, int64_t *rev, berr_t *err)
{
	struct svc *s = svc_find(d, name);

	if (!s || s->deleting)
		return unknown(name, err);
	if (svc_store_rollback(d->store, name, to, rev, err) < 0)
		return -1;
	return reload(d, 0, err);
}

int svc_scale(struct berthd *d, const char *name, int64_t replicas, berr_t *err)
{
	struct svc *s = svc_find(d, name);

	if (!s || s->deleting)
		return unknown(name, err);
	return reload(d, svc_store_set_scale(d->store, name, replicas, err), err);
}

int svc_pause(struct berthd *d, const char *name, bool paused, berr_t *err)
{
	struct svc *s = svc_find(d, name);

	if (!s || s->deleting)
		return unknown(name, err);
	return reload(d, svc_store_set_paused(d->store, name, paused, err), err);
}

/* The replicas go first (scale 0, stored: a berthd killed meanwhile goes
 * on with it), the service when the last one is gone (svcs_finish_deletes). */
int svc_delete(struct berthd *d, const char *name, berr_t *err)
{
	struct svc *s = svc_find(d, name);

	if (!s)
		return unknown(name, err);
	if (svc_store_set_paused(d->store, name, false, err) < 0 ||
	    svc_store_set_scale(d->store, name, 0, err) < 0 || reload(d, 0, err) < 0)
		return -1;
	svc_find(d, name)->deleting = true;
	return 0;
}

static bool has_replicas(const struct berthd *d, const struct svc *s)
{
	for (size_t i = 0; i < d->n_reps; i++)
		if (!strcmp(d->reps[i].service, s->name))
			return true;
	return s->starting > 0;
}

void svcs_finish_deletes(struct berthd *d)
{
	for (size_t i = 0; i < d->n_svcs; i++) {
		struct svc *s = &d->svcs[i];
		berr_t err = NULL;

		if (!s->deleting || has_replicas(d, s) || !s->routes || strcmp(s->routes, "[]"))
			continue;
		if (reload(d, svc_store_delete(d->store, s->name, &err), &err) < 0) {
			fprintf(stderr, "berthd: delete: %s\n", err_msg(err));
			err_free(&err);
		}
		return; /* the array changed: the others on the next turn */
	}
}

/* A replica of a revision being deployed failed: back to the revision
 * before it, or pause, as its update_config says. */
void svc_deploy_failed(struct berthd *d, struct svc *s, const char *replica, const char *why)
{
	cleanup_free char *name = strdup(s->name);
	int64_t failed = s->rev, back = 0;
	enum svc_failure_action action = s->def.update.failure_action;
	bool can_rollback = s->can_rollback;
	berr_t err = NULL;
	int r;

	char *failure = NULL;

	if (!name || asprintf(&failure, "revision %lld: replica %s %s", (long long)failed, replica,
			      why) < 0)
		return;
	berthd_event(d, name, "deploy-failed", "%s", failure);
	if (action == SVC_FAIL_ROLLBACK && can_rollback) {
		r = svc_store_rollback(d->store, name, 0, &back, &err);
		if (r == 0)
			r = svc_store_set_status(d->store, name, failed, REV_FAILED, &err);
		if (r == 0)
			berthd_event(d, name, "rollback", "rolled back from revision %lld to revision %lld by itself",
				     (long long)failed, (long long)back);
	} else {
		r = svc_store_set_status(d->store, name, failed, REV_FAILED, &err);
		if (r == 0 && action == SVC_FAIL_PAUSE)
			r = svc_store_set_paused(d->store, name, true, &err);
	}
	if (reload(d, r, &err) < 0) {
		fprintf(stderr, "berthd: %s: %s\n", name, err_msg(err));
		err_free(&err);
	}
	if ((s = svc_find(d, name))) {
		free(s->failure);
		s->failure = take_ptr(failure);
	}
	free(failure);
}
