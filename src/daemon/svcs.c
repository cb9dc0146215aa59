/* berthd's services: the desired state read back from the store at start
 * and after every change the API makes.  What berthd learnt by itself
 * (the replicas' health, the backoff, the monitor window) is kept across
 * reloads of the same service. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "daemon/daemon.h"

struct svc *svc_find(struct berthd *d, const char *name)
{
	for (size_t i = 0; i < d->n_svcs; i++)
		if (!strcmp(d->svcs[i].name, name))
			return &d->svcs[i];
	return NULL;
}

int64_t svc_replicas(const struct svc *s)
{
	return s->scale >= 0 ? s->scale : s->def.replicas;
}

static void svc_clear(struct svc *s)
{
	free(s->name);
	service_clear(&s->def);
	free(s->digests);
	free(s->routes);
	free(s->failure);
	memset(s, 0, sizeof(*s));
}

/* Whether an older revision than the current one ran healthy: a failed
 * deploy then has somewhere to go back to. */
static int older_active(struct berthd *d, const char *name, int64_t current, bool *out,
			berr_t *err)
{
	struct svc_revision *h;
	size_t n;

	if (svc_store_history(d->store, name, &h, &n, err) < 0)
		return -1;
	*out = false;
	for (size_t i = 0; i < n; i++)
		*out |= h[i].number != current && h[i].status == REV_ACTIVE;
	svc_revisions_free(h, n);
	return 0;
}

static int svc_read(struct berthd *d, const struct svc_info *info, struct svc *s, berr_t *err)
{
	struct svc_revision rev = { 0 };
	json_t *j;
	json_error_t jerr;
	char where[300];

	if (svc_store_current(d->store, info->name, &rev, err) < 0)
		return -1;
	snprintf(where, sizeof(where), "service %s revision %lld", info->name, (long long)rev.number);
	if (!(j = json_loads(rev.definition, 0, &jerr))) {
		svc_revision_clear(&rev);
		return err_set(err, EINVAL, "%s: %s", where, jerr.text);
	}
	int r = service_from_json(j, where, &s->def, err);

	json_decref(j);
	if (r < 0 || !(s->name = strdup(info->name))) {
		svc_revision_clear(&rev);
		return r < 0 ? -1 : err_sys(err, "%s", where);
	}
	s->digests = take_ptr(rev.digests);
	s->rev = rev.number;
	s->status = rev.status;
	s->paused = info->paused;
	s->scale = info->scale;
	s->next_n = 1;
	svc_revision_clear(&rev);
	return older_active(d, info->name, s->rev, &s->can_rollback, err);
}

/* Keep what berthd learnt about a service that is still there. */
static void carry_over(struct svc *to, struct svc *from, bool same_rev)
{
	to->adopting = from->adopting;
	to->deleting = from->deleting;
	to->starting = from->starting;
	to->next_n = from->next_n;
	to->routes = take_ptr(from->routes);
	to->failure = take_ptr(from->failure);
	to->routes_gen = from->routes_gen;
	to->deploys = from->deploys;
	to->restarts = from->restarts;
	to->failures = from->failures;
	to->next_start_ns = from->next_start_ns;
	if (same_rev) {
		to->last_batch_ns = from->last_batch_ns;
		to->monitor_until_ns = from->monitor_until_ns;
	}
}

int svcs_load(struct berthd *d, bool adopting, berr_t *err)
{
	struct svc_info *info;
	size_t n;

	if (svc_store_services(d->store, &info, &n, err) < 0)
		return -1;
	struct svc *v = calloc(n ? n : 1, sizeof(*v));

	if (!v) {
		svc_infos_free(info, n);
		return err_sys(err, "services");
	}
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		struct svc *old = svc_find(d, info[i].name);

		r = svc_read(d, &info[i], &v[i], err);
		v[i].adopting = adopting;
		if (r == 0 && old)
			carry_over(&v[i], old, old->rev == v[i].rev);
	}
	svc_infos_free(info, n);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			svc_clear(&v[i]);
		free(v);
		return -1;
	}
	svcs_free(d);
	d->svcs = v;
	d->n_svcs = n;
	return 0;
}

void svcs_free(struct berthd *d)
{
	for (size_t i = 0; i < d->n_svcs; i++)
		svc_clear(&d->svcs[i]);
	free(d->svcs);
	d->svcs = NULL;
	d->n_svcs = 0;
}
